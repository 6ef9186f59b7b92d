// MXFP4 helpers (spec §3.2), included with `//#include "mxfp4.wgsl"`.
//   W[o, 32g + 2j]     = FP4[blocks[o,g,j] & 15] * 2^(scales[o,g] - 127)
//   W[o, 32g + 2j + 1] = FP4[blocks[o,g,j] >> 4] * 2^(scales[o,g] - 127)
// blocks: u8 [rows, G, 16] (G = in/32), bound as array<u32>: word 4g+q of a row holds elements
//   32g+8q .. 32g+8q+7; byte b of a word holds elements 2b (low nibble) and 2b+1 (high nibble),
//   little-endian.
// scales: u8 [rows, G] E8M0, bound as array<u32> (four per word, little-endian).
// FP4 E2M1: bit 3 sign, bits 2..1 exponent (bias 1), bit 0 mantissa; exponent 0 is subnormal (±0.5).
//
// Two decoders, both f32-only (no shader-f16: NVIDIA's Vulkan driver lacks it by default):
// - mxfp4_exact(nibble, scale): builds the f32 bits with integer arithmetic, so it is the correctly
//   rounded f32 of ldexp(FP4, s-127) for every s, subnormal results included, whatever the device's
//   denormal mode. Used by the dequant kernel (mxfp4_dequant.wgsl), the bit-exact reference.
// - mxfp4_word_dot / mxfp4_scale: the matmul path, 8 nibbles (one u32 word) at a time. FP4 values
//   come from a 16-entry table in workgroup memory (conflict-free: 16 entries sit in 16 banks, equal
//   indices broadcast) and the group's E8M0 scale multiplies each word's 8-term dot once. Per
//   element: shift+and, one workgroup load, one FMA. Metal's trick (spec §4) builds fp16 bit
//   patterns instead; for ±0.5 those are fp16 subnormals, so it relies on the f16->f32 conversion
//   keeping them, and needs shader-f16 or unpack2x16float. The table has neither issue.
//   Per element, table value * mxfp4_scale(s) equals mxfp4_exact wherever the scale (s = 1..254) and
//   the exact result are normal f32 or zero (tests/kernels/mxfp4.test.ts). Devices that flush
//   denormals (NVIDIA's Vulkan driver does, measured on an H100) give 0 for subnormal results and for
//   every weight of scale s = 0 (2^-127 is itself subnormal): a dot product moves by < 2^-121 * sum|x|.
//   Overflow (s >= 253) is not guaranteed to give inf by WGSL. Real checkpoints use none of these.
//
// E8M0 s = 255: OCP MX calls it NaN; the gpt-oss references (torch ldexp, HF convert, the numpy
// reference) apply the formula 2^(255-127) = 2^128, and so do we: mxfp4_exact gives ±0 for ±0,
// ±2^127 for ±0.5 and ±inf otherwise. In the matmul path the scale is +inf, so a group with
// s = 255 makes its output non-finite. No released checkpoint uses s = 255.

const MXFP4_GROUP_SIZE: u32 = 32u;      // elements per group (one scale, 16 bytes)
const MXFP4_WORDS_PER_GROUP: u32 = 4u;  // u32 words of nibbles per group (8 elements each)
const U8_PER_WORD: u32 = 4u;            // u8 tensors (blocks, scales) are bound as array<u32>
const MXFP4_NUM_CODES: u32 = 16u;       // 4-bit codes
const MXFP4_CODE_MASK: u32 = 0xfu;
const MXFP4_BITS: u32 = 4u;
const F32_MANTISSA_BITS: u32 = 23u;
const F32_EXP_INF: i32 = 255;           // biased exponent of inf
const F32_SIGN_SHIFT: u32 = 28u;        // FP4 sign (bit 3) -> f32 sign (bit 31)
const F32_HALF_SUBNORMAL_SCALE: u32 = 0x00400000u;   // bits of 2^-127, the one E8M0 scale (s = 0) below f32's normal range

// FP4 E2M1 values by code (spec §3.2): +0 0.5 1 1.5 2 3 4 6, then the same negated (code 8 is -0).
// Written as f32 bit patterns because WGSL's constant evaluation need not keep the sign of -0.0.
const MXFP4_VALUE_BITS = array<u32, 16>(
  0x00000000u, 0x3f000000u, 0x3f800000u, 0x3fc00000u, 0x40000000u, 0x40400000u, 0x40800000u, 0x40c00000u,
  0x80000000u, 0xbf000000u, 0xbf800000u, 0xbfc00000u, 0xc0000000u, 0xc0400000u, 0xc0800000u, 0xc0c00000u);

// Matmul-path table; call mxfp4_lut_init(local index) in every invocation, then a barrier, before use.
var<workgroup> mxfp4_lut: array<f32, MXFP4_NUM_CODES>;

fn mxfp4_lut_init(tid: u32) {
  if (tid < MXFP4_NUM_CODES) {
    mxfp4_lut[tid] = bitcast<f32>(MXFP4_VALUE_BITS[tid]);
  }
}

// Byte `byte_idx % 4` of a little-endian u32 word (the word holding u8 element byte_idx).
fn mxfp4_u8_of(word: u32, byte_idx: u32) -> u32 {
  return (word >> ((byte_idx % U8_PER_WORD) * 8u)) & 0xffu;
}

// 2^(s-127) as f32: s = 1..254 are normal (exponent field = s), s = 255 gives +inf (exponent field
// 255, zero mantissa), s = 0 is the subnormal 2^-127.
fn mxfp4_scale(scale_byte: u32) -> f32 {
  return bitcast<f32>(select(scale_byte << F32_MANTISSA_BITS, F32_HALF_SUBNORMAL_SCALE, scale_byte == 0u));
}

// The 8 FP4 values of one u32 word, in element order (lo: elements 0..3, hi: elements 4..7).
struct Mxfp4x8 { lo: vec4<f32>, hi: vec4<f32> }

fn mxfp4_decode_word(word: u32) -> Mxfp4x8 {
  return Mxfp4x8(
    vec4<f32>(mxfp4_lut[word & MXFP4_CODE_MASK], mxfp4_lut[(word >> 4u) & MXFP4_CODE_MASK],
              mxfp4_lut[(word >> 8u) & MXFP4_CODE_MASK], mxfp4_lut[(word >> 12u) & MXFP4_CODE_MASK]),
    vec4<f32>(mxfp4_lut[(word >> 16u) & MXFP4_CODE_MASK], mxfp4_lut[(word >> 20u) & MXFP4_CODE_MASK],
              mxfp4_lut[(word >> 24u) & MXFP4_CODE_MASK], mxfp4_lut[(word >> 28u) & MXFP4_CODE_MASK]));
}

// Σ_j FP4(word, j) * x_j over the word's 8 elements; x_lo = x[0..3], x_hi = x[4..7] (unscaled).
fn mxfp4_word_dot(word: u32, x_lo: vec4<f32>, x_hi: vec4<f32>) -> f32 {
  let w = mxfp4_decode_word(word);
  return dot(w.lo, x_lo) + dot(w.hi, x_hi);
}

// Exact ldexp(FP4[nibble], scale_byte - 127) rounded to f32, from integer arithmetic alone.
// Nonzero codes are 1.m * 2^k: code 1 (0.5) is k = -1, m = 0; codes 2..7 are k = e - 1, m = bit 0.
// The f32 biased exponent is s + k in -1..257: >= 255 overflows to inf, <= 0 is a subnormal whose
// significand (at most 2 bits) shifts right by 1 - (s + k) <= 2 without losing bits.
fn mxfp4_exact(nibble: u32, scale_byte: u32) -> f32 {
  let sign = (nibble & 8u) << F32_SIGN_SHIFT;
  let code = nibble & 7u;
  if (code == 0u) {
    return bitcast<f32>(sign);
  }
  let k = i32(code >> 1u) - 1;
  let mantissa = select(0u, code & 1u, code >= 2u);
  let biased = i32(scale_byte) + k;
  var magnitude: u32;
  if (biased >= F32_EXP_INF) {
    magnitude = u32(F32_EXP_INF) << F32_MANTISSA_BITS;
  } else if (biased >= 1) {
    magnitude = (u32(biased) << F32_MANTISSA_BITS) | (mantissa << (F32_MANTISSA_BITS - 1u));
  } else {
    let significand = (1u << F32_MANTISSA_BITS) | (mantissa << (F32_MANTISSA_BITS - 1u));
    magnitude = significand >> u32(1 - biased);
  }
  return bitcast<f32>(sign | magnitude);
}
