// Copy this batch's k and v (already rotated) into a layer's KV cache, after attention has read them:
//   kcache[kv_head, slot(p), :] = k[t, kv_head, :],  vcache likewise,  p = pos0 + t
// qkv: f32 [T, (Hq + 2*Hkv) * Dh]   kcache, vcache: f32 [Hkv, S, Dh]   step: u32 [>=1], step[0] = pos0
// slot(p) = p < keep ? p : keep + (p - keep) % (S - keep)   (a ring after the first `keep` positions;
// keep = 0 for sliding layers, S >= total for a plain full cache). A position that a later token of
// the same batch overwrites is skipped, so no two threads write one slot.
// One workgroup per token; threads stride over Hkv * Dh.

override WG_SIZE: u32 = 256;

struct Args { num_tokens: u32, num_q_heads: u32, num_kv_heads: u32, head_dim: u32, keep: u32, capacity: u32 }   // mirrored by KV_WRITE_ARGS in src/kernels/attention.ts

@group(0) @binding(0) var<uniform> args: Args;
@group(0) @binding(1) var<storage, read> step: array<u32>;
@group(0) @binding(2) var<storage, read> qkv: array<f32>;
@group(0) @binding(3) var<storage, read_write> kcache: array<f32>;
@group(0) @binding(4) var<storage, read_write> vcache: array<f32>;

@compute @workgroup_size(WG_SIZE)
fn f32_kv_write(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let token_idx = wg.x;
  let pos0 = step[0];
  let pos = pos0 + token_idx;
  let last = pos0 + args.num_tokens - 1u;
  let ring = args.capacity - args.keep;
  if (pos >= args.keep && pos + ring <= last) { return; }   // overwritten later in this batch
  var slot = pos;
  if (pos >= args.keep) { slot = args.keep + (pos - args.keep) % ring; }
  let stride = (args.num_q_heads + 2u * args.num_kv_heads) * args.head_dim;
  let k_base = token_idx * stride + args.num_q_heads * args.head_dim;
  let v_base = k_base + args.num_kv_heads * args.head_dim;
  let width = args.num_kv_heads * args.head_dim;
  for (var i = tid; i < width; i += WG_SIZE) {
    let kv_head = i / args.head_dim;
    let d = i % args.head_dim;
    let dst = (kv_head * args.capacity + slot) * args.head_dim + d;
    kcache[dst] = qkv[k_base + i];
    vcache[dst] = qkv[v_base + i];
  }
}
