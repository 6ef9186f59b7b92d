// Benchmark of the GPU sampler (shaders/sample.wgsl) at gpt-oss's vocabulary, V = 201088.
//   npx tsx bench/kernels/sample.bench.ts [--steps 200] [--reps 5] [--json OUT.json]
// A decode step queues the sampler's four dispatches behind the output head in one compute pass,
// so the number that matters is the cost per step of steps queued back to back: wall clock of
// `steps` queued steps (one submit), median of `reps` batches, after a warm-up. The per-pass split
// comes from the same measurement with the plan cut after pass 1, 2, 3 (differences).
//
// Napkin math (H100: ~3 TB/s, ~4.2 µs per dependent dispatch in one pass, measured in
// ../shared/device/README.md): pass 1 moves 1.6-3.2 MB (~1 µs), passes 2-3 read 0.8 MB each, pass 4
// is one workgroup (sort of the pool: 66 barrier stages for 2040 keys, 21 for 64). Floor: 4 x ~4 µs
// of launch and drain; the rest is memory round trips and the select pass's serial work.
// Results: bench/results/sample-2026-11-22-h200.json (H200, Vulkan): greedy 17.8 µs/step (passes
// 6.4 / 4.4 / 3.3 / 3.7), T 1 over all V 26.6, top-k 40 + top-p 0.95 + penalties 42.3 (6.5 / 9.4 /
// 9.2 / 17.2), top-p 0.9 alone 40.2, greedy + top-5 logprobs 34.8, top-k 1024 67.8 (pass 4: 42.9).
import { writeFileSync } from 'node:fs';
import { Gpu } from '../../src/gpu/device.js';
import { Recorder } from '../../src/gpu/recorder.js';
import { createTensor } from '../../src/gpu/tensor.js';
import { resolveSamplingParams, type SamplingParamsInput } from '../../src/generate/sampling-params.js';
import { createSampler } from '../../src/kernels/sampler-state.js';
import { encodeSample } from '../../src/kernels/sampler.js';

const V = 201088;
const MASK = { from: 200019, to: V };

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

/** LM-like logits: a normal body (sigma 2) and a few dozen peaked tokens (seeded LCG + Box-Muller). */
function lmLogits(): Float32Array {
  let state = 12345;
  const uniform = (): number => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state + 0.5) / 4294967296;
  };
  const out = new Float32Array(V);
  for (let v = 0; v < V; v++) out[v] = 2 * Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  for (let k = 0; k < 40; k++) out[Math.floor(uniform() * MASK.from)] = 10 + 8 * uniform();
  return out;
}

const CASES: [string, SamplingParamsInput][] = [
  ['greedy', { temperature: 0 }],
  ['greedy + top-5 logprobs', { temperature: 0, topLogprobs: 5 }],
  ['T 1 over all V', { temperature: 1 }],
  ['T 1, min-p 0.05', { temperature: 1, minP: 0.05 }],
  ['top-k 40, top-p 0.95, T 0.8, penalties', { temperature: 0.8, topK: 40, topP: 0.95, repetitionPenalty: 1.1, presencePenalty: 0.3, penaltyWindow: 64 }],
  ['top-p 0.9 alone', { temperature: 1, topP: 0.9 }],
  ['top-k 1024', { temperature: 1, topK: 1024 }],
];

async function main(): Promise<void> {
  const steps = arg('steps', 200);
  const reps = arg('reps', 5);
  const gpu = await Gpu.open({ backend: process.env.WGH_BACKEND });
  const sampler = createSampler(gpu, { vocabSize: V, maskRange: MASK, historyWindow: Math.max(1024, steps), maxTopLogprobs: 5 });
  const logits = createTensor(gpu, 'logits', 'f32', [V]);
  const ids = createTensor(gpu, 'ids', 'u32', [1]);
  gpu.write(logits.buffer, 0, lmLogits());
  const rec = new Recorder(gpu, 'sample');
  encodeSample(rec, sampler, logits, { ids, idsOffset: 0 });
  const plan = rec.finish();

  /** Median µs per step of `steps` queued steps, running only the first `numPasses` dispatches. */
  const time = async (numPasses: number): Promise<number> => {
    const perStep: number[] = [];
    for (let rep = -1; rep < reps; rep++) {
      const enc = gpu.device.createCommandEncoder();
      const pass = enc.beginComputePass();
      for (let k = 0; k < steps; k++) {
        for (const d of plan.dispatches.slice(0, numPasses)) {
          pass.setPipeline(d.kernel.pipeline);
          pass.setBindGroup(0, d.bindGroup);
          pass.dispatchWorkgroups(...d.workgroups);
        }
      }
      pass.end();
      const t0 = performance.now();
      gpu.queue.submit([enc.finish()]);
      await gpu.sync();
      if (rep >= 0) perStep.push(((performance.now() - t0) * 1000) / steps); // rep -1: warm-up
    }
    return perStep.sort((a, b) => a - b)[Math.floor(perStep.length / 2)];
  };

  const rows: Record<string, unknown>[] = [];
  for (const [name, input] of CASES) {
    sampler.begin(resolveSamplingParams({ seed: 1, ...input }), [1, 2, 3]);
    const cumulative = [];
    for (let numPasses = 1; numPasses <= 4; numPasses++) cumulative.push(await time(numPasses));
    const status = await sampler.readStatus();
    const row = {
      case: name,
      usPerStep: +cumulative[3].toFixed(2),
      passUs: cumulative.map((t, i) => +(t - (i > 0 ? cumulative[i - 1] : 0)).toFixed(2)),
      stickyFlags: status.stickyFlags,
    };
    rows.push(row);
    console.log(`${name.padEnd(42)} ${row.usPerStep.toFixed(1).padStart(7)} µs/step   passes ${row.passUs.join(' / ')} µs`);
  }
  const report = { date: new Date().toISOString(), adapter: gpu.adapter, V, steps, reps, rows };
  const out = process.argv.indexOf('--json');
  if (out >= 0) writeFileSync(process.argv[out + 1], JSON.stringify(report, null, 2));
  plan.destroy();
  sampler.destroy();
  gpu.destroy();
}

await main();
