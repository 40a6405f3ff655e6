import { hex } from '../output.js';
import { parseCommand, type CliCommand } from '../command.js';
import { withBand } from '../connect.js';

export const infoCommand: CliCommand = {
  name: 'info',
  summary: "the band's identity, state and enrolled user",
  usage: `usage: bandctl [--transport URI] info [--json]

Reads GetInfo (serial number, device ID, firmware and protocol version, capabilities) and GetState
(state, screen, wrist, charger, enrolled user, label).`,
  async run(ctx) {
    parseCommand('info', ctx.argv, {});
    await withBand(ctx, async (band) => {
      const info = band.bandInfo!;
      const state = await band.getState();
      const document = {
        ok: true,
        serialNumber: info.serialNumber,
        deviceId: hex(info.deviceId),
        firmwareVersion: info.firmwareVersion,
        protocolVersion: `${info.protocolVersion?.major ?? 0}.${info.protocolVersion?.minor ?? 0}`,
        capabilities: info.capabilities.map((c) => c.replace('CAPABILITY_', '').toLowerCase()),
        state: state.state.replace('BAND_STATE_', '').toLowerCase(),
        screen: state.screen.replace('SCREEN_', '').toLowerCase(),
        enrolled: state.enrolled,
        userName: state.userName,
        label: state.label,
        onWrist: state.onWrist,
        onCharger: state.onCharger,
        fidoCredentialCount: state.fidoCredentialCount,
      };
      ctx.out.result(document, [
        `serial number     ${document.serialNumber}`,
        `device id         ${document.deviceId}`,
        `firmware          ${document.firmwareVersion} (band protocol ${document.protocolVersion})`,
        `capabilities      ${document.capabilities.join(', ') || '-'}`,
        `state             ${document.state} (screen: ${document.screen})`,
        `user              ${document.enrolled ? `${document.userName} (label ${document.label})` : '(not enrolled)'}`,
        `wrist / charger   ${document.onWrist ? 'on wrist' : 'off wrist'} / ${document.onCharger ? 'on charger' : 'off charger'}`,
      ]);
    });
  },
};
