// The forward pass as a list of kernel calls (spec §2), over scratch activations sized for
// `maxBatch` tokens and a KV cache. Two paths share one recording function:
//   prefill: T tokens (ids written by the CPU), in chunks of at most maxBatch;
//   decode:  one token whose id the previous step left on the GPU (argmax or the sampler), recorded
//            once into a Plan and re-encoded every step.
// Positions: `step[0]` (a u32 GPU buffer) holds pos0, the absolute position of the batch's first
// token; the rope table (cos, sin per token) is filled on the CPU per batch (src/model/rope.ts).
// Both are written with queue.writeBuffer before each submit, which orders them with the work.

import { ContextOverflowError, ShapeError } from '../errors.js';
import type { Gpu } from '../gpu/device.js';
import { Plan, Recorder } from '../gpu/recorder.js';
import { createTensor, type GpuTensor } from '../gpu/tensor.js';
import { encodeArgmax } from '../kernels/argmax.js';
import { encodeKvWrite, encodeSdpa } from '../kernels/attention.js';
import { encodeEmbedding } from '../kernels/embedding.js';
import { encodeMatmul } from '../kernels/matmul.js';
import { encodeMoeDownAccumulate, encodeMoeGateUpSwiglu } from '../kernels/moe.js';
import { encodeRmsNorm } from '../kernels/rmsnorm.js';
import { encodeRope } from '../kernels/rope.js';
import { encodeRouterTopK } from '../kernels/topk.js';
import { KvCache, type KvCacheOptions } from '../kvcache/kv-cache.js';
import { fillRopeTable, yarnConcentration, yarnInvFreq } from './rope.js';
import type { ModelConfig } from './shapes.js';
import type { ModelWeights } from './weights.js';

/** SwiGLU's sigmoid slope in gpt-oss (hard-coded in every reference, not in config.json). */
export const SWIGLU_ALPHA = 1.702;

export interface RunnerOptions extends Partial<KvCacheOptions> {
  /** Largest prefill chunk (scratch buffers are sized for it). */
  readonly maxBatch?: number;
}

export const DEFAULT_CONTEXT_LENGTH = 8192;
export const DEFAULT_MAX_BATCH = 256;

/** Which logits a forward pass produces. */
export type LogitsMode = 'none' | 'last' | 'all';

interface Scratch {
  readonly x: GpuTensor; // f32 [B, C] residual stream
  readonly h: GpuTensor; // f32 [B, C] normed
  readonly qkv: GpuTensor; // f32 [B, (Hq + 2Hkv) Dh]
  readonly attn: GpuTensor; // f32 [B, Hq Dh]
  readonly routerLogits: GpuTensor; // f32 [B, E]
  readonly expertIds: GpuTensor; // u32 [B, K]
  readonly expertWeights: GpuTensor; // f32 [B, K]
  readonly moeHidden: GpuTensor; // f32 [B, K, I]
  readonly ids: GpuTensor; // u32 [B] token ids of the batch
  readonly step: GpuTensor; // u32 [4]: pos0
  readonly rope: GpuTensor; // f32 [B, Dh] (cos, sin pairs)
  readonly logits: GpuTensor; // f32 [1, V]
}

export class ModelRunner {
  readonly cache: KvCache;
  readonly maxBatch: number;
  /** Token ids whose K/V are in the cache, in position order (its length is the next position). */
  readonly tokens: number[] = [];
  private readonly scratch: Scratch;
  private readonly invFreq: Float32Array;
  private readonly concentration: number;
  private readonly ropeHost: Float32Array;
  private readonly stepHost = new Uint32Array(4);
  private allLogits: GpuTensor | null = null;
  private decodePlan: Plan | null = null;

  constructor(
    readonly gpu: Gpu,
    readonly config: ModelConfig,
    readonly weights: ModelWeights,
    opts: RunnerOptions = {},
  ) {
    const cfg = config;
    this.maxBatch = opts.maxBatch ?? DEFAULT_MAX_BATCH;
    if (!Number.isInteger(this.maxBatch) || this.maxBatch < 1) throw new ShapeError(`maxBatch must be a positive integer, got ${this.maxBatch}`);
    this.cache = new KvCache(gpu, cfg, { contextLength: opts.contextLength ?? Math.min(DEFAULT_CONTEXT_LENGTH, cfg.maxPositionEmbeddings), ...opts });
    const B = this.maxBatch;
    const { hiddenSize: C, numHeads: Hq, numKvHeads: Hkv, headDim: Dh, numExperts: E, numExpertsPerToken: K, intermediateSize: I } = cfg;
    const f32 = (name: string, shape: number[]) => createTensor(gpu, name, 'f32', shape);
    this.scratch = {
      x: f32('x', [B, C]),
      h: f32('h', [B, C]),
      qkv: f32('qkv', [B, (Hq + 2 * Hkv) * Dh]),
      attn: f32('attn', [B, Hq * Dh]),
      routerLogits: f32('router_logits', [B, E]),
      expertIds: createTensor(gpu, 'expert_ids', 'u32', [B, K]),
      expertWeights: f32('expert_weights', [B, K]),
      moeHidden: f32('moe_hidden', [B, K, I]),
      ids: createTensor(gpu, 'ids', 'u32', [B]),
      step: createTensor(gpu, 'step', 'u32', [4]),
      rope: f32('rope', [B, Dh]),
      logits: f32('logits', [1, cfg.vocabSize]),
    };
    this.invFreq = yarnInvFreq(cfg);
    this.concentration = yarnConcentration(cfg);
    this.ropeHost = new Float32Array(B * Dh);
  }

  /** Next position (number of tokens in the cache). */
  get length(): number {
    return this.tokens.length;
  }

  /** f32 [1, V]: logits of the last token of the last forward pass that produced 'last' logits. */
  get lastLogits(): GpuTensor {
    return this.scratch.logits;
  }

  /** u32 [B]: the batch's ids; after a greedy decode step, element 0 holds the chosen id. */
  get idsBuffer(): GPUBuffer {
    return this.scratch.ids.buffer;
  }

  /** Forget cached positions beyond `length` (the next forward starts there). */
  rewind(length: number): void {
    if (length < 0 || length > this.tokens.length) throw new ShapeError(`rewind: ${length} outside 0..${this.tokens.length}`);
    this.tokens.length = length;
  }

  /**
   * Run the forward pass over `ids` appended at the current position, in chunks of maxBatch.
   * 'all' returns the logits of every token (f32 [T, V] row-major); 'last' leaves the last token's
   * logits in `lastLogits` and returns null.
   */
  async prefill(ids: readonly number[], mode: LogitsMode = 'last'): Promise<Float32Array | null> {
    const V = this.config.vocabSize;
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= V) throw new ShapeError(`token id ${id} outside the vocabulary [0, ${V})`);
    }
    this.cache.checkFits(this.length + ids.length);
    const chunkTokens = mode === 'all' ? Math.min(this.maxBatch, this.allLogitsRows()) : this.maxBatch;
    const out = mode === 'all' ? new Float32Array(ids.length * V) : null;
    for (let start = 0; start < ids.length; start += chunkTokens) {
      const chunk = ids.slice(start, start + chunkTokens);
      const isLast = start + chunk.length === ids.length;
      const chunkMode: LogitsMode = mode === 'all' ? 'all' : mode === 'last' && isLast ? 'last' : 'none';
      this.writeBatchInputs(chunk);
      const rec = new Recorder(this.gpu, `prefill[${this.length}+${chunk.length}]`);
      this.recordForward(rec, chunk.length, chunkMode);
      const plan = rec.finish();
      plan.submit();
      if (out) {
        const logits = this.allLogits!;
        const bytes = await this.gpu.read(logits.buffer, 0, chunk.length * V * 4);
        out.set(new Float32Array(bytes), start * V);
      } else {
        await this.gpu.sync();
      }
      plan.destroy();
      this.tokens.push(...chunk);
    }
    return out;
  }

  /**
   * Greedy decoding: starting from the logits of the last prefilled token, choose argmax, feed it
   * back, `maxTokens` times or until a stop id. Several steps are queued before ids are read back;
   * tokens past a stop are discarded and the cache rewound. Returns the generated ids (the stop id
   * included when one ended generation).
   */
  async greedy(maxTokens: number, stopIds: ReadonlySet<number> = new Set(), stepsPerRead = 8): Promise<number[]> {
    const out: number[] = [];
    if (maxTokens <= 0) return out;
    // The first token comes from the prefill's logits.
    const rec = new Recorder(this.gpu, 'argmax');
    encodeArgmax(rec, { logits: this.scratch.logits, ids: this.scratch.ids.buffer }, { numTokens: 1, vocabSize: this.config.vocabSize, outOffset: 0 });
    const first = rec.finish();
    first.submit();
    const history = this.gpu.createBuffer('greedy_history', stepsPerRead * 4, GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC);
    try {
      let pos = this.length; // position the next fed token takes
      const fed: boolean[] = []; // per history entry: was it fed back (its K/V written at some position)?
      for (;;) {
        // ids[0] holds the id chosen last: record it, then decode it unless it is the last one wanted.
        const enc = this.gpu.device.createCommandEncoder({ label: 'greedy' });
        enc.copyBufferToBuffer(this.scratch.ids.buffer, 0, history, fed.length * 4, 4);
        const feed = out.length + fed.length + 1 < maxTokens;
        if (feed) {
          this.cache.checkFits(pos + 1);
          this.writeStep(pos, 1);
          const pass = enc.beginComputePass({ label: 'decode' });
          this.getDecodePlan().encodeInto(pass);
          pass.end();
          pos++;
        }
        fed.push(feed);
        this.gpu.queue.submit([enc.finish()]);
        if (fed.length === stepsPerRead || !feed) {
          const ids = new Uint32Array(await this.gpu.read(history, 0, fed.length * 4));
          for (let i = 0; i < fed.length; i++) {
            out.push(ids[i]);
            if (fed[i]) this.tokens.push(ids[i]);
            // Steps queued past a stop fed ids nobody will see: leaving them out of `tokens` rewinds them.
            if (stopIds.has(ids[i]) || out.length >= maxTokens) return out;
          }
          fed.length = 0;
        }
      }
    } finally {
      await this.gpu.sync();
      first.destroy();
      this.gpu.destroyBuffer(history);
    }
  }

  /** The recorded single-token decode step: forward with ids[0] at pos0, then argmax into ids[0]. */
  private getDecodePlan(): Plan {
    if (!this.decodePlan) {
      const rec = new Recorder(this.gpu, 'decode');
      this.recordForward(rec, 1, 'last');
      encodeArgmax(rec, { logits: this.scratch.logits, ids: this.scratch.ids.buffer }, { numTokens: 1, vocabSize: this.config.vocabSize, outOffset: 0 });
      this.decodePlan = rec.finish();
    }
    return this.decodePlan;
  }

  private allLogitsRows(): number {
    const rowBytes = this.config.vocabSize * 4;
    return Math.max(1, Math.min(this.maxBatch, Math.floor(this.gpu.maxBindingBytes / rowBytes)));
  }

  private writeBatchInputs(chunk: readonly number[]): void {
    this.gpu.write(this.scratch.ids.buffer, 0, Uint32Array.from(chunk));
    this.writeStep(this.length, chunk.length);
  }

  /** pos0 and the rope rows for a batch at positions pos0 .. pos0 + numTokens - 1. */
  private writeStep(pos0: number, numTokens: number): void {
    this.stepHost[0] = pos0;
    this.gpu.write(this.scratch.step.buffer, 0, this.stepHost);
    const rope = fillRopeTable(this.invFreq, this.concentration, pos0, numTokens, this.ropeHost);
    this.gpu.write(this.scratch.rope.buffer, 0, rope.subarray(0, numTokens * this.config.headDim));
  }

  /** Record the forward pass for `T` tokens (ids in scratch.ids, positions from the step buffer). */
  private recordForward(rec: Recorder, T: number, mode: LogitsMode): void {
    const cfg = this.config;
    const s = this.scratch;
    const w = this.weights;
    const heads = { numTokens: T, numQHeads: cfg.numHeads, numKvHeads: cfg.numKvHeads, headDim: cfg.headDim };
    const moe = {
      numTokens: T,
      hiddenSize: cfg.hiddenSize,
      intermediateSize: cfg.intermediateSize,
      numExperts: cfg.numExperts,
      numExpertsPerToken: cfg.numExpertsPerToken,
    };
    const norm = { numTokens: T, numChannels: cfg.hiddenSize, epsilon: cfg.rmsNormEps };
    const smScale = 1 / Math.sqrt(cfg.headDim);
    encodeEmbedding(rec, { ids: s.ids.buffer, table: w.embedding, out: s.x }, { numTokens: T, idOffset: 0 });
    w.layers.forEach((lw, l) => {
      const cache = this.cache.layers[l];
      const kv = { step: s.step.buffer, qkv: s.qkv, kcache: cache.k, vcache: cache.v };
      encodeRmsNorm(rec, { x: s.x, w: lw.attnNorm, y: s.h }, norm);
      encodeMatmul(rec, { x: s.h, w: lw.qkvWeight, b: lw.qkvBias, y: s.qkv }, { numTokens: T });
      encodeRope(rec, { rope: s.rope, qkv: s.qkv }, heads);
      encodeSdpa(rec, { ...kv, sinks: lw.sinks, out: s.attn }, { ...heads, smScale, maxKeys: this.length + T }, cache.geometry);
      encodeKvWrite(rec, kv, heads, cache.geometry);
      encodeMatmul(rec, { x: s.attn, w: lw.outWeight, b: lw.outBias, y: s.x }, { numTokens: T, accumulate: true });
      encodeRmsNorm(rec, { x: s.x, w: lw.mlpNorm, y: s.h }, norm);
      encodeMatmul(rec, { x: s.h, w: lw.routerWeight, b: lw.routerBias, y: s.routerLogits }, { numTokens: T });
      encodeRouterTopK(rec, { logits: s.routerLogits, ids: s.expertIds, weights: s.expertWeights }, { numTokens: T, numExperts: cfg.numExperts, numExpertsPerToken: cfg.numExpertsPerToken });
      encodeMoeGateUpSwiglu(
        rec,
        { h: s.h, ids: s.expertIds, blocks: lw.gateUpBlocks, scales: lw.gateUpScales, bias: lw.gateUpBias, out: s.moeHidden },
        { ...moe, swigluLimit: cfg.swigluLimit, swigluAlpha: SWIGLU_ALPHA },
      );
      encodeMoeDownAccumulate(
        rec,
        { s: s.moeHidden, ids: s.expertIds, weights: s.expertWeights, blocks: lw.downBlocks, scales: lw.downScales, bias: lw.downBias, x: s.x },
        moe,
      );
    });
    if (mode === 'none') return;
    encodeRmsNorm(rec, { x: s.x, w: w.finalNorm, y: s.h }, norm);
    if (mode === 'last') {
      encodeMatmul(rec, { x: s.h, w: w.lmHead, b: null, y: s.logits }, { numTokens: 1, xRowOffset: T - 1 });
    } else {
      encodeMatmul(rec, { x: s.h, w: w.lmHead, b: null, y: this.getAllLogits() }, { numTokens: T });
    }
  }

  private getAllLogits(): GpuTensor {
    if (!this.allLogits) this.allLogits = createTensor(this.gpu, 'all_logits', 'f32', [this.allLogitsRows(), this.config.vocabSize]);
    return this.allLogits;
  }

  destroy(): void {
    this.decodePlan?.destroy();
    this.decodePlan = null;
    for (const t of Object.values(this.scratch)) (t as GpuTensor).destroy(this.gpu);
    this.allLogits?.destroy(this.gpu);
    this.cache.destroy();
  }
}

export { ContextOverflowError };
