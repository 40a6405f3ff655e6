import { describe, expect, it } from 'vitest';
import { Body, ManualClock, type BodyChange } from '../../firmware-sim/index.js';

/**
 * The body's listeners (and the band's, the emulator's) keep a Set's meaning though the first one is kept without a
 * Set: these are what an observer of a band relies on.
 */
describe("a band's listeners", () => {
  const wristOn = (body: Body) => body.setWrist(!body.onWrist);

  it('a function subscribed twice hears each change once, and one unsubscribe ends it', () => {
    const body = new Body(new ManualClock());
    const heard: BodyChange[] = [];
    const listener = (change: BodyChange) => heard.push(change);
    const off = body.onChange(listener);
    body.onChange(listener);
    wristOn(body);
    expect(heard).toEqual([{ kind: 'wrist', onWrist: true }]);
    off();
    wristOn(body);
    expect(heard).toHaveLength(1);
  });

  it('listeners hear in the order they subscribed, also after the first one left and came back', () => {
    const body = new Body(new ManualClock());
    const order: string[] = [];
    const a = () => order.push('a');
    const offA = body.onChange(a);
    body.onChange(() => order.push('b'));
    body.onChange(() => order.push('c'));
    wristOn(body);
    offA();
    body.onChange(a);
    wristOn(body);
    expect(order).toEqual(['a', 'b', 'c', 'b', 'c', 'a']);
  });

  it('who hears a change is decided when it begins: one subscribed during it hears the next, one unsubscribed still hears it', () => {
    const body = new Body(new ManualClock());
    const order: string[] = [];
    let offLate: (() => void) | undefined;
    const late = () => order.push('late');
    body.onChange(() => {
      order.push('first');
      if (offLate) offLate();
      else offLate = body.onChange(late);
    });
    wristOn(body);
    expect(order).toEqual(['first']);
    wristOn(body);
    expect(order).toEqual(['first', 'first', 'late']);
    wristOn(body);
    expect(order).toEqual(['first', 'first', 'late', 'first']);
  });
});
