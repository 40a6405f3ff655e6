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
  return templateWithSalt(finger, newTemplateSalt(random));
}

/** A template's salt, drawn when an enrollment starts: it fixes the template ID before the finger is known. */
export function newTemplateSalt(random: RandomSource): Uint8Array {
  return random.bytes(SALT_BYTES);
}

export function templateWithSalt(finger: string, salt: Uint8Array): Uint8Array {
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
 * The template's ID for authenticatorBioEnrollment (CTAP 2.1 §6.7): 16 bytes of SHA-256 over the template's salt,
 * so it stays the same across reboots, changes with every new enrollment (the salt is fresh each time), and is
 * known from enrollBegin on, before any finger is (`templateIdOf(salt)` equals `templateIdOf(template)`).
 */
export function templateIdOf(templateOrSalt: Uint8Array): Uint8Array {
  const salt = templateOrSalt.subarray(0, SALT_BYTES);
  return new Uint8Array(createHash('sha256').update(DOMAIN).update('template id').update(salt).digest()).slice(0, 16);
}
