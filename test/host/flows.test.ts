import { afterEach, describe, expect, it } from 'vitest';
import { BandEmulator, serveBand, testWorld, type Preset } from '../../firmware-sim/index.js';
import {
  AuthenticationFailedError,
  BandClient,
  BandClientError,
  BandError,
  SimulatedUser,
  authenticate,
  deleteUserData,
  enroll,
  type HeartbeatOptions,
  type UserInteraction,
} from '../../host/index.js';
import { ProtoError } from '../../proto/index.js';
import { loopbackPair } from '../../transport/index.js';

const open: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of open.splice(0)) await close();
});

async function band(preset?: Preset) {
  const emulator = new BandEmulator({
    world: testWorld({ seed: 'flows' }),
    serialNumber: 'AAAH-00125',
    debugLink: true,
    preset,
  });
  const [host, side] = loopbackPair();
  const serving = serveBand(emulator, side);
  const client = await BandClient.connect(host, { timeoutMs: 2_000 });
  open.push(async () => {
    client.close();
    serving.stop();
    await host.close();
    emulator.close();
  });
  return { client, host, user: new SimulatedUser(client.debug, 'alice/thumb') };
}

/** A person who is told things and does nothing. */
const idle: UserInteraction = { instruct: async () => undefined, readSetupCode: async () => '' };

describe('SimulatedUser', () => {
  it('acts on the band for each instruction, and keeps them in told only when asked to', async () => {
    const { client } = await band();
    const recording = new SimulatedUser(client.debug, 'alice/thumb', { recordInstructions: true });
    await recording.instruct({ kind: 'wear-band' });
    expect((await client.getState()).onWrist).toBe(true);
    await recording.instruct({ kind: 'confirm-presence', rpId: 'example.com' });
    expect(recording.told).toEqual([{ kind: 'wear-band' }, { kind: 'confirm-presence', rpId: 'example.com' }]);

    const quiet = new SimulatedUser(client.debug, 'alice/thumb');
    await quiet.instruct({
      kind: 'delete-user-data',
      removeFromWrist: true,
      placeOnCharger: false,
      holdBottomButtonMs: 0,
    });
    expect((await client.getState()).onWrist).toBe(false);
    expect(quiet.told).toEqual([]);
    // An action that cannot be encoded is a rejected call, as from an async function, not a throw.
    let call: Promise<void> | undefined;
    expect(() => (call = client.debug.hold('BUTTON_BOTTOM', -1))).not.toThrow();
    await expect(call).rejects.toBeInstanceOf(ProtoError);
    expect(client.channel.busy('debug')).toBe(false);
  });
});

describe('host flows refuse early and leave the band usable', () => {
  it('enroll refuses a bad label or user name before the capture starts', async () => {
    const { client, user } = await band();
    const told: string[] = [];
    const watching: UserInteraction = {
      instruct: async (i) => void told.push(i.kind),
      readSetupCode: () => user.readSetupCode(),
    };
    await expect(enroll(client, watching, { userName: 'alice', label: 'ÄÖÜ-toolongggggg' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: /at most 12 characters/,
    });
    await expect(enroll(client, watching, { userName: 'ali\nce' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: /control characters/,
    });
    expect(told).toEqual([]);
    expect((await client.getState()).state).toBe('BAND_STATE_UNENROLLED');
  });

  it('enroll on a band that holds user data is refused at once, off the wrist too', async () => {
    const { client, user } = await band({ kind: 'enrolled', userName: 'bob' });
    await user.instruct({ kind: 'wear-band' });
    await client.debug.setWrist(false);
    const error = await enroll(client, idle, { userName: 'alice' }).catch((e) => e);
    expect(error).toBeInstanceOf(BandError);
    expect(error.code).toBe('ERROR_CODE_USER_DATA_PRESENT');
    expect(error.message).toMatch(/of bob; delete user data first/);
  });

  it('a wipe nobody performs times out and the band stops prompting for it', async () => {
    const { client } = await band({ kind: 'authenticated', userName: 'bob' });
    await expect(deleteUserData(client, idle, { timeoutMs: 100 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    const state = await client.getState();
    expect(state.state).not.toBe('BAND_STATE_DELETE_PROMPT');
    expect(state.enrolled).toBe(true);
  });

  it('authenticate: a band holding nobody is NOT_ENROLLED, a failed match says why; both typed', async () => {
    const blank = await band();
    const notEnrolled = await authenticate(blank.client, blank.user).catch((e: unknown) => e);
    expect(notEnrolled).toBeInstanceOf(BandError);
    expect(notEnrolled).toMatchObject({ code: 'ERROR_CODE_NOT_ENROLLED', state: 'BAND_STATE_UNENROLLED' });

    const { client } = await band({ kind: 'authenticated', userName: 'bob' });
    await client.debug.setWrist(false);
    // Someone else's finger on bob's band.
    const failed = await authenticate(client, new SimulatedUser(client.debug, 'mallory/thumb'), {
      stepTimeoutMs: 5_000,
    }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(AuthenticationFailedError);
    expect(failed).toMatchObject({ reason: 'AUTHENTICATION_REASON_NO_MATCH' });
    expect((failed as Error).message).toMatch(/did not authenticate the user: no match; touch the sensor again/);
  });

  it('a closed client fails at once with CLOSED; the transport stays open for its owner', async () => {
    const { client, host } = await band();
    client.close();
    const error = await client.getState().catch((e) => e);
    expect(error).toBeInstanceOf(BandClientError);
    expect(error.code).toBe('CLOSED');
    expect(host.isOpen).toBe(true);
  });
});

describe('waiting for a person notices a band that died silently', () => {
  /** An authenticated band whose client checks on it with `heartbeat`; `silence()` makes the band say nothing more. */
  async function silentBand(heartbeat: HeartbeatOptions) {
    const emulator = new BandEmulator({
      world: testWorld({ seed: 'silent' }),
      serialNumber: 'AAAH-00125',
      preset: { kind: 'authenticated', userName: 'bob' },
    });
    const [host, side] = loopbackPair();
    const serving = serveBand(emulator, side);
    const client = await BandClient.connect(host, { timeoutMs: 2_000, heartbeat });
    open.push(async () => {
      client.close();
      await host.close();
      emulator.close();
    });
    // The link stays up, the band says nothing more (a UDP peer that died).
    return { client, silence: () => serving.stop() };
  }

  it('a band that stops answering fails the wait at the next heartbeat, not at its timeout', async () => {
    const { client, silence } = await silentBand({ intervalMs: 50 });
    const { EventWaiter } = await import('../../host/event-waiter.js');
    const waiter = new EventWaiter(client);
    silence();
    const started = Date.now();
    const error = await waiter
      .next((_e): _e is never => false, { timeoutMs: 60_000, what: 'delete user data' })
      .catch((e) => e);
    waiter.close();
    expect(error).toMatchObject({ code: 'DISCONNECTED', message: /delete user data: the band stopped answering/ });
    // Far inside the 60 s wait: the heartbeat, not the timeout, ended it.
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('deleteUserData on a band that died reports DISCONNECTED after the configured heartbeat, silentForMs its timeout', async () => {
    const { client, silence } = await silentBand({ intervalMs: 100, timeoutMs: 300 });
    expect(client.heartbeat).toEqual({ intervalMs: 100, timeoutMs: 300 });
    const told: string[] = [];
    const walkedAway: UserInteraction = {
      instruct: async (i) => {
        told.push(i.kind);
        silence();
      },
      readSetupCode: async () => '',
    };
    const started = Date.now();
    // The person would have 10 minutes: only the heartbeat can end this in time.
    const error = await deleteUserData(client, walkedAway, { timeoutMs: 600_000 }).catch((e: unknown) => e);
    expect(told).toEqual(['delete-user-data']);
    expect(error).toBeInstanceOf(BandClientError);
    expect(error).toMatchObject({ code: 'DISCONNECTED', silentForMs: 300 });
    expect((error as Error).message).toMatch(/BandClientOptions\.heartbeat\.timeoutMs/);
    // 100 ms + 300 ms configured; the bound is generous for a loaded machine and far below the 10 minutes.
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it("no PING before the configured interval: a wait shorter than it ends as the person's TIMEOUT", async () => {
    const { client, silence } = await silentBand({ intervalMs: 3_600_000 });
    const { EventWaiter } = await import('../../host/event-waiter.js');
    const waiter = new EventWaiter(client);
    silence();
    const error = await waiter
      .next((_e): _e is never => false, { timeoutMs: 200, what: 'delete user data' })
      .catch((e) => e);
    waiter.close();
    expect(error).toMatchObject({ code: 'TIMEOUT' });
  });

  it('a heartbeat that is not a positive whole number is refused when the client is made', async () => {
    const [host] = loopbackPair();
    open.push(() => host.close());
    for (const heartbeat of [{ intervalMs: 0 }, { timeoutMs: -5 }, { intervalMs: 1.5 }, { timeoutMs: Number.NaN }]) {
      expect(() => new BandClient(host, { heartbeat }), JSON.stringify(heartbeat)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
    }
    expect(new BandClient(host).heartbeat).toEqual({ intervalMs: 5_000, timeoutMs: 2_000 });
  });
});

describe('a FIDO2 request waiting for a person notices a band that went silent', () => {
  it('no reply and no KEEPALIVE for silenceMs ends the call with DISCONNECTED "the band stopped answering"', async () => {
    const { makeCredentialRequest } = await import('../../host/conformance/ctap.js');
    const { Command, KeepaliveStatus } = await import('../../transport/index.js');
    const emulator = new BandEmulator({
      world: testWorld({ seed: 'silent-cbor' }),
      serialNumber: 'AAAH-00125',
      preset: { kind: 'authenticated', userName: 'bob' },
    });
    const [host, side] = loopbackPair();
    const serving = serveBand(emulator, side);
    const client = await BandClient.connect(host, { timeoutMs: 2_000 });
    open.push(async () => {
      client.close();
      await host.close();
      emulator.close();
    });
    let asked!: () => void;
    const waiting = new Promise<void>((resolve) => (asked = resolve));
    const call = client.channel
      .transact(
        { command: Command.CBOR, payload: makeCredentialRequest().payload },
        (u) => u.command === Command.CBOR,
        {
          timeoutMs: 60_000,
          silenceMs: 300,
          onKeepalive: (status) => status === KeepaliveStatus.UPNEEDED && asked(),
        },
      )
      .catch((error: unknown) => error);
    await waiting;
    // The band dies: nothing more comes on the link (which stays up, as a loopback or UDP peer's would).
    serving.stop();
    const error = await call;
    expect(error).toBeInstanceOf(BandClientError);
    expect(error).toMatchObject({
      code: 'DISCONNECTED',
      silentForMs: 300,
      message: /^the band stopped answering: .* for 300 ms/,
    });
  });
});
