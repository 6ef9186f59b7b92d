// `wgh generate --model DIR (--prompt TEXT | --ids IDS) [sampling flags] [--json]`: one generation
// through the TokenGenerator (GPU sampling, stop tokens, loop detection, KV policies).
// --prompt is raw text through the tokenizer with special tokens recognised (`<|start|>` -> 200006)
// and no chat template; --ids are token ids. Output: the continuation (text for --prompt, ids for
// --ids) streamed to stdout and a summary on stderr, or with --json one object
// {"tokens": [...], "finishReason", "stopReason", "metrics"} (+ "text" for --prompt).
import type { Command } from 'commander';
import { ConfigError } from '../errors.js';
import { createGenerator } from '../generate/generator.js';
import { unusedIdRange } from '../tokenizer/special-tokens.js';
import { resolveSamplingParams, type SamplingParamsInput } from '../generate/sampling-params.js';
import type { GenerateParams, LoopDetectionMode } from '../generate/types.js';
import { Tokenizer } from '../tokenizer/index.js';
import { loadModelWithProgress } from './load-progress.js';
import {
  addGenerationOptions,
  addGpuOptions,
  addRunnerOptions,
  generationOptionsFrom,
  gpuOptionsFrom,
  parseFloatFlag,
  parseIds,
  parseIntFlag,
  runnerOptionsFrom,
  type GenerationFlags,
  type GpuFlags,
  type RunnerFlags,
} from './options.js';

interface GenerateFlags extends GpuFlags, RunnerFlags, GenerationFlags {
  readonly model: string;
  readonly ids?: string;
  readonly prompt?: string;
  readonly maxTokens: string;
  readonly temperature?: string;
  readonly topP?: string;
  readonly topK?: string;
  readonly minP?: string;
  readonly repetitionPenalty?: string;
  readonly presencePenalty?: string;
  readonly frequencyPenalty?: string;
  readonly seed?: string;
  readonly loopDetection: string;
  readonly json?: boolean;
  readonly quiet?: boolean;
}

const LOOP_MODES: readonly LoopDetectionMode[] = ['off', 'cheap', 'full'];
const DEFAULT_MAX_TOKENS = 32;

/** The sampling fields given on the command line (the rest take the generator's defaults). */
function samplingFrom(flags: GenerateFlags): SamplingParamsInput {
  const num = (flag: string, v: string | undefined) => (v === undefined ? undefined : parseFloatFlag(flag, v));
  const out: Record<string, number> = {};
  const set = (key: keyof SamplingParamsInput, v: number | undefined) => {
    if (v !== undefined) out[key] = v;
  };
  set('temperature', num('--temperature', flags.temperature));
  set('topP', num('--top-p', flags.topP));
  set('topK', flags.topK === undefined ? undefined : parseIntFlag('--top-k', flags.topK, 0));
  set('minP', num('--min-p', flags.minP));
  set('repetitionPenalty', num('--repetition-penalty', flags.repetitionPenalty));
  set('presencePenalty', num('--presence-penalty', flags.presencePenalty));
  set('frequencyPenalty', num('--frequency-penalty', flags.frequencyPenalty));
  set('seed', flags.seed === undefined ? undefined : parseIntFlag('--seed', flags.seed, 0));
  return out;
}

export function registerGenerateCommand(program: Command): void {
  const cmd = program
    .command('generate')
    .description('generate a continuation of a prompt (raw text or token ids, no chat template)')
    .requiredOption('--model <dir>', 'model directory (Hugging Face layout)')
    .option('--prompt <text>', 'prompt text (special tokens like <|start|> are recognised)')
    .option('--ids <ids>', 'prompt token ids: 1,2,3 or @file.json')
    .option('--max-tokens <n>', 'most tokens to generate', String(DEFAULT_MAX_TOKENS))
    .option('--temperature <t>', 'sampling temperature (0 = greedy; default 1)')
    .option('--top-p <p>', 'nucleus sampling mass (default 1 = off)')
    .option('--top-k <k>', 'keep the k most likely tokens (default 0 = off)')
    .option('--min-p <p>', 'drop tokens below p times the top probability (default 0 = off)')
    .option('--repetition-penalty <r>', 'divide positive logits of recent tokens by r (default 1 = off)')
    .option('--presence-penalty <p>', 'subtract p from logits of recent tokens (default 0)')
    .option('--frequency-penalty <f>', 'subtract f per occurrence from logits of recent tokens (default 0)')
    .option('--seed <s>', 'sampling seed (default: random, printed in the metrics)')
    .option('--loop-detection <mode>', `stop on a repeating token tail: ${LOOP_MODES.join(' | ')}`, 'cheap')
    .option('--json', 'print one JSON object: {"tokens": [...], "finishReason", "stopReason", "metrics"}')
    .option('--quiet', 'no progress output');
  addRunnerOptions(addGpuOptions(addGenerationOptions(cmd))).action(async (flags: GenerateFlags) => {
    // Every flag is checked before the tokenizer and the model load (seconds for a real model).
    if ((flags.ids === undefined) === (flags.prompt === undefined)) throw new ConfigError('generate: give the prompt with exactly one of --prompt TEXT or --ids IDS');
    const maxTokens = parseIntFlag('--max-tokens', flags.maxTokens, 0);
    const loopDetection = flags.loopDetection as LoopDetectionMode;
    if (!LOOP_MODES.includes(loopDetection)) throw new ConfigError(`--loop-detection: expected ${LOOP_MODES.join(', ')}, got '${flags.loopDetection}'`);
    const { maxKvSize, kvKeep, stopTokens } = generationOptionsFrom(flags);
    const sampling = samplingFrom(flags);
    resolveSamplingParams(sampling); // ConfigError naming the parameter
    const params: GenerateParams = { ...sampling, maxTokens, loopDetection, stopTokens };
    const tokenizer = flags.prompt !== undefined ? await Tokenizer.load(flags.model) : null;
    const ids = tokenizer ? tokenizer.encodeWithSpecials(flags.prompt ?? '') : parseIds(flags.ids ?? '');
    if (ids.length === 0) throw new ConfigError(`generate: ${tokenizer ? '--prompt' : '--ids'} is empty; give at least one prompt token`);
    const runnerOpts = runnerOptionsFrom(flags);
    // The cache policy is a load-time option here (one request): no reallocation per request.
    const model = await loadModelWithProgress(
      flags.model,
      {
        gpuOptions: gpuOptionsFrom(flags),
        ...runnerOpts,
        contextLength: runnerOpts.contextLength ?? Math.max(ids.length + maxTokens, 1),
        ...(maxKvSize !== undefined ? { maxKvSize } : {}),
        ...(kvKeep !== undefined ? { kvKeep } : {}),
      },
      flags.quiet || flags.json,
    );
    const generator = createGenerator(model, { maskRange: unusedIdRange(model.config.vocabSize) });
    const stop = new AbortController();
    const onSigint = () => stop.abort();
    process.once('SIGINT', onSigint);
    try {
      const generation = generator.generate(ids, params, { signal: stop.signal });
      const decoder = tokenizer?.createDecoder();
      for await (const ev of generation) {
        if (flags.json) continue;
        process.stdout.write(decoder ? decoder.push(ev.id) : `${ev.index > 0 ? ',' : ''}${ev.id}`);
      }
      const result = await generation.result;
      const metrics = {
        ...result.metrics,
        loadSeconds: model.stats.seconds,
        loadBytesPerSecond: model.stats.bytesPerSecond,
        peakRssBytes: process.resourceUsage().maxRSS * 1024,
        gpuPeakAllocatedBytes: model.gpu.memory.peakAllocatedBytes,
        adapter: model.gpu.adapter.description || model.gpu.adapter.device,
      };
      if (flags.json) {
        const text = tokenizer ? { text: tokenizer.decode(result.tokens) } : {};
        process.stdout.write(`${JSON.stringify({ tokens: result.tokens, ...text, finishReason: result.finishReason, stopReason: result.stopReason, metrics })}\n`);
      } else {
        process.stdout.write(`${decoder?.flush() ?? ''}\n`);
        const m = result.metrics;
        process.stderr.write(
          `${m.completionTokens} tokens (${m.finishReason}: ${m.stopReason}), ${m.decodeTokensPerSecond.toFixed(1)} tok/s decode, ` +
            `prefill ${m.prefillSeconds.toFixed(3)} s, first token ${m.ttftSeconds.toFixed(3)} s, seed ${m.seed}\n`,
        );
      }
    } finally {
      process.removeListener('SIGINT', onSigint);
      await generator.close();
      model.destroy();
    }
  });
}
