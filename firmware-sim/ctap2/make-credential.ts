import { isCancelled } from '../band-device.js';
import { attestationIdentity, enterpriseAttestationIdentity } from './attestation.js';
import { enterpriseAttestationDecision } from './enterprise-attestation.js';
import { buildAuthData, AuthDataFlag } from './auth-data.js';
import type { CborInput, CborMap } from '../../proto/ctap2/canonical-cbor.js';
import { CeremonyOptions } from '../../proto/ctap2/get-info.js';
import { MakeCredentialRequest, MakeCredentialResponse } from '../../proto/ctap2/make-credential.js';
import { encodeMembers } from '../../proto/ctap2/members.js';
import { CredProtect } from '../../proto/ctap2/extensions/cred-protect.js';
import { extensionSettings, makeCredentialExtensions } from './extension-processing.js';
import {
  PACKED_ATTESTATION_FORMAT,
  PackedAttestationStatement,
  PUBLIC_KEY_CREDENTIAL_TYPE,
  PublicKeyCredentialParameters,
  RpEntity,
} from '../../proto/ctap2/webauthn-entities.js';
import type { CommandContext } from './command-context.js';
import { Cose } from '../../proto/ctap2/cose.js';
import { coseEc2PublicKey } from './cose-key.js';
import { credentialIdsOf } from './credential-descriptor.js';
import { sealCredentialId } from './credential-id.js';
import { CtapStatus, fail } from './ctap-failure.js';
import { deriveMasterKeys } from './master-keys.js';
import { answerZeroLengthProbe, protocolFor } from './pin-uv-auth-param.js';
import { Permission } from '../../proto/ctap2/client-pin.js';
import { parseRequestMembers } from '../../proto/ctap2/ctap-failure.js';
import { encodeResidentCredential, residentStorageKey } from './resident-credential.js';
import { bytesEqual } from './bytes.js';
import { sha256 } from './sha256.js';
import { requireUserPresence } from './user-presence.js';
import { parseUserEntity } from './user-entity.js';
import { verifyUser } from './user-verification.js';

const WHERE = 'authenticatorMakeCredential';

/**
 * authenticatorMakeCredential (CTAP 2.1 §6.1.2), ES256 only, `packed` attestation: batch (`x5c`) or self, as
 * `Ctap2Config.attestation` says. The steps keep the spec's
 * numbering in comments so a reader can hold them against the text.
 */
export async function makeCredential(c: CommandContext, params: CborMap): Promise<CborInput> {
  const {
    clientDataHash,
    rp: rpMap,
    user: userMap,
    pubKeyCredParams,
    excludeList,
    extensions,
    options: optionsMap,
    pinUvAuthParam,
    pinUvAuthProtocol: protocolVersion,
    enterpriseAttestation,
  } = parseRequestMembers(MakeCredentialRequest, params, WHERE);
  const { id: rpId } = parseRequestMembers(RpEntity, rpMap, `${WHERE} rp`);
  const user = parseUserEntity(userMap, `${WHERE} user`);

  let es256 = false;
  pubKeyCredParams.forEach((entry, index) => {
    const { type, alg } = parseRequestMembers(
      PublicKeyCredentialParameters,
      entry,
      `${WHERE} pubKeyCredParams[${index}]`,
    );
    if (type === PUBLIC_KEY_CREDENTIAL_TYPE && alg === Cose.ALG_ES256) es256 = true;
  });
  const excluded = excludeList === undefined ? [] : credentialIdsOf(excludeList, `${WHERE} excludeList`);
  const options = optionsMap === undefined ? {} : parseRequestMembers(CeremonyOptions, optionsMap, `${WHERE} options`);
  const rk = options.rk ?? false;
  const requestedExtensions = makeCredentialExtensions(extensions, WHERE, { rk });
  const up = options.up;
  // alwaysUv (§6.11.2; §6.1.2 / §6.2.2 step 6): without a pinUvAuthParam the band performs its built-in UV as if
  // the platform had asked for it.
  const uv = (options.uv ?? false) || (pinUvAuthParam === undefined && c.store.alwaysUv());

  // Step 1: a zero-length pinUvAuthParam only asks for a touch.
  if (pinUvAuthParam !== undefined && pinUvAuthParam.length === 0) await answerZeroLengthProbe(c);
  // Step 2.
  const protocol = pinUvAuthParam === undefined ? undefined : protocolFor(protocolVersion, WHERE);
  // Step 3.
  if (!es256)
    fail(
      CtapStatus.CTAP2_ERR_UNSUPPORTED_ALGORITHM,
      'pubKeyCredParams offers no algorithm this band supports; it signs with ES256 (-7) only',
    );
  // A wiped band has no user to vouch for: it makes no credentials until it is enrolled again.
  if (!c.env.userEnrolled())
    fail(
      CtapStatus.CTAP2_ERR_OPERATION_DENIED,
      'the band holds no enrolled user; enroll it before creating credentials',
    );
  // Step 5: "up" may only be true for makeCredential.
  if (up === false)
    fail(
      CtapStatus.CTAP2_ERR_INVALID_OPTION,
      'makeCredential always needs user presence; the "up" option must not be false',
    );
  // Step 7 (makeCredUvNotRqd is true): a discoverable credential needs some form of user verification. While a user
  // is enrolled the band always has built-in UV, so it is always "protected by some form of user verification".
  if (rk && pinUvAuthParam === undefined && !uv) {
    fail(
      CtapStatus.CTAP2_ERR_PUAT_REQUIRED,
      'a discoverable credential (rk) needs user verification: send uv or a pinUvAuthParam',
    );
  }
  // Step 9.
  const epAtt = enterpriseAttestationDecision(c, enterpriseAttestation, rpId, WHERE);
  // Step 11.
  const userVerified = verifyUser(c, {
    pinUvAuth: protocol === undefined || pinUvAuthParam === undefined ? undefined : { protocol, param: pinUvAuthParam },
    uvOption: uv,
    clientDataHash,
    rpId,
    permission: Permission.MAKE_CREDENTIAL,
    where: WHERE,
  });

  const rpIdHash = sha256(rpId);
  // Step 12: credentials that demand UV stay hidden from a request without it.
  for (const id of excluded) {
    const found = c.credentials.find(rpIdHash, id);
    if (found === undefined || (found.credProtect === CredProtect.USER_VERIFICATION_REQUIRED && !userVerified))
      continue;
    // The touch makes probing the exclude list cost the user an interaction; its answer does not matter.
    try {
      await requireUserPresence(c.env, c.device, { purpose: 'makeCredential', rpId });
    } catch (error) {
      if (isCancelled(c.device)) throw error;
    }
    fail(
      CtapStatus.CTAP2_ERR_CREDENTIAL_EXCLUDED,
      `a credential in excludeList already exists on this band for ${rpId}`,
    );
  }

  // Step 17.2 / 17.4, checked before the touch so the user is not asked for a credential that cannot be stored.
  const replaced = rk ? c.credentials.residentForRp(rpIdHash).filter((r) => bytesEqual(r.user.id, user.id)) : [];
  if (rk && c.credentials.allResident().length - replaced.length >= c.config.maxResidentCredentials) {
    fail(
      CtapStatus.CTAP2_ERR_KEY_STORE_FULL,
      `the band holds ${c.config.maxResidentCredentials} discoverable credentials already; delete some with credentialManagement`,
    );
  }

  // Step 14.
  await requireUserPresence(c.env, c.device, { purpose: 'makeCredential', rpId });
  c.volatile.token.consumeAfterUserPresence();

  // Steps 15-19.
  const {
    credential: kept,
    outputs: extensionOutputs,
    response: extensionResponse,
  } = requestedExtensions.process({
    rpId,
    discoverable: rk,
    userVerified,
    settings: extensionSettings(c),
    random: (n) => c.env.random(n),
  });
  const key = c.credentials.generateKey((n) => c.env.random(n));
  const { master, put: masterPut } = c.store.masterForWrite();
  const credentialId = sealCredentialId(
    deriveMasterKeys(master).credentialWrap,
    rpIdHash,
    { privateKey: key.scalar(), credProtect: kept.credProtect, discoverable: rk },
    c.env.random(12),
  );
  const { value: signCount, put: counterPut } = c.store.nextSignCount();

  const authData = buildAuthData({
    rpIdHash,
    flags: AuthDataFlag.UP | (userVerified ? AuthDataFlag.UV : 0),
    signCount,
    attested: { aaguid: c.config.aaguid, credentialId, publicKey: coseEc2PublicKey(key, Cose.ALG_ES256) },
    extensions: extensionOutputs,
  });
  const signed = new Uint8Array(authData.length + clientDataHash.length);
  signed.set(authData, 0);
  signed.set(clientDataHash, authData.length);
  // Enterprise (§7.1): the enterprise key signs, its certificate naming the band goes along, whatever the mode.
  // Batch: the attestation key signs and its certificate goes along; self: the new credential's key signs.
  const deviceId = c.env.deviceId?.();
  const batch =
    epAtt && deviceId !== undefined
      ? enterpriseAttestationIdentity(c, deviceId)
      : c.config.attestation === 'batch'
        ? attestationIdentity(c)
        : undefined;
  const sig = (batch?.identity.key ?? key).sign(signed);

  const residentPut: Record<string, Uint8Array> = {};
  if (rk) {
    residentPut[residentStorageKey(rpIdHash, credentialId)] = encodeResidentCredential({
      credentialId,
      rpId,
      user,
      credProtect: kept.credProtect,
      extensions: kept.stored,
      created: signCount,
    });
  }
  // One commit: the master (if new), the attestation identity (batch or enterprise, if new), the counter, the new record and the removal of the record it replaces.
  c.store.commit({
    put: { ...masterPut, ...counterPut, ...residentPut, ...batch?.put },
    del: replaced.map((r) => r.storageKey),
  });

  return encodeMembers(MakeCredentialResponse, {
    fmt: PACKED_ATTESTATION_FORMAT,
    authData,
    attStmt: encodeMembers(PackedAttestationStatement, {
      alg: Cose.ALG_ES256,
      sig,
      ...(batch === undefined ? {} : { x5c: [batch.identity.certificate] }),
    }),
    largeBlobKey: extensionResponse.largeBlobKey,
    ...(epAtt ? { epAtt: true } : {}),
  });
}
