// A sampler wired as the decode loop wires it: logits tensor -> recorded Plan (the four dispatches)
// -> chosen id in an ids tensor. Steps are queued into one command buffer, then read back.
import type { Gpu } from '../../src/gpu/device.js';
import { Recorder, type Plan } from '../../src/gpu/recorder.js';
import { createTensor, type GpuTensor } from '../../src/gpu/tensor.js';
import { resolveSamplingParams, type SamplingParams, type SamplingParamsInput } from '../../src/generate/sampling-params.js';
import { createSampler, type SamplerOptions, type SamplerState } from '../../src/kernels/sampler-state.js';
import { encodeSample } from '../../src/kernels/sampler.js';

/** Where the rig asks the sampler to write the chosen id (not 0, to test the offset). */
export const IDS_OFFSET = 2;

export class SamplerRig {
  readonly sampler: SamplerState;
  readonly logits: GpuTensor;
  readonly ids: GpuTensor;
  private readonly plan: Plan;

  constructor(
    readonly gpu: Gpu,
    opts: SamplerOptions,
  ) {
    this.sampler = createSampler(gpu, { historyWindow: 4096, debug: true, ...opts });
    this.logits = createTensor(gpu, 'logits', 'f32', [opts.vocabSize]);
    this.ids = createTensor(gpu, 'ids', 'u32', [4]);
    const rec = new Recorder(gpu, 'sample');
    encodeSample(rec, this.sampler, this.logits, { ids: this.ids, idsOffset: IDS_OFFSET });
    this.plan = rec.finish();
  }

  setLogits(values: Float32Array): void {
    this.gpu.write(this.logits.buffer, 0, values);
  }

  /** Queue `numSteps` steps in one command buffer (one compute pass) and wait. */
  async run(numSteps: number): Promise<void> {
    const enc = this.gpu.device.createCommandEncoder({ label: 'sample-steps' });
    const pass = enc.beginComputePass({ label: 'sample-steps' });
    for (let k = 0; k < numSteps; k++) this.plan.encodeInto(pass);
    pass.end();
    this.gpu.queue.submit([enc.finish()]);
    await this.gpu.sync();
  }

  /** begin(params, recent) then `numSteps` queued steps (in batches of <= N); the chosen ids. */
  async sample(params: SamplingParams, numSteps: number, recent: ArrayLike<number> = [], batch = this.sampler.historyWindow): Promise<Uint32Array> {
    this.sampler.begin(params, recent);
    const out = new Uint32Array(numSteps);
    for (let at = 0; at < numSteps; at += batch) {
      const count = Math.min(batch, numSteps - at);
      await this.run(count);
      out.set(await this.sampler.readHistory(at, count), at);
    }
    return out;
  }

  async outId(): Promise<number> {
    return new Uint32Array(await this.gpu.read(this.ids.buffer, IDS_OFFSET * 4, 4))[0];
  }

  destroy(): void {
    this.plan.destroy();
    this.sampler.destroy();
    this.logits.destroy(this.gpu);
    this.ids.destroy(this.gpu);
  }
}

export function params(input: SamplingParamsInput): SamplingParams {
  return resolveSamplingParams(input);
}
