import { createPublicKey, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { Command } from '../../../transport/index.js';
import {
  awaitConfirm,
  concat,
  Ctap,
  ctapRaw,
  getAssertion,
  getAssertionRequest,
  makeCredential,
  makeCredentialRequest,
  parseReply,
  request,
  RP_ID,
  sha256,
  startCtap,
  Status,
  statusHex,
  verifies,
  withPresence,
} from '../ctap.js';
import {
  AuthenticatorGetInfoResponse,
  MakeCredentialRequest,
  MakeCredentialResponse,
  Cose,
  PackedAttestationStatement,
  PUBLIC_KEY_CREDENTIAL_TYPE,
  PublicKeyCredentialParameters,
} from '../../../proto/ctap2/index.js';
import { authenticateByHand, blankBand, check, enrolledBand, setup, show, waitScreen } from '../support.js';
import {
  BioEnrollmentRequest,
  BioEnrollmentResponse,
  BioEnrollmentSubCommand,
  BioEnrollmentSubCommandParams,
  BioModality,
  EnrollSampleStatus,
  enrollSampleStatusName,
  TemplateInfo,
} from '../../../proto/ctap2/bio-enrollment.js';
import { CeremonyOptions } from '../../../proto/ctap2/get-info.js';
import { decodeMembers } from '../../../proto/ctap2/members.js';
import { KeepaliveStatus } from '../../../transport/index.js';
import type { PinUvAuthToken } from '../../fido2/index.js';
import {
  CtapError,
  CtapStatus,
  decodeCanonical,
  encodeCanonical,
  Fido2Client,
  parseAuthenticatorData,
  Permission,
  type CborInput,
  type CborMap,
} from '../../fido2/index.js';
import type { CborKey } from '../../../proto/ctap2/canonical-cbor.js';
import { ConfigRequest, ConfigSubCommand } from '../../../proto/ctap2/config.js';
import {
  CredentialManagementRequest,
  CredentialManagementResponse,
  CredentialManagementSubCommand,
  CredentialManagementSubCommandParams,
} from '../../../proto/ctap2/credential-management.js';
import {
  INITIAL_SERIALIZED_LARGE_BLOB_ARRAY,
  largeBlobsAuthMessage,
  LargeBlobsRequest,
  LargeBlobsResponse,
  serializeLargeBlobArray,
} from '../../../proto/ctap2/large-blobs.js';
import { encodeMembers, type Encodable } from '../../../proto/ctap2/members.js';
import { Unmet } from '../verdicts.js';
import type { ConformanceContext, Requirement } from '../types.js';
import {
  decodeResponseApdu,
  encodeCommandApdu,
  REGISTER_RESERVED_BYTE,
  StatusWord,
  U2F_VERSION,
  U2fControl,
  U2fIns,
} from '../../../proto/ctap1.js';
import { equalBytes, hex } from '../wire.js';

const MC = 'CTAP 2.1 §6.1';
const GA = 'CTAP 2.1 §6.2';

export const FIDO2: Requirement[] = [
  {
    id: 'FIDO2-001',
    title:
      'authenticatorGetInfo is canonical CBOR with versions (FIDO_2_x), a 16-byte aaguid, boolean options, ES256 among algorithms',
    source: 'CTAP 2.1 §6.4; CTAP 2.1 §8',
    needs: ['fido2'],
    async run(ctx) {
      const reply = parseReply(await ctapRaw(ctx, request(Ctap.GET_INFO)), 'authenticatorGetInfo');
      check(
        reply.status === Status.OK && reply.map !== undefined,
        'CTAP2_OK and a response map',
        `status ${statusHex(reply.status)}`,
      );
      const map = reply.map;
      const versions = map.get(AuthenticatorGetInfoResponse.versions.key);
      check(
        Array.isArray(versions) && versions.some((v) => v === 'FIDO_2_0' || v === 'FIDO_2_1'),
        'versions (0x01) with FIDO_2_0 or FIDO_2_1',
        show(versions),
      );
      const aaguid = map.get(AuthenticatorGetInfoResponse.aaguid.key);
      check(aaguid instanceof Uint8Array && aaguid.length === 16, 'a 16-byte aaguid (0x03)', show(aaguid));
      const options = map.get(AuthenticatorGetInfoResponse.options.key);
      if (options !== undefined) {
        check(
          options instanceof Map && [...options].every(([k, v]) => typeof k === 'string' && typeof v === 'boolean'),
          'options (0x04) mapping text to booleans',
          show(options),
        );
      }
      const maxMsgSize = map.get(AuthenticatorGetInfoResponse.maxMsgSize.key);
      if (maxMsgSize !== undefined)
        check(
          typeof maxMsgSize === 'number' && maxMsgSize >= 1024,
          'maxMsgSize (0x05) of at least 1024',
          show(maxMsgSize),
        );
      const protocols = map.get(AuthenticatorGetInfoResponse.pinUvAuthProtocols.key);
      if (protocols !== undefined)
        check(
          Array.isArray(protocols) && protocols.length > 0 && protocols.every((p) => p === 1 || p === 2),
          'pinUvAuthProtocols (0x06) from {1, 2}',
          show(protocols),
        );
      const algorithms = map.get(AuthenticatorGetInfoResponse.algorithms.key);
      if (algorithms !== undefined) {
        const es256 =
          Array.isArray(algorithms) &&
          algorithms.some(
            (a) =>
              a instanceof Map &&
              a.get(PublicKeyCredentialParameters.type.key) === PUBLIC_KEY_CREDENTIAL_TYPE &&
              a.get(PublicKeyCredentialParameters.alg.key) === Cose.ALG_ES256,
          );
        check(es256, 'ES256 (public-key, -7) among algorithms (0x0a)', show(algorithms));
      }
    },
  },
  {
    id: 'FIDO2-002',
    title: 'malformed CBOR parameters are answered CTAP2_ERR_INVALID_CBOR (0x12)',
    source: 'CTAP 2.1 §8; CTAP 2.1 §8.2',
    needs: ['fido2'],
    async run(ctx) {
      const cases: [string, Uint8Array][] = [
        ['a map of 1 entry with its value missing', Uint8Array.of(Ctap.MAKE_CREDENTIAL, 0xa1, 0x01)],
        [
          'a byte string claiming 32 bytes, 2 there',
          Uint8Array.of(Ctap.GET_ASSERTION, 0xa1, 0x02, 0x58, 0x20, 0x00, 0x00),
        ],
        ['a reserved additional-information value (0x1c)', Uint8Array.of(Ctap.MAKE_CREDENTIAL, 0xbc)],
      ];
      for (const [what, payload] of cases) {
        const raw = await ctapRaw(ctx, payload);
        check(
          raw.length === 1 && raw[0] === Status.INVALID_CBOR,
          `CTAP2_ERR_INVALID_CBOR for ${what}`,
          raw.length === 0 ? 'an empty reply' : `status ${statusHex(raw[0])} (${raw.length} bytes)`,
        );
      }
    },
  },
  {
    id: 'FIDO2-003',
    title: 'an unknown CTAP command is answered CTAP1_ERR_INVALID_COMMAND (0x01)',
    source: 'CTAP 2.1 §6; CTAP 2.1 §8.2',
    needs: ['fido2'],
    async run(ctx) {
      for (const command of [0x20, 0x3f]) {
        const raw = await ctapRaw(ctx, Uint8Array.of(command));
        check(
          raw.length === 1 && raw[0] === Status.INVALID_COMMAND,
          `CTAP1_ERR_INVALID_COMMAND for command 0x${command.toString(16)}`,
          `status ${statusHex(raw[0] ?? 0)} (${raw.length} bytes)`,
        );
      }
    },
  },
  {
    id: 'FIDO2-004',
    title:
      "makeCredential: authData for the RP with UP and attested data, the band's AAGUID, a P-256 COSE key, a verifying packed signature",
    source: `${MC}; WebAuthn §6.1, §8.2`,
    needs: ['debug-link', 'erase', 'fido2'],
    async run(ctx) {
      await enrolledBand(ctx);
      const info = parseReply(await ctapRaw(ctx, request(Ctap.GET_INFO)), 'authenticatorGetInfo').map!;
      const c = await makeCredential(ctx);
      check(equalBytes(c.authData.rpIdHash, sha256(RP_ID)), `rpIdHash = SHA-256(${RP_ID})`, hex(c.authData.rpIdHash));
      check(c.authData.flags.userPresent, 'the UP flag', `flags 0x${c.authData.flags.raw.toString(16)}`);
      const aaguid = info.get(AuthenticatorGetInfoResponse.aaguid.key) as Uint8Array;
      check(
        equalBytes(c.authData.attestedCredentialData!.aaguid, aaguid),
        `the getInfo AAGUID ${hex(aaguid)}`,
        hex(c.authData.attestedCredentialData!.aaguid),
      );
      check(
        c.credentialId.length >= 16 && c.credentialId.length <= 1023,
        'a credential id of 16..1023 bytes',
        `${c.credentialId.length} bytes`,
      );
      check(c.fmt === 'packed' || c.fmt === 'none', 'attestation format packed or none', JSON.stringify(c.fmt));
      if (c.fmt === 'packed') {
        const sig = c.attStmt.get(PackedAttestationStatement.sig.key);
        check(
          c.attStmt.get(PackedAttestationStatement.alg.key) === Cose.ALG_ES256 && sig instanceof Uint8Array,
          'attStmt {alg: -7, sig}',
          show(c.attStmt),
        );
        const x5c = c.attStmt.get(PackedAttestationStatement.x5c.key);
        if (x5c === undefined) {
          check(
            verifies(c.publicKey, concat(c.authDataBytes, c.clientDataHash), sig),
            'the self-attestation signature to verify with the credential key over authData ‖ clientDataHash',
            'a signature that does not verify',
          );
        } else {
          // Basic attestation (WebAuthn §8.2): the first x5c certificate's key signs; §8.2.1 shapes that certificate.
          let leaf: X509Certificate | undefined;
          try {
            if (Array.isArray(x5c) && x5c[0] instanceof Uint8Array) leaf = new X509Certificate(x5c[0]);
          } catch {
            leaf = undefined;
          }
          check(leaf !== undefined, 'x5c: an array starting with a DER X.509 certificate', show(c.attStmt));
          check(
            leaf.ca === false && /(^|\n)OU=Authenticator Attestation(\n|$)/.test(leaf.subject),
            'an attestation certificate with CA false and OU "Authenticator Attestation" (WebAuthn §8.2.1)',
            leaf.subject.replaceAll('\n', ', '),
          );
          check(
            verifies(leaf.publicKey, concat(c.authDataBytes, c.clientDataHash), sig),
            'the attestation signature to verify with the x5c certificate key over authData ‖ clientDataHash',
            'a signature that does not verify',
          );
        }
      }
    },
  },
  {
    id: 'FIDO2-005',
    title:
      'getAssertion: the signature over authData ‖ clientDataHash verifies with the credential COSE key (node:crypto)',
    source: `${GA}; WebAuthn §6.3.3`,
    needs: ['debug-link', 'erase', 'fido2'],
    async run(ctx) {
      await enrolledBand(ctx);
      const c = await makeCredential(ctx);
      const a = await getAssertion(ctx, c.credentialId);
      check(equalBytes(a.authData.rpIdHash, sha256(RP_ID)), `rpIdHash = SHA-256(${RP_ID})`, hex(a.authData.rpIdHash));
      check(a.authData.flags.userPresent, 'the UP flag', `flags 0x${a.authData.flags.raw.toString(16)}`);
      if (a.credentialId)
        check(equalBytes(a.credentialId, c.credentialId), 'the credential id that was asked for', hex(a.credentialId));
      check(
        verifies(c.publicKey, concat(a.authDataBytes, a.clientDataHash), a.signature),
        'the assertion signature to verify with the credential key',
        'a signature that does not verify',
      );
      const forged = new Uint8Array(a.clientDataHash);
      forged[0] ^= 1;
      check(
        !verifies(c.publicKey, concat(a.authDataBytes, forged), a.signature),
        'the signature to be bound to the clientDataHash',
        'it verifies over another hash too',
      );
    },
  },
  {
    id: 'FIDO2-006',
    title: 'the signature counter increases with every assertion',
    source: `${GA}; WebAuthn §6.1.1`,
    needs: ['debug-link', 'erase', 'fido2'],
    async run(ctx) {
      await enrolledBand(ctx);
      const c = await makeCredential(ctx);
      let previous = c.authData.signCount;
      for (let i = 1; i <= 3; i++) {
        const a = await getAssertion(ctx, c.credentialId);
        check(
          a.authData.signCount > previous,
          `assertion ${i}: a signCount above ${previous}`,
          String(a.authData.signCount),
        );
        previous = a.authData.signCount;
      }
    },
  },
  {
    id: 'FIDO2-007',
    title: 'makeCredential and getAssertion responses are canonical CTAP2 CBOR: they re-encode to the same bytes',
    source: 'CTAP 2.1 §8',
    needs: ['debug-link', 'erase', 'fido2'],
    async run(ctx) {
      await enrolledBand(ctx);
      // parseReply decodes strictly and re-encodes; makeCredential and getAssertion go through it.
      const c = await makeCredential(ctx);
      await getAssertion(ctx, c.credentialId);
      const bare = await withPresence(ctx, makeCredentialRequest().payload);
      parseReply(bare, 'authenticatorMakeCredential');
    },
  },
  {
    id: 'FIDO2-008',
    title:
      'a request waiting for the user sends KEEPALIVE UPNEEDED (2); CANCEL ends it with CTAP2_ERR_KEEPALIVE_CANCEL (0x2d)',
    source: 'CTAP 2.1 §11.2.9 CTAPHID_KEEPALIVE, CTAPHID_CANCEL; docs/band.md §FIDO2 and user presence',
    needs: ['debug-link', 'erase', 'fido2'],
    async run(ctx) {
      await enrolledBand(ctx);
      const after = ctx.units.length;
      const pending = startCtap(ctx, makeCredentialRequest().payload, { timeoutMs: 20_000 });
      await awaitConfirm(ctx, pending, 'makeCredential');
      await ctx.band.debug.advanceClock(300);
      const keepalives = await ctx.units.waitFor((u) => u.command === Command.KEEPALIVE && u.payload[0] === 2, {
        after,
        timeoutMs: 1_000,
        what: 'KEEPALIVE with status UPNEEDED (2) while CONFIRM is shown',
        signal: ctx.signal,
      });
      check(
        keepalives.item.payload.length === 1,
        'a 1-byte KEEPALIVE payload',
        `${keepalives.item.payload.length} bytes`,
      );
      await ctx.transport.send({ command: Command.CANCEL, payload: new Uint8Array(0) });
      const raw = await pending.reply;
      check(
        raw.length === 1 && raw[0] === Status.KEEPALIVE_CANCEL,
        'CTAP2_ERR_KEEPALIVE_CANCEL after CANCEL',
        `status ${statusHex(raw[0] ?? 0)} (${raw.length} bytes)`,
      );
      const reading = await ctx.band.debug.readScreen();
      check(reading.screen !== 'SCREEN_CONFIRM', 'CONFIRM gone after the cancel', reading.screen);
    },
  },
  {
    id: 'FIDO2-009',
    title: 'getAssertion naming only a credential the band never made is answered CTAP2_ERR_NO_CREDENTIALS (0x2e)',
    source: GA,
    needs: ['debug-link', 'erase', 'fido2'],
    async run(ctx) {
      await enrolledBand(ctx);
      const unknown = new Uint8Array(randomBytes(63));
      unknown[0] = 0x01;
      const raw = await withPresence(ctx, getAssertionRequest(unknown).payload);
      check(
        raw.length >= 1 && raw[0] === Status.NO_CREDENTIALS,
        'CTAP2_ERR_NO_CREDENTIALS for an unknown credential id',
        `status ${statusHex(raw[0] ?? 0)}`,
      );
    },
  },
  {
    id: 'FIDO2-010',
    title:
      'a band listing U2F_V2 in getInfo answers CTAP1/U2F on MSG: VERSION, REGISTER signed by its attestation certificate, AUTHENTICATE (check-only and signed); one that does not answers MSG ERROR INVALID_CMD',
    source: 'CTAP 2.1 §10, §11.2.9.1.1; FIDO U2F Raw Message Formats §4, §5',
    needs: ['debug-link', 'erase', 'fido2'],
    async run(ctx) {
      const info = parseReply(await ctapRaw(ctx, request(Ctap.GET_INFO)), 'authenticatorGetInfo');
      const versions = info.map?.get(AuthenticatorGetInfoResponse.versions.key);
      if (!Array.isArray(versions) || !versions.includes(U2F_VERSION)) {
        const reply = await u2fRaw(
          ctx,
          encodeCommandApdu({ cla: 0, ins: U2fIns.VERSION, p1: 0, p2: 0, data: new Uint8Array(0) }),
        );
        check(
          reply === 'error',
          'MSG answered ERROR INVALID_CMD by a band without U2F_V2 in getInfo versions',
          'a MSG reply',
        );
        return;
      }
      await enrolledBand(ctx);
      const version = await u2f(ctx, U2fIns.VERSION, 0, new Uint8Array(0));
      check(
        version.status === StatusWord.NO_ERROR && Buffer.from(version.data).toString() === U2F_VERSION,
        `VERSION answered "${U2F_VERSION}" 9000`,
        `${Buffer.from(version.data).toString()} ${version.status.toString(16)}`,
      );
      const challenge = new Uint8Array(randomBytes(32));
      const application = sha256(RP_ID);
      const registered = await u2fWithPresence(ctx, U2fIns.REGISTER, 0, concat(challenge, application));
      check(registered.status === StatusWord.NO_ERROR, 'REGISTER answered 9000', registered.status.toString(16));
      const r = registered.data;
      check(
        r[0] === REGISTER_RESERVED_BYTE && r.length > 67 + r[66],
        'a registration: 0x05, key, key handle, certificate, signature',
        hex(r, 16),
      );
      const publicKey = r.subarray(1, 66);
      const keyHandle = r.subarray(67, 67 + r[66]);
      const rest = r.subarray(67 + r[66]);
      const certLength =
        rest[1] === 0x82 ? 4 + ((rest[2] << 8) | rest[3]) : rest[1] === 0x81 ? 3 + rest[2] : 2 + rest[1];
      const certificate = rest.subarray(0, certLength);
      let attestationKey;
      try {
        attestationKey = new X509Certificate(certificate).publicKey;
      } catch (error) {
        throw new Unmet('an X.509 attestation certificate in the registration', String(error));
      }
      check(
        verifies(
          attestationKey,
          concat(Uint8Array.of(0), application, challenge, keyHandle, publicKey),
          rest.subarray(certLength),
        ),
        'the registration signature verifies with the attestation certificate',
        'it does not',
      );
      const authData = concat(challenge, application, Uint8Array.of(keyHandle.length), keyHandle);
      const probe = await u2f(ctx, U2fIns.AUTHENTICATE, U2fControl.CHECK_ONLY, authData);
      check(
        probe.status === StatusWord.CONDITIONS_NOT_SATISFIED,
        'check-only of its own key handle answered 6985',
        probe.status.toString(16),
      );
      const signed = await u2fWithPresence(
        ctx,
        U2fIns.AUTHENTICATE,
        U2fControl.ENFORCE_USER_PRESENCE_AND_SIGN,
        authData,
      );
      check(signed.status === StatusWord.NO_ERROR, 'AUTHENTICATE answered 9000', signed.status.toString(16));
      check(
        verifies(
          spkiOfPoint(publicKey),
          concat(application, signed.data.subarray(0, 5), challenge),
          signed.data.subarray(5),
        ),
        'the authentication signature verifies with the registered key',
        'it does not',
      );
    },
  },
  {
    id: 'FIDO2-011',
    title:
      'a band listing authnrCfg in getInfo refuses authenticatorConfig without a pinUvAuthParam from an acfg token once a PIN is set, and setMinPINLength raises getInfo minPINLength and forces a too-short PIN to change; one that does not answers INVALID_COMMAND',
    source: 'CTAP 2.1 §6.11, §6.11.4, §6.4',
    needs: ['debug-link', 'erase', 'fido2'],
    async run(ctx) {
      const client = new Fido2Client((_command, payload) => ctapRaw(ctx, payload));
      const before = await client.getInfo();
      if (before.options.authnrCfg !== true) {
        await checkUnsupported(
          ctx,
          request(Ctap.CONFIG, encodeMembers(ConfigRequest, { subCommand: ConfigSubCommand.TOGGLE_ALWAYS_UV })),
          'authenticatorConfig',
          'authnrCfg',
        );
        return;
      }
      await enrolledBand(ctx);
      try {
        const pin = '2580';
        await setup('set a 4-digit PIN', () => client.clientPin.setPin(pin));
        const minimum = (await client.getInfo()).minPinLength ?? 4;
        const refused = await ctapStatusOf(client.config.setMinPinLength(undefined, { newMinPinLength: minimum + 2 }));
        check(
          refused === CtapStatus.CTAP2_ERR_PUAT_REQUIRED,
          'setMinPINLength without pinUvAuthParam answered CTAP2_ERR_PUAT_REQUIRED',
          statusHex(refused),
        );
        const cm = await client.clientPin.getPinToken(pin, { permissions: Permission.CREDENTIAL_MANAGEMENT });
        const wrongPermission = await ctapStatusOf(client.config.setMinPinLength(cm, { newMinPinLength: minimum + 2 }));
        check(
          wrongPermission === CtapStatus.CTAP2_ERR_PIN_AUTH_INVALID,
          'setMinPINLength with a token lacking acfg answered CTAP2_ERR_PIN_AUTH_INVALID',
          statusHex(wrongPermission),
        );
        check(
          (await client.getInfo()).minPinLength === minimum,
          `minPINLength still ${minimum} after the refusals`,
          String((await client.getInfo()).minPinLength),
        );
        const acfg = await client.clientPin.getPinToken(pin, { permissions: Permission.AUTHENTICATOR_CONFIG });
        const accepted = await ctapStatusOf(client.config.setMinPinLength(acfg, { newMinPinLength: minimum + 2 }));
        check(
          accepted === CtapStatus.CTAP2_OK,
          'setMinPINLength with an acfg token answered CTAP2_OK',
          statusHex(accepted),
        );
        const after = await client.getInfo();
        check(
          after.minPinLength === minimum + 2 && after.forcePinChange === true,
          `getInfo minPINLength ${minimum + 2} and forcePINChange true (the PIN is now too short)`,
          `minPINLength ${after.minPinLength}, forcePINChange ${after.forcePinChange}`,
        );
      } finally {
        await blankBand(ctx);
      }
    },
  },
  {
    id: 'FIDO2-012',
    title:
      'a band listing largeBlobs in getInfo serves the serialized large-blob array: the initial array, writes only with an lbw pinUvAuthParam once a PIN is set, INTEGRITY_FAILURE for a bad final hash (old array kept), a fragmented write read back in fragments; largeBlobKey gives a discoverable credential a 32-byte key getAssertion and enumerateCredentials return; one that does not answers INVALID_COMMAND',
    source: 'CTAP 2.1 §6.10, §12.3, §6.8.3, §6.4',
    needs: ['debug-link', 'erase', 'fido2'],
    async run(ctx) {
      const client = new Fido2Client((_command, payload) => ctapRaw(ctx, payload));
      const blobs = async (params: Encodable<typeof LargeBlobsRequest>) =>
        parseReply(
          await ctapRaw(ctx, request(Ctap.LARGE_BLOBS, encodeMembers(LargeBlobsRequest, params))),
          'authenticatorLargeBlobs',
        );
      const before = await client.getInfo();
      if (before.options.largeBlobs !== true) {
        await checkUnsupported(
          ctx,
          request(Ctap.LARGE_BLOBS, encodeMembers(LargeBlobsRequest, { get: 16, offset: 0 })),
          'authenticatorLargeBlobs',
          'largeBlobs',
        );
        return;
      }
      const maxArray = before.maxSerializedLargeBlobArray ?? 0;
      check(maxArray >= 1024, 'getInfo maxSerializedLargeBlobArray of at least 1024', String(maxArray));
      check(
        before.extensions.includes('largeBlobKey'),
        'the largeBlobKey extension in getInfo',
        before.extensions.join(', '),
      );
      await enrolledBand(ctx);
      try {
        const pin = '2580';
        await setup('set a 4-digit PIN', () => client.clientPin.setPin(pin));
        // Reads, in fragments of `size` bytes at increasing offsets, until a short one.
        const readAll = async (size: number) => {
          const parts: Uint8Array[] = [];
          for (let offset = 0; ;) {
            const reply = await blobs({ get: size, offset });
            check(
              reply.status === CtapStatus.CTAP2_OK,
              `get at offset ${offset} answered CTAP2_OK`,
              statusHex(reply.status),
            );
            const config = reply.map?.get(LargeBlobsResponse.config.key);
            check(config instanceof Uint8Array, 'a config byte string (member 0x01)', show(config));
            parts.push(config);
            offset += config.length;
            if (config.length < size || offset > maxArray) break;
          }
          return Uint8Array.from(parts.flatMap((part) => [...part]));
        };
        const initial = await readAll(1024);
        check(
          equalBytes(initial, INITIAL_SERIALIZED_LARGE_BLOB_ARRAY),
          `the initial array ${hex(INITIAL_SERIALIZED_LARGE_BLOB_ARRAY)} (empty CBOR array and its truncated SHA-256)`,
          hex(initial, 40),
        );
        const entries = [new Uint8Array(400).fill(0x5a), 'conformance', new Uint8Array(150).fill(0xa5)];
        const serialized = serializeLargeBlobArray(encodeCanonical(entries));
        const unauthorised = await blobs({ set: serialized, offset: 0, length: serialized.length });
        check(
          unauthorised.status === CtapStatus.CTAP2_ERR_PUAT_REQUIRED,
          'a set without pinUvAuthParam answered CTAP2_ERR_PUAT_REQUIRED',
          statusHex(unauthorised.status),
        );
        const lbw = await client.clientPin.getPinToken(pin, { permissions: Permission.LARGE_BLOB_WRITE });
        const write = async (array: Uint8Array, size: number) => {
          let status: number = CtapStatus.CTAP2_OK;
          for (let offset = 0; offset < array.length && status === CtapStatus.CTAP2_OK; offset += size) {
            const set = array.subarray(offset, offset + size);
            status = (
              await blobs({
                set,
                offset,
                length: offset === 0 ? array.length : undefined,
                pinUvAuthParam: lbw.authenticate(largeBlobsAuthMessage(offset, set)),
                pinUvAuthProtocol: lbw.protocol.version,
              })
            ).status;
          }
          return status;
        };
        const corrupt = new Uint8Array(serialized);
        corrupt[corrupt.length - 1] ^= 0x01;
        const integrity = await write(corrupt, 200);
        check(
          integrity === CtapStatus.CTAP2_ERR_INTEGRITY_FAILURE,
          'a final fragment whose hash fails answered CTAP2_ERR_INTEGRITY_FAILURE',
          statusHex(integrity),
        );
        check(equalBytes(await readAll(1024), initial), 'the old array kept after the failed write', 'it changed');
        const written = await write(serialized, 200);
        check(
          written === CtapStatus.CTAP2_OK,
          'a fragmented write with an lbw token answered CTAP2_OK',
          statusHex(written),
        );
        const readBack = await readAll(100);
        check(
          equalBytes(readBack, serialized),
          `the ${serialized.length}-byte array read back in 100-byte fragments`,
          `${readBack.length} bytes: ${hex(readBack, 24)}`,
        );

        const presence = new Fido2Client((_command, payload) => withPresence(ctx, payload));
        const mc = await client.clientPin.getPinToken(pin, { permissions: Permission.MAKE_CREDENTIAL, rpId: RP_ID });
        const made = await presence.makeCredential({
          clientDataHash: new Uint8Array(randomBytes(32)),
          rp: { id: RP_ID },
          user: { id: new Uint8Array(randomBytes(16)), name: 'conformance.user' },
          options: { rk: true },
          extensions: { largeBlobKey: true },
          pinUvAuthToken: mc,
        });
        const key = made.extensions.largeBlobKey;
        check(key?.length === 32, 'a 32-byte largeBlobKey (makeCredential member 0x05)', show(key?.length));
        const [asserted] = await presence.getAssertion({
          clientDataHash: new Uint8Array(randomBytes(32)),
          rpId: RP_ID,
          allowCredentials: [made.credentialId],
          extensions: { largeBlobKey: true },
        });
        check(
          asserted.extensions.largeBlobKey !== undefined && equalBytes(asserted.extensions.largeBlobKey, key),
          'getAssertion with largeBlobKey returns the same key (member 0x07)',
          show(asserted.extensions.largeBlobKey?.length),
        );
        // §6.8.3: enumerateCredentials gives the credential's largeBlobKey too; platforms such as libfido2 find a
        // credential's blob by it. The conformance RP has this one credential, so enumerateCredentialsBegin answers it.
        const cm = await client.clientPin.getPinToken(pin, { permissions: Permission.CREDENTIAL_MANAGEMENT });
        const subCommandParams = encodeMembers(CredentialManagementSubCommandParams, {
          rpIDHash: sha256(RP_ID),
        });
        const subCommand = CredentialManagementSubCommand.ENUMERATE_CREDENTIALS_BEGIN;
        const enumerated = parseReply(
          await ctapRaw(
            ctx,
            request(
              Ctap.CREDENTIAL_MANAGEMENT,
              encodeMembers(CredentialManagementRequest, {
                subCommand,
                subCommandParams,
                pinUvAuthProtocol: cm.protocol.version,
                pinUvAuthParam: cm.authenticate(concat(Uint8Array.of(subCommand), encodeCanonical(subCommandParams))),
              }),
            ),
          ),
          'authenticatorCredentialManagement',
        );
        const listedKey = enumerated.map?.get(CredentialManagementResponse.largeBlobKey.key);
        check(
          enumerated.status === CtapStatus.CTAP2_OK && listedKey instanceof Uint8Array && equalBytes(listedKey, key),
          'enumerateCredentials returns the same key (member 0x0B)',
          `${statusHex(enumerated.status)}, ${show(listedKey instanceof Uint8Array ? listedKey.length : listedKey)}`,
        );
      } finally {
        await blankBand(ctx);
      }
    },
  },
  {
    id: 'FIDO2-013',
    title:
      "a band listing bioEnroll in getInfo enrolls a finger over authenticatorBioEnrollment: on an unenrolled, worn band a be token begins it, each sample waits with KEEPALIVE(UPNEEDED), a poor-quality touch is lastEnrollSampleStatus FP_POOR_QUALITY and does not count, good touches count remainingSamples down to 0, enumerateEnrollments lists enrollBegin's templateId, getInfo bioEnroll and uv turn true, and the enrolled finger gives built-in UV without a PIN; one that does not answers INVALID_COMMAND",
    source:
      'CTAP 2.1 §6.7 (enrollBegin, enrollCaptureNextSample, enumerateEnrollments), §6.7.3 (sample status), §6.4, §6.1.2 step 11',
    needs: ['debug-link', 'erase', 'fido2'],
    async run(ctx) {
      const client = new Fido2Client((_command, payload) => ctapRaw(ctx, payload));
      const before = await client.getInfo();
      if (before.options.bioEnroll === undefined) {
        await checkUnsupported(
          ctx,
          request(Ctap.BIO_ENROLLMENT, encodeMembers(BioEnrollmentRequest, { getModality: true })),
          'authenticatorBioEnrollment',
          'bioEnroll',
        );
        return;
      }
      await blankBand(ctx);
      const finger = 'conformance/left-index';
      try {
        const pin = '2580';
        const token = await setup('wear the band, set a PIN and get a be token', async () => {
          await ctx.band.debug.setWrist(true);
          await client.clientPin.setPin(pin);
          return client.clientPin.getPinToken(pin, { permissions: Permission.BIO_ENROLLMENT });
        });
        const blank = await client.getInfo();
        check(
          blank.options.bioEnroll === false && blank.options.uv !== true,
          'getInfo bioEnroll false (present: a sensor, no template) and uv not true on an unenrolled band',
          `bioEnroll ${blank.options.bioEnroll}, uv ${blank.options.uv}`,
        );
        const required = (await client.bio.sensorInfo()).maxCaptureSamplesRequiredForEnroll;

        const begin = await bioSample(ctx, token, BioEnrollmentSubCommand.ENROLL_BEGIN, undefined, () =>
          ctx.band.debug.touch(finger, { poorQuality: true }),
        );
        const templateId = begin.templateId;
        check(templateId !== undefined && templateId.length > 0, 'enrollBegin to answer a templateId', 'none');
        check(
          begin.lastEnrollSampleStatus === EnrollSampleStatus.CTAP2_ENROLL_FEEDBACK_FP_POOR_QUALITY &&
            begin.remainingSamples === required,
          `a poor-quality first touch: lastEnrollSampleStatus FP_POOR_QUALITY and remainingSamples ${required} (not counted)`,
          `${enrollSampleStatusName(begin.lastEnrollSampleStatus ?? -1)}, remainingSamples ${begin.remainingSamples}`,
        );
        for (let remaining = required; remaining > 0; remaining--) {
          const next = await bioSample(ctx, token, BioEnrollmentSubCommand.ENROLL_CAPTURE_NEXT_SAMPLE, templateId, () =>
            ctx.band.debug.touch(finger),
          );
          check(
            next.lastEnrollSampleStatus === EnrollSampleStatus.CTAP2_ENROLL_FEEDBACK_FP_GOOD &&
              next.remainingSamples === remaining - 1,
            `a good touch: lastEnrollSampleStatus FP_GOOD and remainingSamples ${remaining - 1}`,
            `${enrollSampleStatusName(next.lastEnrollSampleStatus ?? -1)}, remainingSamples ${next.remainingSamples}`,
          );
        }
        const listed = await client.bio.enumerate(token);
        check(
          listed.length === 1 && equalBytes(listed[0].templateId, templateId),
          `enumerateEnrollments to list the enrolled templateId ${hex(templateId)}`,
          listed.map((t) => hex(t.templateId)).join(', ') || 'none',
        );
        const after = await client.getInfo();
        check(
          after.options.bioEnroll === true && after.options.uv === true,
          'getInfo bioEnroll true and uv true once a finger is enrolled',
          `bioEnroll ${after.options.bioEnroll}, uv ${after.options.uv}`,
        );
        // Built-in UV: the enrolled finger on the sensor, then a credential with uv and no pinUvAuthParam.
        await setup('the wearer authenticates with the enrolled finger', () =>
          authenticateByHand(ctx, { userName: '', finger }),
        );
        const { payload } = makeCredentialRequest({});
        const params = new Map<CborKey, CborInput>(decodeCanonical(payload.subarray(1)) as CborMap);
        params.set(MakeCredentialRequest.options.key, encodeMembers(CeremonyOptions, { rk: true, uv: true }));
        const reply = parseReply(await withPresence(ctx, request(Ctap.MAKE_CREDENTIAL, params)), 'makeCredential');
        check(
          reply.status === CtapStatus.CTAP2_OK,
          'makeCredential with uv and no PIN to succeed on the enrolled finger',
          statusHex(reply.status),
        );
        const authData = parseAuthenticatorData(reply.map!.get(MakeCredentialResponse.authData.key) as Uint8Array);
        check(
          authData.flags.userVerified,
          'the UV flag set by built-in user verification',
          `flags 0x${authData.flags.raw.toString(16)}`,
        );
      } finally {
        await blankBand(ctx);
      }
    },
  },
];

/**
 * One authenticatorBioEnrollment sample request: sent raw, the band must ask for the finger with KEEPALIVE(UPNEEDED)
 * before `touch` runs; the reply's members, or Unmet.
 */
async function bioSample(
  ctx: ConformanceContext,
  token: PinUvAuthToken,
  subCommand: number,
  templateId: Uint8Array | undefined,
  touch: () => Promise<void>,
) {
  const subParams = encodeMembers(BioEnrollmentSubCommandParams, { templateId, timeoutMilliseconds: 20_000 });
  const message = concat(Uint8Array.of(BioModality.FINGERPRINT, subCommand), encodeCanonical(subParams));
  const payload = request(
    Ctap.BIO_ENROLLMENT,
    encodeMembers(BioEnrollmentRequest, {
      modality: BioModality.FINGERPRINT,
      subCommand,
      subCommandParams: subParams,
      pinUvAuthProtocol: token.protocol.version,
      pinUvAuthParam: token.authenticate(message),
    }),
  );
  const after = ctx.units.length;
  const pending = startCtap(ctx, payload, { timeoutMs: 25_000 });
  const what = subCommand === BioEnrollmentSubCommand.ENROLL_BEGIN ? 'enrollBegin' : 'enrollCaptureNextSample';
  await ctx.units.waitFor(
    (u) => pending.answered() || (u.command === Command.KEEPALIVE && u.payload[0] === KeepaliveStatus.UPNEEDED),
    {
      after,
      timeoutMs: ctx.callTimeoutMs,
      what: `KEEPALIVE(UPNEEDED) while ${what} waits for a touch`,
      signal: ctx.signal,
    },
  );
  check(!pending.answered(), `${what} to wait for a touch (KEEPALIVE UPNEEDED)`, 'an answer before any touch');
  await touch();
  const reply = parseReply(await pending.reply, what);
  check(
    reply.status === CtapStatus.CTAP2_OK && reply.map !== undefined,
    `${what} to answer CTAP2_OK`,
    statusHex(reply.status),
  );
  const decoded = decodeMembers(BioEnrollmentResponse, reply.map, what);
  for (const info of decoded.templateInfos ?? []) decodeMembers(TemplateInfo, info, what);
  return decoded;
}

/** The CTAP status a host/fido2 call ends with (CTAP2_OK when it resolves). */
/** A band whose getInfo does not advertise `option` must answer its command CTAP1_ERR_INVALID_COMMAND. */
async function checkUnsupported(
  ctx: ConformanceContext,
  command: Uint8Array,
  operation: string,
  option: string,
): Promise<void> {
  const reply = parseReply(await ctapRaw(ctx, command), operation);
  check(
    reply.status === CtapStatus.CTAP1_ERR_INVALID_COMMAND,
    `CTAP1_ERR_INVALID_COMMAND from a band without ${option}`,
    statusHex(reply.status),
  );
}

async function ctapStatusOf(call: Promise<unknown>): Promise<number> {
  try {
    await call;
    return CtapStatus.CTAP2_OK;
  } catch (error) {
    if (error instanceof CtapError) return error.status;
    throw error;
  }
}

/** One MSG (CTAP1/U2F APDU) sent raw; its response APDU, or 'error' when the band answers CTAPHID ERROR. */
async function u2fRaw(ctx: ConformanceContext, apdu: Uint8Array): Promise<Uint8Array | 'error'> {
  const after = ctx.units.length;
  await ctx.transport.send({ command: Command.MSG, payload: apdu });
  const { item } = await ctx.units.waitFor((u) => u.command === Command.MSG || u.command === Command.ERROR, {
    after,
    timeoutMs: ctx.callTimeoutMs,
    what: 'a MSG reply',
    signal: ctx.signal,
  });
  return item.command === Command.MSG ? item.payload : 'error';
}

async function u2f(ctx: ConformanceContext, ins: number, p1: number, data: Uint8Array) {
  const reply = await u2fRaw(ctx, encodeCommandApdu({ cla: 0, ins, p1, p2: 0, data }));
  check(reply !== 'error', 'a MSG reply (the band lists U2F_V2)', 'CTAPHID ERROR');
  return decodeResponseApdu(reply);
}

/**
 * A U2F request that needs the user: the band answers 6985 and asks (CONFIRM); the rig presses the top button and
 * the platform's retry is served (U2F Raw Message Formats §5.1).
 */
async function u2fWithPresence(ctx: ConformanceContext, ins: number, p1: number, data: Uint8Array) {
  const first = await u2f(ctx, ins, p1, data);
  if (first.status !== StatusWord.CONDITIONS_NOT_SATISFIED) return first;
  await waitScreen(ctx, 'SCREEN_CONFIRM', 'a U2F request that needs user presence');
  await ctx.band.debug.press('BUTTON_TOP');
  for (let attempt = 0; attempt < 20; attempt++) {
    const again = await u2f(ctx, ins, p1, data);
    if (again.status !== StatusWord.CONDITIONS_NOT_SATISFIED) return again;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Unmet('the U2F request served once the top button was pressed', 'still 6985');
}

function spkiOfPoint(point: Uint8Array): KeyObject {
  const prefix = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');
  return createPublicKey({ key: Buffer.concat([prefix, point]), format: 'der', type: 'spki' });
}
