// The KV cache against the device's buffer limits: the attention kernels bind a layer's k and v,
// f32 [Hkv, S, Dh], as one buffer each, so S is bounded by maxStorageBufferBindingSize (128 MiB on
// lavapipe) / (Hkv * Dh * 4). One slot past that bound is refused up front with an error naming the
// largest context that fits, before anything is allocated; the bound itself fits in one buffer.
import { describe, expect, it, vi } from 'vitest';
import { ConfigError, UnsupportedDeviceError } from '../../src/errors.js';
import { KvCache, kvBytesPerPosition, type KvCacheOptions } from '../../src/kvcache/kv-cache.js';
import { parseModelConfig } from '../../src/model/config.js';
import type { ModelConfig } from '../../src/model/shapes.js';
import { customConfig, type CustomShape } from '../helpers/custom-model.js';
import { useGpu } from '../helpers/gpu.js';

// gpt-oss's K/V shape (Hkv=8, Dh=64: 2 KiB per position and layer) on a model small elsewhere;
// one sliding layer (W=128) and one full layer.
const SHAPE: CustomShape = { hidden: 64, layers: 2, heads: 16, kvHeads: 8, headDim: 64, experts: 4, topK: 2, intermediate: 64, vocab: 256, window: 128 };

function configOf(shape: CustomShape): ModelConfig {
  return parseModelConfig(customConfig(shape), 'config.json');
}

describe('KvCache vs the device buffer limit', () => {
  const gpu = useGpu();
  const config = configOf(SHAPE);
  /** The largest S whose k (f32 [Hkv, S, Dh]) fits one binding, read from the opened device. */
  const maxSlots = (): number => {
    const limit = Math.min(gpu().maxBindingBytes, gpu().limits.maxBufferSize ?? Infinity);
    return Math.floor(limit / (SHAPE.kvHeads * SHAPE.headDim * 4));
  };

  /** Construct a cache expected to be refused, checking nothing was allocated first. */
  function refused(cfg: ModelConfig, opts: KvCacheOptions): Error {
    const create = vi.spyOn(gpu(), 'createBuffer');
    try {
      new KvCache(gpu(), cfg, opts).destroy();
    } catch (err) {
      expect(create).not.toHaveBeenCalled();
      return err as Error;
    } finally {
      create.mockRestore();
    }
    throw new Error(`KvCache(${JSON.stringify(opts)}) was expected to throw`);
  }

  it('bytes per position are Hkv * Dh * 4 (2 KiB for gpt-oss)', () => {
    expect(kvBytesPerPosition(config)).toBe(2048);
    console.log(`adapter binding limit ${gpu().maxBindingBytes} bytes → largest context ${maxSlots()}`);
  });

  it('contextLength one above the limit: ConfigError naming the need, the limit and the largest context', () => {
    const S = maxSlots() + 1;
    const err = refused(config, { contextLength: S });
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain(`'contextLength' = ${S}`);
    expect(err.message).toContain(`needs ${S * 2048} bytes`);
    expect(err.message).toContain(`maxStorageBufferBindingSize = ${gpu().maxBindingBytes} bytes`);
    expect(err.message).toContain(`the largest context that fits is ${maxSlots()}: pass --context ${maxSlots()} or less`);
    expect(err.message).toContain('--max-kv-size N');
  });

  it('contextLength at the limit: every layer k and v is one buffer (what the attention kernels bind)', () => {
    const cache = new KvCache(gpu(), config, { contextLength: maxSlots() });
    try {
      const [sliding, full] = cache.layers;
      expect(full.geometry.capacity).toBe(maxSlots());
      expect(full.k.byteLength).toBeLessThanOrEqual(gpu().maxBindingBytes);
      for (const l of [sliding, full]) {
        expect(l.k.chunks).toHaveLength(1);
        expect(l.v.chunks).toHaveLength(1);
      }
    } finally {
      cache.destroy();
    }
  });

  it('a big context with rotation fits; maxKvSize one above the limit names --max-kv-size', () => {
    const err = refused(config, { contextLength: 1 << 20, maxKvSize: maxSlots() + 1 });
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain(`'maxKvSize' = ${maxSlots() + 1}`);
    expect(err.message).toContain(`the largest maxKvSize that fits is ${maxSlots()}: pass --max-kv-size ${maxSlots()} or less`);
    // The context beyond the limit is fine once the full layers rotate in a small cache.
    const cache = new KvCache(gpu(), config, { contextLength: 1 << 20, maxKvSize: 1024 });
    expect(cache.layers[1].geometry.capacity).toBe(1024);
    cache.destroy();
  });

  it('sliding rings: a slack past the limit is a ConfigError, a window past it an UnsupportedDeviceError', () => {
    const slack = maxSlots() - SHAPE.window + 1;
    const err = refused(config, { contextLength: 1024, maxKvSize: 1024, slidingSlack: slack });
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain(`'slidingSlack' = ${slack}`);
    expect(err.message).toContain(`the largest slack that fits is ${slack - 1}`);
    const wide = configOf({ ...SHAPE, window: maxSlots() + 1 });
    expect(refused(wide, { contextLength: 1024, maxKvSize: 1024 })).toBeInstanceOf(UnsupportedDeviceError);
  });
});
