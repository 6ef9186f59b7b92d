// y[t,c] = x[t,c] * inverseSqrt(mean_c(x[t,:]^2) + eps) * w[c]          (spec §2.1; eps inside the root)
// x: f32 [T, C] (row x_offset_rows + t)   w: bf16 [C] (2 per u32)   y: f32 [T, C]
// One workgroup per token; threads stride over C, then a tree reduction in workgroup memory
// (no subgroup-size assumption). All arithmetic in f32, like the Metal reference.
//#include "bf16.wgsl"

override WG_SIZE: u32 = 256;

struct Args { num_tokens: u32, num_channels: u32, epsilon: f32 }   // mirrored by ARGS in src/kernels/rmsnorm.ts

@group(0) @binding(0) var<uniform> args: Args;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<u32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

var<workgroup> partial: array<f32, WG_SIZE>;

@compute @workgroup_size(WG_SIZE)
fn f32_bf16w_rmsnorm(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let token_idx = wg.x;
  let base = token_idx * args.num_channels;
  var sum_sq = 0.0;
  for (var c = tid; c < args.num_channels; c += WG_SIZE) {
    let v = x[base + c];
    sum_sq += v * v;
  }
  partial[tid] = sum_sq;
  workgroupBarrier();
  for (var stride = WG_SIZE / 2u; stride > 0u; stride >>= 1u) {
    if (tid < stride) { partial[tid] += partial[tid + stride]; }
    workgroupBarrier();
  }
  let scale = inverseSqrt(partial[0] / f32(args.num_channels) + args.epsilon);
  for (var c = tid; c < args.num_channels; c += WG_SIZE) {
    y[base + c] = (x[base + c] * scale) * bf16_of(w[c >> 1u], c);
  }
}
