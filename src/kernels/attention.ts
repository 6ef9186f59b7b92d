// Launchers for shaders/sdpa.wgsl (attention with sinks) and shaders/kv_write.wgsl (cache update).
import { ShapeError } from '../errors.js';
import type { BufferArg, Recorder } from '../gpu/recorder.js';
import type { GpuTensor } from '../gpu/tensor.js';
import { uniformLayout } from '../gpu/uniforms.js';
import { expectShape } from '../model/shapes.js';
import { expectRows } from './rmsnorm.js';
import type { HeadParams } from './rope.js';

export const SDPA_FILE = 'sdpa.wgsl';
export const SDPA_ARGS = uniformLayout({
  num_tokens: 'u32',
  num_q_heads: 'u32',
  num_kv_heads: 'u32',
  head_dim: 'u32',
  window: 'u32',
  keep: 'u32',
  capacity: 'u32',
  sm_scale: 'f32',
});
export const KV_WRITE_FILE = 'kv_write.wgsl';
export const KV_WRITE_ARGS = uniformLayout({ num_tokens: 'u32', num_q_heads: 'u32', num_kv_heads: 'u32', head_dim: 'u32', keep: 'u32', capacity: 'u32' });

const SDPA_WG = 64; // key tile = threads per (token, head)
const MAX_DIMS_PER_THREAD = 4; // must equal the const in sdpa.wgsl
const KV_WRITE_WG = 256;

/** How a layer's cache maps positions to slots: keep the first `keep`, then a ring of S - keep. */
export interface CacheGeometry {
  /** S: slots per kv head. */
  readonly capacity: number;
  readonly keep: number;
  /** Sliding window W (0 = attend to everything the cache keeps). */
  readonly window: number;
}

export interface AttentionTensors {
  /** u32 [≥1]: step[0] = pos0, the absolute position of token 0 of this batch. */
  readonly step: BufferArg;
  readonly qkv: GpuTensor;
  readonly kcache: GpuTensor;
  readonly vcache: GpuTensor;
}

function checkCache(who: string, t: AttentionTensors, p: HeadParams, g: CacheGeometry): void {
  if (g.keep >= g.capacity) throw new ShapeError(`${who}: keep=${g.keep} must be < S=${g.capacity}`);
  if (p.numQHeads % p.numKvHeads !== 0) throw new ShapeError(`${who}: Hq=${p.numQHeads} not a multiple of Hkv=${p.numKvHeads}`);
  const dims = { Hkv: p.numKvHeads, S: g.capacity, Dh: p.headDim };
  expectShape(who, 'kcache', t.kcache, ['Hkv', 'S', 'Dh'], dims, 'f32');
  expectShape(who, 'vcache', t.vcache, ['Hkv', 'S', 'Dh'], dims, 'f32');
  expectRows(who, 'qkv', t.qkv, p.numTokens, (p.numQHeads + 2 * p.numKvHeads) * p.headDim);
}

/** out[t, h*Dh + d] = sink attention of q head h of token t over the visible keys (see sdpa.wgsl). */
export function encodeSdpa(
  rec: Recorder,
  t: AttentionTensors & { sinks: GpuTensor; out: GpuTensor },
  p: HeadParams & { smScale: number; maxKeys: number },
  g: CacheGeometry,
): void {
  checkCache('sdpa', t, p, g);
  if (p.headDim > SDPA_WG * MAX_DIMS_PER_THREAD) throw new ShapeError(`sdpa: Dh=${p.headDim} > ${SDPA_WG * MAX_DIMS_PER_THREAD}`);
  expectShape('sdpa', 'sinks', t.sinks, ['Hq'], { Hq: p.numQHeads }, 'bf16');
  expectRows('sdpa', 'out', t.out, p.numTokens, p.numQHeads * p.headDim);
  const kernel = rec.kernel({ file: SDPA_FILE, entry: 'f32_sdpa_sink', overrides: { WG_SIZE: SDPA_WG } });
  const args = SDPA_ARGS.pack({
    num_tokens: p.numTokens,
    num_q_heads: p.numQHeads,
    num_kv_heads: p.numKvHeads,
    head_dim: p.headDim,
    window: g.window,
    keep: g.keep,
    capacity: g.capacity,
    sm_scale: p.smScale,
  });
  const keysPerQuery = Math.min(p.maxKeys, g.window > 0 ? g.window : p.maxKeys);
  rec.dispatch(kernel, args, [t.step, t.qkv.buffer, t.kcache.buffer, t.vcache.buffer, t.sinks.buffer, t.out.buffer], [p.numTokens, p.numQHeads], {
    bytes: p.numTokens * p.numQHeads * keysPerQuery * p.headDim * 8,
    flops: p.numTokens * p.numQHeads * keysPerQuery * p.headDim * 4,
  });
}

/** Write this batch's k, v into the cache slots of positions pos0 .. pos0 + T - 1. */
export function encodeKvWrite(rec: Recorder, t: AttentionTensors, p: HeadParams, g: CacheGeometry): void {
  checkCache('kv_write', t, p, g);
  const kernel = rec.kernel({ file: KV_WRITE_FILE, entry: 'f32_kv_write', overrides: { WG_SIZE: KV_WRITE_WG } });
  const args = KV_WRITE_ARGS.pack({
    num_tokens: p.numTokens,
    num_q_heads: p.numQHeads,
    num_kv_heads: p.numKvHeads,
    head_dim: p.headDim,
    keep: g.keep,
    capacity: g.capacity,
  });
  rec.dispatch(kernel, args, [t.step, t.qkv.buffer, t.kcache.buffer, t.vcache.buffer], [p.numTokens], {
    bytes: p.numTokens * p.numKvHeads * p.headDim * 16,
  });
}
