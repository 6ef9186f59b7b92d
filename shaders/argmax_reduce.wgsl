// The (value, id) tree reduction shared by the argmax kernels (argmax.wgsl, argmax_split.wgsl):
// the larger value wins, ties go to the lower id, NaN never wins, and NONE marks "no candidate yet".
// Each thread stores its candidate in best_val/best_id[tid]; after reduce_best, index 0 holds the
// workgroup's best. Requires `override WG_SIZE` (a power of two) in the including shader.

const NONE: u32 = 0xffffffffu;

var<workgroup> best_val: array<f32, WG_SIZE>;
var<workgroup> best_id: array<u32, WG_SIZE>;

/** Whether candidate (value, id) beats (best_value, best_id_). */
fn beats(value: f32, id: u32, best_value: f32, best_id_: u32) -> bool {
  return id != NONE && value == value && (best_id_ == NONE || value > best_value || (value == best_value && id < best_id_));
}

fn reduce_best(tid: u32) {
  workgroupBarrier();
  for (var stride = WG_SIZE / 2u; stride > 0u; stride >>= 1u) {
    if (tid < stride && beats(best_val[tid + stride], best_id[tid + stride], best_val[tid], best_id[tid])) {
      best_val[tid] = best_val[tid + stride];
      best_id[tid] = best_id[tid + stride];
    }
    workgroupBarrier();
  }
}
