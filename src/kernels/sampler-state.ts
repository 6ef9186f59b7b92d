// The sampler's GPU state, created once per session: parameters, penalty window, history and
// logprob rings, scratch. No allocation per token: begin() (once per generation) writes the
// parameters, the logit-bias table and the penalty window; the GPU does the rest step by step.
//
// Buffers (N = historyWindow, M = maxTopLogprobs, NWG = ceil(V / 4096)):
//   params  uniform  Params (SAMPLE_PARAMS)
//   bias    f32 [V]  logit bias per id (0 = none, -inf bits = banned)
//   counts  u32 [V]  occurrences of each id in the penalty window
//   scores  f32 [V]  penalised logits z of the last step (-inf for banned ids)
//   state   u32 [4]  step, window_end (tokens ever appended to the window), last flags, sticky flags
//   rings   u32 [N]  penalty window (token at absolute window position p in slot p % N)
//           u32 [N]  history: the id chosen at step s in slot s % N
//           u32 [N, 1 + 2M]  logprobs at step s: chosen logprob (f32 bits), then M (id, logprob) pairs
//   work    u32      partials [NWG, 4] | plan [8] | histogram [2048] | region counts [NWG, 2] |
//                    regions [NWG, 2040, 2] (id, key) | debug (header [16] | pool ids [2040] | pool probs [2040] | weights [V])

import { ConfigError, EngineError, ShapeError } from '../errors.js';
import type { Gpu } from '../gpu/device.js';
import { createTensor, type GpuTensor } from '../gpu/tensor.js';
import { MAX_VOCAB, POOL_CAPACITY, SAMPLE_CONSTS, SAMPLE_PARAMS, checkSamplerParams, sampleParamsValues, type SamplerParams } from './sampler.js';

export interface SamplerOptions {
  /** V: rows of the logits (201088 for gpt-oss). */
  readonly vocabSize: number;
  /** Largest topLogprobs any request may ask for (slots per history record). Default 20. */
  readonly maxTopLogprobs?: number;
  /** N: slots of the history and logprob rings, and the largest penaltyWindow. Default 1024. */
  readonly historyWindow?: number;
  /** Ids never sampled, [from, to): for o200k_harmony the ids the tokenizer does not define, 200019..201088. */
  readonly maskRange?: { readonly from: number; readonly to: number };
  /** Keep a debug record of each step (pool, probabilities, per-token weights) for tests. */
  readonly debug?: boolean;
}

export interface SamplerStatus {
  /** Tokens sampled since begin() plus its firstStep: the next step's RNG counter. */
  readonly step: number;
  readonly windowEnd: number;
  /** SAMPLE_RESULT bits of the last step, and of every step since begin(). */
  readonly lastFlags: number;
  readonly stickyFlags: number;
}

export interface StepLogprobs {
  readonly logprob: number;
  readonly top: readonly { readonly id: number; readonly logprob: number }[];
}

export interface SamplerDebug {
  readonly mode: number;
  readonly poolCount: number;
  readonly topPLength: number;
  readonly flags: number;
  readonly u: number;
  readonly keptMass: number;
  readonly chosen: number;
  readonly mass: number;
  readonly massT1: number;
  readonly argmaxId: number;
  /** The pool in the sampler's order, with each id's final probability (0 when filtered out). */
  readonly poolIds: Uint32Array;
  readonly poolProbs: Float32Array;
  /** Pass 2's weight per id (full-vocabulary mode: e, or 0 below min-p). */
  readonly weights: Float32Array;
}

interface WorkLayout {
  readonly offPlan: number;
  readonly offHist: number;
  readonly offRegionCounts: number;
  readonly offRegions: number;
  readonly offDebug: number;
  readonly words: number;
}

const STATE_WORDS = 4;
const PLAN_WORDS = 8;

export class SamplerState {
  readonly vocabSize: number;
  readonly maxTopLogprobs: number;
  readonly historyWindow: number;
  readonly maskRange: { readonly from: number; readonly to: number };
  readonly debug: boolean;
  readonly numChunks: number;
  readonly layout: WorkLayout;
  readonly params: GPUBuffer;
  readonly bias: GpuTensor;
  readonly counts: GpuTensor;
  readonly scores: GpuTensor;
  readonly state: GPUBuffer;
  readonly rings: GPUBuffer;
  readonly work: GPUBuffer;
  // Host staging reused by begin() (once per generation; nothing per token).
  private readonly hostBias: Float32Array;
  private readonly hostCounts: Uint32Array;
  private readonly hostWindow: Uint32Array;
  private readonly paramsBytes = new Uint8Array(SAMPLE_PARAMS.byteSize);
  private biasIds: number[] = [];
  private destroyed = false;

  constructor(
    private readonly gpu: Gpu,
    opts: SamplerOptions,
  ) {
    const V = opts.vocabSize;
    if (!Number.isInteger(V) || V < 1 || V > MAX_VOCAB) throw new ShapeError(`sampler: V=${V} outside [1, ${MAX_VOCAB}]`);
    this.vocabSize = V;
    this.maxTopLogprobs = opts.maxTopLogprobs ?? 20;
    this.historyWindow = opts.historyWindow ?? 1024;
    this.maskRange = opts.maskRange ?? { from: V, to: V };
    this.debug = opts.debug ?? false;
    const { from, to } = this.maskRange;
    if (!Number.isInteger(this.maxTopLogprobs) || this.maxTopLogprobs < 0 || this.maxTopLogprobs > SAMPLE_CONSTS.WG_SIZE) {
      throw new ConfigError(`sampler: 'maxTopLogprobs' must be an integer in [0, ${SAMPLE_CONSTS.WG_SIZE}], got ${this.maxTopLogprobs}`);
    }
    if (!Number.isInteger(this.historyWindow) || this.historyWindow < 1) {
      throw new ConfigError(`sampler: 'historyWindow' must be a positive integer, got ${this.historyWindow}`);
    }
    if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to < from || to > V) {
      throw new ConfigError(`sampler: 'maskRange' [${from}, ${to}) must lie in [0, V=${V}]`);
    }
    this.numChunks = Math.ceil(V / SAMPLE_CONSTS.CHUNK);
    const offPlan = this.numChunks * SAMPLE_CONSTS.PARTIAL_WORDS;
    const offHist = offPlan + PLAN_WORDS;
    const offRegionCounts = offHist + SAMPLE_CONSTS.NUM_BINS;
    const offRegions = offRegionCounts + 2 * this.numChunks;
    const offDebug = offRegions + 2 * this.numChunks * POOL_CAPACITY; // (id, key) pairs
    const debugWords = this.debug ? SAMPLE_CONSTS.DEBUG_HEADER + 2 * POOL_CAPACITY + V : 0;
    this.layout = { offPlan, offHist, offRegionCounts, offRegions, offDebug, words: offDebug + debugWords };

    this.params = gpu.createBuffer('sampler:params', SAMPLE_PARAMS.byteSize, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
    this.bias = createTensor(gpu, 'sampler:bias', 'f32', [V]);
    this.counts = createTensor(gpu, 'sampler:counts', 'u32', [V]);
    this.scores = createTensor(gpu, 'sampler:scores', 'f32', [V]);
    this.state = gpu.createStorage('sampler:state', STATE_WORDS * 4);
    this.rings = gpu.createStorage('sampler:rings', this.historyWindow * (3 + 2 * this.maxTopLogprobs) * 4);
    this.work = gpu.createStorage('sampler:work', this.layout.words * 4);
    this.hostBias = new Float32Array(V);
    this.hostCounts = new Uint32Array(V);
    this.hostWindow = new Uint32Array(this.historyWindow);
  }

  /**
   * Start a generation: write the parameters, the logit-bias table and the penalty window (the last
   * penaltyWindow of `recentTokens`, i.e. the prompt and anything generated before), and set the step
   * counter (the RNG counter and history index) to `firstStep`. Queue-ordered with submitted work.
   */
  begin(p: SamplerParams, recentTokens: ArrayLike<number> = [], firstStep = 0): void {
    this.assertAlive();
    checkSamplerParams(p, this);
    if (!Number.isInteger(firstStep) || firstStep < 0 || firstStep > 0xffffffff) {
      throw new ConfigError(`sampler: firstStep must be a u32, got ${firstStep}`);
    }
    const V = this.vocabSize;
    SAMPLE_PARAMS.packInto(sampleParamsValues(p, V), new DataView(this.paramsBytes.buffer), 0);
    this.gpu.write(this.params, 0, this.paramsBytes);

    if (this.biasIds.length > 0 || p.logitBias.size > 0) {
      for (const id of this.biasIds) this.hostBias[id] = 0;
      this.biasIds = [...p.logitBias.keys()];
      for (const [id, b] of p.logitBias) this.hostBias[id] = b;
      this.gpu.write(this.bias.buffer, 0, this.hostBias);
    }

    const numWindow = Math.min(recentTokens.length, p.penaltyWindow);
    const first = recentTokens.length - numWindow;
    for (let pos = 0; pos < numWindow; pos++) {
      const id = recentTokens[first + pos];
      if (!Number.isInteger(id) || id < 0 || id >= V) throw new ConfigError(`sampler: recent token ${id} outside [0, V=${V})`);
      this.hostWindow[pos % this.historyWindow] = id;
      this.hostCounts[id]++;
    }
    this.gpu.write(this.counts.buffer, 0, this.hostCounts);
    for (let pos = 0; pos < numWindow; pos++) this.hostCounts[recentTokens[first + pos]] = 0;
    if (numWindow > 0) this.gpu.write(this.rings, 0, this.hostWindow.subarray(0, numWindow));
    this.gpu.write(this.state, 0, new Uint32Array([firstStep, numWindow, 0, 0]));
  }

  /** The ids chosen at steps [firstStep, firstStep + numSteps) (numSteps <= N; waits for the GPU). */
  async readHistory(firstStep: number, numSteps: number): Promise<Uint32Array> {
    const N = this.historyWindow;
    this.checkStepRange(firstStep, numSteps);
    const all = new Uint32Array(await this.gpu.read(this.rings, N * 4, N * 4));
    const out = new Uint32Array(numSteps);
    for (let idx = 0; idx < numSteps; idx++) out[idx] = all[(firstStep + idx) % N];
    return out;
  }

  /** Logprob records of steps [firstStep, firstStep + numSteps) (parameters with logprobs on). */
  async readLogprobs(firstStep: number, numSteps: number, topLogprobs: number): Promise<StepLogprobs[]> {
    const N = this.historyWindow;
    this.checkStepRange(firstStep, numSteps);
    const recordWords = 1 + 2 * this.maxTopLogprobs;
    const bytes = await this.gpu.read(this.rings, 2 * N * 4, N * recordWords * 4);
    const u32 = new Uint32Array(bytes);
    const f32 = new Float32Array(bytes);
    const out: StepLogprobs[] = [];
    for (let idx = 0; idx < numSteps; idx++) {
      const at = ((firstStep + idx) % N) * recordWords;
      const top = [];
      for (let r = 0; r < topLogprobs; r++) top.push({ id: u32[at + 1 + 2 * r], logprob: f32[at + 2 + 2 * r] });
      out.push({ logprob: f32[at], top });
    }
    return out;
  }

  async readStatus(): Promise<SamplerStatus> {
    const s = new Uint32Array(await this.gpu.read(this.state, 0, STATE_WORDS * 4));
    return { step: s[0], windowEnd: s[1], lastFlags: s[2], stickyFlags: s[3] };
  }

  /** The penalised logits z of the last step (f32 [V]; -Infinity for banned ids). */
  async readScores(): Promise<Float32Array> {
    return new Float32Array(await this.gpu.read(this.scores.buffer, 0, this.vocabSize * 4));
  }

  /** The per-id penalty-window counts as the next step will see them. */
  async readCounts(): Promise<Uint32Array> {
    return new Uint32Array(await this.gpu.read(this.counts.buffer, 0, this.vocabSize * 4));
  }

  /** The last step's debug record (createSampler with debug: true). */
  async readDebug(): Promise<SamplerDebug> {
    if (!this.debug) throw new ConfigError('sampler: readDebug() needs createSampler(..., { debug: true })');
    const C = POOL_CAPACITY;
    const H = SAMPLE_CONSTS.DEBUG_HEADER;
    const bytes = await this.gpu.read(this.work, this.layout.offDebug * 4, (H + 2 * C + this.vocabSize) * 4);
    const u32 = new Uint32Array(bytes);
    const f32 = new Float32Array(bytes);
    const n = u32[1];
    return {
      mode: u32[0],
      poolCount: n,
      topPLength: u32[2],
      flags: u32[3],
      u: f32[4],
      keptMass: f32[5],
      chosen: u32[6],
      mass: f32[7],
      massT1: f32[8],
      argmaxId: u32[9],
      poolIds: u32.slice(H, H + n),
      poolProbs: f32.slice(H + C, H + C + n),
      weights: f32.slice(H + 2 * C, H + 2 * C + this.vocabSize),
    };
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.gpu.destroyBuffer(this.params);
    this.bias.destroy(this.gpu);
    this.counts.destroy(this.gpu);
    this.scores.destroy(this.gpu);
    this.gpu.destroyBuffer(this.state);
    this.gpu.destroyBuffer(this.rings);
    this.gpu.destroyBuffer(this.work);
  }

  private checkStepRange(firstStep: number, numSteps: number): void {
    if (!Number.isInteger(firstStep) || firstStep < 0 || !Number.isInteger(numSteps) || numSteps < 0 || numSteps > this.historyWindow) {
      throw new ConfigError(`sampler: steps [${firstStep}, +${numSteps}) cannot be read from a ring of N=${this.historyWindow}`);
    }
  }

  private assertAlive(): void {
    if (this.destroyed) throw new EngineError('sampler: used after destroy()');
  }
}

/** Allocate a sampler for vocabularies of V ids (once per session). */
export function createSampler(gpu: Gpu, opts: SamplerOptions): SamplerState {
  return new SamplerState(gpu, opts);
}
