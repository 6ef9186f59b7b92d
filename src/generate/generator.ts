// createGenerator(model): the TokenGenerator (src/generate/types.ts) over a ModelRunner and the GPU
// sampler. One generation at a time per generator (the runner has one KV cache): calls made while
// one runs queue behind it in call order (`metrics.queueSeconds`); the server and the chat layer
// queue their requests the same way.
//
// A generation: validate -> (queue) -> apply the request's cache policy -> prefix reuse + prefill of
// the rest (ModelRunner.prefillPrompt) -> sampler.begin -> DecodeLoop -> result. The sampler serves
// every temperature: at temperature 0 (or topK 1) it is an exact argmax (ties -> lowest id) with the
// penalties and logit bias applied first, and its passes 2-3 exit at once (~18 µs per step on an
// H200, bench/kernels/sample.bench.ts), so there is no separate argmax path.

import { randomInt } from 'node:crypto';
import { ConfigError, ShapeError } from '../errors.js';
import type { Gpu } from '../gpu/device.js';
import { createSampler, type SamplerState, type StepLogprobs } from '../kernels/sampler-state.js';
import { encodeSample } from '../kernels/sampler.js';
import { DEFAULT_KV_KEEP } from '../kvcache/kv-cache.js';
import type { ModelRunner, StepTail } from '../model/runner.js';
import type { ModelConfig } from '../model/shapes.js';
import { DecodeLoop } from './decode-loop.js';
import { EventQueue } from './event-queue.js';
import { DEFAULT_LOOP_DETECTION, LoopDetector } from './loop-detector.js';
import { buildMetrics } from './metrics.js';
import { resolveSamplingParams, type SamplingParams } from './sampling-params.js';
import type { GenerateOptions, GenerateParams, Generation, GenerationResult, StopReason, TokenEvent, TokenGenerator } from './types.js';

/** What a generator needs of a loaded model (LoadedModel from src/model/load.ts fits). */
export interface GeneratorModel {
  readonly runner: ModelRunner;
  readonly gpu: Gpu;
  readonly config: ModelConfig;
}

export interface GeneratorOptions {
  /** Decode steps per read-back after the first token (two batches are in flight). Default 8. */
  readonly stepsPerRead?: number;
  /** The sampler's history ring N: the largest penaltyWindow. Default 1024. */
  readonly historyWindow?: number;
  /** Largest topLogprobs a request may ask for. Default 20. */
  readonly maxTopLogprobs?: number;
  /** Ids never sampled, [from, to) (e.g. ids the tokenizer does not define). Default: none. */
  readonly maskRange?: { readonly from: number; readonly to: number };
  /** Milliseconds (default performance.now). */
  readonly clock?: () => number;
  /** Seed for requests that give none (default: a random 48-bit integer; reported in metrics.seed). */
  readonly randomSeed?: () => number;
}

export const DEFAULT_STEPS_PER_READ = 8;
const DEFAULT_HISTORY_WINDOW = 1024;
const DEFAULT_MAX_TOP_LOGPROBS = 20;
/** node:crypto randomInt takes max - min <= 2^48 - 1. */
const RANDOM_SEED_RANGE = 2 ** 48 - 1;

export function createGenerator(model: GeneratorModel, opts: GeneratorOptions = {}): Generator {
  return new Generator(model, opts);
}

interface Job {
  readonly prompt: readonly number[];
  readonly params: GenerateParams;
  readonly sampling: SamplingParams;
  readonly stopTokens: ReadonlySet<number>;
  readonly loop: LoopDetector;
  readonly signal: AbortSignal;
  readonly calledMs: number;
  readonly events: EventQueue<TokenEvent>;
}

export class Generator implements TokenGenerator {
  readonly vocabSize: number;
  readonly sampler: SamplerState;
  private readonly runner: ModelRunner;
  private readonly loop: DecodeLoop;
  private readonly clock: () => number;
  private readonly randomSeed: () => number;
  private queue: Promise<void> = Promise.resolve();
  private destroyed = false;

  constructor(model: GeneratorModel, opts: GeneratorOptions = {}) {
    this.runner = model.runner;
    this.vocabSize = model.config.vocabSize;
    this.clock = opts.clock ?? (() => performance.now());
    this.randomSeed = opts.randomSeed ?? (() => randomInt(RANDOM_SEED_RANGE));
    const stepsPerRead = opts.stepsPerRead ?? DEFAULT_STEPS_PER_READ;
    const historyWindow = opts.historyWindow ?? DEFAULT_HISTORY_WINDOW;
    if (!Number.isInteger(stepsPerRead) || stepsPerRead < 1 || 2 * stepsPerRead > historyWindow) {
      throw new ConfigError(`generator: stepsPerRead must be an integer in [1, historyWindow/2 = ${historyWindow / 2}], got ${stepsPerRead}`);
    }
    this.sampler = createSampler(model.gpu, {
      vocabSize: this.vocabSize,
      historyWindow,
      maxTopLogprobs: opts.maxTopLogprobs ?? DEFAULT_MAX_TOP_LOGPROBS,
      ...(opts.maskRange ? { maskRange: opts.maskRange } : {}),
    });
    const sampler = this.sampler;
    const tail: StepTail = { key: 'sample', record: (rec, s) => encodeSample(rec, sampler, s.logits, { ids: s.ids, idsOffset: 0 }) };
    this.loop = new DecodeLoop(this.runner, sampler, tail, stepsPerRead);
  }

  generate(promptIds: readonly number[], params: GenerateParams, opts: GenerateOptions = {}): Generation {
    if (this.destroyed) throw new ConfigError('generator: generate() after destroy()');
    const calledMs = this.clock();
    const prompt = this.checkIds('prompt', promptIds);
    if (prompt.length === 0) throw new ShapeError('generate: the prompt is empty; give at least one token');
    if (!Number.isSafeInteger(params.maxTokens) || params.maxTokens < 0) throw new ConfigError(`generate: 'maxTokens' expected an integer >= 0, got ${params.maxTokens}`);
    checkCachePolicy(params);
    const stopTokens = new Set(this.checkIds('stopTokens', params.stopTokens ?? []));
    const sampling = resolveSamplingParams(params, { randomSeed: this.randomSeed });
    const loop = new LoopDetector(params.loopDetection ?? DEFAULT_LOOP_DETECTION);

    // One controller for the caller's signal and an early exit from the for-await loop.
    const controller = new AbortController();
    const forward = () => controller.abort(opts.signal?.reason);
    if (opts.signal?.aborted) forward();
    else opts.signal?.addEventListener('abort', forward, { once: true });
    const events = new EventQueue<TokenEvent>(() => controller.abort());
    const job: Job = { prompt, params, sampling, stopTokens, loop, signal: controller.signal, calledMs, events };

    const result = this.queue.then(() => this.run(job));
    // The next generation waits for this one and for its in-flight GPU steps (drain).
    this.queue = result.then(
      () => this.loop.drain(),
      () => this.loop.drain(),
    );
    const settled = result.finally(() => opts.signal?.removeEventListener('abort', forward));
    settled.catch(() => undefined); // reported through `result` and the iterator; never unhandled
    return { result: settled, [Symbol.asyncIterator]: () => events[Symbol.asyncIterator]() };
  }

  /** Wait for queued generations and their in-flight steps, then release the GPU buffers. */
  async close(): Promise<void> {
    await this.queue;
    this.destroy();
  }

  /** Release the sampler and read-back buffers now (close() waits for generations first). */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.loop.destroy();
    this.sampler.destroy();
  }

  private async run(job: Job): Promise<GenerationResult> {
    const { runner, clock } = this;
    const startMs = clock();
    try {
      const { params } = job;
      if (params.maxKvSize !== undefined || params.kvKeep !== undefined) {
        runner.configureCache({ maxKvSize: params.maxKvSize ?? runner.cache.maxKvSize, ...(params.kvKeep !== undefined ? { kvKeep: params.kvKeep } : {}) });
      }
      let cachedTokens = 0;
      let prefixAction: GenerationResult['metrics']['prefixAction'] = 'reprefill';
      let stop: StopReason;
      const completion: number[] = [];
      let firstTokenMs = NaN;
      let lastTokenMs = NaN;
      try {
        const pre = await runner.prefillPrompt(job.prompt, 'last', job.signal);
        cachedTokens = pre.cachedTokens;
        prefixAction = pre.plan.action;
      } catch (err) {
        if (!job.signal.aborted) throw err;
      }
      const prefilledMs = clock();
      if (job.signal.aborted) stop = { kind: 'cancelled' };
      else if (params.maxTokens === 0) stop = { kind: 'max_tokens' };
      else {
        this.sampler.begin(job.sampling, job.prompt);
        // Step k >= 1 writes position prompt + k - 1: the cache has room for this many steps.
        const budget = Math.min(params.maxTokens, runner.cache.maxPositions - job.prompt.length + 1);
        const topLogprobs = job.sampling.logprobs ? job.sampling.topLogprobs : null;
        stop = await this.loop.run(
          {
            maxTokens: params.maxTokens,
            budget,
            stopTokens: job.stopTokens,
            loop: job.loop,
            topLogprobs,
            signal: job.signal,
            onToken: (index, id, logprobs) => {
              lastTokenMs = clock();
              if (index === 0) firstTokenMs = lastTokenMs;
              job.events.push(tokenEvent(index, id, lastTokenMs - job.calledMs, logprobs, topLogprobs));
            },
          },
          completion,
        );
      }
      const metrics = buildMetrics(
        { calledMs: job.calledMs, startMs, prefilledMs, firstTokenMs, lastTokenMs },
        {
          promptTokens: job.prompt.length,
          cachedTokens,
          completionTokens: completion.length,
          kvLength: runner.length,
          maxKvSize: runner.cache.maxKvSize,
          loopDetection: job.loop.mode,
          stopReason: stop,
          prefixAction,
          seed: job.sampling.seed,
        },
      );
      job.events.end();
      return { tokens: completion, finishReason: metrics.finishReason, stopReason: stop, metrics };
    } catch (err) {
      job.events.fail(err);
      throw err;
    }
  }

  private checkIds(what: string, ids: readonly number[]): number[] {
    const V = this.vocabSize;
    if (!Array.isArray(ids)) throw new ConfigError(`generate: '${what}' expected an array of token ids`);
    ids.forEach((id, idx) => {
      if (!Number.isInteger(id) || id < 0 || id >= V) throw new ShapeError(`generate: ${what}[${idx}]: token id ${id} outside the vocabulary [0, ${V})`);
    });
    return [...ids];
  }
}

function checkCachePolicy(params: GenerateParams): void {
  for (const name of ['maxKvSize', 'kvKeep'] as const) {
    const v = params[name];
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 0)) throw new ConfigError(`generate: '${name}' expected an integer >= 0, got ${v}`);
  }
  const { maxKvSize, kvKeep = DEFAULT_KV_KEEP } = params;
  if (maxKvSize !== undefined && maxKvSize > 0 && maxKvSize <= kvKeep) {
    throw new ConfigError(`generate: 'maxKvSize' (${maxKvSize}) must exceed 'kvKeep' (${kvKeep}): the rotating part would be empty`);
  }
}

function tokenEvent(index: number, id: number, timeMs: number, logprobs: StepLogprobs | undefined, topLogprobs: number | null): TokenEvent {
  if (!logprobs) return { index, id, timeMs };
  return topLogprobs ? { index, id, timeMs, logprob: logprobs.logprob, topLogprobs: logprobs.top } : { index, id, timeMs, logprob: logprobs.logprob };
}
