// `wgh generate --model DIR --ids IDS [--max-tokens N] [--temperature 0] [--json]`: decode step by
// step with the KV cache and print the continuation.
import type { Command } from 'commander';
import { ConfigError } from '../errors.js';
import { loadModelWithProgress } from './load-progress.js';
import {
  addGpuOptions,
  addRunnerOptions,
  gpuOptionsFrom,
  parseFloatFlag,
  parseIds,
  parseIntFlag,
  runnerOptionsFrom,
  type GpuFlags,
  type RunnerFlags,
} from './options.js';

interface GenerateFlags extends GpuFlags, RunnerFlags {
  readonly model: string;
  readonly ids?: string;
  readonly maxTokens: string;
  readonly temperature: string;
  readonly stop?: string;
  readonly json?: boolean;
  readonly quiet?: boolean;
}

export function registerGenerateCommand(program: Command): void {
  const cmd = program
    .command('generate')
    .description('generate a continuation of token ids (greedy at temperature 0)')
    .requiredOption('--model <dir>', 'model directory (Hugging Face layout)')
    .option('--ids <ids>', 'prompt token ids: 1,2,3 or @file.json')
    .option('--max-tokens <n>', 'tokens to generate', '32')
    .option('--temperature <t>', 'sampling temperature (0 = greedy)', '0')
    .option('--stop <ids>', 'stop token ids (comma-separated); default: none')
    .option('--json', 'print one JSON object: {"tokens": [...], ...}')
    .option('--quiet', 'no progress output');
  addRunnerOptions(addGpuOptions(cmd)).action(async (flags: GenerateFlags) => {
    if (!flags.ids) throw new ConfigError('generate: give the prompt with --ids IDS');
    const ids = parseIds(flags.ids);
    if (ids.length === 0) throw new ConfigError('generate: --ids is empty; give at least one prompt token');
    const maxTokens = parseIntFlag('--max-tokens', flags.maxTokens, 0);
    const temperature = parseFloatFlag('--temperature', flags.temperature, 0);
    if (temperature !== 0) throw new ConfigError('generate: only --temperature 0 (greedy) is available in this build');
    const stop = new Set(flags.stop ? parseIds(flags.stop, '--stop') : []);
    const runnerOpts = runnerOptionsFrom(flags);
    const model = await loadModelWithProgress(
      flags.model,
      { gpuOptions: gpuOptionsFrom(flags), ...runnerOpts, contextLength: runnerOpts.contextLength ?? Math.max(ids.length + maxTokens, 1) },
      flags.quiet || flags.json,
    );
    try {
      const t0 = performance.now();
      await model.runner.prefill(ids, 'last');
      const t1 = performance.now();
      const tokens = await model.runner.greedy(maxTokens, stop);
      const t2 = performance.now();
      const finishReason = tokens.length > 0 && stop.has(tokens[tokens.length - 1]) ? 'stop' : 'length';
      const decodeSeconds = (t2 - t1) / 1000;
      const metrics = {
        promptTokens: ids.length,
        completionTokens: tokens.length,
        prefillSeconds: (t1 - t0) / 1000,
        decodeSeconds,
        decodeTokensPerSecond: tokens.length > 1 ? (tokens.length - 1) / decodeSeconds : 0,
        loadSeconds: model.stats.seconds,
        loadBytesPerSecond: model.stats.bytesPerSecond,
        peakRssBytes: process.resourceUsage().maxRSS * 1024,
        gpuPeakAllocatedBytes: model.gpu.memory.peakAllocatedBytes,
        adapter: model.gpu.adapter.description || model.gpu.adapter.device,
      };
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ tokens, finishReason, stopReason: finishReason === 'stop' ? tokens[tokens.length - 1] : null, metrics })}\n`);
      } else {
        process.stdout.write(`${tokens.join(',')}\n`);
        process.stderr.write(`${tokens.length} tokens, ${metrics.decodeTokensPerSecond.toFixed(1)} tok/s decode, prefill ${metrics.prefillSeconds.toFixed(3)} s\n`);
      }
    } finally {
      model.destroy();
    }
  });
}
