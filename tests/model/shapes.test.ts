// The engine assumes nothing about the oracle's or the real models' numbers: random checkpoints of
// other shapes (MQA, GQA groups of 2, 16 and 5 experts, top-2, odd layer counts, windows of 3 and 5,
// head dims 16/32/128, no layer_types in config.json) against the float64 reference forward pass.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gpu } from '../../src/gpu/device.js';
import { loadModel } from '../../src/model/load.js';
import { expectClose } from '../helpers/close.js';
import { writeCustomModel, type CustomShape } from '../helpers/custom-model.js';
import { seeded } from '../helpers/random.js';
import { causalVisibility, loadRefModel, refForward } from '../reference/forward.js';

const SEED = 4242;
const T = 20; // several times the windows below, so sliding rings wrap
const DECODE = 4;
// f32 engine vs float64 reference over 2-5 layers: logits of |z| <= ~4 agree to ~2e-6 (measured);
// 50x headroom for other adapters' exp/rsqrt, while a wrong kernel misses by O(0.1..1).
const SHAPE_TOL = { atol: 1e-4, rtol: 1e-4 };

const SHAPES: Array<[string, CustomShape]> = [
  ['MQA, 16 experts, 3 layers, window 5', { hidden: 64, layers: 3, heads: 4, kvHeads: 1, headDim: 32, experts: 16, topK: 4, intermediate: 64, vocab: 320, window: 5 }],
  ['GQA of 2, 5 experts top-2, 5 layers, window 3, no layer_types', { hidden: 96, layers: 5, heads: 6, kvHeads: 3, headDim: 16, experts: 5, topK: 2, intermediate: 32, vocab: 200, window: 3, omitLayerTypes: true }],
  ['head_dim 128, 2 layers, window 7', { hidden: 32, layers: 2, heads: 2, kvHeads: 2, headDim: 128, experts: 4, topK: 4, intermediate: 32, vocab: 150, window: 7 }],
];

describe('other gpt-oss shapes vs the float64 reference', () => {
  let gpu: Gpu;
  const dirs: string[] = [];
  beforeAll(async () => {
    gpu = await Gpu.open({ backend: process.env.WGH_BACKEND });
  });
  afterAll(() => {
    gpu?.destroy();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it.each(SHAPES)('%s: prefill logits and decode steps', async (_name, shape) => {
    const dir = writeCustomModel(shape, SEED);
    dirs.push(dir);
    const rng = seeded(SEED + shape.vocab);
    const ids = Array.from({ length: T }, () => Math.floor(rng() * shape.vocab));
    const ref = await loadRefModel(dir);
    const V = shape.vocab;
    const model = await loadModel(dir, { gpu, contextLength: 64 });
    try {
      const logits = (await model.runner.prefill(ids, 'all'))!;
      const want = refForward(ref, ids, causalVisibility(ref.config));
      const { maxAbsDiff } = expectClose(logits, want, SHAPE_TOL, (i) => `position ${Math.floor(i / V)}, id ${i % V}`);
      const maxLogit = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      console.log(`${_name}: max |logit| ${maxLogit.toFixed(2)}, max |diff| ${maxAbsDiff.toExponential(2)}`);
      // Decode one token at a time past the prompt: the T = 1 path (split attention).
      const tail = Array.from({ length: DECODE }, () => Math.floor(rng() * V));
      const seq = [...ids, ...tail];
      const wantAll = refForward(ref, seq, causalVisibility(ref.config));
      for (let k = 0; k < DECODE; k++) {
        await model.runner.prefill([tail[k]], 'last');
        const row = new Float32Array(await gpu.read(model.runner.lastLogits.buffer, 0, V * 4));
        const p = T + k;
        expectClose(row, wantAll.subarray(p * V, (p + 1) * V), SHAPE_TOL, (i) => `decode position ${p}, id ${i}`);
      }
      expect(model.runner.length).toBe(T + DECODE);
    } finally {
      model.destroy();
    }
  });
});
