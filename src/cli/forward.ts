// `wgh forward --model DIR --ids IDS --logits OUT.f32`: one prefill, every position's logits as
// float32 little-endian [T, V].
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { loadModelWithProgress } from './load-progress.js';
import { addGpuOptions, addRunnerOptions, gpuOptionsFrom, parseIds, runnerOptionsFrom, type GpuFlags, type RunnerFlags } from './options.js';

interface ForwardFlags extends GpuFlags, RunnerFlags {
  readonly model: string;
  readonly ids: string;
  readonly logits: string;
  readonly quiet?: boolean;
}

export function registerForwardCommand(program: Command): void {
  const cmd = program
    .command('forward')
    .description('run one prefill and write the logits of every position (float32 LE [T, V])')
    .requiredOption('--model <dir>', 'model directory (Hugging Face layout)')
    .requiredOption('--ids <ids>', 'token ids: 1,2,3 or @file.json')
    .requiredOption('--logits <file>', 'output file for float32 [T, V]')
    .option('--quiet', 'no progress output');
  addRunnerOptions(addGpuOptions(cmd)).action(async (flags: ForwardFlags) => {
    const ids = parseIds(flags.ids);
    const model = await loadModelWithProgress(flags.model, { gpuOptions: gpuOptionsFrom(flags), ...runnerOptionsFrom(flags), contextLength: Math.max(ids.length, 1) }, flags.quiet);
    try {
      const logits = await model.runner.prefill(ids, 'all');
      await writeFile(flags.logits, new Uint8Array(logits!.buffer, logits!.byteOffset, logits!.byteLength));
      if (!flags.quiet) process.stderr.write(`wrote ${ids.length} x ${model.config.vocabSize} logits to ${flags.logits}\n`);
    } finally {
      model.destroy();
    }
  });
}
