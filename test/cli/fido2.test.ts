import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../host/cli/exit-codes.js';
import { decodeCanonical } from '../../proto/ctap2/index.js';
import { requireBuiltBandsim, startBandsim, type RunningBand } from '../support/bandsim.js';
import { bandctl as run } from '../support/bandctl.js';

/** A fresh emulated band per command: each test checks each command's own output. */
const AUTO = 'loopback?preset=authenticated&user=tw-user2&auto-presence=1';
/** The band asks for a tap on its top button (KEEPALIVE UPNEEDED) and waits. */
const TAP = 'loopback?preset=authenticated&user=tw-user2';

const bandctl = (args: string[]) => run(args);

const fido2 = (transport: string, ...args: string[]) => bandctl(['--transport', transport, 'fido2', ...args]);

async function ok(transport: string, ...args: string[]) {
  const result = await fido2(transport, ...args, '--json');
  expect(result.stderr, `bandctl fido2 ${args.join(' ')}: ${result.stdout}`).toBe('');
  expect(result.code).toBe(ExitCode.OK);
  const document = result.json();
  expect(document.ok).toBe(true);
  return document;
}

/** A COSE ES256 key (hex) as a node:crypto public key. */
function coseKey(hexKey: string) {
  const map = decodeCanonical(Buffer.from(hexKey, 'hex')) as Map<number, unknown>;
  expect([map.get(1), map.get(3), map.get(-1)]).toEqual([2, -7, 1]);
  const b64 = (v: unknown) => Buffer.from(v as Uint8Array).toString('base64url');
  return createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64(map.get(-2)), y: b64(map.get(-3)) }, format: 'jwk' });
}

describe('bandctl fido2 (loopback band)', () => {
  it('info reads authenticatorGetInfo', async () => {
    const info = await ok(AUTO, 'info');
    expect(info.versions).toEqual(['U2F_V2', 'FIDO_2_0', 'FIDO_2_1']);
    expect(info.aaguid).toBe('bbaf4d27b2d0d7369e34164abb7a9d65');
    expect(info.options).toMatchObject({ rk: true, uv: true, clientPin: false, credMgmt: true });
    const human = await fido2(AUTO, 'info');
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^versions +U2F_V2, FIDO_2_0, FIDO_2_1$/m);
  });

  it("make-credential prints the credential id, COSE key, fmt, flags and counter; the default user is the band's", async () => {
    const made = await ok(AUTO, 'make-credential', '--rp', 'example.com');
    expect(made).toMatchObject({
      rpId: 'example.com',
      user: 'tw-user2',
      discoverable: false,
      fmt: 'packed',
      signCount: 1,
    });
    expect(made.flags).toEqual({ value: 0x41, up: true, uv: false, at: true, ed: false });
    expect(Buffer.from(made.credentialId, 'base64url')).toHaveLength(63);
    coseKey(made.publicKey);

    const rk = await ok(AUTO, 'make-credential', '--rp', 'example.com', '--user', 'alice', '--rk');
    expect(rk).toMatchObject({ user: 'alice', discoverable: true, flags: { up: true, uv: true, at: true } });

    const human = await fido2(AUTO, 'make-credential', '--rp', 'example.com');
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^credential id +[A-Za-z0-9_-]{84}$/m);
    expect(human.stdout).toMatch(/^flags +UP AT \(0x41\)$/m);
    expect(human.stdout).toMatch(/^sign count +1$/m);
  });

  it('--simulate-user presses the top button when the band asks for presence', async () => {
    const made = await ok(TAP, 'make-credential', '--rp', 'example.com', '--simulate-user', 'tw-user2/right-index');
    expect(made.flags.up).toBe(true);
    const reset = await fido2(TAP, 'reset', '--simulate-user', 'tw-user2/right-index');
    expect(reset.code).toBe(0);
    expect(reset.stdout).toMatch(/erased/);
  });

  it('on an enrolled band that is not authenticated, --simulate-user wears and touches it first', async () => {
    const ENROLLED = 'loopback?preset=enrolled&user=tw-user2';
    const made = await ok(
      ENROLLED,
      'make-credential',
      '--rp',
      'example.com',
      '--rk',
      '--simulate-user',
      'tw-user2/right-index',
    );
    expect(made.flags).toMatchObject({ up: true, uv: true });
    const reset = await fido2(ENROLLED, 'reset', '--simulate-user', 'tw-user2/right-index');
    expect(reset.code, reset.stdout).toBe(0);
  });

  it('a refusal because the wearer is missing says what to do', async () => {
    const result = await fido2(
      'loopback?preset=enrolled&user=tw-user2',
      'make-credential',
      '--rp',
      'example.com',
      '--json',
    );
    expect(result.code).toBe(ExitCode.FAILED);
    const { error } = result.json();
    expect(error.code).toMatch(/^CTAP2_ERR_(OPERATION_DENIED|PUAT_REQUIRED|UV_INVALID)$/);
    expect(error.message).toMatch(
      /the band must be worn and authenticated: touch the sensor \(with --simulate-user FINGER: done for you\)$/,
    );
  });

  it('without --simulate-user it asks the person once to tap the band, and times out after --wait', async () => {
    const result = await fido2(TAP, 'make-credential', '--rp', 'example.com', '--wait', '600');
    expect(result.code).toBe(ExitCode.TIMEOUT);
    expect(result.stderr.match(/Tap the top button of your band/g)).toHaveLength(1);
    expect(result.stderr).toMatch(/example\.com/);
    expect(result.stderr).toMatch(/raise --wait/);
  });

  it('get-assertion refuses clearly when the band holds no credential for the RP', async () => {
    const human = await fido2(AUTO, 'get-assertion', '--rp', 'example.com');
    expect(human.code).toBe(ExitCode.FAILED);
    expect(human.stderr).toMatch(/CTAP2_ERR_NO_CREDENTIALS/);
    const json = await fido2(AUTO, 'get-assertion', '--rp', 'example.com', '--credential', 'AQID', '--json');
    expect(json.code).toBe(ExitCode.FAILED);
    expect(json.json()).toMatchObject({ ok: false, error: { code: 'CTAP2_ERR_NO_CREDENTIALS' } });
  });

  it('pin retries, set, change and the refusals a fresh band gives', async () => {
    expect(await ok(AUTO, 'pin', 'retries')).toMatchObject({ pinSet: false, retries: 8 });
    expect(await ok(AUTO, 'pin', 'set', '1234')).toMatchObject({ action: 'set', pinSet: true });
    const human = await fido2(AUTO, 'pin', 'retries');
    expect(human.stdout).toBe('No PIN is set; 8 attempt(s) left.\n');

    const change = await fido2(AUTO, 'pin', 'change', '1234', '5678');
    expect(change.code).toBe(ExitCode.FAILED);
    expect(change.stderr).toMatch(/CTAP2_ERR_PIN_NOT_SET/);
    const short = await fido2(AUTO, 'pin', 'set', '12', '--json');
    expect(short.code).toBe(ExitCode.FAILED);
    expect(short.json().error.code).toBe('CTAP2_ERR_PIN_POLICY_VIOLATION');
    const withPin = await fido2(AUTO, 'make-credential', '--rp', 'example.com', '--pin', '1234');
    expect(withPin.code).toBe(ExitCode.FAILED);
    expect(withPin.stderr).toMatch(/CTAP2_ERR_PIN_NOT_SET/);
  });

  it('credentials: the band protocol list without --pin; credential management needs a PIN', async () => {
    expect(await ok(AUTO, 'credentials')).toEqual({ ok: true, source: 'band-protocol', credentials: [] });
    const human = await fido2(AUTO, 'credentials');
    expect(human.stdout).toBe('No discoverable credentials on the band.\n');
    const cm = await fido2(AUTO, 'credentials', '--pin', '1234');
    expect(cm.code).toBe(ExitCode.FAILED);
    expect(cm.stderr).toMatch(/CTAP2_ERR_PIN_NOT_SET/);
  });

  it('reset erases the authenticator on a band just powered up', async () => {
    expect(await ok(AUTO, 'reset')).toEqual({ ok: true });
  });

  describe('bad arguments exit 2 with a message that says what was expected', () => {
    const cases: [string, string[], RegExp][] = [
      ['no subcommand', [], /expected a subcommand/],
      ['unknown subcommand', ['enroll'], /unknown subcommand 'enroll'/],
      ['info with an operand', ['info', 'now'], /takes no operand/],
      ['make-credential without --rp', ['make-credential', '--rk'], /expected --rp ID/],
      [
        'make-credential with an option of another subcommand',
        ['make-credential', '--rp', 'a.example', '--credential', 'AQID'],
        /--credential does not apply/,
      ],
      [
        'get-assertion with a credential id that is not base64url',
        ['get-assertion', '--rp', 'a.example', '--credential', 'not+base64/'],
        /base64url/,
      ],
      ['credentials with --rp', ['credentials', '--rp', 'a.example'], /--rp does not apply/],
      ['pin without an action', ['pin'], /expected retries \| set NEW \| change OLD NEW/],
      ['pin set without NEW', ['pin', 'set'], /pin set: expected NEW/],
      ['pin change with one PIN', ['pin', 'change', '1234'], /pin change: expected OLD NEW/],
      ['reset with --wait that is not a number', ['reset', '--wait', 'soon'], /--wait/],
      [
        'make-credential --large-blob-key without --rk',
        ['make-credential', '--rp', 'a.example', '--large-blob-key'],
        /--large-blob-key needs --rk/,
      ],
      ['large-blob without an action', ['large-blob'], /expected list \| get \| set \| delete/],
      ['large-blob with an unknown action', ['large-blob', 'put'], /expected list, get, set or delete, got 'put'/],
      ['large-blob get without --rp', ['large-blob', 'get'], /large-blob get: expected --rp ID/],
      [
        'large-blob set without the blob',
        ['large-blob', 'set', '--rp', 'a.example'],
        /expected the blob as --data TEXT or --file FILE/,
      ],
      [
        'large-blob set with both --data and --file',
        ['large-blob', 'set', '--rp', 'a.example', '--data', 'x', '--file', 'y'],
        /one of them/,
      ],
      [
        'large-blob get with --data',
        ['large-blob', 'get', '--rp', 'a.example', '--data', 'x'],
        /--data does not apply/,
      ],
      ['large-blob list with --rp', ['large-blob', 'list', '--rp', 'a.example'], /--rp does not apply/],
      ['an unknown flag', ['info', '--bogus'], /bogus/],
    ];
    for (const [what, args, message] of cases) {
      it(what, async () => {
        const result = await fido2(AUTO, ...args);
        expect(result.code).toBe(ExitCode.USAGE);
        expect(result.stderr).toMatch(message);
        expect(result.stdout).toBe('');
      });
    }
  });
});

describe('bandctl fido2 against one bandsim over UDP-HID (commands chained on one band)', () => {
  let band: RunningBand | undefined;
  let blobBand: RunningBand | undefined;
  afterAll(async () => {
    await band?.stop();
    await blobBand?.stop();
  });

  it('make-credential, get-assertion by id, PIN, credential management, wrong PIN', { timeout: 60_000 }, async () => {
    requireBuiltBandsim();
    band = await startBandsim();
    const uri = `udp-hid:127.0.0.1:${band.port}`;

    const made = await ok(uri, 'make-credential', '--rp', 'chain.example', '--rk');
    const asserted = await ok(uri, 'get-assertion', '--rp', 'chain.example', '--credential', made.credentialId);
    expect(asserted.assertions).toHaveLength(1);
    const [assertion] = asserted.assertions;
    expect(assertion).toMatchObject({ credentialId: made.credentialId, flags: { up: true, uv: false } });
    expect(assertion.signCount).toBeGreaterThan(made.signCount);
    expect(assertion.signature).toMatch(/^30/);

    await ok(uri, 'pin', 'set', '1234');
    expect(await ok(uri, 'pin', 'retries')).toMatchObject({ pinSet: true, retries: 8 });
    const viaPin = await ok(uri, 'get-assertion', '--rp', 'chain.example', '--pin', '1234');
    expect(viaPin.assertions[0]).toMatchObject({
      credentialId: made.credentialId,
      flags: { up: true, uv: true },
      user: { name: 'tw-user2' },
    });

    const managed = await ok(uri, 'credentials', '--pin', '1234');
    expect(managed).toEqual({
      ok: true,
      source: 'credential-management',
      credentials: [
        {
          rpId: 'chain.example',
          credentialId: made.credentialId,
          userName: 'tw-user2',
          credProtect: 1,
          hasLargeBlobKey: false,
        },
      ],
    });
    const listed = await ok(uri, 'credentials');
    expect(listed).toEqual({
      ok: true,
      source: 'band-protocol',
      credentials: [{ rpId: 'chain.example', credentialId: made.credentialId, userName: 'tw-user2' }],
    });

    const wrong = await fido2(uri, 'credentials', '--pin', '9999', '--json');
    expect(wrong.code).toBe(ExitCode.FAILED);
    expect(wrong.json().error.code).toBe('CTAP2_ERR_PIN_INVALID');
    expect(await ok(uri, 'pin', 'retries')).toMatchObject({ retries: 7 });
    await ok(uri, 'pin', 'change', '1234', '87654321');
    expect((await ok(uri, 'credentials', '--pin', '87654321')).credentials).toHaveLength(1);

    // make-credential's public key verifies the assertion signature over authenticatorData || clientDataHash.
    const again = await ok(uri, 'make-credential', '--rp', 'verify.example');
    const [signed] = (await ok(uri, 'get-assertion', '--rp', 'verify.example', '--credential', again.credentialId))
      .assertions;
    const message = Buffer.concat([
      Buffer.from(signed.authenticatorData, 'hex'),
      Buffer.from(signed.clientDataHash, 'hex'),
    ]);
    expect(
      verify(
        'sha256',
        message,
        { key: coseKey(again.publicKey), dsaEncoding: 'der' },
        Buffer.from(signed.signature, 'hex'),
      ),
    ).toBe(true);
    message[message.length - 1] ^= 1;
    expect(
      verify(
        'sha256',
        message,
        { key: coseKey(again.publicKey), dsaEncoding: 'der' },
        Buffer.from(signed.signature, 'hex'),
      ),
    ).toBe(false);
  });
  it(
    'large-blob: set, get, list and delete the blob of a credential made with --large-blob-key',
    { timeout: 60_000 },
    async () => {
      requireBuiltBandsim();
      blobBand = await startBandsim();
      const uri = `udp-hid:127.0.0.1:${blobBand.port}`;
      expect(await ok(uri, 'large-blob', 'list')).toEqual({
        ok: true,
        bytes: 17,
        max: 4096,
        intact: true,
        entries: [],
      });
      const none = await fido2(uri, 'large-blob', 'get', '--rp', 'blob.example', '--json');
      expect(none.code).toBe(ExitCode.FAILED);
      expect(none.json().error.code).toBe('CTAP2_ERR_NO_CREDENTIALS');
      const plain = await ok(uri, 'make-credential', '--rp', 'blob.example', '--rk', '--user', 'plain');
      expect(plain.hasLargeBlobKey).toBe(false);
      const refused = await fido2(uri, 'large-blob', 'get', '--rp', 'blob.example', '--json');
      expect(refused.json().error).toMatchObject({ code: 'NO_LARGE_BLOB_KEY' });
      expect(refused.json().error.message).toMatch(/make-credential --rp blob\.example --rk --large-blob-key/);

      const made = await ok(uri, 'make-credential', '--rp', 'blob.example', '--rk', '--large-blob-key');
      // The key is a secret: make-credential says the credential has one, never what it is.
      expect(made.hasLargeBlobKey).toBe(true);
      expect(await ok(uri, 'large-blob', 'get', '--rp', 'blob.example')).toMatchObject({
        credentialId: made.credentialId,
        found: false,
      });
      // The band is worn and authenticated: its own user verification gives the lbw token.
      expect(await ok(uri, 'large-blob', 'set', '--rp', 'blob.example', '--data', 'héllo, band')).toMatchObject({
        credentialId: made.credentialId,
        bytes: 12,
        compression: 'deflate-raw',
      });
      expect(await ok(uri, 'large-blob', 'get', '--rp', 'blob.example')).toMatchObject({
        found: true,
        bytes: 12,
        text: 'héllo, band',
        base64: Buffer.from('héllo, band').toString('base64'),
      });
      const human = await fido2(uri, 'large-blob', 'get', '--rp', 'blob.example');
      expect(human.stdout).toBe('héllo, band\n');
      const listed = await ok(uri, 'large-blob', 'list');
      expect(listed.entries).toEqual([{ index: 0, origSize: 12, ciphertextBytes: expect.any(Number) }]);
      expect(listed.bytes).toBeGreaterThan(17);

      expect(await ok(uri, 'large-blob', 'delete', '--rp', 'blob.example')).toMatchObject({ deleted: true });
      expect(await ok(uri, 'large-blob', 'delete', '--rp', 'blob.example')).toMatchObject({ deleted: false });
      expect((await ok(uri, 'large-blob', 'list')).entries).toEqual([]);

      // A blob that cannot fit the band's 4096-byte array (random bytes do not compress) is refused in the CLI's
      // words, with the library's code for --json, and nothing is written.
      const dir = await mkdtemp(join(tmpdir(), 'large-blob-'));
      try {
        const big = join(dir, 'big.bin');
        await writeFile(big, randomBytes(5000));
        const tooBig = await fido2(uri, 'large-blob', 'set', '--rp', 'blob.example', '--file', big, '--json');
        expect(tooBig.code).toBe(ExitCode.FAILED);
        expect(tooBig.json().error.code).toBe('TOO_LARGE');
        expect(tooBig.json().error.message).toMatch(/^fido2 large-blob set: .*'bandctl fido2 large-blob delete'/);
        expect((await ok(uri, 'large-blob', 'list')).entries).toEqual([]);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }

      const second = await ok(
        uri,
        'make-credential',
        '--rp',
        'blob.example',
        '--rk',
        '--large-blob-key',
        '--user',
        'bob',
      );
      const ambiguous = await fido2(uri, 'large-blob', 'get', '--rp', 'blob.example', '--json');
      expect(ambiguous.json().error.code).toBe('AMBIGUOUS_CREDENTIAL');
      expect(
        await ok(uri, 'large-blob', 'get', '--rp', 'blob.example', '--credential', second.credentialId),
      ).toMatchObject({ credentialId: second.credentialId, found: false });
      expect(
        await ok(uri, 'large-blob', 'set', '--rp', 'blob.example', '--credential', second.credentialId, '--data', 'x'),
      ).toMatchObject({ bytes: 1 });
      expect((await ok(uri, 'large-blob', 'list')).entries).toHaveLength(1);

      // With a PIN, credential management lists which credentials have a largeBlobKey (never the key itself), and
      // large-blob takes the key from that listing instead of a sign-in.
      await ok(uri, 'pin', 'set', '1234');
      const byId = (a: { credentialId: string }, b: { credentialId: string }) =>
        a.credentialId.localeCompare(b.credentialId);
      const managed = await ok(uri, 'credentials', '--pin', '1234');
      expect([...managed.credentials].sort(byId)).toEqual(
        [
          {
            rpId: 'blob.example',
            credentialId: plain.credentialId,
            userName: 'plain',
            credProtect: 1,
            hasLargeBlobKey: false,
          },
          {
            rpId: 'blob.example',
            credentialId: made.credentialId,
            userName: 'tw-user2',
            credProtect: 1,
            hasLargeBlobKey: true,
          },
          {
            rpId: 'blob.example',
            credentialId: second.credentialId,
            userName: 'bob',
            credProtect: 1,
            hasLargeBlobKey: true,
          },
        ].sort(byId),
      );
      const humanList = (await fido2(uri, 'credentials', '--pin', '1234')).stdout.split('\n');
      const lineOf = (id: string) => humanList.find((line) => line.includes(id));
      expect(lineOf(made.credentialId)).toMatch(/ \(large blob key\)$/);
      expect(lineOf(second.credentialId)).toMatch(/ \(large blob key\)$/);
      expect(lineOf(plain.credentialId)).not.toMatch(/large blob key/);
      expect(
        await ok(
          uri,
          'large-blob',
          'get',
          '--rp',
          'blob.example',
          '--credential',
          second.credentialId,
          '--pin',
          '1234',
        ),
      ).toMatchObject({ credentialId: second.credentialId, found: true, text: 'x' });
      const twoKeyed = await fido2(uri, 'large-blob', 'get', '--rp', 'blob.example', '--pin', '1234', '--json');
      expect(twoKeyed.json().error.code).toBe('AMBIGUOUS_CREDENTIAL');
      const keyless = await fido2(
        uri,
        ...['large-blob', 'get', '--rp', 'blob.example', '--credential', plain.credentialId, '--pin', '1234', '--json'],
      );
      expect(keyless.json().error.code).toBe('NO_LARGE_BLOB_KEY');
      const unknown = await fido2(
        uri,
        ...['large-blob', 'get', '--rp', 'blob.example', '--credential', 'AAAA', '--pin', '1234', '--json'],
      );
      expect(unknown.json().error).toMatchObject({ code: 'NO_LARGE_BLOB_KEY' });
      expect(unknown.json().error.message).toMatch(/no discoverable credential AAAA for blob\.example/);
      expect(
        await ok(
          uri,
          'large-blob',
          'delete',
          '--rp',
          'blob.example',
          '--credential',
          second.credentialId,
          '--pin',
          '1234',
        ),
      ).toMatchObject({ deleted: true });
      expect((await ok(uri, 'large-blob', 'list')).entries).toEqual([]);
      // The wearer's delete user data ends the credentials and returns the array to the initial, empty one.
      const wiped = await bandctl(['--transport', uri, 'wipe', '--simulate-user', 'tw-user2/right-index']);
      expect(wiped.code, wiped.stderr).toBe(ExitCode.OK);
      expect(await ok(uri, 'large-blob', 'list')).toEqual({
        ok: true,
        bytes: 17,
        max: 4096,
        intact: true,
        entries: [],
      });
    },
  );
});
