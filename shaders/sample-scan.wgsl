// Workgroup scans and picks shared by the sampler's passes 3 and 4 (sample.wgsl, sample-select.wgsl).
// Raking scans of one value per thread: RAKES threads each scan RAKE consecutive values in order,
// thread 0 scans the RAKES totals, every thread adds its rake's offset. Fixed order (deterministic)
// and 5 barriers instead of Hillis-Steele's 18 (barriers dominate on CPU adapters; on GPUs the 32
// dependent adds cost about as much as the barriers they replace). Scratch: pool_key[0, WG_SIZE +
// RAKES) per lane. Returns (exclusive, inclusive, total) for the calling thread; call in uniform control flow.

const RAKE: u32 = 16u;
const RAKES: u32 = 16u;   // RAKE * RAKES = WG_SIZE

var<workgroup> pool_key: array<u32, CAND>;
var<workgroup> pool_id: array<u32, CAND>;
var<workgroup> picks: array<atomic<u32>, 8>;
var<workgroup> bcast: array<u32, 8>;

// Four independent scans at once (lanes of a vec4; counts travel as f32, exact below 2^24).
struct Scan { excl: vec4<f32>, incl: vec4<f32>, total: vec4<f32> }
const SCAN_STRIDE: u32 = 273u;   // scratch words per lane: WG_SIZE values + RAKES offsets + the total

fn scan4(tid: u32, x: vec4<f32>) -> Scan {
  workgroupBarrier();
  for (var lane = 0u; lane < 4u; lane++) { pool_key[lane * SCAN_STRIDE + tid] = bitcast<u32>(x[lane]); }
  workgroupBarrier();
  if (tid < 4u * RAKES) {
    let at = (tid / RAKES) * SCAN_STRIDE + (tid % RAKES) * RAKE;
    var acc = 0.0;
    for (var i = 0u; i < RAKE; i++) {
      acc += bitcast<f32>(pool_key[at + i]);
      pool_key[at + i] = bitcast<u32>(acc);
    }
  }
  workgroupBarrier();
  if (tid < 4u) {
    let at = tid * SCAN_STRIDE;
    var acc = 0.0;
    for (var r = 0u; r < RAKES; r++) {
      pool_key[at + WG_SIZE + r] = bitcast<u32>(acc);   // exclusive offset of rake r
      acc += bitcast<f32>(pool_key[at + r * RAKE + RAKE - 1u]);
    }
    pool_key[at + WG_SIZE + RAKES] = bitcast<u32>(acc);
  }
  workgroupBarrier();
  var out: Scan;
  for (var lane = 0u; lane < 4u; lane++) {
    let at = lane * SCAN_STRIDE;
    let offset = bitcast<f32>(pool_key[at + WG_SIZE + tid / RAKE]);
    out.incl[lane] = offset + bitcast<f32>(pool_key[at + tid]);
    out.excl[lane] = offset;
    if (tid % RAKE != 0u) { out.excl[lane] = offset + bitcast<f32>(pool_key[at + tid - 1u]); }
    out.total[lane] = bitcast<f32>(pool_key[at + WG_SIZE + RAKES]);
  }
  workgroupBarrier();
  return out;
}

// One scan: (exclusive, inclusive, total).
fn scan_f32(tid: u32, x: f32) -> vec3<f32> {
  let s = scan4(tid, vec4<f32>(x, 0.0, 0.0, 0.0));
  return vec3<f32>(s.excl.x, s.incl.x, s.total.x);
}

// Set picks[slot] = value from thread 0, with a barrier, before threads atomicMin/Max into it.
fn reset_pick(tid: u32, slot: u32, value: u32) {
  if (tid == 0u) { atomicStore(&picks[slot], value); }
  workgroupBarrier();
}
