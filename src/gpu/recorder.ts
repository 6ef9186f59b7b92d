// Command recording. Launchers (src/kernels/) append dispatches to a Recorder; `finish()` packs every
// dispatch's uniform `args` into one uniform buffer (256-byte slots), creates the bind groups and
// returns a Plan. A Plan can be encoded many times: the decode step records its plan once and
// re-encodes it every token, so a step costs one small `writeBuffer` (the step's position) plus
// setPipeline/setBindGroup/dispatch calls, with no JS allocation besides Dawn's own.
//
// Profiling (src/gpu/profiler.ts) encodes the same Plan one dispatch per compute pass with
// timestamp writes; `bytes` and `flops` declared by launchers feed its GB/s and GFLOP/s columns.

import { ShapeError } from '../errors.js';
import type { Gpu } from './device.js';
import type { Kernel, KernelRef } from './pipelines.js';
import type { TensorChunk } from './tensor.js';

/** A buffer binding: a whole buffer, a slice of one, or a tensor chunk. */
export type BufferArg = GPUBuffer | TensorChunk | { readonly buffer: GPUBuffer; readonly offset: number; readonly size: number };

export interface DispatchMeta {
  /** Bytes this dispatch reads + writes from memory (napkin math, for the profiler). */
  readonly bytes?: number;
  /** Floating-point operations (multiply-add = 2). */
  readonly flops?: number;
  /** Extra label detail (layer index, chunk) shown in profiles. */
  readonly tag?: string;
}

export interface PlannedDispatch {
  readonly kernel: Kernel;
  readonly bindGroup: GPUBindGroup;
  readonly workgroups: readonly [number, number, number];
  readonly meta: DispatchMeta;
}

const UNIFORM_SLOT_ALIGN = 256; // minUniformBufferOffsetAlignment is at most 256 on every adapter

interface PendingDispatch {
  kernel: Kernel;
  args: Uint8Array | null;
  buffers: readonly BufferArg[];
  workgroups: readonly [number, number, number];
  meta: DispatchMeta;
}

export class Recorder {
  private readonly pending: PendingDispatch[] = [];

  constructor(
    private readonly gpu: Gpu,
    readonly label: string,
  ) {}

  /** The compiled kernel for `ref` (from the device's pipeline cache). */
  kernel(ref: KernelRef): Kernel {
    return this.gpu.pipelines.get(ref);
  }

  /** Device limits and capabilities, for launchers that pick variants. */
  get device(): Gpu {
    return this.gpu;
  }

  get numDispatches(): number {
    return this.pending.length;
  }

  /**
   * Append one dispatch. `args` fills the shader's `var<uniform> args` binding (if it declares one);
   * `buffers` fill its other bindings in binding order. Workgroup counts above the device limit per
   * dimension are an error here (launchers fold large counts into y/z).
   */
  dispatch(
    kernel: Kernel,
    args: Uint8Array | null,
    buffers: readonly BufferArg[],
    workgroups: readonly [number, number?, number?],
    meta: DispatchMeta = {},
  ): void {
    const wg: [number, number, number] = [workgroups[0], workgroups[1] ?? 1, workgroups[2] ?? 1];
    const maxPerDim = this.gpu.limits.maxComputeWorkgroupsPerDimension;
    if (wg.some((n) => !Number.isInteger(n) || n < 0 || n > maxPerDim)) {
      throw new ShapeError(`${kernel.label}: workgroup count [${wg.join(', ')}] outside 0..${maxPerDim} per dimension`);
    }
    const wantArgs = kernel.bindings.some((b) => b.name === 'args');
    if (wantArgs !== (args !== null)) {
      throw new ShapeError(`${kernel.label}: shader ${wantArgs ? 'declares' : 'has no'} 'args' uniform but launcher passed ${args ? 'args' : 'none'}`);
    }
    const numBuffers = kernel.bindings.length - (wantArgs ? 1 : 0);
    if (buffers.length !== numBuffers) {
      const names = kernel.bindings.filter((b) => b.name !== 'args').map((b) => b.name);
      throw new ShapeError(`${kernel.label}: expected ${numBuffers} buffers (${names.join(', ')}), got ${buffers.length}`);
    }
    if (wg[0] * wg[1] * wg[2] === 0) return; // nothing to do (e.g. zero tokens)
    this.pending.push({ kernel, args, buffers, workgroups: wg, meta });
  }

  /** Create the uniform buffer and bind groups; the Recorder must not be used afterwards. */
  finish(): Plan {
    this.gpu.assertAlive();
    const withArgs = this.pending.filter((d) => d.args);
    const uniformBytes = withArgs.reduce((n, d) => n + Math.ceil(d.args!.byteLength / UNIFORM_SLOT_ALIGN) * UNIFORM_SLOT_ALIGN, 0);
    let uniform: GPUBuffer | null = null;
    let staging: Uint8Array | null = null;
    if (uniformBytes > 0) {
      uniform = this.gpu.createBuffer(`${this.label}:args`, uniformBytes, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, true);
      staging = new Uint8Array(uniform.getMappedRange());
    }
    let at = 0;
    const dispatches: PlannedDispatch[] = this.pending.map((d) => {
      const entries: GPUBindGroupEntry[] = [];
      let bufIdx = 0;
      for (const b of d.kernel.bindings) {
        if (b.name === 'args') {
          staging!.set(d.args!, at);
          entries.push({ binding: b.binding, resource: { buffer: uniform!, offset: at, size: d.args!.byteLength } });
          at += Math.ceil(d.args!.byteLength / UNIFORM_SLOT_ALIGN) * UNIFORM_SLOT_ALIGN;
        } else {
          entries.push({ binding: b.binding, resource: toBinding(d.buffers[bufIdx++]) });
        }
      }
      // Labelled "kernel (tag)" so Dawn's messages about this dispatch name the kernel and which call it was.
      const label = d.meta.tag ? `${d.kernel.label} (${d.meta.tag})` : d.kernel.label;
      const bindGroup = this.gpu.device.createBindGroup({ label, layout: d.kernel.layout, entries });
      return { kernel: d.kernel, bindGroup, workgroups: d.workgroups, meta: d.meta };
    });
    if (uniform) uniform.unmap();
    this.pending.length = 0;
    return new Plan(this.gpu, this.label, dispatches, uniform);
  }
}

function toBinding(arg: BufferArg): GPUBufferBinding {
  if ('rowStart' in arg) return { buffer: arg.buffer, offset: 0, size: Math.ceil(arg.byteLength / 4) * 4 };
  if ('buffer' in arg) return { buffer: arg.buffer, offset: arg.offset, size: arg.size };
  return { buffer: arg };
}

export class Plan {
  private destroyed = false;
  // Reused by every submit, so re-submitting a plan allocates nothing in JS besides Dawn's objects.
  private readonly encoderDesc: GPUCommandEncoderDescriptor;
  private readonly passDesc: GPUComputePassDescriptor;
  private readonly submitList: GPUCommandBuffer[] = [];

  constructor(
    private readonly gpu: Gpu,
    readonly label: string,
    readonly dispatches: readonly PlannedDispatch[],
    private readonly uniform: GPUBuffer | null,
  ) {
    this.encoderDesc = { label };
    this.passDesc = { label };
  }

  /** Encode every dispatch into an open compute pass. */
  encodeInto(pass: GPUComputePassEncoder): void {
    if (this.destroyed) throw new Error(`plan '${this.label}' used after destroy()`);
    let last: GPUComputePipeline | null = null;
    for (const d of this.dispatches) {
      if (d.kernel.pipeline !== last) {
        pass.setPipeline(d.kernel.pipeline);
        last = d.kernel.pipeline;
      }
      pass.setBindGroup(0, d.bindGroup);
      pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
    }
  }

  /**
   * Encode into a fresh command buffer with one compute pass, and submit. `after` may append
   * commands (e.g. copying ids to a readback buffer) to the same command buffer, after the pass.
   */
  submit(after?: (enc: GPUCommandEncoder) => void): void {
    this.gpu.assertAlive();
    const enc = this.gpu.device.createCommandEncoder(this.encoderDesc);
    const pass = enc.beginComputePass(this.passDesc);
    this.encodeInto(pass);
    pass.end();
    after?.(enc);
    this.submitList[0] = enc.finish();
    this.gpu.queue.submit(this.submitList);
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    if (this.uniform) this.gpu.destroyBuffer(this.uniform);
  }
}

/** Record with `fn`, submit once, release the plan's uniforms after the GPU is done with them. */
export async function runOnce(gpu: Gpu, label: string, fn: (rec: Recorder) => void): Promise<void> {
  const rec = new Recorder(gpu, label);
  fn(rec);
  const plan = rec.finish();
  plan.submit();
  await gpu.sync();
  plan.destroy();
}
