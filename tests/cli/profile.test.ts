// `wgh profile` end to end on the tiny oracle model (lavapipe): per-kernel rows whose sums match the
// profiled total within a stated bound, attention split by layer type, the napkin comparison, and a
// Chrome trace that is valid JSON with one lane per command buffer. Structure and bounds only.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ProfileSection } from '../../src/cli/bench-profile.js';
import type { ChromeTrace } from '../../src/gpu/profiler.js';
import { runCli } from '../helpers/cli.js';

const MODEL = join(import.meta.dirname, '../fixtures/gpt-oss-tiny-a');
const NUM_LAYERS = 4; // the fixture: sliding, full, sliding, full
const DISPATCHES_PER_LAYER = 11; // rmsnorm, qkv, rope, sdpa, kv_write, out, rmsnorm, router, topk, gate_up, down
const DECODE_DISPATCHES_PER_LAYER = 12; // attention for one token is two dispatches: split + combine
const DECODE_EXTRA = 4; // embedding, final rmsnorm, lm_head, argmax (one pass: V=1024 is a single argmax chunk)
const PREFILL_EXTRA = 3; // embedding, final rmsnorm, lm_head
const PROMPT = 20;
const DEPTH = 40;
const STEPS = 2;
const REPS = 3;
/**
 * Bound of "per-kernel sums match the step's total": Σ kernel rows equals Σ dispatch durations
 * (same numbers, summed twice), and those fit inside the profiled span (lavapipe runs the passes one
 * after another) while covering at least MIN_COVERAGE of it: the gaps between passes measured ~0.1%
 * on an idle machine; the bound leaves room for a loaded one.
 */
const MIN_COVERAGE = 0.75;
const TIMESTAMP_RESOLUTION_US = 1;
const REL_EPS = 1e-9;
const PROFILE_TIMEOUT_MS = 180_000;

interface Report {
  schema: string;
  timing: { source: string; note: string };
  peakBandwidth: { peakBytesPerSecond: number };
  decode: ProfileSection & { depth: number; steps: number; inflation: number; unprofiled: { gpuUs: { n: number } | null; wallUs: number } };
  prefill: (ProfileSection & { promptTokens: number; unprofiledWallSeconds: number }) | null;
}

function expectConsistent(s: ProfileSection, numLanes: number, minCoverage: number): void {
  const c = s.check;
  expect(Math.abs(c.kernelSumUs - c.dispatchSumUs)).toBeLessThanOrEqual(REL_EPS * c.dispatchSumUs);
  expect(c.dispatchSumUs).toBeLessThanOrEqual(c.spanUs + numLanes * TIMESTAMP_RESOLUTION_US);
  expect(c.coverage).toBeGreaterThanOrEqual(minCoverage);
  expect(s.kernels.reduce((n, r) => n + r.share, 0)).toBeCloseTo(1, 9);
  const total = s.roofline.find((r) => r.key === 'total')!;
  expect(total.rooflineUs).toBeGreaterThan(0);
}

describe('wgh profile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wgh-profile-'));
  const jsonFile = join(dir, 'profile.json');
  const traceFile = join(dir, 'trace.json');
  let report: Report;
  let stdout = '';

  beforeAll(async () => {
    const args = ['profile', '--model', MODEL, '--prompt-tokens', String(PROMPT), '--decode-steps', String(STEPS), '--depth', String(DEPTH)];
    const r = await runCli([...args, '--reps', String(REPS), '--json', jsonFile, '--trace', traceFile, '--quiet'], { timeoutMs: PROFILE_TIMEOUT_MS });
    expect(r.code, r.stderr).toBe(0);
    stdout = r.stdout;
    report = JSON.parse(readFileSync(jsonFile, 'utf8')) as Report;
  }, PROFILE_TIMEOUT_MS);

  it('decode: every dispatch of every step, per-kernel sums match the profiled total', () => {
    const d = report.decode;
    expect(report.schema).toBe('wgh-profile/1');
    expect(report.timing.source).toBe('gpu-timestamps-per-pass');
    expect([d.depth, d.steps, d.lanes]).toEqual([DEPTH, STEPS, STEPS]);
    expect(d.kernels.reduce((n, r) => n + r.calls, 0)).toBe(STEPS * (NUM_LAYERS * DECODE_DISPATCHES_PER_LAYER + DECODE_EXTRA));
    expectConsistent(d, STEPS, MIN_COVERAGE);
    const sdpa = d.kernels.filter((r) => r.kernel.startsWith('f32_sdpa'));
    expect(sdpa.map((r) => [r.kernel.split('[')[0], r.what, r.calls, r.napkinKey]).sort()).toEqual([
      ['f32_sdpa_combine', 'full', STEPS * 2, 'sdpa_full'],
      ['f32_sdpa_combine', 'sliding', STEPS * 2, 'sdpa_sliding'],
      ['f32_sdpa_decode_split', 'full', STEPS * 2, 'sdpa_full'],
      ['f32_sdpa_decode_split', 'sliding', STEPS * 2, 'sdpa_sliding'],
    ]);
    expect(d.kernels.every((r) => r.napkinKey !== null)).toBe(true);
    expect(d.unprofiled.gpuUs?.n).toBe(REPS);
    expect(d.inflation).toBeGreaterThan(0);
    const total = d.roofline.find((r) => r.key === 'total')!;
    expect(total.measuredUs).toBeCloseTo(d.check.kernelSumUs / STEPS, 6);
  });

  it('prefill: one lane per chunk, same consistency', () => {
    const p = report.prefill!;
    expect([p.promptTokens, p.lanes]).toEqual([PROMPT, 1]);
    expect(p.kernels.reduce((n, r) => n + r.calls, 0)).toBe(NUM_LAYERS * DISPATCHES_PER_LAYER + PREFILL_EXTRA);
    expectConsistent(p, 1, MIN_COVERAGE);
    expect(p.unprofiledWallSeconds).toBeGreaterThan(0);
  });

  it('the Chrome trace is valid JSON: one process per section, one lane per command buffer, one event per dispatch', () => {
    const trace = JSON.parse(readFileSync(traceFile, 'utf8')) as ChromeTrace;
    const meta = (name: string) => trace.traceEvents.filter((e) => e.ph === 'M' && e.name === name).map((e) => [e.pid, e.tid, e.args?.name]);
    expect(meta('process_name')).toEqual([
      [1, 0, `decode @ ${DEPTH}`],
      [2, 0, `prefill ${PROMPT}`],
    ]);
    expect(meta('thread_name')).toEqual([
      [1, 1, `decode step 1 (pos ${DEPTH})`],
      [1, 2, `decode step 2 (pos ${DEPTH + 1})`],
      [2, 1, `prefill [0, ${PROMPT})`],
    ]);
    const events = trace.traceEvents.filter((e) => e.ph === 'X');
    const calls = (s: ProfileSection) => s.kernels.reduce((n, r) => n + r.calls, 0);
    expect(events.filter((e) => e.pid === 1)).toHaveLength(calls(report.decode));
    expect(events.filter((e) => e.pid === 2)).toHaveLength(calls(report.prefill!));
    for (const e of events) {
      expect(e.ts! >= 0 && e.dur! >= 0).toBe(true);
      expect(e.args?.source).toBe('gpu-timestamps-per-pass');
    }
    expect(events.some((e) => /^f32_sdpa_sink\[WG_SIZE=\d+\] sliding$/.test(e.name))).toBe(true);
    expect(events.some((e) => /^f32_bf16w_matmul\[.*\] lm_head$/.test(e.name))).toBe(true);
    // Lanes share one time axis: step 2 starts after step 1 ends.
    const span = (pid: number, tid: number) => {
      const lane = events.filter((e) => e.pid === pid && e.tid === tid);
      return [Math.min(...lane.map((e) => e.ts!)), Math.max(...lane.map((e) => e.ts! + e.dur!))];
    };
    const [s1, e1] = span(1, 1);
    const [s2] = span(1, 2);
    expect(s1).toBeLessThan(e1);
    expect(s2).toBeGreaterThanOrEqual(e1 - TIMESTAMP_RESOLUTION_US);
  });

  it('prints the per-kernel tables and the unprofiled comparison', () => {
    expect(stdout).toMatch(/decode at depth 40: 2 command buffers/);
    expect(stdout).toMatch(/kernel\s+calls\s+total ms\s+mean µs\s+share\s+GB\/s\s+of peak\s+GFLOP\/s/);
    expect(stdout).toMatch(/unprofiled step GPU time \(one pass\)/);
    expect(stdout).toMatch(/profiling inflates the step ×/);
    expect(stdout).toMatch(/prefill of 20 tokens/);
  });

  it('--wall-clock: the fallback is labelled and keeps the same structure; depth defaults to after the prefill', async () => {
    const file = join(dir, 'wall.json');
    const r = await runCli(['profile', '--model', MODEL, '--prompt-tokens', '8', '--decode-steps', '1', '--reps', '2', '--wall-clock', '--json', file, '--quiet'], {
      timeoutMs: PROFILE_TIMEOUT_MS,
    });
    expect(r.code, r.stderr).toBe(0);
    const wall = JSON.parse(readFileSync(file, 'utf8')) as Report;
    expect(wall.timing.source).toBe('wall-clock');
    expect(wall.timing.note).toMatch(/WALL CLOCK/);
    expect(r.stdout).toMatch(/WALL CLOCK/);
    expect(wall.decode.depth).toBe(8);
    expect(wall.decode.unprofiled.gpuUs).toBeNull();
    // Wall-clock intervals include JS and submit time between dispatches: only Σ ≤ span is bounded.
    expectConsistent(wall.decode, 1, 0);
    expectConsistent(wall.prefill!, 1, 0);
  }, PROFILE_TIMEOUT_MS);
});
