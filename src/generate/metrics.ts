// Timing metrics of one generation (GenerationMetrics, a timing.csv row) from the loop's clock
// readings. The chat layer (src/chat/artifacts.ts) writes the rows; this file only computes them.

import type { PrefixAction } from '../kvcache/prefix.js';
import type { FinishReason, GenerationMetrics, LoopDetectionMode, StopReason } from './types.js';

/** The string form of a stop reason in metrics and timing.csv. */
export function stopReasonLabel(reason: StopReason): string {
  return reason.kind === 'stop_token' ? `stop_token:${reason.id}` : reason.kind;
}

/** The finish reason each stop reason implies. */
export function finishReasonOf(reason: StopReason): FinishReason {
  switch (reason.kind) {
    case 'stop_token':
    case 'loop_detected':
      return 'stop';
    case 'max_tokens':
    case 'context_full':
      return 'length';
    case 'cancelled':
      return 'cancelled';
  }
}

/** Clock readings of one generation, in milliseconds of the generator's clock. */
export interface GenerationTimes {
  /** generate() was called. */
  readonly calledMs: number;
  /** The generation got the runner (earlier generations done). */
  readonly startMs: number;
  /** The prompt's uncached suffix was prefilled. */
  readonly prefilledMs: number;
  /** The first and last token events (NaN when none). */
  readonly firstTokenMs: number;
  readonly lastTokenMs: number;
}

export interface GenerationFacts {
  readonly promptTokens: number;
  readonly cachedTokens: number;
  readonly completionTokens: number;
  readonly kvLength: number;
  readonly maxKvSize: number;
  readonly loopDetection: LoopDetectionMode;
  readonly stopReason: StopReason;
  readonly prefixAction: PrefixAction;
  readonly seed: number;
}

const MS_PER_SECOND = 1000;

export function buildMetrics(t: GenerationTimes, f: GenerationFacts): GenerationMetrics {
  const seconds = (fromMs: number, toMs: number) => (Number.isFinite(fromMs) && Number.isFinite(toMs) ? Math.max(0, toMs - fromMs) / MS_PER_SECOND : 0);
  const decodeSeconds = seconds(t.firstTokenMs, t.lastTokenMs);
  return {
    promptTokens: f.promptTokens,
    cachedTokens: f.cachedTokens,
    completionTokens: f.completionTokens,
    prefillSeconds: seconds(t.startMs, t.prefilledMs),
    ttftSeconds: seconds(t.calledMs, t.firstTokenMs),
    decodeSeconds,
    decodeTokensPerSecond: f.completionTokens > 1 && decodeSeconds > 0 ? (f.completionTokens - 1) / decodeSeconds : 0,
    kvLength: f.kvLength,
    maxKvSize: f.maxKvSize,
    loopDetection: f.loopDetection,
    finishReason: finishReasonOf(f.stopReason),
    stopReason: stopReasonLabel(f.stopReason),
    prefixAction: f.prefixAction,
    seed: f.seed,
    queueSeconds: seconds(t.calledMs, t.startMs),
  };
}
