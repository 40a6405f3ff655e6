/**
 * A battery that charges 1 % a minute on the charger and loses 1 % every 15 minutes off it. It belongs to
 * the hardware, so a reboot does not reset it; it is worked out lazily from the band's clock.
 */
const CHARGE_MS_PER_PERCENT = 60_000;
const DRAIN_MS_PER_PERCENT = 15 * 60_000;

export class Battery {
  private level: number;
  private since: number;
  private charging = false;

  constructor(percent: number, now: number) {
    if (!Number.isFinite(percent) || percent < 0 || percent > 100)
      throw new RangeError(`expected a battery level of 0..100 %, got ${percent}`);
    this.level = percent;
    this.since = now;
  }

  percent(now: number): number {
    this.settle(now);
    return Math.floor(this.level);
  }

  setCharging(charging: boolean, now: number): void {
    this.settle(now);
    this.charging = charging;
  }

  private settle(now: number): void {
    const elapsed = Math.max(0, now - this.since);
    this.since = now;
    const delta = this.charging ? elapsed / CHARGE_MS_PER_PERCENT : -elapsed / DRAIN_MS_PER_PERCENT;
    this.level = Math.min(100, Math.max(0, this.level + delta));
  }
}
