// Host-side conversion of checkpoint float tensors to bf16, for checkpoints that store dense weights
// as F32 or F16 (gpt-oss's own checkpoints are bf16 and stream through untouched).

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** f32 value -> bf16 bits, round to nearest even (NaN kept a quiet NaN). */
export function f32BitsToBf16Bits(u: number): number {
  if ((u & 0x7fffffff) > 0x7f800000) return ((u >>> 16) | 0x40) & 0xffff;
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

/** IEEE half bits -> f32 value (exact). */
export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * Convert a little-endian F32 or F16 byte run to bf16 bytes (2 per element). `src.byteLength` must
 * be a whole number of elements. Returns a view of `out` (reused across calls).
 */
export function toBf16Bytes(dtype: 'F32' | 'F16', src: Uint8Array, out: Uint8Array): Uint8Array {
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const elemBytes = dtype === 'F32' ? 4 : 2;
  const numElems = src.byteLength / elemBytes;
  const dst = new DataView(out.buffer, out.byteOffset, numElems * 2);
  for (let i = 0; i < numElems; i++) {
    let bits: number;
    if (dtype === 'F32') {
      bits = f32BitsToBf16Bits(view.getUint32(i * 4, true));
    } else {
      f32Scratch[0] = f16BitsToF32(view.getUint16(i * 2, true));
      bits = f32BitsToBf16Bits(u32Scratch[0]);
    }
    dst.setUint16(i * 2, bits, true);
  }
  return out.subarray(0, numElems * 2);
}
