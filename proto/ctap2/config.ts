import { members } from './members.js';
import { Ctap2Command } from './command.js';

/** authenticatorConfig (CTAP 2.1 §6.11) sub-commands. */
export const ConfigSubCommand = {
  ENABLE_ENTERPRISE_ATTESTATION: 0x01,
  TOGGLE_ALWAYS_UV: 0x02,
  SET_MIN_PIN_LENGTH: 0x03,
  VENDOR_PROTOTYPE: 0xff,
} as const;

export const CONFIG_SUB_COMMAND_NAMES: Readonly<Record<number, string>> = {
  [ConfigSubCommand.ENABLE_ENTERPRISE_ATTESTATION]: 'enableEnterpriseAttestation',
  [ConfigSubCommand.TOGGLE_ALWAYS_UV]: 'toggleAlwaysUv',
  [ConfigSubCommand.SET_MIN_PIN_LENGTH]: 'setMinPINLength',
  [ConfigSubCommand.VENDOR_PROTOTYPE]: 'vendorPrototype',
};

/** authenticatorConfig request members (§6.11). It has no response members: success is a bare CTAP2_OK. */
export const ConfigRequest = members({
  subCommand: { key: 0x01, type: 'uint', required: true },
  subCommandParams: { key: 0x02, type: 'map' },
  pinUvAuthProtocol: { key: 0x03, type: 'uint' },
  pinUvAuthParam: { key: 0x04, type: 'bytes' },
});

/** setMinPINLength subCommandParams (§6.11.4). */
export const SetMinPinLengthParams = members({
  newMinPINLength: { key: 0x01, type: 'uint' },
  minPinLengthRPIDs: { key: 0x02, type: 'array' },
  forceChangePin: { key: 0x03, type: 'bool' },
});

/** vendorPrototype subCommandParams (§6.11.5). */
export const VendorPrototypeParams = members({
  vendorCommandId: { key: 0x01, type: 'uint', required: true },
});

/**
 * The message an authenticatorConfig pinUvAuthParam authenticates (§6.11 step 4.3):
 * 32×0xff ‖ 0x0d ‖ subCommand ‖ subCommandParams (canonical CBOR, empty when absent).
 */
export function configAuthMessage(subCommand: number, encodedSubCommandParams: Uint8Array): Uint8Array {
  const message = new Uint8Array(32 + 2 + encodedSubCommandParams.length);
  message.fill(0xff, 0, 32);
  message[32] = Ctap2Command.CONFIG;
  message[33] = subCommand;
  message.set(encodedSubCommandParams, 34);
  return message;
}
