import { describe, it } from 'vitest';
import { runOnce } from '../../src/gpu/recorder.js';
import { encodeRmsNorm } from '../../src/kernels/rmsnorm.js';
import { expectClose } from '../helpers/close.js';
import { useGpu } from '../helpers/gpu.js';
import { randBf16, randF32, seeded } from '../helpers/random.js';
import { bf16Tensor, f32Tensor, readF32 } from '../helpers/tensors.js';
import { refRmsNorm } from '../reference/rmsnorm.js';

const SEED = 1234;
const WG = 256;
// One f32 reduction over C <= 2880 terms plus rsqrt: a few ulps of the result.
const RMSNORM_TOL = { atol: 1e-6, rtol: 2e-6 };

describe('f32_bf16w_rmsnorm', () => {
  const gpu = useGpu();
  it.each([
    ['one pass', 1, WG],
    ['partial tail', 1, 2 * WG + 4],
    ['several tokens', 5, 128],
    ['gpt-oss width', 3, 2880],
  ])('%s (T=%i, C=%i)', async (_name, T, C) => {
    const rng = seeded(SEED + C);
    const x = randF32(rng, T * C, 3);
    const w = randBf16(rng, C, 1);
    const g = gpu();
    const tx = f32Tensor(g, 'x', [T, C], x);
    const tw = bf16Tensor(g, 'w', [C], w.bits);
    const ty = f32Tensor(g, 'y', [T, C]);
    await runOnce(g, 'rmsnorm', (rec) => encodeRmsNorm(rec, { x: tx, w: tw, y: ty }, { numTokens: T, numChannels: C, epsilon: 1e-5 }));
    const got = await readF32(g, ty);
    expectClose(got, refRmsNorm(x, w.values, T, C, 1e-5), RMSNORM_TOL, (i) => `token ${Math.floor(i / C)}, channel ${i % C}`);
  });
});
