// Token-level loop detection: does the completion end in a repeating n-gram, e.g.
//   ... A B C A B C A B C A B C      (period 3, 4 repeats)
// Checked every `checkEvery` tokens on the last `windowTokens` ids of the completion, for every
// period p <= maxPeriod at once with the Z-function of the reversed tail: z[p] is how far the tail
// matches itself shifted by p, so the tail is p-periodic over its last p + z[p] tokens. A loop is the
// shortest p whose periodic tail spans >= max(minSpanTokens, minRepeats * p) tokens.
//
// Cost per check: O(windowTokens) integer compares (Z-function), no allocation (scratch is held by
// the detector). Per generated token that is windowTokens / checkEvery compares: 16 for 'cheap',
// 128 for 'full', against a decode step of milliseconds (bench/e2e/loop-detection.bench.ts).
//
// minSpanTokens keeps ordinary text from tripping it: a table rule or a row of dashes repeats a short
// unit, but rarely for 64 tokens; a real degenerate loop does not stop by itself.

import { ConfigError } from '../errors.js';
import type { LoopDetectionMode } from './types.js';

export interface LoopDetectionConfig {
  /** Ids of the completion's tail examined per check. */
  readonly windowTokens: number;
  /** Longest repeating unit looked for (tokens). */
  readonly maxPeriod: number;
  /** The unit must occur at least this many times in a row... */
  readonly minRepeats: number;
  /** ...and the repeating tail must be at least this long (tokens). */
  readonly minSpanTokens: number;
  /** Check after every this many tokens. */
  readonly checkEvery: number;
}

export const LOOP_DETECTION_PRESETS: Readonly<Record<Exclude<LoopDetectionMode, 'off'>, LoopDetectionConfig>> = {
  // Short units (phrases, a repeated line): what greedy decoding of a small model falls into.
  cheap: { windowTokens: 256, maxPeriod: 64, minRepeats: 4, minSpanTokens: 64, checkEvery: 16 },
  // Also whole repeated paragraphs (up to 512 tokens, three times).
  full: { windowTokens: 2048, maxPeriod: 512, minRepeats: 3, minSpanTokens: 64, checkEvery: 16 },
};

export const DEFAULT_LOOP_DETECTION: LoopDetectionMode = 'cheap';

export interface LoopMatch {
  /** Tokens per repetition. */
  readonly period: number;
  /** Length of the periodic tail (tokens); span / period repetitions. */
  readonly span: number;
}

/**
 * The shortest period of a repeating tail of tokens[0 .. end), or null. `reversed` and `z` are
 * scratch of length >= windowTokens (allocated when left out).
 */
export function findRepeatingTail(
  tokens: ArrayLike<number>,
  end: number,
  cfg: LoopDetectionConfig,
  reversed: Int32Array = new Int32Array(cfg.windowTokens),
  z: Int32Array = new Int32Array(cfg.windowTokens),
): LoopMatch | null {
  const n = Math.min(end, cfg.windowTokens);
  if (n < cfg.minSpanTokens) return null;
  for (let idx = 0; idx < n; idx++) reversed[idx] = tokens[end - 1 - idx];
  // Z-function: z[i] = length of the longest common prefix of reversed[0..n) and reversed[i..n).
  z[0] = n;
  let left = 0;
  let right = 0;
  for (let i = 1; i < n; i++) {
    let len = 0;
    if (i < right) len = Math.min(right - i, z[i - left]);
    while (i + len < n && reversed[len] === reversed[i + len]) len++;
    z[i] = len;
    if (i + len > right) {
      left = i;
      right = i + len;
    }
  }
  const maxPeriod = Math.min(cfg.maxPeriod, Math.floor(n / cfg.minRepeats));
  for (let period = 1; period <= maxPeriod; period++) {
    const span = period + z[period];
    if (span >= cfg.minSpanTokens && span >= cfg.minRepeats * period) return { period, span };
  }
  return null;
}

/** A detector for one generation at a time: call `check` after each token (it looks every checkEvery). */
export class LoopDetector {
  readonly config: LoopDetectionConfig | null;
  private readonly reversed: Int32Array;
  private readonly z: Int32Array;

  constructor(readonly mode: LoopDetectionMode) {
    if (mode !== 'off' && mode !== 'cheap' && mode !== 'full') {
      throw new ConfigError(`loopDetection: expected 'off', 'cheap' or 'full', got ${JSON.stringify(mode)}`);
    }
    this.config = mode === 'off' ? null : LOOP_DETECTION_PRESETS[mode];
    const size = this.config?.windowTokens ?? 0;
    this.reversed = new Int32Array(size);
    this.z = new Int32Array(size);
  }

  /** After the completion reached `length` tokens (tokens[0 .. length)): a loop, or null. */
  check(tokens: ArrayLike<number>, length: number): LoopMatch | null {
    const cfg = this.config;
    if (!cfg || length % cfg.checkEvery !== 0) return null;
    return findRepeatingTail(tokens, length, cfg, this.reversed, this.z);
  }
}
