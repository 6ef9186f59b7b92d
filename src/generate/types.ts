// The generation API that the chat layer (src/chat/, through the local GenerationClient) uses.
// Implemented by src/generate/generator.ts over the ModelRunner and the GPU sampler.
//
//   const generator = createGenerator(model);
//   const gen = generator.generate(promptIds, { maxTokens: 256, stopTokens: [200002, 200012] }, { signal });
//   for await (const ev of gen) { ... ev.id ... }     // one event per generated token, in order
//   const result = await gen.result;                   // finish/stop reasons, metrics
//
// The prompt is matched against the tokens already in the KV cache: the longest usable common
// prefix is reused and only the rest is prefilled (`metrics.cachedTokens`; src/kvcache/prefix.ts).
// One generation runs at a time per generator (one KV cache): later calls queue behind it, in order.
// The generation starts at once; `result` settles even if nobody iterates the events. Leaving the
// `for await` loop early (break, throw) cancels the generation like the signal does.

import type { PrefixAction } from '../kvcache/prefix.js';
import type { SamplingParamsInput } from './sampling-params.js';

export type LoopDetectionMode = 'off' | 'cheap' | 'full';
export type FinishReason = 'stop' | 'length' | 'cancelled';

/**
 * Why generation ended. finishReason 'stop': `stop_token` (its id) or `loop_detected`; 'length':
 * `max_tokens` or `context_full` (the KV cache has no position left); 'cancelled': `cancelled`.
 */
export type StopReason =
  | { readonly kind: 'stop_token'; readonly id: number }
  /** period: tokens per repetition; span: tokens of the repeating tail (absent when reported by a remote server). */
  | { readonly kind: 'loop_detected'; readonly period?: number; readonly span?: number }
  | { readonly kind: 'max_tokens' }
  | { readonly kind: 'context_full' }
  | { readonly kind: 'cancelled' };

export interface GenerateParams extends SamplingParamsInput {
  /** Most tokens to generate (the stop token counts). */
  readonly maxTokens: number;
  /** Ids that end the generation (Harmony: <|return|> 200002 and <|call|> 200012). Default: none. */
  readonly stopTokens?: readonly number[];
  /** Default 'cheap'. */
  readonly loopDetection?: LoopDetectionMode;
  /**
   * Rotate the full-attention layers' cache beyond this many positions (0 = off). Left out: the
   * cache keeps its current policy (the one the model was loaded with, or the last request's).
   * A different value reallocates the cache and drops every cached prefix (ModelRunner.configureCache).
   */
  readonly maxKvSize?: number;
  /** Positions kept at the start of a rotating cache (default 4). */
  readonly kvKeep?: number;
}

export interface TokenLogprob {
  readonly id: number;
  readonly logprob: number;
}

export interface TokenEvent {
  /** 0-based index of this token in the completion. */
  readonly index: number;
  readonly id: number;
  /** log-softmax of the processed logits at T = 1 (params.logprobs; see src/kernels/sampler.ts). */
  readonly logprob?: number;
  readonly topLogprobs?: readonly TokenLogprob[];
  /** Milliseconds since generate() was called, when the id reached the CPU. */
  readonly timeMs: number;
}

/** One row of timing.csv (DESIGN.md "Run directory"), per generation. */
export interface GenerationMetrics {
  readonly promptTokens: number;
  /** Prompt positions whose K/V were reused from the cache (not prefilled). */
  readonly cachedTokens: number;
  readonly completionTokens: number;
  /** Prefix decision, then the prefill of the uncached prompt suffix. */
  readonly prefillSeconds: number;
  /** From generate() to the first token event (queueing behind another generation included). */
  readonly ttftSeconds: number;
  /** From the first token event to the last. */
  readonly decodeSeconds: number;
  /** (completionTokens - 1) / decodeSeconds: the first token belongs to the prefill. 0 with < 2 tokens. */
  readonly decodeTokensPerSecond: number;
  /** Positions in the KV cache when generation ended (prompt + fed completion tokens). */
  readonly kvLength: number;
  /** The full layers' rotation (0 = off). */
  readonly maxKvSize: number;
  readonly loopDetection: LoopDetectionMode;
  readonly finishReason: FinishReason;
  /** stopReasonLabel(stopReason): `stop_token:200002`, `loop_detected`, `max_tokens`, `context_full`, `cancelled`. */
  readonly stopReason: string;
  /** How the prompt met the cache: extend | rewind | restore_checkpoint | reprefill. */
  readonly prefixAction: PrefixAction;
  /** The seed used (the request's, or the one drawn for it): rerun with it to reproduce. */
  readonly seed: number;
  /** Seconds spent waiting for an earlier generation on the same generator. */
  readonly queueSeconds: number;
}

export interface GenerationResult {
  /** The completion (stop token included when one ended it). */
  readonly tokens: readonly number[];
  readonly finishReason: FinishReason;
  readonly stopReason: StopReason;
  readonly metrics: GenerationMetrics;
}

export interface Generation extends AsyncIterable<TokenEvent> {
  /** Settles when the generation ends (after the last event). Rejects on engine errors. */
  readonly result: Promise<GenerationResult>;
}

export interface GenerateOptions {
  /** Stops generation within one decode step; the result has finishReason 'cancelled'. */
  readonly signal?: AbortSignal;
}

export interface TokenGenerator {
  generate(promptIds: readonly number[], params: GenerateParams, opts?: GenerateOptions): Generation;
  /** Vocabulary rows of the model (logits per step). */
  readonly vocabSize: number;
}
