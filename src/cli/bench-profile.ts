// The report of `wgh profile`: per-kernel rows (src/gpu/profiler.ts) with the model knowledge the
// GPU layer does not have: attention rows split into sliding and full layers, each row's napkin key,
// and per napkin key the distance from its own roofline (src/model/napkin.ts bytes ÷ measured peak
// bandwidth). Also the consistency check of the profile (sum of dispatch times vs profiled span) and
// the terminal tables.

import { aggregateKernels, relabelLanes, type KernelRow, type LaneProfile, type Summary } from '../gpu/profiler.js';
import { napkinKeyOf, type NapkinForward, type NapkinKey } from '../model/napkin.js';
import type { ModelConfig } from '../model/shapes.js';

export interface ProfileKernelRow extends KernelRow {
  readonly napkinKey: NapkinKey | null;
}

export interface RooflineRow {
  readonly key: NapkinKey | 'other' | 'total';
  /** Measured GPU time per step (decode) or per prefill, µs (sum of this key's dispatches). */
  readonly measuredUs: number;
  /** Napkin bytes and flops per step / prefill. */
  readonly napkinBytes: number;
  readonly napkinFlops: number;
  /** napkinBytes ÷ peak bandwidth, µs; null for 'other'. */
  readonly rooflineUs: number | null;
  /** measuredUs ÷ rooflineUs (1 = on the roofline). */
  readonly timesRoofline: number | null;
}

export interface ProfileCheck {
  /** Σ over kernel rows of totalUs. */
  readonly kernelSumUs: number;
  /** Σ over lanes of the per-dispatch durations. */
  readonly dispatchSumUs: number;
  /** Σ over lanes of first begin → last end. */
  readonly spanUs: number;
  /** dispatchSumUs / spanUs: the share of the profiled span inside dispatches (the rest is pass gaps). */
  readonly coverage: number;
}

export interface ProfileSection {
  readonly lanes: number;
  readonly check: ProfileCheck;
  readonly kernels: readonly ProfileKernelRow[];
  readonly roofline: readonly RooflineRow[];
}

const LAYER_TAG = /^L(\d+)\./;
/** Attention entry points: prefill (one workgroup per token and head) and split decode (two phases). */
const SDPA_ENTRIES: ReadonlySet<string> = new Set(['f32_sdpa_sink', 'f32_sdpa_decode_split', 'f32_sdpa_combine']);
const US_PER_S = 1e6;

/** Attention dispatches get what = 'sliding' | 'full' from the layer of the matmul before them. */
export function labelAttention(lanes: readonly LaneProfile[], cfg: ModelConfig): LaneProfile[] {
  const layerOf = new Map<LaneProfile, number[]>();
  for (const lane of lanes) {
    let layer = -1;
    layerOf.set(
      lane,
      lane.dispatches.map((d) => {
        const m = LAYER_TAG.exec(d.tag);
        if (m) layer = Number(m[1]);
        return layer;
      }),
    );
  }
  return relabelLanes(lanes, (lane, idx) => {
    const d = lane.dispatches[idx];
    if (!SDPA_ENTRIES.has(d.kernel.split('[')[0])) return d.what;
    const layer = layerOf.get(lane)![idx];
    const type = cfg.layerTypes[layer];
    return type === 'sliding_attention' ? 'sliding' : type === 'full_attention' ? 'full' : d.what;
  });
}

/**
 * Rows, roofline comparison and check of one section (decode steps or prefill chunks). `perRun` is
 * the number of runs the lanes hold (decode steps; 1 for a prefill): measured times are per run.
 */
export function buildSection(lanes: readonly LaneProfile[], cfg: ModelConfig, napkin: NapkinForward, perRun: number, peakBytesPerSecond: number): ProfileSection {
  const labelled = labelAttention(lanes, cfg);
  const kernels = aggregateKernels(labelled, peakBytesPerSecond).map((r) => ({ ...r, napkinKey: napkinKeyOf(r.kernel, r.what) }));
  const measured = new Map<NapkinKey | 'other', number>();
  for (const r of kernels) measured.set(r.napkinKey ?? 'other', (measured.get(r.napkinKey ?? 'other') ?? 0) + r.totalUs / perRun);
  const roofUs = (bytes: number) => (bytes / peakBytesPerSecond) * US_PER_S;
  const roofline: RooflineRow[] = napkin.rows.map((n) => {
    const us = measured.get(n.key) ?? 0;
    return { key: n.key, measuredUs: us, napkinBytes: n.bytes, napkinFlops: n.flops, rooflineUs: roofUs(n.bytes), timesRoofline: us / roofUs(n.bytes) };
  });
  const other = measured.get('other') ?? 0;
  if (other > 0) roofline.push({ key: 'other', measuredUs: other, napkinBytes: 0, napkinFlops: 0, rooflineUs: null, timesRoofline: null });
  const totalUs = [...measured.values()].reduce((a, b) => a + b, 0);
  roofline.push({ key: 'total', measuredUs: totalUs, napkinBytes: napkin.bytes, napkinFlops: napkin.flops, rooflineUs: roofUs(napkin.bytes), timesRoofline: totalUs / roofUs(napkin.bytes) });
  const dispatchSumUs = lanes.reduce((n, l) => n + l.sumUs, 0);
  const spanUs = lanes.reduce((n, l) => n + l.spanUs, 0);
  return {
    lanes: lanes.length,
    check: { kernelSumUs: kernels.reduce((n, r) => n + r.totalUs, 0), dispatchSumUs, spanUs, coverage: spanUs > 0 ? dispatchSumUs / spanUs : 0 },
    kernels,
    roofline,
  };
}

const fmt = (v: number | null, digits: number) => (v === null ? '-' : v.toFixed(digits));
const pct = (v: number | null) => (v === null ? '-' : `${(v * 100).toFixed(1)}%`);
const KERNEL_COL = 44;

/** The per-kernel table and the roofline table of a section. */
export function formatSection(title: string, s: ProfileSection, perRun: number, runName: string): string {
  const head = `  ${'kernel'.padEnd(KERNEL_COL)} ${'calls'.padStart(6)} ${'total ms'.padStart(9)} ${'mean µs'.padStart(9)} ${'share'.padStart(6)} ${'GB/s'.padStart(8)} ${'of peak'.padStart(7)} ${'GFLOP/s'.padStart(8)}`;
  const rows = s.kernels.map((r) => {
    const name = `${r.kernel.split('[')[0]}${r.what ? ` ${r.what}` : ''}`.slice(0, KERNEL_COL);
    return `  ${name.padEnd(KERNEL_COL)} ${String(r.calls).padStart(6)} ${(r.totalUs / 1000).toFixed(3).padStart(9)} ${r.meanUs.toFixed(1).padStart(9)} ${pct(r.share).padStart(6)} ${fmt(r.gbps, 1).padStart(8)} ${pct(r.peakFraction).padStart(7)} ${fmt(r.gflops, 1).padStart(8)}`;
  });
  const roofHead = `  ${'napkin key'.padEnd(14)} ${`µs per ${runName}`.padStart(14)} ${'napkin MB'.padStart(10)} ${'roofline µs'.padStart(12)} ${'× roofline'.padStart(11)}`;
  const roofRows = s.roofline.map(
    (r) => `  ${r.key.padEnd(14)} ${r.measuredUs.toFixed(1).padStart(14)} ${(r.napkinBytes / 1e6).toFixed(2).padStart(10)} ${fmt(r.rooflineUs, 1).padStart(12)} ${fmt(r.timesRoofline, 2).padStart(11)}`,
  );
  const c = s.check;
  return [
    `${title}: ${s.lanes} command buffers${perRun > 1 ? ` (${perRun} ${runName}s)` : ''}`,
    head,
    ...rows,
    `  Σ dispatches ${(c.dispatchSumUs / 1000).toFixed(3)} ms of a profiled span of ${(c.spanUs / 1000).toFixed(3)} ms (${pct(c.coverage)} inside dispatches)`,
    '',
    roofHead,
    ...roofRows,
  ].join('\n');
}

export function formatSummary(label: string, s: Summary | null, unit: string, digits: number): string {
  return s === null ? `${label}: -` : `${label}: ${s.median.toFixed(digits)} ${unit} (min ${s.min.toFixed(digits)}, max ${s.max.toFixed(digits)}, n=${s.n})`;
}
