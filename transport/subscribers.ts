/**
 * The listeners of one event source (the body's changes, the band's events, the emulator's units), with a Set's
 * meaning: a function subscribed twice is one subscription, listeners hear an event in the order they subscribed,
 * and one that subscribes or unsubscribes during an event changes who hears the next one, not this one.
 *
 * Almost every source has exactly one listener (the band listens to its body, the emulator to its band, one
 * endpoint to the emulator, a client to its channel's unsolicited units), so the first is kept in a field and a Set
 * is made only for a second: a fleet holds a thousand bands in one process, and an empty or one-element Set with its
 * hash table is ~180 bytes.
 *
 * `Listeners` (listeners.ts) is the transport's own list, with other rules: each subscription stands alone even
 * for the same function, and a listener's exception is rethrown on its own tick so a stream keeps its bytes.
 */
export class Subscribers<T> {
  #one: ((value: T) => void) | undefined;
  #many: Set<(value: T) => void> | undefined;

  /** Subscribes `listener`; the returned function unsubscribes it. */
  add(listener: (value: T) => void): () => void {
    if (this.#many) this.#many.add(listener);
    else if (this.#one === undefined) this.#one = listener;
    else if (this.#one !== listener) {
      this.#many = new Set([this.#one, listener]);
      this.#one = undefined;
    }
    return () => this.delete(listener);
  }

  delete(listener: (value: T) => void): void {
    if (this.#one === listener) this.#one = undefined;
    else this.#many?.delete(listener);
  }

  clear(): void {
    this.#one = undefined;
    this.#many = undefined;
  }

  /** Calls every listener subscribed now; `call` decides what a listener's exception does. */
  emit(value: T, call: (listener: (value: T) => void, value: T) => void = callListener): void {
    if (this.#many) {
      for (const listener of [...this.#many]) call(listener, value);
    } else if (this.#one !== undefined) call(this.#one, value);
  }
}

function callListener<T>(listener: (value: T) => void, value: T): void {
  listener(value);
}
