// RoPE with YaRN, half-split (NeoX) convention, in place on q and k (spec §2.2):
//   for each head, pair i = (a[i], a[i + Dh/2]):  a[i] <- a[i]*cos - a[i+Dh/2]*sin ;  a[i+Dh/2] <- a[i+Dh/2]*cos + a[i]*sin
// qkv: f32 [T, (Hq + 2*Hkv) * Dh]  (q heads, then k heads, then v heads)
// rope: f32 [T, Dh/2, 2] = (cos, sin) of position pos0 + t, with YaRN's concentration already applied;
//       computed on the CPU in float64 from the f32 angle (src/model/rope.ts), so every backend rotates
//       by the same numbers whatever its sin/cos precision.
// One workgroup per token; threads stride over (q and k heads) x Dh/2 pairs.

override WG_SIZE: u32 = 256;

struct Args { num_tokens: u32, num_q_heads: u32, num_kv_heads: u32, head_dim: u32 }   // mirrored by ROPE_ARGS in src/kernels/rope.ts

@group(0) @binding(0) var<uniform> args: Args;
@group(0) @binding(1) var<storage, read> rope: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read_write> qkv: array<f32>;

@compute @workgroup_size(WG_SIZE)
fn f32_rope(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let token_idx = wg.x;
  let half_dim = args.head_dim / 2u;
  let stride = (args.num_q_heads + 2u * args.num_kv_heads) * args.head_dim;
  let num_pairs = (args.num_q_heads + args.num_kv_heads) * half_dim;   // q heads then k heads are contiguous
  for (var pair_idx = tid; pair_idx < num_pairs; pair_idx += WG_SIZE) {
    let head_idx = pair_idx / half_dim;
    let i = pair_idx % half_dim;
    let cs = rope[token_idx * half_dim + i];
    let at = token_idx * stride + head_idx * args.head_dim + i;
    let x1 = qkv[at];
    let x2 = qkv[at + half_dim];
    qkv[at] = x1 * cs.x - x2 * cs.y;
    qkv[at + half_dim] = x2 * cs.x + x1 * cs.y;
  }
}
