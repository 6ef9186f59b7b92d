// Shared command-line option parsing: token id lists, GPU selection, runner sizing, the generation
// flags `generate` and `serve` share, numbers with named errors.

import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ConfigError } from '../errors.js';
import type { GpuOpenOptions } from '../gpu/device.js';
import { DEFAULT_KV_KEEP } from '../kvcache/kv-cache.js';

/** IDS is `1,2,3` or `@file.json` (a JSON array of integers). */
export function parseIds(value: string, flag = '--ids'): number[] {
  let items: unknown[];
  if (value.startsWith('@')) {
    const file = value.slice(1);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`${flag}: cannot read ${file}: ${(err as Error).message}`, { cause: err });
    }
    try {
      const parsed: unknown = JSON.parse(text);
      if (!Array.isArray(parsed)) throw new Error('not a JSON array');
      items = parsed;
    } catch (err) {
      throw new ConfigError(`${flag}: ${file} must hold a JSON array of token ids (${(err as Error).message})`, { cause: err });
    }
  } else {
    items = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  }
  items.forEach((id, idx) => {
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) {
      throw new ConfigError(`${flag}: item ${idx} is ${JSON.stringify(id)}, expected a token id (integer >= 0)`);
    }
  });
  return items as number[];
}

export function parseIntFlag(flag: string, value: string, min = 0): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new ConfigError(`${flag}: expected an integer >= ${min}, got '${value}'`);
  }
  return n;
}

export function parseFloatFlag(flag: string, value: string, min = -Infinity, max = Infinity): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new ConfigError(`${flag}: expected a number in [${min}, ${max}], got '${value}'`);
  }
  return n;
}

/** --backend, --adapter, --dawn-toggle: the GPU selection flags every GPU command takes. */
export function addGpuOptions(cmd: Command): Command {
  return cmd
    .option('--backend <name>', 'Dawn backend: vulkan, metal, d3d12, …')
    .option('--adapter <name>', 'Dawn adapter name (an unknown name lists the adapters)')
    .option('--dawn-toggle <toggle...>', 'enable Dawn toggles (see Dawn Toggles.cpp)');
}

export interface GpuFlags {
  readonly backend?: string;
  readonly adapter?: string;
  readonly dawnToggle?: string[];
}

export function gpuOptionsFrom(flags: GpuFlags): GpuOpenOptions {
  return {
    backend: flags.backend ?? process.env.WGH_BACKEND,
    adapter: flags.adapter ?? process.env.WGH_ADAPTER,
    enableToggles: flags.dawnToggle,
  };
}

/** --context, --max-batch: the runner's sizing flags. */
export function addRunnerOptions(cmd: Command): Command {
  return cmd
    .option('--context <n>', 'KV cache length of the full-attention layers (tokens)')
    .option('--max-batch <n>', 'largest prefill chunk (tokens)');
}

export interface RunnerFlags {
  readonly context?: string;
  readonly maxBatch?: string;
}

export function runnerOptionsFrom(flags: RunnerFlags): { contextLength?: number; maxBatch?: number } {
  return {
    contextLength: flags.context === undefined ? undefined : parseIntFlag('--context', flags.context, 1),
    maxBatch: flags.maxBatch === undefined ? undefined : parseIntFlag('--max-batch', flags.maxBatch, 1),
  };
}

/**
 * --max-kv-size, --kv-keep, --stop: the engine's cache policy and stop ids, as `wgh generate` has
 * them; `wgh serve` takes them as the defaults of every request (the cache policy at load time).
 */
export function addGenerationOptions(cmd: Command): Command {
  return cmd
    .option('--max-kv-size <n>', 'rotate the full-attention KV cache beyond n positions (0 = off)')
    .option('--kv-keep <n>', 'positions a rotating cache keeps at its start (default 4)')
    .option('--stop <ids>', 'stop token ids (comma-separated); default: none');
}

export interface GenerationFlags {
  readonly maxKvSize?: string;
  readonly kvKeep?: string;
  readonly stop?: string;
}

export interface GenerationOptions {
  readonly maxKvSize?: number;
  readonly kvKeep?: number;
  /** Empty without --stop. */
  readonly stopTokens: readonly number[];
}

/**
 * Parses and checks the generation flags before anything is loaded. `vocabSize` (from config.json)
 * bounds the stop ids when known.
 */
export function generationOptionsFrom(flags: GenerationFlags, vocabSize?: number): GenerationOptions {
  const maxKvSize = flags.maxKvSize === undefined ? undefined : parseIntFlag('--max-kv-size', flags.maxKvSize, 0);
  const kvKeep = flags.kvKeep === undefined ? undefined : parseIntFlag('--kv-keep', flags.kvKeep, 0);
  if (kvKeep !== undefined && (maxKvSize === undefined || maxKvSize === 0)) {
    throw new ConfigError(`--kv-keep: only a rotating cache keeps positions; give --max-kv-size N (N > ${kvKeep}) too`);
  }
  const keep = kvKeep ?? DEFAULT_KV_KEEP;
  if (maxKvSize !== undefined && maxKvSize > 0 && maxKvSize <= keep) {
    throw new ConfigError(`--max-kv-size: expected more than --kv-keep ${keep}${kvKeep === undefined ? ' (its default)' : ''}, or 0 for no rotation (the rotating part would be empty), got ${maxKvSize}`);
  }
  const stopTokens = flags.stop === undefined ? [] : parseIds(flags.stop, '--stop');
  if (vocabSize !== undefined) {
    stopTokens.forEach((id, idx) => {
      if (id >= vocabSize) throw new ConfigError(`--stop: item ${idx} is ${id}, expected a token id below the vocabulary size V=${vocabSize}`);
    });
  }
  return { ...(maxKvSize !== undefined ? { maxKvSize } : {}), ...(kvKeep !== undefined ? { kvKeep } : {}), stopTokens };
}
