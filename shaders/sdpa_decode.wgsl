// Attention for ONE query token, split over the keys ("flash decoding"), phase 1 of 2 (spec §2.3).
// A decode step has one query per head: one workgroup per head would leave most of the GPU idle and
// walk the whole context serially. Instead workgroup (split, kv_head) takes SPLIT_KEYS consecutive
// visible keys and all G = Hq / Hkv query heads that share that kv head (GQA: every k/v row is
// loaded once for G heads), and writes per head a partial softmax state (m, l, acc[Dh]) that
// f32_sdpa_combine (sdpa_combine.wgsl) merges with the sink.
//   s_j = sm_scale * q_h . k_j ;  m = max_j s_j ;  l = sum_j exp(s_j - m) ;  acc = sum_j exp(s_j - m) v_j
// Visible keys, in order, form a virtual list: [lo, min(keep, pos + 1)) then [recent_lo, pos]
// (same rule as f32_sdpa_sink); split s covers list entries [s * SPLIT_KEYS, (s + 1) * SPLIT_KEYS).
// Splits past the end exit at once (the grid is sized for a full cache so a recorded decode plan
// stays valid as the position grows).
// qkv: f32 [1, (Hq + 2*Hkv) * Dh]   kcache, vcache: f32 [Hkv, S, Dh]   step: u32, step[0] = pos0
// partials: f32 [Hq, max_splits, Dh + 2]  (m, l, acc[Dh])
// Threads: in the score phase thread i owns key i of a tile; in the value phase thread i owns dims
// d = i, i + WG_SIZE (so Dh <= 2 * WG_SIZE) for all G heads.
// Napkin: reads every visible key and value once per kv head: 2 * n * Hkv * Dh * 4 bytes.

override WG_SIZE: u32 = 64;            // keys per tile = threads
override SPLIT_TILES: u32 = 2u;        // tiles per split
const MAX_GROUP: u32 = 16u;            // G = Hq / Hkv handled per workgroup (launcher checks)
const MAX_DIMS_PER_THREAD: u32 = 2u;   // Dh <= 2 * WG_SIZE (launcher checks)
const MAX_HEAD_DIM: u32 = 256u;

//#include "attention_keys.wgsl"

struct Args { num_q_heads: u32, num_kv_heads: u32, head_dim: u32, window: u32, keep: u32, capacity: u32, max_splits: u32, sm_scale: f32 }   // mirrored by SDPA_DECODE_ARGS in src/kernels/attention.ts

@group(0) @binding(0) var<uniform> args: Args;
@group(0) @binding(1) var<storage, read> step: array<u32>;
@group(0) @binding(2) var<storage, read> qkv: array<f32>;
@group(0) @binding(3) var<storage, read> kcache: array<f32>;
@group(0) @binding(4) var<storage, read> vcache: array<f32>;
@group(0) @binding(5) var<storage, read_write> partials: array<f32>;

var<workgroup> q_sh: array<f32, MAX_GROUP * MAX_HEAD_DIM / 2u>;   // G * Dh <= 2048 (launcher checks)
var<workgroup> s_sh: array<f32, MAX_GROUP * WG_SIZE>;

@compute @workgroup_size(WG_SIZE)
fn f32_sdpa_decode_split(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let split = wg.x;
  let kv_head = wg.y;
  let pos = step[0];
  let head_dim = args.head_dim;
  let group = args.num_q_heads / args.num_kv_heads;
  let stride = (args.num_q_heads + 2u * args.num_kv_heads) * head_dim;

  let keys = visible_keys(pos);   // attention_keys.wgsl
  let num_keys = keys.a_len + keys.b_len;
  let split_keys = WG_SIZE * SPLIT_TILES;
  let first = split * split_keys;
  if (first >= num_keys) { return; }
  let last = min(num_keys, first + split_keys);

  for (var i = tid; i < group * head_dim; i += WG_SIZE) {
    let h = kv_head * group + i / head_dim;
    q_sh[i] = qkv[h * head_dim + i % head_dim];
  }
  var m: array<f32, MAX_GROUP>;
  var l: array<f32, MAX_GROUP>;
  var acc: array<f32, MAX_GROUP * MAX_DIMS_PER_THREAD>;
  for (var h = 0u; h < MAX_GROUP; h++) { m[h] = bitcast<f32>(0xff7fffffu); l[h] = 0.0; }   // -f32 max: exp(m - x) underflows to 0
  for (var r = 0u; r < MAX_GROUP * MAX_DIMS_PER_THREAD; r++) { acc[r] = 0.0; }
  workgroupBarrier();

  for (var tile = first; tile < last; tile += WG_SIZE) {
    let tile_len = min(WG_SIZE, last - tile);
    // Score phase: thread tid scores key `tile + tid` against the G query heads.
    if (tid < tile_len) {
      let v_idx = tile + tid;
      let j = key_position(keys, v_idx);
      var k_base: u32;
      var from_batch = j >= pos;
      if (from_batch) { k_base = (args.num_q_heads + kv_head) * head_dim; }
      else { k_base = (kv_head * args.capacity + slot_of(j)) * head_dim; }
      for (var h = 0u; h < group; h++) {
        var dot_qk = 0.0;
        for (var d = 0u; d < head_dim; d++) {
          var k = 0.0;
          if (from_batch) { k = qkv[k_base + d]; } else { k = kcache[k_base + d]; }
          dot_qk += q_sh[h * head_dim + d] * k;
        }
        s_sh[h * WG_SIZE + tid] = dot_qk * args.sm_scale;
      }
    }
    workgroupBarrier();
    // Every thread keeps the running (m, l) of all G heads: cheap, and no extra barrier.
    var alpha: array<f32, MAX_GROUP>;
    for (var h = 0u; h < group; h++) {
      var tile_max = m[h];
      for (var i = 0u; i < tile_len; i++) { tile_max = max(tile_max, s_sh[h * WG_SIZE + i]); }
      alpha[h] = exp(m[h] - tile_max);
      m[h] = tile_max;
    }
    workgroupBarrier();
    if (tid < tile_len) {
      for (var h = 0u; h < group; h++) { s_sh[h * WG_SIZE + tid] = exp(s_sh[h * WG_SIZE + tid] - m[h]); }
    }
    workgroupBarrier();
    for (var h = 0u; h < group; h++) {
      var tile_sum = 0.0;
      for (var i = 0u; i < tile_len; i++) { tile_sum += s_sh[h * WG_SIZE + i]; }
      l[h] = l[h] * alpha[h] + tile_sum;
    }
    for (var r = 0u; r < MAX_DIMS_PER_THREAD; r++) {
      let d = tid + r * WG_SIZE;
      if (d < head_dim) {
        for (var h = 0u; h < group; h++) { acc[h * MAX_DIMS_PER_THREAD + r] *= alpha[h]; }
        for (var i = 0u; i < tile_len; i++) {
          let v_idx = tile + i;
          let j = key_position(keys, v_idx);
          var v = 0.0;
          if (j >= pos) { v = qkv[(args.num_q_heads + args.num_kv_heads + kv_head) * head_dim + d]; }
          else { v = vcache[(kv_head * args.capacity + slot_of(j)) * head_dim + d]; }
          for (var h = 0u; h < group; h++) { acc[h * MAX_DIMS_PER_THREAD + r] += s_sh[h * WG_SIZE + i] * v; }
        }
      }
    }
    workgroupBarrier();
  }

  let width = head_dim + 2u;
  for (var h = 0u; h < group; h++) {
    let base = ((kv_head * group + h) * args.max_splits + split) * width;
    if (tid == 0u) { partials[base] = m[h]; partials[base + 1u] = l[h]; }
    for (var r = 0u; r < MAX_DIMS_PER_THREAD; r++) {
      let d = tid + r * WG_SIZE;
      if (d < head_dim) { partials[base + 2u + d] = acc[h * MAX_DIMS_PER_THREAD + r]; }
    }
  }
}
