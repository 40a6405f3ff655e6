import { isDeviceIdHex } from '../../proto/identifiers.js';
import { RelyingPartyError } from './errors.js';
import type { RegisteredCredential } from './relying-party.js';

export const RELYING_PARTY_FILE_FORMAT = 'band-stack/relying-party';
export const RELYING_PARTY_FILE_VERSION = 1;

export interface RelyingPartyUserRecord {
  /** base64url WebAuthn user handle: random, so it carries nothing about the user. */
  handle: string;
  credentials: RegisteredCredential[];
}

/** What a relying party persists. Pending ceremonies are not persisted: after a restart a ceremony starts over. */
export interface RelyingPartyState {
  /** A Map, not an object: a user named `__proto__` must be just another user. */
  users: Map<string, RelyingPartyUserRecord>;
  /**
   * Credential id -> the user it is registered to, for every credential in `users` (not persisted: rebuilt on
   * read). A credential id is unique across the relying party; checking a new one is a lookup, not a scan of every
   * user's credentials.
   */
  owners: Map<string, string>;
}

export function emptyRelyingPartyState(): RelyingPartyState {
  return { users: new Map(), owners: new Map() };
}

export function encodeRelyingPartyState(rpId: string, state: RelyingPartyState): string {
  const doc = {
    format: RELYING_PARTY_FILE_FORMAT,
    version: RELYING_PARTY_FILE_VERSION,
    rpId,
    users: Object.fromEntries(state.users),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * The user handle goes into creation options as stored (`user.id`), so it must be the one spelling of its bytes:
 * unpadded base64url with no stray trailing bits (RFC 4648 §3.5, §5).
 */
function isCanonicalBase64url(text: string): boolean {
  return BASE64URL.test(text) && Buffer.from(text, 'base64url').toString('base64url') === text;
}

export function decodeRelyingPartyState(text: string, path: string, rpId: string): RelyingPartyState {
  const corrupt = (what: string, cause?: unknown) =>
    new RelyingPartyError(
      'CORRUPT',
      `Relying-party file ${path} is unusable: ${what}. It was left untouched; restore it from a backup or move it aside.`,
      { cause },
    );
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (cause) {
    throw corrupt(text.length === 0 ? 'it is empty' : `it is not valid JSON (${(cause as Error).message})`, cause);
  }
  if (!isRecord(doc)) throw corrupt('expected a JSON object at the top level');
  if (doc.format !== RELYING_PARTY_FILE_FORMAT)
    throw corrupt(`expected "format": "${RELYING_PARTY_FILE_FORMAT}", found ${JSON.stringify(doc.format)}`);
  if (doc.version !== RELYING_PARTY_FILE_VERSION)
    throw corrupt(`expected "version": ${RELYING_PARTY_FILE_VERSION}, found ${JSON.stringify(doc.version)}`);
  if (doc.rpId !== rpId)
    throw corrupt(`it belongs to relying party ${JSON.stringify(doc.rpId)}, not ${JSON.stringify(rpId)}`);
  if (!isRecord(doc.users)) throw corrupt('"users" is not an object');

  const owners = new Map<string, string>();
  for (const [name, record] of Object.entries(doc.users)) {
    if (
      !isRecord(record) ||
      typeof record.handle !== 'string' ||
      !isCanonicalBase64url(record.handle) ||
      !Array.isArray(record.credentials)
    )
      throw corrupt(`user ${JSON.stringify(name)} is not { handle, credentials[] }`);
    for (const c of record.credentials as unknown[]) {
      if (
        !isRecord(c) ||
        typeof c.id !== 'string' ||
        !BASE64URL.test(c.id) ||
        c.userName !== name ||
        typeof c.bandSerial !== 'string' ||
        typeof c.publicKey !== 'string' ||
        !BASE64URL.test(c.publicKey) ||
        !Number.isSafeInteger(c.counter) ||
        (c.counter as number) < 0 ||
        !Array.isArray(c.transports) ||
        typeof c.created !== 'string' ||
        (c.lastUsed !== undefined && typeof c.lastUsed !== 'string') ||
        (c.retired !== undefined && typeof c.retired !== 'string') ||
        (c.attestedDeviceId !== undefined && !isDeviceIdHex(c.attestedDeviceId))
      )
        throw corrupt(`a credential of user ${JSON.stringify(name)} is malformed`);
      if (owners.has(c.id)) throw corrupt(`credential ${c.id} appears more than once`);
      owners.set(c.id, name);
    }
  }
  return {
    users: new Map(Object.entries(structuredClone(doc.users) as Record<string, RelyingPartyUserRecord>)),
    owners,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
