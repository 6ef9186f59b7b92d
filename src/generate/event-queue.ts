// A single-consumer async queue: the producer (the decode loop) pushes events as ids come back from
// the GPU, the consumer pulls them with `for await`. The producer never waits for the consumer (it
// runs ahead on the GPU's schedule); events buffer until read. Ending the iteration early calls
// `onReturn` (the generator cancels the generation).

export class EventQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private head = 0;
  private ended = false;
  private error: unknown = null;
  private wake: (() => void) | null = null;
  private iterated = false;

  constructor(private readonly onReturn: () => void) {}

  push(item: T): void {
    if (this.ended) return;
    this.items.push(item);
    this.notify();
  }

  end(): void {
    this.ended = true;
    this.notify();
  }

  fail(err: unknown): void {
    if (this.ended) return;
    this.error = err;
    this.ended = true;
    this.notify();
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.iterated) throw new TypeError('a Generation can be iterated once');
    this.iterated = true;
    return {
      next: async (): Promise<IteratorResult<T>> => {
        for (;;) {
          if (this.head < this.items.length) {
            const value = this.items[this.head];
            this.items[this.head++] = undefined as T; // let consumed events be collected
            if (this.head === this.items.length) {
              this.items.length = 0;
              this.head = 0;
            }
            return { value, done: false };
          }
          if (this.ended) {
            if (this.error !== null) throw this.error;
            return { value: undefined, done: true };
          }
          await new Promise<void>((resolve) => (this.wake = resolve));
        }
      },
      return: async (): Promise<IteratorResult<T>> => {
        if (!this.ended) this.onReturn();
        return { value: undefined, done: true };
      },
    };
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}
