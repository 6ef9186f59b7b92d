// Pass 4's wide-nucleus path (sample-select.wgsl calls it; only when top-p alone needs more tokens
// than the pool's exact prefix holds, decided on the GPU): exact top-p over all V by a threshold.
//   t = the largest key (z, as key_of bits) such that sum_{v: key(v) >= t} e[v] >= top_p * Z
//   kept = { v : key(v) >= t }   (every token tied with t included; the float64 twin is refSelect)
//   then min-p (e >= min_p) and one inverse-CDF draw over the kept tokens in ascending id order.
// The select is a radix select on the 32 key bits, WIDE_DIGIT_BITS per pass, by mass: each pass
// streams the scores once (one workgroup), every thread sums e per digit of the tokens still in
// range, and the digit totals (fixed-order scans, so deterministic) pick the next digit from the top.
// Napkin math: WIDE_PASSES + 1 streams of z (0.8 MB each at V = 201088) through one workgroup, exp
// only for tokens still in range (all of them in the first pass, few after the second).

const WIDE_DIGIT_BITS: u32 = 4u;
const WIDE_BUCKETS: u32 = 16u;   // 1 << WIDE_DIGIT_BITS
const WIDE_PASSES: u32 = 8u;     // 32 / WIDE_DIGIT_BITS

struct WideDraw { chosen: u32, kept_mass: f32, threshold_key: u32 }

// 0, but not a compile-time constant: added to the loop bounds below so that shader compilers keep
// the loops rolled (fully unrolled, the 8 passes x 4 scans cost CPU adapters ~90 s of compilation).
fn opaque_zero() -> u32 {
  return args.vocab_size >> 31u;   // V <= MAX_VOCAB < 2^31
}

// Per digit value of pass pass_idx: the sum of e over the tokens whose higher digits equal prefix's.
fn wide_digit_totals(tid: u32, m_z: f32, prefix: u32, pass_idx: u32) -> array<f32, WIDE_BUCKETS> {
  let shift = 32u - WIDE_DIGIT_BITS * (pass_idx + 1u);
  var acc: array<f32, WIDE_BUCKETS>;
  for (var b = 0u; b < WIDE_BUCKETS; b++) { acc[b] = 0.0; }
  for (var v = tid; v < args.vocab_size; v += WG_SIZE) {
    let bits = scores[v];
    if (bits == NEG_INF_BITS) { continue; }
    let z = bitcast<f32>(bits);
    let key = key_of(z);
    // tokens whose higher digits equal the prefix chosen so far (all of them in the first pass)
    let in_range = pass_idx == 0u || (key >> (shift + WIDE_DIGIT_BITS)) == (prefix >> (shift + WIDE_DIGIT_BITS));
    if (in_range) { acc[(key >> shift) & (WIDE_BUCKETS - 1u)] += rel_mass(z, m_z); }
  }
  var totals: array<f32, WIDE_BUCKETS>;
  for (var q = 0u; q < WIDE_BUCKETS / 4u + opaque_zero(); q++) {
    let s = scan4(tid, vec4<f32>(acc[4u * q], acc[4u * q + 1u], acc[4u * q + 2u], acc[4u * q + 3u]));
    for (var lane = 0u; lane < 4u; lane++) { totals[4u * q + lane] = s.total[lane]; }
  }
  return totals;
}

// The threshold key t of top-p over all V (see the file comment); p_target = top_p * Z.
fn wide_threshold(tid: u32, m_z: f32, p_target: f32) -> u32 {
  var prefix = 0u;
  var above = 0.0;   // mass of the tokens whose key is above the current range
  for (var pass_idx = 0u; pass_idx < WIDE_PASSES + opaque_zero(); pass_idx++) {
    let totals = wide_digit_totals(tid, m_z, prefix, pass_idx);
    // The highest digit whose cumulative mass (from the top) reaches the target; digit 0 when
    // rounding leaves the whole range short of it (then every token of the range is kept).
    var digit = 0u;
    var cum = above;
    var found = false;
    var above_digit = above;
    for (var b = WIDE_BUCKETS; b > 0u; b--) {
      if (!found) { above_digit = cum; digit = b - 1u; }   // ends at digit 0 when nothing reaches it
      cum += totals[b - 1u];
      if (cum >= p_target) { found = true; }
    }
    above = above_digit;
    prefix |= digit << (32u - WIDE_DIGIT_BITS * (pass_idx + 1u));
  }
  return prefix;
}

// The draw over the kept tokens in ascending id order: thread t owns the contiguous ids
// [t * span, (t + 1) * span); a scan of the thread sums finds the owner, which walks its span again.
fn wide_draw(tid: u32, m_z: f32, p_target: f32, u: f32, fallback: u32) -> WideDraw {
  let t_key = wide_threshold(tid, m_z, p_target);
  let span = (args.vocab_size + WG_SIZE - 1u) / WG_SIZE;
  let first_id = tid * span;
  let end_id = min(first_id + span, args.vocab_size);
  var thread_mass = 0.0;
  for (var v = first_id; v < end_id; v++) {
    let w = wide_weight(v, m_z, t_key);
    thread_mass += w;
    if (args.debug != 0u) { atomicStore(&work[args.off_debug + DEBUG_HEADER + 2u * CAND + v], bitcast<u32>(w)); }
  }
  let s = scan_f32(tid, thread_mass);
  let draw_at = u * s.z;
  reset_draw_picks(tid, WG_SIZE, fallback);
  if (thread_mass > 0.0) {
    if (s.y > draw_at) { atomicMin(&picks[PICK_FIRST], tid); }
    atomicMax(&picks[PICK_LAST_END], tid + 1u);
  }
  workgroupBarrier();
  let first_thread = atomicLoad(&picks[PICK_FIRST]);
  let last_end = atomicLoad(&picks[PICK_LAST_END]);
  let owner = select(first_thread, last_end - 1u, first_thread >= WG_SIZE);
  if (tid == owner && last_end > 0u) {
    let rest = draw_at - s.x;
    var cum = 0.0;
    var pick = NO_TOKEN;
    var last = NO_TOKEN;
    for (var v = first_id; v < end_id; v++) {
      let w = wide_weight(v, m_z, t_key);
      if (w > 0.0) {
        cum += w;
        last = v;
        if (pick == NO_TOKEN && first_thread < WG_SIZE && cum > rest) { pick = v; }
      }
    }
    atomicStore(&picks[PICK_CHOSEN], select(pick, last, pick == NO_TOKEN));
  }
  workgroupBarrier();
  return WideDraw(atomicLoad(&picks[PICK_CHOSEN]), s.z, t_key);
}

// The wide path's weight of id v: e when key >= t and e >= min_p (the top token always passes), else 0.
fn wide_weight(v: u32, m_z: f32, t_key: u32) -> f32 {
  let bits = scores[v];
  if (bits == NEG_INF_BITS) { return 0.0; }
  let z = bitcast<f32>(bits);
  let e = rel_mass(z, m_z);
  return select(0.0, e, key_of(z) >= t_key && e >= params.min_p);
}
