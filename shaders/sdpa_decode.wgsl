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
// Per tile of TILE_KEYS keys: all threads load the tile's k and v rows into workgroup memory, then
// score (head, key) pairs, update each head's running max and sum, and accumulate (head, dim)
// outputs. Workgroup memory: (2 G + 2 TILE_KEYS) Dh + G TILE_KEYS + 3 G floats.
// Napkin: reads every visible key and value once per kv head: 2 * n * Hkv * Dh * 4 bytes.

override WG_SIZE: u32 = 64;            // threads (= output dims per pass over Dh)
override TILE_KEYS: u32 = 32u;         // keys per tile, <= WG_SIZE; thread i < TILE_KEYS scores key i
override SPLIT_TILES: u32 = 4u;        // tiles per split (split = TILE_KEYS * SPLIT_TILES keys)
// G = Hq / Hkv and Dh as constants: they size the workgroup arrays and make divisions cheap.
override GROUP: u32 = 8u;
override HEAD_DIM: u32 = 64u;

//#include "attention_keys.wgsl"

struct Args { num_q_heads: u32, num_kv_heads: u32, head_dim: u32, window: u32, keep: u32, capacity: u32, max_splits: u32, sm_scale: f32 }   // mirrored by SDPA_DECODE_ARGS in src/kernels/attention.ts

@group(0) @binding(0) var<uniform> args: Args;
@group(0) @binding(1) var<storage, read> step: array<u32>;
@group(0) @binding(2) var<storage, read> qkv: array<f32>;
@group(0) @binding(3) var<storage, read> kcache: array<f32>;
@group(0) @binding(4) var<storage, read> vcache: array<f32>;
@group(0) @binding(5) var<storage, read_write> partials: array<f32>;

// All per-head state lives in workgroup memory and every thread works on scalars: per-thread arrays
// indexed by head spilled to local memory on NVIDIA (~200 µs per 128-key split on an H200).
var<workgroup> q_sh: array<f32, GROUP * HEAD_DIM>;
var<workgroup> acc_sh: array<f32, GROUP * HEAD_DIM>;
var<workgroup> s_sh: array<f32, GROUP * TILE_KEYS>;
var<workgroup> k_sh: array<f32, TILE_KEYS * HEAD_DIM>;
var<workgroup> v_sh: array<f32, TILE_KEYS * HEAD_DIM>;
var<workgroup> m_sh: array<f32, GROUP>;
var<workgroup> l_sh: array<f32, GROUP>;
var<workgroup> alpha_sh: array<f32, GROUP>;

@compute @workgroup_size(WG_SIZE)
fn f32_sdpa_decode_split(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let split = wg.x;
  let kv_head = wg.y;
  let pos = step[0];

  let keys = visible_keys(pos);   // attention_keys.wgsl
  let num_keys = keys.a_len + keys.b_len;
  let split_keys = TILE_KEYS * SPLIT_TILES;
  let first = split * split_keys;
  if (first >= num_keys) { return; }
  let last = min(num_keys, first + split_keys);

  for (var i = tid; i < GROUP * HEAD_DIM; i += WG_SIZE) {
    let h = kv_head * GROUP + i / HEAD_DIM;
    q_sh[i] = qkv[h * HEAD_DIM + i % HEAD_DIM];
    acc_sh[i] = 0.0;
  }
  for (var h = tid; h < GROUP; h += WG_SIZE) {
    m_sh[h] = bitcast<f32>(0xff7fffffu);   // -f32 max: exp(m - x) underflows to 0
    l_sh[h] = 0.0;
  }
  workgroupBarrier();

  for (var tile = first; tile < last; tile += TILE_KEYS) {
    let tile_len = min(TILE_KEYS, last - tile);
    // The tile's k and v rows into workgroup memory, all threads at once and coalesced (consecutive
    // threads read consecutive floats of a row): the loads are independent, so they overlap.
    for (var i = tid; i < tile_len * HEAD_DIM; i += WG_SIZE) {
      let key = i / HEAD_DIM;
      let d = i % HEAD_DIM;
      let j = key_position(keys, tile + key);
      if (j >= pos) {
        k_sh[i] = qkv[(args.num_q_heads + kv_head) * HEAD_DIM + d];
        v_sh[i] = qkv[(args.num_q_heads + args.num_kv_heads + kv_head) * HEAD_DIM + d];
      } else {
        let at = (kv_head * args.capacity + slot_of(j)) * HEAD_DIM + d;
        k_sh[i] = kcache[at];
        v_sh[i] = vcache[at];
      }
    }
    workgroupBarrier();
    // Scores: one (head, key) pair per thread and pass.
    for (var i = tid; i < GROUP * tile_len; i += WG_SIZE) {
      let h = i / tile_len;
      let key = i % tile_len;
      var dot_qk = 0.0;
      for (var d = 0u; d < HEAD_DIM; d++) { dot_qk += q_sh[h * HEAD_DIM + d] * k_sh[key * HEAD_DIM + d]; }
      s_sh[h * TILE_KEYS + key] = dot_qk * args.sm_scale;
    }
    workgroupBarrier();
    // Running max per head (thread h), and the rescale factor of what was accumulated so far.
    for (var h = tid; h < GROUP; h += WG_SIZE) {
      var tile_max = m_sh[h];
      for (var key = 0u; key < tile_len; key++) { tile_max = max(tile_max, s_sh[h * TILE_KEYS + key]); }
      alpha_sh[h] = exp(m_sh[h] - tile_max);
      m_sh[h] = tile_max;
    }
    workgroupBarrier();
    for (var i = tid; i < GROUP * tile_len; i += WG_SIZE) {
      let h = i / tile_len;
      let at = h * TILE_KEYS + i % tile_len;
      s_sh[at] = exp(s_sh[at] - m_sh[h]);
    }
    workgroupBarrier();
    for (var h = tid; h < GROUP; h += WG_SIZE) {
      var tile_sum = 0.0;
      for (var key = 0u; key < tile_len; key++) { tile_sum += s_sh[h * TILE_KEYS + key]; }
      l_sh[h] = l_sh[h] * alpha_sh[h] + tile_sum;
    }
    // Values: one (head, dim) output per thread and pass; consecutive threads, consecutive dims.
    for (var i = tid; i < GROUP * HEAD_DIM; i += WG_SIZE) {
      let h = i / HEAD_DIM;
      let d = i % HEAD_DIM;
      var a = acc_sh[i] * alpha_sh[h];
      for (var key = 0u; key < tile_len; key++) { a += s_sh[h * TILE_KEYS + key] * v_sh[key * HEAD_DIM + d]; }
      acc_sh[i] = a;
    }
    workgroupBarrier();
  }

  let width = HEAD_DIM + 2u;
  for (var i = tid; i < GROUP * HEAD_DIM; i += WG_SIZE) {
    let h = i / HEAD_DIM;
    let base = ((kv_head * GROUP + h) * args.max_splits + split) * width;
    partials[base + 2u + i % HEAD_DIM] = acc_sh[i];
  }
  for (var h = tid; h < GROUP; h += WG_SIZE) {
    let base = ((kv_head * GROUP + h) * args.max_splits + split) * width;
    partials[base] = m_sh[h];
    partials[base + 1u] = l_sh[h];
  }
}
