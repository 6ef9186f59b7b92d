// The generation API that the chat layer (src/chat/, through the local GenerationClient) uses.
// Implemented by src/generate/generator.ts over the ModelRunner and the GPU sampler.
//
//   const gen = generator.generate(promptIds, params, { signal });
//   for await (const ev of gen) { ... ev.id ... }     // one event per generated token, in order
//   const result = await gen.result;                   // finish/stop reasons, metrics
//
// The prompt is matched against the tokens already in the KV cache: the longest common prefix is
// reused and only the rest is prefilled (`metrics.cachedTokens`).

import type { SamplingParamsInput } from './sampling-params.js';

export type LoopDetectionMode = 'off' | 'cheap' | 'full';
export type FinishReason = 'stop' | 'length' | 'cancelled';

/** `stop` ended by a stop token (its id), `loop_detected`, `max_tokens`, `context_full`, or `cancelled`. */
export type StopReason = { readonly kind: 'stop_token'; readonly id: number } | { readonly kind: 'loop_detected' } | { readonly kind: 'max_tokens' } | { readonly kind: 'context_full' } | { readonly kind: 'cancelled' };

export interface GenerateParams extends SamplingParamsInput {
  /** Most tokens to generate (the stop token counts). */
  readonly maxTokens: number;
  /** Ids that end the generation (Harmony: <|return|> 200002 and <|call|> 200012). */
  readonly stopTokens?: readonly number[];
  readonly loopDetection?: LoopDetectionMode;
  /** Rotate the full-attention layers' cache beyond this many positions (0 = off). */
  readonly maxKvSize?: number;
  /** Positions kept at the start of a rotating cache. */
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
  readonly logprob?: number;
  readonly topLogprobs?: readonly TokenLogprob[];
  /** Milliseconds since generate() was called, when the id reached the CPU. */
  readonly timeMs: number;
}

/** One row of timing.csv (DESIGN.md "Run directory"), per generation. */
export interface GenerationMetrics {
  readonly promptTokens: number;
  readonly cachedTokens: number;
  readonly completionTokens: number;
  readonly prefillSeconds: number;
  /** From generate() to the first token event. */
  readonly ttftSeconds: number;
  readonly decodeSeconds: number;
  /** (completionTokens - 1) / decodeSeconds: the first token belongs to the prefill. */
  readonly decodeTokensPerSecond: number;
  readonly kvLength: number;
  readonly maxKvSize: number;
  readonly loopDetection: LoopDetectionMode;
  readonly finishReason: FinishReason;
  readonly stopReason: string;
}

export interface GenerationResult {
  readonly tokens: readonly number[];
  readonly finishReason: FinishReason;
  readonly stopReason: StopReason;
  readonly metrics: GenerationMetrics;
}

export interface Generation extends AsyncIterable<TokenEvent> {
  /** Settles when the generation ends (after the last event). */
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
