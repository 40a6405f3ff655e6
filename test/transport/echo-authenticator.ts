import { Command, KeepaliveStatus } from '../../proto/ctaphid.js';
import { BROADCAST_CID, packetize, Reassembler } from '../../transport/ctaphid.js';
import { encodeInitResponse } from '../../transport/ctaphid-init.js';
import { CtapHidError } from '../../transport/errors.js';

/**
 * The smallest CTAPHID device that exercises a host: allocates channels on INIT, echoes PING, answers
 * CBOR with KEEPALIVEs then an echo, and answers protocol errors with ERROR on the offending channel.
 */
export function echoAuthenticator(
  options: { keepalives?: number; onInit?: 'answer' | 'ignore' | 'wrong-nonce' | 'busy' } = {},
) {
  const reassembler = new Reassembler();
  let nextCid = 0x1000;
  const received: { cid: number; command: number; payload: Uint8Array }[] = [];
  return {
    received,
    onReport(report: Uint8Array, reply: (report: Uint8Array) => void): void {
      const send = (cid: number, command: number, payload: Uint8Array) => {
        for (const r of packetize(cid, command, payload)) reply(r);
      };
      for (const item of reassembler.push(report)) {
        if (item instanceof CtapHidError) {
          send(item.cid, Command.ERROR, Uint8Array.of(item.hidError));
          continue;
        }
        received.push(item);
        if (item.command === Command.INIT) {
          const mode = options.onInit ?? 'answer';
          if (mode === 'ignore') continue;
          if (mode === 'busy') {
            send(item.cid, Command.ERROR, Uint8Array.of(0x06));
            continue;
          }
          const nonce = Uint8Array.from(item.payload.subarray(0, 8));
          if (mode === 'wrong-nonce') nonce[0] ^= 0xff;
          const cid = item.cid === BROADCAST_CID ? nextCid++ : item.cid;
          const response = {
            nonce,
            cid,
            protocolVersion: 2,
            versionMajor: 1,
            versionMinor: 0,
            versionBuild: 0,
            capabilities: 0x0c,
          };
          send(item.cid, Command.INIT, encodeInitResponse(response));
        } else if (item.command === Command.CBOR) {
          for (let i = 0; i < (options.keepalives ?? 0); i++)
            send(item.cid, Command.KEEPALIVE, Uint8Array.of(KeepaliveStatus.PROCESSING));
          send(item.cid, Command.CBOR, item.payload);
        } else {
          send(item.cid, item.command, item.payload);
        }
      }
    },
  };
}
