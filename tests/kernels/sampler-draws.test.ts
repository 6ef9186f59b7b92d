// The GPU sampler's draws: the RNG against the CPU twin, empirical distributions against the
// reference probabilities (chi-square), token-for-token agreement with the float64 reference,
// determinism, queued steps, and gpt-oss-size vocabularies (V = 201088).
import { afterAll, describe, expect, it } from 'vitest';
import { POOL_CAPACITY, SAMPLE_RESULT } from '../../src/kernels/sampler.js';
import type { SamplingParams } from '../../src/generate/sampling-params.js';
import { expectClose } from '../helpers/close.js';
import { useGpu } from '../helpers/gpu.js';
import { randF32, seeded } from '../helpers/random.js';
import { SamplerRig, params } from '../helpers/sampler-rig.js';
import { chiSquareCritical, chiSquareStatistic } from '../helpers/stats.js';
import { RefSampler, philox4x32_10, refNucleusSize, refSelect, sampleUniform } from '../reference/sampler.js';

const SEED = 9001;
const LOGPROB_TOL = { atol: 2e-5, rtol: 2e-6 }; // see sampler.test.ts
/** gpt-oss's vocabulary rows and the ids o200k_harmony leaves undefined. */
const GPT_OSS_V = 201088;
const GPT_OSS_MASK = { from: 200019, to: GPT_OSS_V };
// Chi-square tests reject at P(X² >= critical | correct sampler) = 1e-6: with fixed seeds the tests are
// deterministic, and 1e-6 is the chance that a correct sampler's fixed seed is that unlucky (every
// expected count is >= 80, so the asymptotic chi-square law is accurate).
const FALSE_FAILURE = 1e-6;

/**
 * Compare GPU ids with the reference step by step. At ambiguous steps (f32 vs f64 could choose
 * differently) the GPU's id is accepted into the reference's penalty window and not compared.
 */
function compareWithReference(got: ArrayLike<number>, ref: RefSampler, logits: Float32Array): { numAmbiguous: number; mismatches: string[] } {
  let numAmbiguous = 0;
  const mismatches: string[] = [];
  for (let step = 0; step < got.length; step++) {
    const want = ref.step1(logits, got[step]);
    if (want.ambiguous) numAmbiguous++;
    else if (want.id !== got[step] && mismatches.length < 10) mismatches.push(`step ${step}: got ${got[step]} ref ${want.id} (u ${want.u})`);
  }
  return { numAmbiguous, mismatches };
}

describe('sampler RNG: Philox4x32-10', () => {
  it('the CPU twin matches Random123 known answers', () => {
    const kat: [number[], number[], number[]][] = [
      [[0, 0, 0, 0], [0, 0], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]],
      [[0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]],
      [[0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0], [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]],
    ];
    for (const [ctr, key, out] of kat) expect(Array.from(philox4x32_10(ctr, key))).toEqual(out);
  });

  const gpu = useGpu();
  it('the GPU draws the same u as the CPU for every (seed, step), high seed words included', async () => {
    const rig = new SamplerRig(gpu(), { vocabSize: 64 });
    rig.setLogits(randF32(seeded(SEED), 64, 1));
    for (const seed of [0, 1, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER]) {
      for (const step of [0, 1, 77777, 2 ** 32 - 1]) {
        rig.sampler.begin(params({ temperature: 1, seed }), [], step);
        await rig.run(1);
        expect((await rig.sampler.readDebug()).u, `seed ${seed}, step ${step}`).toBe(sampleUniform(seed, step));
      }
    }
    rig.destroy();
  });
});

describe('sampler draws: distributions (chi-square)', () => {
  const gpu = useGpu();
  const NUM_DRAWS = 20000;

  /** Draw NUM_DRAWS tokens on the GPU (steps 0..n-1 of one seed) and the reference probabilities. */
  async function draw(V: number, logits: Float32Array, p: SamplingParams): Promise<{ counts: Map<number, number>; ids: number[]; probs: number[] }> {
    const rig = new SamplerRig(gpu(), { vocabSize: V });
    rig.setLogits(logits);
    const got = await rig.sample(p, NUM_DRAWS);
    rig.destroy();
    const want = refSelect(Float64Array.from(logits), p, 0);
    const counts = new Map<number, number>();
    for (const id of got) counts.set(id, (counts.get(id) ?? 0) + 1);
    return { counts, ids: want.keptIds, probs: want.keptProbs };
  }

  /** Observed counts per kept id, plus one category for anything outside the kept set (p = 0). */
  function observed(counts: Map<number, number>, ids: number[]): number[] {
    const inside = ids.map((id) => counts.get(id) ?? 0);
    const outside = NUM_DRAWS - inside.reduce((a, b) => a + b, 0);
    return [...inside, outside];
  }

  it('top-k 8 at T=0.7 over V=1024 (sorted-pool draw)', async () => {
    const V = 1024;
    const logits = randF32(seeded(SEED + 1), V, 1.5);
    const p = params({ temperature: 0.7, topK: 8, seed: 1234 });
    const { counts, ids, probs } = await draw(V, logits, p);
    expect(ids.length).toBe(8);
    expect(Math.min(...probs) * NUM_DRAWS).toBeGreaterThan(80);
    const df = ids.length - 1;
    const critical = chiSquareCritical(FALSE_FAILURE, df); // 40.5
    const x2 = chiSquareStatistic(observed(counts, ids), [...probs, 0]);
    expect(x2, `X² = ${x2.toFixed(2)} with ${df} df`).toBeLessThan(critical);

    // The bound fails wrong samplers. Ignoring the temperature (drawing from the top-8 at T = 1) moves
    // the expected statistic to df + n * sum (q - p)^2 / p; drawing that way with these very uniforms
    // (the CPU reference at T = 1) must fail the test. A kept set off by one fails outright (p = 0).
    const wrong = refSelect(Float64Array.from(logits), { ...p, temperature: 1 }, 0);
    expect(wrong.keptIds).toEqual(ids);
    const lambda = NUM_DRAWS * wrong.keptProbs.reduce((acc, q, i) => acc + (q - probs[i]) ** 2 / probs[i], 0);
    expect(df + lambda).toBeGreaterThan(3 * critical);
    const wrongCounts = new Map<number, number>();
    for (let step = 0; step < NUM_DRAWS; step++) {
      const id = refSelect(Float64Array.from(logits), { ...p, temperature: 1 }, sampleUniform(p.seed, step)).id;
      wrongCounts.set(id, (wrongCounts.get(id) ?? 0) + 1);
    }
    expect(chiSquareStatistic(observed(wrongCounts, ids), [...probs, 0])).toBeGreaterThan(critical);
  });

  it('T=1.3 with min-p 0.05 over V=64 (full-vocabulary draw in id order)', async () => {
    const V = 64;
    const logits = randF32(seeded(SEED + 2), V, 1.5);
    const p = params({ temperature: 1.3, minP: 0.05, seed: 77 });
    const { counts, ids, probs } = await draw(V, logits, p);
    expect(ids.length).toBeGreaterThan(30);
    expect(ids.length).toBeLessThan(V); // min-p removed some: they must never be drawn
    expect(Math.min(...probs) * NUM_DRAWS).toBeGreaterThan(80);
    const df = ids.length - 1;
    const x2 = chiSquareStatistic(observed(counts, ids), [...probs, 0]);
    expect(x2, `X² = ${x2.toFixed(2)} with ${df} df`).toBeLessThan(chiSquareCritical(FALSE_FAILURE, df));
  });
});

describe('sampler draws: agreement with the reference', () => {
  const gpu = useGpu();
  const V = 2 * 4096 + 77; // three chunks, a partial one last
  const logits = randF32(seeded(SEED + 3), V, 2.5);
  let rig: SamplerRig;
  afterAll(() => rig?.destroy());

  it.each([
    ['top-p 0.9, T 0.9, repetition 1.2 over 32', { temperature: 0.9, topP: 0.9, repetitionPenalty: 1.2, penaltyWindow: 32 }],
    ['top-k 50, min-p 0.02, presence/frequency', { temperature: 1.1, topK: 50, minP: 0.02, presencePenalty: 0.4, frequencyPenalty: 0.3, penaltyWindow: 64 }],
    ['T 1 over all V, frequency 0.5', { temperature: 1, frequencyPenalty: 0.5, penaltyWindow: 100 }],
    ['T 0.8, min-p 0.1 over all V', { temperature: 0.8, minP: 0.1 }],
  ] as const)('%s: 300 steps token for token', async (_name, input) => {
    rig ??= new SamplerRig(gpu(), { vocabSize: V });
    rig.setLogits(logits);
    const p = params({ ...input, seed: 31337 });
    const recent = Array.from({ length: 40 }, (_, idx) => (idx * 101) % V);
    const got = await rig.sample(p, 300, recent);
    const ref = new RefSampler(V);
    ref.begin(p, recent);
    const { numAmbiguous, mismatches } = compareWithReference(got, ref, logits);
    expect(mismatches).toEqual([]);
    // A draw is ambiguous when u * M lands within AMBIGUOUS_REL * M of one of the ~10^3 boundaries that
    // carry mass (~1% of draws) or a filter threshold is as close: 0-8 of 300 here.
    expect(numAmbiguous).toBeLessThan(15);
    expect((await rig.sampler.readStatus()).stickyFlags).toBe(0);
    expect(new Set(got).size).toBeGreaterThan(3); // it really samples
  });
});

describe('sampler draws: determinism and queued steps', () => {
  const gpu = useGpu();
  const V = 4096 + 100;
  const logits = randF32(seeded(SEED + 4), V, 1);
  let rig: SamplerRig;
  afterAll(() => rig?.destroy());

  it('same seed -> the same tokens; other seeds (low or high word) -> different tokens', async () => {
    rig ??= new SamplerRig(gpu(), { vocabSize: V });
    rig.setLogits(logits);
    const run = (seed: number): Promise<Uint32Array> => rig.sample(params({ temperature: 1, topP: 0.95, seed }), 64);
    const first = await run(42);
    expect(Array.from(await run(42))).toEqual(Array.from(first));
    for (const other of [43, 42 + 2 ** 32]) {
      const again = await run(other);
      // With ~V equally likely tokens two independent runs agree at a position with probability ~1e-3.
      const same = again.filter((id, idx) => id === first[idx]).length;
      expect(same, `seed ${other}`).toBeLessThan(8);
    }
  });

  it('steps queued in one command buffer = steps submitted and read one at a time', async () => {
    rig ??= new SamplerRig(gpu(), { vocabSize: V });
    rig.setLogits(logits);
    const p = params({ temperature: 1, topK: 20, repetitionPenalty: 1.5, presencePenalty: 0.5, frequencyPenalty: 0.3, penaltyWindow: 16, seed: 8 });
    const recent = [1, 2, 3, 4, 5];
    const NUM_STEPS = 24;
    const queued = await rig.sample(p, NUM_STEPS, recent);
    rig.sampler.begin(p, recent);
    const single: number[] = [];
    for (let step = 0; step < NUM_STEPS; step++) {
      await rig.run(1);
      single.push((await rig.sampler.readHistory(step, 1))[0]);
      expect(await rig.outId()).toBe(single[step]);
    }
    expect(Array.from(queued)).toEqual(single);
    const ref = new RefSampler(V);
    ref.begin(p, recent);
    expect(compareWithReference(queued, ref, logits).mismatches).toEqual([]);
    // the penalties bite: no token repeats inside the window while 20 candidates remain
    expect(new Set(queued.slice(0, 10)).size).toBe(10);
  });
});

describe('sampler draws: gpt-oss vocabulary (V = 201088)', () => {
  const gpu = useGpu();
  let rig: SamplerRig;
  afterAll(() => rig?.destroy());
  const realLogits = (scale: number): Float32Array => {
    const logits = randF32(seeded(SEED + 5), GPT_OSS_V, scale);
    for (let v = GPT_OSS_MASK.from; v < GPT_OSS_V; v++) logits[v] = 40; // garbage rows must stay masked
    return logits;
  };
  const runReal = async (logits: Float32Array, input: Parameters<typeof params>[0], numSteps: number, recent: number[] = []): Promise<void> => {
    rig ??= new SamplerRig(gpu(), { vocabSize: GPT_OSS_V, maskRange: GPT_OSS_MASK, maxTopLogprobs: 5 });
    rig.setLogits(logits);
    const p = params({ seed: 2025, logprobs: true, topLogprobs: 5, ...input });
    const got = await rig.sample(p, numSteps, recent);
    const ref = new RefSampler(GPT_OSS_V, GPT_OSS_MASK);
    ref.begin(p, recent);
    const records = await rig.sampler.readLogprobs(0, numSteps, 5);
    let numAmbiguous = 0;
    for (let step = 0; step < numSteps; step++) {
      const want = ref.step1(logits, got[step]);
      if (want.ambiguous) numAmbiguous++;
      else expect(got[step], `step ${step}`).toBe(want.id);
      expect(got[step]).toBeLessThan(GPT_OSS_MASK.from);
      expect(records[step].top.map((t) => t.id)).toEqual(want.top.map((t) => t.id));
      expectClose(records[step].top.map((t) => t.logprob), want.top.map((t) => t.logprob), LOGPROB_TOL, (i) => `step ${step}, top ${i}`);
      if (got[step] === want.id) expectClose([records[step].logprob], [want.logprob], LOGPROB_TOL);
    }
    expect(numAmbiguous).toBeLessThanOrEqual(1); // the draws were really compared
    expect((await rig.sampler.readStatus()).stickyFlags).toBe(0);
  };

  it('greedy with a tie across far chunks and a logit bias', async () => {
    const logits = realLogits(2);
    logits[150000] = 20;
    logits[77777] = 20;
    await runReal(logits, { temperature: 0, logitBias: { 5: 1 } }, 2);
    expect(Array.from(await rig.sampler.readHistory(0, 2))).toEqual([77777, 77777]);
  });

  it('top-k 40, top-p 0.9, T 0.8 with repetition and presence penalties', async () => {
    await runReal(realLogits(2), { temperature: 0.8, topK: 40, topP: 0.9, repetitionPenalty: 1.3, presencePenalty: 0.5, penaltyWindow: 64 }, 4, [10, 20, 30]);
  });

  it('T 1 over all V (two-level inverse CDF)', async () => {
    await runReal(realLogits(2), { temperature: 1 }, 3);
  });

  it('top-p 0.8 alone: the pool from the nucleus bound', async () => {
    const logits = realLogits(4);
    const p = params({ temperature: 1, topP: 0.8 });
    const z = Float64Array.from(logits);
    for (let v = GPT_OSS_MASK.from; v < GPT_OSS_V; v++) z[v] = -Infinity;
    expect(refNucleusSize(z, p)).toBeLessThan(POOL_CAPACITY / 2);
    await runReal(logits, { temperature: 1, topP: 0.8 }, 3);
  });
});

describe('sampler draws: top-p wider than the pool at V = 201088', () => {
  const gpu = useGpu();
  it('T 1, top-p 0.9 on flat-ish logits: 400 draws all inside the reference nucleus, grouped chi-square', async () => {
    const logits = randF32(seeded(SEED + 6), GPT_OSS_V, 0.5);
    for (let v = GPT_OSS_MASK.from; v < GPT_OSS_V; v++) logits[v] = 40;
    const p = params({ temperature: 1, topP: 0.9, seed: 606 });
    const z = Float64Array.from(logits);
    for (let v = GPT_OSS_MASK.from; v < GPT_OSS_V; v++) z[v] = -Infinity;
    const numNucleus = refNucleusSize(z, p);
    expect(numNucleus).toBeGreaterThan(100000);
    const rig = new SamplerRig(gpu(), { vocabSize: GPT_OSS_V, maskRange: GPT_OSS_MASK });
    rig.setLogits(logits);
    const NUM = 400;
    const got = await rig.sample(p, NUM);
    expect((await rig.sampler.readStatus()).stickyFlags).toBe(SAMPLE_RESULT.nucleusWide);
    rig.destroy();
    const ref = new RefSampler(GPT_OSS_V, GPT_OSS_MASK);
    ref.begin(p);
    const want = ref.step1(logits);
    expect(want.mode).toBe('wide');
    const kept = new Set(want.keptIds);
    expect(kept.size).toBe(numNucleus);
    const outside = Array.from(got).filter((id) => !kept.has(id));
    expect(outside).toEqual([]);
    // token for token: the same u gives the same id (the wide walk is in id order; a draw within
    // AMBIGUOUS_REL of a CDF step is not compared)
    const cdf: number[] = [];
    want.keptProbs.reduce((acc, q, i) => (cdf[i] = acc + q), 0);
    let mismatches = 0;
    for (let step = 0; step < NUM; step++) {
      const u = sampleUniform(p.seed, step);
      let at = cdf.findIndex((c) => c > u);
      if (at < 0) at = cdf.length - 1;
      const nearStep = Math.abs(cdf[at] - u) < 4e-6 || (at > 0 && Math.abs(u - cdf[at - 1]) < 4e-6);
      if (!nearStep && want.keptIds[at] !== got[step]) mismatches++;
    }
    expect(mismatches).toBe(0);
    // 10 groups of ids of equal reference mass: chi-square, 9 df
    const GROUPS = 10;
    const groupOf = new Map<number, number>();
    let cum = 0;
    want.keptIds.forEach((id, i) => {
      groupOf.set(id, Math.min(GROUPS - 1, Math.floor(cum * GROUPS)));
      cum += want.keptProbs[i];
    });
    const counts = new Array<number>(GROUPS).fill(0);
    for (const id of got) counts[groupOf.get(id)!]++;
    const probs = new Array<number>(GROUPS).fill(0);
    want.keptIds.forEach((id, i) => (probs[groupOf.get(id)!] += want.keptProbs[i]));
    const x2 = chiSquareStatistic(counts, probs);
    expect(x2, `X² = ${x2.toFixed(2)}`).toBeLessThan(chiSquareCritical(FALSE_FAILURE, GROUPS - 1));
  }, 300000);
});
