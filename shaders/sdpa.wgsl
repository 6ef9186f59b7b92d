// Attention with learned sinks, GQA, sliding window and a (possibly rotating) KV cache (spec §2.3):
//   out[t, h, :] = sum_j exp(s_j - m) v_j / (sum_j exp(s_j - m) + exp(sink_h - m)),
//   s_j = sm_scale * q[t, h, :] . k_j,  m = max(max_j s_j, sink_h),  kv head = h / (Hq / Hkv)
// Query t sits at position p = pos0 + t and sees keys j <= p with j > p - window (window 0 = no
// window), restricted to what the cache keeps: j < keep, or j > p - (S - keep).
// Keys of this batch (j >= pos0) are read from qkv (rotated by f32_rope); older keys from the cache
// (f32_kv_write runs after this kernel, so a batch never overwrites keys its own queries need).
// qkv: f32 [T, (Hq + 2*Hkv) * Dh]   kcache, vcache: f32 [Hkv, S, Dh]   sinks: bf16 [Hq]
// out: f32 [T, Hq * Dh]   step: u32, step[0] = pos0
// One workgroup per (token, q head). Keys go in tiles of WG_SIZE: thread i scores key i of the tile;
// then every thread owns output dims d = tid, tid + WG_SIZE, … and accumulates p_j * v_j[d] with an
// online softmax (running max m, denominator l) initialised by the sink (m = sink, l = 1).

//#include "bf16.wgsl"
//#include "attention_keys.wgsl"

override WG_SIZE: u32 = 64;
const MAX_DIMS_PER_THREAD: u32 = 4u;   // Dh <= 4 * WG_SIZE (checked in the launcher)

struct Args { num_tokens: u32, num_q_heads: u32, num_kv_heads: u32, head_dim: u32, window: u32, keep: u32, capacity: u32, sm_scale: f32 }   // mirrored by SDPA_ARGS in src/kernels/attention.ts

@group(0) @binding(0) var<uniform> args: Args;
@group(0) @binding(1) var<storage, read> step: array<u32>;
@group(0) @binding(2) var<storage, read> qkv: array<f32>;
@group(0) @binding(3) var<storage, read> kcache: array<f32>;
@group(0) @binding(4) var<storage, read> vcache: array<f32>;
@group(0) @binding(5) var<storage, read> sinks: array<u32>;
@group(0) @binding(6) var<storage, read_write> out: array<f32>;

var<workgroup> q_sh: array<f32, WG_SIZE * MAX_DIMS_PER_THREAD>;
var<workgroup> p_sh: array<f32, WG_SIZE>;

fn key_at(j: u32, pos0: u32, kv_head: u32, d: u32) -> f32 {
  if (j >= pos0) {
    let stride = (args.num_q_heads + 2u * args.num_kv_heads) * args.head_dim;
    return qkv[(j - pos0) * stride + (args.num_q_heads + kv_head) * args.head_dim + d];
  }
  return kcache[(kv_head * args.capacity + slot_of(j)) * args.head_dim + d];
}

fn value_at(j: u32, pos0: u32, kv_head: u32, d: u32) -> f32 {
  if (j >= pos0) {
    let stride = (args.num_q_heads + 2u * args.num_kv_heads) * args.head_dim;
    return qkv[(j - pos0) * stride + (args.num_q_heads + args.num_kv_heads + kv_head) * args.head_dim + d];
  }
  return vcache[(kv_head * args.capacity + slot_of(j)) * args.head_dim + d];
}

@compute @workgroup_size(WG_SIZE)
fn f32_sdpa_sink(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let token_idx = wg.x;
  let head_idx = wg.y;
  let pos0 = step[0];
  let pos = pos0 + token_idx;
  let head_dim = args.head_dim;
  let kv_head = head_idx / (args.num_q_heads / args.num_kv_heads);
  let stride = (args.num_q_heads + 2u * args.num_kv_heads) * head_dim;

  for (var d = tid; d < head_dim; d += WG_SIZE) { q_sh[d] = qkv[token_idx * stride + head_idx * head_dim + d]; }
  workgroupBarrier();

  // Two key segments: [a_lo, a_lo + a_len) and [b_lo, b_lo + b_len) (attention_keys.wgsl).
  let keys = visible_keys(pos);
  var seg_start = array<u32, 2>(keys.a_lo, keys.b_lo);
  var seg_end = array<u32, 2>(keys.a_lo + keys.a_len, keys.b_lo + keys.b_len);

  let sink = bf16_of(sinks[head_idx >> 1u], head_idx);
  var m = sink;       // running max, starts at the sink logit
  var l = 1.0;        // running denominator: exp(sink - m) = 1
  var acc: array<f32, MAX_DIMS_PER_THREAD>;
  for (var r = 0u; r < MAX_DIMS_PER_THREAD; r++) { acc[r] = 0.0; }

  for (var seg = 0u; seg < 2u; seg++) {
    let end = seg_end[seg];
    for (var tile = seg_start[seg]; tile < end; tile += WG_SIZE) {
      let j = tile + tid;
      var s = bitcast<f32>(0xff7fffffu);   // -f32 max: never read (tile_len excludes it)
      if (j < end) {
        var dot_qk = 0.0;
        for (var d = 0u; d < head_dim; d++) { dot_qk += q_sh[d] * key_at(j, pos0, kv_head, d); }
        s = dot_qk * args.sm_scale;
      }
      p_sh[tid] = s;
      workgroupBarrier();
      var tile_max = m;
      let tile_len = min(WG_SIZE, end - tile);
      for (var i = 0u; i < tile_len; i++) { tile_max = max(tile_max, p_sh[i]); }
      workgroupBarrier();
      if (j < end) { p_sh[tid] = exp(s - tile_max); }
      workgroupBarrier();
      let alpha = exp(m - tile_max);
      var tile_sum = 0.0;
      for (var i = 0u; i < tile_len; i++) { tile_sum += p_sh[i]; }
      l = l * alpha + tile_sum;
      for (var r = 0u; r < MAX_DIMS_PER_THREAD; r++) {
        let d = tid + r * WG_SIZE;
        if (d < head_dim) {
          var a = acc[r] * alpha;
          for (var i = 0u; i < tile_len; i++) { a += p_sh[i] * value_at(tile + i, pos0, kv_head, d); }
          acc[r] = a;
        }
      }
      m = tile_max;
      workgroupBarrier();
    }
  }
  for (var r = 0u; r < MAX_DIMS_PER_THREAD; r++) {
    let d = tid + r * WG_SIZE;
    if (d < head_dim) { out[(token_idx * args.num_q_heads + head_idx) * head_dim + d] = acc[r] / l; }
  }
}
