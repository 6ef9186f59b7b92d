// `wgh profile (--model DIR | --synthetic tiny|20b|120b) [--prompt-tokens N] [--decode-steps N]
//  [--depth D] [--json FILE] [--trace FILE]`: GPU time of every dispatch of one prefill of N tokens
// and of N decode steps at context depth D, per kernel (calls, total, mean, share, GB/s and GFLOP/s
// from the launchers' declared bytes and flops, fraction of the peak bandwidth measured in the same
// run by shaders/stream_read.wgsl), each napkin row's distance from its roofline, the unprofiled
// step time for comparison (per-dispatch profiling inflates the step), a JSON report and a Chrome
// trace (one lane per command buffer) for chrome://tracing or ui.perfetto.dev.
// Prefill chunks and decode steps are recorded by ForwardRig (src/cli/bench-forward.ts).

import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { Gpu } from '../gpu/device.js';
import { Profiler, TIMING_SOURCE_NOTES, chromeTrace, summarize, type LaneProfile, type UnprofiledTiming } from '../gpu/profiler.js';
import { Recorder } from '../gpu/recorder.js';
import { TIMESTAMP_TOGGLES_OFF } from '../gpu/timestamps.js';
import { measurePeakBandwidth } from '../kernels/stream-read.js';
import { loadModel } from '../model/load.js';
import { napkinDecode, napkinPrefill } from '../model/napkin.js';
import type { ModelRunner } from '../model/runner.js';
import { describeDevice, deviceLine, fillKvCache, promptIds, queryNvidiaSmi } from './bench-env.js';
import { ForwardRig } from './bench-forward.js';
import { buildSection, formatSection, formatSummary, labelAttention, type ProfileSection } from './bench-profile.js';
import { addModelSourceOptions, resolveModelSource, type ModelSourceFlags } from './bench-synthetic.js';
import { addGpuOptions, gpuOptionsFrom, parseIntFlag, type GpuFlags } from './options.js';

export const PROFILE_SCHEMA = 'wgh-profile/1';
export const DEFAULT_PROFILE_PROMPT_TOKENS = 512;
export const DEFAULT_DECODE_STEPS = 4;
/** Runs of the unprofiled decode step (its median GPU time and wall time per step). */
export const DEFAULT_UNPROFILED_REPS = 20;
const MS_PER_S = 1000;

interface ProfileFlags extends GpuFlags, ModelSourceFlags {
  readonly promptTokens: string;
  readonly decodeSteps: string;
  readonly depth?: string;
  readonly reps: string;
  readonly maxBatch?: string;
  readonly bandwidthBytes?: string;
  readonly wallClock?: boolean;
  readonly json?: string;
  readonly trace?: string;
  readonly quiet?: boolean;
}

export function registerProfileCommand(program: Command): void {
  const cmd = program
    .command('profile')
    .description('per-kernel GPU time of one prefill and of decode steps, vs the measured peak bandwidth and the napkin roofline; JSON and Chrome trace')
    .option('--prompt-tokens <n>', 'tokens of the profiled prefill (0 = none)', String(DEFAULT_PROFILE_PROMPT_TOKENS))
    .option('--decode-steps <n>', 'profiled decode steps (one lane each)', String(DEFAULT_DECODE_STEPS))
    .option('--depth <n>', 'context depth of the first profiled decode step (default: right after the prefill)')
    .option('--reps <n>', 'runs of the unprofiled decode step', String(DEFAULT_UNPROFILED_REPS))
    .option('--max-batch <n>', 'largest prefill chunk (tokens)')
    .option('--bandwidth-bytes <n>', 'bytes streamed by the peak-bandwidth kernel')
    .option('--wall-clock', 'time with the wall clock even when timestamp-query is available')
    .option('--json <file>', 'write the profile as JSON')
    .option('--trace <file>', 'write a Chrome trace-event JSON (chrome://tracing, ui.perfetto.dev)')
    .option('--quiet', 'no progress on stderr');
  addGpuOptions(addModelSourceOptions(cmd)).action(async (flags: ProfileFlags) => {
    await runProfile(flags);
  });
}

interface Timed {
  readonly lanes: LaneProfile[];
}

/** Profile one prefill of `ids` from position 0, chunk by chunk (one lane each). */
async function profilePrefill(gpu: Gpu, rig: ForwardRig, profiler: Profiler, ids: readonly number[]): Promise<Timed> {
  const lanes: LaneProfile[] = [];
  for (let start = 0; start < ids.length; start += rig.maxBatch) {
    const chunk = ids.slice(start, start + rig.maxBatch);
    const rec = new Recorder(gpu, `prefill[${start}+${chunk.length}]`);
    rig.recordPrefillChunk(rec, chunk, start, start + chunk.length === ids.length ? 'last' : 'none');
    const plan = rec.finish();
    lanes.push(await profiler.profile(plan, `prefill [${start}, ${start + chunk.length})`));
    plan.destroy();
  }
  return { lanes };
}

/** Profile `steps` decode steps from position `depth` (one lane each), then time the unprofiled step at `depth`. */
async function profileDecode(gpu: Gpu, rig: ForwardRig, profiler: Profiler, depth: number, steps: number, reps: number, firstId: number): Promise<Timed & { unprofiled: UnprofiledTiming }> {
  const lanes: LaneProfile[] = [];
  for (let step = 0; step < steps; step++) {
    const rec = new Recorder(gpu, `decode@${depth + step}`);
    rig.recordDecodeStep(rec, depth + step, step === 0 ? firstId : undefined);
    const plan = rec.finish();
    if (step === 0) {
      // Warm-up: the step once as it really runs (first-use costs stay out of the profile).
      plan.submit();
      await gpu.sync();
    }
    lanes.push(await profiler.profile(plan, `decode step ${step + 1} (pos ${depth + step})`));
    plan.destroy();
  }
  const rec = new Recorder(gpu, `decode@${depth}`);
  rig.recordDecodeStep(rec, depth);
  const plan = rec.finish();
  try {
    return { lanes, unprofiled: await profiler.timeUnprofiled(plan, reps) };
  } finally {
    plan.destroy();
  }
}

/** Wall time of the runner's own prefill of `ids` (one pass per chunk, as the engine runs it). */
async function wallPrefill(runner: ModelRunner, ids: readonly number[]): Promise<number> {
  runner.rewind(0);
  const t0 = performance.now();
  await runner.prefill(ids, 'last');
  const seconds = (performance.now() - t0) / MS_PER_S;
  runner.rewind(0);
  return seconds;
}

async function runProfile(flags: ProfileFlags): Promise<void> {
  const started = new Date();
  const quiet = flags.quiet === true;
  const log = (line: string) => {
    if (!quiet) process.stderr.write(`${line}\n`);
  };
  const promptTokens = parseIntFlag('--prompt-tokens', flags.promptTokens, 0);
  const steps = parseIntFlag('--decode-steps', flags.decodeSteps, 1);
  const depth = flags.depth === undefined ? promptTokens : parseIntFlag('--depth', flags.depth, 0);
  const reps = parseIntFlag('--reps', flags.reps, 1);
  const maxBatch = flags.maxBatch === undefined ? undefined : parseIntFlag('--max-batch', flags.maxBatch, 1);
  const source = await resolveModelSource('profile', flags, quiet);
  const smi = await queryNvidiaSmi();
  const gpu = await Gpu.open({ ...gpuOptionsFrom(flags), disableToggles: TIMESTAMP_TOGGLES_OFF });
  try {
    const contextLength = Math.max(promptTokens, depth + steps + 1);
    const model = await loadModel(source.dir, { gpu, contextLength, maxBatch });
    const runner = model.runner;
    const cfg = model.config;
    const rig = new ForwardRig(gpu, runner);
    const profiler = new Profiler(gpu, { wallClock: flags.wallClock });
    try {
      const bandwidth = await measurePeakBandwidth(gpu, {
        bytes: flags.bandwidthBytes ? parseIntFlag('--bandwidth-bytes', flags.bandwidthBytes, 16) : undefined,
        wallClock: flags.wallClock,
      });
      const peak = bandwidth.peakBytesPerSecond;
      log(`peak bandwidth ${bandwidth.gbps.max.toFixed(1)} GB/s; timing: ${TIMING_SOURCE_NOTES[profiler.source]}`);
      const ids = promptIds(promptTokens, cfg.vocabSize);
      // Profiled first: recording compiles the pipelines, so the wall-clock prefill after it is warm.
      const prefill = promptTokens > 0 ? await profilePrefill(gpu, rig, profiler, ids) : null;
      const prefillWallSeconds = promptTokens > 0 ? await wallPrefill(runner, ids) : null;
      // Positions the prefill did not write get random K/V (decode cost does not depend on them).
      if (depth > promptTokens) log(`KV cache filled with random values (${((await fillKvCache(gpu, runner)).bytes / 1e9).toFixed(2)} GB) for depth ${depth}`);
      const decode = await profileDecode(gpu, rig, profiler, depth, steps, reps, promptIds(1, cfg.vocabSize, promptTokens)[0]);
      const napkinStep = napkinDecode(cfg, depth + Math.floor(steps / 2));
      const decodeSection = buildSection(decode.lanes, cfg, napkinStep, steps, peak);
      const prefillSection = prefill ? buildSection(prefill.lanes, cfg, napkinPrefill(cfg, promptTokens, runner.maxBatch), 1, peak) : null;
      const profiledStepUs = summarize(decode.lanes.map((l) => l.spanUs));
      await gpu.queryBackend(); // the record names the backend Dawn opened, not the requested one
      const report = {
        schema: PROFILE_SCHEMA,
        date: started.toISOString(),
        command: ['wgh', ...process.argv.slice(2)].join(' '),
        device: describeDevice(gpu, smi),
        model: { name: source.name, dir: source.dir, preset: source.preset, numLayers: cfg.numLayers, numExperts: cfg.numExperts, contextLength },
        timing: { source: profiler.source, note: TIMING_SOURCE_NOTES[profiler.source] },
        peakBandwidth: bandwidth,
        decode: {
          depth,
          steps,
          profiledStepUs,
          unprofiled: { ...decode.unprofiled, reps },
          /** Profiled span per step ÷ the unprofiled step's GPU time (wall time without timestamps). */
          inflation: profiledStepUs.median / (decode.unprofiled.gpuUs?.median ?? decode.unprofiled.wallUs),
          napkinBytesPerStep: napkinStep.bytes,
          rooflineTokensPerSecond: peak / napkinStep.bytes,
          ...decodeSection,
        },
        prefill: prefillSection && {
          promptTokens,
          chunkTokens: runner.maxBatch,
          unprofiledWallSeconds: prefillWallSeconds,
          ...prefillSection,
        },
      };
      if (flags.json) writeFileSync(flags.json, `${JSON.stringify(report, null, 2)}\n`);
      if (flags.trace) {
        const sections = [{ name: `decode @ ${depth}`, lanes: labelAttention(decode.lanes, cfg) }];
        if (prefill) sections.push({ name: `prefill ${promptTokens}`, lanes: labelAttention(prefill.lanes, cfg) });
        const trace = chromeTrace(sections, { model: source.name, adapter: report.device.name, timing: profiler.source, date: report.date });
        writeFileSync(flags.trace, `${JSON.stringify(trace)}\n`);
      }
      const out = [
        `${source.name} on ${deviceLine(report.device)}, ${report.date}`,
        `timing: ${report.timing.note}`,
        `peak bandwidth: ${bandwidth.gbps.max.toFixed(1)} GB/s (best of ${bandwidth.reps}, ${bandwidth.bytes} bytes)`,
        '',
        formatSection(`decode at depth ${depth}`, decodeSection, steps, 'step'),
        formatSummary('profiled step span', profiledStepUs, 'µs', 1),
        formatSummary('unprofiled step GPU time (one pass)', decode.unprofiled.gpuUs, 'µs', 1),
        `unprofiled step wall time (${reps} steps queued): ${decode.unprofiled.wallUs.toFixed(1)} µs; profiling inflates the step ×${report.decode.inflation.toFixed(2)}`,
        `napkin: ${(napkinStep.bytes / 1e6).toFixed(1)} MB per token → roofline ${report.decode.rooflineTokensPerSecond.toFixed(0)} tok/s`,
      ];
      if (prefillSection) {
        out.push('', formatSection(`prefill of ${promptTokens} tokens (chunks of ${runner.maxBatch})`, prefillSection, 1, 'prefill'));
        out.push(`unprofiled prefill wall time: ${(prefillWallSeconds! * MS_PER_S).toFixed(1)} ms (${(promptTokens / prefillWallSeconds!).toFixed(1)} tok/s)`);
      }
      process.stdout.write(`${out.join('\n')}\n`);
    } finally {
      profiler.destroy();
      rig.destroy();
      model.destroy();
    }
  } finally {
    gpu.destroy();
  }
}
