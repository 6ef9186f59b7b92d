// x[t,c] += Σ_k weights[t,k] * ((W2[e] s[t,k])[c] + b2[e][c]),  e = ids[t,k]
//   (spec §2.5: the down-projection bias sits inside the weighted sum; fuses the residual add)
// s: f32 [≥T, K, I] (as vec4)   ids: u32 [≥T, K]   weights: f32 [≥T, K]   x: f32 [≥T, C], updated in place
// blocks: u8 [E, C, G, 16] MXFP4 (G = I/32; as u32 words of 8 elements)   scales: u8 [E, C, G]   bias: bf16 [E, C]
// Expert tensors may be chunked along E: the launcher dispatches once per expert slice, each binding
// holding the chunk that starts at expert *_expert_base; a dispatch adds the slots whose expert is in
// [expert_start, expert_end) and leaves the others to the dispatch of their slice. Dispatches in one
// pass are ordered, so x accumulates every slot exactly once (the order of the additions follows the
// slices, so chunked and unchunked runs differ by f32 rounding only).
//
// One workgroup per (token, tile of ROWS_PER_WG channels c), folded into y past 65535. Invocation
// (r, lane) owns channel c = tile*ROWS_PER_WG + r: for each of the token's K slots in range it walks
// the u32 words w = lane, lane+LANES, … of row c of W2[e] (8 elements each, coalesced as in
// moe_swiglu.wgsl), scaling each word's dot by its group's scale, and accumulates
// weights[t,k] * (dot + bias on lane 0). One tree reduction over the LANES invocations in workgroup
// memory (no subgroup-size assumption) at the end; lane 0 adds to x. No barrier sits inside the
// slot loop, so a workgroup reads all K experts' rows back to back.
// Napkin (per token): reads K * C*G*17 bytes of weights + K*C*2 bias + K*I*4 of s, reads and writes
// C*4 of x; 2*K*C*I flops. gpt-oss decode (T=1, K=4): 4 * 4.4 MB per layer.
// Prefill runs as a GEMV per token (weights re-read per token); a grouped GEMM (see moe_swiglu.wgsl)
// would write per-slot outputs and gather-accumulate them per token afterwards.
//#include "bf16.wgsl"
//#include "mxfp4.wgsl"

override ROWS_PER_WG: u32 = 2;      // channels per workgroup
override LANES: u32 = 64;           // invocations per channel along I; power of two (tree reduction)
override WG_SIZE: u32 = ROWS_PER_WG * LANES;

const VEC4_PER_WORD: u32 = 2u;      // the 8 f32 activations of one u32 word of nibbles
const BF16_PER_WORD: u32 = 2u;      // bias is bf16 bound as array<u32>

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
}   // mirrored by MOE_DOWN_ARGS in src/kernels/moe.ts

@group(0) @binding(0) var<uniform> args: Args;
@group(0) @binding(1) var<storage, read> s: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> ids: array<u32>;
@group(0) @binding(3) var<storage, read> weights: array<f32>;
@group(0) @binding(4) var<storage, read> blocks: array<u32>;
@group(0) @binding(5) var<storage, read> scales: array<u32>;
@group(0) @binding(6) var<storage, read> bias: array<u32>;
@group(0) @binding(7) var<storage, read_write> x: array<f32>;

var<workgroup> partial: array<f32, WG_SIZE>;

@compute @workgroup_size(WG_SIZE)
fn f32_mxfp4w_moe_down_accumulate(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                                  @builtin(local_invocation_index) tid: u32) {
  let wg_idx = wg.y * nwg.x + wg.x;
  if (wg_idx >= args.num_row_tiles * args.num_tokens) {
    return;
  }
  let tile_idx = wg_idx % args.num_row_tiles;
  let token_idx = wg_idx / args.num_row_tiles;
  mxfp4_lut_init(tid);
  workgroupBarrier();   // publish the FP4 table

  let num_channels = args.hidden_size;
  let num_inter = args.intermediate_size;
  let num_groups = num_inter / MXFP4_GROUP_SIZE;
  let words_per_row = num_groups * MXFP4_WORDS_PER_GROUP;
  let num_slots = args.num_experts_per_token;
  let lane = tid % LANES;
  let channel = tile_idx * ROWS_PER_WG + tid / LANES;
  var acc = 0.0;
  if (channel < num_channels) {
    for (var k = 0u; k < num_slots; k++) {
      let slot_idx = token_idx * num_slots + k;
      let expert_idx = ids[slot_idx];
      if (expert_idx >= args.expert_start && expert_idx < args.expert_end) {
        let row_words = ((expert_idx - args.blocks_expert_base) * num_channels + channel) * words_per_row;
        let row_scales = ((expert_idx - args.scales_expert_base) * num_channels + channel) * num_groups;
        let s_base = slot_idx * words_per_row * VEC4_PER_WORD;
        var dot_sum = 0.0;
        for (var w = lane; w < words_per_row; w += LANES) {
          let scale_idx = row_scales + w / MXFP4_WORDS_PER_GROUP;
          let x_lo = s[s_base + w * VEC4_PER_WORD];
          let x_hi = s[s_base + w * VEC4_PER_WORD + 1u];
          dot_sum += mxfp4_scale(mxfp4_u8_of(scales[scale_idx / U8_PER_WORD], scale_idx)) * mxfp4_word_dot(blocks[row_words + w], x_lo, x_hi);
        }
        if (lane == 0u) {
          let bias_idx = (expert_idx - args.bias_expert_base) * num_channels + channel;
          dot_sum += bf16_of(bias[bias_idx / BF16_PER_WORD], bias_idx);
        }
        acc += weights[slot_idx] * dot_sum;
      }
    }
  }
  partial[tid] = acc;
  workgroupBarrier();
  for (var stride = LANES / 2u; stride > 0u; stride >>= 1u) {
    if (lane < stride) {
      partial[tid] += partial[tid + stride];
    }
    workgroupBarrier();
  }
  if (lane == 0u && channel < num_channels) {
    let out_idx = token_idx * num_channels + channel;
    x[out_idx] += partial[tid];
  }
}
