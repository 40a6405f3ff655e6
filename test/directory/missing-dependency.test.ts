import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BANDCTL_BIN, runNode } from '../support/bandctl.js';

/**
 * `@simplewebauthn/server` is an optional peer: a host application that brings its own relying party never
 * installs it, so the root module must load without it, and the built-in WebAuthnRelyingParty must fail with a
 * typed MISSING_DEPENDENCY when a ceremony needs it. A child process is given a resolve hook (node:module
 * `register`) that refuses the package as a missing install would; node_modules is left as it is.
 */
const dist = (path: string) => new URL(`../../dist/${path}`, import.meta.url).pathname;

let dir = '';
let hide: string[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'missing-dependency-'));
  await writeFile(
    join(dir, 'hooks.mjs'),
    `export async function resolve(specifier, context, next) {
      if (specifier === '@simplewebauthn/server' || specifier.startsWith('@simplewebauthn/server/')) {
        const error = new Error("Cannot find package '" + specifier + "' imported from " + context.parentURL);
        error.code = 'ERR_MODULE_NOT_FOUND';
        throw error;
      }
      return next(specifier, context);
    }\n`,
  );
  await writeFile(
    join(dir, 'register.mjs'),
    `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`,
  );
  hide = ['--import', join(dir, 'register.mjs')];
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * Installed but never loaded by a registration of the band's formats: the relying party builds the options and
 * verifies packed attestation itself, so a host registering bands does not carry the library (tens of MB). A load
 * hook makes loading it fail while resolving it still works (installed), so any load shows.
 */
describe('registering a band does not load @simplewebauthn/server', () => {
  it('start and finish succeed without loading it; authentication, which verifies with it, then loads it', async () => {
    await writeFile(
      join(dir, 'no-load-hooks.mjs'),
      `export async function load(url, context, next) {
        if (url.includes('/@simplewebauthn/server/')) throw new Error('loaded ' + url);
        return next(url, context);
      }\n`,
    );
    await writeFile(
      join(dir, 'no-load.mjs'),
      `import { register } from 'node:module';\nregister('./no-load-hooks.mjs', import.meta.url);\n`,
    );
    const script = `
      const { WebAuthnRelyingParty } = await import(${JSON.stringify(dist('host/index.js'))});
      const { SoftAuthenticator } = await import(${JSON.stringify(dist('test/directory/soft-authenticator.js'))});
      const { seededRandom } = await import(${JSON.stringify(dist('test/directory/fixtures.js'))});
      const origin = 'https://login.example.com';
      const rp = new WebAuthnRelyingParty({ id: 'login.example.com', origin, randomBytes: seededRandom('rp') });
      const band = new SoftAuthenticator({ randomBytes: seededRandom('band') });
      const options = await rp.startRegistration('alice', { bandSerial: 'AAAH-00125' });
      const registered = await rp.finishRegistration('alice', band.register(options, origin));
      const request = await rp.startAuthentication('alice');
      const auth = await rp.finishAuthentication('alice', band.authenticate(request, origin)).then(
        () => 'verified',
        (e) => e.code + ': ' + String(e.cause?.message),
      );
      console.log(JSON.stringify({ registered: registered.id.length > 0, auth }));`;
    const run = await runNode(['--import', join(dir, 'no-load.mjs'), '--input-type=module', '-e', script]);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { registered: boolean; auth: string };
    expect(result.registered).toBe(true);
    // The hook is live: the first ceremony that needs the library tried to load it.
    expect(result.auth).toMatch(/^MISSING_DEPENDENCY: loaded .*@simplewebauthn\/server\//);
  });
});

describe('without @simplewebauthn/server installed', () => {
  it('the hook really hides it (the test would otherwise prove nothing)', async () => {
    const run = await runNode([
      ...hide,
      '--input-type=module',
      '-e',
      `await import('@simplewebauthn/server').then(() => console.log('loaded'), (e) => console.log(e.code));`,
    ]);
    expect(run.stdout.trim()).toBe('ERR_MODULE_NOT_FOUND');
  });

  it('the library loads; a ceremony fails with RelyingPartyError MISSING_DEPENDENCY, cause kept, and again later', async () => {
    const script = `
      const { WebAuthnRelyingParty, RelyingPartyError } = await import(${JSON.stringify(dist('host/index.js'))});
      const rp = new WebAuthnRelyingParty({ id: 'login.example.com', origin: 'https://login.example.com' });
      const attempt = () => rp.startRegistration('alice', { bandSerial: 'AAAH-00125' }).then(
        () => ({ ok: true }),
        (e) => ({ typed: e instanceof RelyingPartyError, code: e.code, causeCode: e.cause?.code, message: e.message }),
      );
      const first = await attempt();
      const second = await attempt();
      console.log(JSON.stringify({ first, second }));`;
    const run = await runNode([...hide, '--input-type=module', '-e', script]);
    expect(run.code, run.stderr).toBe(0);
    const { first, second } = JSON.parse(run.stdout) as Record<string, Record<string, unknown>>;
    expect(first).toMatchObject({ typed: true, code: 'MISSING_DEPENDENCY', causeCode: 'ERR_MODULE_NOT_FOUND' });
    // Says what to do, in API terms, once; the loader's own text stays in the cause.
    expect(first.message).toMatch(/npm install @simplewebauthn\/server/);
    expect(first.message).not.toMatch(/Cannot find package/);
    // Not cached as a failure forever: installing the package later and retrying is the advice.
    expect(second).toMatchObject({ typed: true, code: 'MISSING_DEPENDENCY' });
  });

  it('bandctl register-key says so in one line, exit 1, and registers nothing', async () => {
    const file = join(dir, 'directory.json');
    const setup = await runNode([BANDCTL_BIN, 'directory', 'add-user', 'alice', '--directory', file]);
    expect(setup.code, setup.stderr).toBe(0);
    const band = 'loopback?preset=authenticated&user=alice&serial=AAAH-00125&seed=missing-dependency';
    const info = await runNode([BANDCTL_BIN, '--transport', band, 'info', '--json']);
    for (const args of [
      ['add-band', 'AAAH-00125', '--device-id', info.json().deviceId as string],
      ['assign', '--user', 'alice', '--band', 'AAAH-00125'],
    ]) {
      const r = await runNode([BANDCTL_BIN, 'directory', ...args, '--directory', file]);
      expect(r.code, r.stderr).toBe(0);
    }
    const argv = ['--transport', band, 'register-key', '--user', 'alice', '--directory', file];
    const run = await runNode([...hide, BANDCTL_BIN, ...argv]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      "bandctl: this command needs the package @simplewebauthn/server, which is not installed; run 'npm install @simplewebauthn/server' where bandctl is installed, then run the command again\n",
    );
    const json = await runNode([...hide, BANDCTL_BIN, ...argv, '--json']);
    expect(json.json()).toMatchObject({ ok: false, error: { code: 'MISSING_DEPENDENCY' } });
    const { existsSync } = await import('node:fs');
    expect(existsSync(`${file}.rp.json`)).toBe(false);
  });
});
