// The in-process backend of `wgh serve`: load the checkpoint onto the GPU, the tokenizer, one
// TokenGenerator (one KV cache, prefix reuse across requests) shared by the Harmony LocalClient
// (chat routes) and the raw routes, then a warm-up generation so the first request does not pay
// for shader compilation. The warm-up prompt is a plain-text token, so it shares no prefix with
// any Harmony prompt: the first request's cache state equals a fresh process's.

import { LocalClient } from '../client/local.js';
import { createGenerator } from '../generate/generator.js';
import { unusedIdRange } from '../tokenizer/special-tokens.js';
import type { GpuOpenOptions } from '../gpu/device.js';
import { HarmonyEncoding } from '../harmony/encoding.js';
import { openCheckpoint, type Checkpoint } from '../model/checkpoint.js';
import { loadModel } from '../model/load.js';
import { DEFAULT_CONTEXT_LENGTH } from '../model/runner.js';
import type { EngineBackend, ModelInfo } from './engine.js';
import { LogprobTap } from './logprob-tap.js';

export interface LocalBackendOptions {
  readonly modelDir: string;
  readonly modelId: string;
  readonly gpuOptions?: GpuOpenOptions;
  /** KV cache length (default: the runner's). */
  readonly contextLength?: number;
  readonly maxBatch?: number;
  /** The KV cache policy loaded with (`--max-kv-size`, `--kv-keep`; default: no rotation). */
  readonly maxKvSize?: number;
  readonly kvKeep?: number;
  /** Progress lines (shown by /v1/health while loading). */
  readonly onProgress?: (detail: string) => void;
  /** Default true. */
  readonly warmup?: boolean;
}

const MS_PER_S = 1000;
const WARMUP_TOKENS = 2;
/** MXFP4 packs two 4-bit values per byte. */
const PARAMS_PER_MXFP4_BYTE = 2;
const BYTES_PER_MIB = 1024 * 1024;

function parameterCount(checkpoint: Checkpoint): number {
  let total = 0;
  for (const t of checkpoint.tensors.values()) {
    if (t.name.endsWith('_scales')) continue;
    total += t.dtype === 'U8' ? t.byteLength * PARAMS_PER_MXFP4_BYTE : t.shape.reduce((a, b) => a * b, 1);
  }
  return total;
}

/** Model facts from the checkpoint's headers (no weights read). */
export async function modelInfoOf(dir: string, id: string, contextLength?: number): Promise<ModelInfo> {
  const checkpoint = await openCheckpoint(dir);
  const c = checkpoint.config;
  const hasMxfp4 = [...checkpoint.tensors.values()].some((t) => t.dtype === 'U8');
  return {
    id, dir, family: 'gpt-oss', contextLength: contextLength ?? Math.min(DEFAULT_CONTEXT_LENGTH, c.maxPositionEmbeddings),
    numLayers: c.numLayers, numExperts: c.numExperts, hiddenSize: c.hiddenSize, vocabSize: c.vocabSize, parameterCount: parameterCount(checkpoint),
    quantization: hasMxfp4 ? 'MXFP4' : 'BF16', sizeBytes: checkpoint.totalBytes, createdS: Math.floor(Date.now() / MS_PER_S),
  };
}

export async function openLocalBackend(opts: LocalBackendOptions): Promise<EngineBackend> {
  const progress = opts.onProgress ?? (() => undefined);
  const info = await modelInfoOf(opts.modelDir, opts.modelId, opts.contextLength);
  const encoding = await HarmonyEncoding.load(opts.modelDir);
  const startMs = performance.now();
  let lastPercent = -1;
  const model = await loadModel(opts.modelDir, {
    ...(opts.gpuOptions !== undefined ? { gpuOptions: opts.gpuOptions } : {}),
    contextLength: info.contextLength,
    ...(opts.maxBatch !== undefined ? { maxBatch: opts.maxBatch } : {}),
    ...(opts.maxKvSize !== undefined ? { maxKvSize: opts.maxKvSize } : {}),
    ...(opts.kvKeep !== undefined ? { kvKeep: opts.kvKeep } : {}),
    onProgress: (p) => {
      const percent = Math.floor((100 * p.bytesDone) / Math.max(info.sizeBytes ?? 1, 1));
      if (percent !== lastPercent) progress(`loading weights: ${percent}% of ${((info.sizeBytes ?? 0) / BYTES_PER_MIB).toFixed(0)} MiB`);
      lastPercent = percent;
    },
  });
  const loadSeconds = (performance.now() - startMs) / MS_PER_S;
  const generator = createGenerator(model, { maskRange: unusedIdRange(model.config.vocabSize) });
  let warmupSeconds = 0;
  try {
    if (opts.warmup ?? true) {
      progress('warming up');
      const warmStart = performance.now();
      const warm = generator.generate(encoding.tokenizer.encodeOrdinary('Hi'), { maxTokens: WARMUP_TOKENS, temperature: 0 });
      for await (const _token of warm) {
        // drain
      }
      await warm.result;
      warmupSeconds = (performance.now() - warmStart) / MS_PER_S;
    }
  } catch (err) {
    generator.destroy();
    model.destroy();
    throw err;
  }
  const adapter = model.gpu.adapter;
  const tap = new LogprobTap(generator);
  const client = new LocalClient({ generator: tap, encoding, description: `${opts.modelId} (local)`, contextLength: info.contextLength });
  return {
    client, generator: tap, encoding, tokenLogprobs: (index) => tap.lookup(index),
    info: { ...info, adapter: adapter.description || adapter.device, backend: adapter.backend, loadSeconds, warmupSeconds },
    async close() {
      await client.close();
      await generator.close();
      model.destroy();
    },
  };
}
