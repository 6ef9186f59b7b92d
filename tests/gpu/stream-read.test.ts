// shaders/stream_read.wgsl (the peak-bandwidth kernel): its per-workgroup sums add up, bit-exactly,
// to the wrapping u32 sum of every word it was asked to read (so no load can be skipped), and
// measurePeakBandwidth reports a well-formed measurement. Speeds are never asserted.
import { describe, expect, it } from 'vitest';
import { Recorder } from '../../src/gpu/recorder.js';
import { encodeStreamRead, measurePeakBandwidth, streamReadWorkgroups, VEC4_BYTES, STREAM_READ_PATTERNS } from '../../src/kernels/stream-read.js';
import { useGpu } from '../helpers/gpu.js';
import { seeded } from '../helpers/random.js';

const SEED = 2026;
const WG = 256;
const VEC4_PER_THREAD = 16; // launcher's target loads per thread
const WORDS_PER_VEC4 = 4;

/** Wrapping u32 sum of words [0, numVec4 * 4). */
function refSum(words: Uint32Array, numVec4: number): number {
  let sum = 0;
  for (let i = 0; i < numVec4 * WORDS_PER_VEC4; i++) sum = (sum + words[i]) >>> 0;
  return sum;
}

describe('u32_stream_read', () => {
  const gpu = useGpu();

  const SIZES: Array<[string, number]> = [
    ['one word', 1],
    ['one partial workgroup', WG - 3],
    ['two workgroups, unrolled loop and tail', 2 * WG * VEC4_PER_THREAD + 5],
    ['many workgroups', 37 * WG * VEC4_PER_THREAD + WG + 1],
  ];
  it.each(STREAM_READ_PATTERNS.flatMap((pattern) => SIZES.map(([name, n]) => [`${pattern}: ${name}`, n, pattern] as const)))(
    '%s (N4=%i): Σ sums = wrapping Σ src',
    async (_name, numVec4, pattern) => {
    const g = gpu();
    const rng = seeded(SEED + numVec4);
    // A few extra words past N4 that must not be read.
    const words = Uint32Array.from({ length: (numVec4 + 2) * WORDS_PER_VEC4 }, () => Math.floor(rng() * 2 ** 32) >>> 0);
    const src = g.createStorage('src', words.byteLength);
    g.write(src, 0, words);
    const numWorkgroups = streamReadWorkgroups(g.limits.maxComputeWorkgroupsPerDimension, numVec4);
    const sums = g.createStorage('sums', numWorkgroups * 4);
    const rec = new Recorder(g, 'stream_read');
    expect(encodeStreamRead(rec, { src, sums }, { numVec4, pattern })).toBe(numWorkgroups);
    expect(rec.numDispatches).toBe(1);
    const plan = rec.finish();
    expect(plan.dispatches[0].meta.bytes).toBe(numVec4 * VEC4_BYTES + numWorkgroups * 4);
    plan.submit();
    const got = new Uint32Array(await g.read(sums));
    plan.destroy();
    g.destroyBuffer(src);
    g.destroyBuffer(sums);
    expect(got.reduce((a, b) => (a + b) >>> 0, 0)).toBe(refSum(words, numVec4));
    },
  );

  it('rejects a src smaller than N4 words', () => {
    const g = gpu();
    const src = g.createStorage('src', 64);
    const sums = g.createStorage('sums', 64);
    expect(() => encodeStreamRead(new Recorder(g, 'x'), { src, sums }, { numVec4: 5 })).toThrow(/stream_read: 'src' holds 64 bytes, N4=5 needs 80/);
    g.destroyBuffer(src);
    g.destroyBuffer(sums);
  });

  it('measurePeakBandwidth: GPU timestamps, median/min/max over the reps, peak = best run', async () => {
    const bytes = 4 * 1024 * 1024;
    const reps = 3;
    const m = await measurePeakBandwidth(gpu(), { bytes, reps });
    expect(m.bytes).toBe(bytes);
    expect(m.reps).toBe(reps);
    expect(m.source).toBe('gpu-timestamps-per-pass');
    expect(m.gbps.n).toBe(reps);
    expect(m.gbps.min).toBeGreaterThan(0);
    expect(m.gbps.min).toBeLessThanOrEqual(m.gbps.median);
    expect(m.gbps.median).toBeLessThanOrEqual(m.gbps.max);
    expect(m.peakBytesPerSecond).toBeCloseTo(m.gbps.max * 1e9, 0);
    expect(m.method).toMatch(/stream_read/);
  });

  it('measurePeakBandwidth with the wall clock says so', async () => {
    const m = await measurePeakBandwidth(gpu(), { bytes: 1024 * 1024, reps: 2, wallClock: true });
    expect(m.source).toBe('wall-clock');
    expect(Number.isFinite(m.peakBytesPerSecond) && m.peakBytesPerSecond > 0).toBe(true);
  });
});
