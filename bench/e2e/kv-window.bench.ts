// Long generation with a rotating KV cache (maxKvSize): decode tokens/s per window of the run and GPU
// memory, to show both stay flat once the window has filled (attention reads at most maxKvSize keys
// per full layer and W per sliding layer; nothing is allocated per token).
//
//   node node_modules/tsx/dist/cli.mjs bench/e2e/kv-window.bench.ts --model DIR --tokens N \
//     --max-kv-size M --out FILE.json [--svg FILE.svg] [--window TOKENS] [--prompt-tokens P]
//     [--kv-keep K] [--temperature T] [--seed S] [--compare] [--steps-per-read R]
//
// --compare adds a run without rotation (context = P + N): its tokens/s falls as the full layers'
// keys grow, the rotating run's does not. The JSON record goes to stdout and --out; the plot (tokens/s
// and GPU MiB against tokens generated, one line per run, a rule where the window fills) to --svg
// (default: --out with .svg). Loop detection is off and there are no stop tokens: every run makes
// exactly N tokens. GPU memory is the engine's own count of its buffers (gpu.memory); on the GPU
// machine, sample nvidia-smi alongside (bench/device/first-figures.sh shows how).
//
// Napkin math (tiny preset, V = 201088, C = 64): a decode step is dominated by the output head
// (25.7 MB of bf16) and the sampler's V-wide passes; attention over M keys adds 2 * L_full * Hkv *
// M * Dh * 4 B of reads, so without rotation a step grows by ~4 KB per cached token (4 layers),
// which the tiny model only shows after many thousands of tokens: the 20b preset shows it sooner.
import { writeFileSync } from 'node:fs';
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import { createGenerator } from '../../src/generate/generator.js';
import { Gpu } from '../../src/gpu/device.js';
import { loadModel } from '../../src/model/load.js';

function flag(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}
function num(name: string, fallback?: number): number {
  const v = flag(name);
  if (v === undefined) {
    if (fallback === undefined) throw new Error(`kv-window.bench: --${name} is required`);
    return fallback;
  }
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`kv-window.bench: --${name} expects a number, got '${v}'`);
  return n;
}

interface WindowRecord {
  readonly run: string;
  readonly startToken: number;
  readonly endToken: number;
  readonly tokensPerSecond: number;
  readonly gpuAllocatedMiB: number;
  readonly rssMiB: number;
}

const MIB = 1024 * 1024;
const PROMPT_SEED_STRIDE = 7919; // a prime: spreads prompt ids over the vocabulary

async function main(): Promise<void> {
  const modelDir = flag('model') ?? '';
  if (!modelDir) throw new Error('kv-window.bench: --model DIR is required');
  const numTokens = num('tokens');
  const maxKvSize = num('max-kv-size');
  const kvKeep = num('kv-keep', 4);
  const promptTokens = num('prompt-tokens', 64);
  const windowTokens = num('window', Math.max(32, Math.round(numTokens / 40)));
  const out = flag('out') ?? 'kv-window.json';
  const svg = flag('svg') ?? out.replace(/\.json$/, '') + '.svg';
  const gpu = await Gpu.open({ backend: process.env.WGH_BACKEND });
  const runs: { name: string; maxKvSize: number }[] = [{ name: `maxKvSize ${maxKvSize}`, maxKvSize }];
  if (process.argv.includes('--compare')) runs.push({ name: 'no rotation', maxKvSize: 0 });
  const windows: WindowRecord[] = [];
  const summaries: Record<string, unknown>[] = [];
  let adapter = '';
  for (const run of runs) {
    const model = await loadModel(modelDir, { gpu, contextLength: promptTokens + numTokens + 1, maxKvSize: run.maxKvSize, kvKeep });
    const generator = createGenerator(model, { stepsPerRead: num('steps-per-read', 8) });
    adapter = model.gpu.adapter.description || model.gpu.adapter.device;
    const V = model.config.vocabSize;
    const prompt = Array.from({ length: promptTokens }, (_, i) => (i * PROMPT_SEED_STRIDE) % Math.min(V, 200_000));
    let windowStartMs = NaN;
    let windowStart = 0;
    const gen = generator.generate(prompt, { maxTokens: numTokens, temperature: num('temperature', 1), seed: num('seed', 1), loopDetection: 'off' });
    for await (const ev of gen) {
      if (ev.index === 0) windowStartMs = ev.timeMs;
      const count = ev.index + 1;
      if (count - windowStart === windowTokens || count === numTokens) {
        // Token 0 comes from the prefill: the first window times tokens 1 .. count - 1.
        const steps = count - Math.max(windowStart, 1);
        windows.push({
          run: run.name,
          startToken: windowStart,
          endToken: count,
          tokensPerSecond: steps / Math.max((ev.timeMs - windowStartMs) / 1000, 1e-9),
          gpuAllocatedMiB: gpu.memory.allocatedBytes / MIB,
          rssMiB: process.memoryUsage().rss / MIB,
        });
        windowStart = count;
        windowStartMs = ev.timeMs;
      }
    }
    const result = await gen.result;
    summaries.push({ run: run.name, kvCacheBytes: model.runner.cache.bytes, ...result.metrics });
    await generator.close();
    model.destroy();
  }
  const own = windows.filter((w) => w.run === runs[0].name);
  const fillToken = maxKvSize > promptTokens ? maxKvSize - promptTokens : 0;
  const after = own.filter((w) => w.startToken >= fillToken);
  const tps = after.map((w) => w.tokensPerSecond);
  const record = {
    bench: 'kv-window',
    date: new Date().toISOString(),
    adapter,
    model: modelDir,
    settings: { numTokens, maxKvSize, kvKeep, promptTokens, windowTokens, compare: runs.length > 1 },
    // Flat = the slowest and fastest windows after the fill within a few percent of each other.
    afterFill: tps.length ? { windows: tps.length, minTokensPerSecond: Math.min(...tps), maxTokensPerSecond: Math.max(...tps), firstLastRatio: tps[tps.length - 1] / tps[0] } : null,
    gpuAllocatedMiB: { first: own[0]?.gpuAllocatedMiB, last: own[own.length - 1]?.gpuAllocatedMiB },
    runs: summaries,
    windows,
  };
  const json = JSON.stringify(record, null, 2);
  writeFileSync(out, json);
  writeFileSync(svg, await plot(windows, fillToken, `${adapter}: ${modelDir}, ${numTokens} tokens, maxKvSize ${maxKvSize}`));
  process.stdout.write(`${json}\n`);
  gpu.destroy();
}

async function plot(windows: readonly WindowRecord[], fillToken: number, subtitle: string): Promise<string> {
  const x = { field: 'endToken', type: 'quantitative', title: 'tokens generated' } as const;
  const color = { field: 'run', type: 'nominal', title: null } as const;
  // Where the rotating cache is full (prompt + generated = maxKvSize): from here on it rotates.
  const rule = { mark: { type: 'rule' as const, strokeDash: [4, 4], color: 'gray' }, data: { values: [{ fillToken }] }, encoding: { x: { field: 'fillToken', type: 'quantitative' as const } } };
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: 'Decode with a rotating KV cache', subtitle },
    data: { values: windows.map((w) => ({ ...w })) },
    vconcat: [
      { width: 560, height: 200, layer: [{ mark: { type: 'line', point: true }, encoding: { x, y: { field: 'tokensPerSecond', type: 'quantitative', title: 'decode tokens/s (per window)' }, color } }, rule] },
      { width: 560, height: 120, layer: [{ mark: { type: 'line', point: true }, encoding: { x, y: { field: 'gpuAllocatedMiB', type: 'quantitative', title: 'GPU MiB (engine buffers)' }, color } }, rule] },
    ],
    config: { background: 'white' },
  };
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none', logLevel: vega.Error });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

await main();
