// The GPU sampler's filters in isolation on crafted logits, penalties, greedy, logprobs and the
// documented fallbacks, against the float64 reference (tests/reference/sampler.ts).
// Draw statistics, determinism, queued steps and gpt-oss-size runs: sampler-draws.test.ts.
import { afterAll, describe, expect, it } from 'vitest';
import { ShapeError } from '../../src/errors.js';
import { Recorder } from '../../src/gpu/recorder.js';
import { createTensor } from '../../src/gpu/tensor.js';
import { loadShaderSource } from '../../src/gpu/wgsl.js';
import { POOL_CAPACITY, SAMPLE_CONSTS, SAMPLE_RESULT, encodeSample } from '../../src/kernels/sampler.js';
import { expectClose, expectExact } from '../helpers/close.js';
import { useGpu } from '../helpers/gpu.js';
import { normal, randF32, seeded } from '../helpers/random.js';
import { SamplerRig, params } from '../helpers/sampler-rig.js';
import { NO_TOKEN, RefSampler, refLogSumExp, refNucleusSize, refPenalise, refSelect, sortedOrder } from '../reference/sampler.js';

const SEED = 4242;
// Penalised logits with non-dyadic parameters: the bias add, the multiply by fround(1/p) (HF
// divides), count * frequency + presence (possibly one FMA) and the subtraction are four f32
// roundings of values below 16 in magnitude: <= ~4 ulp(16) = 4e-6 absolute.
const PENALTY_TOL = { atol: 4e-6, rtol: 4e-7 };
// Final probabilities w / M: exp in WGSL is within 3 + 2|x| ulp (x = (z - max) / T <= ~20 here), plus
// two f32 sums over <= 2040 terms in a fixed order.
const PROB_TOL = { atol: 1e-7, rtol: 2e-5 };
// Logprobs z - (max + log sum exp(z - max)): the f32 sum over V terms (relative error ~30 eps) and
// a couple of roundings of values ~20.
const LOGPROB_TOL = { atol: 2e-5, rtol: 2e-6 };

/** Logits from a seeded normal distribution, with `planted` values at chosen ids. */
function craftedLogits(V: number, seed: number, scale: number, planted: Readonly<Record<number, number>> = {}): Float32Array {
  const logits = randF32(seeded(seed), V, scale);
  for (const [id, value] of Object.entries(planted)) logits[Number(id)] = value;
  return logits;
}

/** The ids the last GPU step kept (pool order) and their probabilities. */
async function keptPool(rig: SamplerRig): Promise<{ ids: number[]; probs: number[] }> {
  const dbg = await rig.sampler.readDebug();
  const ids: number[] = [];
  const probs: number[] = [];
  dbg.poolIds.forEach((id, slot) => {
    if (dbg.poolProbs[slot] > 0) {
      ids.push(id);
      probs.push(dbg.poolProbs[slot]);
    }
  });
  return { ids, probs };
}

describe('sampler shader constants', () => {
  it('SAMPLE_CONSTS mirror the `const`s of the sampler shaders', () => {
    const source = loadShaderSource('sample.wgsl') + loadShaderSource('sample-select.wgsl');
    for (const [name, value] of Object.entries(SAMPLE_CONSTS)) {
      const m = new RegExp(`const ${name}: u32 = (\\d+)u?;`).exec(source);
      expect(m?.[1], name).toBe(String(value));
    }
    expect(SAMPLE_CONSTS.CHUNK).toBe(SAMPLE_CONSTS.WG_SIZE * SAMPLE_CONSTS.ITEMS);
    expect(SAMPLE_CONSTS.WG_SIZE * SAMPLE_CONSTS.SORT_ITEMS).toBeGreaterThanOrEqual(SAMPLE_CONSTS.CAND);
    // workgroup memory of the select pass: pool keys + ids + 16 scalar words <= 16 KiB
    expect(2 * SAMPLE_CONSTS.CAND * 4 + 16 * 4).toBeLessThanOrEqual(16384);
  });
});

describe('encodeSample', () => {
  const gpu = useGpu();
  it('checks the logits row and the ids slot', () => {
    const r = new SamplerRig(gpu(), { vocabSize: 100 });
    const rec = new Recorder(gpu(), 'bad');
    const logits2d = createTensor(gpu(), 'logits2d', 'f32', [3, 100]);
    expect(() => encodeSample(rec, r.sampler, createTensor(gpu(), 'wrong', 'f32', [99]), { ids: r.ids, idsOffset: 0 })).toThrow(ShapeError);
    expect(() => encodeSample(rec, r.sampler, logits2d, { ids: r.ids, idsOffset: 0 }, 3)).toThrow('row 3');
    expect(() => encodeSample(rec, r.sampler, logits2d, { ids: r.ids, idsOffset: 4 })).toThrow(ShapeError);
    expect(() => encodeSample(rec, r.sampler, logits2d, { ids: logits2d, idsOffset: 0 })).toThrow(ShapeError);
    encodeSample(rec, r.sampler, logits2d, { ids: r.ids, idsOffset: 3 }, 2);
    expect(rec.numDispatches).toBe(4);
    rec.finish().destroy();
    r.destroy();
  });
});

describe('f32_sample_*: penalties, bias, mask', () => {
  const gpu = useGpu();
  const rigs: SamplerRig[] = [];
  afterAll(() => rigs.forEach((r) => r.destroy()));
  const rig = (V: number, mask?: { from: number; to: number }): SamplerRig => {
    const r = new SamplerRig(gpu(), { vocabSize: V, maskRange: mask });
    rigs.push(r);
    return r;
  };

  it('exact values on dyadic inputs (V=1000, window, repeats, bias, ban, mask)', async () => {
    const V = 1000;
    const mask = { from: 990, to: V };
    const rng = seeded(SEED);
    const logits = Float32Array.from({ length: V }, () => Math.round(normal(rng) * 24) / 8);
    logits[7] = -3.125; // negative and penalised: multiplied by the penalty
    const r = rig(V, mask);
    r.setLogits(logits);
    // window 10 of these 14: 1, 2, 3 and the first 5 fall out; 5 stays (once), 9 three times, 995 is masked
    const recent = [1, 2, 3, 5, 5, 7, 7, 9, 9, 9, 11, 500, 600, 995];
    const p = params({
      temperature: 0,
      repetitionPenalty: 2,
      presencePenalty: 0.5,
      frequencyPenalty: 0.25,
      penaltyWindow: 10,
      logitBias: { 7: 1.5, 12: -2.25, 13: -Infinity, 600: 0.125 },
    });
    r.sampler.begin(p, recent);
    await r.run(1);
    const ref = new RefSampler(V, mask);
    ref.begin(p, recent);
    const z = ref.penalise(logits);
    expect(z[13]).toBe(-Infinity);
    expect(z[995]).toBe(-Infinity);
    expectExact(await r.sampler.readScores(), z, (v) => `id ${v}`);
  });

  it('tight f32 tolerance on random inputs (V=5000, two chunks)', async () => {
    const V = 5000;
    const logits = craftedLogits(V, SEED + 1, 3);
    const recent = Array.from({ length: 200 }, (_, idx) => (idx * 37) % 97);
    const p = params({ temperature: 0, repetitionPenalty: 1.3, presencePenalty: 0.37, frequencyPenalty: 0.11, penaltyWindow: 150, logitBias: { 3: 0.7, 4000: -1.1 } });
    const r = rig(V);
    r.setLogits(logits);
    r.sampler.begin(p, recent);
    await r.run(1);
    const ref = new RefSampler(V);
    ref.begin(p, recent);
    expectClose(await r.sampler.readScores(), ref.penalise(logits), PENALTY_TOL, (v) => `id ${v}`);
  });

  it('the GPU window slides: counts after queued steps equal the reference', async () => {
    const V = 300;
    const logits = craftedLogits(V, SEED + 2, 1);
    const p = params({ temperature: 1, topK: 5, repetitionPenalty: 1.5, presencePenalty: 0.2, penaltyWindow: 6, seed: 3 });
    const recent = [10, 11, 12, 13, 14, 15, 16, 17];
    const r = rig(V);
    r.setLogits(logits);
    const got = await r.sample(p, 9, recent);
    const ref = new RefSampler(V);
    ref.begin(p, recent);
    const want = Array.from({ length: 9 }, () => ref.step1(logits).id);
    expect(Array.from(got)).toEqual(want);
    const counts = new Uint32Array(V);
    for (const id of [...recent, ...want].slice(-6)) counts[id]++;
    expectExact(await r.sampler.readCounts(), counts, (v) => `id ${v}`);
    expect(await r.sampler.readStatus()).toMatchObject({ step: 9, windowEnd: 6 + 9, stickyFlags: 0 });
  });
});

describe('f32_sample_*: greedy', () => {
  const gpu = useGpu();
  const cases: [string, number, Record<number, number>, Parameters<typeof params>[0], { from: number; to: number } | undefined][] = [
    ['T=0, tie across chunks -> lowest id', 5000, { 4321: 9, 1234: 9 }, { temperature: 0 }, undefined],
    ['topK=1 at T=0.7, tie inside a thread', 1024, { 513: 6, 512: 6 }, { temperature: 0.7, topK: 1 }, undefined],
    ['max inside the mask range is skipped', 1000, { 995: 50, 17: 8 }, { temperature: 0 }, { from: 990, to: 1000 }],
    ['banned by bias -Infinity', 1000, { 17: 8, 18: 7.5 }, { temperature: 0, logitBias: { 17: -Infinity } }, undefined],
    ['all logits negative, odd V', 777, { 700: -0.001 }, { temperature: 0, logitBias: {} }, undefined],
  ];
  it.each(cases)('%s', async (_name, V, planted, input, mask) => {
    const logits = craftedLogits(V, SEED + V, 1, planted);
    if (V === 777) for (let v = 0; v < V; v++) if (v !== 700) logits[v] = -Math.abs(logits[v]) - 0.01;
    const r = new SamplerRig(gpu(), { vocabSize: V, maskRange: mask });
    r.setLogits(logits);
    const p = params({ ...input, seed: 99 });
    const got = await r.sample(p, 3);
    const ref = new RefSampler(V, mask);
    ref.begin(p);
    const want = ref.step1(logits).id;
    expect(Array.from(got)).toEqual([want, want, want]);
    expect(await r.outId()).toBe(want);
    r.destroy();
  });

  it('every id banned: id 0 and the no-valid-token flag', async () => {
    const V = 100;
    const r = new SamplerRig(gpu(), { vocabSize: V, maskRange: { from: 0, to: V } });
    r.setLogits(craftedLogits(V, SEED, 1));
    for (const temperature of [0, 1]) {
      expect(Array.from(await r.sample(params({ temperature }), 1))).toEqual([0]);
      expect((await r.sampler.readStatus()).lastFlags & SAMPLE_RESULT.noValidToken).toBeTruthy();
    }
    r.destroy();
  });
});

describe('f32_sample_*: filters keep exact sets', () => {
  const gpu = useGpu();
  const V = 3000;
  // Eight planted tokens at scattered ids with chosen probabilities (the rest at -30: mass ~3e-10).
  const PLANTED_IDS = [517, 3, 2999, 1200, 64, 2048, 700, 1500];
  const PLANTED_PROBS = [0.4, 0.25, 0.15, 0.1, 0.05, 0.03, 0.015, 0.005];
  const planted = (): Float32Array => {
    const logits = new Float32Array(V).fill(-30);
    PLANTED_IDS.forEach((id, i) => (logits[id] = Math.log(PLANTED_PROBS[i])));
    return logits;
  };
  let rig: SamplerRig;
  const run = async (logits: Float32Array, input: Parameters<typeof params>[0]): Promise<{ got: { ids: number[]; probs: number[] }; want: ReturnType<typeof refSelect> }> => {
    rig ??= new SamplerRig(gpu(), { vocabSize: V });
    rig.setLogits(logits);
    const p = params({ seed: 5, ...input });
    rig.sampler.begin(p);
    await rig.run(1);
    const ref = new RefSampler(V);
    ref.begin(p);
    const want = ref.step1(logits);
    expect(want.ambiguous).toBe(false);
    const got = await keptPool(rig);
    expect(got.ids).toEqual(want.keptIds);
    expectClose(got.probs, want.keptProbs, PROB_TOL, (i) => `kept #${i} (id ${want.keptIds[i]})`);
    expect(await rig.outId()).toBe(want.id);
    return { got, want };
  };
  afterAll(() => rig?.destroy());

  // Cumulative masses 0.4, 0.65, 0.8, 0.9, 0.95, 0.98, 0.995 (values of p away from them). Alone,
  // top-p's pool comes from the nucleus bound of pass 3 (often exactly the nucleus); with top-k 8 the
  // pool is the top 8 and the cut happens in pass 4.
  it.each([
    [0.3, 1, 0],
    [0.5, 2, 0],
    [0.75, 3, 0],
    [0.85, 4, 0],
    [0.97, 6, 0],
    [0.99, 7, 0],
    [0.3, 1, 8],
    [0.5, 2, 8],
    [0.85, 4, 8],
    [0.99, 7, 8],
  ])('top-p %f keeps the shortest prefix reaching p (%i tokens; top-k %i)', async (topP, numKept, topK) => {
    const { got } = await run(planted(), { temperature: 1, topP, topK });
    expect(got.ids).toEqual(PLANTED_IDS.slice(0, numKept));
  });

  it('top-k keeps exactly k, ties at the boundary by lowest id', async () => {
    const logits = craftedLogits(V, SEED + 3, 0.5, { 900: 6, 5: 5, 2500: 4, 40: 4, 1700: 4, 41: 4, 2: 3 });
    const { got } = await run(logits, { temperature: 0.8, topK: 4 });
    expect(got.ids).toEqual([900, 5, 40, 41]);
  });

  it('top-k then top-p: p is a fraction of the top-k mass', async () => {
    // top-3 mass 0.8: p = 0.75 needs 0.6 -> {517, 3} (0.65)
    const { got } = await run(planted(), { temperature: 1, topK: 3, topP: 0.75 });
    expect(got.ids).toEqual([517, 3]);
  });

  it('min-p keeps p >= minP * p_max (pool path, with top-k)', async () => {
    // minP 0.2: p >= 0.08 -> 0.4, 0.25, 0.15, 0.1
    const { got } = await run(planted(), { temperature: 1, topK: 50, minP: 0.2 });
    expect(got.ids).toEqual(PLANTED_IDS.slice(0, 4));
  });

  it('top-p then min-p, with temperature: the sets compose', async () => {
    // T = 0.5 squares the probabilities: cumulative 0.619, 0.860, 0.947, 0.986, 0.996: top-p 0.99
    // keeps 5; min-p 0.1 needs a ratio >= 0.1 to the top: 1, 0.39, 0.14 (0.0625 fails)
    const { got } = await run(planted(), { temperature: 0.5, topP: 0.99, minP: 0.1 });
    expect(got.ids).toEqual(PLANTED_IDS.slice(0, 3));
  });

  it('min-p alone: the full-vocabulary path zeroes exactly the ids below it', async () => {
    const logits = planted();
    rig ??= new SamplerRig(gpu(), { vocabSize: V });
    rig.setLogits(logits);
    const p = params({ temperature: 1, minP: 0.2 });
    rig.sampler.begin(p);
    await rig.run(1);
    const dbg = await rig.sampler.readDebug();
    const kept = [...dbg.weights.keys()].filter((v) => dbg.weights[v] > 0);
    const want = refSelect(refPenalise(logits, new Uint32Array(V), p, { from: V, to: V }), p, 0.5);
    expect(kept).toEqual([...want.keptIds].sort((a, b) => a - b));
    expect(kept).toEqual([3, 517, 1200, 2999]);
  });

  it('temperature only: full-vocabulary weights are e = exp((z - max) / T)', async () => {
    const logits = craftedLogits(V, SEED + 4, 2);
    rig ??= new SamplerRig(gpu(), { vocabSize: V });
    rig.setLogits(logits);
    const p = params({ temperature: 0.6 });
    rig.sampler.begin(p);
    await rig.run(1);
    const dbg = await rig.sampler.readDebug();
    const m = Math.max(...logits);
    expectClose(dbg.weights, Array.from(logits, (z) => Math.exp((z - m) / 0.6)), PROB_TOL, (v) => `id ${v}`);
  });
});

describe('f32_sample_*: logprobs', () => {
  const gpu = useGpu();
  it.each([
    ['greedy', { temperature: 0 }],
    ['pool (top-k 20, T 0.8)', { temperature: 0.8, topK: 20 }],
    ['full vocabulary (T 1.2)', { temperature: 1.2 }],
  ] as const)('chosen and top-8 logprobs (%s, V=5000)', async (_name, input) => {
    const V = 5000;
    const logits = craftedLogits(V, SEED + 5, 2, { 4999: 7, 0: 7 });
    const r = new SamplerRig(gpu(), { vocabSize: V, maxTopLogprobs: 8 });
    r.setLogits(logits);
    const p = params({ ...input, seed: 11, logprobs: true, topLogprobs: 8 });
    const got = await r.sample(p, 4);
    const ref = new RefSampler(V);
    ref.begin(p);
    const records = await r.sampler.readLogprobs(0, 4, 8);
    const z = ref.penalise(logits); // no penalty is on: the same every step
    const lse = refLogSumExp(z);
    for (let step = 0; step < 4; step++) {
      const want = ref.step1(logits);
      if (!want.ambiguous) expect(got[step]).toBe(want.id);
      expectClose([records[step].logprob], [z[got[step]] - lse], LOGPROB_TOL, () => `step ${step}, chosen id ${got[step]}`);
      expect(records[step].top.map((t) => t.id)).toEqual(want.top.map((t) => t.id));
      expectClose(records[step].top.map((t) => t.logprob), want.top.map((t) => t.logprob), LOGPROB_TOL, (i) => `step ${step}, top ${i}`);
    }
    r.destroy();
  });

  it('fewer valid ids than topLogprobs: the record is padded with (NO_TOKEN, -inf)', async () => {
    const V = 10;
    const r = new SamplerRig(gpu(), { vocabSize: V, maxTopLogprobs: 4, maskRange: { from: 3, to: V } });
    r.setLogits(Float32Array.from({ length: V }, (_, v) => v));
    await r.sample(params({ temperature: 1, logprobs: true, topLogprobs: 4 }), 1);
    const [record] = await r.sampler.readLogprobs(0, 1, 4);
    expect(record.top.map((t) => t.id)).toEqual([2, 1, 0, NO_TOKEN]);
    expect(record.top[3].logprob).toBe(-Infinity);
    expectClose(record.top.slice(0, 3).map((t) => t.logprob), [2, 1, 0].map((z) => z - Math.log(Math.E ** 2 + Math.E + 1)), LOGPROB_TOL);
    r.destroy();
  });
});

describe('f32_sample_*: documented fallbacks and the pool boundary', () => {
  const gpu = useGpu();
  const V = 8192;
  let rig: SamplerRig;
  afterAll(() => rig?.destroy());

  it('flat logits, top-k 1000: the boundary bin overflows, filled by lowest id (exact for ties)', async () => {
    rig ??= new SamplerRig(gpu(), { vocabSize: V });
    rig.setLogits(new Float32Array(V).fill(1.5));
    const p = params({ temperature: 1, topK: 1000 });
    rig.sampler.begin(p);
    await rig.run(1);
    const got = await keptPool(rig);
    expect(got.ids).toEqual(Array.from({ length: 1000 }, (_, v) => v));
    expect((await rig.sampler.readStatus()).lastFlags).toBe(SAMPLE_RESULT.boundaryOverflow);
    const want = refSelect(new Float64Array(V).fill(1.5), p, 0.5);
    expect(got.ids).toEqual(want.keptIds);
  });

  it('a nucleus just under the pool size is exact (no flag)', async () => {
    rig ??= new SamplerRig(gpu(), { vocabSize: V });
    // 1500 tied tokens hold all but ~1e-14 of the mass (order among them: by id); p = 0.9 + 0.5/1500
    // asks for 1350.5 of them: the nucleus is 1351 tokens
    const logits = new Float32Array(V).fill(-40);
    for (let v = 0; v < 1500; v++) logits[(v * 5) % V] = 0;
    rig.setLogits(logits);
    const p = params({ temperature: 1, topP: 0.9 + 0.5 / 1500 });
    rig.sampler.begin(p);
    await rig.run(1);
    const got = await keptPool(rig);
    const want = refSelect(Float64Array.from(logits), p, 0.5);
    expect(want.ambiguous).toBe(false);
    expect(got.ids).toEqual(want.keptIds);
    expect(got.ids.length).toBe(1351);
    expect((await rig.sampler.readStatus()).lastFlags).toBe(0);
    expect(sortedOrder(Float64Array.from(logits)).slice(0, 3)).toEqual([0, 5, 10]);
  });
});

/** The ids the last GPU step could draw: the pool's kept ids, or (wide path) the ids with weight > 0. */
async function drawableIds(rig: SamplerRig): Promise<number[]> {
  const dbg = await rig.sampler.readDebug();
  if (dbg.flags & SAMPLE_RESULT.nucleusWide) return [...dbg.weights.keys()].filter((v) => dbg.weights[v] > 0);
  return (await keptPool(rig)).ids;
}

describe('f32_sample_*: exact top-p when the nucleus is wider than the pool', () => {
  const gpu = useGpu();
  const V = 8192;
  let rig: SamplerRig;
  afterAll(() => rig?.destroy());

  // numTied tokens tied at z = 0 (scattered ids), the rest at -40 (mass ~4e-18 each): p = (N - 0.5) / numTied
  // needs exactly N of them by the prefix rule; the threshold rule keeps all ties (the exact set).
  it.each([
    ['2040 tied, needs 2040: fits the pool (prefix rule, fast path)', 2040, 2040, 2040, false],
    ['2041 tied, needs 2041: wide path, all 2041', 2041, 2041, 2041, true],
    ['5000 tied, needs 5000: wide path, all 5000', 5000, 5000, 5000, true],
    ['3000 tied, needs 2500: wide path keeps every tie at t (3000)', 3000, 2500, 3000, true],
  ])('%s', async (_name, numTied, need, numKept, wide) => {
    rig ??= new SamplerRig(gpu(), { vocabSize: V });
    const logits = new Float32Array(V).fill(-40);
    for (let k = 0; k < numTied; k++) logits[(k * 7) % V] = 0;
    rig.setLogits(logits);
    const p = params({ temperature: 1, topP: (need - 0.5) / numTied, seed: 17 });
    rig.sampler.begin(p);
    await rig.run(1);
    const want = refSelect(Float64Array.from(logits), p, 0.1234567); // u off every CDF step of the ties
    expect(want.ambiguous).toBe(false);
    expect(want.mode).toBe(wide ? 'wide' : 'pool');
    const got = await drawableIds(rig);
    expect(got.length).toBe(numKept);
    expect([...got].sort((a, b) => a - b)).toEqual([...want.keptIds].sort((a, b) => a - b));
    // (the fast path may report poolCapped: the nucleus bound's margin did not fit, the nucleus did)
    expect((await rig.sampler.readStatus()).lastFlags & ~SAMPLE_RESULT.poolCapped).toBe(wide ? SAMPLE_RESULT.nucleusWide : 0);
  });

  it('distinct logits: nucleus of 2039 / 2041 / 5000 tokens, sets equal the reference (V=8192)', async () => {
    rig ??= new SamplerRig(gpu(), { vocabSize: V });
    // z = -k / 4096 for the k-th id of a permutation: all distinct, ~128 tokens per histogram bin
    const logits = new Float32Array(V);
    for (let k = 0; k < V; k++) logits[(k * 3001) % V] = -k / 4096;
    rig.setLogits(logits);
    const z = Float64Array.from(logits);
    const order = sortedOrder(z);
    const e = order.map((v) => Math.exp(z[v] - z[order[0]]));
    const total = e.reduce((a, b) => a + b, 0);
    for (const need of [2039, 2041, 5000]) {
      // top_p halfway between the masses of need - 1 and need tokens
      let cum = 0;
      for (let k = 0; k < need - 1; k++) cum += e[k];
      const p = params({ temperature: 1, topP: (cum + e[need - 1] / 2) / total, seed: 3 });
      expect(refNucleusSize(z, p)).toBe(need);
      rig.sampler.begin(p);
      await rig.run(1);
      const want = refSelect(z, p, 0.5);
      expect(want.ambiguous).toBe(false);
      const got = await drawableIds(rig);
      expect([...got].sort((a, b) => a - b), `need ${need}`).toEqual([...want.keptIds].sort((a, b) => a - b));
      expect(got.length).toBe(need);
      expect(want.mode).toBe(need > 2040 ? 'wide' : want.mode);
    }
  });

  it('with top-k 1024 it stays pool-based; with min-p the wide set is cut by min-p', async () => {
    rig ??= new SamplerRig(gpu(), { vocabSize: V });
    const logits = craftedLogits(V, SEED + 9, 0.7);
    rig.setLogits(logits);
    const z = Float64Array.from(logits);
    const pk = params({ temperature: 1, topP: 0.9, topK: 1024, seed: 1 });
    expect(refNucleusSize(z, params({ temperature: 1, topP: 0.9 }))).toBeGreaterThan(4000);
    rig.sampler.begin(pk);
    await rig.run(1);
    let want = refSelect(z, pk, 0.5);
    expect(want.mode).toBe('pool');
    expect((await keptPool(rig)).ids).toEqual(want.keptIds);
    expect((await rig.sampler.readStatus()).lastFlags & SAMPLE_RESULT.nucleusWide).toBe(0);
    // min-p halfway between the 3000th and 3001st e: the nucleus (> 4000) cut to 3000 tokens
    const order = sortedOrder(z);
    const minP = (Math.exp(z[order[2999]] - z[order[0]]) + Math.exp(z[order[3000]] - z[order[0]])) / 2;
    const pm = params({ temperature: 1, topP: 0.9, minP, seed: 1 });
    rig.sampler.begin(pm);
    await rig.run(1);
    want = refSelect(z, pm, 0.5);
    expect(want.mode).toBe('wide');
    const got = await drawableIds(rig);
    expect(got).toEqual(want.keptIds); // both in id order
    expect(got.length).toBeLessThan(refNucleusSize(z, pm));
    expect(got.length).toBe(3000);
  });
});
