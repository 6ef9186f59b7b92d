// Launchers for shaders/sdpa.wgsl (attention with sinks) and shaders/kv_write.wgsl (cache update).
import { ShapeError } from '../errors.js';
import type { BufferArg, Recorder } from '../gpu/recorder.js';
import type { GpuTensor } from '../gpu/tensor.js';
import { uniformLayout } from '../gpu/uniforms.js';
import { expectShape } from '../model/shapes.js';
import { expectRows } from './checks.js';
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

export const SDPA_DECODE_FILE = 'sdpa_decode.wgsl';
export const SDPA_DECODE_ARGS = uniformLayout({
  num_q_heads: 'u32',
  num_kv_heads: 'u32',
  head_dim: 'u32',
  window: 'u32',
  keep: 'u32',
  capacity: 'u32',
  max_splits: 'u32',
  sm_scale: 'f32',
});
export const SDPA_COMBINE_FILE = 'sdpa_combine.wgsl';
export const SDPA_COMBINE_ARGS = uniformLayout({ num_q_heads: 'u32', head_dim: 'u32', window: 'u32', keep: 'u32', capacity: 'u32', max_splits: 'u32' });

const SDPA_WG = 64; // key tile = threads per (token, head)
// Split decode attention (sdpa_decode.wgsl): 64 threads; splits of 128 keys, walked in tiles whose
// k and v rows are loaded into workgroup memory together (a thread walking its own key row waited for
// one load after another: ~230 µs for a 128-key split on an H200). Limits mirror the shader's consts.
const DECODE_WG = 64;
export const DECODE_SPLIT_KEYS = 128;
const DECODE_MAX_TILE_KEYS = 32;
const DECODE_MIN_TILE_KEYS = 8;
/** Workgroup memory the split kernel may use: the portable 32 KiB (DESIGN.md, Engine rules). */
const DECODE_MAX_WORKGROUP_BYTES = 32 * 1024;

/** Keys per tile for G query heads of Dh dims: the largest power of two that fits workgroup memory (0: none). */
function decodeTileKeys(group: number, headDim: number): number {
  for (let tile = DECODE_MAX_TILE_KEYS; tile >= DECODE_MIN_TILE_KEYS; tile /= 2) {
    const floats = (2 * group + 2 * tile) * headDim + group * tile + 3 * group; // q, acc, k/v tiles, scores, m/l/alpha
    if (floats * 4 <= DECODE_MAX_WORKGROUP_BYTES) return tile;
  }
  return 0;
}
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

/** Splits of the split-decode path for a cache geometry: enough for every visible key. */
export function decodeSplits(g: CacheGeometry): number {
  const maxVisible = g.window > 0 ? Math.min(g.window, g.capacity) : g.capacity;
  return Math.ceil(maxVisible / DECODE_SPLIT_KEYS);
}

/** Floats of the partials scratch the split-decode path needs for `numQHeads` heads. */
export function decodePartialsFloats(numQHeads: number, headDim: number, g: CacheGeometry): number {
  return numQHeads * decodeSplits(g) * (headDim + 2);
}

/** Whether one query token can take the split-decode path for these heads. */
export function canSplitDecode(p: HeadParams): boolean {
  const group = p.numQHeads / p.numKvHeads;
  return p.numTokens === 1 && decodeTileKeys(group, p.headDim) > 0;
}

/**
 * out[t, h*Dh + d] = sink attention of q head h of token t over the visible keys. One query token
 * with a `partials` scratch (f32 ≥ decodePartialsFloats) takes the split path (sdpa_decode.wgsl +
 * sdpa_combine.wgsl: parallel over keys, k/v loaded once per GQA group); otherwise one workgroup per
 * (token, head) walks the keys (sdpa.wgsl), which suits prefill batches.
 */
export function encodeSdpa(
  rec: Recorder,
  t: AttentionTensors & { sinks: GpuTensor; out: GpuTensor; partials?: GpuTensor },
  p: HeadParams & { smScale: number; maxKeys: number },
  g: CacheGeometry,
): void {
  checkCache('sdpa', t, p, g);
  if (t.partials && canSplitDecode(p)) {
    encodeSdpaSplitDecode(rec, { ...t, partials: t.partials }, p, g);
    return;
  }
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

function encodeSdpaSplitDecode(
  rec: Recorder,
  t: AttentionTensors & { sinks: GpuTensor; out: GpuTensor; partials: GpuTensor },
  p: HeadParams & { smScale: number; maxKeys: number },
  g: CacheGeometry,
): void {
  expectShape('sdpa', 'sinks', t.sinks, ['Hq'], { Hq: p.numQHeads }, 'bf16');
  expectRows('sdpa', 'out', t.out, 1, p.numQHeads * p.headDim);
  const maxSplits = decodeSplits(g);
  const need = decodePartialsFloats(p.numQHeads, p.headDim, g);
  if (t.partials.dtype !== 'f32' || t.partials.numElements < need) {
    throw new ShapeError(`sdpa: 'partials' needs f32 x ${need} (Hq=${p.numQHeads} x ${maxSplits} splits x (Dh+2)), got ${t.partials.dtype} x ${t.partials.numElements}`);
  }
  const group = p.numQHeads / p.numKvHeads;
  const tileKeys = decodeTileKeys(group, p.headDim);
  const split = rec.kernel({
    file: SDPA_DECODE_FILE,
    entry: 'f32_sdpa_decode_split',
    overrides: { WG_SIZE: DECODE_WG, TILE_KEYS: tileKeys, SPLIT_TILES: DECODE_SPLIT_KEYS / tileKeys, GROUP: group, HEAD_DIM: p.headDim },
  });
  const args = SDPA_DECODE_ARGS.pack({
    num_q_heads: p.numQHeads,
    num_kv_heads: p.numKvHeads,
    head_dim: p.headDim,
    window: g.window,
    keep: g.keep,
    capacity: g.capacity,
    max_splits: maxSplits,
    sm_scale: p.smScale,
  });
  const keys = Math.min(p.maxKeys, g.window > 0 ? g.window : p.maxKeys, g.capacity);
  rec.dispatch(split, args, [t.step, t.qkv.buffer, t.kcache.buffer, t.vcache.buffer, t.partials.buffer], [maxSplits, p.numKvHeads], {
    bytes: keys * p.numKvHeads * p.headDim * 8,
    flops: keys * p.numQHeads * p.headDim * 4,
    tag: 'split',
  });
  const combine = rec.kernel({ file: SDPA_COMBINE_FILE, entry: 'f32_sdpa_combine', overrides: { WG_SIZE: DECODE_WG, SPLIT_KEYS: DECODE_SPLIT_KEYS } });
  const cargs = SDPA_COMBINE_ARGS.pack({ num_q_heads: p.numQHeads, head_dim: p.headDim, window: g.window, keep: g.keep, capacity: g.capacity, max_splits: maxSplits });
  rec.dispatch(combine, cargs, [t.step, t.partials.buffer, t.sinks.buffer, t.out.buffer], [p.numQHeads], {
    bytes: Math.ceil(keys / DECODE_SPLIT_KEYS) * p.numQHeads * (p.headDim + 2) * 4,
    tag: 'combine',
  });
}
