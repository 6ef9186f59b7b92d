// The model a benchmark or profile runs: `--model DIR`, or `--synthetic tiny|20b|120b`, a random-weight
// checkpoint of the real shapes (src/model/create-test-model.ts) created once in a cache directory
// and reused while it is complete. Random weights cost exactly the time and memory of real ones.
//
// Cache directory: --synthetic-dir DIR, else $WGH_SYNTHETIC_DIR/synthetic-<preset>, else
// ~/.cache/webgpu-harmony/synthetic-<preset>. 20b needs ~13.8 GB of disk, 120b ~65 GB (on a machine
// whose disk is smaller, point --synthetic-dir at a tmpfs such as /dev/shm with enough room).

import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '../errors.js';
import { CONFIG_FILE } from '../model/config.js';
import { INDEX_FILE } from '../model/checkpoint.js';
import { createTestModel } from '../model/create-test-model.js';
import { TEST_MODEL_PRESETS, planTestModel, type TestModelPreset } from '../model/test-model-plan.js';
import { ProgressBar } from './progress.js';

export const SYNTHETIC_DIR_ENV = 'WGH_SYNTHETIC_DIR';
const CACHE_SUBDIR = ['.cache', 'webgpu-harmony'] as const;
const TOKENIZER_FILE = 'tokenizer.json';

export interface ModelSourceFlags {
  readonly model?: string;
  readonly synthetic?: string;
  readonly syntheticDir?: string;
  readonly seed?: string;
}

/** --model DIR | --synthetic PRESET [--synthetic-dir DIR] [--seed S]. */
export function addModelSourceOptions(cmd: Command): Command {
  return cmd
    .option('--model <dir>', 'model directory (Hugging Face layout)')
    .option('--synthetic <preset>', `random-weight checkpoint of the real shapes, created once and reused: ${TEST_MODEL_PRESETS.join(' | ')}`)
    .option('--synthetic-dir <dir>', `where the synthetic checkpoint lives (default $${SYNTHETIC_DIR_ENV}/synthetic-<preset> or ~/.cache/webgpu-harmony/synthetic-<preset>)`)
    .option('--seed <n>', 'seed of a synthetic checkpoint created now', '0');
}

export interface ModelSource {
  readonly dir: string;
  /** The preset when synthetic, else null. */
  readonly preset: TestModelPreset | null;
  /** Seconds spent creating the synthetic checkpoint now (null when it was reused or --model). */
  readonly createSeconds: number | null;
  /** A short name for records and file names: "synthetic-20b" or the directory's base name. */
  readonly name: string;
}

export function defaultSyntheticDir(preset: TestModelPreset, env: NodeJS.ProcessEnv = process.env): string {
  const base = env[SYNTHETIC_DIR_ENV];
  return base ? join(base, `synthetic-${preset}`) : join(homedir(), ...CACHE_SUBDIR, `synthetic-${preset}`);
}

function parsePreset(value: string): TestModelPreset {
  if (!(TEST_MODEL_PRESETS as readonly string[]).includes(value)) {
    throw new ConfigError(`--synthetic: expected one of ${TEST_MODEL_PRESETS.join(', ')}, got '${value}'`);
  }
  return value as TestModelPreset;
}

async function fileSize(path: string): Promise<number | null> {
  try {
    return (await stat(path)).size;
  } catch {
    return null;
  }
}

/**
 * True when `dir` holds a complete synthetic checkpoint of `preset`: config.json (written last by
 * create-test-model) equal to the preset's, the index, the tokenizer and every shard at its planned size.
 */
export async function isCompleteSynthetic(dir: string, preset: TestModelPreset): Promise<boolean> {
  const plan = planTestModel(preset);
  let config: unknown;
  try {
    config = JSON.parse(await readFile(join(dir, CONFIG_FILE), 'utf8'));
  } catch {
    return false;
  }
  if (JSON.stringify(config) !== JSON.stringify(plan.configJson)) return false;
  if ((await fileSize(join(dir, INDEX_FILE))) === null || (await fileSize(join(dir, TOKENIZER_FILE))) === null) return false;
  for (const shard of plan.shards) {
    if ((await fileSize(join(dir, shard.fileName))) !== shard.fileBytes) return false;
  }
  return true;
}

/** Create the synthetic checkpoint in `dir` unless a complete one is there. */
export async function ensureSyntheticModel(preset: TestModelPreset, dir: string, seed: number, quiet: boolean): Promise<{ created: boolean; seconds: number }> {
  if (await isCompleteSynthetic(dir, preset)) {
    if (!quiet) process.stderr.write(`reusing the synthetic ${preset} checkpoint in ${dir}\n`);
    return { created: false, seconds: 0 };
  }
  const plan = planTestModel(preset);
  if (!quiet) process.stderr.write(`creating a synthetic ${preset} checkpoint in ${dir} (${(plan.shardBytes / 1e9).toFixed(2)} GB)\n`);
  const bar = quiet ? null : new ProgressBar({ label: `synthetic ${preset}`, totalBytes: plan.shardBytes });
  try {
    const summary = await createTestModel({ outDir: dir, preset, seed, onProgress: (done) => bar?.update(done) });
    return { created: true, seconds: summary.seconds };
  } finally {
    bar?.finish();
  }
}

/** Resolve --model / --synthetic into a checkpoint directory (creating a synthetic one if needed). */
export async function resolveModelSource(who: string, flags: ModelSourceFlags, quiet: boolean): Promise<ModelSource> {
  if (flags.model && flags.synthetic) throw new ConfigError(`${who}: give either --model DIR or --synthetic PRESET, not both`);
  if (flags.model) {
    const name = flags.model.replace(/\/+$/, '').split('/').pop() || 'model';
    return { dir: flags.model, preset: null, createSeconds: null, name };
  }
  if (!flags.synthetic) throw new ConfigError(`${who}: give the model with --model DIR or --synthetic ${TEST_MODEL_PRESETS.join('|')}`);
  const preset = parsePreset(flags.synthetic);
  const seed = Number(flags.seed ?? '0');
  if (!Number.isSafeInteger(seed) || seed < 0) throw new ConfigError(`${who}: --seed expected an integer ≥ 0, got '${flags.seed}'`);
  const dir = flags.syntheticDir ?? defaultSyntheticDir(preset);
  const made = await ensureSyntheticModel(preset, dir, seed, quiet);
  return { dir, preset, createSeconds: made.created ? made.seconds : null, name: `synthetic-${preset}` };
}
