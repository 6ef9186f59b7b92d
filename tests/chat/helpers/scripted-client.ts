// A GenerationClient for chat-layer tests: each request gets the next scripted reply (Harmony text
// after `<|start|>assistant`), tokenized with the real tokenizer, cut at maxTokens, parsed by the
// real parser. A reply can also end in a detected loop, or throw an error.
import { clientEventsOf, renderChatPrompt } from '../../../src/client/local.js';
import type { ChatOptions, ChatRequest, ChatResult, ChatStream, ClientEvent, GenerationClient } from '../../../src/client/types.js';
import type { GenerationMetrics, StopReason } from '../../../src/generate/types.js';
import type { HarmonyEncoding } from '../../../src/harmony/encoding.js';
import { extractToolCalls } from '../../../src/harmony/tool-calls.js';

export type ScriptedReply = string | { readonly text: string; readonly loop?: boolean } | { readonly error: Error };

const STOPS = new Set([200002, 200012]);

export class ScriptedClient implements GenerationClient {
  readonly kind = 'scripted';
  readonly description = 'scripted test replies';
  /** Continues like the local client (a continuation's ids are fed to the parser first). */
  readonly canContinue = true;
  readonly requests: ChatRequest[] = [];
  contextLength?: number;

  constructor(
    private readonly encoding: HarmonyEncoding,
    private readonly replies: readonly ScriptedReply[],
  ) {}

  chat(request: ChatRequest, options: ChatOptions = {}): ChatStream {
    this.requests.push(request);
    const reply = this.replies[Math.min(this.requests.length - 1, this.replies.length - 1)];
    if (typeof reply === 'object' && 'error' in reply) {
      const failed = Promise.reject(reply.error);
      failed.catch(() => undefined);
      return { result: failed, [Symbol.asyncIterator]: async function* () { throw reply.error; } };
    }
    const text = typeof reply === 'string' ? reply : reply.text;
    const loop = typeof reply === 'object' && 'loop' in reply && reply.loop === true;
    const { result, events } = this.play(request, text, loop, options.signal);
    return {
      result: Promise.resolve(result),
      [Symbol.asyncIterator]: async function* () {
        yield* events;
      },
    };
  }

  private play(request: ChatRequest, text: string, loop: boolean, signal?: AbortSignal): { result: ChatResult; events: ClientEvent[] } {
    const enc = this.encoding;
    const promptIds = renderChatPrompt(enc, request);
    const parser = enc.createParser({ role: 'assistant' });
    const cont = request.continuation;
    if (cont !== undefined) for (const id of cont.tokenIds ?? enc.tokenizer.encodeWithSpecials(cont.text)) parser.process(id);
    const events: ClientEvent[] = [];
    const completion: number[] = [];
    let stopReason: StopReason = { kind: 'max_tokens' };
    for (const id of enc.tokenizer.encodeWithSpecials(text)) {
      if (signal?.aborted) { stopReason = { kind: 'cancelled' }; break; }
      if (completion.length >= request.params.maxTokens) break;
      completion.push(id);
      events.push({ type: 'token', index: completion.length - 1, id, timeMs: 0 });
      events.push(...clientEventsOf(parser.process(id)));
      if (STOPS.has(id)) { stopReason = { kind: 'stop_token', id }; break; }
    }
    if (loop && stopReason.kind !== 'cancelled') stopReason = { kind: 'loop_detected', period: 3, span: 30 };
    events.push(...clientEventsOf(parser.processEOS()));
    const finishReason = stopReason.kind === 'cancelled' ? 'cancelled' : stopReason.kind === 'max_tokens' ? 'length' : 'stop';
    const metrics: GenerationMetrics = {
      promptTokens: promptIds.length, cachedTokens: 0, completionTokens: completion.length, prefillSeconds: 0.01, ttftSeconds: 0.02,
      decodeSeconds: 0.1, decodeTokensPerSecond: 10 * Math.max(completion.length - 1, 0), kvLength: promptIds.length + completion.length,
      maxKvSize: 0, loopDetection: request.params.loopDetection ?? 'cheap', finishReason,
      stopReason: stopReason.kind === 'stop_token' ? `stop_token:${stopReason.id}` : stopReason.kind, prefixAction: 'extend', seed: request.params.seed ?? 0, queueSeconds: 0,
    };
    return {
      events,
      result: {
        messages: [...parser.messages], toolCalls: extractToolCalls(parser.messages), finishReason, stopReason,
        usage: { promptTokens: promptIds.length, completionTokens: completion.length, cachedTokens: 0 }, metrics, parseWarnings: [...parser.warnings],
        promptTokenIds: promptIds, completionTokenIds: completion, rawCompletionText: enc.decode(completion),
      },
    };
  }

  async close(): Promise<void> {}
}

/** A final answer as the model writes it. */
export const final = (text: string): string => `<|channel|>final<|message|>${text}<|return|>`;
/** Reasoning, then a final answer. */
export const reasoned = (analysis: string, answer: string): string => `<|channel|>analysis<|message|>${analysis}<|end|><|start|>assistant<|channel|>final<|message|>${answer}<|return|>`;
