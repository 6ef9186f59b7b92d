// Which cached keys a query sees, and where a position lives in a layer's KV cache (spec §2.3 and
// src/kvcache/kv-cache.ts). Included by the attention kernels; it reads their module-scope `args`,
// whose Args must have `window`, `keep` and `capacity`.
//   slot(p) = p < keep ? p : keep + (p - keep) % (capacity - keep)
// A query at position `pos` sees keys j <= pos with j > pos - window (window 0 = no window) that the
// cache still holds: j < keep, or j > pos - (capacity - keep). In order they form two segments,
// [a_lo, a_lo + a_len) then [b_lo, b_lo + b_len).

struct KeyRange { a_lo: u32, a_len: u32, b_lo: u32, b_len: u32 }

fn visible_keys(pos: u32) -> KeyRange {
  var lo = 0u;
  if (args.window > 0u && pos + 1u > args.window) { lo = pos + 1u - args.window; }
  let ring = args.capacity - args.keep;
  var b_lo = max(lo, args.keep);
  if (pos + 1u > ring) { b_lo = max(b_lo, pos + 1u - ring); }
  let a_end = min(args.keep, pos + 1u);
  return KeyRange(lo, select(0u, a_end - lo, a_end > lo), b_lo, select(0u, pos + 1u - b_lo, pos + 1u > b_lo));
}

/** The v-th visible key (v < a_len + b_len). */
fn key_position(r: KeyRange, v: u32) -> u32 {
  return select(r.b_lo + (v - r.a_len), r.a_lo + v, v < r.a_len);
}

fn slot_of(pos: u32) -> u32 {
  if (pos < args.keep) { return pos; }
  return args.keep + (pos - args.keep) % (args.capacity - args.keep);
}
