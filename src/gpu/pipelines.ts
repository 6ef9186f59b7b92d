// Pipeline cache. Key = shader file + entry point + override constants; shapes and offsets go in
// uniforms, so decoding never recompiles. Bind group layouts are derived from the shader's own
// `@group(0) @binding(n)` declarations (src/gpu/wgsl.ts).

import type { GpuCaps } from './device.js';
import { loadShaderSource, parseBindings, type WgslBinding } from './wgsl.js';

export interface KernelRef {
  /** File name under shaders/, e.g. 'rmsnorm.wgsl'. */
  readonly file: string;
  /** Entry point, e.g. 'f32_bf16w_rmsnorm'. */
  readonly entry: string;
  /** WGSL `override` constants (workgroup size, head dim …). */
  readonly overrides?: Readonly<Record<string, number>>;
}

export interface Kernel {
  readonly ref: KernelRef;
  /** entry[+overrides], used as the label of every GPU object made for it and in profiles. */
  readonly label: string;
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
  readonly bindings: readonly WgslBinding[];
}

/** Source overrides let users try their own WGSL (`wgh kernels --override NAME=FILE.wgsl`). */
export type SourceLoader = (file: string) => string;

export class PipelineCache {
  private readonly modules = new Map<string, { module: GPUShaderModule; bindings: WgslBinding[] }>();
  private readonly kernels = new Map<string, Kernel>();
  private loader: SourceLoader = (file) => loadShaderSource(file);

  constructor(
    private readonly device: GPUDevice,
    readonly caps: GpuCaps,
  ) {}

  /** Replace how shader files are read (kernel overrides); clears the cache. */
  setSourceLoader(loader: SourceLoader): void {
    this.loader = loader;
    this.modules.clear();
    this.kernels.clear();
  }

  get size(): number {
    return this.kernels.size;
  }

  get(ref: KernelRef): Kernel {
    const overrideKey = ref.overrides
      ? Object.entries(ref.overrides)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, v]) => `${k}=${v}`)
          .join(',')
      : '';
    const key = `${ref.file}:${ref.entry}:${overrideKey}`;
    const cached = this.kernels.get(key);
    if (cached) return cached;

    const mod = this.module(ref.file);
    const label = overrideKey ? `${ref.entry}[${overrideKey}]` : ref.entry;
    // Only bindings the entry point uses belong in its layout; WGSL files hold one family of
    // kernels that share their binding declarations, so all declared bindings are assumed used.
    const layout = this.device.createBindGroupLayout({
      label,
      entries: mod.bindings.map((b) => ({
        binding: b.binding,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: b.kind },
      })),
    });
    const pipeline = this.device.createComputePipeline({
      label,
      layout: this.device.createPipelineLayout({ label, bindGroupLayouts: [layout] }),
      compute: { module: mod.module, entryPoint: ref.entry, constants: ref.overrides ? { ...ref.overrides } : undefined },
    });
    const kernel: Kernel = { ref, label, pipeline, layout, bindings: mod.bindings };
    this.kernels.set(key, kernel);
    return kernel;
  }

  /** Compiler messages for a shader file (errors and warnings with line numbers). */
  async compilationMessages(file: string): Promise<string[]> {
    const info = await this.module(file).module.getCompilationInfo();
    return info.messages.map((m) => `${file}:${m.lineNum}:${m.linePos} ${m.type}: ${m.message}`);
  }

  private module(file: string): { module: GPUShaderModule; bindings: WgslBinding[] } {
    const cached = this.modules.get(file);
    if (cached) return cached;
    const code = this.loader(file);
    const entry = { module: this.device.createShaderModule({ label: file, code }), bindings: parseBindings(code) };
    this.modules.set(file, entry);
    return entry;
  }
}
