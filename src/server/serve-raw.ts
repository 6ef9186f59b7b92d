// A raw completion (no chat template): /v1/completions and Ollama's /api/generate with raw: true.
// The prompt text is tokenized with special tokens allowed (a caller may write Harmony by hand);
// generation stops at <|return|>, <|call|>, <|endoftext|>, the server's `--stop` ids, a `stop`
// string, max_tokens or the end of the context. Text is decoded incrementally (UTF-8 safe); stop tokens are not part of it.
// Same queue, cancellation and artifacts as a chat request.

import { parseArtifactOf } from '../chat/attempt.js';
import type { GenerationResult, GenerateParams, TokenEvent } from '../generate/types.js';
import type { ChatResult } from '../client/types.js';
import { SPECIAL_TOKENS } from '../tokenizer/special-tokens.js';
import { ApiError } from './errors.js';
import type { ContextWindow } from './map-common.js';
import { contextExceeded, type ServeDeps } from './serve-chat.js';
import { StopMatcher } from './stop-strings.js';

export const RAW_STOP_TOKENS: readonly number[] = Object.freeze([SPECIAL_TOKENS.RETURN, SPECIAL_TOKENS.CALL, SPECIAL_TOKENS.END_OF_TEXT]);

export interface RawJob {
  readonly requestId: number;
  readonly promptIds: readonly number[];
  readonly params: GenerateParams;
  readonly stop: readonly string[];
  /** Token ids that end the generation besides RAW_STOP_TOKENS (the server's `--stop`). */
  readonly stopTokens?: readonly number[];
  readonly signal: AbortSignal;
}

export interface RawPiece {
  readonly text: string;
  /** The tokens that completed this text (with logprobs when asked). */
  readonly tokens: readonly TokenEvent[];
}

export interface RawReply {
  readonly text: string;
  readonly finishReason: 'stop' | 'length' | 'cancelled';
  readonly result: GenerationResult;
  readonly usage: ChatResult['usage'];
  /** The tokens of `text` (stop tokens left out). */
  readonly tokens: readonly TokenEvent[];
  readonly queueSeconds: number;
}

const MS_PER_S = 1000;

/** The reply's max tokens once the prompt is in the context (or the request's window, Ollama's num_ctx); 400 when no room is left. */
export function checkRawPrompt(promptIds: readonly number[], maxTokens: number, contextLength: number, window?: ContextWindow): number {
  if (promptIds.length === 0) throw new ApiError(400, 'invalid_request_error', 'The prompt is empty.', 'invalid_value', 'prompt');
  const limit = Math.min(window?.tokens ?? contextLength, contextLength);
  if (promptIds.length >= limit) throw contextExceeded(limit, promptIds.length, window, 'prompt');
  return Math.min(maxTokens, limit - promptIds.length);
}

export async function serveRaw(job: RawJob, deps: ServeDeps, emit: (piece: RawPiece) => void): Promise<RawReply> {
  const { backend } = deps;
  const generator = backend.generator;
  if (generator === undefined) throw new ApiError(501, 'server_error', 'This server has no raw generator (completions need a local model).', 'not_implemented');
  const slot = await deps.queue.acquire(job.requestId, job.signal);
  const start = performance.now();
  try {
    const stopController = new AbortController();
    const matcher = new StopMatcher(job.stop);
    const decoder = backend.encoding.tokenizer.createDecoder();
    const tokens: TokenEvent[] = [];
    const ids: number[] = [];
    let text = '';
    let pendingTokens: TokenEvent[] = [];
    const stopTokens = job.params.stopTokens ?? [...RAW_STOP_TOKENS, ...(job.stopTokens ?? [])];
    const generation = generator.generate(job.promptIds, { ...job.params, stopTokens }, { signal: AbortSignal.any([job.signal, stopController.signal]) });
    for await (const token of generation) {
      ids.push(token.id);
      if (matcher.stopped || stopTokens.includes(token.id)) continue; // not part of the text
      tokens.push(token);
      pendingTokens.push(token);
      const { emit: piece, stopped } = matcher.push(decoder.push(token.id));
      if (piece.length > 0) {
        text += piece;
        emit({ text: piece, tokens: pendingTokens });
        pendingTokens = [];
      }
      if (stopped) stopController.abort(new Error('stop string'));
    }
    const result = await generation.result;
    if (!matcher.stopped) {
      const tail = matcher.push(decoder.flush()).emit + matcher.flush();
      if (tail.length > 0 || pendingTokens.length > 0) {
        text += tail;
        emit({ text: tail, tokens: pendingTokens });
      }
    }
    const finishReason = matcher.stopped ? 'stop' : result.finishReason;
    const usage = { promptTokens: job.promptIds.length, completionTokens: ids.length, cachedTokens: result.metrics.cachedTokens };
    const chat: ChatResult = { messages: [], toolCalls: [], finishReason: result.finishReason, stopReason: result.stopReason, usage, metrics: result.metrics, parseWarnings: [] };
    deps.artifacts?.recordAttempt({
      turn: job.requestId, attempt: 1, kind: 'first', promptText: () => backend.encoding.decode(job.promptIds), promptIds: job.promptIds, completionIds: ids,
      rawCompletion: backend.encoding.decode(ids), cleaned: text, parse: parseArtifactOf(chat, []),
      decision: { action: 'accept', reason: null, detail: matcher.stopped ? 'stop string matched' : 'raw completion', attempt: 1, maxAttempts: 1, overrides: {}, delayMs: 0 },
      params: job.params, metrics: result.metrics, usage, wallSeconds: (performance.now() - start) / MS_PER_S,
    });
    return { text, finishReason, result, usage, tokens, queueSeconds: slot.waitedSeconds };
  } finally {
    slot.release();
  }
}
