// y[t, o] = (accumulate ? y[t, o] : 0) + sum_c W[o, c] * x[x_row_offset + t, c] + (has_bias ? b[o] : 0)
// x: f32 [*, IN] row-major   W: bf16 [OUT, IN] (2 per u32; this dispatch sees one chunk of rows
// [row_start, row_start + num_rows))   b: bf16 [OUT]   y: f32 [T, OUT]
// One workgroup = ROWS output rows x TOKENS tokens. Each row is reduced by LANES threads that stride
// over the row in vec4<u32> words (8 bf16), then a tree reduction in workgroup memory (no
// subgroup-size assumption). Requires IN % 8 == 0 (checked in the launcher).
// Napkin math (decode, T = 1): reads OUT*IN*2 bytes of W once; x stays in cache. Prefill reads W once
// per TOKENS-token tile: a tiled GEMM is the speed issue's job.
//#include "bf16.wgsl"

override ROWS: u32 = 8;
override LANES: u32 = 32;      // threads per row; ROWS * LANES <= 256, LANES a power of two
const TOKENS: u32 = 4u;        // tokens per workgroup = accumulators per thread (a const: private arrays need one)

struct Args { num_tokens: u32, in_features: u32, out_features: u32, row_start: u32, num_rows: u32, accumulate: u32, has_bias: u32, x_row_offset: u32 }   // mirrored by MATMUL_ARGS in src/kernels/matmul.ts

@group(0) @binding(0) var<uniform> args: Args;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> w: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read> b: array<u32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

var<workgroup> partial: array<f32, ROWS * LANES * TOKENS>;

@compute @workgroup_size(ROWS * LANES)
fn f32_bf16w_matmul(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let row_in_wg = tid / LANES;
  let lane = tid % LANES;
  let local_row = wg.x * ROWS + row_in_wg;          // row within this chunk
  let token_base = wg.y * TOKENS;
  let words4 = args.in_features / 8u;                // vec4<u32> words per weight row
  let x4 = args.in_features / 4u;                    // vec4<f32> per activation row

  var acc: array<f32, TOKENS>;
  for (var k = 0u; k < TOKENS; k++) { acc[k] = 0.0; }
  if (local_row < args.num_rows) {
    let w_base = local_row * words4;
    for (var i = lane; i < words4; i += LANES) {
      let ww = w[w_base + i];
      let w0 = vec4<f32>(bf16_lo(ww.x), bf16_hi(ww.x), bf16_lo(ww.y), bf16_hi(ww.y));
      let w1 = vec4<f32>(bf16_lo(ww.z), bf16_hi(ww.z), bf16_lo(ww.w), bf16_hi(ww.w));
      for (var k = 0u; k < TOKENS; k++) {
        let t = token_base + k;
        if (t < args.num_tokens) {
          let xb = (args.x_row_offset + t) * x4 + 2u * i;
          acc[k] += dot(w0, x[xb]) + dot(w1, x[xb + 1u]);
        }
      }
    }
  }
  for (var k = 0u; k < TOKENS; k++) { partial[(row_in_wg * TOKENS + k) * LANES + lane] = acc[k]; }
  workgroupBarrier();
  for (var stride = LANES / 2u; stride > 0u; stride >>= 1u) {
    if (lane < stride) {
      for (var k = 0u; k < TOKENS; k++) {
        let at = (row_in_wg * TOKENS + k) * LANES + lane;
        partial[at] += partial[at + stride];
      }
    }
    workgroupBarrier();
  }
  if (lane == 0u && local_row < args.num_rows) {
    let out_row = args.row_start + local_row;
    var bias = 0.0;
    if (args.has_bias != 0u) { bias = bf16_of(b[out_row >> 1u], out_row); }
    for (var k = 0u; k < TOKENS; k++) {
      let t = token_base + k;
      if (t < args.num_tokens) {
        let at = t * args.out_features + out_row;
        var v = partial[(row_in_wg * TOKENS + k) * LANES] + bias;
        if (args.accumulate != 0u) { v += y[at]; }
        y[at] = v;
      }
    }
  }
}
