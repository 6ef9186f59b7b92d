// Prefix reuse: which part of the KV cache a new prompt can keep, as a pure decision over token ids
// and cache geometry (no GPU). Metal's reference does the same (spec §4 trick 6): compare the prompt
// with the tokens whose K/V are cached and prefill only from the first mismatch.
//
// What makes it more than a longest common prefix: ring buffers forget. Position p lives in
//   slot(p) = p < keep ? p : keep + (p - keep) % ring,   ring = S - keep
// so writing positions [newLen, writtenLen) overwrote the slots of positions p - ring. After a
// rewind to newLen, the query at newLen needs, per layer,
//   sliding (window W):  keys (newLen - W, newLen)
//   rotating full layer: keys [0, keep) and (newLen - ring, newLen)
//   plain full layer:    every key (S = context length: nothing is ever overwritten)
// If one of them was overwritten, that layer's K/V for the new prefix are gone. They cannot be
// recomputed locally: the K/V of a position depend on its hidden state, which depends on the
// sliding keys W positions further back, which are gone too (the lost range is everything below
// writtenLen - ring). So the only correct fallbacks are
//   1. the checkpoint: a copy of the sliding rings taken when the last prompt was prefilled
//      (KvCache.saveCheckpoint); Harmony's next turn diverges at or near that point, where the
//      previous turn's analysis began. Restoring costs one GPU copy of the sliding rings.
//   2. a re-prefill from position 0: the whole prompt again, as if nothing were cached.

import type { CacheGeometry } from '../kernels/attention.js';

/** Length of the longest common prefix of two id sequences. */
export function commonPrefixLength(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  let idx = 0;
  while (idx < n && a[idx] === b[idx]) idx++;
  return idx;
}

/**
 * Whether a layer whose slots were written for positions [0, writtenLen) still holds every key the
 * query at `newLen` needs after a rewind to newLen (<= writtenLen).
 */
export function ringKeepsRewind(g: CacheGeometry, newLen: number, writtenLen: number): boolean {
  if (newLen >= writtenLen) return true;
  const ring = g.capacity - g.keep;
  // Positions q < newLen overwritten by writes of p in [newLen, writtenLen): q = p - ring, i.e.
  // [max(keep, newLen - ring), writtenLen - 1 - ring] (positions below newLen - ring were overwritten
  // by positions below newLen: outside every view, as they should be).
  const lostLo = Math.max(g.keep, newLen - ring);
  const lostHi = Math.min(writtenLen - 1 - ring, newLen - 1);
  if (lostHi < lostLo) return true;
  // Lowest key the query at newLen reads (above the kept head of a rotating cache).
  const needLo = g.window > 0 ? Math.max(0, newLen - g.window + 1) : Math.max(g.keep, newLen - ring + 1);
  return lostHi < needLo;
}

export interface PrefixCacheState {
  /** Ids whose K/V are cached, in position order. */
  readonly cached: readonly number[];
  /**
   * Per layer: one past the highest position written since that layer's slots for the cached ids
   * were (>= cached.length: decode steps queued past a stop write beyond it). Restoring a checkpoint
   * resets the layers it covers to its length.
   */
  readonly writtenLengths: readonly number[];
  readonly layers: readonly CacheGeometry[];
  /** The sliding rings as they were at `length` (only layers with `saved[l]`), if a checkpoint is held. */
  readonly checkpoint: { readonly length: number; readonly saved: readonly boolean[] } | null;
}

export type PrefixAction =
  /** Nothing to rewind: the prompt extends the cached ids (or the cache is empty). */
  | 'extend'
  /** Rewind to the common prefix; every layer still holds what it needs. */
  | 'rewind'
  /** Restore the checkpoint's sliding rings, then rewind (reuse may stop at the checkpoint). */
  | 'restore_checkpoint'
  /** The rings lost keys the prefix needs and no checkpoint covers it: prefill from position 0. */
  | 'reprefill';

export interface PrefixPlan {
  readonly action: PrefixAction;
  /** Positions kept; the prompt is prefilled from here. */
  readonly reuse: number;
  /** Longest common prefix of the prompt and the cached ids (what an unlimited cache would reuse). */
  readonly commonPrefix: number;
}

/**
 * Decide how much of the cache a prompt reuses. At least one prompt token is always prefilled (its
 * logits give the first sampled token), so a prompt equal to the cached ids reuses length - 1.
 */
export function planPrefixReuse(state: PrefixCacheState, prompt: readonly number[]): PrefixPlan {
  const commonPrefix = commonPrefixLength(state.cached, prompt);
  const want = Math.min(commonPrefix, Math.max(0, prompt.length - 1));
  const written = (l: number) => Math.max(state.writtenLengths[l] ?? 0, state.cached.length);
  if (want === state.cached.length && state.layers.every((_, l) => written(l) === want)) return { action: 'extend', reuse: want, commonPrefix };
  if (state.layers.every((g, l) => ringKeepsRewind(g, want, written(l)))) return { action: 'rewind', reuse: want, commonPrefix };
  const cp = state.checkpoint;
  if (cp && cp.length <= state.cached.length) {
    // The checkpoint's rings are valid for the ids up to cp.length: reuse at most that much.
    const reuse = Math.min(want, cp.length);
    const ok = state.layers.every((g, l) => (cp.saved[l] ? ringKeepsRewind(g, reuse, cp.length) : ringKeepsRewind(g, reuse, written(l))));
    if (ok && reuse > 0) return { action: 'restore_checkpoint', reuse, commonPrefix };
  }
  return { action: 'reprefill', reuse: 0, commonPrefix };
}
