import { CtapHidDevice, JOURNAL_FILE, MemoryMedium, serveBand, type ManualClock } from '../../firmware-sim/index.js';
import {
  DirectoryError,
  MemoryDirectory,
  decodeDirectoryFile,
  encodeDirectoryFile,
  enrollBand,
  registerBand,
  registerUser,
  setPolicy,
} from '../../host/directory/index.js';
import {
  BandMessageCodec,
  Ctap2Command,
  DebugRequestCodec,
  DebugResponseCodec,
  HostMessageCodec,
  decodeCanonical,
  encodeCanonical,
  type CborInput,
  type CborKey,
} from '../../proto/index.js';
import {
  BROADCAST_CID,
  Command,
  DEFAULT_MAX_MESSAGE_MS,
  HID_REPORT_SIZE,
  Reassembler,
  encodeFrame,
  loopbackPair,
  packetize,
  type Unit,
} from '../../transport/index.js';
import { FuzzFailure, LiveBand, checkGetInfoReply, checkReply, getInfoUnit } from './live-band.js';
import { concat, type Random } from './mutate.js';

/** What a decoder did with an input: took it, or refused it with the typed error its contract names. */
export type Verdict = 'accepted' | 'refused';

export interface FuzzTarget {
  readonly name: string;
  readonly description: string;
  /** Inputs longer than this are cut (the wire's own bound, or a little past it). */
  readonly maxLength: number;
  /** Valid inputs to mutate. */
  readonly seeds: Uint8Array[];
  /** A structure-aware input (valid framing, random content), to get past checksums and length fields. */
  generate?(random: Random): Uint8Array;
  /** Feeds one input; throws FuzzFailure for a bug. */
  run(input: Uint8Array): Promise<Verdict>;
  /** The band still answers GetInfo (for targets with a live band). */
  alive(): Promise<void>;
  close(): Promise<void>;
}

interface TargetFactory {
  name: string;
  description: string;
  /** Listed by --list and run by default. */
  hidden?: boolean;
  create(): Promise<FuzzTarget>;
}

const NEVER = new AbortController().signal;
const ctx = () => ({ signal: NEVER, keepalive: () => undefined });

// ---------------------------------------------------------------------------------------------- seeds

const bandUnit = (requestId: number, body: Parameters<typeof HostMessageCodec.encode>[0]['body']): Unit => ({
  command: Command.BAND,
  payload: HostMessageCodec.encode({ requestId, body }),
});

const BAND_REQUESTS: Unit[] = [
  getInfoUnit(1),
  bandUnit(2, { case: 'getState', value: {} }),
  bandUnit(3, { case: 'listFidoCredentials', value: {} }),
  bandUnit(4, { case: 'getSeosStatus', value: {} }),
  bandUnit(5, { case: 'setSettings', value: { hapticFeedback: true } }),
  bandUnit(6, { case: 'setLabel', value: { label: 'FUZZ BAND' } }),
  bandUnit(7, { case: 'startEnrollment', value: {} }),
  bandUnit(8, { case: 'verifySetupCode', value: { setupCode: 'ABC123' } }),
  bandUnit(9, { case: 'startCapture', value: {} }),
  bandUnit(10, { case: 'cancelEnrollment', value: {} }),
  bandUnit(11, { case: 'deleteUserData', value: {} }),
  bandUnit(12, { case: 'cancelDeleteUserData', value: {} }),
  bandUnit(13, { case: 'completeEnrollment', value: { userName: 'fuzz-user', label: 'FUZZ' } }),
];

const DEBUG_REQUESTS: Uint8Array[] = [
  DebugRequestCodec.encode({ requestId: 1, action: { case: 'readScreen', value: {} } }),
  DebugRequestCodec.encode({
    requestId: 2,
    action: { case: 'button', value: { button: 'BUTTON_TOP', motion: 'BUTTON_MOTION_PRESS', holdMs: 0 } },
  }),
  DebugRequestCodec.encode({
    requestId: 3,
    action: { case: 'button', value: { button: 'BUTTON_BOTTOM', motion: 'BUTTON_MOTION_HOLD', holdMs: 10_000 } },
  }),
  DebugRequestCodec.encode({
    requestId: 4,
    action: { case: 'fingerOn', value: { finger: 'fuzz-user/right-index', poorQuality: false, liveness: true } },
  }),
  DebugRequestCodec.encode({ requestId: 5, action: { case: 'fingerOff', value: {} } }),
  DebugRequestCodec.encode({ requestId: 6, action: { case: 'setWrist', value: { onWrist: true } } }),
  DebugRequestCodec.encode({ requestId: 7, action: { case: 'setCharger', value: { onCharger: true } } }),
  DebugRequestCodec.encode({ requestId: 8, action: { case: 'advanceClock', value: { ms: 1_500 } } }),
  DebugRequestCodec.encode({ requestId: 9, action: { case: 'reseed', value: { seed: new Uint8Array([1, 2, 3]) } } }),
  DebugRequestCodec.encode({ requestId: 10, action: { case: 'cutPower', value: { atWrite: 1 } } }),
  DebugRequestCodec.encode({ requestId: 11, action: { case: 'reboot', value: {} } }),
];

const RP_ID = 'example.com';
const hash32 = (n: number) => new Uint8Array(32).fill(n);

function makeCredentialRequest(options: { rk: boolean; userId: number; extensions?: boolean }): CborInput {
  const m = new Map<CborKey, CborInput>([
    [1, hash32(1)],
    [
      2,
      new Map([
        ['id', RP_ID],
        ['name', 'Example'],
      ]),
    ],
    [
      3,
      new Map<CborKey, CborInput>([
        ['id', Uint8Array.of(options.userId, 2, 3, 4)],
        ['name', 'alice'],
        ['displayName', 'Alice'],
      ]),
    ],
    [
      4,
      [
        new Map<CborKey, CborInput>([
          ['alg', -7],
          ['type', 'public-key'],
        ]),
      ],
    ],
  ]);
  if (options.extensions)
    m.set(
      6,
      new Map<CborKey, CborInput>([
        ['credProtect', 2],
        ['hmac-secret', true],
      ]),
    );
  m.set(7, new Map([['rk', options.rk], ...(options.rk ? [['uv', true] as [string, boolean]] : [])]));
  return m;
}

/** A CBOR request per CTAP2 command, valid in form (its content may still be refused by the band's state). */
function ctap2Seeds(command: number, credentialId: Uint8Array): Uint8Array[] {
  const cbor = (value: CborInput) => concat(Uint8Array.of(command), encodeCanonical(value));
  const bare = Uint8Array.of(command);
  switch (command) {
    case Ctap2Command.MAKE_CREDENTIAL:
      return [
        cbor(makeCredentialRequest({ rk: false, userId: 1 })),
        cbor(makeCredentialRequest({ rk: true, userId: 2, extensions: true })),
        cbor(
          new Map<CborKey, CborInput>([
            [1, hash32(2)],
            [2, new Map([['id', RP_ID]])],
            [3, new Map<CborKey, CborInput>([['id', Uint8Array.of(9)]])],
            [
              4,
              [
                new Map<CborKey, CborInput>([
                  ['alg', -7],
                  ['type', 'public-key'],
                ]),
              ],
            ],
            [
              5,
              [
                new Map<CborKey, CborInput>([
                  ['type', 'public-key'],
                  ['id', credentialId],
                ]),
              ],
            ],
          ]),
        ),
      ];
    case Ctap2Command.GET_ASSERTION:
      return [
        cbor(
          new Map<CborKey, CborInput>([
            [1, RP_ID],
            [2, hash32(3)],
          ]),
        ),
        cbor(
          new Map<CborKey, CborInput>([
            [1, RP_ID],
            [2, hash32(4)],
            [
              3,
              [
                new Map<CborKey, CborInput>([
                  ['type', 'public-key'],
                  ['id', credentialId],
                ]),
              ],
            ],
            [5, new Map([['up', true]])],
          ]),
        ),
      ];
    case Ctap2Command.CLIENT_PIN:
      return [
        cbor(
          new Map([
            [1, 1],
            [2, 1],
          ]),
        ),
        cbor(
          new Map([
            [1, 2],
            [2, 2],
          ]),
        ),
        cbor(
          new Map([
            [1, 1],
            [2, 5],
          ]),
        ),
        cbor(
          new Map<CborKey, CborInput>([
            [1, 2],
            [2, 9],
            [
              3,
              new Map<CborKey, CborInput>([
                [1, 2],
                [3, -25],
                [-1, 1],
                [-2, hash32(5)],
                [-3, hash32(6)],
              ]),
            ],
            [9, 0x3f],
          ]),
        ),
      ];
    case Ctap2Command.CREDENTIAL_MANAGEMENT:
    case Ctap2Command.CREDENTIAL_MANAGEMENT_PREVIEW:
      return [
        cbor(
          new Map<CborKey, CborInput>([
            [1, 1],
            [3, 2],
            [4, hash32(7)],
          ]),
        ),
        cbor(
          new Map<CborKey, CborInput>([
            [1, 4],
            [2, new Map([[1, hash32(8)]])],
            [3, 2],
            [4, hash32(9)],
          ]),
        ),
        cbor(new Map<CborKey, CborInput>([[1, 2]])),
      ];
    case Ctap2Command.BIO_ENROLLMENT:
    case Ctap2Command.BIO_ENROLLMENT_PREVIEW:
      return [
        cbor(
          new Map<CborKey, CborInput>([
            [1, 1],
            [2, 4],
          ]),
        ),
        cbor(new Map<CborKey, CborInput>([[6, true]])),
      ];
    case Ctap2Command.LARGE_BLOBS:
      return [
        cbor(
          new Map([
            [1, 64],
            [3, 0],
          ]),
        ),
        cbor(
          new Map<CborKey, CborInput>([
            [2, hash32(1)],
            [3, 0],
            [4, 32],
          ]),
        ),
      ];
    case Ctap2Command.CONFIG:
      return [
        cbor(new Map([[1, 1]])),
        cbor(
          new Map<CborKey, CborInput>([
            [1, 3],
            [2, new Map([[1, 6]])],
          ]),
        ),
      ];
    default:
      return [bare, cbor(new Map())];
  }
}

// ---------------------------------------------------------------------------------------------- helpers

/** Random CBOR of the shapes CTAP2 uses, for the generator: maps with small int and text keys. */
function randomCbor(random: Random, depth = 0): CborInput {
  switch (random.int(depth > 2 ? 5 : 8)) {
    case 0:
      return random.int(2) ? random.int(300) : -1 - random.int(300);
    case 1:
      return random.bytes(random.pick([0, 1, 16, 32, 33, 64, 65, 200]));
    case 2:
      return random.pick(['id', 'name', 'alg', 'type', 'public-key', 'up', 'uv', 'rk', 'hmac-secret', RP_ID, '']);
    case 3:
      return random.int(2) === 1;
    case 4:
      return null;
    case 5:
      return Array.from({ length: random.int(4) }, () => randomCbor(random, depth + 1));
    default: {
      const map = new Map<CborKey, CborInput>();
      for (let i = random.int(6); i > 0; i--) {
        const key: CborKey = random.int(3)
          ? 1 + random.int(12)
          : random.pick(['id', 'name', 'alg', 'type', 'up', 'rk']);
        map.set(key, randomCbor(random, depth + 1));
      }
      return map;
    }
  }
}

function unitOf(input: Uint8Array, command: number): Unit {
  return { command, payload: input };
}

async function directTarget(
  name: string,
  description: string,
  live: LiveBand,
  seeds: Uint8Array[],
  toUnit: (input: Uint8Array) => Unit,
  options: { maxLength: number; generate?: (random: Random) => Uint8Array; afterEach?: () => void },
): Promise<FuzzTarget> {
  return {
    name,
    description,
    maxLength: options.maxLength,
    seeds,
    generate: options.generate,
    async run(input) {
      const reply = await live.device.handle(toUnit(input), ctx());
      if (live.pending > 0) await live.settle();
      live.checkSwallowed();
      options.afterEach?.();
      checkReply(reply);
      return reply.command === Command.ERROR || (reply.command === Command.CBOR && reply.payload[0] !== 0)
        ? 'refused'
        : isBandError(reply)
          ? 'refused'
          : 'accepted';
    },
    alive: () => live.getInfo(),
    async close() {
      live.close();
    },
  };
}

function isBandError(reply: Unit): boolean {
  if (reply.command === Command.BAND) return BandMessageCodec.decode(reply.payload).body?.case === 'error';
  if (reply.command === Command.DEBUG) return DebugResponseCodec.decode(reply.payload).result?.case === 'error';
  return false;
}

/** A band that has a user and FIDO2 credentials (resident and not), so stored records get decoded. */
async function seededBand(options: { debugLink?: boolean; medium?: MemoryMedium } = {}) {
  const live = new LiveBand({
    // Worn and authenticated: user verification (the band's fingerprint) is there for discoverable credentials.
    preset: { kind: 'authenticated', userName: 'fuzz-user' },
    debugLink: options.debugLink ?? false,
    medium: options.medium,
  });
  let credentialId = new Uint8Array(16);
  for (const request of [
    makeCredentialRequest({ rk: true, userId: 7, extensions: true }),
    makeCredentialRequest({ rk: false, userId: 8 }),
  ]) {
    const reply = await live.device.handle(
      { command: Command.CBOR, payload: concat(Uint8Array.of(Ctap2Command.MAKE_CREDENTIAL), encodeCanonical(request)) },
      ctx(),
    );
    if (reply.command !== Command.CBOR || reply.payload[0] !== 0)
      throw new Error(`fuzz setup: makeCredential failed (${reply.command}, status ${reply.payload[0]})`);
    const response = decodeCanonical(reply.payload.subarray(1)) as Map<CborKey, unknown>;
    const authData = response.get(2) as Uint8Array;
    const length = (authData[53] << 8) | authData[54];
    credentialId = authData.slice(55, 55 + length);
  }
  await live.device.handle(bandUnit(20, { case: 'setLabel', value: { label: 'FUZZ' } }), ctx());
  live.checkSwallowed();
  return { live, credentialId };
}

// ---------------------------------------------------------------------------------------------- targets

const frameStream: TargetFactory = {
  name: 'frame-stream',
  description: 'serial/TCP/loopback byte stream (COBS, CRC-32, delimiter) into a live band over the loopback',
  async create() {
    const { live } = await seededBand();
    const [host, bandSide] = loopbackPair({ names: ['fuzz:host', 'fuzz:band'] });
    const serving = serveBand(live.device, bandSide);
    const replies: Unit[] = [];
    host.onUnit((unit) => replies.push(unit));
    const seeds = [
      ...BAND_REQUESTS,
      { command: Command.PING, payload: Uint8Array.of(1, 2, 0, 3) },
      { command: Command.INIT, payload: new Uint8Array(8) },
      { command: Command.CBOR, payload: Uint8Array.of(Ctap2Command.GET_INFO) },
      { command: Command.CANCEL, payload: new Uint8Array(0) },
    ].map((u) => encodeFrame(u));
    seeds.push(concat(seeds[0], seeds[1], seeds[2]));
    return {
      name: this.name,
      description: this.description,
      maxLength: 20_000,
      seeds,
      generate(random) {
        // Valid frames (so the CRC passes) of random commands and payloads, sometimes cut or run together.
        const frames: Uint8Array[] = [];
        for (let i = 1 + random.int(3); i > 0; i--) {
          const command = random.chance(0.7)
            ? random.pick([
                Command.BAND,
                Command.CBOR,
                Command.PING,
                Command.INIT,
                Command.CANCEL,
                Command.WINK,
                Command.DEBUG,
              ])
            : random.int(256);
          const payload = random.chance(0.5) ? random.pick(BAND_REQUESTS).payload : random.bytes(random.int(80));
          try {
            frames.push(encodeFrame({ command, payload }));
          } catch {
            frames.push(random.bytes(8));
          }
        }
        return concat(...frames);
      },
      async run(input) {
        replies.length = 0;
        bandSide.injectBytes(input);
        // A delimiter, so an unfinished frame is dropped here and not glued to the next input.
        bandSide.injectBytes(Uint8Array.of(0));
        await live.settle();
        live.checkSwallowed();
        for (const reply of replies) checkReply(reply);
        return replies.length > 0 ? 'accepted' : 'refused';
      },
      async alive() {
        replies.length = 0;
        await host.send(getInfoUnit(0x7777));
        await live.settle();
        const reply = replies.find(
          (u) => u.command === Command.BAND && BandMessageCodec.decode(u.payload).requestId === 0x7777,
        );
        checkGetInfoReply(reply ?? replies.find((u) => u.command === Command.ERROR), 0x7777);
      },
      async close() {
        serving.stop();
        await host.close().catch(() => undefined);
        live.close();
      },
    };
  },
};

const ctaphid: TargetFactory = {
  name: 'ctaphid',
  description: "CTAPHID 64-byte report sequences (USB HID, UDP) into the live band's HID interface",
  async create() {
    const { live } = await seededBand();
    const device = new CtapHidDevice(live.device, { random: (n) => live.emulator.world.random.bytes(n) });
    const clock = live.emulator.world.clock as ManualClock;
    const replies: Uint8Array[] = [];
    const sink = (report: Uint8Array) => replies.push(report);
    const init = packetize(BROADCAST_CID, Command.INIT, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
    const known = 0x01020304;
    const seeds = [
      concat(...init),
      concat(...init, ...packetize(known, Command.BAND, getInfoUnit(1).payload)),
      concat(...packetize(known, Command.CBOR, Uint8Array.of(Ctap2Command.GET_INFO))),
      concat(...packetize(known, Command.PING, new Uint8Array(300).fill(0xab))),
      concat(...packetize(known, Command.CANCEL, new Uint8Array(0))),
    ];
    return {
      name: this.name,
      description: this.description,
      maxLength: HID_REPORT_SIZE * 140,
      seeds,
      generate(random) {
        // Well-formed packet sequences on a broadcast, allocated-looking or random channel.
        const cid = random.pick([BROADCAST_CID, known, random.next(), 0]);
        const command = random.pick([
          Command.INIT,
          Command.BAND,
          Command.CBOR,
          Command.PING,
          Command.CANCEL,
          Command.WINK,
          random.int(128),
        ]);
        const payload = random.chance(0.3)
          ? random.pick(BAND_REQUESTS).payload
          : random.bytes(random.pick([0, 8, 57, 58, 120, 7609]));
        return concat(...packetize(cid, command, payload));
      },
      async run(input) {
        replies.length = 0;
        for (let at = 0; at < input.length; at += HID_REPORT_SIZE) {
          const report = new Uint8Array(HID_REPORT_SIZE);
          report.set(input.subarray(at, at + HID_REPORT_SIZE));
          device.receive(report, sink);
        }
        await live.settle();
        // Time passes before the next host speaks: an unfinished message times out (MSG_TIMEOUT) as on a real band.
        clock.advance(DEFAULT_MAX_MESSAGE_MS);
        await live.settle();
        live.checkSwallowed();
        for (const report of replies) {
          if (report.length !== HID_REPORT_SIZE)
            throw new FuzzFailure('bad-reply', `a ${report.length}-byte HID report`);
        }
        return replies.length > 0 ? 'accepted' : 'refused';
      },
      async alive() {
        // A fresh channel, then GetInfo on it, each reply reassembled as a host would.
        const exchange = async (cid: number, command: number, payload: Uint8Array) => {
          replies.length = 0;
          for (const report of packetize(cid, command, payload)) device.receive(report, sink);
          await live.settle();
          const reassembler = new Reassembler({ side: 'host' });
          let reply: Unit | undefined;
          for (const report of replies) {
            for (const item of reassembler.push(report)) {
              if ('hidError' in item || item.cid !== cid || item.command === Command.KEEPALIVE) continue;
              reply = { command: item.command, payload: item.payload };
            }
          }
          return reply;
        };
        const nonce = Uint8Array.of(9, 8, 7, 6, 5, 4, 3, 2);
        const allocated = await exchange(BROADCAST_CID, Command.INIT, nonce);
        if (allocated?.command !== Command.INIT || Buffer.compare(allocated.payload.subarray(0, 8), nonce) !== 0) {
          throw new FuzzFailure('dead', 'the band stopped answering CTAPHID INIT');
        }
        const cid = new DataView(allocated.payload.buffer, allocated.payload.byteOffset).getUint32(8);
        checkGetInfoReply(await exchange(cid, Command.BAND, getInfoUnit(0x7777).payload), 0x7777);
      },
      async close() {
        device.close();
        live.close();
      },
    };
  },
};

const bandProtobuf: TargetFactory = {
  name: 'band-protobuf',
  description: "HostMessage protobuf (BAND units) to the live band; its replies through the host's BandMessage decoder",
  async create() {
    const { live } = await seededBand();
    return directTarget(
      this.name,
      this.description,
      live,
      BAND_REQUESTS.map((u) => u.payload),
      (input) => unitOf(input, Command.BAND),
      {
        maxLength: 7609,
      },
    );
  },
};

const debugProtobuf: TargetFactory = {
  name: 'debug-protobuf',
  description: 'DebugRequest protobuf (DEBUG units) to a live band with its debug link on',
  async create() {
    const { live } = await seededBand({ debugLink: true });
    return directTarget(this.name, this.description, live, DEBUG_REQUESTS, (input) => unitOf(input, Command.DEBUG), {
      maxLength: 7609,
      // A cut_power or reboot request does what it says: the rig powers the band back on before the next input.
      afterEach: () => live.restorePower(),
    });
  },
};

function ctap2Target(commandName: string, command: number): TargetFactory {
  return {
    name: `ctap2-${commandName}`,
    description: `CTAP2 ${commandName} (0x${command.toString(16).padStart(2, '0')}) CBOR to the live band's authenticator`,
    async create() {
      const { live, credentialId } = await seededBand();
      return directTarget(
        this.name,
        this.description,
        live,
        ctap2Seeds(command, credentialId),
        (input) => unitOf(input, Command.CBOR),
        {
          maxLength: 7609,
          generate: (random) => {
            try {
              return concat(Uint8Array.of(command), encodeCanonical(randomCbor(random, 1)));
            } catch {
              return Uint8Array.of(command);
            }
          },
        },
      );
    },
  };
}

/** Every CTAP2 command through one decoder entry: the command byte picks the member table. */
const ctap2AllCommands: TargetFactory = {
  name: 'ctap2-cbor',
  description: "CTAP2 CBOR of every command (the command byte varies too) to the live band's authenticator",
  async create() {
    const { live, credentialId } = await seededBand();
    const commands = Object.keys(CTAP2_COMMAND_NAMES).map(Number);
    return directTarget(
      this.name,
      this.description,
      live,
      commands.flatMap((command) => ctap2Seeds(command, credentialId)),
      (input) => unitOf(input, Command.CBOR),
      {
        maxLength: 7609,
        generate: (random) => {
          const command = random.chance(0.9) ? random.pick(commands) : random.int(256);
          try {
            return concat(Uint8Array.of(command), encodeCanonical(randomCbor(random, 1)));
          } catch {
            return Uint8Array.of(command);
          }
        },
      },
    );
  },
};

const CTAP2_COMMAND_NAMES: Record<number, string> = {
  [Ctap2Command.MAKE_CREDENTIAL]: 'makeCredential',
  [Ctap2Command.GET_ASSERTION]: 'getAssertion',
  [Ctap2Command.GET_INFO]: 'getInfo',
  [Ctap2Command.CLIENT_PIN]: 'clientPIN',
  [Ctap2Command.RESET]: 'reset',
  [Ctap2Command.GET_NEXT_ASSERTION]: 'getNextAssertion',
  [Ctap2Command.BIO_ENROLLMENT]: 'bioEnrollment',
  [Ctap2Command.CREDENTIAL_MANAGEMENT]: 'credentialManagement',
  [Ctap2Command.SELECTION]: 'selection',
  [Ctap2Command.LARGE_BLOBS]: 'largeBlobs',
  [Ctap2Command.CONFIG]: 'config',
  [Ctap2Command.BIO_ENROLLMENT_PREVIEW]: 'bioEnrollmentPreview',
  [Ctap2Command.CREDENTIAL_MANAGEMENT_PREVIEW]: 'credentialManagementPreview',
};

const flashImage: TargetFactory = {
  name: 'flash-image',
  description: "the band's flash image (band.journal: user data, FIDO2 credentials, PIN state), booted by a fresh band",
  async create() {
    // One image compacted into a snapshot, one with delta records appended after it.
    const medium = new MemoryMedium();
    const { live, credentialId } = await seededBand({ medium });
    const withDeltas = medium.read(JOURNAL_FILE)!;
    live.close();
    const compactMedium = new MemoryMedium();
    const compact = new LiveBand({ preset: { kind: 'enrolled', userName: 'fuzz-user' }, medium: compactMedium });
    compact.close();
    const seeds = [withDeltas, compactMedium.read(JOURNAL_FILE)!];
    const assertion = concat(
      Uint8Array.of(Ctap2Command.GET_ASSERTION),
      encodeCanonical(
        new Map<CborKey, CborInput>([
          [1, RP_ID],
          [2, hash32(3)],
          [
            3,
            [
              new Map<CborKey, CborInput>([
                ['type', 'public-key'],
                ['id', credentialId],
              ]),
            ],
          ],
        ]),
      ),
    );
    const probes: Unit[] = [
      getInfoUnit(1),
      bandUnit(2, { case: 'getState', value: {} }),
      bandUnit(3, { case: 'listFidoCredentials', value: {} }),
      { command: Command.CBOR, payload: assertion },
      {
        command: Command.CBOR,
        payload: concat(
          Uint8Array.of(Ctap2Command.GET_ASSERTION),
          encodeCanonical(
            new Map<CborKey, CborInput>([
              [1, RP_ID],
              [2, hash32(3)],
            ]),
          ),
        ),
      },
      {
        command: Command.CBOR,
        payload: concat(
          Uint8Array.of(Ctap2Command.CLIENT_PIN),
          encodeCanonical(
            new Map([
              [1, 1],
              [2, 1],
            ]),
          ),
        ),
      },
    ];
    let last: LiveBand | undefined;
    return {
      name: this.name,
      description: this.description,
      maxLength: 64 * 1024,
      seeds,
      async run(input) {
        const image = new MemoryMedium();
        image.overwrite(JOURNAL_FILE, input);
        const band = new LiveBand({ medium: image });
        last = band;
        try {
          band.checkSwallowed();
          for (const probe of probes) {
            const reply = await band.device.handle(probe, ctx());
            await band.settle();
            band.checkSwallowed();
            checkReply(reply);
          }
          await band.getInfo();
          return band.emulator.band.storageFault ? 'refused' : 'accepted';
        } finally {
          band.close();
        }
      },
      async alive() {
        // Each input boots its own band, and run() already asked it for GetInfo; one more after the last input.
        if (last) return;
      },
      async close() {},
    };
  },
};

const directoryFile: TargetFactory = {
  name: 'directory-file',
  description: 'the enterprise directory file (JSON), decoded, checked against the invariants, loaded and written back',
  async create() {
    const source = new MemoryDirectory({ clock: () => new Date('2026-01-01T00:00:00.000Z') });
    await source.update((d) => {
      for (const u of ['alice', 'bob', 'carol']) registerUser(d, u);
      for (const [i, serial] of ['AAAH-00125', 'ACAK-00056', 'SEOS-00001'].entries()) {
        registerBand(d, { serialNumber: serial, deviceId: String(i + 1).padStart(32, '0'), seosEnabled: i === 2 });
      }
      enrollBand(d, 'alice', 'AAAH-00125');
      enrollBand(d, 'bob', 'ACAK-00056');
      setPolicy(d, { allowReEnrollOwnBand: true });
    });
    const text = encodeDirectoryFile(await source.snapshot());
    const seeds = [Buffer.from(text), Buffer.from(encodeDirectoryFile(await new MemoryDirectory().snapshot()))];
    const doc = JSON.parse(text) as Record<string, unknown>;
    const values: unknown[] = [
      null,
      true,
      false,
      0,
      -1,
      1e308,
      '',
      'AAAH-00125',
      'alice',
      '2026-01-01T00:00:00.000Z',
      '0'.repeat(32),
      [],
      {},
      '__proto__',
    ];
    return {
      name: this.name,
      description: this.description,
      maxLength: 64 * 1024,
      seeds,
      generate(random) {
        // Structure-aware: the good document with one value somewhere replaced, removed or duplicated.
        const copy = structuredClone(doc);
        const tables = ['users', 'bands', 'associations'] as const;
        for (let edits = 1 + random.int(3); edits > 0; edits--) {
          const table = copy[random.pick(tables)] as Record<string, unknown>[];
          if (random.chance(0.15)) copy[random.pick([...tables, 'policy', 'format', 'version'])] = random.pick(values);
          else if (Array.isArray(table) && table.length > 0) {
            const row = table[random.int(table.length)];
            if (random.chance(0.2)) table.push({ ...row });
            else if (random.chance(0.1)) table.splice(random.int(table.length), 1);
            else if (row && typeof row === 'object') {
              const keys = Object.keys(row);
              const other = table[random.int(table.length)];
              row[random.pick(keys)] = random.chance(0.5) && other ? other[random.pick(keys)] : random.pick(values);
            }
          }
        }
        return Buffer.from(JSON.stringify(copy));
      },
      async run(input) {
        let state;
        try {
          state = decodeDirectoryFile(Buffer.from(input).toString('utf8'), 'fuzz.json');
        } catch (error) {
          if (error instanceof DirectoryError && error.code === 'CORRUPT') return 'refused';
          throw error;
        }
        // What the decoder let through must load, and be written back to the same content.
        const directory = new MemoryDirectory({ initial: state });
        const snapshot = await directory.snapshot();
        const again = decodeDirectoryFile(encodeDirectoryFile(snapshot), 'fuzz.json');
        if (JSON.stringify(again) !== JSON.stringify(snapshot)) {
          throw new FuzzFailure('bad-reply', 'the directory written back differs from the one read');
        }
        return 'accepted';
      },
      async alive() {},
      async close() {},
    };
  },
};

/** Proves the harness reports a failure: it "crashes" on inputs starting with 0xde 0xad. */
const selfTest: TargetFactory = {
  name: 'self-test',
  description:
    'a decoder with a planted bug (inputs starting de a0..ff), to check that failures are caught and printed',
  hidden: true,
  async create() {
    return {
      name: this.name,
      description: this.description,
      maxLength: 64,
      seeds: [Uint8Array.of(0xde, 0x00, 0x01), Uint8Array.of(0x00, 0xad)],
      generate: (random) => random.bytes(2),
      async run(input) {
        if (input[0] === 0xde && input[1] >= 0xa0) throw new TypeError('planted bug');
        return 'accepted';
      },
      async alive() {},
      async close() {},
    };
  },
};

export const TARGETS: readonly TargetFactory[] = [
  frameStream,
  ctaphid,
  bandProtobuf,
  debugProtobuf,
  ctap2AllCommands,
  ...Object.entries(CTAP2_COMMAND_NAMES).map(([command, name]) => ctap2Target(name, Number(command))),
  flashImage,
  directoryFile,
  selfTest,
];
