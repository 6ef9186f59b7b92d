// The KV cache on the GPU: per layer, k and v as f32 [Hkv, S, Dh]. Position p lives in slot
//   slot(p) = p < keep ? p : keep + (p - keep) % (S - keep)
// so one geometry covers the three layouts gpt-oss needs:
//   sliding layers:          keep = 0, S = W + slack      (a ring; the window sees the last W)
//   full layers:             keep = 0, S = context length (no wrap before the context is full)
//   full layers, rotating:   keep = kvKeep, S = maxKvSize (the first kvKeep positions, then the most
//                            recent S - kvKeep; RoPE positions stay absolute)
// The slack beyond W on sliding layers lets a request rewind up to slack + 1 positions (decode steps
// queued past a stop; a new prompt diverging a little before the cache's end) and still find the
// W - 1 keys before the rewind point; see `canRewindTo` and src/kvcache/prefix.ts. Longer rewinds are served by a checkpoint:
// a copy of the sliding rings taken when a prompt was prefilled (`encodeSaveCheckpoint`), where the next
// Harmony turn diverges; src/kvcache/prefix.ts decides which applies, or a re-prefill from 0.
//
// Memory of the checkpoint: the sliding rings once more, 2 * L_sliding * Hkv * S_sliding * Dh * 4
// bytes (gpt-oss-20b: 12 layers * 2 * 8 * 384 * 64 * 4 B = 18.9 MB), allocated on first use.
//
// Device limits: the attention kernels bind a layer's k (and v) as one buffer, so Hkv * S * Dh * 4
// bytes must fit one binding (gpt-oss: 2 KiB per position; lavapipe's 128 MiB holds S = 65536,
// NVIDIA's 2 GiB S ≈ 1Mi). The constructor checks this before allocating anything (`checkDeviceFits`)
// and names the largest --context / --max-kv-size that fits; createTensor would otherwise split the
// tensor into chunks and the first forward would fail far from the cause. The decode partials
// (Hq * ceil(S / 128) * (Dh + 2) floats) are smaller than k for any GQA group below ~100.

import { ConfigError, ContextOverflowError, ShapeError, UnsupportedDeviceError } from '../errors.js';
import type { Gpu } from '../gpu/device.js';
import { createTensor, type GpuTensor } from '../gpu/tensor.js';
import { decodePartialsFloats, type CacheGeometry } from '../kernels/attention.js';
import type { ModelConfig } from '../model/shapes.js';
import { ringKeepsRewind } from './prefix.js';

export interface KvCacheOptions {
  /** Longest sequence the full layers hold without rotation (positions 0 .. contextLength-1). */
  readonly contextLength: number;
  /** Rotate full layers beyond this many cached positions (keeping the first `kvKeep`); 0 = off. */
  readonly maxKvSize?: number;
  /** Positions kept at the start of a rotating cache (attention sinks of the prompt). */
  readonly kvKeep?: number;
  /** Extra ring slots on sliding layers beyond the window W (bounds free rewinds). */
  readonly slidingSlack?: number;
}

export const DEFAULT_KV_KEEP = 4;
export const DEFAULT_SLIDING_SLACK = 256;
/** Positions a rotating cache can reach: pos0 is a u32 in the runner's step buffer. */
export const ROTATING_MAX_POSITIONS = 2 ** 32 - 1;

export interface LayerCache {
  readonly k: GpuTensor;
  readonly v: GpuTensor;
  readonly geometry: CacheGeometry;
}

/** A layer's saved k and v (sliding layers), or null (layers a checkpoint does not copy). */
type RingCopy = { readonly k: GpuTensor; readonly v: GpuTensor } | null;

export class KvCache {
  readonly layers: readonly LayerCache[];
  readonly contextLength: number;
  readonly maxKvSize: number;
  readonly kvKeep: number;
  readonly slidingSlack: number;
  readonly bytes: number;
  /**
   * Scratch of the split decode attention (src/kernels/attention.ts): per q head and key split, a
   * partial softmax state. Sized for the largest layer geometry, so it belongs with the cache.
   */
  readonly attnPartials: GpuTensor;
  private checkpointCopies: readonly RingCopy[] | null = null;
  private checkpointLength: number | null = null;

  constructor(
    private readonly gpu: Gpu,
    readonly config: ModelConfig,
    opts: KvCacheOptions,
  ) {
    const { numKvHeads: Hkv, headDim: Dh, slidingWindow: W } = config;
    this.contextLength = opts.contextLength;
    this.maxKvSize = opts.maxKvSize ?? 0;
    this.kvKeep = this.maxKvSize > 0 ? opts.kvKeep ?? DEFAULT_KV_KEEP : 0;
    this.slidingSlack = opts.slidingSlack ?? DEFAULT_SLIDING_SLACK;
    if (!Number.isInteger(this.contextLength) || this.contextLength < 1) {
      throw new ShapeError(`kv cache: contextLength must be a positive integer, got ${this.contextLength}`);
    }
    if (this.maxKvSize > 0 && this.maxKvSize <= this.kvKeep) {
      throw new ShapeError(`kv cache: maxKvSize=${this.maxKvSize} must exceed kvKeep=${this.kvKeep}`);
    }
    const full: CacheGeometry =
      this.maxKvSize > 0
        ? { capacity: this.maxKvSize, keep: this.kvKeep, window: 0 }
        : { capacity: this.contextLength, keep: 0, window: 0 };
    // A ring longer than every position the cache will ever hold buys nothing; with rotation positions
    // are unbounded, so the sliding rings keep their full slack (decode steps queued past a stop
    // rewind through it).
    const maxSlidingSlots = this.maxKvSize > 0 ? Infinity : Math.max(this.contextLength, W);
    const sliding: CacheGeometry = { capacity: Math.min(W + this.slidingSlack, maxSlidingSlots), keep: 0, window: W };
    const isSliding = config.layerTypes.map((type) => type === 'sliding_attention');
    checkDeviceFits(
      gpu,
      config,
      { contextLength: this.contextLength, maxKvSize: this.maxKvSize, slidingSlack: this.slidingSlack },
      isSliding.includes(false) ? full : null,
      isSliding.includes(true) ? sliding : null,
    );
    this.layers = config.layerTypes.map((_, l) => {
      const geometry = isSliding[l] ? sliding : full;
      const shape = [Hkv, geometry.capacity, Dh];
      return { k: createTensor(gpu, `L${l}.kcache`, 'f32', shape), v: createTensor(gpu, `L${l}.vcache`, 'f32', shape), geometry };
    });
    this.bytes = this.layers.reduce((n, l) => n + l.k.byteLength + l.v.byteLength, 0);
    const partialsFloats = Math.max(...this.layers.map((l) => decodePartialsFloats(config.numHeads, Dh, l.geometry)));
    this.attnPartials = createTensor(gpu, 'attn_partials', 'f32', [partialsFloats]);
  }

  /** Positions the cache can hold in total (without rotation: the context length). */
  get maxPositions(): number {
    return this.maxKvSize > 0 ? ROTATING_MAX_POSITIONS : this.contextLength;
  }

  /** Throw unless positions up to `endPos` (exclusive) fit. */
  checkFits(endPos: number): void {
    if (endPos > this.maxPositions) {
      throw new ContextOverflowError(
        `context overflow: ${endPos} tokens exceed the KV cache's ${this.contextLength} positions ` +
          `(raise the context length, or set maxKvSize to rotate the cache)`,
      );
    }
  }

  /**
   * Whether the cache, written for positions [0, cachedLen), still holds what attention at positions
   * >= `newLen` needs after rewinding to `newLen` (< cachedLen): for every layer, the keys it would
   * see from position newLen must not have been overwritten by positions in [newLen, cachedLen).
   */
  canRewindTo(newLen: number, cachedLen: number): boolean {
    return this.layers.every(({ geometry }) => ringKeepsRewind(geometry, newLen, cachedLen));
  }

  /** Which layers a checkpoint copies: the sliding rings (small; rotating full layers are not). */
  get checkpointedLayers(): readonly boolean[] {
    return this.layers.map((l) => l.geometry.window > 0);
  }

  /** The position count of the held checkpoint, or null. */
  get checkpoint(): number | null {
    return this.checkpointLength;
  }

  /**
   * Record, into `enc`, a copy of the sliding rings as they are once the work before it ran; the
   * caller says which position count that is (the prompt just prefilled).
   */
  encodeSaveCheckpoint(enc: GPUCommandEncoder, length: number): void {
    if (!this.checkpointCopies) {
      this.checkpointCopies = this.layers.map((l, idx) =>
        l.geometry.window > 0
          ? { k: createTensor(this.gpu, `L${idx}.kcache.checkpoint`, 'f32', l.k.shape), v: createTensor(this.gpu, `L${idx}.vcache.checkpoint`, 'f32', l.v.shape) }
          : null,
      );
    }
    this.checkpointCopies.forEach((copy, idx) => {
      if (!copy) return;
      const l = this.layers[idx];
      enc.copyBufferToBuffer(l.k.buffer, 0, copy.k.buffer, 0, l.k.byteLength);
      enc.copyBufferToBuffer(l.v.buffer, 0, copy.v.buffer, 0, l.v.byteLength);
    });
    this.checkpointLength = length;
  }

  /** Record the copy back of the checkpoint's rings (the checkpoint is then used up). */
  encodeRestoreCheckpoint(enc: GPUCommandEncoder): void {
    if (this.checkpointLength === null || !this.checkpointCopies) throw new ShapeError('kv cache: no checkpoint to restore');
    this.checkpointCopies.forEach((copy, idx) => {
      if (!copy) return;
      const l = this.layers[idx];
      enc.copyBufferToBuffer(copy.k.buffer, 0, l.k.buffer, 0, l.k.byteLength);
      enc.copyBufferToBuffer(copy.v.buffer, 0, l.v.buffer, 0, l.v.byteLength);
    });
    this.checkpointLength = null;
  }

  /** Forget the checkpoint (positions below its length were rewritten with other ids). */
  dropCheckpoint(): void {
    this.checkpointLength = null;
  }

  destroy(): void {
    for (const l of this.layers) {
      l.k.destroy(this.gpu);
      l.v.destroy(this.gpu);
    }
    this.attnPartials.destroy(this.gpu);
    for (const copy of this.checkpointCopies ?? []) {
      copy?.k.destroy(this.gpu);
      copy?.v.destroy(this.gpu);
    }
    this.checkpointCopies = null;
    this.checkpointLength = null;
  }
}

/** The largest buffer one kernel binding can see on `gpu`, and the limit that sets it. */
export function kvBindingLimit(gpu: Gpu): { readonly bytes: number; readonly name: string } {
  const binding = gpu.maxBindingBytes;
  const buffer = gpu.limits.maxBufferSize ?? Infinity;
  return buffer < binding ? { bytes: buffer, name: 'maxBufferSize' } : { bytes: binding, name: 'maxStorageBufferBindingSize' };
}

/** Bytes of one layer's k (or v) per cached position: f32 [Hkv, Dh]. */
export function kvBytesPerPosition(config: ModelConfig): number {
  return config.numKvHeads * config.headDim * 4;
}

const BYTES_PER_MIB = 1024 * 1024;
const mib = (bytes: number): string => `${(bytes / BYTES_PER_MIB).toFixed(1)} MiB`;

/**
 * Throw before any allocation unless a layer's k and v, f32 [Hkv, S, Dh], each fit one binding:
 * a ConfigError naming the option to lower (contextLength / maxKvSize / slidingSlack) and the
 * largest value that fits; UnsupportedDeviceError when not even the sliding window W fits.
 */
function checkDeviceFits(
  gpu: Gpu,
  config: ModelConfig,
  opts: { readonly contextLength: number; readonly maxKvSize: number; readonly slidingSlack: number },
  full: CacheGeometry | null,
  sliding: CacheGeometry | null,
): void {
  const limit = kvBindingLimit(gpu);
  const perPosition = kvBytesPerPosition(config);
  const maxSlots = Math.floor(limit.bytes / perPosition);
  const need = (g: CacheGeometry) =>
    `needs ${g.capacity * perPosition} bytes (${mib(g.capacity * perPosition)}) for each layer's k and v ` +
    `(f32 [Hkv=${config.numKvHeads}, S=${g.capacity}, Dh=${config.headDim}]), more than one buffer binding holds on this adapter ` +
    `(${limit.name} = ${limit.bytes} bytes, ${mib(limit.bytes)})`;
  if (full && full.capacity > maxSlots) {
    if (opts.maxKvSize > 0) {
      throw new ConfigError(
        `kv cache: 'maxKvSize' = ${opts.maxKvSize} ${need(full)}; the largest maxKvSize that fits is ${maxSlots}: pass --max-kv-size ${maxSlots} or less`,
      );
    }
    throw new ConfigError(
      `kv cache: 'contextLength' = ${opts.contextLength} ${need(full)}; the largest context that fits is ${maxSlots}: ` +
        `pass --context ${maxSlots} or less, or rotate the full layers' cache with --max-kv-size N (N ≤ ${maxSlots})`,
    );
  }
  if (sliding && sliding.capacity > maxSlots) {
    if (sliding.window > maxSlots) {
      throw new UnsupportedDeviceError(`kv cache: the sliding window W=${sliding.window} alone ${need(sliding)}; this adapter cannot run this model`);
    }
    throw new ConfigError(
      `kv cache: 'slidingSlack' = ${opts.slidingSlack}: the sliding ring of W + slack = ${sliding.capacity} slots ${need(sliding)}; ` +
        `the largest slack that fits is ${maxSlots - sliding.window}`,
    );
  }
}
