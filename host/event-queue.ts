/**
 * A bounded single-consumer queue behind an async iterator: producers never block, and a consumer that
 * falls behind loses the oldest items (counted in `dropped`) rather than growing memory without bound.
 */
export class EventQueue<T> {
  private readonly items: T[] = [];
  private waiter?: (result: IteratorResult<T>) => void;
  private ended = false;
  dropped = 0;

  constructor(private readonly capacity: number) {}

  push(item: T): void {
    if (this.ended) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w({ value: item, done: false });
      return;
    }
    if (this.items.length >= this.capacity) {
      this.items.shift();
      this.dropped++;
    }
    this.items.push(item);
  }

  end(): void {
    this.ended = true;
    const w = this.waiter;
    this.waiter = undefined;
    w?.({ value: undefined, done: true });
  }

  iterator(onReturn: () => void): AsyncIterableIterator<T> {
    const self = this;
    return {
      [Symbol.asyncIterator]() {
        return this;
      },
      next(): Promise<IteratorResult<T>> {
        if (self.items.length > 0) return Promise.resolve({ value: self.items.shift()!, done: false });
        if (self.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (self.waiter = resolve));
      },
      return(): Promise<IteratorResult<T>> {
        onReturn();
        self.items.length = 0;
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
