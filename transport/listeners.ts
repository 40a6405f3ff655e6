/**
 * A set of callbacks. A throwing listener must not break the transport that is emitting (a stream
 * half-way through a chunk would lose bytes), so its exception is rethrown on its own tick where it
 * surfaces as the caller's bug instead of corrupting the link.
 *
 * Most lists hold zero or one listener for their whole life (a transport's unit, frame-error and close lists, a
 * thousand of each with a fleet of emulated bands), so the first listener sits in a slot of its own and an array
 * is made only for a second: an eagerly created Set was ~170 bytes of live heap per list, and a wrapper closure
 * per listener another ~60 (heap snapshot of test/bench/fleet.ts).
 */
export class Listeners<A extends unknown[]> {
  /**
   * Subscriptions in order, each a listener and its unsubscribe function: the latter is the subscription's
   * identity, so the same function subscribed twice is two independent subscriptions.
   */
  #firstListener: ((...args: A) => void) | undefined;
  #firstOff: (() => void) | undefined;
  /** The second and later subscriptions, listener and unsubscribe function side by side. */
  #more: (((...args: A) => void) | (() => void))[] | undefined;

  add(listener: (...args: A) => void): () => void {
    const off = (): void => this.#remove(off);
    if (this.#firstOff === undefined && this.#more === undefined) {
      this.#firstListener = listener;
      this.#firstOff = off;
    } else {
      (this.#more ??= []).push(listener, off);
    }
    return off;
  }

  emit(...args: A): void {
    const more = this.#more;
    if (more === undefined) {
      // One listener (the common case): nothing can be unsubscribed before it is called.
      const listener = this.#firstListener;
      if (listener !== undefined) this.#call(listener, args);
      return;
    }
    // One listener may unsubscribe another mid-emit; that one must not hear this event, and one subscribed
    // mid-emit hears the next event, not this one.
    const firstListener = this.#firstListener;
    const firstOff = this.#firstOff;
    const snapshot = more.slice();
    if (firstOff !== undefined && firstListener !== undefined) this.#call(firstListener, args);
    for (let i = 0; i < snapshot.length; i += 2) {
      const off = snapshot[i + 1];
      if (this.#has(off)) this.#call(snapshot[i], args);
    }
  }

  get size(): number {
    return (this.#firstOff === undefined ? 0 : 1) + (this.#more === undefined ? 0 : this.#more.length / 2);
  }

  clear(): void {
    this.#firstListener = this.#firstOff = this.#more = undefined;
  }

  #call(listener: (...args: A) => void, args: A): void {
    try {
      listener(...args);
    } catch (error) {
      queueMicrotask(() => {
        throw error;
      });
    }
  }

  #has(off: () => void): boolean {
    return this.#firstOff === off || (this.#more !== undefined && offAt(this.#more, off) !== -1);
  }

  #remove(off: () => void): void {
    if (this.#firstOff === off) {
      // The next subscription, if any, moves up into the slot so order is kept.
      const more = this.#more;
      if (more === undefined) {
        this.#firstListener = this.#firstOff = undefined;
      } else {
        this.#firstListener = more[0];
        this.#firstOff = more[1];
        this.#more = more.length === 2 ? undefined : more.slice(2);
      }
      return;
    }
    const more = this.#more;
    if (more === undefined) return;
    const at = offAt(more, off);
    if (at === -1) return;
    if (more.length === 2) this.#more = undefined;
    else more.splice(at - 1, 2);
  }
}

/** Where `off` sits among the unsubscribe functions (odd places): a listener may itself be some other `off`. */
function offAt(more: readonly unknown[], off: () => void): number {
  for (let i = 1; i < more.length; i += 2) if (more[i] === off) return i;
  return -1;
}
