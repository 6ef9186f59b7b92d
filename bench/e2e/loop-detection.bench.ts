// What loop detection costs: (1) the detector alone, CPU time per generated token for each mode on
// a completion that never loops (the worst case: every check scans its whole window); (2) with
// --model, decode tokens/s of the same seeded generation with loopDetection off / cheap / full,
// interleaved reps, median of each.
//
//   node node_modules/tsx/dist/cli.mjs bench/e2e/loop-detection.bench.ts [--model DIR] [--tokens 256]
//     [--reps 5] [--prompt-tokens 64] [--out FILE.json]
//
// Napkin math: a check is a Z-function over windowTokens ids (256 'cheap', 2048 'full'), every
// checkEvery = 16 tokens: 16 or 128 compare-and-advance steps per token, tens to a few hundred ns,
// against decode steps of milliseconds (6.5 ms for 20b on an H200).
import { writeFileSync } from 'node:fs';
import { createGenerator } from '../../src/generate/generator.js';
import { LOOP_DETECTION_PRESETS, LoopDetector } from '../../src/generate/loop-detector.js';
import type { LoopDetectionMode } from '../../src/generate/types.js';
import { loadModel } from '../../src/model/load.js';

function flag(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}
const num = (name: string, fallback: number) => (flag(name) === undefined ? fallback : Number(flag(name)));
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const MODES: readonly LoopDetectionMode[] = ['off', 'cheap', 'full'];
const CPU_TOKENS = 16_384;
const CPU_REPS = 7;
const VOCAB_FOR_CPU = 200_000;

/** ns per generated token spent in LoopDetector.check, on ids that never repeat. */
function detectorCost(mode: LoopDetectionMode): { nsPerToken: number; nsPerCheck: number } {
  let state = 12345;
  const ids = Array.from({ length: CPU_TOKENS }, () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state % VOCAB_FOR_CPU;
  });
  const det = new LoopDetector(mode);
  const times: number[] = [];
  let found = 0;
  for (let rep = 0; rep < CPU_REPS; rep++) {
    const t0 = process.hrtime.bigint();
    for (let len = 1; len <= ids.length; len++) if (det.check(ids, len)) found++;
    times.push(Number(process.hrtime.bigint() - t0));
  }
  if (found > 0) throw new Error(`loop-detection.bench: random ids reported as a loop ${found} times`);
  const nsPerToken = median(times) / ids.length;
  const every = mode === 'off' ? 1 : LOOP_DETECTION_PRESETS[mode].checkEvery;
  return { nsPerToken, nsPerCheck: nsPerToken * every };
}

async function decodeCost(modelDir: string): Promise<Record<string, unknown>> {
  const numTokens = num('tokens', 256);
  const reps = num('reps', 5);
  const promptTokens = num('prompt-tokens', 64);
  const model = await loadModel(modelDir, { contextLength: promptTokens + numTokens + 1 });
  const generator = createGenerator(model);
  const prompt = Array.from({ length: promptTokens }, (_, i) => (i * 7919) % Math.min(model.config.vocabSize, VOCAB_FOR_CPU));
  const tps: Record<string, number[]> = { off: [], cheap: [], full: [] };
  const stops = new Set<string>();
  try {
    const once = async (mode: LoopDetectionMode) => {
      // Rewind to the empty cache each time so every run does the same work.
      model.runner.rewind(0);
      const r = await generator.generate(prompt, { maxTokens: numTokens, temperature: 1, seed: 1, loopDetection: mode }).result;
      stops.add(`${mode}:${r.metrics.stopReason}`);
      return r.metrics.decodeTokensPerSecond;
    };
    for (const mode of MODES) await once(mode); // warm-up: pipelines, caches
    for (let rep = 0; rep < reps; rep++) for (const mode of MODES) tps[mode].push(await once(mode));
    const off = median(tps.off);
    return {
      adapter: model.gpu.adapter.description || model.gpu.adapter.device,
      model: modelDir,
      numTokens,
      reps,
      stopReasons: [...stops],
      medianTokensPerSecond: { off, cheap: median(tps.cheap), full: median(tps.full) },
      relativeToOff: { cheap: median(tps.cheap) / off - 1, full: median(tps.full) / off - 1 },
      tokensPerSecond: tps,
    };
  } finally {
    await generator.close();
    model.destroy();
  }
}

async function main(): Promise<void> {
  const cpu = Object.fromEntries(MODES.map((m) => [m, detectorCost(m)]));
  const modelDir = flag('model');
  const record = { bench: 'loop-detection', date: new Date().toISOString(), detectorCpu: cpu, decode: modelDir ? await decodeCost(modelDir) : null };
  const json = JSON.stringify(record, null, 2);
  const out = flag('out');
  if (out) writeFileSync(out, json);
  process.stdout.write(`${json}\n`);
}

await main();
