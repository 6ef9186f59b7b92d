// sums[w] = Σ (wrapping u32) of every lane of the src words that workgroup w reads: a streaming read
// of the whole buffer, to measure the adapter's achievable memory bandwidth (the roofline of the
// bandwidth-bound decode kernels). The sums are written once per workgroup so no load can be elided.
// src: u32x4 [N4] (16-byte words)   sums: u32 [num_workgroups]
// Two access patterns, because which one reaches the memory's peak differs between GPUs (the
// launcher times both and keeps the faster):
//   u32_stream_read          grid-stride: thread g of G reads words g, g + G, g + 2G, …
//   u32_stream_read_blocked  workgroup w reads its own contiguous block of vec4_per_workgroup words,
//                            threads striding by WG_SIZE inside it (the pattern of the GEMV kernels)
// Both are coalesced (consecutive threads read consecutive 16-byte words) with UNROLL independent
// loads in flight per thread, then a tree reduction in workgroup memory (no subgroup-size
// assumption). Napkin: reads N4 * 16 bytes, writes 4 bytes per workgroup.

override WG_SIZE: u32 = 256;
const UNROLL: u32 = 4u;

struct Args { num_vec4: u32, num_threads: u32, vec4_per_workgroup: u32 }   // mirrored by STREAM_READ_ARGS in src/kernels/stream-read.ts

@group(0) @binding(0) var<uniform> args: Args;
@group(0) @binding(1) var<storage, read> src: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> sums: array<u32>;

var<workgroup> partial: array<u32, WG_SIZE>;

@compute @workgroup_size(WG_SIZE)
fn u32_stream_read(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let thread_idx = wg.x * WG_SIZE + tid;
  let stride = args.num_threads;
  let n = args.num_vec4;
  var acc0 = vec4<u32>(0u);
  var acc1 = vec4<u32>(0u);
  var acc2 = vec4<u32>(0u);
  var acc3 = vec4<u32>(0u);
  var i = thread_idx;
  // Main loop: UNROLL independent loads per iteration (i + 3·stride < n keeps all four in range).
  while (i + (UNROLL - 1u) * stride < n) {
    acc0 += src[i];
    acc1 += src[i + stride];
    acc2 += src[i + 2u * stride];
    acc3 += src[i + 3u * stride];
    i += UNROLL * stride;
  }
  while (i < n) {
    acc0 += src[i];
    i += stride;
  }
  reduce_and_store(acc0 + acc1 + acc2 + acc3, wg.x, tid);
}

fn reduce_and_store(acc: vec4<u32>, wg_idx: u32, tid: u32) {
  partial[tid] = acc.x + acc.y + acc.z + acc.w;
  workgroupBarrier();
  for (var half = WG_SIZE / 2u; half > 0u; half >>= 1u) {
    if (tid < half) { partial[tid] += partial[tid + half]; }
    workgroupBarrier();
  }
  if (tid == 0u) { sums[wg_idx] = partial[0]; }
}

@compute @workgroup_size(WG_SIZE)
fn u32_stream_read_blocked(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let start = wg.x * args.vec4_per_workgroup;
  let end = min(args.num_vec4, start + args.vec4_per_workgroup);
  var acc0 = vec4<u32>(0u);
  var acc1 = vec4<u32>(0u);
  var acc2 = vec4<u32>(0u);
  var acc3 = vec4<u32>(0u);
  var i = start + tid;
  while (i + (UNROLL - 1u) * WG_SIZE < end) {
    acc0 += src[i];
    acc1 += src[i + WG_SIZE];
    acc2 += src[i + 2u * WG_SIZE];
    acc3 += src[i + 3u * WG_SIZE];
    i += UNROLL * WG_SIZE;
  }
  while (i < end) {
    acc0 += src[i];
    i += WG_SIZE;
  }
  reduce_and_store(acc0 + acc1 + acc2 + acc3, wg.x, tid);
}
