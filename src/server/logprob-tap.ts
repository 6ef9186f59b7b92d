// Chat logprobs without widening the GenerationClient boundary: the server's TokenGenerator is
// wrapped so the token events of the running generation (logprob, top logprobs) are kept by index;
// serve-chat.ts pairs them with the client's `token` events (same index) and attaches those of
// answer text to the reply. One generation runs at a time (the queue), so one list suffices.

import type { GenerateOptions, GenerateParams, Generation, TokenEvent, TokenGenerator } from '../generate/types.js';

export class LogprobTap implements TokenGenerator {
  private events: TokenEvent[] = [];

  constructor(private readonly inner: TokenGenerator) {}

  get vocabSize(): number {
    return this.inner.vocabSize;
  }

  /** The running (or last) generation's event of token `index`, when it carries logprobs. */
  lookup(index: number): TokenEvent | undefined {
    const event = this.events[index];
    return event?.logprob !== undefined ? event : undefined;
  }

  generate(promptIds: readonly number[], params: GenerateParams, opts?: GenerateOptions): Generation {
    const generation = this.inner.generate(promptIds, params, opts);
    const events: TokenEvent[] = [];
    this.events = events;
    return {
      result: generation.result,
      async *[Symbol.asyncIterator]() {
        for await (const event of generation) {
          if (params.logprobs === true || (params.topLogprobs ?? 0) > 0) events[event.index] = event;
          yield event;
        }
      },
    };
  }
}
