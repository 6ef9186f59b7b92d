// The in-process GenerationClient: Harmony render → TokenGenerator (the engine, KV prefix reuse) →
// StreamableParser → events. Stops on <|return|> and <|call|>; keeps sampling across <|end|>.
//
//   const client = new LocalClient({ generator: createGenerator(model), encoding, description: 'gpt-oss-20b' });
//
// A continuation (resume after `length`) is appended to the rendered prompt token for token, so the
// prompt is exactly the previous prompt + the previous completion and the KV cache reuses all of it;
// the parser is fed the continuation silently first, so no channel header is repeated.

import { ChatError } from '../errors.js';
import type { GenerationMetrics, GenerationResult, TokenGenerator } from '../generate/types.js';
import type { HarmonyEncoding } from '../harmony/encoding.js';
import type { ParserEvent } from '../harmony/parser.js';
import { extractToolCalls } from '../harmony/tool-calls.js';
import { renderConversationForCompletion } from '../harmony/render.js';
import { SPECIAL_TOKENS } from '../tokenizer/special-tokens.js';
import {
  harmonyMessagesOf,
  type ChatOptions,
  type ChatRequest,
  type ChatResult,
  type ChatStream,
  type ClientEvent,
  type GenerationClient,
} from './types.js';

/** Harmony's "assistant actions" stop tokens: the model hands control back. */
export const LOCAL_STOP_TOKENS: readonly number[] = Object.freeze([SPECIAL_TOKENS.RETURN, SPECIAL_TOKENS.CALL]);

/** An async-iterable queue of events with a separate result promise (the ChatStream shape). */
export class PushStream<T, R> implements AsyncIterable<T> {
  readonly result: Promise<R>;
  private readonly items: T[] = [];
  private waiter: (() => void) | null = null;
  private ended = false;
  private failure: { error: unknown } | null = null;
  private resolveResult!: (value: R) => void;
  private rejectResult!: (err: unknown) => void;

  /** @param onAbandon called when a consumer leaves the event loop early (break, throw) */
  constructor(private readonly onAbandon?: () => void) {
    this.result = new Promise<R>((resolve, reject) => {
      this.resolveResult = resolve;
      this.rejectResult = reject;
    });
    this.result.catch(() => undefined); // the iterator rethrows; avoid an unhandled report when only events are read
  }

  push(item: T): void {
    this.items.push(item);
    this.wake();
  }
  end(result: R): void {
    this.ended = true;
    this.resolveResult(result);
    this.wake();
  }
  fail(error: unknown): void {
    this.ended = true;
    this.failure = { error };
    this.rejectResult(error);
    this.wake();
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    try {
      for (;;) {
        const item = this.items.shift();
        if (item !== undefined) {
          yield item;
          continue;
        }
        if (this.ended) {
          if (this.failure !== null) throw this.failure.error;
          return;
        }
        await new Promise<void>((resolve) => (this.waiter = resolve));
      }
    } finally {
      if (!this.ended) this.onAbandon?.();
    }
  }
}

/** Maps the parser's events to client events (tool calls come from finished messages). */
export function clientEventsOf(events: readonly ParserEvent[]): ClientEvent[] {
  const out: ClientEvent[] = [];
  for (const event of events) {
    if (event.type === 'message-start') out.push({ type: 'message-start', header: event.header });
    else if (event.type === 'content-delta') {
      const { channel, recipient } = event.header;
      out.push({ type: 'delta', channel, ...(recipient !== undefined ? { recipient } : {}), text: event.delta });
    } else if (event.type === 'message-end') {
      out.push({ type: 'message-end', message: event.message });
      for (const extracted of extractToolCalls([event.message])) {
        const { call, recipient, channel } = extracted;
        out.push({ type: 'tool-call', call, recipient, ...(channel !== undefined ? { channel } : {}) });
      }
    } else out.push({ type: 'warning', warning: event.warning });
  }
  return out;
}

/** The prompt ids of a request: system, developer, messages, `<|start|>assistant`, continuation. */
export function renderChatPrompt(encoding: HarmonyEncoding, request: ChatRequest): number[] {
  const ids = renderConversationForCompletion(encoding.tokenizer, harmonyMessagesOf(request), 'assistant', { dropAnalysis: false });
  for (const id of continuationIds(encoding, request)) ids.push(id);
  return ids;
}

function continuationIds(encoding: HarmonyEncoding, request: ChatRequest): readonly number[] {
  const cont = request.continuation;
  if (cont === undefined) return [];
  return cont.tokenIds ?? encoding.tokenizer.encodeWithSpecials(cont.text);
}

export interface LocalClientOptions {
  readonly generator: TokenGenerator;
  readonly encoding: HarmonyEncoding;
  readonly description: string;
  /** KV cache length of the loaded model. */
  readonly contextLength?: number;
  /** Called once by close() (e.g. `() => model.destroy()`). */
  readonly onClose?: () => void | Promise<void>;
}

export class LocalClient implements GenerationClient {
  readonly kind = 'local';
  readonly description: string;
  readonly contextLength?: number;
  /** A continuation is appended to the prompt token for token (see the header). */
  readonly canContinue = true;
  private closed = false;

  constructor(private readonly opts: LocalClientOptions) {
    this.description = opts.description;
    if (opts.contextLength !== undefined) this.contextLength = opts.contextLength;
  }

  chat(request: ChatRequest, options: ChatOptions = {}): ChatStream {
    // Leaving the event loop early cancels the generation, like the caller's signal does.
    const controller = new AbortController();
    const forward = () => controller.abort(options.signal?.reason);
    if (options.signal?.aborted === true) forward();
    else options.signal?.addEventListener('abort', forward, { once: true });
    const stream = new PushStream<ClientEvent, ChatResult>(() => controller.abort());
    // Concurrent requests are fine: the generator queues them (one KV cache, one generation at a time).
    if (this.closed) stream.fail(new ChatError('local client: chat() after close()'));
    else {
      this.run(request, controller.signal, stream)
        .catch((err: unknown) => stream.fail(err))
        .finally(() => options.signal?.removeEventListener('abort', forward));
    }
    return stream;
  }

  private async run(request: ChatRequest, signal: AbortSignal, stream: PushStream<ClientEvent, ChatResult>): Promise<void> {
    const { encoding, generator } = this.opts;
    const promptIds = renderChatPrompt(encoding, request);
    const parser = encoding.createParser({ role: 'assistant' });
    for (const id of continuationIds(encoding, request)) parser.process(id); // already shown: no events
    const { params } = request;
    const generation = generator.generate(
      promptIds,
      { ...params, stopTokens: LOCAL_STOP_TOKENS, ...(params.maxKvSize !== undefined ? { maxKvSize: params.maxKvSize } : {}) },
      { signal },
    );
    const completion: number[] = [];
    for await (const ev of generation) {
      completion.push(ev.id);
      stream.push({ type: 'token', index: ev.index, id: ev.id, timeMs: ev.timeMs });
      for (const event of clientEventsOf(parser.process(ev.id))) stream.push(event);
    }
    const gen: GenerationResult = await generation.result;
    for (const event of clientEventsOf(parser.processEOS())) stream.push(event);
    stream.end(chatResultOf(encoding, parser.messages, parser.warnings, promptIds, completion, gen.metrics, gen));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.opts.onClose?.();
  }
}

function chatResultOf(
  encoding: HarmonyEncoding,
  messages: ChatResult['messages'],
  warnings: ChatResult['parseWarnings'],
  promptIds: readonly number[],
  completion: readonly number[],
  metrics: GenerationMetrics,
  gen: Pick<GenerationResult, 'finishReason' | 'stopReason'>,
): ChatResult {
  return {
    messages: [...messages],
    toolCalls: extractToolCalls(messages),
    finishReason: gen.finishReason,
    stopReason: gen.stopReason,
    usage: { promptTokens: promptIds.length, completionTokens: completion.length, cachedTokens: metrics.cachedTokens },
    metrics,
    parseWarnings: [...warnings],
    promptTokenIds: promptIds,
    completionTokenIds: completion,
    rawCompletionText: encoding.decode(completion),
  };
}
