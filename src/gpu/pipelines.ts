// Pipeline cache. Key = shader file + entry point + override constants; shapes and offsets go in
// uniforms, so decoding never recompiles. Bind group layouts are derived from the shader's own
// `@group(0) @binding(n)` declarations (src/gpu/wgsl.ts).
//
// Every shader module and pipeline is created inside WebGPU error scopes, so a WGSL or pipeline error
// becomes a GpuValidationError naming the kernel and its file instead of an anonymous uncaptured
// error. `get()` stays synchronous (launchers call it while recording): the scopes resolve later, and
// the failure is thrown by `compile()`, by `settle()` (Gpu.sync / Gpu.read), by Gpu.throwIfFailed
// once known, and by every later `get()` of that kernel.

import { GpuValidationError } from '../errors.js';
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

/** Error filters pushed around GPU object creation; 'internal' catches backend compiler failures. */
const SCOPE_FILTERS: readonly GPUErrorFilter[] = ['internal', 'out-of-memory', 'validation'];

/** Dawn messages can be long (source excerpts, call context); errors keep this many lines. */
const MAX_DAWN_LINES = 8;

/**
 * Run `fn` (synchronous GPU calls) inside validation, out-of-memory and internal error scopes.
 * `errors` resolves to the errors the scopes caught (at most one per filter, validation first) and
 * never rejects. If `fn` throws, the scopes are still popped and its error propagates.
 */
export function captureGpuErrors<T>(device: GPUDevice, fn: () => T): { result: T; errors: Promise<GPUError[]> } {
  for (const filter of SCOPE_FILTERS) device.pushErrorScope(filter);
  let errors: Promise<GPUError[]> = Promise.resolve([]);
  let result: T;
  try {
    result = fn();
  } finally {
    // Pop synchronously (scopes are a device-wide stack); the last pushed scope pops first.
    const pops = SCOPE_FILTERS.map(() => popScope(device));
    errors = Promise.all(pops).then((errs) => errs.filter((e): e is GPUError => e !== null));
  }
  return { result, errors };
}

function popScope(device: GPUDevice): Promise<GPUError | null> {
  try {
    return device.popErrorScope().catch(() => null);
  } catch {
    return Promise.resolve(null); // a lost device may refuse the pop; loss is reported on its own
  }
}

/** The first `MAX_DAWN_LINES` non-empty lines of a Dawn message. */
export function dawnLines(message: string): string {
  const lines = message.split('\n').filter((line) => line.trim() !== '');
  const kept = lines.slice(0, MAX_DAWN_LINES).join('\n');
  return lines.length > MAX_DAWN_LINES ? `${kept}\n  … (${lines.length - MAX_DAWN_LINES} more lines)` : kept;
}

interface ShaderModuleEntry {
  readonly file: string;
  readonly module: GPUShaderModule;
  readonly bindings: WgslBinding[];
  /** Errors of createShaderModule (WGSL parse / validation). */
  readonly errors: Promise<GPUError[]>;
}

export class PipelineCache {
  private readonly modules = new Map<string, ShaderModuleEntry>();
  private readonly kernels = new Map<string, Kernel>();
  /** Kernel label → shader file, for naming the file in runtime errors. */
  private readonly files = new Map<string, string>();
  /** Per kernel, its creation check (resolves when its error scopes have); failures once known. */
  private readonly checks = new Map<Kernel, Promise<void>>();
  private readonly failures = new Map<Kernel, GpuValidationError>();
  /** Failures not yet thrown by settle() / takeFailure(). */
  private readonly unreported: GpuValidationError[] = [];
  private readonly pending = new Set<Promise<void>>();
  private loader: SourceLoader = (file) => loadShaderSource(file);

  constructor(
    private readonly device: GPUDevice,
    readonly caps: GpuCaps,
    /** Throws DeviceLostError when the device is gone (Gpu passes its own check). */
    private readonly assertAlive: () => void = () => {},
  ) {}

  /** Replace how shader files are read (kernel overrides); clears the cache and known failures. */
  setSourceLoader(loader: SourceLoader): void {
    this.loader = loader;
    this.modules.clear();
    this.kernels.clear();
    this.files.clear();
    this.checks.clear();
    this.failures.clear();
    this.unreported.length = 0;
  }

  get size(): number {
    return this.kernels.size;
  }

  /**
   * The kernel for `ref`, created on first use (synchronously; see `compile` to wait for the
   * compiler's verdict). Throws the kernel's GpuValidationError if its creation is known to have failed.
   */
  get(ref: KernelRef): Kernel {
    const overrideKey = ref.overrides
      ? Object.entries(ref.overrides)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, v]) => `${k}=${v}`)
          .join(',')
      : '';
    const key = `${ref.file}:${ref.entry}:${overrideKey}`;
    const cached = this.kernels.get(key);
    if (cached) {
      const failure = this.failures.get(cached);
      if (failure) throw failure;
      return cached;
    }

    this.assertAlive();
    const mod = this.module(ref.file);
    const label = overrideKey ? `${ref.entry}[${overrideKey}]` : ref.entry;
    const { result, errors } = captureGpuErrors(this.device, () => {
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
      return { layout, pipeline };
    });
    const kernel: Kernel = { ref, label, pipeline: result.pipeline, layout: result.layout, bindings: mod.bindings };
    this.kernels.set(key, kernel);
    this.files.set(label, ref.file);
    this.track(kernel, mod, errors);
    return kernel;
  }

  /** `get(ref)`, then wait for its error scopes: rejects with GpuValidationError naming the kernel and file. */
  async compile(ref: KernelRef): Promise<Kernel> {
    const kernel = this.get(ref);
    await this.checks.get(kernel);
    const failure = this.failures.get(kernel);
    if (failure) {
      this.markReported(failure);
      throw failure;
    }
    return kernel;
  }

  /** Wait for every pending creation check; throws the first failure not yet reported. */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
    const failure = this.takeFailure();
    if (failure) throw failure;
  }

  /** The failures known now and not yet reported, as one error (null when none); marks them reported. */
  takeFailure(): GpuValidationError | null {
    if (this.unreported.length === 0) return null;
    const [first, ...rest] = this.unreported.splice(0);
    if (rest.length === 0) return first;
    const others = rest.map((f) => f.kernel).join(', ');
    return new GpuValidationError(`${first.message}\n(${rest.length} more kernels failed too: ${others})`, first.kernel, {
      cause: first.cause,
    });
  }

  /** The shader file of a kernel label made by this cache (e.g. in a Dawn error message), if any. */
  fileOfLabel(label: string): string | undefined {
    return this.files.get(label);
  }

  /** Compiler messages for a shader file (errors and warnings with line numbers). */
  async compilationMessages(file: string): Promise<string[]> {
    const info = await this.module(file).module.getCompilationInfo();
    return info.messages.map((m) => `${file}:${m.lineNum}:${m.linePos} ${m.type}: ${m.message}`);
  }

  private module(file: string): ShaderModuleEntry {
    const cached = this.modules.get(file);
    if (cached) return cached;
    this.assertAlive();
    const code = this.loader(file);
    const { result: module, errors } = captureGpuErrors(this.device, () => this.device.createShaderModule({ label: file, code }));
    const entry: ShaderModuleEntry = { file, module, bindings: parseBindings(code), errors };
    this.modules.set(file, entry);
    return entry;
  }

  /** Record the kernel's creation check: once its scopes (and its module's) resolve, note a failure. */
  private track(kernel: Kernel, mod: ShaderModuleEntry, errors: Promise<GPUError[]>): void {
    const check = Promise.all([mod.errors, errors])
      .then(async ([moduleErrors, pipelineErrors]) => {
        if (moduleErrors.length === 0 && pipelineErrors.length === 0) return;
        const failure = await this.describeFailure(kernel, mod, moduleErrors, pipelineErrors);
        this.failures.set(kernel, failure);
        this.unreported.push(failure);
      })
      .catch((err: unknown) => {
        const failure = new GpuValidationError(`${kernel.label} (${mod.file}): could not check pipeline creation: ${String(err)}`, kernel.label, {
          cause: err,
        });
        this.failures.set(kernel, failure);
        this.unreported.push(failure);
      })
      .finally(() => this.pending.delete(check));
    this.pending.add(check);
    this.checks.set(kernel, check);
  }

  private async describeFailure(
    kernel: Kernel,
    mod: ShaderModuleEntry,
    moduleErrors: GPUError[],
    pipelineErrors: GPUError[],
  ): Promise<GpuValidationError> {
    const who = `${kernel.label} (${mod.file})`;
    if (moduleErrors.length > 0) {
      // The pipeline error is then only "[Invalid ShaderModule] is invalid"; the compiler's own
      // messages carry file, line and column.
      let compiler: string[] = [];
      try {
        const info = await mod.module.getCompilationInfo();
        compiler = info.messages
          .filter((m) => m.type === 'error')
          .map((m) => `${mod.file}:${m.lineNum}:${m.linePos} error: ${m.message}`);
      } catch {
        // no compilation info (e.g. the device was lost meanwhile): Dawn's message below suffices
      }
      const detail = compiler.length > 0 ? compiler.slice(0, MAX_DAWN_LINES).join('\n') : dawnLines(moduleErrors[0].message);
      return new GpuValidationError(`${who}: WGSL compilation failed:\n${detail}`, kernel.label, { cause: moduleErrors[0] });
    }
    return new GpuValidationError(`${who}: pipeline creation failed: ${dawnLines(pipelineErrors[0].message)}`, kernel.label, {
      cause: pipelineErrors[0],
    });
  }

  private markReported(failure: GpuValidationError): void {
    const idx = this.unreported.indexOf(failure);
    if (idx >= 0) this.unreported.splice(idx, 1);
  }
}
