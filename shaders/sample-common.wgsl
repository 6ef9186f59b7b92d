// Shared by the sampler's shaders (sample.wgsl: passes 1-3, sample-select.wgsl: pass 4): shape
// constants, the Args and Params structs, the bindings (one bind group layout for all four entry
// points) and the helpers that must compute bit-identical values in every pass.
// Tensor contracts:
// logits: f32 [V] (row at args.logits_offset)   bias: f32 [V] (-inf bits = banned)   counts: u32 [V]
// scores: f32 bits [V] (z, written by pass 1)    work: u32 scratch (layout: WorkLayout in src/kernels/sampler-state.ts)
// state: u32 [4] (step, window_end, last flags, sticky flags)
// rings: u32 [window N | history N | logprobs N x (1 + 2 * max_top_logprobs)]   out_ids: u32 [*]

const WG_SIZE: u32 = 256;        // threads per workgroup (scans and trees assume a power of two)
const ITEMS: u32 = 16;           // tokens per thread in the V-wide passes
const CHUNK: u32 = 4096;         // WG_SIZE * ITEMS tokens per workgroup of passes 1-3
const NUM_BINS: u32 = 2048;      // histogram bins; the last one also takes everything farther away
const BINS_PER_THREAD: u32 = 8;  // NUM_BINS / WG_SIZE
const BINS_PER_NAT: f32 = 32.0;  // bin width 1/32 nat of (max z - z) / T: e varies by <= 3.2% in a bin
const CAND: u32 = 2040;          // pool capacity: 2 x 2040 u32 + 64 B scalars = 16 KiB of workgroup memory
const NUCLEUS_MARGIN: f32 = 1e-3;  // the nucleus bound asks for 0.1% more mass than top_p * Z (f32 slack)

const NEG_INF_BITS: u32 = 0xff800000u;
const NO_TOKEN: u32 = 0xffffffffu;

// params.mode
const MODE_GREEDY: u32 = 0u;
const MODE_FULL: u32 = 1u;   // temperature (and min-p) only: inverse CDF over all V
const MODE_POOL: u32 = 2u;   // top-k and/or top-p: inverse CDF over the sorted pool
// params.flags
const FLAG_PENALTIES: u32 = 1u;
const FLAG_BIAS: u32 = 2u;
const FLAG_LOGPROBS: u32 = 4u;
// result flags (state[STATE_LAST_FLAGS], debug record)
const RESULT_BOUNDARY_OVERFLOW: u32 = 1u;  // > CAND tokens in the pool's last bin: lowest ids taken
const RESULT_NUCLEUS_WIDE: u32 = 2u;       // top-p's nucleus is wider than the pool: exact threshold draw over all V
const RESULT_NO_VALID_TOKEN: u32 = 4u;     // every id banned: the lowest id was returned
const RESULT_POOL_CAPPED: u32 = 8u;        // the nucleus bound needed more than CAND tokens (pass 3)
// state words
const STATE_STEP: u32 = 0u;
const STATE_WINDOW_END: u32 = 1u;
const STATE_LAST_FLAGS: u32 = 2u;
const STATE_STICKY_FLAGS: u32 = 3u;
// work layout: partials [NWG x 4] at 0, then the sections at args.off_*
const PARTIAL_WORDS: u32 = 4u;
const PARTIAL_KEY: u32 = 0u;
const PARTIAL_ID: u32 = 1u;
const PARTIAL_MASS: u32 = 2u;      // f32 bits: sum of the sampling weights of the chunk
const PARTIAL_MASS_T1: u32 = 3u;   // f32 bits: sum of exp(z - max z) (logprobs)
const PLAN_GMAX_KEY: u32 = 0u;
const PLAN_GMAX_ID: u32 = 1u;
const PLAN_FULL_BINS: u32 = 2u;    // bins [0, full_bins) go to the pool whole
const PLAN_EDGE_BIN: u32 = 3u;     // NUM_BINS = none; else the bin whose lowest ids fill the pool up
const PLAN_FLAGS: u32 = 4u;
// debug record (args.debug != 0): header, pool ids, pool probabilities, per-token weights of pass 2
const DEBUG_HEADER: u32 = 16u;
const DBG_MODE: u32 = 0u;
const DBG_POOL_COUNT: u32 = 1u;
const DBG_TOP_P_LEN: u32 = 2u;
const DBG_FLAGS: u32 = 3u;
const DBG_U: u32 = 4u;
const DBG_KEPT_MASS: u32 = 5u;
const DBG_CHOSEN: u32 = 6u;
const DBG_MASS: u32 = 7u;
const DBG_MASS_T1: u32 = 8u;
const DBG_GMAX_ID: u32 = 9u;

struct Args { vocab_size: u32, num_chunks: u32, logits_offset: u32, ids_offset: u32, ring_size: u32, max_top_logprobs: u32, mask_from: u32, mask_to: u32, debug: u32, off_plan: u32, off_hist: u32, off_region_counts: u32, off_regions: u32, off_debug: u32 }   // mirrored by SAMPLE_ARGS in src/kernels/sampler.ts

// Written by SamplerState.begin() (queue-ordered); mirrored by SAMPLE_PARAMS in src/kernels/sampler.ts.
struct Params { mode: u32, pool_need: u32, flags: u32, top_k: u32, inv_temperature: f32, top_p: f32, min_p: f32, repetition_penalty: f32, inv_repetition_penalty: f32, presence_penalty: f32, frequency_penalty: f32, penalty_window: u32, seed_lo: u32, seed_hi: u32, top_logprobs: u32 }

@group(0) @binding(0) var<uniform> args: Args;
@group(0) @binding(1) var<uniform> params: Params;
@group(0) @binding(2) var<storage, read> logits: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> counts: array<u32>;
@group(0) @binding(5) var<storage, read_write> scores: array<u32>;
@group(0) @binding(6) var<storage, read_write> work: array<atomic<u32>>;
@group(0) @binding(7) var<storage, read_write> state: array<u32>;
@group(0) @binding(8) var<storage, read_write> rings: array<u32>;
@group(0) @binding(9) var<storage, read_write> out_ids: array<u32>;

// ---- shared helpers --------------------------------------------------------------------------

// Order-preserving f32 -> u32 (larger z, larger key); -0 is folded onto +0 so that ties are ties.
// Key 0 is below every finite z and marks banned ids.
fn key_of(z: f32) -> u32 {
  var bits = bitcast<u32>(z);
  if (bits == 0x80000000u) { bits = 0u; }
  return select(bits | 0x80000000u, ~bits, (bits & 0x80000000u) != 0u);
}

fn z_of_key(key: u32) -> f32 {
  return bitcast<f32>(select(~key, key & 0x7fffffffu, (key & 0x80000000u) != 0u));
}

// The total order of the sampler: z descending, then id ascending.
fn better(key_a: u32, id_a: u32, key_b: u32, id_b: u32) -> bool {
  return key_a > key_b || (key_a == key_b && id_a < id_b);
}

fn is_banned(v: u32, bias_value: f32) -> bool {
  let masked = v >= args.mask_from && v < args.mask_to;
  return masked || ((params.flags & FLAG_BIAS) != 0u && bitcast<u32>(bias_value) == NEG_INF_BITS);
}

// Logit bias, then the repetition penalty (HF: z > 0 -> z / p, else z * p, as z * (1/p) rounded on
// the host), then presence and frequency (OpenAI: z - count * frequency - presence), for ids seen in
// the penalty window (count > 0).
fn penalise(logit: f32, bias_value: f32, count: u32) -> f32 {
  var z = logit;
  if ((params.flags & FLAG_BIAS) != 0u) { z = z + bias_value; }
  if ((params.flags & FLAG_PENALTIES) != 0u && count > 0u) {
    z = select(z * params.repetition_penalty, z * params.inv_repetition_penalty, z > 0.0);
    z = z - (f32(count) * params.frequency_penalty + params.presence_penalty);
  }
  return z;
}

// e = exp((z - m) / T), the mass relative to the top token (1 for the top token itself).
fn rel_mass(z: f32, m_z: f32) -> f32 {
  return exp((z - m_z) * params.inv_temperature);
}

// Pass 2's per-token weight: e, or 0 below min-p when the full-vocabulary draw applies min-p itself.
fn sample_weight(z: f32, m_z: f32) -> f32 {
  let e = rel_mass(z, m_z);
  return select(0.0, e, params.mode != MODE_FULL || e >= params.min_p);
}

// Histogram bin of a token: floor((m - z) / T * BINS_PER_NAT), capped at the last bin. Monotone in
// z, so "bins < b" is always a prefix of the sampler's total order. Greedy (inv_t = 0) bins by z.
fn bin_of(z: f32, m_z: f32) -> u32 {
  let scale = BINS_PER_NAT * select(params.inv_temperature, 1.0, params.mode == MODE_GREEDY);
  return u32(min((m_z - z) * scale, f32(NUM_BINS - 1u)));
}

// A lower bound on e for every token of bin b (0 for the catch-all last bin).
fn bin_floor_mass(bin: u32) -> f32 {
  return select(exp(-f32(bin + 1u) / BINS_PER_NAT), 0.0, bin + 1u >= NUM_BINS);
}
