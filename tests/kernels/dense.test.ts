import { describe, expect, it } from 'vitest';
import { runOnce } from '../../src/gpu/recorder.js';
import { argmaxPartialsWords, encodeArgmax } from '../../src/kernels/argmax.js';
import { encodeEmbedding } from '../../src/kernels/embedding.js';
import { encodeMatmul } from '../../src/kernels/matmul.js';
import { encodeRope } from '../../src/kernels/rope.js';
import { fillRopeTable, yarnConcentration, yarnInvFreq } from '../../src/model/rope.js';
import { expectClose, expectExact } from '../helpers/close.js';
import { useGpu } from '../helpers/gpu.js';
import { randBf16, randF32, seeded } from '../helpers/random.js';
import { bf16Tensor, f32Tensor, readF32, readU32, u32Tensor } from '../helpers/tensors.js';
import { refArgmax, refEmbedding, refMatmul, refRope } from '../reference/dense.js';

const SEED = 20261122;
// A dot product of IN <= 4096 f32 terms: relative error ~ sqrt(IN) ulp of the sum of |terms|.
const MATMUL_TOL = { atol: 2e-5, rtol: 1e-5 };
// Two products and one add per output in f32.
const ROPE_TOL = { atol: 1e-6, rtol: 1e-6 };

describe('dense kernels', () => {
  const gpu = useGpu();

  it.each([
    ['tiny', 3, 16, 64],
    ['gpt-oss width, chunked table', 4, 2880, 1000],
  ])('bf16_f32_embedding %s is exact (T=%i, C=%i, V=%i)', async (_n, T, C, V) => {
    const g = gpu();
    const rng = seeded(SEED);
    const table = randBf16(rng, V * C);
    const ids = Array.from({ length: T }, () => Math.floor(rng() * V));
    ids[T - 1] = V - 1;
    // Force several chunks of rows: 300 rows per chunk for the big case.
    const tTable = bf16Tensor(g, 'table', [V, C], table.bits, C > 1000 ? 300 * C * 2 : undefined);
    const tIds = u32Tensor(g, 'ids', [T + 2], [7, 7, ...ids]);
    const out = f32Tensor(g, 'out', [T, C]);
    await runOnce(g, 'embedding', (rec) => encodeEmbedding(rec, { ids: tIds.buffer, table: tTable, out }, { numTokens: T, idOffset: 2 }));
    expectExact(await readF32(g, out), refEmbedding(ids, table.values, C), (i) => `token ${Math.floor(i / C)}, channel ${i % C}`);
  });

  it.each([
    ['one row group', 1, 8, 8, true, false],
    ['partial tiles', 5, 40, 19, true, true],
    ['gpt-oss qkv', 3, 2880, 5120, true, false],
    ['gpt-oss out-proj + residual', 2, 4096, 2880, true, true],
    ['chunked head, no bias', 2, 64, 1001, false, false],
  ])('f32_bf16w_matmul %s (T=%i, IN=%i, OUT=%i)', async (_n, T, IN, OUT, bias, accumulate) => {
    const g = gpu();
    const rng = seeded(SEED + IN + OUT);
    const x = randF32(rng, (T + 1) * IN);
    const w = randBf16(rng, OUT * IN, 1 / Math.sqrt(IN));
    const b = randBf16(rng, OUT, 0.5);
    const y0 = randF32(rng, T * OUT);
    const tw = bf16Tensor(g, 'w', [OUT, IN], w.bits, OUT === 1001 ? 100 * IN * 2 : undefined);
    const tb = bias ? bf16Tensor(g, 'b', [OUT], b.bits) : null;
    const tx = f32Tensor(g, 'x', [T + 1, IN], x);
    const ty = f32Tensor(g, 'y', [T, OUT], y0);
    await runOnce(g, 'matmul', (rec) => encodeMatmul(rec, { x: tx, w: tw, b: tb, y: ty }, { numTokens: T, accumulate, xRowOffset: 1 }));
    const ref = refMatmul(x.subarray(IN), w.values, bias ? b.values : null, T, IN, OUT, accumulate ? y0 : undefined);
    expectClose(await readF32(g, ty), ref, MATMUL_TOL, (i) => `token ${Math.floor(i / OUT)}, row ${i % OUT}`);
  });

  it.each([
    ['small heads', 3, 4, 2, 16, 0],
    ['gpt-oss heads at a far position', 2, 64, 8, 64, 100_000],
  ])('f32_rope %s', async (_n, T, Hq, Hkv, Dh, pos0) => {
    const g = gpu();
    const cfg = { headDim: Dh, ropeTheta: 150000, ropeScaling: { factor: 32, betaFast: 32, betaSlow: 1, originalMaxPositionEmbeddings: 4096, truncate: false } };
    const table = fillRopeTable(yarnInvFreq(cfg), yarnConcentration(cfg), pos0, T, new Float32Array(T * Dh));
    const width = (Hq + 2 * Hkv) * Dh;
    const qkv = randF32(seeded(SEED + Dh), T * width);
    const tq = f32Tensor(g, 'qkv', [T, width], qkv);
    const tr = f32Tensor(g, 'rope', [T, Dh], table);
    await runOnce(g, 'rope', (rec) => encodeRope(rec, { rope: tr, qkv: tq }, { numTokens: T, numQHeads: Hq, numKvHeads: Hkv, headDim: Dh }));
    expectClose(await readF32(g, tq), refRope(qkv, table, T, Hq, Hkv, Dh), ROPE_TOL, (i) => `token ${Math.floor(i / width)}, lane ${i % width}`);
  });

  it.each(['one workgroup per token', 'split over vocabulary chunks'])('f32_argmax (%s) is exact: ties go to the lowest id, -inf and NaN never win', async (path) => {
    const g = gpu();
    const V = 201088;
    const T = 4;
    const logits = randF32(seeded(SEED), T * V);
    logits[V + 5] = 50;
    logits[V + 200000] = 50; // tie across far chunks: 5 wins
    logits[2 * V + 201087] = 60; // last id, in the last (partial) chunk
    for (let v = 0; v < V; v++) logits[v] = -Infinity;
    logits[123] = -1e30;
    logits[3 * V + 4096] = 40; // a tie inside one chunk and a NaN above it
    logits[3 * V + 4097] = 40;
    logits[3 * V + 4095] = NaN;
    const tl = f32Tensor(g, 'logits', [T, V], logits);
    const ids = u32Tensor(g, 'ids', [T + 1], [0, 0, 0, 0, 0]);
    const partials = path.startsWith('split') ? u32Tensor(g, 'partials', [argmaxPartialsWords(T, V)], new Uint32Array(argmaxPartialsWords(T, V))) : undefined;
    await runOnce(g, 'argmax', (rec) => encodeArgmax(rec, { logits: tl, ids: ids.buffer, partials }, { numTokens: T, vocabSize: V, outOffset: 1 }));
    const got = Array.from(await readU32(g, ids)).slice(1);
    expect(got).toEqual([123, 5, 201087, 4096]);
    expect(got).toEqual(refArgmax(logits, T, V));
  });
});
