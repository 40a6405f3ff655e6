import { DEVICE_ID_BYTES } from '../proto/index.js';
import { FIDO2_PREFIX } from './ctap2/fido2-store.js';
import { FlashCorruptError } from './flash-errors.js';
import type { FlashChanges, FlashStore } from './flash-store.js';
import type { Flash } from './flash.js';
import type { RandomSource } from './random.js';
import { isTemplate } from './template.js';

/**
 * The band's own flash keys. The CTAP2 authenticator keeps everything under 'fido2/'. Delete user data is
 * one commit that removes every key under WIPE_PREFIXES: the user, the FIDO2 state, the failure count
 * (which is also the lockout). The device ID stays: it is the hardware's identity, not the user's.
 */
export const Keys = {
  deviceId: 'device/id',
  template: 'user/template',
  userName: 'user/name',
  label: 'user/label',
  settings: 'user/settings',
  seos: 'user/seos',
  /** Present (one byte, 1) when the wearer was enrolled over CTAP: a local user, not a directory user. */
  local: 'user/local',
  failures: 'auth/failures',
  /**
   * Present (one byte, 1) after removeEnrollment took a local wearer's template over CTAP: their FIDO2 credentials
   * and PIN are still on the band, so the band's own enrollment of a new wearer clears them (and it) in its commit.
   */
  removedWearer: 'auth/removed-wearer',
} as const;

export const WIPE_PREFIXES = ['user/', FIDO2_PREFIX, 'auth/'] as const;
export { FIDO2_PREFIX };

const SETTING_HAPTIC = 0x01;

export interface StoredUser {
  userName: string;
  label: string;
  hapticFeedback: boolean;
  seosProvisioned: boolean;
  /** Enrolled over CTAP (authenticatorBioEnrollment) rather than with the setup code and a directory user name. */
  local: boolean;
}

const text = new TextDecoder('utf-8', { fatal: true });
const utf8 = (s: string) => new TextEncoder().encode(s);

/** The enrolled user, or undefined on a band without user data. A half-present user is damage. */
export function readUser(store: FlashStore, where: string): StoredUser | undefined {
  const present = store.keys('user/');
  if (present.length === 0) return undefined;
  const template = store.get(Keys.template);
  const name = store.get(Keys.userName);
  const label = store.get(Keys.label);
  const settings = store.get(Keys.settings);
  if (!template || !name || !label || !settings) {
    throw new FlashCorruptError(where, `the user data is incomplete (only ${present.join(', ')})`);
  }
  if (!isTemplate(template))
    throw new FlashCorruptError(where, `${Keys.template} has ${template.length} bytes, expected 48`);
  if (settings.length !== 1)
    throw new FlashCorruptError(where, `${Keys.settings} has ${settings.length} bytes, expected 1`);
  try {
    return {
      userName: text.decode(name),
      label: text.decode(label),
      hapticFeedback: (settings[0] & SETTING_HAPTIC) !== 0,
      seosProvisioned: store.get(Keys.seos) !== undefined,
      local: store.get(Keys.local) !== undefined,
    };
  } catch {
    throw new FlashCorruptError(where, 'the user name or label is not UTF-8');
  }
}

export function readFailures(store: FlashStore, where: string): number {
  const raw = store.get(Keys.failures);
  if (raw === undefined) return 0;
  if (raw.length !== 4) throw new FlashCorruptError(where, `${Keys.failures} has ${raw.length} bytes, expected 4`);
  return Buffer.from(raw).readUInt32LE(0);
}

export function failuresChanges(count: number): FlashChanges {
  if (count === 0) return { del: [Keys.failures] };
  const raw = Buffer.alloc(4);
  raw.writeUInt32LE(count);
  return { put: { [Keys.failures]: new Uint8Array(raw) } };
}

export function settingsValue(hapticFeedback: boolean): Uint8Array {
  return Uint8Array.of(hapticFeedback ? SETTING_HAPTIC : 0);
}

/** Everything an enrollment stores, as one commit. */
export function enrollmentChanges(user: {
  template: Uint8Array;
  userName: string;
  label: string;
  hapticFeedback: boolean;
  seosCredential?: Uint8Array;
  /** Enrolled over CTAP: marks the user local (user/local). */
  local?: boolean;
}): FlashChanges {
  const put: Record<string, Uint8Array> = {
    [Keys.template]: user.template,
    [Keys.userName]: utf8(user.userName),
    [Keys.label]: utf8(user.label),
    [Keys.settings]: settingsValue(user.hapticFeedback),
  };
  if (user.seosCredential) put[Keys.seos] = user.seosCredential;
  if (user.local) put[Keys.local] = Uint8Array.of(1);
  // A fresh user starts with no failures; a stale count cannot exist (the wipe removed it) but costs nothing to clear.
  return { put, del: [Keys.failures, Keys.removedWearer] };
}

export function labelChanges(label: string): FlashChanges {
  return { put: { [Keys.label]: utf8(label) } };
}

/**
 * authenticatorBioEnrollment removeEnrollment of a local user, as one commit: the template and the user go, and so
 * does the failure count (a lockout belongs to the template it guarded); the FIDO2 state stays (CTAP 2.1: a
 * template is not a credential, and the PIN still guards the credentials), marked by Keys.removedWearer.
 */
export function removeEnrollmentChanges(): FlashChanges {
  return { delPrefix: ['user/', 'auth/'], put: { [Keys.removedWearer]: Uint8Array.of(1) } };
}

export function wipeChanges(): FlashChanges {
  return { delPrefix: [...WIPE_PREFIXES] };
}

/** The band's device ID; the first power-on of a new band draws it, for good (the wipe keeps it). */
export function deviceIdentity(flash: Flash, random: RandomSource): Uint8Array {
  let id = flash.get(Keys.deviceId);
  if (!id) {
    id = random.bytes(DEVICE_ID_BYTES);
    flash.commit({ put: { [Keys.deviceId]: id } });
  }
  if (id.length !== DEVICE_ID_BYTES)
    throw new FlashCorruptError(flash.location, `${Keys.deviceId} has ${id.length} bytes, expected ${DEVICE_ID_BYTES}`);
  return id;
}
