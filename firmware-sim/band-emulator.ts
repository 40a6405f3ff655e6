import type { BandEvent, Capability, FidoCredential } from '../proto/index.js';
import {
  BandMessageCodec,
  isSerialNumber,
  MAX_FIRMWARE_VERSION_BYTES,
  SERIAL_NUMBER_EXAMPLE,
  SERIAL_NUMBER_FORM,
} from '../proto/index.js';
import { Command, HidError, Subscribers, type Unit } from '../transport/index.js';
import { Band, type BandHooks } from './band.js';
import type { Clock } from './clock.js';
import { provisionEnterpriseRpIds, type AttestationMode, type Ctap2Authenticator } from './ctap2/index.js';
import { answerDebug } from './debug-link.js';
import type { BandDevice, DeviceContext } from './band-device.js';
import { BAND_AAGUID, fido2Authenticator, residentCredentialCount, residentCredentials } from './fido2.js';
import type { FlashOptions } from './flash.js';
import type { FlashStore } from './flash-store.js';
import { answerHost, type HostProtocolInfo } from './host-protocol.js';
import { applyPreset, type Preset } from './preset.js';
import type { World } from './world.js';

export const DEFAULT_FIRMWARE_VERSION = 'bandsim 0.1.0';

export interface BandEmulatorOptions {
  world: World;
  /** Printed on the band's back: four capital letters, a dash, five digits, e.g. "AAAH-00125". */
  serialNumber: string;
  /** At most 32 bytes; default "bandsim 0.1.0". */
  firmwareVersion?: string;
  /** The band can carry an HID SEOS credential (provisioned at enrollment). Default false. */
  seos?: boolean;
  /** Answer the debug link (command 0x42). Default false: a production band refuses it. */
  debugLink?: boolean;
  /** FIDO2 user presence without the top button. Default false. */
  autoPresence?: boolean;
  /** Host the CTAP2 authenticator on the CBOR command. Default true. */
  fido2?: boolean;
  /** 16 bytes; default the band model's. */
  aaguid?: Uint8Array;
  /** makeCredential's packed attestation: 'batch' (x5c under the model's root, the default) or 'self'. */
  attestation?: AttestationMode;
  /**
   * RP IDs the vendor burns into the band for vendor-facilitated enterprise attestation (CTAP 2.1 §7.1.1): written
   * to its factory data at the first construction and unchangeable after (a different list throws an
   * `EnterpriseProvisioningError`); absent or empty: keep what the band holds.
   */
  enterpriseRpIds?: readonly string[];
  /** Run an enrollment at construction (bandsim --preset). */
  preset?: Preset;
  batteryPercent?: number;
  flash?: FlashOptions;
}

/**
 * A whole band as an endpoint sees it (firmware-sim/band-device.ts): BAND requests go to the band protocol,
 * DEBUG to the debug link when enabled, CBOR to the CTAP2 authenticator, PING echoes, WINK answers
 * empty. A band without power answers nothing of its own; the endpoint gets CTAPHID ERROR OTHER so it
 * is not left waiting (a real band would simply have dropped off the bus).
 */
export class BandEmulator implements BandDevice {
  readonly band: Band;
  readonly world: World;
  /** False on a band built without FIDO2: it refuses CBOR and INIT does not advertise it. */
  readonly hostsCtap2: boolean;
  private readonly info: HostProtocolInfo;
  private readonly debugLink: boolean;
  private readonly authenticator?: Ctap2Authenticator;
  private readonly listeners = new Subscribers<Unit>();

  constructor(options: BandEmulatorOptions) {
    const firmwareVersion = options.firmwareVersion ?? DEFAULT_FIRMWARE_VERSION;
    checkOptions(options, firmwareVersion);
    this.world = options.world;
    this.debugLink = options.debugLink ?? false;
    const fido2 = options.fido2 ?? true;
    this.hostsCtap2 = fido2;
    const seos = options.seos ?? false;
    const hooks = new Ctap2Hooks();
    this.band = new Band(
      options.world,
      {
        serialNumber: options.serialNumber,
        firmwareVersion,
        seos,
        autoPresence: options.autoPresence ?? false,
        batteryPercent: options.batteryPercent,
        flash: options.flash,
      },
      fido2 ? hooks : NO_CTAP2,
    );
    if (fido2) {
      const authenticator = fido2Authenticator(this.band, options.world.clock, {
        aaguid: options.aaguid ?? BAND_AAGUID,
        firmwareVersion,
        attestation: options.attestation,
      });
      if (this.band.isPowered) authenticator.powerUp();
      this.authenticator = hooks.authenticator = authenticator;
      // A band whose flash cannot be read says so (STORAGE) rather than refuse to exist; it is provisioned once repaired.
      if (options.enterpriseRpIds?.length && this.band.storageFault === undefined) {
        try {
          provisionEnterpriseRpIds(this.band.store, options.enterpriseRpIds);
        } catch (error) {
          this.band.shutdown();
          throw error;
        }
      }
    }
    this.info = {
      serialNumber: options.serialNumber,
      firmwareVersion,
      capabilities: capabilitiesOf(fido2, seos, this.debugLink),
      fido2,
      seos,
    };
    this.band.onEvent((event) => this.emit(event));
    if (options.preset) {
      try {
        applyPreset(this.band, options.world.body, options.preset);
      } catch (error) {
        this.band.fail(error);
        throw error;
      }
    }
  }

  async handle(unit: Unit, ctx: DeviceContext): Promise<Unit> {
    try {
      return await this.route(unit, ctx);
    } catch (error) {
      // Nothing a host sends may take the band down: a power cut leaves it dead, anything else is answered OTHER.
      this.band.fail(error);
      return hidError(HidError.OTHER);
    }
  }

  get clock(): Clock {
    return this.world.clock;
  }

  onEvent(listener: (unit: Unit) => void): () => void {
    return this.listeners.add(listener);
  }

  /** Stops the band's timers and detaches it from the body. */
  close(): void {
    this.band.shutdown();
    this.listeners.clear();
  }

  private async route(unit: Unit, ctx: DeviceContext): Promise<Unit> {
    switch (unit.command) {
      case Command.DEBUG:
        if (!this.debugLink) return hidError(HidError.INVALID_CMD);
        return { command: Command.DEBUG, payload: answerDebug(this.band, this.world, unit.payload) };
      case Command.BAND: {
        const reply = answerHost(this.band, this.info, unit.payload);
        return reply === 'unpowered' ? hidError(HidError.OTHER) : { command: Command.BAND, payload: reply };
      }
      case Command.PING:
        if (!this.band.isPowered) return hidError(HidError.OTHER);
        return { command: Command.PING, payload: unit.payload };
      case Command.WINK:
        if (!this.band.isPowered) return hidError(HidError.OTHER);
        return { command: Command.WINK, payload: new Uint8Array(0) };
      case Command.CBOR:
        return this.cbor(unit.payload, ctx, 'cbor');
      case Command.MSG:
        return this.cbor(unit.payload, ctx, 'u2f');
      default:
        return hidError(HidError.INVALID_CMD);
    }
  }

  /** CBOR (CTAP2) and MSG (CTAP1/U2F APDUs) both go to the authenticator, which runs one request at a time. */
  private async cbor(request: Uint8Array, ctx: DeviceContext, protocol: 'cbor' | 'u2f'): Promise<Unit> {
    if (!this.authenticator) return hidError(HidError.INVALID_CMD);
    if (!this.band.isPowered) return hidError(HidError.OTHER);
    const epoch = this.band.epoch;
    const reply =
      protocol === 'cbor'
        ? await this.authenticator.handle(request, ctx)
        : await this.authenticator.handleU2f(request, ctx);
    // A reply computed across a power cut or reboot died with the old power.
    if (!this.band.isPowered || this.band.epoch !== epoch) return hidError(HidError.OTHER);
    return { command: protocol === 'cbor' ? Command.CBOR : Command.MSG, payload: reply };
  }

  private emit(event: BandEvent): void {
    const unit: Unit = {
      command: Command.BAND,
      payload: BandMessageCodec.encode({ requestId: 0, body: { case: 'event', value: { kind: event } } }),
    };
    this.listeners.emit(unit);
  }
}

/** One frozen list for every band of the same make-up (there are eight). */
const CAPABILITIES = new Map<string, readonly Capability[]>();

function capabilitiesOf(fido2: boolean, seos: boolean, debugLink: boolean): readonly Capability[] {
  const key = `${+fido2}${+seos}${+debugLink}`;
  let list = CAPABILITIES.get(key);
  if (list === undefined) {
    const capabilities: Capability[] = [];
    if (fido2) capabilities.push('CAPABILITY_FIDO2');
    if (seos) capabilities.push('CAPABILITY_SEOS');
    if (debugLink) capabilities.push('CAPABILITY_DEBUG_LINK');
    capabilities.push('CAPABILITY_LIVENESS');
    list = Object.freeze(capabilities);
    CAPABILITIES.set(key, list);
  }
  return list;
}

/** What a band without FIDO2 tells nobody. */
const NO_CTAP2: BandHooks = Object.freeze({});

/** How a band reaches the authenticator it hosts: prototype methods, one small object a band. */
class Ctap2Hooks implements BandHooks {
  /** Set once the authenticator exists (the band's first boot runs before it does). */
  authenticator?: Ctap2Authenticator;

  powerUp(): void {
    this.authenticator?.powerUp();
  }
  fidoCredentials(store: FlashStore): FidoCredential[] {
    return residentCredentials(store);
  }
  fidoCredentialCount(store: FlashStore): number {
    return residentCredentialCount(store);
  }
}

function hidError(code: number): Unit {
  return { command: Command.ERROR, payload: Uint8Array.of(code) };
}

function checkOptions(options: BandEmulatorOptions, firmwareVersion: string): void {
  if (!options.world)
    throw new TypeError('expected options.world (clock, random, storage, body); use testWorld() or systemWorld()');
  if (!isSerialNumber(options.serialNumber)) {
    throw new RangeError(
      `expected a serial number of ${SERIAL_NUMBER_FORM} (e.g. ${SERIAL_NUMBER_EXAMPLE}), got ${JSON.stringify(options.serialNumber)}`,
    );
  }
  if (Buffer.byteLength(firmwareVersion) > MAX_FIRMWARE_VERSION_BYTES || firmwareVersion.length === 0) {
    throw new RangeError(
      `expected a firmware version of 1..${MAX_FIRMWARE_VERSION_BYTES} bytes, got ${JSON.stringify(firmwareVersion)}`,
    );
  }
  if (options.aaguid !== undefined && (!(options.aaguid instanceof Uint8Array) || options.aaguid.length !== 16)) {
    throw new RangeError(`expected a 16-byte AAGUID, got ${options.aaguid?.length ?? 'nothing'}`);
  }
}
