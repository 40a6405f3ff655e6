import { listHidDevices, listSerialPorts, TransportError } from '../../../transport/index.js';
import { parseCommand, type CliCommand } from '../command.js';

export const listCommand: CliCommand = {
  name: 'list',
  summary: 'serial ports and USB HID FIDO devices a band may be on',
  usage: `usage: bandctl list [--json]

Lists serial ports (for serial:PATH) and HID devices on the FIDO usage page 0xF1D0 (for hid:PATH).
A missing HID backend (libusb / hidraw) is reported, not fatal.`,
  async run(ctx) {
    parseCommand('list', ctx.argv, {});
    const serial = await listSerialPorts();
    let hid: Awaited<ReturnType<typeof listHidDevices>> = [];
    let hidError: string | undefined;
    try {
      hid = await listHidDevices();
    } catch (error) {
      if (!(error instanceof TransportError)) throw error;
      hidError = error.message;
    }
    ctx.out.result({ ok: true, serial, hid, ...(hidError ? { hidError } : {}) }, [
      'serial ports:',
      ...(serial.ports.length
        ? serial.ports.map((p) => `  serial:${p.path}${p.manufacturer ? `  ${p.manufacturer}` : ''}`)
        : ['  (none)']),
      ...(serial.note ? [`  (${serial.note})`] : []),
      'USB HID FIDO devices:',
      ...(hidError
        ? [`  (unavailable: ${hidError})`]
        : hid.length
          ? hid.map((d) => `  hid:${d.path}  ${d.product ?? ''}`)
          : ['  (none)']),
    ]);
  },
};
