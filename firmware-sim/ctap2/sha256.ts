import { hash } from 'node:crypto';

export function sha256(data: Uint8Array | string): Uint8Array {
  return new Uint8Array(hash('sha256', data, 'buffer'));
}
