// A forward-pass rig for `wgh profile`: records the same kernel calls as the runner's prefill chunks
// and decode step (src/model/runner-forward.ts `recordForward`, then the greedy ARGMAX_TAIL) into a
// Recorder the profiler owns, over the loaded weights and the runner's KV cache, with scratch
// activations of its own (createScratch; ~15 MB for 256-token batches at gpt-oss size). It writes
// the step inputs (ids, pos0, rope rows) itself, so every profiled step sits at an exact position and
// declares attention's real key count, and it never touches the runner's position bookkeeping.

import type { Gpu } from '../gpu/device.js';
import type { Recorder } from '../gpu/recorder.js';
import type { GpuTensor } from '../gpu/tensor.js';
import { fillRopeTable, yarnConcentration, yarnInvFreq } from '../model/rope.js';
import { ARGMAX_TAIL, type ModelRunner } from '../model/runner.js';
import { createScratch, recordForward, type ForwardContext, type LogitsMode, type Scratch } from '../model/runner-forward.js';

export class ForwardRig {
  private readonly scratch: Scratch;
  private readonly ctx: ForwardContext;
  private readonly invFreq: Float32Array;
  private readonly concentration: number;
  private readonly ropeHost: Float32Array;
  private readonly stepHost = new Uint32Array(4);

  constructor(
    private readonly gpu: Gpu,
    private readonly runner: ModelRunner,
  ) {
    const cfg = runner.config;
    this.scratch = createScratch(gpu, cfg, runner.maxBatch);
    this.ctx = {
      config: cfg,
      weights: runner.weights,
      scratch: this.scratch,
      cache: () => runner.cache,
      allLogits: () => {
        throw new RangeError('ForwardRig records last-token logits only');
      },
    };
    this.invFreq = yarnInvFreq(cfg);
    this.concentration = yarnConcentration(cfg);
    this.ropeHost = new Float32Array(runner.maxBatch * cfg.headDim);
  }

  get maxBatch(): number {
    return this.runner.maxBatch;
  }

  /** One prefill chunk: `ids` (≤ maxBatch) at positions pos0 .. pos0 + T - 1, logits per `mode`. */
  recordPrefillChunk(rec: Recorder, ids: readonly number[], pos0: number, mode: Exclude<LogitsMode, 'all'>): void {
    this.runner.cache.checkFits(pos0 + ids.length);
    this.gpu.write(this.scratch.ids.buffer, 0, Uint32Array.from(ids));
    this.writeStep(pos0, ids.length);
    recordForward(rec, this.ctx, ids.length, mode, pos0 + ids.length);
  }

  /**
   * One decode step at position `pos`: the forward of ids[0] (`feedId` when given, else the id the
   * previous recorded step chose), then argmax into ids[0], as runner.stepPlan('decode', ARGMAX_TAIL).
   */
  recordDecodeStep(rec: Recorder, pos: number, feedId?: number): void {
    this.runner.cache.checkFits(pos + 1);
    if (feedId !== undefined) this.gpu.write(this.scratch.ids.buffer, 0, Uint32Array.of(feedId));
    this.writeStep(pos, 1);
    recordForward(rec, this.ctx, 1, 'last', pos + 1);
    ARGMAX_TAIL.record(rec, this.scratch);
  }

  private writeStep(pos0: number, numTokens: number): void {
    this.stepHost[0] = pos0;
    this.gpu.write(this.scratch.step.buffer, 0, this.stepHost);
    fillRopeTable(this.invFreq, this.concentration, pos0, numTokens, this.ropeHost);
    this.gpu.write(this.scratch.rope.buffer, 0, this.ropeHost.subarray(0, numTokens * this.runner.config.headDim));
  }

  destroy(): void {
    for (const t of Object.values(this.scratch) as GpuTensor[]) t.destroy(this.gpu);
  }
}
