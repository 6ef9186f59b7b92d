// What webgpu-harmony reads from Dawn's Node bindings (npm `webgpu`) beyond the WebGPU API: the
// module itself, loaded on first use; the labelled objects in its error messages; the adapter list
// it prints when an adapter name matches none (the only place it tells the backend of an adapter).

import { UnsupportedDeviceError } from '../errors.js';

// `webgpu` (Dawn's native module, ~100 MB) is loaded on the first `Gpu.open`, so commands that never
// touch the GPU (`wgh harmony`, `--help`, the server's argument checks) start without it.
export type WebGpuModule = typeof import('webgpu');

let webgpuModule: WebGpuModule | null = null;
export async function loadWebGpu(): Promise<WebGpuModule> {
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

/**
 * Objects in Dawn's messages: `[ComputePipeline "label"]`, `[Invalid BindGroup "label"]`,
 * `[Invalid CommandBuffer from CommandEncoder "label"]`, `[BindGroupDescriptor ""label""]`.
 * Groups: type, source type (after "from"), label.
 */
const DAWN_OBJECT_RE = /\[(?:Invalid )?(\w+)(?: from (\w+))? "+([^"]*)"+\]/g;

/** Lower = names the failing kernel more precisely (the device ranks a kernel label made by the cache 0). */
const LABEL_RANK: Readonly<Record<string, number>> = {
  ComputePipeline: 1,
  BindGroup: 2,
  BindGroupLayout: 3,
  PipelineLayout: 3,
  ShaderModule: 4,
  ComputePassEncoder: 5,
  CommandEncoder: 6,
  CommandBuffer: 6,
  Queue: 9,
  Device: 9,
};
const OTHER_LABEL_RANK = 7; // buffers, query sets, textures

/** Every labelled object named in Dawn's messages, with its rank (lower = closer to the kernel). */
export function* labelledObjects(messages: readonly string[]): Generator<{ readonly label: string; readonly rank: number }> {
  for (const message of messages) {
    for (const m of message.matchAll(DAWN_OBJECT_RE)) {
      if (m[3]) yield { label: m[3], rank: LABEL_RANK[(m[2] ?? m[1]).replace(/Descriptor$/, '')] ?? OTHER_LABEL_RANK };
    }
  }
}

/** An adapter name never matched, so Dawn rejects the request with its list of adapters. */
const LIST_ADAPTERS_NAME = '[wgh] list adapters';
/** A line of that list: ` * backend: 'vulkan', name: 'llvmpipe (LLVM 15.0.6, 256 bits)'`. */
const ADAPTER_LINE_RE = /^\s*\*\s*backend:\s*'([^']*)',\s*name:\s*'(.*)'\s*$/;

/** Dawn's adapters for `backend` (or its default) with their backends; [] when Dawn lists none. */
export async function listDawnAdapters(backend: string | undefined, powerPreference: GPUPowerPreference): Promise<Array<{ backend: string; name: string }>> {
  const { create } = await loadWebGpu();
  const args = [`adapter=${LIST_ADAPTERS_NAME}`];
  if (backend) args.push(`backend=${backend}`);
  try {
    await create(args).requestAdapter({ powerPreference });
    return [];
  } catch (err) {
    const out: Array<{ backend: string; name: string }> = [];
    for (const line of String((err as Error).message).split('\n')) {
      const m = ADAPTER_LINE_RE.exec(line);
      if (m) out.push({ backend: m[1], name: m[2] });
    }
    return out;
  }
}

/** GPUAdapterInfo.device as Dawn's Node bindings write it: lower case, other runs of characters as '-'. */
export function normalizeAdapterName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}

/** The backend Dawn's Node bindings open when none is requested (Dawn's rule, per platform). */
export function defaultBackend(): string {
  if (process.platform === 'darwin') return 'metal';
  if (process.platform === 'win32') return 'd3d12';
  return 'vulkan';
}
