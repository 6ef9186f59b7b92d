// A GenerationClient that replays scripted Harmony completions instead of running a model: for
// demos and for testing the terminal and the turn pipeline deterministically (`wgh chat --replay
// FILE`). Each request takes the next completion of the script (the last one repeats); its text is
// tokenized with the real tokenizer and streamed token by token through the same parser as the
// local client, honouring maxTokens (→ finish `length`), stop tokens and cancellation.
//
// Script file: {"tokenDelayMs": 20, "completions": ["<|channel|>final<|message|>Hi!<|return|>", …]}
// or just the array of completions. A completion is the text after the prompt's `<|start|>assistant`.

import { readFileSync } from 'node:fs';
import { ChatError, ConfigError } from '../errors.js';
import type { HarmonyEncoding } from '../harmony/encoding.js';
import type { GenerationMetrics, StopReason } from '../generate/types.js';
import { extractToolCalls } from '../harmony/tool-calls.js';
import { clientEventsOf, LOCAL_STOP_TOKENS, PushStream, renderChatPrompt } from '../client/local.js';
import type { ChatOptions, ChatRequest, ChatResult, ChatStream, ClientEvent, GenerationClient } from '../client/types.js';

export interface ReplayScript {
  readonly completions: readonly string[];
  /** Pause between tokens (default 0: as fast as possible). */
  readonly tokenDelayMs?: number;
}

export function loadReplayScript(file: string): ReplayScript {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`--replay: cannot read '${file}' as JSON: ${(err as Error).message}`, { cause: err });
  }
  const object = Array.isArray(json) ? { completions: json } : (json as Record<string, unknown>);
  const completions = object?.['completions'];
  const delay = object?.['tokenDelayMs'] ?? 0;
  if (!Array.isArray(completions) || completions.length === 0 || !completions.every((c) => typeof c === 'string')) {
    throw new ConfigError(`--replay: '${file}' must hold a non-empty array of completion strings (or {"completions": [...]})`);
  }
  if (typeof delay !== 'number' || !(delay >= 0)) throw new ConfigError(`--replay: 'tokenDelayMs' must be a number ≥ 0`);
  return { completions: completions as string[], tokenDelayMs: delay };
}

const isAborted = (signal: AbortSignal | undefined): boolean => signal?.aborted === true;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class ReplayClient implements GenerationClient {
  readonly kind = 'replay';
  readonly description: string;
  /** Continues like the local client: the continuation's ids are fed to the parser first. */
  readonly canContinue = true;
  private next = 0;
  private cachedIds: readonly number[] = [];

  constructor(
    private readonly script: ReplayScript,
    private readonly encoding: HarmonyEncoding,
    description = 'replay of scripted completions',
    readonly contextLength?: number,
  ) {
    if (script.completions.length === 0) throw new ChatError('replay client: the script has no completions');
    this.description = description;
  }

  /** Requests served so far. */
  get requests(): number {
    return this.next;
  }

  chat(request: ChatRequest, options: ChatOptions = {}): ChatStream {
    const stream = new PushStream<ClientEvent, ChatResult>();
    const text = this.script.completions[Math.min(this.next, this.script.completions.length - 1)];
    this.next++;
    this.play(request, text, options.signal, stream).catch((err: unknown) => stream.fail(err));
    return stream;
  }

  private async play(request: ChatRequest, text: string, signal: AbortSignal | undefined, stream: PushStream<ClientEvent, ChatResult>): Promise<void> {
    const { encoding } = this;
    const startMs = performance.now();
    const promptIds = renderChatPrompt(encoding, request);
    let cached = 0;
    while (cached < Math.min(promptIds.length, this.cachedIds.length) && promptIds[cached] === this.cachedIds[cached]) cached++;
    const parser = encoding.createParser({ role: 'assistant' });
    const cont = request.continuation;
    if (cont !== undefined) for (const id of cont.tokenIds ?? encoding.tokenizer.encodeWithSpecials(cont.text)) parser.process(id);
    const script = encoding.tokenizer.encodeWithSpecials(text);
    const completion: number[] = [];
    let stopReason: StopReason = { kind: 'max_tokens' };
    let firstMs = 0;
    for (const id of script) {
      if (isAborted(signal)) {
        stopReason = { kind: 'cancelled' };
        break;
      }
      if (completion.length >= request.params.maxTokens) break;
      if ((this.script.tokenDelayMs ?? 0) > 0) await sleep(this.script.tokenDelayMs ?? 0);
      if (isAborted(signal)) {
        stopReason = { kind: 'cancelled' };
        break;
      }
      completion.push(id);
      if (completion.length === 1) firstMs = performance.now() - startMs;
      stream.push({ type: 'token', index: completion.length - 1, id, timeMs: performance.now() - startMs });
      for (const event of clientEventsOf(parser.process(id))) stream.push(event);
      if (LOCAL_STOP_TOKENS.includes(id)) {
        stopReason = { kind: 'stop_token', id };
        break;
      }
    }
    for (const event of clientEventsOf(parser.processEOS())) stream.push(event);
    this.cachedIds = [...promptIds, ...completion];
    const finishReason = stopReason.kind === 'cancelled' ? 'cancelled' : stopReason.kind === 'stop_token' ? 'stop' : 'length';
    const totalS = (performance.now() - startMs) / 1000;
    const decodeS = Math.max(totalS - firstMs / 1000, 0);
    const metrics: GenerationMetrics = {
      promptTokens: promptIds.length, cachedTokens: cached, completionTokens: completion.length, prefillSeconds: firstMs / 1000,
      ttftSeconds: firstMs / 1000, decodeSeconds: decodeS, decodeTokensPerSecond: completion.length > 1 && decodeS > 0 ? (completion.length - 1) / decodeS : 0,
      kvLength: promptIds.length + completion.length, maxKvSize: request.params.maxKvSize ?? 0, loopDetection: request.params.loopDetection ?? 'off',
      finishReason, stopReason: stopReason.kind === 'stop_token' ? `stop_token:${stopReason.id}` : stopReason.kind,
      prefixAction: cached === this.cachedIds.length ? 'extend' : 'rewind', seed: request.params.seed ?? 0, queueSeconds: 0,
    };
    stream.end({
      messages: [...parser.messages], toolCalls: extractToolCalls(parser.messages), finishReason, stopReason,
      usage: { promptTokens: promptIds.length, completionTokens: completion.length, cachedTokens: cached }, metrics, parseWarnings: [...parser.warnings],
      promptTokenIds: promptIds, completionTokenIds: completion, rawCompletionText: encoding.decode(completion),
    });
  }

  async close(): Promise<void> {}
}
