// float64 reference for shaders/sample.wgsl: the same pipeline (src/kernels/sampler.ts documents it)
// and the same RNG, so seeded GPU and CPU draws can be compared token for token. Where f32 and f64
// could decide differently (a draw or a filter threshold within AMBIGUOUS_REL of a boundary), the
// step is marked `ambiguous` and tests do not compare its choice.
import type { SamplerParams } from '../../src/kernels/sampler.js';

export const NO_TOKEN = 0xffffffff;
/** Relative distance to a decision boundary below which f32 rounding could flip the GPU's decision. */
// The GPU's cumulative masses are f32 sums in a fixed order of <= ~50 roundings deep (<= 3e-6 of the
// total in the worst case, ~3e-7 typically), of terms from WGSL's exp (<= 3 + 2|x| ulp: ~1.4e-6 for the
// terms that carry mass). 4e-6 covers both; tests count ambiguous steps and compare all the others.
export const AMBIGUOUS_REL = 4e-6;

// ---- Philox4x32-10 (Random123), the twin of shaders/sample-rng.wgsl ----------------------------

const PHILOX_M0 = 0xd2511f53;
const PHILOX_M1 = 0xcd9e8d57;
const PHILOX_W0 = 0x9e3779b9;
const PHILOX_W1 = 0xbb67ae85;

/** (low, high) words of a * b for u32 a, b (16-bit halves keep every product exact in a double). */
function mulWide(a: number, b: number): [number, number] {
  const aLo = a & 0xffff;
  const aHi = a >>> 16;
  const bLo = b & 0xffff;
  const bHi = b >>> 16;
  const loLo = aLo * bLo;
  const loHi = aLo * bHi;
  const hiLo = aHi * bLo;
  const mid = (loLo >>> 16) + (loHi & 0xffff) + (hiLo & 0xffff);
  const hi = (aHi * bHi + (loHi >>> 16) + (hiLo >>> 16) + (mid >>> 16)) >>> 0;
  return [Math.imul(a, b) >>> 0, hi];
}

export function philox4x32_10(counter: readonly number[], key: readonly number[]): Uint32Array {
  let [c0, c1, c2, c3] = counter.map((x) => x >>> 0);
  let [k0, k1] = key.map((x) => x >>> 0);
  for (let round = 0; round < 10; round++) {
    const [lo0, hi0] = mulWide(PHILOX_M0, c0);
    const [lo1, hi1] = mulWide(PHILOX_M1, c2);
    [c0, c1, c2, c3] = [(hi1 ^ c1 ^ k0) >>> 0, lo1, (hi0 ^ c3 ^ k1) >>> 0, lo0];
    k0 = (k0 + PHILOX_W0) >>> 0;
    k1 = (k1 + PHILOX_W1) >>> 0;
  }
  return Uint32Array.of(c0, c1, c2, c3);
}

/** The uniform of step `step` for `seed`: 24 bits of the first Philox word, times 2^-24. */
export function sampleUniform(seed: number, step: number): number {
  const bits = philox4x32_10([step, 0, 0, 0], [seed % 2 ** 32, Math.floor(seed / 2 ** 32)])[0];
  return (bits >>> 8) / 2 ** 24;
}

// ---- the pipeline ------------------------------------------------------------------------------

export interface MaskRange {
  readonly from: number;
  readonly to: number;
}

/** z: logit bias, repetition (HF), presence/frequency (OpenAI); banned ids -> -Infinity. */
export function refPenalise(logits: ArrayLike<number>, counts: ArrayLike<number>, p: SamplerParams, mask: MaskRange): Float64Array {
  const z = new Float64Array(logits.length);
  const penalties = p.penaltyWindow > 0;
  for (let v = 0; v < logits.length; v++) {
    const bias = p.logitBias.get(v) ?? 0;
    if ((v >= mask.from && v < mask.to) || bias === -Infinity) {
      z[v] = -Infinity;
      continue;
    }
    let x = logits[v] + bias;
    const c = penalties ? counts[v] : 0;
    if (c > 0) {
      x = x > 0 ? x / p.repetitionPenalty : x * p.repetitionPenalty;
      x -= c * p.frequencyPenalty + p.presencePenalty;
    }
    z[v] = x;
  }
  return z;
}

/** The sampler's pool capacity (POOL_CAPACITY in src/kernels/sampler.ts). */
export const REF_POOL_CAPACITY = 2040;
const NUM_BINS = 2048;
const BINS_PER_NAT = 32;

/**
 * The GPU pool's exact prefix for top-p alone: the tokens of the first whole histogram bins (pass 2:
 * bin = floor((max z - z) / T * 32) in f32, last bin catch-all) whose count fits the pool. `f32`
 * false computes the bins in float64 (the two differ only for z on a bin edge: tests mark those).
 */
export function refExactPrefixSize(z: Float64Array, order: readonly number[], temperature: number, f32 = true): number {
  const f = f32 ? Math.fround : (x: number) => x;
  const m = z[order[0]];
  const scale = f32 ? BINS_PER_NAT * Math.fround(1 / temperature) : BINS_PER_NAT / temperature;
  const counts = new Array<number>(NUM_BINS).fill(0);
  for (const v of order) counts[Math.floor(Math.min(f(f(f(m) - f(z[v])) * scale), NUM_BINS - 1))]++;
  let total = 0;
  for (const c of counts) {
    if (total + c > REF_POOL_CAPACITY) break;
    total += c;
  }
  return total;
}

export interface RefStep {
  readonly id: number;
  /** 'wide': top-p alone with a nucleus wider than the pool's exact prefix (threshold rule, id order). */
  readonly mode: 'greedy' | 'full' | 'pool' | 'wide';
  /** Kept ids and their renormalised probabilities, in the draw's walk order. */
  readonly keptIds: number[];
  readonly keptProbs: number[];
  /** Pool mode: the top-p prefix length (top-k length when top-p is off). */
  readonly topPLength: number;
  /** log-softmax at temperature 1 of the chosen id, and the top-N (id, logprob) in the sampler's order. */
  readonly logprob: number;
  readonly top: { id: number; logprob: number }[];
  /** f32 rounding could change a decision of this step (see AMBIGUOUS_REL). */
  readonly ambiguous: boolean;
}

/** Valid ids in the sampler's total order: z descending, then id ascending. */
export function sortedOrder(z: Float64Array): number[] {
  const ids: number[] = [];
  for (let v = 0; v < z.length; v++) if (z[v] !== -Infinity) ids.push(v);
  return ids.sort((a, b) => (z[b] !== z[a] ? z[b] - z[a] : a - b));
}

/** log sum_v exp(z[v]) over the valid ids (the logprobs' normaliser). */
export function refLogSumExp(z: Float64Array): number {
  let m = -Infinity;
  for (const x of z) m = Math.max(m, x);
  let sum = 0;
  for (const x of z) if (x !== -Infinity) sum += Math.exp(x - m);
  return m + Math.log(sum);
}

function near(a: number, b: number, scale: number): boolean {
  return Math.abs(a - b) <= AMBIGUOUS_REL * scale;
}

/** One step on penalised logits z with uniform u. */
export function refSelect(z: Float64Array, p: SamplerParams, u: number): RefStep {
  const V = z.length;
  const order = sortedOrder(z);
  const greedy = p.temperature === 0 || p.topK === 1;
  const topK = p.topK >= V ? 0 : p.topK;
  let mode: RefStep['mode'] = greedy ? 'greedy' : topK > 0 || p.topP < 1 ? 'pool' : 'full';
  const m = order.length > 0 ? z[order[0]] : 0;
  let ambiguous = false;

  // logprobs: log-softmax of z at temperature 1 over all V
  const lse = refLogSumExp(z);
  const numTop = p.logprobs ? p.topLogprobs : 0;
  const top = Array.from({ length: numTop }, (_, r) => (r < order.length ? { id: order[r], logprob: z[order[r]] - lse } : { id: NO_TOKEN, logprob: -Infinity }));

  const mass = (v: number): number => Math.exp((z[v] - m) / p.temperature);
  const keptIds: number[] = [];
  const keptProbs: number[] = [];
  let topPLength = 0;
  let id = order.length > 0 ? order[0] : 0;
  if (order.length === 0) {
    id = 0; // every id banned: the GPU returns the lowest banned id (0 unless the mask starts above it)
  } else if (mode === 'greedy') {
    if (order.length > 1 && z[order[1]] !== m && near(z[order[1]], m, Math.max(1, Math.abs(m)))) ambiguous = true;
    keptIds.push(id);
    keptProbs.push(1);
  } else {
    // walk order, weights, and which weights f32 could decide differently (`uncertain`)
    let walk: number[];
    let weights: number[];
    const uncertain = new Set<number>();
    if (mode === 'full') {
      walk = [];
      weights = [];
      for (let v = 0; v < V; v++) {
        if (z[v] === -Infinity) continue;
        const e = mass(v);
        if (p.minP > 0 && near(e, p.minP, p.minP)) uncertain.add(walk.length);
        walk.push(v);
        weights.push(e >= p.minP ? e : 0);
      }
    } else {
      const kLen = topK > 0 ? Math.min(topK, order.length) : order.length;
      const e = order.slice(0, kLen).map(mass);
      if (topK > 0 && kLen < order.length && z[order[kLen - 1]] !== z[order[kLen]] && near(z[order[kLen - 1]], z[order[kLen]], Math.max(1, Math.abs(m)))) {
        uncertain.add(kLen - 1);
      }
      let zRef = 0;
      if (topK > 0) for (const x of e) zRef += x;
      else for (const v of order) zRef += mass(v);
      topPLength = kLen;
      if (p.topP < 1) {
        const target = p.topP * zRef;
        let cum = 0;
        for (let i = 0; i < kLen; i++) {
          if (i >= 1 && near(cum, target, zRef)) uncertain.add(i);
          if (i >= 1 && cum >= target && topPLength === kLen) topPLength = i;
          if (cum > target * (1 + 2 * AMBIGUOUS_REL) + AMBIGUOUS_REL * zRef) break;
          cum += e[i];
        }
      }
      walk = order.slice(0, kLen);
      weights = e.map((x, i) => {
        if (i > 0 && p.minP > 0 && i < topPLength && near(x, p.minP, p.minP)) uncertain.add(i);
        if (i >= topPLength) return 0;
        return i === 0 || x >= p.minP ? x : 0;
      });
      if (topK === 0 && p.topP < 1) {
        // Fast path iff the prefix fits the pool's exact prefix; else the threshold rule over all V.
        const exact = refExactPrefixSize(z, order, p.temperature);
        const target = p.topP * zRef;
        let prefixMass = 0;
        for (let i = 0; i < Math.min(exact, kLen); i++) prefixMass += e[i];
        if (near(prefixMass, target, zRef) || (exact !== refExactPrefixSize(z, order, p.temperature, false) && topPLength > Math.min(exact, refExactPrefixSize(z, order, p.temperature, false)))) {
          ambiguous = true;
        }
        if (topPLength > exact) {
          mode = 'wide';
          const t = z[order[topPLength - 1]];
          const uncertainZ = new Set([...uncertain].map((i) => z[walk[i]]));
          const byId = [...order].sort((a, b) => a - b);
          uncertain.clear();
          weights = byId.map((v, i) => {
            const x = mass(v);
            if (uncertainZ.has(z[v])) uncertain.add(i);
            if (z[v] < t) return 0;
            if (p.minP > 0 && near(x, p.minP, p.minP)) uncertain.add(i);
            return x >= p.minP ? x : 0;
          });
          walk = byId;
        }
      }
    }
    let total = 0;
    let uncertainMass = 0;
    for (const w of weights) total += w;
    for (const i of uncertain) uncertainMass += mass(walk[i]);
    const t = u * total;
    const slack = AMBIGUOUS_REL * total + uncertainMass;
    let cum = 0;
    let chosen = -1;
    for (let i = 0; i < walk.length; i++) {
      if (weights[i] <= 0) continue;
      const before = cum;
      cum += weights[i];
      if (chosen < 0 && cum > t) {
        chosen = i;
        if (t - before <= slack || cum - t <= slack || uncertain.has(i)) ambiguous = true;
      }
      keptIds.push(walk[i]);
      keptProbs.push(weights[i] / total);
    }
    if (uncertain.size > 0 && chosen < 0) ambiguous = true;
    id = chosen >= 0 ? walk[chosen] : keptIds[keptIds.length - 1];
  }
  const logprob = z[id] === -Infinity ? -Infinity : z[id] - lse;
  return { id, mode, keptIds, keptProbs, topPLength, logprob, top, ambiguous };
}

/** Tokens the ideal top-p nucleus holds for z (top-p alone), to check tests stay under the pool capacity. */
export function refNucleusSize(z: Float64Array, p: SamplerParams): number {
  const order = sortedOrder(z);
  const m = z[order[0]];
  const e = order.map((v) => Math.exp((z[v] - m) / p.temperature));
  const total = e.reduce((a, b) => a + b, 0);
  let cum = 0;
  for (let i = 0; i < e.length; i++) {
    cum += e[i];
    if (cum >= p.topP * total) return i + 1;
  }
  return e.length;
}

/** The sampler with its GPU-side state: penalty window, counts and step counter. */
export class RefSampler {
  private params: SamplerParams | null = null;
  private readonly counts: Uint32Array;
  private window: number[] = [];
  private step = 0;

  constructor(
    readonly vocabSize: number,
    readonly mask: MaskRange = { from: vocabSize, to: vocabSize },
  ) {
    this.counts = new Uint32Array(vocabSize);
  }

  begin(p: SamplerParams, recentTokens: ArrayLike<number> = [], firstStep = 0): void {
    this.params = p;
    this.counts.fill(0);
    this.window = Array.from(recentTokens).slice(Math.max(0, recentTokens.length - p.penaltyWindow));
    if (p.penaltyWindow === 0) this.window = [];
    for (const id of this.window) this.counts[id]++;
    this.step = firstStep;
  }

  get currentStep(): number {
    return this.step;
  }

  /** Penalised logits as the next step sees them. */
  penalise(logits: ArrayLike<number>): Float64Array {
    return refPenalise(logits, this.counts, this.params!, this.mask);
  }

  /**
   * One step. `acceptId` (e.g. the GPU's choice at an ambiguous step) is what enters the penalty
   * window instead of the reference's own choice, so both stay in the same state afterwards.
   */
  step1(logits: ArrayLike<number>, acceptId?: number): RefStep & { z: Float64Array; u: number } {
    const p = this.params!;
    const z = this.penalise(logits);
    const u = sampleUniform(p.seed, this.step);
    const result = refSelect(z, p, u);
    const accepted = acceptId ?? result.id;
    if (p.penaltyWindow > 0) {
      this.window.push(accepted);
      this.counts[accepted]++;
      if (this.window.length > p.penaltyWindow) this.counts[this.window.shift()!]--;
    }
    this.step++;
    return { ...result, z, u };
  }
}
