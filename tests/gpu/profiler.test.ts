// The kernel profiler (src/gpu/profiler.ts) on lavapipe: per-dispatch timings, per-kernel rows whose
// sums match the profiled total, the wall-clock fallback, and the Chrome trace. Structure and bounds
// only; no speed is asserted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gpu } from '../../src/gpu/device.js';
import { Profiler, aggregateKernels, chromeTrace, relabelLanes, summarize, type LaneProfile } from '../../src/gpu/profiler.js';
import { Plan, Recorder } from '../../src/gpu/recorder.js';
import { MAX_QUERIES_PER_SET, TIMESTAMP_TOGGLES_OFF } from '../../src/gpu/timestamps.js';
import { encodeStreamRead, streamReadWorkgroups } from '../../src/kernels/stream-read.js';

/**
 * The bound of "per-kernel sums match the step's total": lavapipe runs the passes of a command
 * buffer one after another on one thread, so the dispatches never overlap (Σ ≤ span, up to the
 * timestamps' resolution) and the gaps between passes (a barrier and two timestamp writes) are
 * small: measured ~0.1% of the span on an idle machine. MIN_COVERAGE leaves room for a loaded one
 * (other processes preempting lavapipe's thread between passes).
 */
const MIN_COVERAGE = 0.75;
const TIMESTAMP_RESOLUTION_US = 1;
const REL_EPS = 1e-9;
const SIZES_VEC4 = [1 << 14, 1 << 12, 1 << 10]; // three sizes → three declared byte counts
const TAGS = ['L0.big', 'L1.big', 'small'];

function openGpu(disableFeatures: string[] = []): { get: () => Gpu } {
  let gpu: Gpu | null = null;
  beforeAll(async () => {
    gpu = await Gpu.open({ backend: process.env.WGH_BACKEND, disableToggles: TIMESTAMP_TOGGLES_OFF, disableFeatures });
  });
  afterAll(() => gpu?.destroy());
  return { get: () => gpu! };
}

/** A plan of `n` stream_read dispatches over a shared buffer, tagged round-robin with TAGS. */
function streamPlan(gpu: Gpu, n: number): { plan: Plan; release: () => void } {
  const maxVec4 = Math.max(...SIZES_VEC4);
  const src = gpu.createStorage('src', maxVec4 * 16);
  const sums = gpu.createStorage('sums', streamReadWorkgroups(gpu.limits.maxComputeWorkgroupsPerDimension, maxVec4) * 4);
  const rec = new Recorder(gpu, 'profiled');
  for (let idx = 0; idx < n; idx++) {
    encodeStreamRead(rec, { src, sums }, { numVec4: SIZES_VEC4[idx % SIZES_VEC4.length] });
  }
  const recorded = rec.finish();
  // Re-tag (the launcher tags every dispatch 'peak bandwidth'; the profiler groups by tag): a Plan
  // over the same dispatches, whose uniforms stay owned by `recorded`.
  const retagged = recorded.dispatches.map((d, idx) => ({ ...d, meta: { ...d.meta, tag: TAGS[idx % TAGS.length] } }));
  const plan = new Plan(gpu, 'profiled', retagged, null);
  const release = () => {
    recorded.destroy();
    gpu.destroyBuffer(src);
    gpu.destroyBuffer(sums);
  };
  return { plan, release };
}

function expectLaneShape(lane: LaneProfile, numDispatches: number): void {
  expect(lane.dispatches).toHaveLength(numDispatches);
  let prevStart = -Infinity;
  for (const d of lane.dispatches) {
    expect(d.durUs).toBeGreaterThanOrEqual(0);
    expect(d.startUs).toBeGreaterThanOrEqual(prevStart); // passes run in order
    prevStart = d.startUs;
    expect(d.kernel).toMatch(/^u32_stream_read/);
  }
  const sum = lane.dispatches.reduce((n, d) => n + d.durUs, 0);
  expect(Math.abs(lane.sumUs - sum)).toBeLessThanOrEqual(REL_EPS * sum);
  expect(lane.sumUs).toBeLessThanOrEqual(lane.spanUs + TIMESTAMP_RESOLUTION_US);
}

describe('Profiler with GPU timestamps', () => {
  const gpu = openGpu();
  const N = 9;

  it('times every dispatch; per-kernel sums match the profiled total within the bound', async () => {
    const g = gpu.get();
    const profiler = new Profiler(g);
    expect(profiler.source).toBe('gpu-timestamps-per-pass');
    const { plan, release } = streamPlan(g, N);
    const first = await profiler.profile(plan, 'step 1');
    const second = await profiler.profile(plan, 'step 2');
    release();
    profiler.destroy();
    for (const lane of [first, second]) {
      expectLaneShape(lane, N);
      expect(lane.sumUs / lane.spanUs).toBeGreaterThanOrEqual(MIN_COVERAGE);
    }
    expect(first.startUs).toBe(0);
    expect(second.startUs).toBeGreaterThanOrEqual(first.startUs + first.spanUs - TIMESTAMP_RESOLUTION_US);

    const rows = aggregateKernels(profiler.lanes, 1e9);
    // Layer prefixes collapse: 'L0.big' and 'L1.big' are one row.
    expect(rows.map((r) => r.what).sort()).toEqual(['big', 'small']);
    expect(rows.reduce((n, r) => n + r.calls, 0)).toBe(2 * N);
    const total = rows.reduce((n, r) => n + r.totalUs, 0);
    expect(Math.abs(total - (first.sumUs + second.sumUs))).toBeLessThanOrEqual(REL_EPS * total);
    expect(rows.reduce((n, r) => n + r.share, 0)).toBeCloseTo(1, 9);
    for (const r of rows) {
      expect(r.meanUs).toBeCloseTo(r.totalUs / r.calls, 9);
      if (r.totalUs > 0) {
        expect(r.gbps).toBeCloseTo(r.bytes / (r.totalUs / 1e6) / 1e9, 6);
        expect(r.peakFraction).toBeCloseTo(r.gbps!, 6); // peak 1e9 B/s = 1 GB/s
      }
      expect(r.gflops).toBeNull(); // stream_read declares no flops
    }
    expect(rows[0].totalUs).toBeGreaterThanOrEqual(rows[1].totalUs); // most time first
  });

  it('plans longer than one query set (> 2048 passes) keep their order across sets', async () => {
    const g = gpu.get();
    const profiler = new Profiler(g);
    const n = MAX_QUERIES_PER_SET / 2 + 5;
    const { plan, release } = streamPlan(g, n);
    const lane = await profiler.profile(plan, 'long');
    release();
    profiler.destroy();
    expectLaneShape(lane, n);
  });

  it('timeUnprofiled: one-pass GPU time per run and wall time per queued run', async () => {
    const g = gpu.get();
    const profiler = new Profiler(g);
    const { plan, release } = streamPlan(g, N);
    const t = await profiler.timeUnprofiled(plan, 3);
    release();
    profiler.destroy();
    expect(t.gpuUs?.n).toBe(3);
    expect(t.gpuUs!.min).toBeGreaterThan(0);
    expect(t.wallUs).toBeGreaterThan(0);
  });

  it('chromeTrace: valid JSON, one complete event per dispatch, one named lane per command buffer', async () => {
    const g = gpu.get();
    const profiler = new Profiler(g);
    const { plan, release } = streamPlan(g, N);
    const a = await profiler.profile(plan, 'decode step 1');
    const b = await profiler.profile(plan, 'decode step 2');
    const c = await profiler.profile(plan, 'prefill [0, 16)');
    release();
    profiler.destroy();
    const trace = JSON.parse(JSON.stringify(chromeTrace([{ name: 'decode', lanes: [a, b] }, { name: 'prefill', lanes: [c] }], { model: 'x' }))) as ReturnType<typeof chromeTrace>;
    const complete = trace.traceEvents.filter((e) => e.ph === 'X');
    expect(complete).toHaveLength(3 * N);
    const threads = trace.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name');
    expect(threads.map((e) => [e.pid, e.tid, e.args?.name])).toEqual([
      [1, 1, 'decode step 1'],
      [1, 2, 'decode step 2'],
      [2, 1, 'prefill [0, 16)'],
    ]);
    expect(trace.traceEvents.filter((e) => e.name === 'process_name').map((e) => e.args?.name)).toEqual(['decode', 'prefill']);
    for (const e of complete) {
      expect(threads.some((t) => t.pid === e.pid && t.tid === e.tid)).toBe(true);
      expect(e.ts).toBeGreaterThanOrEqual(0);
      expect(e.dur).toBeGreaterThanOrEqual(0);
      expect(e.cat).toBe('kernel');
      expect(e.name).toMatch(/^u32_stream_read\[WG_SIZE=256\] (big|small)$/);
      expect(e.args?.bytes).toBeGreaterThan(0);
    }
    expect(trace.otherData).toEqual({ model: 'x' });
  });
});

describe('Profiler fallback without timestamp-query', () => {
  const gpu = openGpu(['timestamp-query']);

  it('uses the wall clock, says so, and keeps the same structure', async () => {
    const g = gpu.get();
    expect(g.caps.timestampQuery).toBe(false);
    const profiler = new Profiler(g);
    expect(profiler.source).toBe('wall-clock');
    expect(profiler.note).toMatch(/WALL CLOCK/);
    const { plan, release } = streamPlan(g, 4);
    const lane = await profiler.profile(plan, 'step');
    const t = await profiler.timeUnprofiled(plan, 2);
    release();
    profiler.destroy();
    expectLaneShape(lane, 4);
    expect(lane.source).toBe('wall-clock');
    expect(t.gpuUs).toBeNull();
    expect(t.wallUs).toBeGreaterThan(0);
  });
});

describe('profiler helpers', () => {
  it('summarize: median of odd and even counts, min, max', () => {
    expect(summarize([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3, n: 3 });
    expect(summarize([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4, n: 4 });
    expect(() => summarize([])).toThrow(RangeError);
  });

  it('relabelLanes replaces what without touching times', () => {
    const lane: LaneProfile = {
      lane: 'l',
      source: 'wall-clock',
      startUs: 0,
      spanUs: 3,
      sumUs: 3,
      dispatches: [{ kernel: 'k', tag: 'L2.x', what: 'x', bytes: 1, flops: 0, startUs: 0, durUs: 3 }],
    };
    const [out] = relabelLanes([lane], () => 'full');
    expect(out.dispatches[0]).toEqual({ ...lane.dispatches[0], what: 'full' });
  });
});
