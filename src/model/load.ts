// loadModel: a checkpoint directory -> weights on the GPU and a ModelRunner ready to prefill/decode.

import { Gpu, type GpuOpenOptions } from '../gpu/device.js';
import { openCheckpoint, type Checkpoint } from './checkpoint.js';
import { ModelRunner, type RunnerOptions } from './runner.js';
import type { ModelConfig } from './shapes.js';
import { destroyWeights, loadWeights, type LoadProgress, type ModelWeights } from './weights.js';

export interface LoadModelOptions extends RunnerOptions {
  /** Use this device instead of opening one (the caller keeps ownership). */
  readonly gpu?: Gpu;
  readonly gpuOptions?: GpuOpenOptions;
  readonly onProgress?: (p: LoadProgress) => void;
  readonly signal?: AbortSignal;
  /** Force smaller tensor chunks than the device allows (tests of the chunked paths). */
  readonly maxChunkBytes?: number;
}

export interface LoadStats {
  readonly seconds: number;
  readonly bytes: number;
  readonly bytesPerSecond: number;
}

export class LoadedModel {
  private disposed = false;

  constructor(
    readonly gpu: Gpu,
    readonly checkpoint: Checkpoint,
    readonly weights: ModelWeights,
    readonly runner: ModelRunner,
    readonly stats: LoadStats,
    private readonly ownsGpu: boolean,
  ) {}

  get config(): ModelConfig {
    return this.checkpoint.config;
  }

  /** Release GPU memory (and the device, if loadModel opened it) so the process can exit. */
  destroy(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.runner.destroy();
    destroyWeights(this.gpu, this.weights);
    if (this.ownsGpu) this.gpu.destroy();
  }
}

export async function loadModel(dir: string, opts: LoadModelOptions = {}): Promise<LoadedModel> {
  const checkpoint = await openCheckpoint(dir);
  const gpu = opts.gpu ?? (await Gpu.open(opts.gpuOptions));
  try {
    const start = performance.now();
    const weights = await loadWeights(gpu, checkpoint, { onProgress: opts.onProgress, signal: opts.signal, maxChunkBytes: opts.maxChunkBytes });
    const seconds = (performance.now() - start) / 1000;
    const runner = new ModelRunner(gpu, checkpoint.config, weights, opts);
    const stats = { seconds, bytes: checkpoint.totalBytes, bytesPerSecond: checkpoint.totalBytes / Math.max(seconds, 1e-9) };
    return new LoadedModel(gpu, checkpoint, weights, runner, stats, !opts.gpu);
  } catch (err) {
    if (!opts.gpu) gpu.destroy();
    throw err;
  }
}
