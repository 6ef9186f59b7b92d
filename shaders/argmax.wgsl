// ids[out_offset + t] = argmax_v logits[t, v]   (ties -> lowest id; NaN never wins)   — exact
// logits: f32 [T, V]   ids: u32 [*]
// One workgroup per token: each thread scans a strided slice, then a tree reduction on (value, id).

override WG_SIZE: u32 = 256;

struct Args { num_tokens: u32, vocab_size: u32, out_offset: u32 }   // mirrored by ARGMAX_ARGS in src/kernels/argmax.ts

@group(0) @binding(0) var<uniform> args: Args;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> ids: array<u32>;

var<workgroup> best_val: array<f32, WG_SIZE>;
var<workgroup> best_id: array<u32, WG_SIZE>;

@compute @workgroup_size(WG_SIZE)
fn f32_argmax(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let token_idx = wg.x;
  let base = token_idx * args.vocab_size;
  var v_best = bitcast<f32>(0xff7fffffu);   // -f32 max
  var i_best = 0xffffffffu;
  for (var v = tid; v < args.vocab_size; v += WG_SIZE) {
    let value = logits[base + v];
    if (value > v_best || (i_best == 0xffffffffu && value == v_best)) { v_best = value; i_best = v; }
  }
  best_val[tid] = v_best;
  best_id[tid] = i_best;
  workgroupBarrier();
  for (var stride = WG_SIZE / 2u; stride > 0u; stride >>= 1u) {
    if (tid < stride) {
      let ov = best_val[tid + stride];
      let oi = best_id[tid + stride];
      let mv = best_val[tid];
      let mi = best_id[tid];
      if (ov > mv || (ov == mv && oi < mi)) { best_val[tid] = ov; best_id[tid] = oi; }
    }
    workgroupBarrier();
  }
  if (tid == 0u) {
    var id = best_id[0];
    if (id == 0xffffffffu) { id = 0u; }   // every logit NaN or -inf below f32 max: fall back to id 0
    ids[args.out_offset + token_idx] = id;
  }
}
