import type { CborValue } from '../canonical-cbor.js';
import { fail } from '../ctap-failure.js';
import { cborTypeName } from '../members.js';
import { CtapStatus } from '../status.js';
import { ExtensionOutputError, type CredProtectLevel, type Ctap2Extension } from './extension.js';

/**
 * credProtect (CTAP 2.1 §12.1): the RP asks that a credential be used only with user verification (level 3), or
 * without it only when the RP names it in an allowList (level 2). The level is sealed into the credential ID, so
 * non-discoverable credentials keep it too.
 */
export const CRED_PROTECT = 'credProtect';

export const CredProtect = {
  USER_VERIFICATION_OPTIONAL: 1,
  USER_VERIFICATION_OPTIONAL_WITH_CREDENTIAL_ID_LIST: 2,
  USER_VERIFICATION_REQUIRED: 3,
} as const satisfies Record<string, CredProtectLevel>;

export function isCredProtectLevel(value: unknown): value is CredProtectLevel {
  return value === 1 || value === 2 || value === 3;
}

/** §12.1: may a credential of `level` be used by this request? */
export function credProtectAllows(level: CredProtectLevel, userVerified: boolean, viaAllowList: boolean): boolean {
  if (userVerified) return true;
  if (level === CredProtect.USER_VERIFICATION_REQUIRED) return false;
  return level === CredProtect.USER_VERIFICATION_OPTIONAL || viaAllowList;
}

function level(value: CborValue, where: string): CredProtectLevel {
  if (!((typeof value === 'number' || typeof value === 'bigint') && value >= 0))
    fail(
      CtapStatus.CTAP2_ERR_CBOR_UNEXPECTED_TYPE,
      `${where} must be an unsigned integer; got a ${cborTypeName(value)}`,
    );
  if (!isCredProtectLevel(value))
    fail(CtapStatus.CTAP1_ERR_INVALID_PARAMETER, `credProtect must be 1, 2 or 3; got ${value.toString()}`);
  return value;
}

export const credProtect: Ctap2Extension<CredProtectLevel, CredProtectLevel, never, never, never, CredProtectLevel> = {
  id: CRED_PROTECT,
  authenticator: {
    makeCredential: {
      parse: (input, where) => level(input, `${where} "${CRED_PROTECT}"`),
      process(input, ctx) {
        ctx.credential.credProtect = input;
        return input;
      },
    },
  },
  client: {
    name: CRED_PROTECT,
    makeCredential: {
      input: (value) => value,
      output(value) {
        if (!isCredProtectLevel(value)) throw new ExtensionOutputError(`credProtect output must be 1, 2 or 3`);
        return value;
      },
    },
  },
};
