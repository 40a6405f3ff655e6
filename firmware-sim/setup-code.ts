import { timingSafeEqual } from 'node:crypto';
import { randomIndex, type RandomSource } from './random.js';
import { Rules } from './rules.js';

/**
 * Setup codes are read off a small display and typed by hand, so the alphabet leaves out every
 * character that looks like another: 0/O/Q/D, 1/I/L, 2/Z, 5/S, 8/B, 6/G, U/V. 20 characters, 6 of them:
 * 6.4e7 codes, and 3 wrong tries draw a new one.
 */
export const SETUP_CODE_ALPHABET = '34679ACEFHJKMNPRTWXY';

export function newSetupCode(random: RandomSource): string {
  let code = '';
  for (let i = 0; i < Rules.SETUP_CODE_LENGTH; i++)
    code += SETUP_CODE_ALPHABET[randomIndex(random, SETUP_CODE_ALPHABET.length)];
  return code;
}

/** Case-insensitive, constant-time over the expected length. */
export function setupCodeMatches(expected: string, typed: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(typed.toUpperCase(), 'utf8');
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}
