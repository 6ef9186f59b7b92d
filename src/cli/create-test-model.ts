// `wgh create-test-model --out DIR [--preset tiny|20b|120b|demo] [--seed S]`: a random-weight gpt-oss
// checkpoint in Hugging Face layout with the real o200k_harmony tokenizer (src/model/create-test-model.ts),
// or (`--preset demo`) the trained demo model that `wgh chat` runs without --model (src/model/demo-model.ts).

import type { Command } from 'commander';
import { ConfigError } from '../errors.js';
import { createTestModel, type TestModelSummary } from '../model/create-test-model.js';
import { DEMO_MODEL_NAME, demoModelBytes, readDemoManifest } from '../model/demo-model.js';
import { CREATE_TEST_MODEL_PRESETS, DEMO_PRESET, planTestModel, type CreateTestModelPreset } from '../model/test-model-plan.js';
import { ProgressBar, formatBytes, formatDuration, type ProgressStream } from './progress.js';

const SECONDS_PER_MINUTE = 60;
const BYTES_PER_GB = 1e9;

interface CreateTestModelFlags {
  readonly out: string;
  readonly preset: string;
  readonly seed: string;
}

function parsePreset(value: string): CreateTestModelPreset {
  if (!(CREATE_TEST_MODEL_PRESETS as readonly string[]).includes(value)) {
    throw new ConfigError(`create-test-model: --preset expected one of ${CREATE_TEST_MODEL_PRESETS.join(', ')}, got '${value}'`);
  }
  return value as CreateTestModelPreset;
}

function parseSeed(value: string): number {
  const seed = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(seed)) {
    throw new ConfigError(`create-test-model: --seed expected an integer ≥ 0, got '${value}'`);
  }
  return seed;
}

/** The lines printed after a successful run. */
export function formatSummary(s: TestModelSummary): string {
  const lines = [s.preset === DEMO_PRESET ? `wrote the trained demo model (${DEMO_MODEL_NAME}) to ${s.outDir}:` : `wrote ${s.preset} test model (seed ${s.seed}) to ${s.outDir}:`];
  const width = Math.max(...s.files.map((f) => formatBytes(f.bytes).length));
  for (const f of s.files) lines.push(`  ${formatBytes(f.bytes).padStart(width)}  ${f.path}`);
  const time = s.seconds < SECONDS_PER_MINUTE ? `${s.seconds.toFixed(2)} s` : formatDuration(s.seconds);
  lines.push(`${formatBytes(s.totalBytes)} in ${s.files.length} files, ${time} (weights at ${(s.bytesPerSecond / BYTES_PER_GB).toFixed(2)} GB/s)`);
  return lines.join('\n');
}

export interface CreateTestModelIo {
  readonly stdout?: ProgressStream;
  readonly stderr?: ProgressStream;
}

export function registerCreateTestModelCommand(program: Command, io: CreateTestModelIo = {}): Command {
  return program
    .command('create-test-model')
    .description('write a random-weight gpt-oss checkpoint (HF layout, real o200k_harmony tokenizer) for tests, demos and benchmarks, or the trained demo model (--preset demo)')
    .requiredOption('--out <dir>', 'output directory (created if missing; files of the same names are replaced)')
    .option(
      '--preset <name>',
      `model: ${CREATE_TEST_MODEL_PRESETS.join(' | ')} (random weights: tiny ≈ 52 MB, 20b ≈ 13.8 GB, 120b ≈ 65 GB; demo: the trained demo model, 134 MB)`,
      'tiny',
    )
    .option('--seed <n>', 'random seed; the same seed writes byte-identical files (not with --preset demo)', '0')
    .action(async (flags: CreateTestModelFlags, command: Command) => {
      const preset = parsePreset(flags.preset);
      const seed = parseSeed(flags.seed);
      if (preset === DEMO_PRESET && command.getOptionValueSource('seed') === 'cli') {
        throw new ConfigError('create-test-model: --seed does not apply to --preset demo (trained weights, always the same files)');
      }
      const stdout = io.stdout ?? process.stdout;
      const totalBytes = preset === DEMO_PRESET ? demoModelBytes(await readDemoManifest()) : planTestModel(preset).shardBytes;
      const bar = new ProgressBar({ label: `create-test-model ${preset}`, totalBytes, stream: io.stderr ?? process.stderr });
      let summary: TestModelSummary;
      try {
        summary = await createTestModel({ outDir: flags.out, preset, seed, onProgress: (done) => bar.update(done) });
      } finally {
        bar.finish(); // ends the bar's line, also before an error message
      }
      stdout.write(formatSummary(summary) + '\n');
    });
}
