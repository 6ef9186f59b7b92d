// out[r, 32g + e] = FP4(blocks[r, g], e) * 2^(scales[r, g] - 127)      (spec §3.2; test and debug only)
// blocks: u8 [R, G, 16] (as array<u32>)   scales: u8 [R, G] (as array<u32>)   out: f32 [R, G*32]
// One invocation per u32 word of blocks (8 elements); workgroups fold into y past the per-dimension
// limit. Two entry points share the bindings:
//   f32_mxfp4_dequant      integer-exact decode (mxfp4_exact): the reference for the f32 dequant
//   f32_mxfp4_dequant_lut  the matmul decode (table * scale, mxfp4_decode_word): checks that the
//                          matmul kernels see the same weights
//#include "mxfp4.wgsl"

override WG_SIZE: u32 = 64;

const WORDS_PER_GROUP: u32 = 4u;        // 16 bytes
const ELEMENTS_PER_WORD: u32 = 8u;
const ELEMENTS_PER_VEC4: u32 = 4u;       // Mxfp4x8.lo holds elements 0..3, .hi elements 4..7

struct Args { num_rows: u32, num_groups: u32 }   // mirrored by MXFP4_DEQUANT_ARGS in src/kernels/mxfp4.ts

@group(0) @binding(0) var<uniform> args: Args;
@group(0) @binding(1) var<storage, read> blocks: array<u32>;
@group(0) @binding(2) var<storage, read> scales: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

fn word_index(wg: vec3<u32>, nwg: vec3<u32>, tid: u32) -> u32 {
  return (wg.y * nwg.x + wg.x) * WG_SIZE + tid;
}

fn num_words() -> u32 {
  return args.num_rows * args.num_groups * WORDS_PER_GROUP;
}

// Group index (row * G + g) of a word, and its scale byte.
fn scale_of(word_idx: u32) -> u32 {
  let group_idx = word_idx / WORDS_PER_GROUP;
  return mxfp4_u8_of(scales[group_idx / U8_PER_WORD], group_idx);
}

@compute @workgroup_size(WG_SIZE)
fn f32_mxfp4_dequant(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                     @builtin(local_invocation_index) tid: u32) {
  let word_idx = word_index(wg, nwg, tid);
  if (word_idx >= num_words()) {
    return;
  }
  let word = blocks[word_idx];
  let scale_byte = scale_of(word_idx);
  for (var e = 0u; e < ELEMENTS_PER_WORD; e++) {
    // Element e of the word: byte e/2, low nibble for even e.
    let nibble = (word >> (e * MXFP4_BITS)) & MXFP4_CODE_MASK;
    out[word_idx * ELEMENTS_PER_WORD + e] = mxfp4_exact(nibble, scale_byte);
  }
}

@compute @workgroup_size(WG_SIZE)
fn f32_mxfp4_dequant_lut(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                         @builtin(local_invocation_index) tid: u32) {
  mxfp4_lut_init(tid);
  workgroupBarrier();   // the table is written by invocations 0..15 and read by all
  let word_idx = word_index(wg, nwg, tid);
  if (word_idx >= num_words()) {
    return;
  }
  let scale = mxfp4_scale(scale_of(word_idx));
  let w = mxfp4_decode_word(blocks[word_idx]);
  let base = word_idx * ELEMENTS_PER_WORD;
  for (var e = 0u; e < ELEMENTS_PER_VEC4; e++) {
    out[base + e] = w.lo[e] * scale;
    out[base + ELEMENTS_PER_VEC4 + e] = w.hi[e] * scale;
  }
}
