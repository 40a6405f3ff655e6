import { describe, expect, it } from 'vitest';
import { Subscribers } from '../../transport/index.js';

describe('Subscribers (one event source, a Set meaning, the first listener without a Set)', () => {
  it('a function subscribed twice is one subscription; listeners hear events in the order they subscribed', () => {
    const list = new Subscribers<number>();
    const heard: string[] = [];
    const a = (n: number) => heard.push(`a${n}`);
    const b = (n: number) => heard.push(`b${n}`);
    list.add(a);
    list.add(a);
    list.add(b);
    list.emit(1);
    expect(heard).toEqual(['a1', 'b1']);
  });

  it('unsubscribing the first keeps the order of the rest, and a later subscriber comes after them', () => {
    const list = new Subscribers<number>();
    const heard: string[] = [];
    const offA = list.add((n) => heard.push(`a${n}`));
    list.add((n) => heard.push(`b${n}`));
    offA();
    list.add((n) => heard.push(`c${n}`));
    list.emit(2);
    expect(heard).toEqual(['b2', 'c2']);
  });

  it('subscribing or unsubscribing during an event changes who hears the next one, not this one', () => {
    const list = new Subscribers<number>();
    const heard: string[] = [];
    let offB: () => void = () => undefined;
    list.add((n) => {
      heard.push(`a${n}`);
      offB();
      list.add((m) => heard.push(`c${m}`));
    });
    offB = list.add((n) => heard.push(`b${n}`));
    list.emit(1);
    expect(heard).toEqual(['a1', 'b1']);
    heard.length = 0;
    list.emit(2);
    expect(heard).toEqual(['a2', 'c2']);
  });

  it('a throwing listener throws to the emitter unless `call` decides otherwise; clear() drops everyone', () => {
    const list = new Subscribers<number>();
    const heard: number[] = [];
    list.add(() => {
      throw new Error('listener bug');
    });
    list.add((n) => heard.push(n));
    expect(() => list.emit(1)).toThrow('listener bug');
    const errors: unknown[] = [];
    list.emit(2, (listener, value) => {
      try {
        listener(value);
      } catch (error) {
        errors.push(error);
      }
    });
    expect(heard).toEqual([2]);
    expect(errors).toHaveLength(1);
    list.clear();
    list.emit(3);
    expect(heard).toEqual([2]);
  });
});
