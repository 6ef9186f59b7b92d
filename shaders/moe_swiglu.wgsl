// out[t,k,i] = g / (1 + exp(-alpha*g)) * (u + 1),  g = min(y[2i], limit),  u = clamp(y[2i+1], -limit, limit),
//   y = W1[e] h[t] + b1[e],  e = ids[t,k]          (spec §2.5: rows interleaved, even = gate, odd = up;
//                                                  gate clamped from above only; alpha 1.702, limit 7)
// h: f32 [≥T, C] (as vec4)   ids: u32 [≥T, K]   out: f32 [≥T, K, I]
// blocks: u8 [E, 2I, G, 16] MXFP4 (G = C/32; as u32 words of 8 elements)   scales: u8 [E, 2I, G]   bias: bf16 [E, 2I]
// Expert tensors may be chunked along E: the launcher dispatches once per expert slice with each
// binding holding the chunk that starts at expert *_expert_base; slots whose expert is outside
// [expert_start, expert_end) belong to another dispatch and are skipped (each slot written once).
//
// One workgroup per (token, slot, tile of OUTS_PER_WG outputs i), folded into y past 65535. Invocation
// (o, lane) owns output i = tile*OUTS_PER_WG + o: it walks the u32 words w = lane, lane+LANES, … of
// rows 2i and 2i+1 (8 elements each; the same two vec4 of h serve both rows), decoding 8 nibbles per
// word and scaling each word's dot by its group's scale; a tree reduction over the LANES invocations
// in workgroup memory (no subgroup-size assumption) finishes both sums; lane 0 adds the bias and
// applies the clamped SwiGLU. A word per lane keeps every load coalesced: a warp of lanes reads 128
// contiguous bytes of each weight row and 1 KiB of contiguous h (one whole group per lane would
// read h at a 128-byte stride: 8x more L1 traffic; measured 1.5x slower on an H100).
// Napkin (per token and slot): reads 2I*G*17 bytes of weights + 2I*2 bias + C*4 of h (cached across
// rows), writes I*4; 2*2I*C flops. gpt-oss decode (T=1, K=4): 4 * 8.8 MB per layer.
// Prefill runs this as a GEMV per token: every (token, slot) reads its expert's weights again (L2
// catches some). A grouped GEMM would sort the T*K slots by expert (routing histogram + prefix sum +
// scatter, spec §4), tile M tokens of one expert per workgroup and decode each weight tile once into
// workgroup memory for all M tokens, dividing weight traffic by up to M.
//#include "bf16.wgsl"
//#include "mxfp4.wgsl"

override OUTS_PER_WG: u32 = 8;      // outputs (row pairs) per workgroup
override LANES: u32 = 32;           // invocations per output along C; power of two (tree reduction)
override WG_SIZE: u32 = OUTS_PER_WG * LANES;

const VEC4_PER_WORD: u32 = 2u;      // the 8 f32 activations of one u32 word of nibbles
const ROWS_PER_OUTPUT: u32 = 2u;    // gate row 2i and up row 2i+1
const MAX_EXP_ARG: f32 = 80.0;      // exp(80) ≈ 5.5e34 < f32 max ≈ 3.4e38

struct Args {
  num_tokens: u32,
  hidden_size: u32,
  intermediate_size: u32,
  num_experts_per_token: u32,
  expert_start: u32,
  expert_end: u32,
  blocks_expert_base: u32,
  scales_expert_base: u32,
  bias_expert_base: u32,
  num_row_tiles: u32,
  swiglu_limit: f32,
  swiglu_alpha: f32,
}   // mirrored by MOE_SWIGLU_ARGS in src/kernels/moe.ts

@group(0) @binding(0) var<uniform> args: Args;
@group(0) @binding(1) var<storage, read> h: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> ids: array<u32>;
@group(0) @binding(3) var<storage, read> blocks: array<u32>;
@group(0) @binding(4) var<storage, read> scales: array<u32>;
@group(0) @binding(5) var<storage, read> bias: array<u32>;
@group(0) @binding(6) var<storage, read_write> out: array<f32>;

var<workgroup> partial_gate: array<f32, WG_SIZE>;
var<workgroup> partial_up: array<f32, WG_SIZE>;
var<workgroup> slot_expert: u32;

@compute @workgroup_size(WG_SIZE)
fn f32_mxfp4w_moe_swiglu(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                         @builtin(local_invocation_index) tid: u32) {
  let wg_idx = wg.y * nwg.x + wg.x;
  let num_slots = args.num_tokens * args.num_experts_per_token;
  if (wg_idx >= args.num_row_tiles * num_slots) {
    return;
  }
  let tile_idx = wg_idx % args.num_row_tiles;
  let slot_idx = wg_idx / args.num_row_tiles;      // t*K + k
  let token_idx = slot_idx / args.num_experts_per_token;

  mxfp4_lut_init(tid);
  if (tid == 0u) {
    slot_expert = ids[slot_idx];
  }
  // Also the barrier that publishes the FP4 table.
  let expert_idx = workgroupUniformLoad(&slot_expert);
  if (expert_idx < args.expert_start || expert_idx >= args.expert_end) {
    return;
  }

  let num_inter = args.intermediate_size;
  let num_groups = args.hidden_size / MXFP4_GROUP_SIZE;
  let words_per_row = num_groups * MXFP4_WORDS_PER_GROUP;
  let lane = tid % LANES;
  let out_idx = tile_idx * OUTS_PER_WG + tid / LANES;
  var gate_sum = 0.0;
  var up_sum = 0.0;
  if (out_idx < num_inter) {
    let rows_per_expert = ROWS_PER_OUTPUT * num_inter;
    let gate_row = ROWS_PER_OUTPUT * out_idx;
    let gate_words = ((expert_idx - args.blocks_expert_base) * rows_per_expert + gate_row) * words_per_row;
    let up_words = gate_words + words_per_row;
    let gate_scales = ((expert_idx - args.scales_expert_base) * rows_per_expert + gate_row) * num_groups;
    let up_scales = gate_scales + num_groups;
    let h_base = token_idx * words_per_row * VEC4_PER_WORD;
    for (var w = lane; w < words_per_row; w += LANES) {
      let x_lo = h[h_base + w * VEC4_PER_WORD];
      let x_hi = h[h_base + w * VEC4_PER_WORD + 1u];
      let group = w / MXFP4_WORDS_PER_GROUP;
      gate_sum += mxfp4_scale(mxfp4_u8_of(scales[(gate_scales + group) / U8_PER_WORD], gate_scales + group)) * mxfp4_word_dot(blocks[gate_words + w], x_lo, x_hi);
      up_sum += mxfp4_scale(mxfp4_u8_of(scales[(up_scales + group) / U8_PER_WORD], up_scales + group)) * mxfp4_word_dot(blocks[up_words + w], x_lo, x_hi);
    }
  }
  partial_gate[tid] = gate_sum;
  partial_up[tid] = up_sum;
  workgroupBarrier();
  for (var stride = LANES / 2u; stride > 0u; stride >>= 1u) {
    if (lane < stride) {
      partial_gate[tid] += partial_gate[tid + stride];
      partial_up[tid] += partial_up[tid + stride];
    }
    workgroupBarrier();
  }
  if (lane == 0u && out_idx < num_inter) {
    // bias[e, 2i] (gate) and bias[e, 2i+1] (up) are the two halves of one u32.
    let b = bf16_pair(bias[(expert_idx - args.bias_expert_base) * num_inter + out_idx]);
    let limit = args.swiglu_limit;
    let gate = min(partial_gate[tid] + b.x, limit);
    let up = clamp(partial_up[tid] + b.y, -limit, limit);
    // WGSL leaves an overflowing exp indeterminate: cap its argument. For gate < -MAX_EXP_ARG/alpha
    // the swish is below 47 * e^-80 ≈ 1e-33 in magnitude either way.
    let swish = gate / (1.0 + exp(min(-args.swiglu_alpha * gate, MAX_EXP_ARG)));
    out[slot_idx * num_inter + out_idx] = swish * (up + 1.0);
  }
}
