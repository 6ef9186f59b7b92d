// Counter-based RNG for the sampler: Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy
// as 1, 2, 3", SC'11; Random123's philox4x32_R with R = 10). Pure u32 arithmetic, so every backend
// gives the same bits; tests/reference/sampler.ts is the CPU twin, checked against Random123's
// known-answer vectors. WGSL has no 32x32->64 multiply, so the high word is built from 16-bit halves.

const PHILOX_M0: u32 = 0xD2511F53u;
const PHILOX_M1: u32 = 0xCD9E8D57u;
const PHILOX_W0: u32 = 0x9E3779B9u;   // golden ratio
const PHILOX_W1: u32 = 0xBB67AE85u;   // sqrt(3) - 1

// (low, high) words of the 64-bit product a * b.
fn mul_wide(a: u32, b: u32) -> vec2<u32> {
  let a_lo = a & 0xffffu;
  let a_hi = a >> 16u;
  let b_lo = b & 0xffffu;
  let b_hi = b >> 16u;
  let lo_lo = a_lo * b_lo;
  let lo_hi = a_lo * b_hi;
  let hi_lo = a_hi * b_lo;
  // < 3 * 2^16: no overflow
  let mid = (lo_lo >> 16u) + (lo_hi & 0xffffu) + (hi_lo & 0xffffu);
  let hi = a_hi * b_hi + (lo_hi >> 16u) + (hi_lo >> 16u) + (mid >> 16u);
  return vec2<u32>(a * b, hi);
}

fn philox4x32_10(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var ctr = counter;
  var k = key;
  for (var round = 0u; round < 10u; round++) {
    let p0 = mul_wide(PHILOX_M0, ctr.x);
    let p1 = mul_wide(PHILOX_M1, ctr.z);
    ctr = vec4<u32>(p1.y ^ ctr.y ^ k.x, p1.x, p0.y ^ ctr.w ^ k.y, p0.x);
    k += vec2<u32>(PHILOX_W0, PHILOX_W1);
  }
  return ctr;
}

// The sampler's uniform for step `step` of a stream seeded with (seed_lo, seed_hi): 24 random bits
// of the first Philox word, u = bits * 2^-24 in [0, 1) (exact in f32, so every backend agrees).
fn sample_uniform(step: u32, seed_lo: u32, seed_hi: u32) -> f32 {
  let bits = philox4x32_10(vec4<u32>(step, 0u, 0u, 0u), vec2<u32>(seed_lo, seed_hi)).x;
  return f32(bits >> 8u) * (1.0 / 16777216.0);
}
