// ids[t,:] = argtopK_e(logits[t,e]);  weights[t,:] = softmax(logits[t, ids[t,:]])
//   (spec §2.4: top-K first, then a softmax over the K selected logits only; weights sum to 1)
// logits: f32 [≥T, E] row-major   ids: u32 [≥T, K]   weights: f32 [≥T, K]
// Order: descending logit; equal logits (+0 and -0 included) → lower expert index first (Metal's
// tie-break, and what a stable descending argsort gives). NaN ranks below every number, so the
// result is always K distinct valid expert indices.
// One workgroup per token (folded into y past 65535 tokens), two barriers in all: the token's logits
// go to workgroup memory as order-preserving u32 keys; each invocation ranks its experts
// e = tid, tid + WG_SIZE, … by counting the experts that precede them in (key desc, index asc), a
// strict total order, so ranks are a permutation of 0..E-1 and rank < K places e in the winners
// list; then invocations 0..K-1 each compute the (same, same-order) softmax sum over the K winners
// and write one slot. A rank count is E comparisons per expert, all parallel: for gpt-oss decode
// that is a much shorter dependent chain than K rounds of a barrier-per-level arg-max reduction.
// Napkin: per token reads E*4 bytes, writes K*8; E*E/WG_SIZE comparisons per invocation.

override WG_SIZE: u32 = 128;       // any size; E = 128 gives one expert per invocation
override MAX_EXPERTS: u32 = 256;   // capacity of the key array (1 KiB); the launcher checks E <= MAX_EXPERTS
override MAX_K: u32 = 8;           // capacity of the winners list; the launcher checks K <= MAX_K

const F32_SIGN_BIT: u32 = 0x80000000u;
const F32_ABS_MASK: u32 = 0x7fffffffu;
const F32_INF_BITS: u32 = 0x7f800000u;
const KEY_OF_NAN: u32 = 0u;        // below every number's key (the key of -inf is 0x007fffff)

struct Args { num_tokens: u32, num_experts: u32, num_experts_per_token: u32 }   // mirrored by TOPK_ARGS in src/kernels/topk.ts

@group(0) @binding(0) var<uniform> args: Args;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> ids: array<u32>;
@group(0) @binding(3) var<storage, read_write> weights: array<f32>;

var<workgroup> keys: array<u32, MAX_EXPERTS>;
var<workgroup> winner_index: array<u32, MAX_K>;
var<workgroup> winner_value: array<f32, MAX_K>;

// u32 key with a < b as floats iff key(a) < key(b): flip all bits of negatives, set the sign bit of
// non-negatives. -0 becomes +0 first (they compare equal as floats); NaN (tested on the bits, which
// compilers cannot assume away) gets the smallest key.
fn order_key(value: f32) -> u32 {
  var bits = bitcast<u32>(value);
  if (bits == F32_SIGN_BIT) {
    bits = 0u;
  }
  if ((bits & F32_ABS_MASK) > F32_INF_BITS) {
    return KEY_OF_NAN;
  }
  return select(bits | F32_SIGN_BIT, ~bits, (bits & F32_SIGN_BIT) != 0u);
}

@compute @workgroup_size(WG_SIZE)
fn f32_router_topk_softmax(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                           @builtin(local_invocation_index) tid: u32) {
  let token_idx = wg.y * nwg.x + wg.x;
  if (token_idx >= args.num_tokens) {
    return;
  }
  let num_experts = args.num_experts;
  let num_chosen = args.num_experts_per_token;
  let row = token_idx * num_experts;
  for (var e = tid; e < num_experts; e += WG_SIZE) {
    keys[e] = order_key(logits[row + e]);
  }
  workgroupBarrier();
  for (var e = tid; e < num_experts; e += WG_SIZE) {
    let key = keys[e];
    var rank = 0u;
    for (var j = 0u; j < num_experts; j++) {
      let other = keys[j];
      rank += select(0u, 1u, other > key || (other == key && j < e));
    }
    if (rank < num_chosen) {
      winner_index[rank] = e;
      winner_value[rank] = logits[row + e];
    }
  }
  workgroupBarrier();
  if (tid < num_chosen) {
    // Winner 0 holds the maximum, so exp(v - max) <= 1 cannot overflow. Every invocation sums the
    // K terms in the same order, so the weights are consistent with each other.
    let max_value = winner_value[0];
    var sum = 0.0;
    for (var r = 0u; r < num_chosen; r++) {
      sum += exp(winner_value[r] - max_value);
    }
    let slot_idx = token_idx * num_chosen + tid;
    ids[slot_idx] = winner_index[tid];
    weights[slot_idx] = exp(winner_value[tid] - max_value) / sum;
  }
}
