// Launcher for shaders/stream_read.wgsl, and the adapter's peak-bandwidth measurement built on it:
// the roofline that `wgh profile` and `wgh bench` compare the bandwidth-bound kernels against.
import { ShapeError } from '../errors.js';
import type { Gpu } from '../gpu/device.js';
import { Profiler, type Summary, type TimingSource } from '../gpu/profiler.js';
import { Recorder } from '../gpu/recorder.js';
import { uniformLayout } from '../gpu/uniforms.js';

export const STREAM_READ_FILE = 'stream_read.wgsl';
export const STREAM_READ_ARGS = uniformLayout({ num_vec4: 'u32', num_threads: 'u32', vec4_per_workgroup: 'u32' });

/** The access patterns of shaders/stream_read.wgsl (see its header). */
export type StreamReadPattern = 'grid-stride' | 'blocked';
export const STREAM_READ_PATTERNS: readonly StreamReadPattern[] = ['grid-stride', 'blocked'];
const ENTRY: Readonly<Record<StreamReadPattern, string>> = { 'grid-stride': 'u32_stream_read', blocked: 'u32_stream_read_blocked' };
const WG_SIZE = 256;
export const VEC4_BYTES = 16;
/** Target 16-byte loads per thread: enough work per thread to hide latency, enough threads to fill the GPU. */
const VEC4_PER_THREAD = 16;
const SUM_BYTES = 4;

/** 1 GiB on GPUs (well past every last-level cache), capped by the binding limit. */
export const GPU_STREAM_BYTES = 1024 ** 3;
/** 32 MiB on CPU adapters (lavapipe): the same kernel, a bounded run time. */
export const CPU_STREAM_BYTES = 32 * 1024 ** 2;
export const DEFAULT_BANDWIDTH_REPS = 10;
/** Host pattern written repeatedly into the streamed buffer (non-zero data, bounded host memory). */
const FILL_PATTERN_BYTES = 4 * 1024 ** 2;
const BYTES_PER_GB = 1e9;
const US_PER_S = 1e6;

/** Workgroups for a read of `numVec4` words (1-D grid, at most maxComputeWorkgroupsPerDimension). */
export function streamReadWorkgroups(maxPerDim: number, numVec4: number): number {
  return Math.max(1, Math.min(maxPerDim, Math.ceil(numVec4 / (WG_SIZE * VEC4_PER_THREAD))));
}

/**
 * sums[w] = wrapping u32 sum of the words workgroup w reads; the total over w is the wrapping sum of
 * every u32 of src[0 .. numVec4). src: u32x4 [≥ N4]   sums: u32 [≥ workgroups]. Returns the workgroup count.
 */
export function encodeStreamRead(rec: Recorder, t: { src: GPUBuffer; sums: GPUBuffer }, p: { numVec4: number; pattern?: StreamReadPattern }): number {
  const n = p.numVec4;
  if (!Number.isInteger(n) || n < 1 || n > 0xffffffff) throw new ShapeError(`stream_read: N4=${n} must be a positive u32`);
  if (t.src.size < n * VEC4_BYTES) throw new ShapeError(`stream_read: 'src' holds ${t.src.size} bytes, N4=${n} needs ${n * VEC4_BYTES}`);
  const numWorkgroups = streamReadWorkgroups(rec.device.limits.maxComputeWorkgroupsPerDimension, n);
  if (t.sums.size < numWorkgroups * SUM_BYTES) throw new ShapeError(`stream_read: 'sums' holds ${t.sums.size} bytes, ${numWorkgroups} workgroups need ${numWorkgroups * SUM_BYTES}`);
  const pattern = p.pattern ?? 'grid-stride';
  const kernel = rec.kernel({ file: STREAM_READ_FILE, entry: ENTRY[pattern], overrides: { WG_SIZE } });
  // Blocked: the same workgroup count, each owning one contiguous block (a multiple of WG_SIZE words).
  const perWorkgroup = Math.ceil(n / numWorkgroups / WG_SIZE) * WG_SIZE;
  const args = STREAM_READ_ARGS.pack({ num_vec4: n, num_threads: numWorkgroups * WG_SIZE, vec4_per_workgroup: perWorkgroup });
  rec.dispatch(kernel, args, [t.src, t.sums], [numWorkgroups], { bytes: n * VEC4_BYTES + numWorkgroups * SUM_BYTES, tag: 'peak bandwidth' });
  return numWorkgroups;
}

/** True for CPU rasterisers (lavapipe/llvmpipe, SwiftShader), where buffers live in host memory. */
export function isCpuAdapter(gpu: Gpu): boolean {
  const a = gpu.adapter;
  return a.isFallbackAdapter || a.architecture === 'software' || /llvmpipe|lavapipe|swiftshader/i.test(`${a.device} ${a.description}`);
}

/** The streamed buffer's default size on this adapter (multiple of 16 bytes, within one binding). */
export function defaultStreamBytes(gpu: Gpu): number {
  const want = isCpuAdapter(gpu) ? CPU_STREAM_BYTES : GPU_STREAM_BYTES;
  const cap = Math.min(gpu.maxBindingBytes, gpu.limits.maxBufferSize ?? Infinity);
  return Math.floor(Math.min(want, cap) / VEC4_BYTES) * VEC4_BYTES;
}

export interface BandwidthMeasurement {
  /** Bytes one run reads (plus 4 per workgroup written). */
  readonly bytes: number;
  readonly reps: number;
  readonly source: TimingSource;
  /** Per-run GB/s (10^9 bytes/s) over the reps; `max` is the peak used for rooflines. */
  readonly gbps: Summary;
  /** Best run, bytes per second: the roofline bandwidth. */
  readonly peakBytesPerSecond: number;
  readonly method: string;
}

export interface BandwidthOptions {
  readonly bytes?: number;
  readonly reps?: number;
  /** Time with the wall clock even when timestamps exist. */
  readonly wallClock?: boolean;
}

/** Stream `bytes` (default: defaultStreamBytes) through u32_stream_read `reps` times and report GB/s. */
export async function measurePeakBandwidth(gpu: Gpu, opts: BandwidthOptions = {}): Promise<BandwidthMeasurement> {
  const bytes = Math.floor((opts.bytes ?? defaultStreamBytes(gpu)) / VEC4_BYTES) * VEC4_BYTES;
  const reps = opts.reps ?? DEFAULT_BANDWIDTH_REPS;
  if (bytes < VEC4_BYTES) throw new ShapeError(`peak bandwidth: ${bytes} bytes is less than one 16-byte word`);
  const numVec4 = bytes / VEC4_BYTES;
  const src = gpu.createStorage('stream_read:src', bytes);
  const sums = gpu.createStorage('stream_read:sums', streamReadWorkgroups(gpu.limits.maxComputeWorkgroupsPerDimension, numVec4) * SUM_BYTES);
  const profiler = new Profiler(gpu, { wallClock: opts.wallClock });
  try {
    const fill = new Uint32Array(Math.min(bytes, FILL_PATTERN_BYTES) / SUM_BYTES);
    for (let i = 0; i < fill.length; i++) fill[i] = Math.imul(i + 1, 0x9e3779b1) >>> 0;
    for (let at = 0; at < bytes; at += fill.byteLength) {
      gpu.write(src, at, fill.subarray(0, Math.min(fill.length, (bytes - at) / SUM_BYTES)));
    }
    // Time each access pattern and keep the faster one: the roofline is the best streaming read
    // this adapter achieves through WGSL.
    let best: { pattern: StreamReadPattern; gbps: Summary } | null = null;
    for (const pattern of STREAM_READ_PATTERNS) {
      const rec = new Recorder(gpu, `peak-bandwidth:${pattern}`);
      encodeStreamRead(rec, { src, sums }, { numVec4, pattern });
      const plan = rec.finish();
      try {
        const timing = await profiler.timeUnprofiled(plan, reps);
        // Without timestamps, one wall-clock figure (reps queued back to back) is all there is.
        const runsUs = timing.gpuUs ?? { median: timing.wallUs, min: timing.wallUs, max: timing.wallUs, n: 1 };
        const toGbps = (us: number) => bytes / (us / US_PER_S) / BYTES_PER_GB;
        const gbps = { median: toGbps(runsUs.median), min: toGbps(runsUs.max), max: toGbps(runsUs.min), n: runsUs.n };
        if (!best || gbps.max > best.gbps.max) best = { pattern, gbps };
      } finally {
        plan.destroy();
      }
    }
    const { pattern, gbps } = best!;
    return {
      bytes,
      reps,
      source: profiler.source,
      gbps,
      peakBytesPerSecond: gbps.max * BYTES_PER_GB,
      method: `${ENTRY[pattern]} (shaders/stream_read.wgsl, ${pattern}, the faster of ${STREAM_READ_PATTERNS.join(' / ')}): vec4<u32> loads over ${bytes} bytes, one sum per workgroup; best of ${reps}`,
    };
  } finally {
    profiler.destroy();
    gpu.destroyBuffer(src);
    gpu.destroyBuffer(sums);
  }
}
