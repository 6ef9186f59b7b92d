// The measurements of `wgh bench`, through the runner's public methods (prefill, greedy, rewind,
// tokens). End-to-end figures are wall clock, as a user sees them.
//
//   prefill P tokens:  rewind(0); prefill(ids, 'last') → prefill seconds (it ends with a GPU sync);
//                      then greedy(1) reads the first id back → time to first token = prefill + that.
//   decode at depth d: setRunnerLength(d) (the K/V of positions < d are the random values
//                      fillKvCache wrote, not a prefill: decode cost does not depend on them); then
//                      greedy(G + 1) runs G decode steps (the first id comes from the logits already
//                      there, as after a prefill) → G / seconds.
// Each configuration runs `warmup` times unmeasured, then `reps` times; results are medians with
// min and max. Roofline = measured peak bandwidth ÷ napkin bytes per token (src/model/napkin.ts).

import { summarize, type Summary } from '../gpu/profiler.js';
import { napkinDecode, napkinPrefill } from '../model/napkin.js';
import type { ModelRunner } from '../model/runner.js';
import { promptIds } from './bench-env.js';

export interface BenchSettings {
  readonly depths: readonly number[];
  readonly promptTokens: readonly number[];
  readonly genTokens: number;
  readonly reps: number;
  readonly warmup: number;
}

export interface PrefillResult {
  readonly promptTokens: number;
  readonly tokensPerSecond: Summary;
  readonly seconds: Summary;
  /** Prefill plus the first id read back on the CPU. */
  readonly ttftSeconds: Summary;
  /** Napkin bytes per prompt token (weights re-read per maxBatch chunk) and the memory roofline. */
  readonly napkinBytesPerToken: number;
  readonly rooflineTokensPerSecond: number;
}

export interface DecodeResult {
  readonly depth: number;
  readonly tokensPerSecond: Summary;
  readonly msPerToken: Summary;
  readonly napkinBytesPerToken: number;
  readonly rooflineTokensPerSecond: number;
  /** Median tokens/s ÷ roofline tokens/s. */
  readonly rooflineFraction: number;
}

const MS_PER_S = 1000;
/** The id the positions of setRunnerLength stand for (any id: nothing reads them back). */
const FILL_ID = 0;

/**
 * Make the runner's cache length `length` without computing positions: rewind to 0, then list
 * `length` placeholder ids in its public `tokens`. Their K/V slots keep what the buffers hold
 * (fillKvCache's random values), which is all a decode-at-depth timing needs.
 */
export function setRunnerLength(runner: ModelRunner, length: number): void {
  runner.cache.checkFits(length);
  runner.rewind(0);
  for (let pos = 0; pos < length; pos++) runner.tokens.push(FILL_ID);
}

async function warmUp(settings: BenchSettings, run: () => Promise<void>): Promise<void> {
  for (let idx = 0; idx < settings.warmup; idx++) await run();
}

export async function benchPrefill(runner: ModelRunner, numTokens: number, settings: BenchSettings, peakBytesPerSecond: number): Promise<PrefillResult> {
  const ids = promptIds(numTokens, runner.config.vocabSize);
  const seconds: number[] = [];
  const ttft: number[] = [];
  const once = async (): Promise<[number, number]> => {
    runner.rewind(0);
    const t0 = performance.now();
    await runner.prefill(ids, 'last');
    const t1 = performance.now();
    await runner.greedy(1);
    const t2 = performance.now();
    return [(t1 - t0) / MS_PER_S, (t2 - t0) / MS_PER_S];
  };
  await warmUp(settings, async () => void (await once()));
  for (let rep = 0; rep < settings.reps; rep++) {
    const [prefillS, ttftS] = await once();
    seconds.push(prefillS);
    ttft.push(ttftS);
  }
  runner.rewind(0);
  const napkinBytesPerToken = napkinPrefill(runner.config, numTokens, runner.maxBatch).bytes / numTokens;
  return {
    promptTokens: numTokens,
    tokensPerSecond: summarize(seconds.map((s) => numTokens / s)),
    seconds: summarize(seconds),
    ttftSeconds: summarize(ttft),
    napkinBytesPerToken,
    rooflineTokensPerSecond: peakBytesPerSecond / napkinBytesPerToken,
  };
}

export async function benchDecode(runner: ModelRunner, depth: number, settings: BenchSettings, peakBytesPerSecond: number): Promise<DecodeResult> {
  const steps = settings.genTokens;
  const once = async (): Promise<number> => {
    setRunnerLength(runner, depth);
    const t0 = performance.now();
    await runner.greedy(steps + 1);
    return (performance.now() - t0) / MS_PER_S;
  };
  await warmUp(settings, async () => void (await once()));
  const seconds: number[] = [];
  for (let rep = 0; rep < settings.reps; rep++) seconds.push(await once());
  runner.rewind(0);
  const tokensPerSecond = summarize(seconds.map((s) => steps / s));
  // Bytes of the middle step of positions depth .. depth + steps - 1.
  const napkinBytesPerToken = napkinDecode(runner.config, depth + Math.floor(steps / 2)).bytes;
  const rooflineTokensPerSecond = peakBytesPerSecond / napkinBytesPerToken;
  return {
    depth,
    tokensPerSecond,
    msPerToken: summarize(seconds.map((s) => (s / steps) * MS_PER_S)),
    napkinBytesPerToken,
    rooflineTokensPerSecond,
    rooflineFraction: tokensPerSecond.median / rooflineTokensPerSecond,
  };
}
