/**
 * Runs async tasks one after another in call order. A directory transaction or a relying-party ceremony spans
 * awaits; without this a second caller could read state the first is about to replace.
 */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task);
    // A failed task must not block the ones queued after it.
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
