// Kernel profiler: times every dispatch of a recorded Plan and aggregates per kernel.
//
// A Plan normally runs as one compute pass (Plan.encodeInto); WebGPU timestamps are per pass, so a
// profiled run encodes the same Plan one dispatch per pass, each pass with begin/end timestamps
// (src/gpu/timestamps.ts). Every pass adds launch and drain cost (about 12.5 µs per pass vs 4.2 µs
// per dispatch inside one pass on an H100, ../shared/device/README.md), so the profiled step is
// longer than the real one: `timeUnprofiled` measures the real step (one pass, timestamps around
// the whole pass, plus wall clock) for comparison. Where the device has Dawn's inside-pass
// timestamps, the dispatches stay in one pass with timestamps between them.
// Without `timestamp-query` the fallback is the wall clock, one submit-and-wait per dispatch
// (source 'wall-clock'), which includes submit and sync latency and says so.
//
// Profiling off costs nothing: the hot loop (Plan.encodeInto / Plan.submit) is untouched; only code
// that asks for a profile runs the paths here.
//
// Lanes: one per profiled command buffer (a decode step, a prefill chunk), timestamps relative to
// the first lane's first timestamp, so a Chrome trace (chromeTrace) shows them on one time axis.

import { UnsupportedDeviceError } from '../errors.js';
import type { Gpu } from './device.js';
import type { Plan } from './recorder.js';
import { INSIDE_PASS_FEATURE, TimestampQueries, nsDiffToUs } from './timestamps.js';

export type TimingSource = 'gpu-timestamps-per-pass' | 'gpu-timestamps-inside-pass' | 'wall-clock';

export const TIMING_SOURCE_NOTES: Readonly<Record<TimingSource, string>> = {
  'gpu-timestamps-per-pass':
    'GPU timestamps, one compute pass per dispatch: each pass adds launch/drain cost, so per-dispatch profiling inflates the step; compare with the unprofiled step time',
  'gpu-timestamps-inside-pass': 'GPU timestamps between the dispatches of one compute pass (Dawn inside-pass timestamps)',
  'wall-clock':
    'WALL CLOCK FALLBACK (no timestamp-query on this device): each dispatch submitted alone and awaited; times include submit and sync latency',
};

export interface DispatchTiming {
  /** Kernel label (entry point + overrides). */
  readonly kernel: string;
  /** The launcher's tag (DispatchMeta.tag), '' when none. */
  readonly tag: string;
  /** Row key detail: the tag without its layer prefix ("L3.qkv" → "qkv"), or what a caller set. */
  readonly what: string;
  /** Declared bytes moved and flops (DispatchMeta), 0 when not declared. */
  readonly bytes: number;
  readonly flops: number;
  /** Start relative to the lane's start, and duration, in µs. */
  readonly startUs: number;
  readonly durUs: number;
}

export interface LaneProfile {
  /** What this command buffer was, e.g. "decode step 1 (pos 512)". */
  readonly lane: string;
  readonly source: TimingSource;
  /** Start relative to the profiler's first lane, µs. */
  readonly startUs: number;
  readonly dispatches: readonly DispatchTiming[];
  /** First begin → last end, µs. */
  readonly spanUs: number;
  /** Sum of the dispatches' durations, µs. */
  readonly sumUs: number;
}

export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

/** Median, min and max of a non-empty list. */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new RangeError('summarize: no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], n: sorted.length };
}

export interface UnprofiledTiming {
  /** GPU time of the whole step in one pass (pass-level timestamps), µs; null without timestamps. */
  readonly gpuUs: Summary | null;
  /** Wall time per step when `reps` steps are submitted back to back and awaited once, µs. */
  readonly wallUs: number;
}

export interface ProfilerOptions {
  /** Use the wall-clock fallback even when timestamps are available (tests, comparisons). */
  readonly wallClock?: boolean;
}

const LAYER_PREFIX = /^L\d+\./;
const MS_TO_US = 1000;

export class Profiler {
  readonly source: TimingSource;
  readonly lanes: LaneProfile[] = [];
  private queries: TimestampQueries | null = null;
  private originNs: bigint | null = null;
  private originMs: number | null = null;

  constructor(
    private readonly gpu: Gpu,
    opts: ProfilerOptions = {},
  ) {
    if (opts.wallClock || !gpu.caps.timestampQuery) this.source = 'wall-clock';
    else this.source = gpu.features.has(INSIDE_PASS_FEATURE) ? 'gpu-timestamps-inside-pass' : 'gpu-timestamps-per-pass';
  }

  get note(): string {
    return TIMING_SOURCE_NOTES[this.source];
  }

  /** Run `plan` once with every dispatch timed; the lane is appended to `lanes` and returned. */
  async profile(plan: Plan, lane: string): Promise<LaneProfile> {
    const numDispatches = plan.dispatches.length;
    let begins: number[];
    let durs: number[];
    let laneStartUs: number;
    if (this.source === 'wall-clock') {
      ({ begins, durs, laneStartUs } = await this.profileWallClock(plan));
    } else {
      const queries = this.queriesFor(numDispatches);
      const enc = this.gpu.device.createCommandEncoder({ label: `profile:${lane}` });
      if (this.source === 'gpu-timestamps-inside-pass') {
        const pass = enc.beginComputePass({ label: `profile:${lane}` });
        plan.dispatches.forEach((d, idx) => {
          if (!queries.writeTimestampInside(pass, 2 * idx)) {
            throw new UnsupportedDeviceError(`the device lists ${INSIDE_PASS_FEATURE} but its pass encoder has no writeTimestamp`);
          }
          pass.setPipeline(d.kernel.pipeline);
          pass.setBindGroup(0, d.bindGroup);
          pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
          queries.writeTimestampInside(pass, 2 * idx + 1);
        });
        pass.end();
      } else {
        plan.dispatches.forEach((d, idx) => {
          const pass = enc.beginComputePass({ label: d.kernel.label, timestampWrites: queries.passWrites(idx) });
          pass.setPipeline(d.kernel.pipeline);
          pass.setBindGroup(0, d.bindGroup);
          pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
          pass.end();
        });
      }
      queries.resolve(enc, numDispatches);
      this.gpu.queue.submit([enc.finish()]);
      const ns = await queries.read(numDispatches);
      const first = ns[0];
      this.originNs ??= first;
      laneStartUs = nsDiffToUs(first, this.originNs);
      begins = plan.dispatches.map((_, idx) => nsDiffToUs(ns[2 * idx], first));
      durs = plan.dispatches.map((_, idx) => Math.max(0, nsDiffToUs(ns[2 * idx + 1], ns[2 * idx])));
    }
    const dispatches: DispatchTiming[] = plan.dispatches.map((d, idx) => {
      const tag = d.meta.tag ?? '';
      return {
        kernel: d.kernel.label,
        tag,
        what: tag.replace(LAYER_PREFIX, ''),
        bytes: d.meta.bytes ?? 0,
        flops: d.meta.flops ?? 0,
        startUs: begins[idx],
        durUs: durs[idx],
      };
    });
    const spanUs = numDispatches ? Math.max(...dispatches.map((d) => d.startUs + d.durUs)) - Math.min(...begins) : 0;
    const profiled: LaneProfile = {
      lane,
      source: this.source,
      startUs: laneStartUs,
      dispatches,
      spanUs,
      sumUs: dispatches.reduce((n, d) => n + d.durUs, 0),
    };
    this.lanes.push(profiled);
    return profiled;
  }

  private async profileWallClock(plan: Plan): Promise<{ begins: number[]; durs: number[]; laneStartUs: number }> {
    await this.gpu.sync();
    const begins: number[] = [];
    const durs: number[] = [];
    let laneStartMs = 0;
    for (const [idx, d] of plan.dispatches.entries()) {
      const enc = this.gpu.device.createCommandEncoder({ label: d.kernel.label });
      const pass = enc.beginComputePass({ label: d.kernel.label });
      pass.setPipeline(d.kernel.pipeline);
      pass.setBindGroup(0, d.bindGroup);
      pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
      pass.end();
      const t0 = performance.now();
      if (idx === 0) laneStartMs = t0;
      this.gpu.queue.submit([enc.finish()]);
      await this.gpu.queue.onSubmittedWorkDone();
      const t1 = performance.now();
      begins.push((t0 - laneStartMs) * MS_TO_US);
      durs.push((t1 - t0) * MS_TO_US);
    }
    this.gpu.throwIfFailed();
    this.originMs ??= laneStartMs;
    return { begins, durs, laneStartUs: (laneStartMs - this.originMs) * MS_TO_US };
  }

  /**
   * The plan as it really runs (one pass), `reps` times: GPU time per run from pass-level
   * timestamps (null in wall-clock mode), and the wall time per run of `reps` runs queued back to
   * back (one submit each, one wait at the end). Runs once first as a warm-up.
   */
  async timeUnprofiled(plan: Plan, reps: number): Promise<UnprofiledTiming> {
    plan.submit();
    await this.gpu.sync();
    let gpuUs: Summary | null = null;
    if (this.source !== 'wall-clock') {
      const queries = this.queriesFor(1);
      const runs: number[] = [];
      for (let rep = 0; rep < reps; rep++) {
        const enc = this.gpu.device.createCommandEncoder({ label: `${plan.label}:timed` });
        const pass = enc.beginComputePass({ label: plan.label, timestampWrites: queries.passWrites(0) });
        plan.encodeInto(pass);
        pass.end();
        queries.resolve(enc, 1);
        this.gpu.queue.submit([enc.finish()]);
        const ns = await queries.read(1);
        runs.push(nsDiffToUs(ns[1], ns[0]));
      }
      gpuUs = summarize(runs);
    }
    const t0 = performance.now();
    for (let rep = 0; rep < reps; rep++) plan.submit();
    await this.gpu.sync();
    return { gpuUs, wallUs: ((performance.now() - t0) * MS_TO_US) / reps };
  }

  private queriesFor(numPasses: number): TimestampQueries {
    if (!this.queries || this.queries.maxPasses < numPasses) {
      this.queries?.destroy();
      this.queries = new TimestampQueries(this.gpu, Math.max(numPasses, this.queries?.maxPasses ?? 0));
    }
    return this.queries;
  }

  destroy(): void {
    this.queries?.destroy();
    this.queries = null;
  }
}

/** Lanes with `what` replaced per dispatch (e.g. a layer-type detail a model-aware caller knows). */
export function relabelLanes(lanes: readonly LaneProfile[], whatOf: (lane: LaneProfile, idx: number) => string): LaneProfile[] {
  return lanes.map((lane) => ({ ...lane, dispatches: lane.dispatches.map((d, idx) => ({ ...d, what: whatOf(lane, idx) })) }));
}

export interface KernelRow {
  readonly kernel: string;
  readonly what: string;
  readonly calls: number;
  readonly totalUs: number;
  readonly meanUs: number;
  /** totalUs / the sum over all rows (the profiled dispatches' time). */
  readonly share: number;
  /** Declared bytes and flops, summed over calls. */
  readonly bytes: number;
  readonly flops: number;
  /** Achieved rates from the declared bytes / flops (null when nothing was declared or no time passed). */
  readonly gbps: number | null;
  readonly gflops: number | null;
  /** gbps as a fraction of the measured peak bandwidth (null without a peak). */
  readonly peakFraction: number | null;
}

const BYTES_PER_GB = 1e9;
const US_PER_S = 1e6;

/** Per (kernel, what) rows over `lanes`, most time first. */
export function aggregateKernels(lanes: readonly LaneProfile[], peakBytesPerSecond: number | null): KernelRow[] {
  const acc = new Map<string, { kernel: string; what: string; calls: number; totalUs: number; bytes: number; flops: number }>();
  let grandUs = 0;
  for (const lane of lanes) {
    for (const d of lane.dispatches) {
      const key = `${d.kernel}\u0000${d.what}`;
      const row = acc.get(key) ?? { kernel: d.kernel, what: d.what, calls: 0, totalUs: 0, bytes: 0, flops: 0 };
      row.calls++;
      row.totalUs += d.durUs;
      row.bytes += d.bytes;
      row.flops += d.flops;
      acc.set(key, row);
      grandUs += d.durUs;
    }
  }
  return [...acc.values()]
    .map((r) => {
      const seconds = r.totalUs / US_PER_S;
      const gbps = r.bytes > 0 && seconds > 0 ? r.bytes / seconds / BYTES_PER_GB : null;
      return {
        ...r,
        meanUs: r.totalUs / r.calls,
        share: grandUs > 0 ? r.totalUs / grandUs : 0,
        gbps,
        gflops: r.flops > 0 && seconds > 0 ? r.flops / seconds / BYTES_PER_GB : null,
        peakFraction: gbps !== null && peakBytesPerSecond ? (gbps * BYTES_PER_GB) / peakBytesPerSecond : null,
      };
    })
    .sort((a, b) => b.totalUs - a.totalUs);
}

export interface TraceSection {
  /** A process in the trace viewer, e.g. "decode" or "prefill". */
  readonly name: string;
  readonly lanes: readonly LaneProfile[];
}

export interface TraceEvent {
  readonly name: string;
  readonly ph: 'X' | 'M';
  readonly pid: number;
  readonly tid: number;
  readonly ts?: number;
  readonly dur?: number;
  readonly cat?: string;
  readonly args?: Readonly<Record<string, string | number>>;
}

export interface ChromeTrace {
  readonly traceEvents: readonly TraceEvent[];
  readonly displayTimeUnit: 'ms' | 'ns';
  readonly otherData: Readonly<Record<string, string | number>>;
}

/**
 * Chrome trace-event JSON (chrome://tracing, ui.perfetto.dev): one process per section, one thread
 * (lane) per profiled command buffer, one complete ('X') event per dispatch, times in µs.
 */
export function chromeTrace(sections: readonly TraceSection[], otherData: Readonly<Record<string, string | number>> = {}): ChromeTrace {
  const events: TraceEvent[] = [];
  sections.forEach((section, sectionIdx) => {
    const pid = sectionIdx + 1;
    events.push({ name: 'process_name', ph: 'M', pid, tid: 0, args: { name: section.name } });
    section.lanes.forEach((lane, laneIdx) => {
      const tid = laneIdx + 1;
      events.push({ name: 'thread_name', ph: 'M', pid, tid, args: { name: lane.lane } });
      events.push({ name: 'thread_sort_index', ph: 'M', pid, tid, args: { sort_index: laneIdx } });
      for (const d of lane.dispatches) {
        const args: Record<string, string | number> = { source: lane.source };
        if (d.tag) args.tag = d.tag;
        if (d.bytes) args.bytes = d.bytes;
        if (d.flops) args.flops = d.flops;
        if (d.bytes && d.durUs > 0) args.GBps = Number((d.bytes / d.durUs / (BYTES_PER_GB / US_PER_S)).toFixed(3));
        events.push({ name: d.what ? `${d.kernel} ${d.what}` : d.kernel, cat: 'kernel', ph: 'X', pid, tid, ts: lane.startUs + d.startUs, dur: d.durUs, args });
      }
    });
  });
  return { traceEvents: events, displayTimeUnit: 'ms', otherData };
}

