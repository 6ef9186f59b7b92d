// `wgh bench (--model DIR | --synthetic 20b|120b)`: decode tokens/s at context depths, prefill
// tokens/s and time to first token at prompt lengths, model load time and GB/s, peak GPU memory and
// host RSS, the measured peak bandwidth and the napkin roofline; one record per run (--json prints
// it, --out DIR writes it and its SVG chart with the names bench/results/ keeps).
// Measurements: src/cli/bench-run.ts; record fields: src/cli/bench-record.ts; chart: bench-chart.ts.

import { mkdirSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ConfigError } from '../errors.js';
import { Gpu } from '../gpu/device.js';
import { TIMESTAMP_TOGGLES_OFF } from '../gpu/timestamps.js';
import { measurePeakBandwidth } from '../kernels/stream-read.js';
import { openCheckpoint } from '../model/checkpoint.js';
import { loadModel } from '../model/load.js';
import type { ModelConfig } from '../model/shapes.js';
import { benchChartSvg } from './bench-chart.js';
import { NvidiaSmiSampler, describeDevice, fillKvCache, queryNvidiaSmi, recordPath } from './bench-env.js';
import { BENCH_SCHEMA, formatBenchRecord, type BenchRecord } from './bench-record.js';
import { benchDecode, benchPrefill, type BenchSettings, type DecodeResult, type PrefillResult } from './bench-run.js';
import { addModelSourceOptions, resolveModelSource, type ModelSourceFlags } from './bench-synthetic.js';
import { addGpuOptions, gpuOptionsFrom, parseIntFlag, type GpuFlags } from './options.js';

export const DEFAULT_DEPTHS = [0, 1024, 4096, 16384] as const;
/** Added to the default depths when nvidia-smi says the weights and its KV cache fit. */
export const DEEP_DEPTH = 65536;
export const DEFAULT_PROMPT_TOKENS = [128, 512, 2048, 8192] as const;
export const DEFAULT_GEN_TOKENS = 32;
export const DEFAULT_REPS = 3;
export const DEFAULT_WARMUP = 1;
/** Leave this share of the GPU's memory free when deciding whether DEEP_DEPTH fits. */
const MEMORY_HEADROOM = 0.9;
const NVIDIA_SMI_INTERVAL_MS = 500;
const MIB = 1024 ** 2;
const KV_ELEMENT_BYTES = 4; // the engine's f32 cache
const BYTES_PER_KIB = 1024;

interface BenchFlags extends GpuFlags, ModelSourceFlags {
  readonly depths?: string;
  readonly promptTokens?: string;
  readonly genTokens: string;
  readonly reps: string;
  readonly warmup: string;
  readonly maxBatch?: string;
  readonly bandwidthBytes?: string;
  readonly json?: boolean;
  readonly out?: string;
  readonly quiet?: boolean;
}

export function parseList(flag: string, value: string, min: number): number[] {
  const items = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (items.length === 0) throw new ConfigError(`${flag}: expected a comma-separated list of integers, got '${value}'`);
  return items.map((s) => parseIntFlag(flag, s, min));
}

export function registerBenchCommand(program: Command): void {
  const cmd = program
    .command('bench')
    .description('benchmark decode (by context depth), prefill (by prompt length), load, memory; one JSON record per run')
    .option('--depths <list>', `decode context depths (default ${DEFAULT_DEPTHS.join(',')}, plus ${DEEP_DEPTH} when nvidia-smi says it fits)`)
    .option('--prompt-tokens <list>', `prefill prompt lengths (default ${DEFAULT_PROMPT_TOKENS.join(',')})`)
    .option('--gen-tokens <n>', 'decode steps per measured run', String(DEFAULT_GEN_TOKENS))
    .option('--reps <n>', 'measured runs per configuration (medians with min–max)', String(DEFAULT_REPS))
    .option('--warmup <n>', 'unmeasured runs before each configuration', String(DEFAULT_WARMUP))
    .option('--max-batch <n>', 'largest prefill chunk (tokens)')
    .option('--bandwidth-bytes <n>', 'bytes streamed by the peak-bandwidth kernel (default 1 GiB on GPUs, 32 MiB on CPU adapters)')
    .option('--json', 'print the record as one JSON object on stdout')
    .option('--out <dir>', 'write the record (JSON) and its chart (SVG) into DIR, named bench-<model>-<date>-<device>')
    .option('--quiet', 'no progress on stderr');
  addGpuOptions(addModelSourceOptions(cmd)).action(async (flags: BenchFlags) => {
    const record = await runBench(flags);
    if (flags.out) {
      mkdirSync(flags.out, { recursive: true });
      const when = new Date(record.date);
      const jsonPath = recordPath(flags.out, 'bench', record.model.name, when, record.device, 'json');
      writeFileSync(jsonPath, `${JSON.stringify(record, null, 2)}\n`);
      writeFileSync(jsonPath.replace(/\.json$/, '.svg'), await benchChartSvg(record));
      if (!flags.quiet) process.stderr.write(`wrote ${jsonPath} and its .svg chart\n`);
    }
    process.stdout.write(flags.json ? `${JSON.stringify(record)}\n` : `${formatBenchRecord(record)}\n`);
  });
}

async function runBench(flags: BenchFlags): Promise<BenchRecord> {
  const started = new Date();
  const t0 = performance.now();
  const quiet = flags.quiet === true;
  const log = (line: string) => {
    if (!quiet) process.stderr.write(`${line}\n`);
  };
  const settingsIn = {
    genTokens: parseIntFlag('--gen-tokens', flags.genTokens, 1),
    reps: parseIntFlag('--reps', flags.reps, 1),
    warmup: parseIntFlag('--warmup', flags.warmup, 0),
    promptTokens: flags.promptTokens ? parseList('--prompt-tokens', flags.promptTokens, 1) : [...DEFAULT_PROMPT_TOKENS],
  };
  const maxBatch = flags.maxBatch === undefined ? undefined : parseIntFlag('--max-batch', flags.maxBatch, 1);
  const explicitDepths = flags.depths ? parseList('--depths', flags.depths, 0) : null;
  const bandwidthBytes = flags.bandwidthBytes ? parseIntFlag('--bandwidth-bytes', flags.bandwidthBytes, 16) : undefined;
  const source = await resolveModelSource('bench', flags, quiet);
  const smi = await queryNvidiaSmi();
  const sampler = new NvidiaSmiSampler(NVIDIA_SMI_INTERVAL_MS).start();
  const gpu = await Gpu.open({ ...gpuOptionsFrom(flags), disableToggles: TIMESTAMP_TOGGLES_OFF });
  try {
    const { checkpointBytes, config } = await peekCheckpoint(source.dir);
    const skipped: { what: string; why: string }[] = [];
    const depths = explicitDepths ?? defaultDepths(config, checkpointBytes, smi?.memoryTotalMiB ?? null, skipped, settingsIn.genTokens);
    const settings: BenchSettings = { ...settingsIn, depths };
    const contextLength = Math.min(config.maxPositionEmbeddings, Math.max(...depths.map((d) => d + settings.genTokens + 1), ...settings.promptTokens));
    log(`loading ${source.dir} (context ${contextLength})`);
    const model = await loadModel(source.dir, { gpu, contextLength, maxBatch });
    try {
      const runner = model.runner;
      log(`loaded ${(model.stats.bytes / 1e9).toFixed(2)} GB in ${model.stats.seconds.toFixed(2)} s`);
      const bandwidth = await measurePeakBandwidth(gpu, { bytes: bandwidthBytes });
      const peak = bandwidth.peakBytesPerSecond;
      log(`peak bandwidth ${bandwidth.gbps.max.toFixed(1)} GB/s (${bandwidth.source})`);
      const fill = await fillKvCache(gpu, runner);
      log(`KV cache filled with random values: ${(fill.bytes / 1e9).toFixed(2)} GB in ${fill.seconds.toFixed(2)} s`);
      const prefill: PrefillResult[] = [];
      for (const numTokens of settings.promptTokens) {
        const result = await benchPrefill(runner, numTokens, settings, peak);
        log(`prefill ${numTokens}: ${result.tokensPerSecond.median.toFixed(1)} tok/s (${result.tokensPerSecond.min.toFixed(1)}–${result.tokensPerSecond.max.toFixed(1)}), TTFT ${result.ttftSeconds.median.toFixed(3)} s`);
        prefill.push(result);
      }
      const decode: DecodeResult[] = [];
      for (const depth of depths) {
        const result = await benchDecode(runner, depth, settings, peak);
        log(`decode @ ${depth}: ${result.tokensPerSecond.median.toFixed(1)} tok/s (${result.tokensPerSecond.min.toFixed(1)}–${result.tokensPerSecond.max.toFixed(1)}), roofline ${result.rooflineTokensPerSecond.toFixed(0)}`);
        decode.push(result);
      }
      const first = prefill[0];
      await gpu.queryBackend(); // the record names the backend Dawn opened, not the requested one
      return {
        schema: BENCH_SCHEMA,
        date: started.toISOString(),
        command: ['wgh', ...process.argv.slice(2)].join(' '),
        device: describeDevice(gpu, smi),
        model: {
          name: source.name,
          dir: source.dir,
          preset: source.preset,
          numLayers: config.numLayers,
          numExperts: config.numExperts,
          hiddenSize: config.hiddenSize,
          vocabSize: config.vocabSize,
          checkpointBytes,
        },
        settings: {
          ...settings,
          contextLength,
          maxBatch: runner.maxBatch,
          timing: 'wall clock end to end (prefill() and greedy() as the CLI runs them); peak bandwidth from GPU timestamps where available',
          kvFill: 'decode at depth d: the KV cache is filled once with random values (host writes) and the runner length set to d; no prefill of d tokens',
        },
        load: { seconds: model.stats.seconds, bytes: model.stats.bytes, gbps: model.stats.bytesPerSecond / 1e9, syntheticCreateSeconds: source.createSeconds },
        peakBandwidth: bandwidth,
        memory: {
          gpuPeakAllocatedBytes: gpu.memory.peakAllocatedBytes,
          kvCacheBytes: runner.cache.bytes,
          nvidiaSmiPeakMiB: await sampler.stop(),
          hostPeakRssBytes: process.resourceUsage().maxRSS * BYTES_PER_KIB,
        },
        timeToFirstToken: { promptTokens: first.promptTokens, seconds: first.ttftSeconds },
        prefill,
        decode,
        skipped,
        durationSeconds: (performance.now() - t0) / 1000,
      };
    } finally {
      model.destroy();
    }
  } finally {
    await sampler.stop();
    gpu.destroy();
  }
}

async function peekCheckpoint(dir: string): Promise<{ checkpointBytes: number; config: ModelConfig }> {
  const ckpt = await openCheckpoint(dir);
  return { checkpointBytes: ckpt.totalBytes, config: ckpt.config };
}

/** DEFAULT_DEPTHS, plus DEEP_DEPTH when nvidia-smi reports enough memory for the weights and that KV cache. */
function defaultDepths(
  config: ModelConfig,
  checkpointBytes: number,
  memoryTotalMiB: number | null,
  skipped: { what: string; why: string }[],
  genTokens: number,
): number[] {
  const numFull = config.layerTypes.filter((t) => t === 'full_attention').length;
  const kvBytes = numFull * 2 * config.numKvHeads * config.headDim * KV_ELEMENT_BYTES * (DEEP_DEPTH + genTokens + 1);
  const need = checkpointBytes + kvBytes;
  if (memoryTotalMiB !== null && need <= memoryTotalMiB * MIB * MEMORY_HEADROOM) return [...DEFAULT_DEPTHS, DEEP_DEPTH];
  const why =
    memoryTotalMiB === null
      ? 'GPU memory unknown (no nvidia-smi); pass --depths to include it'
      : `needs ${(need / 1e9).toFixed(1)} GB (weights + f32 KV), more than ${MEMORY_HEADROOM * 100}% of ${memoryTotalMiB} MiB`;
  skipped.push({ what: `decode at depth ${DEEP_DEPTH}`, why });
  return [...DEFAULT_DEPTHS];
}
