// ids[out_offset + t] = argmax_v logits[t, v]   (ties -> lowest id; NaN never wins)   — exact
// logits: f32 [T, V]   ids: u32 [*]
// One workgroup per token: each thread scans a strided slice, then a tree reduction on (value, id)
// (argmax_reduce.wgsl). argmax_split.wgsl spreads one row over many workgroups instead.

override WG_SIZE: u32 = 256;

//#include "argmax_reduce.wgsl"

struct Args { num_tokens: u32, vocab_size: u32, out_offset: u32 }   // mirrored by ARGMAX_ARGS in src/kernels/argmax.ts

@group(0) @binding(0) var<uniform> args: Args;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> ids: array<u32>;

@compute @workgroup_size(WG_SIZE)
fn f32_argmax(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let token_idx = wg.x;
  let base = token_idx * args.vocab_size;
  var v_best = 0.0;
  var i_best = NONE;
  for (var v = tid; v < args.vocab_size; v += WG_SIZE) {
    let value = logits[base + v];
    if (beats(value, v, v_best, i_best)) { v_best = value; i_best = v; }
  }
  best_val[tid] = v_best;
  best_id[tid] = i_best;
  reduce_best(tid);
  if (tid == 0u) {
    var id = best_id[0];
    if (id == NONE) { id = 0u; }   // every logit NaN: fall back to id 0
    ids[args.out_offset + token_idx] = id;
  }
}
