import { describe, expect, it } from 'vitest';
import { ShapeError } from '../../src/errors.js';
import { Recorder, runOnce } from '../../src/gpu/recorder.js';
import { TOPK_MAX_EXPERTS, encodeRouterTopK } from '../../src/kernels/topk.js';
import { expectClose, expectExact } from '../helpers/close.js';
import { useGpu } from '../helpers/gpu.js';
import { randF32, randInts, seeded } from '../helpers/random.js';
import { f32Tensor, readF32, readU32, u32Tensor } from '../helpers/tensors.js';
import { refRouterTopK } from '../reference/topk.js';

const SEED = 777;
// Softmax over K <= 8 values in f32: exp has a few ulps of error (WGSL: 3 + 2|x| ulp), then one
// division; weights are <= 1.
const TOPK_SOFTMAX_TOL = { atol: 2e-6, rtol: 1e-5 };
// Logits on a coarse grid (multiples of 1/4 in [-2, 2]) make equal logits common, so ties decide order.
const TIE_GRID_STEPS = 16;
const TIE_GRID_STEP = 0.25;
const TIE_TOKENS = 16;

/** Tokens where the tie-break decided something: two chosen logits are equal (order), or the K-th
 * chosen logit equals an unchosen one (the set). */
function countDecidingTies(logits: Float32Array, ids: Uint32Array, T: number, E: number, K: number): number {
  let count = 0;
  for (let t = 0; t < T; t++) {
    const chosen = Array.from(ids.subarray(t * K, (t + 1) * K), (e) => logits[t * E + e]);
    const chosenIds = new Set(ids.subarray(t * K, (t + 1) * K));
    const orderTie = chosen.some((v, k) => k > 0 && v === chosen[k - 1]);
    const setTie = Array.from({ length: E }, (_, e) => e).some((e) => !chosenIds.has(e) && logits[t * E + e] === chosen[K - 1]);
    if (orderTie || setTie) count++;
  }
  return count;
}

describe('f32_router_topk_softmax', () => {
  const gpu = useGpu();

  async function run(logits: Float32Array, T: number, E: number, K: number, rowsExtra = 0) {
    const g = gpu();
    const tl = f32Tensor(g, 'logits', [T + rowsExtra, E], [...logits, ...new Float32Array(rowsExtra * E)]);
    const tIds = u32Tensor(g, 'ids', [T + rowsExtra, K], new Uint32Array((T + rowsExtra) * K));
    const tw = f32Tensor(g, 'weights', [T + rowsExtra, K]);
    await runOnce(g, 'topk', (rec) => encodeRouterTopK(rec, { logits: tl, ids: tIds, weights: tw }, { numTokens: T, numExperts: E, numExpertsPerToken: K }));
    const gotIds = (await readU32(g, tIds)).subarray(0, T * K);
    const gotW = (await readF32(g, tw)).subarray(0, T * K);
    return { ids: gotIds, weights: gotW };
  }

  const cases: [string, number, number, number][] = [];
  for (const E of [8, 16, 32, 128]) for (const K of [1, 2, 4]) cases.push([`E=${E}, K=${K}`, 5, E, K]);
  cases.push(['K = E = 8', 3, 8, 8], ['K=8 of E=128', 3, 128, 8], ['E not a multiple of the workgroup (E=100)', 4, 100, 4]);

  it.each(cases)('%s (T=%i): random logits, then a grid with many ties', async (_name, numTokens, E, K) => {
    for (const ties of [false, true]) {
      const T = ties ? TIE_TOKENS : numTokens;
      const rng = seeded(SEED + E * 10 + K + (ties ? 1 : 0));
      const logits = ties
        ? Float32Array.from(randInts(rng, T * E, -TIE_GRID_STEPS / 2, TIE_GRID_STEPS / 2), (v) => v * TIE_GRID_STEP)
        : randF32(rng, T * E, 2);
      const ref = refRouterTopK(logits, T, E, K);
      const got = await run(logits, T, E, K, 1);
      const where = (i: number) => `${ties ? 'tie grid: ' : ''}token ${Math.floor(i / K)}, slot ${i % K}`;
      expectExact(got.ids, ref.ids, where);
      expectClose(got.weights, ref.weights, TOPK_SOFTMAX_TOL, where);
      if (ties) expect(countDecidingTies(logits, ref.ids, T, E, K), 'tokens where a tie decided order or set').toBeGreaterThan(0);
    }
  });

  it('all logits equal: experts 0..K-1 with weight 1/K each', async () => {
    const T = 2;
    const E = 32;
    const K = 4;
    const got = await run(new Float32Array(T * E).fill(1.5), T, E, K);
    expect(Array.from(got.ids)).toEqual([0, 1, 2, 3, 0, 1, 2, 3]);
    expectClose(got.weights, new Array(T * K).fill(1 / K), TOPK_SOFTMAX_TOL);
  });

  it('+0 and -0 tie (index order); -inf can be chosen; NaN ranks last', async () => {
    const E = 8;
    const K = 4;
    const rows = [
      [-0, -1, 0, -2, -0, -3, -4, -5], // zeros at 0, 2, 4 tie → 0, 2, 4, then -1 at 1
      [-Infinity, -Infinity, -Infinity, -Infinity, -Infinity, 3, -Infinity, -Infinity], // 5, then -inf in index order
      [NaN, 1, NaN, 2, -Infinity, NaN, 0, NaN], // 3, 1, 6, 4
    ];
    const got = await run(Float32Array.from(rows.flat()), rows.length, E, K);
    expect(Array.from(got.ids)).toEqual([0, 2, 4, 1, 5, 0, 1, 2, 3, 1, 6, 4]);
    const zeroRow = refRouterTopK(rows[0], 1, E, K).weights;
    expectClose(got.weights.subarray(0, K), zeroRow, TOPK_SOFTMAX_TOL, (k) => `token 0, slot ${k}`);
  });

  it('rejects E above the key array and K above the winners list', () => {
    const g = gpu();
    const mk = (E: number, K: number) => ({
      logits: f32Tensor(g, 'l', [1, E]),
      ids: u32Tensor(g, 'i', [1, K], new Uint32Array(K)),
      weights: f32Tensor(g, 'w', [1, K]),
    });
    const rec = new Recorder(g, 'reject');
    expect(() => encodeRouterTopK(rec, mk(TOPK_MAX_EXPERTS + 1, 4), { numTokens: 1, numExperts: TOPK_MAX_EXPERTS + 1, numExpertsPerToken: 4 })).toThrow(ShapeError);
    expect(() => encodeRouterTopK(rec, mk(32, 9), { numTokens: 1, numExperts: 32, numExpertsPerToken: 9 })).toThrow(/K=9/);
    expect(() => encodeRouterTopK(rec, mk(32, 4), { numTokens: 2, numExperts: 32, numExpertsPerToken: 4 })).toThrow(/'logits' expected f32 \[T≥2, E=32\]/);
  });

  it('more tokens than one grid dimension holds (T=70000 folds into y)', async () => {
    const T = 70000;
    const E = 8;
    const K = 2;
    const logits = randF32(seeded(SEED), T * E);
    const ref = refRouterTopK(logits, T, E, K);
    const got = await run(logits, T, E, K);
    expectExact(got.ids, ref.ids, (i) => `token ${Math.floor(i / K)}, slot ${i % K}`);
    expectClose(got.weights, ref.weights, TOPK_SOFTMAX_TOL, (i) => `token ${Math.floor(i / K)}, slot ${i % K}`);
  });
});
