// The record `wgh bench --json` prints (and --out writes): one JSON object per run. Every field is
// listed in BENCH_RECORD_FIELDS (documented in bench/README.md, checked by tests/cli/bench.test.ts).

import type { Summary } from '../gpu/profiler.js';
import type { BandwidthMeasurement } from '../kernels/stream-read.js';
import { deviceLine, type DeviceRecord } from './bench-env.js';
import type { DecodeResult, PrefillResult } from './bench-run.js';

export const BENCH_SCHEMA = 'wgh-bench/1';

export interface BenchRecord {
  readonly schema: typeof BENCH_SCHEMA;
  /** ISO 8601 time the run started. */
  readonly date: string;
  readonly command: string;
  readonly device: DeviceRecord;
  readonly model: {
    readonly name: string;
    readonly dir: string;
    readonly preset: string | null;
    readonly numLayers: number;
    readonly numExperts: number;
    readonly hiddenSize: number;
    readonly vocabSize: number;
    readonly checkpointBytes: number;
  };
  readonly settings: {
    readonly depths: readonly number[];
    readonly promptTokens: readonly number[];
    readonly genTokens: number;
    readonly reps: number;
    readonly warmup: number;
    readonly contextLength: number;
    readonly maxBatch: number;
    readonly timing: string;
    readonly kvFill: string;
  };
  readonly load: { readonly seconds: number; readonly bytes: number; readonly gbps: number; readonly syntheticCreateSeconds: number | null };
  readonly peakBandwidth: BandwidthMeasurement;
  readonly memory: {
    readonly gpuPeakAllocatedBytes: number;
    readonly kvCacheBytes: number;
    readonly nvidiaSmiPeakMiB: number | null;
    readonly hostPeakRssBytes: number;
  };
  readonly timeToFirstToken: { readonly promptTokens: number; readonly seconds: Summary };
  readonly prefill: readonly PrefillResult[];
  readonly decode: readonly DecodeResult[];
  /** Configurations left out, and why (e.g. a depth that does not fit in memory). */
  readonly skipped: readonly { readonly what: string; readonly why: string }[];
  readonly durationSeconds: number;
}

const SUMMARY = ['median', 'min', 'max', 'n'];
const summaryFields = (path: string) => SUMMARY.map((f) => `${path}.${f}`);

/** Dotted paths of every documented field; `[]` = every element of an array. */
export const BENCH_RECORD_FIELDS: readonly string[] = [
  'schema',
  'date',
  'command',
  ...['name', 'adapter', 'vendor', 'architecture', 'backend', 'driver', 'isCpuAdapter', 'timestampQuery', 'nvidiaSmi'].map((f) => `device.${f}`),
  ...['name', 'dir', 'preset', 'numLayers', 'numExperts', 'hiddenSize', 'vocabSize', 'checkpointBytes'].map((f) => `model.${f}`),
  ...['depths', 'promptTokens', 'genTokens', 'reps', 'warmup', 'contextLength', 'maxBatch', 'timing', 'kvFill'].map((f) => `settings.${f}`),
  ...['seconds', 'bytes', 'gbps', 'syntheticCreateSeconds'].map((f) => `load.${f}`),
  ...['bytes', 'reps', 'source', 'peakBytesPerSecond', 'method'].map((f) => `peakBandwidth.${f}`),
  ...summaryFields('peakBandwidth.gbps'),
  ...['gpuPeakAllocatedBytes', 'kvCacheBytes', 'nvidiaSmiPeakMiB', 'hostPeakRssBytes'].map((f) => `memory.${f}`),
  'timeToFirstToken.promptTokens',
  ...summaryFields('timeToFirstToken.seconds'),
  ...['promptTokens', 'napkinBytesPerToken', 'rooflineTokensPerSecond'].map((f) => `prefill[].${f}`),
  ...['tokensPerSecond', 'seconds', 'ttftSeconds'].flatMap((f) => summaryFields(`prefill[].${f}`)),
  ...['depth', 'napkinBytesPerToken', 'rooflineTokensPerSecond', 'rooflineFraction'].map((f) => `decode[].${f}`),
  ...['tokensPerSecond', 'msPerToken'].flatMap((f) => summaryFields(`decode[].${f}`)),
  'skipped',
  'durationSeconds',
];

const GB = 1e9;
const MIB = 1024 ** 2;
const range = (s: Summary, digits: number) => `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;

/** The human summary printed without --json. */
export function formatBenchRecord(r: BenchRecord): string {
  const lines = [
    `${r.model.name} on ${deviceLine(r.device)}, ${r.date}`,
    `load ${r.load.seconds.toFixed(2)} s = ${r.load.gbps.toFixed(2)} GB/s of ${(r.load.bytes / GB).toFixed(2)} GB` +
      (r.load.syntheticCreateSeconds !== null ? ` (checkpoint created in ${r.load.syntheticCreateSeconds.toFixed(1)} s)` : ''),
    `peak bandwidth ${r.peakBandwidth.gbps.max.toFixed(1)} GB/s (median ${r.peakBandwidth.gbps.median.toFixed(1)}, ${r.peakBandwidth.source})`,
    `memory: GPU allocated peak ${(r.memory.gpuPeakAllocatedBytes / GB).toFixed(2)} GB (KV ${(r.memory.kvCacheBytes / GB).toFixed(2)} GB)` +
      (r.memory.nvidiaSmiPeakMiB !== null ? `, nvidia-smi peak ${r.memory.nvidiaSmiPeakMiB} MiB` : '') +
      `, host RSS peak ${(r.memory.hostPeakRssBytes / MIB).toFixed(0)} MiB`,
    `time to first token (${r.timeToFirstToken.promptTokens}-token prompt): ${range(r.timeToFirstToken.seconds, 3)} s`,
    '',
    `decode (median of ${r.settings.reps}, min–max; ${r.settings.genTokens} tokens per run)`,
    `  ${'depth'.padStart(7)}  ${'tok/s'.padStart(24)}  ${'ms/token'.padStart(8)}  ${'roofline tok/s'.padStart(14)}  ${'of roofline'.padStart(11)}`,
    ...r.decode.map(
      (d) =>
        `  ${String(d.depth).padStart(7)}  ${range(d.tokensPerSecond, 1).padStart(24)}  ${d.msPerToken.median.toFixed(2).padStart(8)}  ` +
        `${d.rooflineTokensPerSecond.toFixed(0).padStart(14)}  ${`${(d.rooflineFraction * 100).toFixed(1)}%`.padStart(11)}`,
    ),
    '',
    'prefill',
    `  ${'tokens'.padStart(7)}  ${'tok/s'.padStart(24)}  ${'TTFT s'.padStart(24)}`,
    ...r.prefill.map((p) => `  ${String(p.promptTokens).padStart(7)}  ${range(p.tokensPerSecond, 1).padStart(24)}  ${range(p.ttftSeconds, 3).padStart(24)}`),
    ...r.skipped.map((s) => `skipped ${s.what}: ${s.why}`),
  ];
  return lines.join('\n');
}
