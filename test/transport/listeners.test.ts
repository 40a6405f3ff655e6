import { describe, expect, it } from 'vitest';
import { Listeners } from '../../transport/listeners.js';

describe('listeners', () => {
  it('calls every listener in the order subscribed, with the arguments emitted', () => {
    const listeners = new Listeners<[number, string]>();
    const heard: string[] = [];
    expect(listeners.size).toBe(0);
    listeners.emit(0, 'nobody');
    for (const name of ['a', 'b', 'c']) listeners.add((n, s) => heard.push(`${name}:${n}:${s}`));
    expect(listeners.size).toBe(3);
    listeners.emit(1, 'x');
    expect(heard).toEqual(['a:1:x', 'b:1:x', 'c:1:x']);
  });

  it('treats the same function subscribed twice as two subscriptions, each removed by its own off', () => {
    const listeners = new Listeners<[]>();
    let calls = 0;
    const listener = () => calls++;
    const offFirst = listeners.add(listener);
    const offSecond = listeners.add(listener);
    listeners.emit();
    expect(calls).toBe(2);
    offFirst();
    offFirst();
    listeners.emit();
    expect(calls).toBe(3);
    expect(listeners.size).toBe(1);
    offSecond();
    listeners.emit();
    expect(calls).toBe(3);
    expect(listeners.size).toBe(0);
  });

  it('keeps the order when the first subscription goes, and a new one comes last', () => {
    const listeners = new Listeners<[]>();
    const heard: string[] = [];
    const offA = listeners.add(() => heard.push('a'));
    listeners.add(() => heard.push('b'));
    const offC = listeners.add(() => heard.push('c'));
    offA();
    listeners.add(() => heard.push('d'));
    offC();
    listeners.add(() => heard.push('e'));
    listeners.emit();
    expect(heard).toEqual(['b', 'd', 'e']);
  });

  it('does not call a listener another one removed mid-emit, nor one subscribed mid-emit until the next emit', () => {
    const listeners = new Listeners<[]>();
    const heard: string[] = [];
    let offC: () => void = () => undefined;
    listeners.add(() => {
      heard.push('a');
      offC();
      listeners.add(() => heard.push('late'));
    });
    listeners.add(() => heard.push('b'));
    offC = listeners.add(() => heard.push('c'));
    listeners.emit();
    expect(heard).toEqual(['a', 'b']);
    heard.length = 0;
    listeners.emit();
    expect(heard).toEqual(['a', 'b', 'late']);
  });

  it('lets a lone listener remove itself while it is called, and the others stay', () => {
    const listeners = new Listeners<[]>();
    const heard: string[] = [];
    const offA: () => void = listeners.add(() => {
      heard.push('a');
      offA();
    });
    listeners.add(() => heard.push('b'));
    listeners.emit();
    listeners.emit();
    expect(heard).toEqual(['a', 'b', 'b']);
  });

  it("removes only its own subscription when some listener is another subscription's off", () => {
    const listeners = new Listeners<[]>();
    let calls = 0;
    listeners.add(() => calls++);
    const offCounting = listeners.add(() => calls++);
    // offCounting subscribed as a listener: emitting removes the second subscription, but it is still one of ours.
    const offOff = listeners.add(offCounting);
    listeners.emit();
    expect(calls).toBe(2);
    expect(listeners.size).toBe(2);
    // Its subscription is gone; calling it again must not take the entry where it is a listener.
    offCounting();
    expect(listeners.size).toBe(2);
    offOff();
    expect(listeners.size).toBe(1);
    listeners.emit();
    expect(calls).toBe(3);
  });

  it('drops every listener on clear(), and a later add works as on a new list', () => {
    const listeners = new Listeners<[]>();
    let calls = 0;
    const off = listeners.add(() => calls++);
    listeners.add(() => calls++);
    listeners.clear();
    listeners.emit();
    expect(calls).toBe(0);
    expect(listeners.size).toBe(0);
    off();
    listeners.add(() => calls++);
    listeners.emit();
    expect(calls).toBe(1);
  });
});
