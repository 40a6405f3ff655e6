import type { BandState, Screen } from '../proto/index.js';
import type { Timer } from './clock.js';
import type { BandEvent } from './firmware.js';
import { screenOf } from './screens.js';

/** What the display needs to know to draw, read at every redraw. */
export interface DisplayInputs {
  readonly state: BandState;
  readonly storageFault: Error | undefined;
  readonly body: { readonly onWrist: boolean };
  readonly enrollment: {
    readonly capturePrompt: Screen;
    /** The setup code for the screen about to be drawn (drawn afresh when it appears, dropped when it goes). */
    setupCodeFor(screen: Screen): string | undefined;
  };
  emit(event: BandEvent): void;
  after(ms: number, action: () => void): Timer;
}

/**
 * The band's screen: the state's own (screens.ts) or an overlay drawn over it (NO MATCH, CONFIRM, USER DATA
 * DELETED), reported as a ScreenChanged event whenever what is drawn changes — a new screen, a new state or a
 * new setup code.
 */
export class Display {
  private current: Screen = 'SCREEN_BLANK';
  private drawn = '';
  private overlayNow?: Screen;
  private overlayTimer?: Timer;

  constructor(private readonly band: DisplayInputs) {}

  get screen(): Screen {
    return this.current;
  }

  get overlay(): Screen | undefined {
    return this.overlayNow;
  }

  set overlay(screen: Screen | undefined) {
    this.overlayNow = screen;
  }

  redraw(): void {
    const { band } = this;
    const screen = band.storageFault
      ? 'SCREEN_BLANK'
      : (this.overlayNow ?? screenOf(band.state, band.body.onWrist, band.enrollment.capturePrompt));
    const setupCode = band.enrollment.setupCodeFor(screen);
    const drawn = `${screen}|${band.state}|${setupCode ?? ''}`;
    this.current = screen;
    if (drawn === this.drawn) return;
    this.drawn = drawn;
    band.emit({ case: 'screenChanged', value: { screen, state: band.state } });
  }

  /** Keeps the current overlay `ms`, then draws `then()` over the state's screen. */
  showFor(ms: number, then: () => Screen | undefined): void {
    this.overlayTimer?.cancel();
    this.overlayTimer = this.band.after(ms, () => {
      this.overlayTimer = undefined;
      this.overlayNow = then();
      this.redraw();
    });
  }

  /** Clears an overlay and its timer. */
  dropOverlay(): void {
    this.overlayTimer?.cancel();
    this.overlayTimer = undefined;
    this.overlayNow = undefined;
  }

  /** At boot: the next redraw reports whatever it draws. */
  forget(): void {
    this.drawn = '';
  }
}
