import { describe, expect, it } from 'vitest';
import { runOnce } from '../../src/gpu/recorder.js';
import { encodeMxfp4Dequant } from '../../src/kernels/mxfp4.js';
import { expectExact } from '../helpers/close.js';
import { useGpu } from '../helpers/gpu.js';
import { randBytes, randInts, seeded } from '../helpers/random.js';
import { f32Tensor, readF32, u8Tensor } from '../helpers/tensors.js';
import { MXFP4_GROUP_BYTES, MXFP4_GROUP_SIZE, refDequantMxfp4 } from '../reference/mxfp4.js';

const SEED = 4242;
const NUM_SCALES = 256; // every E8M0 byte, 255 included (decoded as 2^128, like ldexp; see shaders/mxfp4.wgsl)
const NUM_BYTE_VALUES = 256;
const F32_MIN_NORMAL = 2 ** -126;
const E8M0_INF_SCALE = 255; // 2^128: +inf as an f32 scale
const E8M0_SUBNORMAL_SCALE = 0; // 2^-127: the only E8M0 scale below f32's normal range

/** Row s = scale byte s; group g, byte j holds byte value 16g + j: every nibble pair at every scale. */
function everyCodeEveryScale(): { blocks: Uint8Array; scales: Uint8Array; numRows: number; numGroups: number } {
  const numGroups = NUM_BYTE_VALUES / MXFP4_GROUP_BYTES;
  const blocks = new Uint8Array(NUM_SCALES * numGroups * MXFP4_GROUP_BYTES);
  const scales = new Uint8Array(NUM_SCALES * numGroups);
  for (let s = 0; s < NUM_SCALES; s++) {
    for (let b = 0; b < NUM_BYTE_VALUES; b++) blocks[s * NUM_BYTE_VALUES + b] = b;
    scales.fill(s, s * numGroups, (s + 1) * numGroups);
  }
  return { blocks, scales, numRows: NUM_SCALES, numGroups };
}

describe('MXFP4 dequant (shaders/mxfp4.wgsl)', () => {
  const gpu = useGpu();

  async function dequant(blocks: Uint8Array, scales: Uint8Array, numRows: number, numGroups: number, decoder: 'exact' | 'lut') {
    const g = gpu();
    const tb = u8Tensor(g, 'blocks', [numRows, numGroups, MXFP4_GROUP_BYTES], blocks);
    const ts = u8Tensor(g, 'scales', [numRows, numGroups], scales);
    const out = f32Tensor(g, 'out', [numRows, numGroups * MXFP4_GROUP_SIZE]);
    await runOnce(g, 'mxfp4_dequant', (rec) => encodeMxfp4Dequant(rec, { blocks: tb, scales: ts, out }, { numRows, numGroups, decoder }));
    return readF32(g, out);
  }

  const where = (numGroups: number, scales: Uint8Array) => (i: number) => {
    const row = Math.floor(i / (numGroups * MXFP4_GROUP_SIZE));
    const col = i % (numGroups * MXFP4_GROUP_SIZE);
    const group = Math.floor(col / MXFP4_GROUP_SIZE);
    return `row ${row}, element ${col} (group ${group}, byte ${(col % MXFP4_GROUP_SIZE) >> 1} ${col % 2 ? 'high' : 'low'} nibble, scale byte ${scales[row * numGroups + group]})`;
  };

  it('f32_mxfp4_dequant is bit-exact for every code at every scale byte (subnormals, inf, s=255)', async () => {
    const { blocks, scales, numRows, numGroups } = everyCodeEveryScale();
    const ref = refDequantMxfp4(blocks, scales, numRows, numGroups);
    // The table really reaches both ends of f32: subnormals at s <= 1, inf at s >= 253, 2^127 at s = 255.
    expect(ref.some((v) => v !== 0 && Math.abs(v) < F32_MIN_NORMAL)).toBe(true);
    expect(ref.some((v) => v === Infinity) && ref.some((v) => v === -Infinity) && ref.includes(2 ** 127)).toBe(true);
    expectExact(await dequant(blocks, scales, numRows, numGroups, 'exact'), ref, where(numGroups, scales));
  });

  it('f32_mxfp4_dequant is bit-exact on random blocks and scales (element order)', async () => {
    const rng = seeded(SEED);
    const numRows = 7;
    const numGroups = 5;
    const blocks = randBytes(rng, numRows * numGroups * MXFP4_GROUP_BYTES);
    const scales = Uint8Array.from(randInts(rng, numRows * numGroups, 100, 140));
    const ref = refDequantMxfp4(blocks, scales, numRows, numGroups);
    expectExact(await dequant(blocks, scales, numRows, numGroups, 'exact'), ref, where(numGroups, scales));
    expectExact(await dequant(blocks, scales, numRows, numGroups, 'lut'), ref, where(numGroups, scales));
  });

  // The matmul decode (table value * mxfp4_scale) matches wherever the exact value is a normal f32 or
  // zero and the scale itself is normal (s = 1..254). Devices may flush denormals (NVIDIA's Vulkan
  // driver does): subnormal products, and every product of the subnormal scale 2^-127 (s = 0), are
  // checked as exact-or-zero of the same sign. Overflow is indeterminate in WGSL and s = 255 is an
  // infinite scale in this path; neither is checked (all documented in shaders/mxfp4.wgsl).
  it('f32_mxfp4_dequant_lut (the matmul decode) matches on the normal range, every code and scale', async () => {
    const { blocks, scales, numRows, numGroups } = everyCodeEveryScale();
    const ref = refDequantMxfp4(blocks, scales, numRows, numGroups);
    const got = await dequant(blocks, scales, numRows, numGroups, 'lut');
    const rowElems = numGroups * MXFP4_GROUP_SIZE;
    const scaleOf = (i: number) => scales[Math.floor(i / rowElems) * numGroups];
    const isSubnormal = (v: number) => v !== 0 && Math.abs(v) < F32_MIN_NORMAL;
    const mayFlush = (i: number) => isSubnormal(ref[i]) || scaleOf(i) === E8M0_SUBNORMAL_SCALE;
    const exact = Array.from(ref.keys()).filter((i) => !mayFlush(i) && Number.isFinite(ref[i]) && scaleOf(i) !== E8M0_INF_SCALE);
    const at = where(numGroups, scales);
    expectExact(exact.map((i) => got[i]), exact.map((i) => ref[i]), (j) => at(exact[j]));
    const flushable = Array.from(ref.keys()).filter(mayFlush);
    const sameSignZero = (g: number, r: number) => g === 0 && Object.is(g, r === 0 ? r : Math.sign(r) * 0);
    const bad = flushable.filter((i) => !(Object.is(got[i], ref[i]) || sameSignZero(got[i], ref[i])));
    expect(bad.map((i) => `${at(i)}: got ${got[i]} ref ${ref[i]}`).slice(0, 10)).toEqual([]);
  });
});
