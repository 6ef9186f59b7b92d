// The token sampler: one decode step's logits -> one token id, on the GPU.
//   z[v] = penalise(logits[v])                       bias, then repetition, then presence/frequency; banned ids -> -inf
//   greedy (T = 0 or top_k = 1):  id = argmax z     (ties -> lowest id)
//   otherwise e[v] = exp((z[v] - max z) / T), filtered by top-k -> top-p -> min-p, then one inverse-CDF
//   draw with u = Philox(seed, step) in a fixed order: the sorted pool (z desc, id asc) when top-k or
//   top-p is on, ascending id over all V when not.
// The conventions (filter order, ties, logprobs) are documented in src/kernels/sampler.ts.
// Tensor contracts: sample-common.wgsl.
//
// Four dispatches per step (NWG = ceil(V / CHUNK) workgroups for the V-wide passes):
//   1. f32_sample_scores   [NWG] z -> scores; per-workgroup argmax (key, id)
//   2. f32_sample_mass     [NWG] global argmax; per-workgroup sums of e and of exp(z - max z);
//                                histogram of the distance to the max, BINS_PER_NAT bins per nat
//   3. f32_sample_compact  [NWG] pick the candidate bins (a pool of <= CAND ids that provably holds the
//                                top-k / the nucleus / the top-N logprobs), write the ids per workgroup
//   4. f32_sample_select   [1]   (sample-select.wgsl) gather + bitonic sort of the pool, filters, draw, logprobs, outputs,
//                                penalty-window update, step counter
// Napkin math, V = 201088 on an H100/H200: passes 1-3 each stream 0.8-2.4 MB (~1 us at ~3 TB/s) over
// 50 workgroups, so they cost launch + drain + a few memory round trips (~4 us floor per dependent
// dispatch in one pass); pass 4 is one workgroup: a few round trips, ~10 scans/barrier phases, and a
// bitonic sort of the pool (66 stages for 2040 keys, 21 for 40). Passes 2-3 exit at once when nothing
// needs them (greedy). Measured on an H200 (bench/kernels/sample.bench.ts, 2026-11-22): greedy 18 us
// per step, temperature over all V 27 us, top-k 40 + top-p + penalties 42 us, top-k 1024 68 us.
//
// Numerics: all f32 and all reductions in a fixed order, so a step is deterministic on a device.
// e = exp((z - m) / T) is computed as exp((z - m) * inv_t): no a*b+c, so no FMA contraction can make
// passes disagree. Cross-backend identity holds up to the rounding of exp (a draw flips only when u
// lands within ~1e-6 of a CDF boundary).
//#include "sample-common.wgsl"
//#include "sample-scan.wgsl"

// ---- pass 1: penalties, scores, per-workgroup argmax -----------------------------------------

var<workgroup> red_key: array<u32, WG_SIZE>;
var<workgroup> red_id: array<u32, WG_SIZE>;

@compute @workgroup_size(WG_SIZE)
fn f32_sample_scores(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let chunk_idx = wg.x;
  // Clear this workgroup's share of the global histogram that pass 2 fills (its last readers were
  // passes 3-4 of the previous step: dispatch order makes this safe).
  let bins_per_wg = (NUM_BINS + args.num_chunks - 1u) / args.num_chunks;
  for (var b = tid; b < bins_per_wg; b += WG_SIZE) {
    let bin = chunk_idx * bins_per_wg + b;
    if (bin < NUM_BINS) { atomicStore(&work[args.off_hist + bin], 0u); }
  }
  var best_key = 0u;
  var best_id = NO_TOKEN;
  // Strided (coalesced) ids, and every load issued before any store: with ~50 workgroups the pass is
  // bound by memory latency, so each thread keeps ITEMS loads in flight (clamped ids keep them in
  // bounds; stores to `scores` could otherwise be ordered before later loads).
  let base = chunk_idx * CHUNK + tid;
  let last = args.vocab_size - 1u;
  var raw: array<f32, ITEMS>;
  var bias_of: array<f32, ITEMS>;
  var count_of: array<u32, ITEMS>;
  for (var i = 0u; i < ITEMS; i++) { raw[i] = logits[args.logits_offset + min(base + i * WG_SIZE, last)]; }
  if ((params.flags & FLAG_BIAS) != 0u) {
    for (var i = 0u; i < ITEMS; i++) { bias_of[i] = bias[min(base + i * WG_SIZE, last)]; }
  }
  if ((params.flags & FLAG_PENALTIES) != 0u) {
    for (var i = 0u; i < ITEMS; i++) { count_of[i] = counts[min(base + i * WG_SIZE, last)]; }
  }
  for (var i = 0u; i < ITEMS; i++) {
    let v = base + i * WG_SIZE;
    if (v < args.vocab_size) {
      var key = 0u;
      if (is_banned(v, bias_of[i])) {
        scores[v] = NEG_INF_BITS;
      } else {
        let z = penalise(raw[i], bias_of[i], count_of[i]);
        scores[v] = bitcast<u32>(z);
        key = key_of(z);
      }
      if (better(key, v, best_key, best_id)) { best_key = key; best_id = v; }
    }
  }
  red_key[tid] = best_key;
  red_id[tid] = best_id;
  workgroupBarrier();
  for (var stride = WG_SIZE / 2u; stride > 0u; stride >>= 1u) {
    if (tid < stride && better(red_key[tid + stride], red_id[tid + stride], red_key[tid], red_id[tid])) {
      red_key[tid] = red_key[tid + stride];
      red_id[tid] = red_id[tid + stride];
    }
    workgroupBarrier();
  }
  if (tid == 0u) {
    atomicStore(&work[chunk_idx * PARTIAL_WORDS + PARTIAL_KEY], red_key[0]);
    atomicStore(&work[chunk_idx * PARTIAL_WORDS + PARTIAL_ID], red_id[0]);
  }
}

// ---- pass 2: global max, masses, histogram ---------------------------------------------------

var<workgroup> hist_local: array<atomic<u32>, NUM_BINS>;
var<workgroup> red_mass: array<f32, WG_SIZE>;
var<workgroup> red_mass_t1: array<f32, WG_SIZE>;

@compute @workgroup_size(WG_SIZE)
fn f32_sample_mass(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let chunk_idx = wg.x;
  let want_logprobs = (params.flags & FLAG_LOGPROBS) != 0u;
  let want_mass = params.mode != MODE_GREEDY || want_logprobs;
  let want_hist = params.pool_need > 0u;
  if (!want_mass && chunk_idx != 0u) { return; }

  // Global argmax over pass 1's partials: every workgroup gets the same (integer) result.
  var best_key = 0u;
  var best_id = NO_TOKEN;
  for (var w = tid; w < args.num_chunks; w += WG_SIZE) {
    let key = atomicLoad(&work[w * PARTIAL_WORDS + PARTIAL_KEY]);
    let id = atomicLoad(&work[w * PARTIAL_WORDS + PARTIAL_ID]);
    if (better(key, id, best_key, best_id)) { best_key = key; best_id = id; }
  }
  red_key[tid] = best_key;
  red_id[tid] = best_id;
  if (want_hist) {
    for (var b = tid; b < NUM_BINS; b += WG_SIZE) { atomicStore(&hist_local[b], 0u); }
  }
  workgroupBarrier();
  for (var stride = WG_SIZE / 2u; stride > 0u; stride >>= 1u) {
    if (tid < stride && better(red_key[tid + stride], red_id[tid + stride], red_key[tid], red_id[tid])) {
      red_key[tid] = red_key[tid + stride];
      red_id[tid] = red_id[tid + stride];
    }
    workgroupBarrier();
  }
  let gmax_key = red_key[0];
  if (chunk_idx == 0u && tid == 0u) {
    atomicStore(&work[args.off_plan + PLAN_GMAX_KEY], gmax_key);
    atomicStore(&work[args.off_plan + PLAN_GMAX_ID], red_id[0]);
  }
  if (!want_mass) { return; }

  let m_z = z_of_key(gmax_key);   // (all banned: no token passes the test below)
  var mass = 0.0;
  var mass_t1 = 0.0;
  let base = chunk_idx * CHUNK + tid;
  let last = args.vocab_size - 1u;
  var z_bits: array<u32, ITEMS>;
  for (var i = 0u; i < ITEMS; i++) { z_bits[i] = scores[min(base + i * WG_SIZE, last)]; }   // loads first
  for (var i = 0u; i < ITEMS; i++) {
    let v = base + i * WG_SIZE;
    if (v >= args.vocab_size) { break; }
    let bits = z_bits[i];
    var weight = 0.0;
    if (bits != NEG_INF_BITS) {
      let z = bitcast<f32>(bits);
      if (params.mode != MODE_GREEDY) {
        weight = sample_weight(z, m_z);
        mass += weight;
      }
      if (want_logprobs) { mass_t1 += exp(z - m_z); }
      if (want_hist) { atomicAdd(&hist_local[bin_of(z, m_z)], 1u); }
    }
    if (args.debug != 0u) { atomicStore(&work[args.off_debug + DEBUG_HEADER + 2u * CAND + v], bitcast<u32>(weight)); }
  }
  red_mass[tid] = mass;
  red_mass_t1[tid] = mass_t1;
  workgroupBarrier();
  for (var stride = WG_SIZE / 2u; stride > 0u; stride >>= 1u) {
    if (tid < stride) {
      red_mass[tid] += red_mass[tid + stride];
      red_mass_t1[tid] += red_mass_t1[tid + stride];
    }
    workgroupBarrier();
  }
  if (tid == 0u) {
    atomicStore(&work[chunk_idx * PARTIAL_WORDS + PARTIAL_MASS], bitcast<u32>(red_mass[0]));
    atomicStore(&work[chunk_idx * PARTIAL_WORDS + PARTIAL_MASS_T1], bitcast<u32>(red_mass_t1[0]));
  }
  if (want_hist) {
    // ~hundreds of distinct bins per chunk: a few thousand global atomics per step in all.
    for (var b = tid; b < NUM_BINS; b += WG_SIZE) {
      let c = atomicLoad(&hist_local[b]);
      if (c != 0u) { atomicAdd(&work[args.off_hist + b], c); }
    }
  }
}

// ---- pass 3: candidate bins and compaction ---------------------------------------------------

const PICK_REQ: u32 = 0u;       // first bin where the count reaches pool_need
const PICK_FIT_END: u32 = 1u;   // bins below this hold <= CAND tokens
const PICK_MASS: u32 = 2u;      // first bin where the mass lower bound reaches top_p * Z (+ margin)

@compute @workgroup_size(WG_SIZE)
fn f32_sample_compact(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  if (params.pool_need == 0u) { return; }
  let chunk_idx = wg.x;
  // Every load this pass needs is independent of the plan: issue them all first (latency-bound).
  // Thread t owns tokens [t * ITEMS, (t + 1) * ITEMS) of the chunk (contiguous: thread order is id
  // order, for the ordered compaction below), bins [t * BINS_PER_THREAD, ...) of the histogram.
  let base = chunk_idx * CHUNK + tid * ITEMS;
  let last = args.vocab_size - 1u;
  var z_bits: array<u32, ITEMS>;
  for (var i = 0u; i < ITEMS; i++) { z_bits[i] = scores[min(base + i, last)]; }
  let bin0 = tid * BINS_PER_THREAD;
  var hist: array<u32, BINS_PER_THREAD>;
  for (var j = 0u; j < BINS_PER_THREAD; j++) { hist[j] = atomicLoad(&work[args.off_hist + bin0 + j]); }
  var mass = 0.0;
  if (tid < args.num_chunks) { mass = bitcast<f32>(atomicLoad(&work[tid * PARTIAL_WORDS + PARTIAL_MASS])); }
  let m_z = z_of_key(atomicLoad(&work[args.off_plan + PLAN_GMAX_KEY]));

  // 1. The plan, from the histogram (every workgroup computes the same one).
  var count_local = 0u;
  var floor_local = 0.0;
  for (var j = 0u; j < BINS_PER_THREAD; j++) {
    count_local += hist[j];
    floor_local += f32(hist[j]) * bin_floor_mass(bin0 + j);
  }
  let plan_scan = scan4(tid, vec4<f32>(f32(count_local), floor_local, mass, 0.0));
  let total_mass = plan_scan.total.z;
  // Top-p without top-k: the pool must provably hold the nucleus. Every token of bin i has
  // e > exp(-(i+1)/BINS_PER_NAT), so once sum_{i<=b} count_i * exp(-(i+1)/BINS_PER_NAT) >= top_p * Z
  // the tokens of bins <= b (a prefix of the order) carry at least top_p of the mass.
  let use_mass_bound = params.mode == MODE_POOL && params.top_k == 0u && params.top_p < 1.0;
  let mass_target = params.top_p * total_mass * (1.0 + NUCLEUS_MARGIN);
  let need = min(params.pool_need, u32(plan_scan.total.x));
  if (tid == 0u) {
    atomicStore(&picks[PICK_REQ], NUM_BINS);
    atomicStore(&picks[PICK_FIT_END], 0u);
    atomicStore(&picks[PICK_MASS], NUM_BINS - 1u);
  }
  workgroupBarrier();
  var count_cum = u32(plan_scan.excl.x);
  var floor_cum = plan_scan.excl.y;
  for (var j = 0u; j < BINS_PER_THREAD; j++) {
    let bin = bin0 + j;
    count_cum += hist[j];
    floor_cum += f32(hist[j]) * bin_floor_mass(bin);
    if (need > 0u && count_cum >= need) { atomicMin(&picks[PICK_REQ], bin); }
    if (count_cum <= CAND) { atomicMax(&picks[PICK_FIT_END], bin + 1u); }
    if (use_mass_bound && floor_cum >= mass_target) { atomicMin(&picks[PICK_MASS], bin); }
  }
  workgroupBarrier();
  let req = atomicLoad(&picks[PICK_REQ]);
  let fit_end = atomicLoad(&picks[PICK_FIT_END]);
  var target_bin = req;
  if (use_mass_bound) { target_bin = max(req, atomicLoad(&picks[PICK_MASS])); }
  var full_bins = 0u;
  var edge_bin = NUM_BINS;
  var plan_flags = 0u;
  if (req >= NUM_BINS) {
    full_bins = 0u;                      // no valid token: empty pool
  } else if (target_bin < fit_end) {
    full_bins = target_bin + 1u;         // exact: a prefix of whole bins
  } else if (req < fit_end) {
    full_bins = fit_end;                 // the nucleus bound does not fit: as many whole bins as fit
    plan_flags = RESULT_POOL_CAPPED;
  } else {
    full_bins = req;                     // the count needs part of bin `req`: its lowest ids
    edge_bin = req;
    plan_flags = RESULT_BOUNDARY_OVERFLOW;
  }

  // 2. Ordered compaction (thread order is id order, so the edge tokens of each workgroup come out
  //    in ascending id). A region entry is (id, key): pass 4 needs no second read for the key.
  const CLASS_NONE: u32 = 0u;
  const CLASS_FULL: u32 = 1u;
  const CLASS_EDGE: u32 = 2u;
  var class_of: array<u32, ITEMS>;
  var num_full = 0u;
  var num_edge = 0u;
  for (var i = 0u; i < ITEMS; i++) {
    class_of[i] = CLASS_NONE;
    if (base + i < args.vocab_size && z_bits[i] != NEG_INF_BITS) {
      let bin = bin_of(bitcast<f32>(z_bits[i]), m_z);
      if (bin < full_bins) {
        class_of[i] = CLASS_FULL;
        num_full++;
      } else if (bin == edge_bin) {
        class_of[i] = CLASS_EDGE;
        num_edge++;
      }
    }
  }
  let class_scan = scan4(tid, vec4<f32>(f32(num_full), f32(num_edge), 0.0, 0.0));
  let chunk_full = u32(class_scan.total.x);
  var at_full = u32(class_scan.excl.x);
  var at_edge = chunk_full + u32(class_scan.excl.y);
  let region = args.off_regions + chunk_idx * CAND * 2u;
  for (var i = 0u; i < ITEMS; i++) {
    let key = key_of(bitcast<f32>(z_bits[i]));
    if (class_of[i] == CLASS_FULL) {
      atomicStore(&work[region + 2u * at_full], base + i);
      atomicStore(&work[region + 2u * at_full + 1u], key);
      at_full++;
    } else if (class_of[i] == CLASS_EDGE) {
      if (at_edge < CAND) {
        atomicStore(&work[region + 2u * at_edge], base + i);
        atomicStore(&work[region + 2u * at_edge + 1u], key);
      }
      at_edge++;
    }
  }
  if (tid == 0u) {
    let chunk_edge = min(u32(class_scan.total.y), CAND - chunk_full);
    atomicStore(&work[args.off_region_counts + 2u * chunk_idx], chunk_full);
    atomicStore(&work[args.off_region_counts + 2u * chunk_idx + 1u], chunk_edge);
    if (chunk_idx == 0u) {
      atomicStore(&work[args.off_plan + PLAN_FULL_BINS], full_bins);
      atomicStore(&work[args.off_plan + PLAN_EDGE_BIN], edge_bin);
      atomicStore(&work[args.off_plan + PLAN_FLAGS], plan_flags);
    }
  }
}
