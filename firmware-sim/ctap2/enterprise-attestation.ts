import { decodeCanonical, encodeCanonical } from '../../proto/ctap2/canonical-cbor.js';
import { EnterpriseAttestation } from '../../proto/ctap2/make-credential.js';
import type { FlashStore } from '../flash-store.js';
import type { CommandContext } from './command-context.js';
import { CtapStatus, fail } from './ctap-failure.js';

/**
 * Enterprise attestation (CTAP 2.1 §7.1). The band is capable when it has a hardware identity to attest
 * (`Ctap2Env.deviceId`); it is disabled until authenticatorConfig enableEnterpriseAttestation (§6.11.1), and
 * authenticatorReset disables it again (§6.6). Vendor-facilitated requests (1) are honoured only for the RP IDs the
 * vendor provisioned into the band at manufacture (`provisionEnterpriseRpIds`, `bandsim --enterprise-rp ID`);
 * platform-managed requests (2) always, since the platform's enterprise policy vouches for the RP ID (§7.1.2).
 */

/** Factory data: the vendor-facilitated RP ID list, a canonical CBOR array of text, outside 'fido2/' (no wipe). */
export const ENTERPRISE_RP_IDS_STORE_KEY = 'device/enterprise-rp-ids';

/** How many RP IDs the vendor-facilitated list holds: it is a small table burned into the band. */
export const MAX_ENTERPRISE_RP_IDS = 16;
/** An RP ID is a domain: at most 253 characters (RFC 1035 §2.3.4 as written in text). */
export const MAX_ENTERPRISE_RP_ID_BYTES = 253;

/** Thrown by `provisionEnterpriseRpIds` for a list the band cannot take; the message names the fix. */
export class EnterpriseProvisioningError extends Error {
  override readonly name = 'EnterpriseProvisioningError';
}

/** The vendor-facilitated RP IDs, empty when none were provisioned. */
export function enterpriseRpIds(store: FlashStore): string[] {
  const raw = store.get(ENTERPRISE_RP_IDS_STORE_KEY);
  if (raw === undefined) return [];
  let value: unknown;
  try {
    value = decodeCanonical(raw);
  } catch {
    value = undefined;
  }
  if (!Array.isArray(value) || !value.every((id): id is string => typeof id === 'string'))
    throw new Error(`${ENTERPRISE_RP_IDS_STORE_KEY} is not an array of RP IDs; the band's factory data is corrupt`);
  return value;
}

/**
 * Burns the vendor-facilitated RP ID list into a band, once: the list is factory data, not updateable (§7.1.1).
 * The same list again is a no-op; a different one, or one on a band that already holds a different one, is
 * refused. An empty list provisions nothing.
 */
export function provisionEnterpriseRpIds(store: FlashStore, rpIds: readonly string[]): void {
  if (rpIds.length === 0) return;
  const problem = enterpriseRpIdsProblem(rpIds);
  if (problem !== undefined) throw new EnterpriseProvisioningError(problem);
  const list = [...new Set(rpIds)];
  const current = enterpriseRpIds(store);
  if (current.length > 0) {
    const same = current.length === list.length && current.every((id) => list.includes(id));
    if (same) return;
    throw new EnterpriseProvisioningError(
      `this band's enterprise RP list was provisioned at manufacture (${current.join(', ')}) and cannot change`,
    );
  }
  store.commit({ put: { [ENTERPRISE_RP_IDS_STORE_KEY]: encodeCanonical(list) } });
}

/** What makes a list unfit for the band (too many, or not RP IDs), in words; undefined when it fits. */
export function enterpriseRpIdsProblem(rpIds: readonly string[]): string | undefined {
  const list = [...new Set(rpIds)];
  if (list.length > MAX_ENTERPRISE_RP_IDS)
    return `${list.length} enterprise RP IDs given; the band holds at most ${MAX_ENTERPRISE_RP_IDS}`;
  for (const id of list) {
    const bytes = Buffer.byteLength(id);
    if (bytes === 0 || bytes > MAX_ENTERPRISE_RP_ID_BYTES || /[\s/:]/.test(id))
      return `'${id}' is not an RP ID; give a domain such as login.example.com (1 to ${MAX_ENTERPRISE_RP_ID_BYTES} bytes)`;
  }
  return undefined;
}

/** Whether the band can give enterprise attestation at all (getInfo `ep` present). */
export function enterpriseAttestationCapable(c: CommandContext): boolean {
  return c.env.deviceId !== undefined;
}

/**
 * makeCredential step 9 (§6.1.2): checks the enterpriseAttestation parameter before anything else is asked of the
 * user, and decides whether this request gets an enterprise attestation (the response's epAtt). A vendor-facilitated
 * request for an RP ID not on the band's list gets the ordinary attestation, as the spec says.
 */
export function enterpriseAttestationDecision(
  c: CommandContext,
  requested: number | undefined,
  rpId: string,
  where: string,
): boolean {
  if (requested === undefined) return false;
  if (!enterpriseAttestationCapable(c))
    fail(CtapStatus.CTAP1_ERR_INVALID_PARAMETER, `${where}: this band has no enterprise attestation`);
  if (!c.store.enterpriseAttestation())
    fail(
      CtapStatus.CTAP1_ERR_INVALID_PARAMETER,
      `${where}: enterprise attestation is disabled; enable it with authenticatorConfig enableEnterpriseAttestation`,
    );
  if (requested === EnterpriseAttestation.PLATFORM_MANAGED) return true;
  if (requested === EnterpriseAttestation.VENDOR_FACILITATED) return enterpriseRpIds(c.store).includes(rpId);
  return fail(
    CtapStatus.CTAP2_ERR_INVALID_OPTION,
    `${where}: enterpriseAttestation ${requested} is neither 1 (vendor-facilitated) nor 2 (platform-managed)`,
  );
}
