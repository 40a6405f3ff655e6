import { buildAuthData, AuthDataFlag } from './auth-data.js';
import type { CborInput, CborMap } from '../../proto/ctap2/canonical-cbor.js';
import type { CommandContext } from './command-context.js';
import { Cose, coseEc2PublicKey } from './cose-key.js';
import { credentialIdsOf } from './credential-descriptor.js';
import { sealCredentialId } from './credential-id.js';
import { CtapStatus, fail } from './ctap-failure.js';
import { deriveMasterKeys } from './master-keys.js';
import { P256Key } from './p256-key.js';
import { answerZeroLengthProbe, protocolFor } from './pin-uv-auth-param.js';
import { Permission } from './pin-uv-auth-token.js';
import {
  arrayField,
  asMap,
  boolField,
  bytesField,
  intField,
  mapField,
  textField,
  uintField,
} from './request-fields.js';
import { encodeResidentCredential, residentStorageKey } from './resident-credential.js';
import { sha256, bytesEqual } from './sha256.js';
import { requireUserPresence } from './user-presence.js';
import { parseUserEntity } from './user-entity.js';
import { verifyUser } from './user-verification.js';

const Param = {
  CLIENT_DATA_HASH: 0x01,
  RP: 0x02,
  USER: 0x03,
  PUB_KEY_CRED_PARAMS: 0x04,
  EXCLUDE_LIST: 0x05,
  EXTENSIONS: 0x06,
  OPTIONS: 0x07,
  PIN_UV_AUTH_PARAM: 0x08,
  PIN_UV_AUTH_PROTOCOL: 0x09,
  ENTERPRISE_ATTESTATION: 0x0a,
} as const;

const WHERE = 'authenticatorMakeCredential';

/** Reads credProtect (§12.1): 1 userVerificationOptional, 2 ...WithCredentialIDList, 3 userVerificationRequired. */
function credProtectInput(extensions: CborMap | undefined): 1 | 2 | 3 | undefined {
  if (extensions === undefined || !extensions.has('credProtect')) return undefined;
  const level = uintField(extensions, 'credProtect', `${WHERE} extensions`, true);
  if (level !== 1 && level !== 2 && level !== 3) {
    fail(CtapStatus.CTAP1_ERR_INVALID_PARAMETER, `credProtect must be 1, 2 or 3; got ${level}`);
  }
  return level;
}

/**
 * authenticatorMakeCredential (CTAP 2.1 §6.1.2), ES256 only, `packed` self attestation. The steps keep the spec's
 * numbering in comments so a reader can hold them against the text.
 */
export async function makeCredential(c: CommandContext, params: CborMap): Promise<CborInput> {
  const clientDataHash = bytesField(params, Param.CLIENT_DATA_HASH, WHERE, true);
  const rp = mapField(params, Param.RP, WHERE, true);
  const rpId = textField(rp, 'id', `${WHERE} rp`, true);
  textField(rp, 'name', `${WHERE} rp`, false);
  textField(rp, 'icon', `${WHERE} rp`, false);
  const user = parseUserEntity(mapField(params, Param.USER, WHERE, true), `${WHERE} user`);
  const pubKeyCredParams = arrayField(params, Param.PUB_KEY_CRED_PARAMS, WHERE, true);
  const excludeList = arrayField(params, Param.EXCLUDE_LIST, WHERE, false);
  const extensions = mapField(params, Param.EXTENSIONS, WHERE, false);
  const options = mapField(params, Param.OPTIONS, WHERE, false);
  const pinUvAuthParam = bytesField(params, Param.PIN_UV_AUTH_PARAM, WHERE, false);
  const protocolVersion = uintField(params, Param.PIN_UV_AUTH_PROTOCOL, WHERE, false);
  const enterpriseAttestation = uintField(params, Param.ENTERPRISE_ATTESTATION, WHERE, false);

  let es256 = false;
  pubKeyCredParams.forEach((entry, index) => {
    const label = `${WHERE} pubKeyCredParams[${index}]`;
    const param = asMap(entry, label);
    const type = textField(param, 'type', label, true);
    const alg = intField(param, 'alg', label, true);
    if (type === 'public-key' && alg === Cose.ALG_ES256) es256 = true;
  });
  const excluded = excludeList === undefined ? [] : credentialIdsOf(excludeList, `${WHERE} excludeList`);
  const credProtect = credProtectInput(extensions);
  const hmacSecretRequested =
    extensions === undefined ? false : (boolField(extensions, 'hmac-secret', `${WHERE} extensions`) ?? false);
  const rk = options === undefined ? false : (boolField(options, 'rk', `${WHERE} options`) ?? false);
  const up = options === undefined ? undefined : boolField(options, 'up', `${WHERE} options`);
  const uv = options === undefined ? false : (boolField(options, 'uv', `${WHERE} options`) ?? false);

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
  if (enterpriseAttestation !== undefined)
    fail(CtapStatus.CTAP1_ERR_INVALID_PARAMETER, 'this band has no enterprise attestation');
  // Step 11.
  const userVerified = verifyUser(c, {
    pinUvAuth: protocol === undefined || pinUvAuthParam === undefined ? undefined : { protocol, param: pinUvAuthParam },
    uvOption: uv,
    clientDataHash,
    rpId,
    permission: Permission.MC,
    where: WHERE,
  });

  const rpIdHash = sha256(rpId);
  // Step 12: credentials that demand UV stay hidden from a request without it.
  for (const id of excluded) {
    const found = c.credentials.find(rpIdHash, id);
    if (found === undefined || (found.credProtect === 3 && !userVerified)) continue;
    // The touch makes probing the exclude list cost the user an interaction; its answer does not matter.
    try {
      await requireUserPresence(c.env, c.device, { purpose: 'makeCredential', rpId });
    } catch (error) {
      if (c.device.signal.aborted) throw error;
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
  const level = credProtect ?? 1;
  const key = P256Key.generate(c.env.random);
  const { master, put: masterPut } = c.store.masterForWrite();
  const credentialId = sealCredentialId(
    deriveMasterKeys(master).credentialWrap,
    rpIdHash,
    { privateKey: key.scalar(), credProtect: level, discoverable: rk },
    c.env.random(12),
  );
  const { value: signCount, put: counterPut } = c.store.nextSignCount();

  const extensionOutputs = new Map<string, CborInput>();
  if (credProtect !== undefined) extensionOutputs.set('credProtect', level);
  if (hmacSecretRequested) extensionOutputs.set('hmac-secret', true);
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
  const sig = key.sign(signed);

  const residentPut: Record<string, Uint8Array> = {};
  if (rk) {
    residentPut[residentStorageKey(rpIdHash, credentialId)] = encodeResidentCredential({
      credentialId,
      rpId,
      user,
      credProtect: level,
      created: signCount,
    });
  }
  // One commit: the master (if new), the counter, the new record and the removal of the record it replaces.
  c.store.commit({ put: { ...masterPut, ...counterPut, ...residentPut }, del: replaced.map((r) => r.storageKey) });

  return new Map<number, CborInput>([
    [1, 'packed'],
    [2, authData],
    [3, { alg: Cose.ALG_ES256, sig }],
  ]);
}
