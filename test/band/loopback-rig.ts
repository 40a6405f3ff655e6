import { BandEmulator, testWorld, type BandEmulatorOptions, type TestWorld } from '../../firmware-sim/index.js';
import { serveBand, type Serving } from '../../firmware-sim/serve.js';
import { BandClient, BandError, type BandEvent } from '../../host/index.js';
import type { BandState, Button, ButtonMotion, Init, Screen, ScreenReading } from '../../proto/index.js';
import { loopbackPair, type LoopbackTransport } from '../../transport/index.js';
import { Refused, type ReplyOf, type RequestName, type RequestOf, type Rig, type Touching } from './harness.js';

/**
 * The same band, reached the way a host application reaches it: BandClient over a loopback wire (real
 * COBS/CRC frames) to serveBand. Body actions go through the client's debug link.
 */
export class LoopbackRig implements Rig {
  readonly device: BandEmulator;
  readonly world: TestWorld;
  readonly client: BandClient;
  readonly events: BandEvent[] = [];
  private readonly host: LoopbackTransport;
  private readonly serving: Serving;
  private shown?: Screen;

  constructor(options: Partial<Omit<BandEmulatorOptions, 'world'>> & { seed?: string } = {}) {
    const { seed, ...rest } = options;
    this.world = testWorld({ seed: seed ?? 'rig' });
    this.device = new BandEmulator({ serialNumber: 'AAAH-00125', debugLink: true, ...rest, world: this.world });
    this.shown = this.device.band.screen;
    const [host, band] = loopbackPair();
    this.host = host;
    this.serving = serveBand(this.device, band);
    this.client = new BandClient(host);
    void this.record(this.client.events());
  }

  get fido2() {
    return this.client.fido2;
  }

  private async record(events: AsyncIterable<BandEvent>): Promise<void> {
    for await (const event of events) {
      this.events.push(event);
      if (event.case === 'screenChanged') this.shown = event.value.screen;
    }
  }

  async call<K extends RequestName>(name: K, value: Init<RequestOf<K>>): Promise<ReplyOf<K>> {
    try {
      return (await this.client.call(name, value as never)) as ReplyOf<K>;
    } catch (error) {
      if (error instanceof BandError) throw new Refused(error.code, error.message, error.state);
      throw error;
    }
  }

  async refusal<K extends RequestName>(name: K, value: Init<RequestOf<K>>): Promise<Refused> {
    try {
      const reply = await this.client.call(name, value as never);
      throw new Error(`expected ${name} to be refused, it was answered ${JSON.stringify(reply)}`);
    } catch (error) {
      if (error instanceof BandError) return new Refused(error.code, error.message, error.state);
      throw error;
    }
  }

  readScreen(): Promise<ScreenReading> {
    return this.client.debug.readScreen();
  }

  async screen(screen: Screen): Promise<void> {
    // The reading's reply travels behind every event the band sent before it, so the event log is complete now.
    const reading = await this.readScreen();
    if (reading.screen !== screen || this.shown !== screen) {
      throw new Error(
        `expected the band to show ${screen}; it shows ${reading.screen} (last ScreenChanged: ${this.shown}) in ${reading.state}`,
      );
    }
  }

  async state(): Promise<BandState> {
    return (await this.readScreen()).state;
  }
  wrist(on: boolean) {
    return this.client.debug.setWrist(on);
  }
  charger(on: boolean) {
    return this.client.debug.setCharger(on);
  }
  fingerOn(finger: string, how: Touching = {}) {
    return this.client.debug.fingerOn(finger, how);
  }
  fingerOff() {
    return this.client.debug.fingerOff();
  }
  touch(finger: string, how: Touching = {}) {
    return this.client.debug.touch(finger, how);
  }
  button(button: Button, motion: ButtonMotion, holdMs = 0) {
    return this.client.debug.button(button, motion, holdMs);
  }
  advance(ms: number) {
    return this.client.debug.advanceClock(ms);
  }
  cutPower(atWrite: number) {
    return this.client.debug.cutPower(atWrite);
  }
  reboot() {
    return this.client.debug.reboot();
  }

  async close(): Promise<void> {
    this.client.close();
    this.serving.stop();
    this.device.close();
    await this.host.close();
  }
}
