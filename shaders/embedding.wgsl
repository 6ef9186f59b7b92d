// out[t, c] = f32(table[ids[id_offset + t], c])      (exact: bf16 -> f32 is a shift)
// ids: u32 [*]   table: bf16 [rows of this chunk, C] (2 per u32)   out: f32 [T, C]
// One workgroup per token; threads copy pairs of channels. The table may be split into chunks of
// rows (vocabulary ranges): the launcher dispatches once per chunk and tokens outside
// [row_start, row_start + num_rows) are left to the other chunks' dispatches.
//#include "bf16.wgsl"

override WG_SIZE: u32 = 256;

struct Args { num_tokens: u32, num_channels: u32, id_offset: u32, row_start: u32, num_rows: u32 }   // mirrored by EMBEDDING_ARGS in src/kernels/embedding.ts

@group(0) @binding(0) var<uniform> args: Args;
@group(0) @binding(1) var<storage, read> ids: array<u32>;
@group(0) @binding(2) var<storage, read> table: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG_SIZE)
fn bf16_f32_embedding(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let token_idx = wg.x;
  let id = ids[args.id_offset + token_idx];
  if (id < args.row_start || id >= args.row_start + args.num_rows) { return; }
  let words_per_row = args.num_channels / 2u;
  let src = (id - args.row_start) * words_per_row;
  let dst = token_idx * args.num_channels;
  for (var w = tid; w < words_per_row; w += WG_SIZE) {
    let pair = bf16_pair(table[src + w]);
    out[dst + 2u * w] = pair.x;
    out[dst + 2u * w + 1u] = pair.y;
  }
}
