// Pass 4 of the sampler (pass 1-3 and the whole picture: sample.wgsl): one workgroup gathers the
// pool from pass 3's regions, sorts it (z desc, id asc), applies top-k -> top-p -> min-p, draws with
// u = Philox(seed, step), writes the id, the history and logprobs, and moves the penalty window and
// the step counter. Without a pool (temperature only) it draws over all V in id order in two levels.
// Top-p alone with a nucleus wider than the pool's exact prefix: exact threshold draw over all V
// (sample-wide.wgsl), decided here, on the GPU; the pool then only serves the top-N logprobs.
//#include "sample-rng.wgsl"
//#include "sample-common.wgsl"
//#include "sample-scan.wgsl"
//#include "sample-wide.wgsl"

const SORT_ITEMS: u32 = 8;       // pool slots per thread (WG_SIZE * SORT_ITEMS >= CAND)
const EDGE_TABLE: u32 = 260;     // offsets of the gather's second and third tables in pool_id (>= max NWG + 1)
const COUNT_TABLE: u32 = 520;

const PICK_LEN: u32 = 0u;          // top-p: first slot past the nucleus
const PICK_FIRST: u32 = 1u;        // first slot / chunk / thread whose inclusive sum exceeds the draw point
const PICK_LAST_END: u32 = 2u;     // one past the last one with non-zero mass (fallback)
const PICK_CHOSEN: u32 = 3u;
const BC_POOL_COUNT: u32 = 0u;
const BC_RESIDUAL: u32 = 1u;
const BC_WIDE: u32 = 2u;

// Reset the three picks of a draw (first crossing, last non-empty, chosen id) from thread 0.
fn reset_draw_picks(tid: u32, first: u32, chosen: u32) {
  if (tid == 0u) {
    atomicStore(&picks[PICK_FIRST], first);
    atomicStore(&picks[PICK_LAST_END], 0u);
    atomicStore(&picks[PICK_CHOSEN], chosen);
  }
  workgroupBarrier();
}

// Bitonic sort of pool_key/pool_id[0, n) into the sampler's order (z desc, id asc). The "flip"
// formulation keeps every block in the same direction, so slots >= n act as virtual worst elements
// and any n works (pairs whose partner is >= n are skipped). n must be workgroup-uniform.
fn compare_swap(i: u32, partner: u32, n: u32) {
  if (partner < n) {
    let key_a = pool_key[i];
    let id_a = pool_id[i];
    let key_b = pool_key[partner];
    let id_b = pool_id[partner];
    if (better(key_b, id_b, key_a, id_a)) {
      pool_key[i] = key_b;
      pool_id[i] = id_b;
      pool_key[partner] = key_a;
      pool_id[partner] = id_a;
    }
  }
}

fn bitonic_sort(tid: u32, n: u32) {
  var size = 1u;
  while (size < n) { size <<= 1u; }
  let num_pairs = size / 2u;
  // Block and distance sizes are powers of two: masks and shifts, no integer division (GPUs emulate it).
  for (var log_k = 1u; (1u << log_k) <= size; log_k++) {
    let k = 1u << log_k;
    let half_mask = (k >> 1u) - 1u;
    for (var p = tid; p < num_pairs; p += WG_SIZE) {
      let offset = p & half_mask;
      let i = ((p >> (log_k - 1u)) << log_k) + offset;
      compare_swap(i, i + k - 1u - 2u * offset, n);   // mirror partner inside the block
    }
    workgroupBarrier();
    for (var log_j = log_k - 1u; log_j > 0u; log_j--) {
      let j = 1u << (log_j - 1u);
      for (var p = tid; p < num_pairs; p += WG_SIZE) {
        let i = ((p >> (log_j - 1u)) << log_j) + (p & (j - 1u));
        compare_swap(i, i + j, n);
      }
      workgroupBarrier();
    }
  }
}

// The slot of the last workgroup region whose prefix-table entry is <= slot (table at pool_id[at]).
fn find_region(at: u32, slot: u32) -> u32 {
  var lo = 0u;
  var hi = args.num_chunks;   // invariant: table[lo] <= slot < table[hi] (table[num_chunks] = total)
  while (hi - lo > 1u) {
    let mid = (lo + hi) / 2u;
    if (pool_id[at + mid] <= slot) { lo = mid; } else { hi = mid; }
  }
  return lo;
}

@compute @workgroup_size(WG_SIZE)
fn f32_sample_select(@builtin(local_invocation_index) tid: u32) {
  // Pass 4 is a chain of dependent steps on one workgroup, and each global round trip costs ~1 us:
  // every load that depends on nothing is issued here, together.
  let gmax_key = atomicLoad(&work[args.off_plan + PLAN_GMAX_KEY]);
  let gmax_id = atomicLoad(&work[args.off_plan + PLAN_GMAX_ID]);
  let plan_flags = atomicLoad(&work[args.off_plan + PLAN_FLAGS]);
  let step = state[STATE_STEP];
  let window_end = state[STATE_WINDOW_END];
  let want_logprobs = (params.flags & FLAG_LOGPROBS) != 0u;
  var chunk_mass = 0.0;
  var chunk_mass_t1 = 0.0;
  var num_full = 0u;
  var num_edge = 0u;
  if (tid < args.num_chunks) {
    if (params.mode != MODE_GREEDY || want_logprobs) {
      chunk_mass = bitcast<f32>(atomicLoad(&work[tid * PARTIAL_WORDS + PARTIAL_MASS]));
      chunk_mass_t1 = bitcast<f32>(atomicLoad(&work[tid * PARTIAL_WORDS + PARTIAL_MASS_T1]));
    }
    if (params.pool_need > 0u) {
      num_full = atomicLoad(&work[args.off_region_counts + 2u * tid]);
      num_edge = atomicLoad(&work[args.off_region_counts + 2u * tid + 1u]);
    }
  }
  // The token leaving the penalty window does not depend on this step's choice.
  let window = params.penalty_window;
  var evict_id = NO_TOKEN;
  var evict_count = 0u;
  if (tid == 0u && window > 0u && window_end >= window) {
    evict_id = rings[(window_end - window) % args.ring_size];
    evict_count = counts[evict_id];
  }
  let m_z = z_of_key(gmax_key);
  let u = sample_uniform(step, params.seed_lo, params.seed_hi);
  var flags = select(0u, RESULT_NO_VALID_TOKEN, gmax_key == 0u);

  // Totals over pass 2's partials (the same scan as pass 3's: the same bits), and the pool's region
  // counts (as f32 lanes: exact, they are <= CAND). Plain greedy needs none of it.
  var totals: Scan;
  if (params.mode != MODE_GREEDY || want_logprobs || params.pool_need > 0u) {
    totals = scan4(tid, vec4<f32>(chunk_mass, chunk_mass_t1, f32(num_full), f32(num_edge)));
  }
  let mass_scan = vec3<f32>(totals.excl.x, totals.incl.x, totals.total.x);
  let total_mass = totals.total.x;
  let total_mass_t1 = totals.total.y;

  // 1. Gather the pool into registers: thread t holds slots [t * SORT_ITEMS, (t + 1) * SORT_ITEMS).
  var r_key: array<u32, SORT_ITEMS>;
  var r_id: array<u32, SORT_ITEMS>;
  var n = 0u;
  var total_full = 0u;   // the pool's first total_full slots (whole bins) are an exact prefix of the order
  if (params.pool_need > 0u) {
    flags |= plan_flags;
    let full_excl = u32(totals.excl.z);
    total_full = u32(totals.total.z);
    let edge_excl = u32(totals.excl.w);
    let total_edge = u32(totals.total.w);
    // Tables in pool_id (free until the gathered ids are written back): exclusive prefix of the
    // full counts at [0, NWG] (total last), of the edge counts at EDGE_TABLE, full counts at COUNT_TABLE.
    if (tid < args.num_chunks) {
      pool_id[tid] = full_excl;
      pool_id[EDGE_TABLE + tid] = edge_excl;
      pool_id[COUNT_TABLE + tid] = num_full;
    }
    if (tid == 0u) {
      pool_id[args.num_chunks] = total_full;
      pool_id[EDGE_TABLE + args.num_chunks] = total_edge;
      bcast[BC_POOL_COUNT] = min(total_full + total_edge, CAND);
    }
    n = workgroupUniformLoad(&bcast[BC_POOL_COUNT]);
    // Addresses first (workgroup memory only), then all SORT_ITEMS loads in flight at once.
    var at: array<u32, SORT_ITEMS>;
    for (var j = 0u; j < SORT_ITEMS; j++) {
      let slot = tid * SORT_ITEMS + j;
      var entry = 0u;
      if (slot < total_full) {
        let w = find_region(0u, slot);
        entry = w * CAND + slot - pool_id[w];
      } else if (slot < n) {
        let edge_slot = slot - total_full;
        let w = find_region(EDGE_TABLE, edge_slot);
        entry = w * CAND + pool_id[COUNT_TABLE + w] + edge_slot - pool_id[EDGE_TABLE + w];
      }
      at[j] = args.off_regions + 2u * entry;
    }
    for (var j = 0u; j < SORT_ITEMS; j++) {
      if (tid * SORT_ITEMS + j < n) {
        r_id[j] = atomicLoad(&work[at[j]]);
        r_key[j] = atomicLoad(&work[at[j] + 1u]);
      }
    }
    workgroupBarrier();
    for (var j = 0u; j < SORT_ITEMS; j++) {
      let slot = tid * SORT_ITEMS + j;
      if (slot < n) {
        pool_id[slot] = r_id[j];
        pool_key[slot] = r_key[j];
      }
    }
    workgroupBarrier();
    bitonic_sort(tid, n);
    for (var j = 0u; j < SORT_ITEMS; j++) {
      let slot = tid * SORT_ITEMS + j;
      r_key[j] = 0u;
      r_id[j] = NO_TOKEN;
      if (slot < n) {
        r_key[j] = pool_key[slot];
        r_id[j] = pool_id[slot];
      }
    }
    // (scan_* starts with a barrier, so pool_key may be reused as scratch from here on; pool_id
    //  keeps the sorted ids.)
  }

  // 2. The choice.
  var chosen = gmax_id;
  var kept_mass = 0.0;
  var top_p_len = 0u;
  var r_prob: array<f32, SORT_ITEMS>;
  if (params.mode == MODE_POOL) {
    var r_mass: array<f32, SORT_ITEMS>;
    let top_k_len = select(n, min(params.top_k, n), params.top_k > 0u);
    var local = 0.0;
    for (var j = 0u; j < SORT_ITEMS; j++) {
      let slot = tid * SORT_ITEMS + j;
      r_mass[j] = 0.0;
      if (slot < top_k_len) { r_mass[j] = rel_mass(z_of_key(r_key[j]), m_z); }
      local += r_mass[j];
    }
    let k_scan = scan_f32(tid, local);
    // Top-p: the shortest prefix whose mass reaches top_p * Z, Z = the top-k mass (or all of V).
    let z_ref = select(total_mass, k_scan.z, params.top_k > 0u);
    let p_target = params.top_p * z_ref;
    reset_pick(tid, PICK_LEN, top_k_len);
    if (params.top_p < 1.0) {
      var cum = k_scan.x;
      for (var j = 0u; j < SORT_ITEMS; j++) {
        let slot = tid * SORT_ITEMS + j;
        if (slot >= 1u && slot < top_k_len && cum >= p_target) { atomicMin(&picks[PICK_LEN], slot); }
        cum += r_mass[j];
      }
    }
    workgroupBarrier();
    top_p_len = atomicLoad(&picks[PICK_LEN]);
    // Top-p alone: the pool's cut is exact when it falls inside the exact prefix (whole bins); else
    // the nucleus is wider than that prefix and the wide path below draws over all V instead.
    if (tid == 0u) {
      let wide = params.top_p < 1.0 && params.top_k == 0u && (k_scan.z < p_target || top_p_len > total_full);
      bcast[BC_WIDE] = select(0u, 1u, wide);
    }
    // Min-p (p >= min_p * p_max, i.e. e >= min_p), then the draw over what is left.
    var kept_local = 0.0;
    for (var j = 0u; j < SORT_ITEMS; j++) {
      let slot = tid * SORT_ITEMS + j;
      let keep = slot < top_p_len && (slot == 0u || r_mass[j] >= params.min_p);
      r_prob[j] = select(0.0, r_mass[j], keep);
      kept_local += r_prob[j];
    }
    let kept_scan = scan_f32(tid, kept_local);
    kept_mass = kept_scan.z;
    let draw_at = u * kept_mass;
    reset_draw_picks(tid, CAND, gmax_id);
    var cum = kept_scan.x;
    for (var j = 0u; j < SORT_ITEMS; j++) {
      let slot = tid * SORT_ITEMS + j;
      if (r_prob[j] > 0.0) {
        cum += r_prob[j];
        if (cum > draw_at) { atomicMin(&picks[PICK_FIRST], slot); }
        atomicMax(&picks[PICK_LAST_END], slot + 1u);
      }
    }
    workgroupBarrier();
    let first = atomicLoad(&picks[PICK_FIRST]);
    let last_end = atomicLoad(&picks[PICK_LAST_END]);
    if (first < CAND) { chosen = pool_id[first]; } else if (last_end > 0u) { chosen = pool_id[last_end - 1u]; }
    if (workgroupUniformLoad(&bcast[BC_WIDE]) != 0u) {
      let wide = wide_draw(tid, m_z, p_target, u, gmax_id);
      chosen = wide.chosen;
      kept_mass = wide.kept_mass;
      top_p_len = 0u;
      for (var j = 0u; j < SORT_ITEMS; j++) { r_prob[j] = 0.0; }
      // The pool's deviations (capped nucleus bound, boundary bin by id) no longer touch the draw;
      // the boundary flag stays when the top-N logprobs come from that pool.
      flags &= ~(RESULT_POOL_CAPPED | select(RESULT_BOUNDARY_OVERFLOW, 0u, params.top_logprobs > 0u));
      flags |= RESULT_NUCLEUS_WIDE;
    }
  } else if (params.mode == MODE_FULL) {
    // Inverse CDF over all V in id order, in two levels (cf. Metal's gptoss_f32_sample): the chunk
    // from pass 2's chunk sums, then the token inside the chunk from a scan of its weights.
    kept_mass = total_mass;
    let draw_at = u * total_mass;
    reset_draw_picks(tid, args.num_chunks, gmax_id);
    if (tid < args.num_chunks && chunk_mass > 0.0) {
      if (mass_scan.y > draw_at) { atomicMin(&picks[PICK_FIRST], tid); }
      atomicMax(&picks[PICK_LAST_END], tid + 1u);
    }
    workgroupBarrier();
    let first_chunk = atomicLoad(&picks[PICK_FIRST]);
    let last_chunk_end = atomicLoad(&picks[PICK_LAST_END]);
    // Past every boundary (rounding): the last chunk with mass, and its last token with mass. No mass
    // at all (every id banned): chunk 0 has none either, and the argmax fallback stays.
    let take_last = first_chunk >= args.num_chunks;
    var chunk_idx = first_chunk;
    if (take_last) { chunk_idx = select(0u, last_chunk_end - 1u, last_chunk_end > 0u); }
    if (tid == chunk_idx) { bcast[BC_RESIDUAL] = bitcast<u32>(draw_at - mass_scan.x); }
    workgroupBarrier();
    let residual = bitcast<f32>(bcast[BC_RESIDUAL]);
    let base = chunk_idx * CHUNK + tid * ITEMS;
    var z_bits: array<u32, ITEMS>;
    for (var i = 0u; i < ITEMS; i++) { z_bits[i] = scores[min(base + i, args.vocab_size - 1u)]; }
    var weight_of: array<f32, ITEMS>;
    var thread_mass = 0.0;
    for (var i = 0u; i < ITEMS; i++) {
      weight_of[i] = 0.0;
      if (base + i < args.vocab_size && z_bits[i] != NEG_INF_BITS) { weight_of[i] = sample_weight(bitcast<f32>(z_bits[i]), m_z); }
      thread_mass += weight_of[i];
    }
    let thread_scan = scan_f32(tid, thread_mass);
    reset_draw_picks(tid, WG_SIZE, gmax_id);
    if (thread_mass > 0.0) {
      if (!take_last && thread_scan.y > residual) { atomicMin(&picks[PICK_FIRST], tid); }
      atomicMax(&picks[PICK_LAST_END], tid + 1u);
    }
    workgroupBarrier();
    let first_thread = atomicLoad(&picks[PICK_FIRST]);
    let owner = select(first_thread, atomicLoad(&picks[PICK_LAST_END]) - 1u, first_thread >= WG_SIZE);
    if (tid == owner && atomicLoad(&picks[PICK_LAST_END]) > 0u) {
      let rest = residual - thread_scan.x;
      var cum = 0.0;
      var pick = NO_TOKEN;
      var last = NO_TOKEN;
      for (var i = 0u; i < ITEMS; i++) {
        if (weight_of[i] > 0.0) {
          cum += weight_of[i];
          last = base + i;
          if (pick == NO_TOKEN && first_thread < WG_SIZE && cum > rest) { pick = base + i; }
        }
      }
      atomicStore(&picks[PICK_CHOSEN], select(pick, last, pick == NO_TOKEN));
    }
    workgroupBarrier();
    chosen = atomicLoad(&picks[PICK_CHOSEN]);
  }

  // 3. Outputs: the id for the next step's embedding, the history ring, logprobs.
  let ring = args.ring_size;
  let record_words = 1u + 2u * args.max_top_logprobs;
  let record = 2u * ring + (step % ring) * record_words;
  if (want_logprobs) {
    let lse = m_z + log(total_mass_t1);   // log-softmax of z at temperature 1, over all V
    for (var j = 0u; j < SORT_ITEMS; j++) {
      let slot = tid * SORT_ITEMS + j;
      if (slot < params.top_logprobs) {
        var lp_bits = NEG_INF_BITS;
        if (slot < n) { lp_bits = bitcast<u32>(z_of_key(r_key[j]) - lse); }
        rings[record + 1u + 2u * slot] = select(NO_TOKEN, r_id[j], slot < n);
        rings[record + 2u + 2u * slot] = lp_bits;
      }
    }
    if (tid == 0u) {
      let z_bits = scores[chosen];
      rings[record] = select(bitcast<u32>(bitcast<f32>(z_bits) - lse), NEG_INF_BITS, z_bits == NEG_INF_BITS);
    }
  }
  if (args.debug != 0u) {
    let dbg = args.off_debug;
    for (var j = 0u; j < SORT_ITEMS; j++) {
      let slot = tid * SORT_ITEMS + j;
      if (slot < n) {
        atomicStore(&work[dbg + DEBUG_HEADER + slot], r_id[j]);
        var prob = 0.0;
        if (params.mode == MODE_POOL && kept_mass > 0.0) { prob = r_prob[j] / kept_mass; }
        atomicStore(&work[dbg + DEBUG_HEADER + CAND + slot], bitcast<u32>(prob));
      }
    }
    if (tid == 0u) {
      atomicStore(&work[dbg + DBG_MODE], params.mode);
      atomicStore(&work[dbg + DBG_POOL_COUNT], n);
      atomicStore(&work[dbg + DBG_TOP_P_LEN], top_p_len);
      atomicStore(&work[dbg + DBG_FLAGS], flags);
      atomicStore(&work[dbg + DBG_U], bitcast<u32>(u));
      atomicStore(&work[dbg + DBG_KEPT_MASS], bitcast<u32>(kept_mass));
      atomicStore(&work[dbg + DBG_CHOSEN], chosen);
      atomicStore(&work[dbg + DBG_MASS], bitcast<u32>(total_mass));
      atomicStore(&work[dbg + DBG_MASS_T1], bitcast<u32>(total_mass_t1));
      atomicStore(&work[dbg + DBG_GMAX_ID], gmax_id);
    }
  }
  if (tid == 0u) {
    out_ids[args.ids_offset] = chosen;
    rings[ring + step % ring] = chosen;
    // Penalty window: the last penalty_window tokens (prompt + generated), counts kept per id. (The
    // evicted slot is read before this write even when penalty_window = N.)
    if (window > 0u) {
      if (evict_id != NO_TOKEN) { counts[evict_id] = evict_count - 1u; }
      rings[window_end % ring] = chosen;
      counts[chosen] = counts[chosen] + 1u;
      state[STATE_WINDOW_END] = window_end + 1u;
    }
    state[STATE_STEP] = step + 1u;
    state[STATE_LAST_FLAGS] = flags;
    state[STATE_STICKY_FLAGS] = state[STATE_STICKY_FLAGS] | flags;
  }
}
