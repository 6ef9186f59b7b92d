import { describe, it } from 'vitest';
import { runOnce } from '../../src/gpu/recorder.js';
import { decodePartialsFloats, encodeKvWrite, encodeSdpa, type CacheGeometry } from '../../src/kernels/attention.js';
import { expectClose } from '../helpers/close.js';
import { useGpu } from '../helpers/gpu.js';
import { randBf16, randF32, seeded } from '../helpers/random.js';
import { bf16Tensor, f32Tensor, readF32, u32Tensor } from '../helpers/tensors.js';
import { refAttention, visibility } from '../reference/attention.js';

const SEED = 77;
// Softmax-weighted sums over <= 300 keys of Dh <= 128 in f32, with exp() of scores reaching ~±10
// (f32 exp is good to a few ulps): outputs near 0.02 carry ~3e-6 absolute error.
const SDPA_TOL = { atol: 5e-6, rtol: 2e-5 };

interface Case {
  readonly name: string;
  readonly numQHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  readonly geometry: CacheGeometry;
  /** Batch sizes fed in order (prefill chunks and decode steps). */
  readonly batches: readonly number[];
}

const CASES: Case[] = [
  { name: 'sliding window, ring of exactly W', numQHeads: 4, numKvHeads: 2, headDim: 16, geometry: { capacity: 8, keep: 0, window: 8 }, batches: [13, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 5, 1, 20, 1] },
  { name: 'sliding window, ring with slack', numQHeads: 4, numKvHeads: 1, headDim: 64, geometry: { capacity: 12, keep: 0, window: 8 }, batches: [3, 9, 1, 1, 1, 30, 1] },
  { name: 'full cache', numQHeads: 8, numKvHeads: 2, headDim: 64, geometry: { capacity: 64, keep: 0, window: 0 }, batches: [17, 1, 1, 1, 4, 1] },
  { name: 'rotating full cache (keep 4), decoding from position 0', numQHeads: 4, numKvHeads: 2, headDim: 16, geometry: { capacity: 7, keep: 4, window: 0 }, batches: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1] },
  { name: 'rotating full cache (keep 4)', numQHeads: 2, numKvHeads: 2, headDim: 32, geometry: { capacity: 12, keep: 4, window: 0 }, batches: [6, 1, 1, 1, 1, 1, 1, 1, 1, 20, 1, 1] },
  { name: 'gpt-oss heads, W=128', numQHeads: 64, numKvHeads: 8, headDim: 64, geometry: { capacity: 128, keep: 0, window: 128 }, batches: [140, 1, 2, 1] },
  { name: 'gpt-oss heads, full cache over several splits', numQHeads: 64, numKvHeads: 8, headDim: 64, geometry: { capacity: 512, keep: 0, window: 0 }, batches: [300, 1, 1] },
  { name: 'MQA, Dh 128, rotating over splits', numQHeads: 16, numKvHeads: 1, headDim: 128, geometry: { capacity: 300, keep: 4, window: 0 }, batches: [290, 1, 1, 1, 20, 1] },
];

describe('f32_sdpa_sink + f32_kv_write', () => {
  const gpu = useGpu();
  // 'split decode': batches of one token take the split-over-keys path (sdpa_decode + combine).
  const MODES = ['per-head', 'split decode'] as const;
  const RUNS = CASES.flatMap((c) => MODES.map((mode) => [`${c.name} (${mode})`, c, mode] as const));
  it.each(RUNS)('%s', async (_name, c, mode) => {
    const g = gpu();
    const { numQHeads: Hq, numKvHeads: Hkv, headDim: Dh, geometry } = c;
    const width = (Hq + 2 * Hkv) * Dh;
    const maxT = Math.max(...c.batches);
    const rng = seeded(SEED + Dh + Hq);
    const sinks = randBf16(rng, Hq, 1);
    const kcache = f32Tensor(g, 'k', [Hkv, geometry.capacity, Dh]);
    const vcache = f32Tensor(g, 'v', [Hkv, geometry.capacity, Dh]);
    const tSinks = bf16Tensor(g, 'sinks', [Hq], sinks.bits);
    const step = u32Tensor(g, 'step', [4], [0, 0, 0, 0]);
    const qkvT = f32Tensor(g, 'qkv', [maxT, width]);
    const out = f32Tensor(g, 'out', [maxT, Hq * Dh]);
    const partials = mode === 'split decode' ? f32Tensor(g, 'partials', [decodePartialsFloats(Hq, Dh, geometry)]) : undefined;
    const allK: number[] = [];
    const allV: number[] = [];
    const smScale = 1 / Math.sqrt(Dh);
    let pos0 = 0;
    for (const T of c.batches) {
      const qkv = randF32(rng, T * width, 1.5);
      const q: number[] = [];
      for (let t = 0; t < T; t++) {
        const row = qkv.subarray(t * width, (t + 1) * width);
        q.push(...row.subarray(0, Hq * Dh));
        allK.push(...row.subarray(Hq * Dh, (Hq + Hkv) * Dh));
        allV.push(...row.subarray((Hq + Hkv) * Dh));
      }
      g.write(qkvT.buffer, 0, qkv);
      g.write(step.buffer, 0, Uint32Array.of(pos0));
      const heads = { numTokens: T, numQHeads: Hq, numKvHeads: Hkv, headDim: Dh };
      await runOnce(g, 'attention', (rec) => {
        encodeSdpa(rec, { step: step.buffer, qkv: qkvT, kcache, vcache, sinks: tSinks, out, partials }, { ...heads, smScale, maxKeys: pos0 + T }, geometry);
        encodeKvWrite(rec, { step: step.buffer, qkv: qkvT, kcache, vcache }, heads, geometry);
      });
      const got = (await readF32(g, out)).subarray(0, T * Hq * Dh);
      const ref = refAttention({
        q, k: allK, v: allV, sinks: sinks.values, pos0, numTokens: T, numQHeads: Hq, numKvHeads: Hkv, headDim: Dh, smScale,
        visible: visibility(geometry.window, geometry.keep, geometry.capacity),
      });
      expectClose(got, ref, SDPA_TOL, (i) => `batch at pos0 ${pos0}: token ${Math.floor(i / (Hq * Dh))}, head ${Math.floor(i / Dh) % Hq}, dim ${i % Dh}`);
      pos0 += T;
    }
  });
});
