// The KV cache on the GPU: per layer, k and v as f32 [Hkv, S, Dh]. Position p lives in slot
//   slot(p) = p < keep ? p : keep + (p - keep) % (S - keep)
// so one geometry covers the three layouts gpt-oss needs:
//   sliding layers:          keep = 0, S = W + slack      (a ring; the window sees the last W)
//   full layers:             keep = 0, S = context length (no wrap before the context is full)
//   full layers, rotating:   keep = kvKeep, S = maxKvSize (the first kvKeep positions, then the most
//                            recent S - kvKeep; RoPE positions stay absolute)
// The slack beyond W on sliding layers lets a request rewind up to `slack` positions (Harmony drops
// the last turn's analysis, so a new prompt diverges a little before the cache's end) and still find
// the W keys before the rewind point; see `canRewindTo`.

import { ContextOverflowError, ShapeError } from '../errors.js';
import type { Gpu } from '../gpu/device.js';
import { createTensor, type GpuTensor } from '../gpu/tensor.js';
import type { CacheGeometry } from '../kernels/attention.js';
import type { ModelConfig } from '../model/shapes.js';

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

export interface LayerCache {
  readonly k: GpuTensor;
  readonly v: GpuTensor;
  readonly geometry: CacheGeometry;
}

export class KvCache {
  readonly layers: readonly LayerCache[];
  readonly contextLength: number;
  readonly maxKvSize: number;
  readonly kvKeep: number;
  readonly slidingSlack: number;
  readonly bytes: number;

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
    const sliding: CacheGeometry = { capacity: Math.min(W + this.slidingSlack, Math.max(full.capacity, W)), keep: 0, window: W };
    this.layers = config.layerTypes.map((type, l) => {
      const geometry = type === 'sliding_attention' ? sliding : full;
      const shape = [Hkv, geometry.capacity, Dh];
      return { k: createTensor(gpu, `L${l}.kcache`, 'f32', shape), v: createTensor(gpu, `L${l}.vcache`, 'f32', shape), geometry };
    });
    this.bytes = this.layers.reduce((n, l) => n + l.k.byteLength + l.v.byteLength, 0);
  }

  /** Positions the cache can hold in total (without rotation: the context length). */
  get maxPositions(): number {
    return this.maxKvSize > 0 ? Number.MAX_SAFE_INTEGER : this.contextLength;
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
   * Whether the cache filled up to `cachedLen` positions still holds what attention at positions
   * >= `newLen` needs after rewinding to `newLen` (< cachedLen): for every layer, the keys it would
   * see from position newLen must not have been overwritten by positions in [newLen, cachedLen).
   */
  canRewindTo(newLen: number, cachedLen: number): boolean {
    if (newLen >= cachedLen) return true;
    return this.layers.every(({ geometry: g }) => {
      const ring = g.capacity - g.keep;
      // Writes of positions p in [newLen, cachedLen) overwrote the slots of positions p - ring:
      // lost = [max(keep, newLen - ring), cachedLen - 1 - ring].
      const highestLost = cachedLen - 1 - ring;
      if (highestLost < g.keep) return true;
      // The query at newLen needs keys j in [lo, newLen) with lo = newLen - W (sliding) or the ring's
      // view for full layers; a lost position in that range forbids the rewind.
      const needLo = g.window > 0 ? Math.max(0, newLen - g.window + 1) : Math.max(g.keep, newLen - ring + 1);
      const lostHi = Math.min(highestLost, newLen - 1);
      const lostLo = Math.max(g.keep, newLen - ring);
      return lostHi < Math.max(needLo, lostLo);
    });
  }

  destroy(): void {
    for (const l of this.layers) {
      l.k.destroy(this.gpu);
      l.v.destroy(this.gpu);
    }
  }
}
