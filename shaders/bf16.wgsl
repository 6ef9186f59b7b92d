// bf16 helpers. bf16 tensors are stored as raw bits, two per u32: element 2i is the low half of
// word i, element 2i+1 the high half. bf16 -> f32 is exact: the bits go to the top of an f32.

fn bf16_lo(word: u32) -> f32 { return bitcast<f32>(word << 16u); }
fn bf16_hi(word: u32) -> f32 { return bitcast<f32>(word & 0xffff0000u); }
fn bf16_pair(word: u32) -> vec2<f32> { return vec2<f32>(bf16_lo(word), bf16_hi(word)); }
fn bf16_of(word: u32, elem_idx: u32) -> f32 {
  return select(bf16_lo(word), bf16_hi(word), (elem_idx & 1u) == 1u);
}
