/**
 * A set of callbacks. A throwing listener must not break the transport that is emitting (a stream
 * half-way through a chunk would lose bytes), so its exception is rethrown on its own tick where it
 * surfaces as the caller's bug instead of corrupting the link.
 */
export class Listeners<A extends unknown[]> {
  readonly #set = new Set<(...args: A) => void>();

  add(listener: (...args: A) => void): () => void {
    // Wrapping makes the same function subscribed twice two independent subscriptions.
    const entry = (...args: A) => listener(...args);
    this.#set.add(entry);
    return () => {
      this.#set.delete(entry);
    };
  }

  emit(...args: A): void {
    for (const listener of [...this.#set]) {
      // One listener may unsubscribe another mid-emit; that one must not hear this event.
      if (!this.#set.has(listener)) continue;
      try {
        listener(...args);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  get size(): number {
    return this.#set.size;
  }

  clear(): void {
    this.#set.clear();
  }
}
