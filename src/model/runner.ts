// ModelRunner: the model's state on the GPU (KV cache, scratch, recorded step plans) and the
// operations the token loop (src/generate/) is built from:
//   prefill(ids, mode)           T tokens at the current position, in chunks of at most maxBatch;
//   prefillPrompt(prompt, mode)  the same after prefix reuse (src/kvcache/prefix.ts): keep the longest
//                                usable common prefix with the cached ids, prefill the rest, and save a
//                                checkpoint of the sliding rings for the next turn's rewind;
//   stepPlan + submitStep        one decode step = one command buffer: the forward pass for the id a
//                                previous step left in ids[0] (argmax or the GPU sampler, a `StepTail`),
//                                then the tail choosing the next id into ids[0]. Several steps can be
//                                queued before the CPU reads ids back; acceptDecoded / discardQueued
//                                settle which of their positions hold known ids.
// Positions: `step[0]` (a u32 GPU buffer) holds pos0, the absolute position of the batch's first
// token; the rope table (cos, sin per token) is filled on the CPU per batch (src/model/rope.ts).
// Both are written with queue.writeBuffer before each submit, which orders them with the work.

import { EngineError, ShapeError } from '../errors.js';
import type { Gpu } from '../gpu/device.js';
import { Plan, Recorder } from '../gpu/recorder.js';
import { createTensor, type GpuTensor } from '../gpu/tensor.js';
import { encodeArgmax } from '../kernels/argmax.js';
import { DEFAULT_KV_KEEP, KvCache, type KvCacheOptions } from '../kvcache/kv-cache.js';
import { planPrefixReuse, ringKeepsRewind, type PrefixPlan } from '../kvcache/prefix.js';
import { fillRopeTable, yarnConcentration, yarnInvFreq } from './rope.js';
import { createScratch, recordForward, type ForwardContext, type LogitsMode, type Scratch } from './runner-forward.js';
import type { ModelConfig } from './shapes.js';
import type { ModelWeights } from './weights.js';

export { SWIGLU_ALPHA, type LogitsMode } from './runner-forward.js';

export interface RunnerOptions extends Partial<KvCacheOptions> {
  /** Largest prefill chunk (scratch buffers are sized for it). */
  readonly maxBatch?: number;
}

/** The cache policy a request may change (a change reallocates the cache: see configureCache). */
export interface CachePolicy {
  /** 0 = no rotation. */
  readonly maxKvSize: number;
  readonly kvKeep?: number;
}

export const DEFAULT_CONTEXT_LENGTH = 8192;
export const DEFAULT_MAX_BATCH = 256;

/** What a decode step does with the logits it produced: write the next id into ids[0]. */
export interface StepTail {
  /** Label of the recorded plans (plans are cached per tail object until the cache changes). */
  readonly key: string;
  record(rec: Recorder, s: Pick<Scratch, 'logits' | 'ids' | 'argmaxPartials'>): void;
}

/** Greedy decoding with the exact argmax kernel (ties -> lowest id). */
export const ARGMAX_TAIL: StepTail = {
  key: 'argmax',
  record: (rec, s) =>
    encodeArgmax(rec, { logits: s.logits, ids: s.ids.buffer, partials: s.argmaxPartials }, { numTokens: 1, vocabSize: s.logits.shape[1], outOffset: 0 }),
};

/** 'head': only the tail, on the logits a prefill left ('last'); 'decode': forward one token, then the tail. */
export type StepKind = 'head' | 'decode';

export interface PromptPrefill {
  readonly plan: PrefixPlan;
  /** Prompt positions whose K/V were kept (not recomputed). */
  readonly cachedTokens: number;
  /** Logits of the prefilled suffix (mode 'all'), rows for positions cachedTokens .. prompt.length-1. */
  readonly logits: Float32Array | null;
}

export class ModelRunner {
  readonly maxBatch: number;
  readonly contextLength: number;
  /** Token ids whose K/V are in the cache, in position order (its length is the next position). */
  readonly tokens: number[] = [];
  private kvCache: KvCache;
  private readonly slidingSlack: number | undefined;
  private readonly scratch: Scratch;
  private readonly forwardCtx: ForwardContext;
  private readonly invFreq: Float32Array;
  private readonly concentration: number;
  private readonly ropeHost: Float32Array;
  private readonly stepHost = new Uint32Array(4);
  private allLogits: GpuTensor | null = null;
  private readonly plans = new Map<StepTail, Partial<Record<StepKind, Plan>>>();
  /** Decode steps submitted whose fed ids the CPU has not accepted yet (positions length .. length + queued - 1). */
  private queued = 0;
  /** Per layer: one past the highest position written since the cached ids were (PrefixCacheState.writtenLengths). */
  private readonly writtenEnds: number[];

  constructor(
    readonly gpu: Gpu,
    readonly config: ModelConfig,
    readonly weights: ModelWeights,
    opts: RunnerOptions = {},
  ) {
    this.maxBatch = opts.maxBatch ?? DEFAULT_MAX_BATCH;
    if (!Number.isInteger(this.maxBatch) || this.maxBatch < 1) throw new ShapeError(`maxBatch must be a positive integer, got ${this.maxBatch}`);
    this.contextLength = opts.contextLength ?? Math.min(DEFAULT_CONTEXT_LENGTH, config.maxPositionEmbeddings);
    this.slidingSlack = opts.slidingSlack;
    this.kvCache = this.createCache({ maxKvSize: opts.maxKvSize ?? 0, kvKeep: opts.kvKeep });
    this.writtenEnds = config.layerTypes.map(() => 0);
    this.scratch = createScratch(gpu, config, this.maxBatch);
    this.forwardCtx = { config, weights, scratch: this.scratch, cache: () => this.kvCache, allLogits: () => this.getAllLogits() };
    this.invFreq = yarnInvFreq(config);
    this.concentration = yarnConcentration(config);
    this.ropeHost = new Float32Array(this.maxBatch * config.headDim);
  }

  get cache(): KvCache {
    return this.kvCache;
  }

  /** Next position (number of tokens in the cache). */
  get length(): number {
    return this.tokens.length;
  }

  /** One past the highest position written (> length after decode steps queued past a stop). */
  get writtenLength(): number {
    return Math.max(this.tokens.length, ...this.writtenEnds);
  }

  /** f32 [1, V]: logits of the last token of the last forward pass that produced 'last' logits. */
  get lastLogits(): GpuTensor {
    return this.scratch.logits;
  }

  /** u32 [B]: the batch's ids; after a decode step, element 0 holds the chosen id. */
  get idsBuffer(): GPUBuffer {
    return this.scratch.ids.buffer;
  }

  /**
   * Switch the full layers' rotation (maxKvSize, kvKeep). A different policy reallocates the cache and
   * forgets every cached id (the next prompt is prefilled from 0); the same policy is a no-op.
   * Returns whether the cache was reallocated.
   */
  configureCache(policy: CachePolicy): boolean {
    const cur = this.kvCache;
    // kvKeep left out: keep the current one when already rotating, else the default.
    const keep = policy.maxKvSize > 0 ? policy.kvKeep ?? (cur.maxKvSize > 0 ? cur.kvKeep : DEFAULT_KV_KEEP) : 0;
    if (policy.maxKvSize === cur.maxKvSize && keep === cur.kvKeep) return false;
    this.assertIdle('configureCache');
    const next = this.createCache({ maxKvSize: policy.maxKvSize, kvKeep: keep }); // validates before the old cache is dropped
    this.destroyPlans();
    this.kvCache.destroy();
    this.kvCache = next;
    this.tokens.length = 0;
    this.writtenEnds.fill(0);
    return true;
  }

  /** Forget cached positions beyond `length` (the next forward starts there). */
  rewind(length: number): void {
    this.assertIdle('rewind');
    if (!Number.isInteger(length) || length < 0 || length > this.tokens.length) throw new ShapeError(`rewind: ${length} outside 0..${this.tokens.length}`);
    if (!this.kvCache.layers.every((l, idx) => ringKeepsRewind(l.geometry, length, Math.max(this.writtenEnds[idx], this.tokens.length)))) {
      throw new EngineError(
        `rewind: the KV cache's rings no longer hold the keys position ${length} needs (written up to ${this.writtenLength}); ` +
          `use prefillPrompt(), which re-prefills`,
      );
    }
    this.truncate(length);
  }

  /**
   * Benchmarks only (src/cli/bench-run.ts): pretend positions [0, length) are cached, holding whatever
   * the cache buffers contain, to time decode at a depth without prefilling it. The ids read as 0.
   */
  setLengthForBenchmark(length: number): void {
    this.assertIdle('setLengthForBenchmark');
    if (!Number.isInteger(length) || length < 0) throw new ShapeError(`setLengthForBenchmark: ${length} is not a position count`);
    this.kvCache.checkFits(length);
    this.kvCache.dropCheckpoint();
    this.tokens.length = 0;
    for (let pos = 0; pos < length; pos++) this.tokens.push(0);
    this.writtenEnds.fill(length);
  }

  /**
   * Run the forward pass over `ids` appended at the current position, in chunks of maxBatch.
   * 'all' returns the logits of every token (f32 [T, V] row-major); 'last' leaves the last token's
   * logits in `lastLogits` and returns null. An aborted `signal` stops between chunks (the chunks
   * done stay cached) with the signal's reason.
   */
  async prefill(ids: readonly number[], mode: LogitsMode = 'last', signal?: AbortSignal): Promise<Float32Array | null> {
    this.assertIdle('prefill');
    const V = this.config.vocabSize;
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= V) throw new ShapeError(`token id ${id} outside the vocabulary [0, ${V})`);
    }
    this.kvCache.checkFits(this.length + ids.length);
    const chunkTokens = mode === 'all' ? Math.min(this.maxBatch, this.allLogitsRows()) : this.maxBatch;
    const out = mode === 'all' ? new Float32Array(ids.length * V) : null;
    for (let start = 0; start < ids.length; start += chunkTokens) {
      signal?.throwIfAborted();
      const chunk = ids.slice(start, start + chunkTokens);
      const isLast = start + chunk.length === ids.length;
      const chunkMode: LogitsMode = mode === 'all' ? 'all' : mode === 'last' && isLast ? 'last' : 'none';
      this.gpu.write(this.scratch.ids.buffer, 0, Uint32Array.from(chunk));
      this.writeStep(this.length, chunk.length);
      const rec = new Recorder(this.gpu, `prefill[${this.length}+${chunk.length}]`);
      recordForward(rec, this.forwardCtx, chunk.length, chunkMode, this.length + chunk.length);
      const plan = rec.finish();
      plan.submit();
      if (out) {
        const bytes = await this.gpu.read(this.getAllLogits().buffer, 0, chunk.length * V * 4);
        out.set(new Float32Array(bytes), start * V);
      } else {
        await this.gpu.sync();
      }
      plan.destroy();
      this.tokens.push(...chunk);
      this.noteWritten(this.tokens.length);
    }
    return out;
  }

  /**
   * Prefill a whole prompt, reusing the cached prefix it shares (src/kvcache/prefix.ts decides: extend,
   * rewind, restore the checkpoint, or re-prefill from 0), then save a checkpoint of the sliding
   * rings at the prompt's end for the next request.
   */
  async prefillPrompt(prompt: readonly number[], mode: LogitsMode = 'last', signal?: AbortSignal): Promise<PromptPrefill> {
    this.assertIdle('prefillPrompt');
    if (prompt.length === 0) throw new ShapeError('prefillPrompt: the prompt is empty; give at least one token');
    const cache = this.kvCache;
    const plan = planPrefixReuse(
      {
        cached: this.tokens,
        writtenLengths: this.writtenEnds,
        layers: cache.layers.map((l) => l.geometry),
        checkpoint: cache.checkpoint === null ? null : { length: cache.checkpoint, saved: cache.checkpointedLayers },
      },
      prompt,
    );
    const checkpointLength = cache.checkpoint;
    if (plan.action === 'restore_checkpoint' && checkpointLength !== null) {
      this.gpu.submitCommands('kv checkpoint restore', (enc) => cache.encodeRestoreCheckpoint(enc));
      this.truncate(plan.reuse);
      // The restored rings hold what was written up to the checkpoint, nothing later.
      cache.checkpointedLayers.forEach((saved, l) => {
        if (saved) this.writtenEnds[l] = checkpointLength;
      });
    } else {
      this.truncate(plan.reuse);
    }
    const logits = await this.prefill(prompt.slice(plan.reuse), mode, signal);
    this.gpu.submitCommands('kv checkpoint save', (enc) => cache.encodeSaveCheckpoint(enc, this.length));
    return { plan, cachedTokens: plan.reuse, logits };
  }

  /** The recorded plan of a step (cached per kind and tail object; rebuilt after configureCache). */
  stepPlan(kind: StepKind, tail: StepTail): Plan {
    let byKind = this.plans.get(tail);
    if (!byKind) this.plans.set(tail, (byKind = {}));
    let plan = byKind[kind];
    if (!plan) {
      const rec = new Recorder(this.gpu, `${kind}:${tail.key}`);
      if (kind === 'decode') recordForward(rec, this.forwardCtx, 1, 'last', this.contextLength);
      tail.record(rec, this.scratch);
      plan = byKind[kind] = rec.finish();
    }
    return plan;
  }

  /** Drop the plans recorded for `tail` (its buffers are about to be destroyed). */
  releasePlans(tail: StepTail): void {
    for (const plan of Object.values(this.plans.get(tail) ?? {})) plan.destroy();
    this.plans.delete(tail);
  }

  /**
   * Submit one step as one command buffer. A 'decode' step feeds ids[0] at the next free position
   * (length + queued): the CPU writes pos0 and one rope row, two small writeBuffers and no allocation.
   * `after` may append copies (e.g. ids to a readback buffer) to the same command buffer.
   */
  submitStep(kind: StepKind, plan: Plan, after?: (enc: GPUCommandEncoder) => void): void {
    if (kind === 'decode') {
      const pos = this.tokens.length + this.queued;
      this.kvCache.checkFits(pos + 1);
      this.writeStep(pos, 1);
      this.queued++;
      this.noteWritten(pos + 1);
    }
    plan.submit(after);
  }

  /** Decode steps submitted whose fed id the CPU has not accepted yet. */
  get queuedSteps(): number {
    return this.queued;
  }

  /** The oldest queued step fed `id` (read back by the caller): it joins `tokens`. */
  acceptDecoded(id: number): void {
    if (this.queued === 0) throw new EngineError('acceptDecoded: no decode step is queued');
    this.tokens.push(id);
    this.queued--;
  }

  /** Forget the positions of queued steps nobody accepted (past a stop): a rewind, since writtenLength remembers them. */
  discardQueued(): void {
    this.queued = 0;
  }

  /**
   * Greedy decoding with the argmax kernel (tests and tools; generation goes through src/generate):
   * from the logits of the last prefilled token, `maxTokens` ids or until a stop id, reading ids back
   * every `stepsPerRead` steps. Returns the generated ids (the stop id included).
   */
  async greedy(maxTokens: number, stopIds: ReadonlySet<number> = new Set(), stepsPerRead = 8): Promise<number[]> {
    const out: number[] = [];
    if (maxTokens <= 0) return out;
    const history = this.gpu.createBuffer('greedy_history', stepsPerRead * 4, GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC);
    let slot = 0;
    const copyId = (enc: GPUCommandEncoder) => enc.copyBufferToBuffer(this.scratch.ids.buffer, 0, history, slot * 4, 4);
    try {
      this.submitStep('head', this.stepPlan('head', ARGMAX_TAIL), copyId);
      for (let submitted = 1; ; ) {
        slot++;
        const full = slot === stepsPerRead || submitted === maxTokens;
        if (!full) {
          this.submitStep('decode', this.stepPlan('decode', ARGMAX_TAIL), copyId);
          submitted++;
          continue;
        }
        const ids = new Uint32Array(await this.gpu.read(history, 0, slot * 4));
        for (const id of ids) {
          out.push(id);
          // An id was fed iff a later step was submitted: out.length < submitted.
          if (out.length < submitted) this.acceptDecoded(id);
          if (stopIds.has(id) || out.length >= maxTokens) return out;
        }
        slot = 0;
        // The next batch's first slot is written by the decode step that feeds the batch's last id.
        this.submitStep('decode', this.stepPlan('decode', ARGMAX_TAIL), copyId);
        submitted++;
        this.acceptDecoded(out[out.length - 1]);
      }
    } finally {
      this.discardQueued();
      await this.gpu.sync();
      this.gpu.destroyBuffer(history);
    }
  }

  destroy(): void {
    this.destroyPlans();
    for (const t of Object.values(this.scratch)) (t as GpuTensor).destroy(this.gpu);
    this.allLogits?.destroy(this.gpu);
    this.kvCache.destroy();
  }

  private createCache(policy: CachePolicy): KvCache {
    return new KvCache(this.gpu, this.config, {
      contextLength: this.contextLength,
      maxKvSize: policy.maxKvSize,
      ...(policy.kvKeep !== undefined ? { kvKeep: policy.kvKeep } : {}),
      ...(this.slidingSlack !== undefined ? { slidingSlack: this.slidingSlack } : {}),
    });
  }

  /** Positions up to `end` (exclusive) were written in every layer. */
  private noteWritten(end: number): void {
    for (let l = 0; l < this.writtenEnds.length; l++) if (this.writtenEnds[l] < end) this.writtenEnds[l] = end;
  }

  private truncate(length: number): void {
    this.noteWritten(this.tokens.length);
    if (length === 0) this.writtenEnds.fill(0); // nothing left that a ring could have lost
    const cp = this.kvCache.checkpoint;
    if (cp !== null && length < cp) this.kvCache.dropCheckpoint(); // positions below it will be rewritten
    this.tokens.length = length;
  }

  private assertIdle(who: string): void {
    if (this.queued > 0) throw new EngineError(`${who}: ${this.queued} decode steps are still queued (accept or discard them first)`);
  }

  private destroyPlans(): void {
    for (const tail of [...this.plans.keys()]) this.releasePlans(tail);
  }

  private allLogitsRows(): number {
    const rowBytes = this.config.vocabSize * 4;
    return Math.max(1, Math.min(this.maxBatch, Math.floor(this.gpu.maxBindingBytes / rowBytes)));
  }

  private getAllLogits(): GpuTensor {
    if (!this.allLogits) this.allLogits = createTensor(this.gpu, 'all_logits', 'f32', [this.allLogitsRows(), this.config.vocabSize]);
    return this.allLogits;
  }

  /** pos0 and the rope rows for a batch at positions pos0 .. pos0 + numTokens - 1 (no allocation). */
  private writeStep(pos0: number, numTokens: number): void {
    this.stepHost[0] = pos0;
    this.gpu.queue.writeBuffer(this.scratch.step.buffer, 0, this.stepHost);
    fillRopeTable(this.invFreq, this.concentration, pos0, numTokens, this.ropeHost);
    this.gpu.queue.writeBuffer(this.scratch.rope.buffer, 0, this.ropeHost, 0, numTokens * this.config.headDim);
  }
}
