import { createHash, timingSafeEqual } from 'node:crypto';
import type { RandomSource } from './random.js';

const SALT_BYTES = 16;
const DOMAIN = 'band-stack fingerprint template v1\0';

/**
 * The simulated fingerprint template: a random salt and SHA-256(salt, finger identity). A sensor turns a
 * finger into features that match or not; the simulator's finger is an identity string, and storing only
 * a salted hash of it means neither the flash image nor any reply reveals whose finger it was.
 */
export function makeTemplate(finger: string, random: RandomSource): Uint8Array {
  const salt = random.bytes(SALT_BYTES);
  const out = new Uint8Array(SALT_BYTES + 32);
  out.set(salt);
  out.set(digest(salt, finger), SALT_BYTES);
  return out;
}

export function templateMatches(template: Uint8Array, finger: string): boolean {
  if (template.length !== SALT_BYTES + 32) return false;
  return timingSafeEqual(digest(template.subarray(0, SALT_BYTES), finger), template.subarray(SALT_BYTES));
}

export function isTemplate(bytes: Uint8Array): boolean {
  return bytes.length === SALT_BYTES + 32;
}

function digest(salt: Uint8Array, finger: string): Buffer {
  return createHash('sha256').update(DOMAIN).update(salt).update(finger, 'utf8').digest();
}

/**
 * The template's ID for authenticatorBioEnrollment (CTAP 2.1 §6.7): 16 bytes of SHA-256 over the stored template,
 * so it stays the same across reboots and changes with every new enrollment (the salt is fresh each time).
 */
export function templateIdOf(template: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(DOMAIN).update('template id').update(template).digest()).slice(
    0,
    16,
  );
}
