// Adapter and device selection through Dawn's Node bindings (npm `webgpu`). This file and the rest of
// src/gpu/ are the only code that creates GPU objects.
//
// Dawn keeps the process alive while the object returned by `create()` is reachable: `Gpu.destroy()`
// destroys the device and drops that object, so commands must call it when done.

import { DeviceLostError, GpuValidationError, UnsupportedDeviceError } from '../errors.js';
import { defaultBackend, labelledObjects, listDawnAdapters, loadWebGpu, normalizeAdapterName, type WebGpuModule } from './dawn.js';
import { PipelineCache, captureGpuErrors, dawnLines } from './pipelines.js';

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

/**
 * Where `GpuAdapterSummary.backend` comes from. GPUAdapterInfo has no backend field, so Dawn tells it
 * only through its adapter list (`Gpu.queryBackend`, used by `wgh info`):
 *   'dawn'       Dawn listed the opened adapter under this backend;
 *   'requested'  asked for with --backend / GpuOpenOptions.backend or Dawn's DAWNNODE_BACKEND variable;
 *   'default'    the platform's default, which Dawn's Node bindings use when none is asked for.
 */
export type BackendSource = 'dawn' | 'requested' | 'default';

export interface GpuAdapterSummary {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  readonly backend: string;
  readonly backendSource: BackendSource;
  readonly isFallbackAdapter: boolean;
}

/** How the device was asked for, kept so Dawn can be asked again (`queryBackend`). */
interface OpenRequest {
  readonly backend: string | undefined;
  readonly powerPreference: GPUPowerPreference;
}

type DawnGpu = ReturnType<WebGpuModule['create']>;

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
  private summary: GpuAdapterSummary;

  private constructor(
    dawn: DawnGpu,
    readonly device: GPUDevice,
    adapter: GpuAdapterSummary,
    readonly caps: GpuCaps,
    readonly toggles: readonly string[],
    private readonly request: OpenRequest,
  ) {
    this.dawn = dawn;
    this.summary = adapter;
    this.features = new Set([...device.features]);
    this.limits = limitsRecord(device.limits);
    this.pipelines = new PipelineCache(device, caps, () => this.assertAlive());
    device.onuncapturederror = (ev: GPUUncapturedErrorEvent) => {
      // Handled here: without preventDefault Dawn's Node bindings also print the error to stdout,
      // which would corrupt `--json` output and piped logits.
      ev.preventDefault();
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
    const powerPreference = opts.powerPreference ?? 'high-performance';
    let adapter: GPUAdapter | null;
    try {
      adapter = await dawn.requestAdapter({ powerPreference });
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
    const requested = opts.backend || process.env.DAWNNODE_BACKEND || '';
    const summary: GpuAdapterSummary = {
      vendor: info.vendor,
      architecture: info.architecture,
      device: info.device,
      description: info.description,
      backend: requested ? requested.toLowerCase() : defaultBackend(),
      backendSource: requested ? 'requested' : 'default',
      isFallbackAdapter: Boolean((info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter),
    };
    return new Gpu(dawn, device, summary, caps, enable, { backend: opts.backend, powerPreference });
  }

  /** The opened adapter. `backend` is what was requested or the default until `queryBackend()` confirms it. */
  get adapter(): GpuAdapterSummary {
    return this.summary;
  }

  /**
   * Ask Dawn which backend the opened adapter runs on, and record it in `adapter` (backendSource
   * 'dawn'). Dawn's Node bindings report backends only in the list they reject an unknown `adapter=`
   * name with, so this opens a second Dawn instance (tens of ms) and matches the adapter by name;
   * when nothing matches, `adapter` keeps the requested/default backend and says so.
   */
  async queryBackend(): Promise<GpuAdapterSummary> {
    if (this.summary.backendSource === 'dawn') return this.summary;
    const listed = await listDawnAdapters(this.request.backend, this.request.powerPreference);
    const mine = new Set(listed.filter((a) => normalizeAdapterName(a.name) === normalizeAdapterName(this.summary.device)).map((a) => a.backend));
    if (mine.size === 1) this.summary = { ...this.summary, backend: [...mine][0], backendSource: 'dawn' };
    return this.summary;
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
    this.submitCommands(`read:${buffer.label}`, (enc) => enc.copyBufferToBuffer(buffer, offset, staging, 0, alignedSize));
    try {
      await staging.mapAsync(GPUMapMode.READ);
    } catch (err) {
      await this.pipelines.settle();
      this.throwIfFailed();
      throw new GpuValidationError(`reading '${buffer.label}' failed: ${(err as Error).message}`, buffer.label, {
        cause: err,
      });
    }
    const out = staging.getMappedRange(0, alignedSize).slice(0, size);
    staging.unmap();
    staging.destroy();
    await this.pipelines.settle();
    this.throwIfFailed();
    return out;
  }

  /**
   * Record commands (copies, clears) with `encode` into one command encoder labelled `label` and
   * submit it. Kernels go through a Plan (src/gpu/recorder.ts), which labels its own encoder.
   */
  submitCommands(label: string, encode: (enc: GPUCommandEncoder) => void): void {
    this.assertAlive();
    const enc = this.device.createCommandEncoder({ label });
    encode(enc);
    this.queue.submit([enc.finish()]);
  }

  /** Wait until the queue is idle; throws pipeline creation failures, collected validation errors and device loss. */
  async sync(): Promise<void> {
    this.assertAlive();
    await this.queue.onSubmittedWorkDone();
    await this.pipelines.settle();
    this.throwIfFailed();
  }

  /**
   * Run `fn` (synchronous GPU calls) inside validation, out-of-memory and internal error scopes; a
   * captured error is thrown as a GpuValidationError naming `what` (a kernel or buffer name), or the
   * kernel whose label Dawn's message names.
   */
  async scoped<T>(what: string, fn: () => T): Promise<T> {
    const { result, errors } = captureGpuErrors(this.device, fn);
    const [err] = await errors;
    if (err) {
      const named = this.nameInMessages([err.message]);
      const kernel = named?.file !== undefined ? named.kernel : what;
      throw new GpuValidationError(`${what}${kernel !== what ? ` (kernel '${kernel}')` : ''}: ${dawnLines(err.message)}`, kernel, { cause: err });
    }
    return result;
  }

  /**
   * Throw if the device was lost, a pipeline failed to build, or an uncaptured GPU error happened
   * since the last check. An uncaptured error names the most specific label in Dawn's messages (a
   * kernel's pipeline or bind group before passes, encoders, buffers and the device).
   */
  throwIfFailed(): void {
    if (this.lostInfo && !this.destroyed) {
      throw new DeviceLostError(`GPU device lost (${this.lostInfo.reason}): ${this.lostInfo.message}`);
    }
    const errs = this.uncaptured.splice(0);
    const pipelineFailure = this.pipelines.takeFailure();
    if (pipelineFailure) {
      // Later errors are usually its consequences ("[Invalid ComputePipeline] is invalid").
      if (errs.length === 0) throw pipelineFailure;
      throw new GpuValidationError(`${pipelineFailure.message}\n(+${errs.length} later GPU errors)`, pipelineFailure.kernel, {
        cause: pipelineFailure.cause,
      });
    }
    if (errs.length) {
      const first = errs[0].message.trim();
      const named = this.nameInMessages(errs.map((e) => e.message));
      const label = named?.label ?? 'unknown';
      const where = named?.file ? ` (${named.file})` : '';
      throw new GpuValidationError(
        `GPU error in '${label}'${where}${errs.length > 1 ? ` (+${errs.length - 1} more)` : ''}: ${first}`,
        named?.kernel ?? label,
        { cause: errs[0] },
      );
    }
  }

  /** The most specific labelled object in Dawn's messages (see dawn.ts), and its kernel if it is one. */
  private nameInMessages(messages: readonly string[]): { label: string; kernel: string; file?: string } | null {
    let best: { label: string; kernel: string; file?: string } | null = null;
    let bestRank = Infinity;
    for (const object of labelledObjects(messages)) {
      const known = this.kernelOfLabel(object.label);
      const rank = known ? 0 : object.rank;
      if (rank < bestRank) {
        bestRank = rank;
        best = { label: object.label, kernel: known?.kernel ?? object.label, file: known?.file };
      }
    }
    return best;
  }

  /** The kernel a label belongs to: a kernel label, or a bind group's "kernel (tag)" (src/gpu/recorder.ts). */
  private kernelOfLabel(label: string): { kernel: string; file: string } | undefined {
    for (const kernel of [label, label.replace(/ \(.*\)$/, '')]) {
      const file = this.pipelines.fileOfLabel(kernel);
      if (file !== undefined) return { kernel, file };
    }
    return undefined;
  }

  /** Throws DeviceLostError after destroy() or device loss. */
  assertAlive(): void {
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
      adapter: this.summary,
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
