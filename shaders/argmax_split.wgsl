// ids[out_offset + t] = argmax_v logits[t, v]   (ties -> lowest id; NaN never wins)   — exact
// The same result as f32_argmax (argmax.wgsl) in two passes, for a decode step where one workgroup
// scanning all V = 201088 logits would take ~0.3 ms on its own:
//   f32_argmax_partial: workgroup (chunk c, token t) reduces logits[t, c*CHUNK .. (c+1)*CHUNK) to
//                       (best value bits, best id) in partials[t, c]
//   f32_argmax_final:   one workgroup per token reduces its num_chunks partials (ties -> lowest id)
// logits: f32 [T, V]   partials: u32 [T, num_chunks, 2]   ids: u32 [*]

override WG_SIZE: u32 = 256;
override CHUNK: u32 = 2048u;

//#include "argmax_reduce.wgsl"

struct Args { num_tokens: u32, vocab_size: u32, out_offset: u32, num_chunks: u32 }   // mirrored by ARGMAX_SPLIT_ARGS in src/kernels/argmax.ts

@group(0) @binding(0) var<uniform> args: Args;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> partials: array<u32>;
@group(0) @binding(3) var<storage, read_write> ids: array<u32>;

@compute @workgroup_size(WG_SIZE)
fn f32_argmax_partial(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let chunk = wg.x;
  let token_idx = wg.y;
  let base = token_idx * args.vocab_size;
  let end = min(args.vocab_size, (chunk + 1u) * CHUNK);
  var v_best = 0.0;
  var i_best = NONE;
  for (var v = chunk * CHUNK + tid; v < end; v += WG_SIZE) {
    let value = logits[base + v];
    if (beats(value, v, v_best, i_best)) { v_best = value; i_best = v; }
  }
  best_val[tid] = v_best;
  best_id[tid] = i_best;
  reduce_best(tid);
  if (tid == 0u) {
    let at = (token_idx * args.num_chunks + chunk) * 2u;
    partials[at] = bitcast<u32>(best_val[0]);
    partials[at + 1u] = best_id[0];
  }
}

@compute @workgroup_size(WG_SIZE)
fn f32_argmax_final(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let token_idx = wg.x;
  var v_best = 0.0;
  var i_best = NONE;
  for (var c = tid; c < args.num_chunks; c += WG_SIZE) {
    let at = (token_idx * args.num_chunks + c) * 2u;
    let value = bitcast<f32>(partials[at]);
    let id = partials[at + 1u];
    if (beats(value, id, v_best, i_best)) { v_best = value; i_best = id; }
  }
  best_val[tid] = v_best;
  best_id[tid] = i_best;
  reduce_best(tid);
  if (tid == 0u) {
    var id = best_id[0];
    if (id == NONE) { id = 0u; }   // every logit NaN: fall back to id 0, like f32_argmax
    ids[args.out_offset + token_idx] = id;
  }
}
