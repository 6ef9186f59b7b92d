// Prefix reuse decisions as pure functions of ids and cache geometry (src/kvcache/prefix.ts).
// The GPU side (the logits those decisions lead to) is in prefix-reuse.test.ts.
import { describe, expect, it } from 'vitest';
import type { CacheGeometry } from '../../src/kernels/attention.js';
import { commonPrefixLength, planPrefixReuse, ringKeepsRewind, type PrefixCacheState } from '../../src/kvcache/prefix.js';

const W = 8;
const SLIDING: CacheGeometry = { capacity: W + 4, keep: 0, window: W }; // slack 4
const FULL: CacheGeometry = { capacity: 1024, keep: 0, window: 0 };
const ROTATING: CacheGeometry = { capacity: 16, keep: 4, window: 0 }; // ring of 12 after 4 kept

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/** Brute force: replay the slot writes and check every key the query at newLen needs. */
function bruteKeeps(g: CacheGeometry, newLen: number, writtenLen: number): boolean {
  const ring = g.capacity - g.keep;
  const slot = (p: number) => (p < g.keep ? p : g.keep + ((p - g.keep) % ring));
  const owner = new Map<number, number>();
  for (let p = 0; p < writtenLen; p++) owner.set(slot(p), p);
  // Positions < newLen whose slot was taken by a write at >= newLen: the last writer of the slot.
  for (let q = 0; q < newLen; q++) {
    const visible = g.window > 0 ? q > newLen - g.window : q < g.keep || q > newLen - ring;
    if (!visible) continue;
    const last = owner.get(slot(q))!;
    if (last !== q && last >= newLen) return false;
  }
  return true;
}

function state(cached: number[], layers: CacheGeometry[], extra: Partial<PrefixCacheState> & { writtenLength?: number } = {}): PrefixCacheState {
  const { writtenLength = cached.length, ...rest } = extra;
  return { cached, writtenLengths: layers.map(() => writtenLength), layers, checkpoint: null, ...rest };
}

describe('ringKeepsRewind', () => {
  it.each([
    ['sliding', SLIDING],
    ['rotating full', ROTATING],
    ['plain full', FULL],
  ])('%s: agrees with a brute-force replay of the slot writes', (_, g) => {
    for (let written = 0; written <= 60; written++) {
      for (let newLen = 0; newLen <= written; newLen++) {
        expect(ringKeepsRewind(g, newLen, written), `newLen ${newLen}, written ${written}`).toBe(bruteKeeps(g, newLen, written));
      }
    }
  });

  it('sliding rewinds are free up to slack + 1 (the query needs W - 1 older keys); a rotated cache rewinds one position', () => {
    expect(ringKeepsRewind(SLIDING, 50 - 5, 50)).toBe(true);
    expect(ringKeepsRewind(SLIDING, 50 - 6, 50)).toBe(false);
    expect(ringKeepsRewind(ROTATING, 49, 50)).toBe(true);
    expect(ringKeepsRewind(ROTATING, 48, 50)).toBe(false);
    expect(ringKeepsRewind(ROTATING, 10, 16)).toBe(true); // not wrapped yet
  });
});

describe('planPrefixReuse', () => {
  const cached = range(100, 140); // 40 ids

  it('commonPrefixLength', () => {
    expect(commonPrefixLength([1, 2, 3], [1, 2, 4, 5])).toBe(2);
    expect(commonPrefixLength([], [1])).toBe(0);
    expect(commonPrefixLength([1, 2], [1, 2])).toBe(2);
  });

  it('a grown prompt extends the cache; an equal prompt still prefills its last token', () => {
    expect(planPrefixReuse(state(cached, [SLIDING, FULL]), [...cached, 7, 8])).toEqual({ action: 'extend', reuse: 40, commonPrefix: 40 });
    expect(planPrefixReuse(state(cached, [SLIDING, FULL]), cached)).toEqual({ action: 'rewind', reuse: 39, commonPrefix: 40 });
    expect(planPrefixReuse(state([], [SLIDING, FULL]), [1, 2])).toEqual({ action: 'extend', reuse: 0, commonPrefix: 0 });
  });

  it('a prompt diverging within the sliding slack rewinds; further back needs the checkpoint or a re-prefill', () => {
    const diverge = (at: number) => [...cached.slice(0, at), 5, 6, 7];
    expect(planPrefixReuse(state(cached, [SLIDING, FULL]), diverge(36)).action).toBe('rewind');
    expect(planPrefixReuse(state(cached, [SLIDING, FULL]), diverge(30))).toEqual({ action: 'reprefill', reuse: 0, commonPrefix: 30 });
    // The checkpoint taken at 30 (the previous prompt's end) holds the rings as they were there.
    const cp = { checkpoint: { length: 30, saved: [true, false] } };
    expect(planPrefixReuse(state(cached, [SLIDING, FULL], cp), diverge(30))).toEqual({ action: 'restore_checkpoint', reuse: 30, commonPrefix: 30 });
    // Diverging after the checkpoint: reuse stops at the checkpoint (one prefill of 3 extra ids).
    expect(planPrefixReuse(state(cached, [SLIDING, FULL], cp), diverge(33))).toEqual({ action: 'restore_checkpoint', reuse: 30, commonPrefix: 33 });
    // Before it, within its slack: still usable; far before it: re-prefill.
    expect(planPrefixReuse(state(cached, [SLIDING, FULL], cp), diverge(27)).action).toBe('restore_checkpoint');
    expect(planPrefixReuse(state(cached, [SLIDING, FULL], cp), diverge(20)).action).toBe('reprefill');
  });

  it('steps queued past a stop count as written: they may have overwritten what a rewind needs', () => {
    // Slack 4: three positions written past the ids are harmless, six overwrote keys of 33..39.
    expect(planPrefixReuse(state(cached, [SLIDING, FULL], { writtenLength: 43 }), [...cached, 1]).action).toBe('rewind');
    expect(planPrefixReuse(state(cached, [SLIDING, FULL], { writtenLength: 46 }), [...cached, 1]).action).toBe('reprefill');
  });

  it('written lengths are per layer: after a checkpoint restore the sliding rings start over from it', () => {
    // Full layer written to 55 by an earlier generation, sliding rings restored to 40 and then
    // written to 50 by the new prompt: a rewind to 46 is within the sliding slack again.
    const s = state(range(100, 150), [SLIDING, FULL], { writtenLengths: [50, 55] });
    expect(planPrefixReuse(s, [...range(100, 146), 1]).action).toBe('rewind');
    expect(planPrefixReuse({ ...s, writtenLengths: [55, 55] }, [...range(100, 146), 1]).action).toBe('reprefill');
  });

  it('rotating cache: a prefix reaching into rotated-out positions cannot be reused', () => {
    expect(planPrefixReuse(state(cached, [SLIDING, ROTATING]), [...cached, 1]).action).toBe('extend');
    expect(planPrefixReuse(state(cached, [SLIDING, ROTATING]), [...cached.slice(0, 39), 1]).action).toBe('rewind');
    expect(planPrefixReuse(state(cached, [SLIDING, ROTATING]), [...cached.slice(0, 38), 1]).action).toBe('reprefill');
    // The checkpoint covers sliding rings only, never the rotating ring.
    const cp = { checkpoint: { length: 38, saved: [true, false] } };
    expect(planPrefixReuse(state(cached, [SLIDING, ROTATING], cp), [...cached.slice(0, 38), 1]).action).toBe('reprefill');
    // Overshoot past a stop in a wrapped rotating cache: the grown prompt cannot reuse it.
    expect(planPrefixReuse(state(cached, [SLIDING, ROTATING], { writtenLength: 45 }), [...cached, 1]).action).toBe('reprefill');
    expect(planPrefixReuse(state(cached, [SLIDING, ROTATING], { writtenLength: 41 }), [...cached, 1]).action).toBe('rewind');
  });
});
