import { X509Certificate } from 'node:crypto';
import {
  ATTESTATION_CERTIFICATE_OU,
  AttestationCertificateError,
  attestationCertificateFacts,
  ConfigRequest,
  ConfigSubCommand,
  EnterpriseAttestation,
  MakeCredentialResponse,
  PackedAttestationStatement,
  type AttestationCertificateFacts,
} from '../../../proto/ctap2/index.js';
import { encodeMembers } from '../../../proto/ctap2/members.js';
import { CtapError, CtapStatus, Fido2Client, Permission, type PinUvAuthToken } from '../../fido2/index.js';
import {
  concat,
  Ctap,
  ctapRaw,
  makeCredential,
  makeCredentialRequest,
  parseReply,
  request,
  RP_ID,
  Status,
  statusHex,
  verifies,
  withPresence,
  type Credential,
} from '../ctap.js';
import { blankBand, check, enrolledBand, setup, show } from '../support.js';
import type { ConformanceContext, Requirement } from '../types.js';
import { Unmet } from '../verdicts.js';
import { equalBytes, hex } from '../wire.js';

/**
 * The band's attestation as relying parties that enforce it check it: packed with an x5c chain to the model's root
 * (WebAuthn §8.2, §8.2.1), and enterprise attestation naming the band (CTAP 2.1 §7.1).
 */
export const ATTESTATION: Requirement[] = [
  {
    id: 'FIDO2-014',
    title:
      'makeCredential attestation is packed with x5c: a v3 certificate with C, O, OU "Authenticator Attestation", CN, CA false and a non-critical AAGUID extension equal to authData\'s AAGUID; its key signs authData ‖ clientDataHash; each certificate is issued by the next, the last by an --attestation-root when given',
    source: 'WebAuthn §8.2, §8.2.1; CTAP 2.1 §6.1.2',
    needs: ['debug-link', 'erase', 'fido2'],
    async run(ctx) {
      await enrolledBand(ctx);
      checkPackedX5c(ctx, await makeCredential(ctx));
    },
  },
  {
    id: 'FIDO2-015',
    title:
      "a band listing ep in getInfo refuses enterpriseAttestation while disabled (CTAP1_ERR_INVALID_PARAMETER), enables it by authenticatorConfig with an acfg token (ep true), refuses values other than 1 and 2 (CTAP2_ERR_INVALID_OPTION), and answers 2 with epAtt true and an attestation certificate naming the band protocol's device ID; one that does not list ep answers enableEnterpriseAttestation INVALID_COMMAND and the parameter INVALID_PARAMETER",
    source: 'CTAP 2.1 §7.1, §6.1.2 step 9, §6.11.1, §6.4; WebAuthn §8.2.1',
    needs: ['debug-link', 'erase', 'fido2'],
    async run(ctx) {
      const client = new Fido2Client((_command, payload) => ctapRaw(ctx, payload));
      await enrolledBand(ctx);
      try {
        const info = await client.getInfo();
        if (info.options.ep === undefined) {
          const enable = await configStatus(ctx, undefined);
          check(
            enable === CtapStatus.CTAP1_ERR_INVALID_COMMAND,
            'enableEnterpriseAttestation answered CTAP1_ERR_INVALID_COMMAND by a band without ep',
            statusHex(enable),
          );
          const asked = await enterpriseStatus(ctx, EnterpriseAttestation.PLATFORM_MANAGED);
          check(
            asked === Status.INVALID_PARAMETER,
            'enterpriseAttestation answered CTAP1_ERR_INVALID_PARAMETER by a band without ep',
            statusHex(asked),
          );
          return;
        }
        if (info.options.ep === false) {
          const disabled = await enterpriseStatus(ctx, EnterpriseAttestation.PLATFORM_MANAGED);
          check(
            disabled === Status.INVALID_PARAMETER,
            'enterpriseAttestation 2 answered CTAP1_ERR_INVALID_PARAMETER while ep is false',
            statusHex(disabled),
          );
        }
        const token = await setup('get an acfg token (built-in UV, else a new PIN)', () => acfgToken(client));
        const enabled = await configStatus(ctx, token);
        check(
          enabled === CtapStatus.CTAP2_OK,
          'enableEnterpriseAttestation with an acfg token answered CTAP2_OK',
          statusHex(enabled),
        );
        const after = (await client.getInfo()).options.ep;
        check(after === true, 'getInfo ep true after enableEnterpriseAttestation', show(after));
        const three = await enterpriseStatus(ctx, 3);
        check(
          three === Status.INVALID_OPTION,
          'enterpriseAttestation 3 answered CTAP2_ERR_INVALID_OPTION',
          statusHex(three),
        );

        const c = await makeCredential(ctx, RP_ID, EnterpriseAttestation.PLATFORM_MANAGED);
        const epAtt = parseReply(c.raw, 'authenticatorMakeCredential').map?.get(MakeCredentialResponse.epAtt.key);
        check(epAtt === true, 'epAtt (0x04) true for platform-managed enterprise attestation', show(epAtt));
        const facts = checkPackedX5c(ctx, c);
        // This link's band: a rig may give every link a fresh one.
        const { deviceId } = await ctx.band.getInfo();
        check(
          facts.deviceId !== undefined && equalBytes(facts.deviceId, deviceId),
          `an enterprise attestation certificate whose subject serialNumber names device ${hex(deviceId)}`,
          facts.deviceId === undefined ? 'a certificate naming no device' : `device ${hex(facts.deviceId)}`,
        );
      } finally {
        await blankBand(ctx);
      }
    },
  },
];

/** WebAuthn §8.2.1 and the chain; returns what the leaf certificate says. */
function checkPackedX5c(ctx: ConformanceContext, c: Credential): AttestationCertificateFacts {
  check(c.fmt === 'packed', 'attestation format packed', JSON.stringify(c.fmt));
  const x5c = c.attStmt.get(PackedAttestationStatement.x5c.key);
  check(
    Array.isArray(x5c) && x5c.length > 0 && x5c.every((der) => der instanceof Uint8Array),
    'x5c (attestation certificates, leaf first): packed self attestation proves no model, and relying parties that enforce attestation refuse it',
    show(c.attStmt),
  );
  const ders = x5c as Uint8Array[];
  let chain: X509Certificate[];
  let facts: AttestationCertificateFacts;
  try {
    chain = ders.map((der) => new X509Certificate(der));
    facts = attestationCertificateFacts(ders[0]);
  } catch (error) {
    if (error instanceof AttestationCertificateError || error instanceof Error)
      throw new Unmet('DER X.509 certificates in x5c', error.message);
    throw error;
  }
  check(facts.version === 2, 'an X.509 v3 attestation certificate', `version field ${facts.version}`);
  check(
    facts.country.length > 0 && facts.organization.length > 0 && facts.commonName.length > 0,
    'a subject with C, O and CN',
    chain[0].subject.replaceAll('\n', ', '),
  );
  check(
    facts.organizationalUnits.includes(ATTESTATION_CERTIFICATE_OU),
    `subject OU "${ATTESTATION_CERTIFICATE_OU}"`,
    chain[0].subject.replaceAll('\n', ', '),
  );
  check(!facts.ca, 'basicConstraints CA false', 'CA true');
  const aaguid = c.authData.attestedCredentialData!.aaguid;
  check(
    facts.aaguid !== undefined && equalBytes(facts.aaguid, aaguid) && !facts.aaguidCritical,
    `a non-critical id-fido-gen-ce-aaguid extension equal to authData's AAGUID ${hex(aaguid)}`,
    facts.aaguid === undefined
      ? 'no such extension'
      : `${hex(facts.aaguid)}${facts.aaguidCritical ? ' (critical)' : ''}`,
  );
  const sig = c.attStmt.get(PackedAttestationStatement.sig.key);
  check(
    sig instanceof Uint8Array && verifies(chain[0].publicKey, concat(c.authDataBytes, c.clientDataHash), sig),
    "the attestation signature to verify with the leaf certificate's key over authData ‖ clientDataHash",
    'a signature that does not verify',
  );
  for (let i = 0; i + 1 < chain.length; i++)
    check(
      chain[i + 1].ca && chain[i].checkIssued(chain[i + 1]) && chain[i].verify(chain[i + 1].publicKey),
      `x5c[${i}] issued and signed by x5c[${i + 1}]`,
      `x5c[${i}] issuer ${chain[i].issuer.replaceAll('\n', ', ')}`,
    );
  if (ctx.attestationRoots.length > 0) {
    const last = chain[chain.length - 1];
    check(
      ctx.attestationRoots.some(
        (root) => last.raw.equals(root.raw) || (last.checkIssued(root) && last.verify(root.publicKey)),
      ),
      'the chain to end at a given attestation root',
      `issuer ${last.issuer.replaceAll('\n', ', ')}`,
    );
  }
  return facts;
}

/** makeCredential with `value` as enterpriseAttestation: the status byte (the band may ask for a touch first). */
async function enterpriseStatus(ctx: ConformanceContext, value: number): Promise<number> {
  const { payload } = makeCredentialRequest({ enterpriseAttestation: value });
  const raw = await withPresence(ctx, payload);
  return raw[0] ?? -1;
}

/** authenticatorConfig enableEnterpriseAttestation, with a token or without; the status byte. */
async function configStatus(ctx: ConformanceContext, token: PinUvAuthToken | undefined): Promise<number> {
  if (token === undefined) {
    const raw = await ctapRaw(
      ctx,
      request(
        Ctap.CONFIG,
        encodeMembers(ConfigRequest, { subCommand: ConfigSubCommand.ENABLE_ENTERPRISE_ATTESTATION }),
      ),
    );
    return raw[0] ?? -1;
  }
  try {
    await new Fido2Client((_command, payload) => ctapRaw(ctx, payload)).config.enableEnterpriseAttestation(token);
    return CtapStatus.CTAP2_OK;
  } catch (error) {
    if (error instanceof CtapError) return error.status;
    throw error;
  }
}

/** A token with the acfg permission: from built-in UV (a worn, authenticated band), else from a PIN set now. */
async function acfgToken(client: Fido2Client): Promise<PinUvAuthToken> {
  const info = await client.getInfo();
  if (info.options.uv === true) return client.clientPin.getUvToken({ permissions: Permission.AUTHENTICATOR_CONFIG });
  const pin = '2580';
  if (info.options.clientPin !== true) await client.clientPin.setPin(pin);
  return client.clientPin.getPinToken(pin, { permissions: Permission.AUTHENTICATOR_CONFIG });
}
