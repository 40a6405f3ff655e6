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
    const iterator: AsyncIterableIterator<T> = {
      [Symbol.asyncIterator]: () => iterator,
      next: (): Promise<IteratorResult<T>> => {
        if (this.items.length > 0) return Promise.resolve({ value: this.items.shift()!, done: false });
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (this.waiter = resolve));
      },
      return: (): Promise<IteratorResult<T>> => {
        onReturn();
        this.items.length = 0;
        return Promise.resolve({ value: undefined, done: true });
      },
    };
    return iterator;
  }
}
