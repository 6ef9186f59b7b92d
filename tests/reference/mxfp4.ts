// float64 reference for MXFP4 dequantisation (spec §3.2), as the numpy reference does it:
//   W[o, 32g + 2j] = FP4[blocks[o,g,j] & 15] * 2^(s - 127), W[o, 32g + 2j + 1] = FP4[blocks[o,g,j] >> 4] * 2^(s - 127)
// The product is exact in float64 (2-bit significand, exponent -128..130); Math.fround then gives
// what ldexp gives in f32: subnormals for s <= 1, ±inf past f32's range (s = 255 included: 2^128).
export const MXFP4_VALUES: readonly number[] = [0, 0.5, 1, 1.5, 2, 3, 4, 6, -0, -0.5, -1, -1.5, -2, -3, -4, -6];
export const MXFP4_GROUP_SIZE = 32;
export const MXFP4_GROUP_BYTES = 16;
const E8M0_BIAS = 127;

/** One element: ldexp(FP4[nibble], scaleByte - 127) rounded to f32. */
export function refMxfp4(nibble: number, scaleByte: number): number {
  return Math.fround(MXFP4_VALUES[nibble] * 2 ** (scaleByte - E8M0_BIAS));
}

/** Rows [R, G*32] from blocks u8 [R, G, 16] and scales u8 [R, G], as f32 values. */
export function refDequantMxfp4(blocks: Uint8Array, scales: Uint8Array, numRows: number, numGroups: number): Float32Array {
  const out = new Float32Array(numRows * numGroups * MXFP4_GROUP_SIZE);
  for (let row = 0; row < numRows; row++) dequantRowInto(blocks, scales, row, numGroups, out, row * numGroups * MXFP4_GROUP_SIZE);
  return out;
}

/** Row `rowIdx` of an [rows, G, 16] / [rows, G] pair (rows may run across experts) into out[at..]. */
export function dequantRowInto(
  blocks: Uint8Array,
  scales: Uint8Array,
  rowIdx: number,
  numGroups: number,
  out: Float32Array | Float64Array,
  at = 0,
): void {
  for (let g = 0; g < numGroups; g++) {
    const groupIdx = rowIdx * numGroups + g;
    const scale = 2 ** (scales[groupIdx] - E8M0_BIAS);
    for (let j = 0; j < MXFP4_GROUP_BYTES; j++) {
      const byte = blocks[groupIdx * MXFP4_GROUP_BYTES + j];
      out[at + g * MXFP4_GROUP_SIZE + 2 * j] = Math.fround(MXFP4_VALUES[byte & 15] * scale);
      out[at + g * MXFP4_GROUP_SIZE + 2 * j + 1] = Math.fround(MXFP4_VALUES[byte >> 4] * scale);
    }
  }
}
