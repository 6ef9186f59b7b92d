// The demo model's MXFP4 quantiser (tools/demo-model/mxfp4.py) against our MXFP4 decoding: the same
// rounding rule ported to TypeScript must give the bytes the Python exporter wrote for fixed inputs
// (tests/fixtures/demo-model/mxfp4-vectors.json, from `python3 tools/demo-model/selftest.py
// --write-vectors …`), and those bytes, decoded by our float64 MXFP4 reference, must be the nearest
// FP4 values under the smallest scale that fits each group.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/cli.js';
import { MXFP4_GROUP_BYTES, MXFP4_GROUP_SIZE, MXFP4_VALUES, refDequantMxfp4 } from '../reference/mxfp4.js';

interface Vectors {
  readonly rows: number;
  readonly cols: number;
  readonly input_f32_bits: readonly number[];
  readonly blocks: readonly number[];
  readonly scales: readonly number[];
}

const VECTORS = JSON.parse(readFileSync(join(REPO_ROOT, 'tests/fixtures/demo-model/mxfp4-vectors.json'), 'utf8')) as Vectors;
const FP4_MAX = 6;
const E8M0_BIAS = 127;
const MIN_SCALE_EXP = -126;
const MAX_SCALE_EXP = 127;
const SIGN_BIT = 8;
/** FP4 magnitudes (codes 0..7) and the midpoints between neighbours. */
const MAGNITUDES = MXFP4_VALUES.slice(0, 8);
const MIDPOINTS = MAGNITUDES.slice(1).map((m, idx) => (m + MAGNITUDES[idx]) / 2);

/** Smallest e with amax <= 6·2^e (0 for an all-zero group), clamped like mxfp4.py. */
function scaleExponent(amax: number): number {
  if (amax === 0) return 0;
  let e = Math.ceil(Math.log2(amax / FP4_MAX));
  if (amax > FP4_MAX * 2 ** e) e++;
  if (amax <= FP4_MAX * 2 ** (e - 1)) e--;
  return Math.min(MAX_SCALE_EXP, Math.max(MIN_SCALE_EXP, e));
}

/** Nearest magnitude code, ties to the even code. */
function fp4Code(magnitude: number): number {
  let code = MIDPOINTS.findIndex((mid) => magnitude <= mid);
  if (code < 0) return MAGNITUDES.length - 1;
  if (magnitude === MIDPOINTS[code] && code % 2 === 1) code++;
  return code;
}

/** The port of mxfp4.quantize_mxfp4 for rows of `cols` float32 values. */
function quantize(values: Float32Array, rows: number, cols: number): { blocks: Uint8Array; scales: Uint8Array } {
  const numGroups = cols / MXFP4_GROUP_SIZE;
  const blocks = new Uint8Array(rows * numGroups * MXFP4_GROUP_BYTES);
  const scales = new Uint8Array(rows * numGroups);
  for (let groupIdx = 0; groupIdx < rows * numGroups; groupIdx++) {
    const group = values.subarray(groupIdx * MXFP4_GROUP_SIZE, (groupIdx + 1) * MXFP4_GROUP_SIZE);
    const e = scaleExponent(group.reduce((m, v) => Math.max(m, Math.abs(v)), 0));
    scales[groupIdx] = e + E8M0_BIAS;
    for (let j = 0; j < MXFP4_GROUP_SIZE; j++) {
      const scaled = group[j] / 2 ** e;
      const code = fp4Code(Math.abs(scaled));
      const nibble = code | (scaled < 0 && code > 0 ? SIGN_BIT : 0);
      blocks[groupIdx * MXFP4_GROUP_BYTES + (j >> 1)] |= j % 2 === 0 ? nibble : nibble << 4;
    }
  }
  return { blocks, scales };
}

describe('demo-model MXFP4 export', () => {
  const { rows, cols } = VECTORS;
  const numGroups = cols / MXFP4_GROUP_SIZE;
  const input = new Float32Array(new Uint32Array(VECTORS.input_f32_bits).buffer);

  it('the TypeScript port of the rounding rule writes the same bytes as the Python exporter', () => {
    const { blocks, scales } = quantize(input, rows, cols);
    expect([...scales]).toEqual(VECTORS.scales);
    expect([...blocks]).toEqual(VECTORS.blocks);
  });

  it('decoded by our MXFP4 reference: nearest FP4 value (ties to even) under the smallest fitting scale', () => {
    const blocks = Uint8Array.from(VECTORS.blocks);
    const scales = Uint8Array.from(VECTORS.scales);
    const decoded = refDequantMxfp4(blocks, scales, rows, numGroups);
    const bad: string[] = [];
    for (let groupIdx = 0; groupIdx < rows * numGroups; groupIdx++) {
      const e = scales[groupIdx] - E8M0_BIAS;
      let amax = 0;
      for (let j = 0; j < MXFP4_GROUP_SIZE; j++) amax = Math.max(amax, Math.abs(input[groupIdx * MXFP4_GROUP_SIZE + j]));
      if (amax > FP4_MAX * 2 ** e || (amax > 0 && e > MIN_SCALE_EXP && amax <= FP4_MAX * 2 ** (e - 1))) {
        bad.push(`group ${groupIdx}: scale 2^${e} is not the smallest that fits max |w| = ${amax}`);
      }
      for (let j = 0; j < MXFP4_GROUP_SIZE; j++) {
        const idx = groupIdx * MXFP4_GROUP_SIZE + j;
        const want = Math.sign(input[idx]) * MAGNITUDES[fp4Code(Math.abs(input[idx]) / 2 ** e)] * 2 ** e;
        if (Math.fround(want) !== decoded[idx] && !(want === 0 && decoded[idx] === 0)) {
          bad.push(`row ${Math.floor(idx / cols)}, col ${idx % cols}: input ${input[idx]} decoded ${decoded[idx]}, nearest ${want}`);
        }
      }
    }
    expect(bad.slice(0, 10)).toEqual([]);
  });

  it('representable values round-trip exactly and zero stays +0', () => {
    const decoded = refDequantMxfp4(Uint8Array.from(VECTORS.blocks), Uint8Array.from(VECTORS.scales), rows, numGroups);
    expect([...decoded.subarray(0, cols)].every((v) => Object.is(v, 0))).toBe(true); // row 0: zeros
    for (let col = 0; col < cols; col++) {
      const v = input[cols + col]; // row 1: FP4 values times 2^-3 and 2^5
      expect(decoded[cols + col] === v || (v === 0 && decoded[cols + col] === 0)).toBe(true);
    }
  });
});
