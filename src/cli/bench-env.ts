// What `wgh bench` and `wgh profile` share: where a run happened (adapter, backend, driver, date,
// nvidia-smi when present), GPU memory sampling through nvidia-smi, record file names, prompt ids,
// and filling the KV cache for decode-at-depth runs.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Gpu } from '../gpu/device.js';
import { isCpuAdapter } from '../kernels/stream-read.js';
import type { ModelRunner } from '../model/runner.js';

export interface NvidiaSmiInfo {
  readonly name: string;
  readonly driverVersion: string;
  readonly memoryTotalMiB: number;
  readonly memoryUsedMiB: number;
}

export interface DeviceRecord {
  /** A short human name: nvidia-smi's GPU name when present, else the adapter. */
  readonly name: string;
  /** The adapter as Dawn describes it (description, else device). */
  readonly adapter: string;
  readonly vendor: string;
  readonly architecture: string;
  readonly backend: string;
  /** nvidia-smi's driver version when present, else Dawn's adapter description (Mesa prints its version there). */
  readonly driver: string;
  readonly isCpuAdapter: boolean;
  readonly timestampQuery: boolean;
  readonly nvidiaSmi: NvidiaSmiInfo | null;
}

const NVIDIA_SMI_TIMEOUT_MS = 5000;
const NVIDIA_SMI_QUERY = ['--query-gpu=name,driver_version,memory.total,memory.used', '--format=csv,noheader,nounits'];
const NVIDIA_SMI_FIELDS = 4;

/** The first GPU as nvidia-smi reports it, or null when nvidia-smi is absent or fails. */
export function queryNvidiaSmi(): Promise<NvidiaSmiInfo | null> {
  return new Promise((resolve) => {
    execFile('nvidia-smi', NVIDIA_SMI_QUERY, { timeout: NVIDIA_SMI_TIMEOUT_MS }, (err, stdout) => {
      if (err) return resolve(null);
      const fields = stdout.split('\n')[0]?.split(',').map((s) => s.trim()) ?? [];
      if (fields.length < NVIDIA_SMI_FIELDS) return resolve(null);
      const [name, driverVersion, total, used] = fields;
      resolve({ name, driverVersion, memoryTotalMiB: Number(total), memoryUsedMiB: Number(used) });
    });
  });
}

/** Polls nvidia-smi's memory.used while a run goes on; `stop` returns the peak in MiB (null without nvidia-smi). */
export class NvidiaSmiSampler {
  private peakMiB: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly intervalMs: number) {}

  start(): this {
    const poll = () => {
      if (this.inFlight) return;
      this.inFlight = queryNvidiaSmi().then((info) => {
        if (info) this.peakMiB = Math.max(this.peakMiB ?? 0, info.memoryUsedMiB);
        this.inFlight = null;
      });
    };
    poll();
    this.timer = setInterval(poll, this.intervalMs);
    this.timer.unref();
    return this;
  }

  /** Stop polling (once; later calls return the same peak). */
  async stop(): Promise<number | null> {
    if (this.stopped) return this.peakMiB;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.inFlight;
    const last = await queryNvidiaSmi();
    if (last) this.peakMiB = Math.max(this.peakMiB ?? 0, last.memoryUsedMiB);
    return this.peakMiB;
  }
}

export function describeDevice(gpu: Gpu, smi: NvidiaSmiInfo | null): DeviceRecord {
  const a = gpu.adapter;
  const adapter = a.description || a.device || a.vendor;
  return {
    name: smi?.name ?? adapter,
    adapter,
    vendor: a.vendor,
    architecture: a.architecture,
    backend: a.backend,
    driver: smi ? `NVIDIA ${smi.driverVersion}` : a.description,
    isCpuAdapter: isCpuAdapter(gpu),
    timestampQuery: gpu.caps.timestampQuery,
    nvidiaSmi: smi,
  };
}

/** "NVIDIA H200 (vulkan, driver NVIDIA 580.159.04)"; the driver is left out when it repeats the name. */
export function deviceLine(d: DeviceRecord): string {
  return `${d.name} (${d.backend}${d.driver && d.driver !== d.name ? `, driver ${d.driver}` : ''})`;
}

const SLUG_MAX_CHARS = 40;

/** "NVIDIA H200" → "nvidia-h200"; lavapipe → "llvmpipe". */
export function deviceSlug(device: DeviceRecord): string {
  const name = device.nvidiaSmi?.name ?? (device.isCpuAdapter ? 'llvmpipe' : device.adapter);
  return slug(name) || 'gpu';
}

export function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, SLUG_MAX_CHARS);
}

/** YYYY-MM-DD (UTC). */
export function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/**
 * `<dir>/<kind>-<what>-<YYYY-MM-DD>-<device>.<ext>`, with -2, -3, … appended when that exists (the
 * naming of bench/results/, e.g. bench-synthetic-20b-2026-11-22-nvidia-h200.json).
 */
export function recordPath(dir: string, kind: string, what: string, date: Date, device: DeviceRecord, ext: string): string {
  const base = `${kind}-${slug(what)}-${isoDate(date)}-${deviceSlug(device)}`;
  for (let n = 1; ; n++) {
    const path = join(dir, `${base}${n === 1 ? '' : `-${n}`}.${ext}`);
    if (!existsSync(path)) return path;
  }
}

/** Ordinary (non-special) o200k ids stay below this; any id works for timing, these decode as text. */
const ORDINARY_ID_LIMIT = 199998;
const ID_MULTIPLIER = 7919; // prime: consecutive prompt positions get scattered ids

/** `count` deterministic prompt ids below min(V, ORDINARY_ID_LIMIT). */
export function promptIds(count: number, vocabSize: number, offset = 0): number[] {
  const limit = Math.min(vocabSize, ORDINARY_ID_LIMIT);
  return Array.from({ length: count }, (_, idx) => ((idx + offset) * ID_MULTIPLIER + 1) % limit);
}

/** Host pattern written over and over into the cache (uniform in [-1, 1), seeded LCG). */
const KV_PATTERN_FLOATS = 256 * 1024;
/** Wait for the queue after this many bytes so Dawn's upload staging stays bounded. */
const KV_FLUSH_BYTES = 256 * 1024 * 1024;
const LCG_MULTIPLIER = 1664525;
const LCG_INCREMENT = 1013904223;
const U32_RANGE = 2 ** 32;

/**
 * Fill every K/V slot of every layer with pseudo-random values in [-1, 1): decode at depth d then
 * reads d realistic-looking keys without a prefill of d tokens (its cost does not depend on the values).
 */
export async function fillKvCache(gpu: Gpu, runner: ModelRunner): Promise<{ bytes: number; seconds: number }> {
  const t0 = performance.now();
  const pattern = new Float32Array(KV_PATTERN_FLOATS);
  let state = 0x2545f491;
  for (let i = 0; i < pattern.length; i++) {
    state = (Math.imul(state, LCG_MULTIPLIER) + LCG_INCREMENT) >>> 0;
    pattern[i] = (state / U32_RANGE) * 2 - 1;
  }
  let bytes = 0;
  let sinceFlush = 0;
  for (const layer of runner.cache.layers) {
    for (const tensor of [layer.k, layer.v]) {
      for (const chunk of tensor.chunks) {
        for (let at = 0; at < chunk.byteLength; at += pattern.byteLength) {
          const n = Math.min(pattern.byteLength, chunk.byteLength - at);
          gpu.write(chunk.buffer, at, new Uint8Array(pattern.buffer, 0, n));
          bytes += n;
          sinceFlush += n;
          if (sinceFlush >= KV_FLUSH_BYTES) {
            sinceFlush = 0;
            await gpu.queue.onSubmittedWorkDone();
          }
        }
      }
    }
  }
  await gpu.sync();
  return { bytes, seconds: (performance.now() - t0) / 1000 };
}
