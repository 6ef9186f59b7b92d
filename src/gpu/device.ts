// Adapter and device selection through Dawn's Node bindings (npm `webgpu`). This file and the rest of
// src/gpu/ are the only code that creates GPU objects.
//
// Dawn keeps the process alive while the object returned by `create()` is reachable: `Gpu.destroy()`
// destroys the device and drops that object, so commands must call it when done.

// `webgpu` (Dawn's native module, ~100 MB) is loaded on the first `Gpu.open`, so commands that never
// touch the GPU (`wgh harmony`, `--help`, the server's argument checks) start without it.
type WebGpuModule = typeof import('webgpu');
import { DeviceLostError, GpuValidationError, UnsupportedDeviceError } from '../errors.js';
import { PipelineCache } from './pipelines.js';

/** Optional features we use when present; each has a fallback path (see `GpuCaps`). */
const USEFUL_FEATURES = ['subgroups', 'timestamp-query', 'shader-f16'] as const;

/** Dawn toggle that exposes shader-f16 on NVIDIA's Vulkan driver (absent by default there). */
const NVIDIA_F16_TOGGLE = 'vulkan_enable_f16_on_nvidia';

export interface GpuOpenOptions {
  /** Dawn backend: 'vulkan' | 'metal' | 'd3d12' | 'd3d11' | 'opengl' | 'opengles' | 'null'. */
  readonly backend?: string;
  /** Dawn adapter name (substring as Dawn matches it); lists the adapters in the error if none matches. */
  readonly adapter?: string;
  /** Dawn toggles to enable / disable (see Dawn's Toggles.cpp). */
  readonly enableToggles?: readonly string[];
  readonly disableToggles?: readonly string[];
  readonly powerPreference?: GPUPowerPreference;
  /** Features to leave off even when the adapter has them (to test fallback paths). */
  readonly disableFeatures?: readonly string[];
}

export interface GpuCaps {
  readonly subgroups: boolean;
  readonly timestampQuery: boolean;
  readonly shaderF16: boolean;
  /** Subgroup size range reported by the adapter (never assume 32). */
  readonly subgroupMinSize: number;
  readonly subgroupMaxSize: number;
}

export interface GpuAdapterSummary {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  readonly backend: string;
  readonly isFallbackAdapter: boolean;
}

type DawnGpu = ReturnType<WebGpuModule['create']>;

let webgpuModule: WebGpuModule | null = null;
async function loadWebGpu(): Promise<WebGpuModule> {
  if (webgpuModule !== null) return webgpuModule;
  let mod: WebGpuModule;
  try {
    mod = await import('webgpu');
  } catch (err) {
    throw new UnsupportedDeviceError(`could not load Dawn's Node module (npm package 'webgpu'): ${(err as Error).message}`, { cause: err });
  }
  // The WebGPU enums (GPUBufferUsage, GPUMapMode, …) live on `globals`; install them once.
  Object.assign(globalThis, mod.globals);
  webgpuModule = mod;
  return mod;
}

function limitsRecord(limits: GPUSupportedLimits): Record<string, number> {
  const out: Record<string, number> = {};
  // GPUSupportedLimits exposes getters on its prototype.
  for (const key in limits) {
    const value = (limits as unknown as Record<string, unknown>)[key];
    if (typeof value === 'number') out[key] = value;
  }
  return out;
}

const NO_ADAPTER_HELP =
  'No WebGPU adapter is available. webgpu-harmony runs on Vulkan (Linux), Metal (macOS) or D3D12 (Windows).\n' +
  'On Linux without a GPU, install Mesa\'s lavapipe Vulkan driver (Mesa >= 23), e.g. on Debian 12:\n' +
  '  ./scripts/setup-debian.sh     (adds bookworm-backports and installs mesa-vulkan-drivers)\n' +
  'With an NVIDIA/AMD/Intel GPU, install its Vulkan driver (check with `vulkaninfo --summary`).';

export class Gpu {
  readonly pipelines: PipelineCache;
  readonly features: ReadonlySet<string>;
  readonly limits: Readonly<Record<string, number>>;
  private dawn: DawnGpu | null;
  private lostInfo: GPUDeviceLostInfo | null = null;
  private destroyed = false;
  private readonly uncaptured: GPUError[] = [];
  private allocatedBytes = 0;
  private peakAllocatedBytes = 0;

  private constructor(
    dawn: DawnGpu,
    readonly device: GPUDevice,
    readonly adapter: GpuAdapterSummary,
    readonly caps: GpuCaps,
    readonly toggles: readonly string[],
  ) {
    this.dawn = dawn;
    this.features = new Set([...device.features]);
    this.limits = limitsRecord(device.limits);
    this.pipelines = new PipelineCache(device, caps);
    device.onuncapturederror = (ev: GPUUncapturedErrorEvent) => {
      this.uncaptured.push(ev.error);
    };
    void device.lost.then((info) => {
      this.lostInfo = info;
    });
  }

  /** Open an adapter and a device with the adapter's maximum limits and the useful optional features. */
  static async open(opts: GpuOpenOptions = {}): Promise<Gpu> {
    const { create } = await loadWebGpu();
    const enable = [...(opts.enableToggles ?? [])];
    if (!enable.includes(NVIDIA_F16_TOGGLE)) enable.push(NVIDIA_F16_TOGGLE);
    const dawnArgs: string[] = [];
    if (opts.backend) dawnArgs.push(`backend=${opts.backend}`);
    if (opts.adapter) dawnArgs.push(`adapter=${opts.adapter}`);
    if (enable.length) dawnArgs.push(`enable-dawn-features=${enable.join(',')}`);
    if (opts.disableToggles?.length) dawnArgs.push(`disable-dawn-features=${opts.disableToggles.join(',')}`);
    let dawn: DawnGpu;
    try {
      dawn = create(dawnArgs);
    } catch (err) {
      throw new UnsupportedDeviceError(`Dawn could not start with [${dawnArgs.join(' ')}]: ${(err as Error).message}`, {
        cause: err,
      });
    }
    let adapter: GPUAdapter | null;
    try {
      adapter = await dawn.requestAdapter({ powerPreference: opts.powerPreference ?? 'high-performance' });
    } catch (err) {
      const dawnMessage = (err as Error).message;
      if (opts.adapter) {
        throw new UnsupportedDeviceError(`no GPU adapter matches --adapter '${opts.adapter}'.\n(Dawn: ${dawnMessage})`, { cause: err });
      }
      throw new UnsupportedDeviceError(`${NO_ADAPTER_HELP}\n(Dawn: ${dawnMessage})`, { cause: err });
    }
    if (!adapter) throw new UnsupportedDeviceError(NO_ADAPTER_HELP);

    const disabled = new Set(opts.disableFeatures ?? []);
    const requiredFeatures = USEFUL_FEATURES.filter((f) => adapter.features.has(f) && !disabled.has(f));
    const requiredLimits = limitsRecord(adapter.limits);
    const device = await adapter.requestDevice({
      label: 'webgpu-harmony',
      requiredFeatures: requiredFeatures as GPUFeatureName[],
      requiredLimits,
    });
    const info = adapter.info;
    const has = (f: string) => device.features.has(f);
    const caps: GpuCaps = {
      subgroups: has('subgroups'),
      timestampQuery: has('timestamp-query'),
      shaderF16: has('shader-f16'),
      subgroupMinSize: (info as GPUAdapterInfo & { subgroupMinSize?: number }).subgroupMinSize ?? 0,
      subgroupMaxSize: (info as GPUAdapterInfo & { subgroupMaxSize?: number }).subgroupMaxSize ?? 0,
    };
    const summary: GpuAdapterSummary = {
      vendor: info.vendor,
      architecture: info.architecture,
      device: info.device,
      description: info.description,
      backend: opts.backend ?? defaultBackend(),
      isFallbackAdapter: Boolean((info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter),
    };
    return new Gpu(dawn, device, summary, caps, enable);
  }

  get queue(): GPUQueue {
    return this.device.queue;
  }

  get maxBindingBytes(): number {
    return this.limits.maxStorageBufferBindingSize;
  }

  /** Bytes of GPU buffers currently allocated through this object, and the peak. */
  get memory(): { allocatedBytes: number; peakAllocatedBytes: number } {
    return { allocatedBytes: this.allocatedBytes, peakAllocatedBytes: this.peakAllocatedBytes };
  }

  createBuffer(label: string, size: number, usage: number, mappedAtCreation = false): GPUBuffer {
    this.assertAlive();
    const padded = Math.max(4, Math.ceil(size / 4) * 4);
    const buffer = this.device.createBuffer({ label, size: padded, usage, mappedAtCreation });
    this.allocatedBytes += padded;
    this.peakAllocatedBytes = Math.max(this.peakAllocatedBytes, this.allocatedBytes);
    return buffer;
  }

  destroyBuffer(buffer: GPUBuffer): void {
    this.allocatedBytes -= buffer.size;
    buffer.destroy();
  }

  /** A storage buffer (read/write by kernels, copyable both ways). */
  createStorage(label: string, size: number): GPUBuffer {
    return this.createBuffer(
      label,
      size,
      GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
    );
  }

  /** Copy `data` into `buffer` at `offset` (queue-ordered). Pads to a multiple of 4 bytes. */
  write(buffer: GPUBuffer, offset: number, data: ArrayBufferView): void {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (bytes.byteLength % 4 === 0) {
      this.queue.writeBuffer(buffer, offset, bytes);
    } else {
      const padded = new Uint8Array(Math.ceil(bytes.byteLength / 4) * 4);
      padded.set(bytes);
      this.queue.writeBuffer(buffer, offset, padded);
    }
  }

  /** Read `size` bytes of `buffer` from `offset` (waits for all submitted work). */
  async read(buffer: GPUBuffer, offset = 0, size = buffer.size - offset): Promise<ArrayBuffer> {
    this.assertAlive();
    const alignedSize = Math.ceil(size / 4) * 4;
    const staging = this.device.createBuffer({
      label: `read:${buffer.label}`,
      size: alignedSize,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    const enc = this.device.createCommandEncoder({ label: `read:${buffer.label}` });
    enc.copyBufferToBuffer(buffer, offset, staging, 0, alignedSize);
    this.queue.submit([enc.finish()]);
    try {
      await staging.mapAsync(GPUMapMode.READ);
    } catch (err) {
      this.throwIfFailed();
      throw new GpuValidationError(`reading '${buffer.label}' failed: ${(err as Error).message}`, buffer.label, {
        cause: err,
      });
    }
    const out = staging.getMappedRange(0, alignedSize).slice(0, size);
    staging.unmap();
    staging.destroy();
    this.throwIfFailed();
    return out;
  }

  /** Wait until the queue is idle; throws collected validation errors and device loss. */
  async sync(): Promise<void> {
    this.assertAlive();
    await this.queue.onSubmittedWorkDone();
    this.throwIfFailed();
  }

  /**
   * Run `fn` inside validation and out-of-memory error scopes; a captured error is thrown as a
   * GpuValidationError naming `what` (a kernel or buffer name).
   */
  async scoped<T>(what: string, fn: () => T): Promise<T> {
    this.device.pushErrorScope('out-of-memory');
    this.device.pushErrorScope('validation');
    let result: T;
    try {
      result = fn();
    } finally {
      const validation = await this.device.popErrorScope();
      const oom = await this.device.popErrorScope();
      const err = validation ?? oom;
      if (err) throw new GpuValidationError(`${what}: ${err.message.trim()}`, what);
    }
    return result;
  }

  /** Throw if the device was lost or an uncaptured GPU error happened since the last check. */
  throwIfFailed(): void {
    if (this.lostInfo && !this.destroyed) {
      throw new DeviceLostError(`GPU device lost (${this.lostInfo.reason}): ${this.lostInfo.message}`);
    }
    if (this.uncaptured.length) {
      const errs = this.uncaptured.splice(0);
      const first = errs[0].message.trim();
      const kernel = /\[\w+\s+"+([^"]+)"+\]/.exec(first)?.[1] ?? 'unknown';
      throw new GpuValidationError(
        `GPU error in '${kernel}'${errs.length > 1 ? ` (+${errs.length - 1} more)` : ''}: ${first}`,
        kernel,
      );
    }
  }

  private assertAlive(): void {
    if (this.destroyed) throw new DeviceLostError('GPU device used after destroy()');
    if (this.lostInfo) throw new DeviceLostError(`GPU device lost (${this.lostInfo.reason}): ${this.lostInfo.message}`);
  }

  /** Destroy the device and release Dawn so the process can exit. Idempotent. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.device.destroy();
    this.dawn = null;
  }

  /** A plain-object description for `wgh info` and benchmark records. */
  describe(): {
    adapter: GpuAdapterSummary;
    caps: GpuCaps;
    features: string[];
    limits: Record<string, number>;
    toggles: readonly string[];
  } {
    return {
      adapter: this.adapter,
      caps: this.caps,
      features: [...this.features].sort(),
      limits: { ...this.limits },
      toggles: this.toggles,
    };
  }

  /** True when Dawn is still held (for tests of the lifetime rule). */
  get holdsDawn(): boolean {
    return this.dawn !== null;
  }
}

/** Dawn's default backend per platform (Dawn does not report the backend it picked). */
function defaultBackend(): string {
  if (process.platform === 'darwin') return 'metal';
  if (process.platform === 'win32') return 'd3d12';
  return 'vulkan';
}
