// Launcher for shaders/topk.wgsl: router top-K and the softmax over the K selected logits (spec §2.4).
import { ShapeError } from '../errors.js';
import type { Recorder } from '../gpu/recorder.js';
import type { GpuTensor } from '../gpu/tensor.js';
import { uniformLayout } from '../gpu/uniforms.js';
import { expectTokenRows, foldWorkgroups } from './checks.js';

export const TOPK_FILE = 'topk.wgsl';
export const TOPK_ARGS = uniformLayout({ num_tokens: 'u32', num_experts: 'u32', num_experts_per_token: 'u32' });
/** Largest K the kernel's winners list holds (`override MAX_K` in topk.wgsl). gpt-oss uses 4. */
export const TOPK_MAX_EXPERTS_PER_TOKEN = 8;
/** Largest E the kernel's key array holds (`override MAX_EXPERTS`, 1 KiB of workgroup memory). gpt-oss: 32 | 128. */
export const TOPK_MAX_EXPERTS = 256;
/**
 * Workgroup size: one invocation per expert up to 128 (E rounded up to a power of two keeps the set
 * of pipelines small: 32 for gpt-oss-20b, 128 for 120b), never below MAX_K (invocations 0..K-1 write
 * the K slots).
 */
const MAX_WG_SIZE = 128;
function workgroupSize(numExperts: number): number {
  return Math.max(TOPK_MAX_EXPERTS_PER_TOKEN, Math.min(MAX_WG_SIZE, 2 ** Math.ceil(Math.log2(numExperts))));
}

export interface RouterTopKParams {
  readonly numTokens: number; // T
  readonly numExperts: number; // E
  readonly numExpertsPerToken: number; // K
}

/**
 * ids[t,:], weights[t,:] = top-K experts of logits[t,:] (descending, ties → lower index) and the
 * softmax of their K logits, for t < T.
 * logits: f32 [≥T, E]   ids: u32 [≥T, K]   weights: f32 [≥T, K]
 */
export function encodeRouterTopK(
  rec: Recorder,
  t: { readonly logits: GpuTensor; readonly ids: GpuTensor; readonly weights: GpuTensor },
  p: RouterTopKParams,
): void {
  const { numTokens: T, numExperts: E, numExpertsPerToken: K } = p;
  if (!(Number.isInteger(E) && E >= 1 && E <= TOPK_MAX_EXPERTS)) {
    throw new ShapeError(`router_topk: E=${E} experts must be in 1..${TOPK_MAX_EXPERTS}`);
  }
  if (!(Number.isInteger(K) && K >= 1 && K <= Math.min(E, TOPK_MAX_EXPERTS_PER_TOKEN))) {
    throw new ShapeError(`router_topk: K=${K} experts per token must be in 1..min(E=${E}, ${TOPK_MAX_EXPERTS_PER_TOKEN})`);
  }
  expectTokenRows('router_topk', 'logits', t.logits, 'f32', T, { E });
  expectTokenRows('router_topk', 'ids', t.ids, 'u32', T, { K });
  expectTokenRows('router_topk', 'weights', t.weights, 'f32', T, { K });
  const overrides = { WG_SIZE: workgroupSize(E), MAX_EXPERTS: TOPK_MAX_EXPERTS, MAX_K: TOPK_MAX_EXPERTS_PER_TOKEN };
  const kernel = rec.kernel({ file: TOPK_FILE, entry: 'f32_router_topk_softmax', overrides });
  const args = TOPK_ARGS.pack({ num_tokens: T, num_experts: E, num_experts_per_token: K });
  rec.dispatch(kernel, args, [t.logits.buffer, t.ids.buffer, t.weights.buffer], foldWorkgroups(rec, 'router_topk', T), {
    bytes: T * (E * 4 + K * 8),
    flops: T * (E * E + K * K),
  });
}
