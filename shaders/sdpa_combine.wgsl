// Attention for one query token, phase 2 of 2: merge the per-split softmax states of
// f32_sdpa_decode_split with the head's sink (spec §2.3):
//   M = max(sink_h, max_s m_s)
//   out[h, d] = sum_s exp(m_s - M) acc_s[d] / (exp(sink_h - M) + sum_s exp(m_s - M) l_s)
// partials: f32 [Hq, max_splits, Dh + 2]   sinks: bf16 [Hq]   out: f32 [1, Hq * Dh]   step[0] = pos0
// One workgroup per q head; thread d owns output dims d, d + WG_SIZE, …; the number of splits in
// use is recomputed from the position exactly as phase 1 does.
//#include "bf16.wgsl"
//#include "attention_keys.wgsl"

override WG_SIZE: u32 = 64;
override SPLIT_KEYS: u32 = 128u;

struct Args { num_q_heads: u32, head_dim: u32, window: u32, keep: u32, capacity: u32, max_splits: u32 }   // mirrored by SDPA_COMBINE_ARGS in src/kernels/attention.ts

@group(0) @binding(0) var<uniform> args: Args;
@group(0) @binding(1) var<storage, read> step: array<u32>;
@group(0) @binding(2) var<storage, read> partials: array<f32>;
@group(0) @binding(3) var<storage, read> sinks: array<u32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG_SIZE)
fn f32_sdpa_combine(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let head = wg.x;
  let pos = step[0];
  let keys = visible_keys(pos);
  let num_keys = keys.a_len + keys.b_len;
  let num_splits = (num_keys + SPLIT_KEYS - 1u) / SPLIT_KEYS;
  let width = args.head_dim + 2u;
  let base = head * args.max_splits * width;

  let sink = bf16_of(sinks[head >> 1u], head);
  var big_m = sink;
  for (var s = 0u; s < num_splits; s++) { big_m = max(big_m, partials[base + s * width]); }
  var denom = exp(sink - big_m);
  for (var s = 0u; s < num_splits; s++) {
    denom += exp(partials[base + s * width] - big_m) * partials[base + s * width + 1u];
  }
  for (var d = tid; d < args.head_dim; d += WG_SIZE) {
    var acc = 0.0;
    for (var s = 0u; s < num_splits; s++) {
      acc += exp(partials[base + s * width] - big_m) * partials[base + s * width + 2u + d];
    }
    out[head * args.head_dim + d] = acc / denom;
  }
}
