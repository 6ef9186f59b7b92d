// `wgh serve [--model DIR] [--host 127.0.0.1] [--port 8000] [--api-key KEY]`: the OpenAI- and
// Ollama-compatible server (src/server/). It listens at once (printing `listening on URL`; port 0
// picks a free port), then loads and warms up the model; /v1/health answers 503 until then and
// `ready: …` is printed. Sampling flags set the defaults of requests that leave a field out.
// `generate`'s generation flags (options.ts addGenerationOptions) apply to every request:
// --max-kv-size / --kv-keep are the KV cache policy the model is loaded with, --stop ids end every
// generation (chat and raw routes) besides Harmony's <|return|> and <|call|>.
// Every flag is checked before anything is loaded or listened on: a bad one is one `wgh: …` line,
// exit code 1. Artifacts go to runs/<run-id>/{logs,metrics}/server/ unless --no-artifacts. Ctrl-C stops.

import { readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { RunArtifacts } from '../chat/artifacts.js';
import { ConfigError } from '../errors.js';
import { resolveSamplingParams, type SamplingParamsInput } from '../generate/sampling-params.js';
import type { LoopDetectionMode } from '../generate/types.js';
import { REASONING_EFFORTS, type ReasoningEffort } from '../harmony/types.js';
import { DEFAULT_KV_KEEP } from '../kvcache/kv-cache.js';
import { packageRoot } from '../paths.js';
import { createServer } from '../server/create-server.js';
import { ServerEngine } from '../server/engine.js';
import { DEMO_MODEL_NAME, ensureDemoModel } from '../model/demo-model.js';
import { modelInfoOf, openLocalBackend } from '../server/local-backend.js';
import { stderrLogger } from '../server/log.js';
import {
  addGenerationOptions,
  addGpuOptions,
  addRunnerOptions,
  generationOptionsFrom,
  gpuOptionsFrom,
  parseFloatFlag,
  parseIntFlag,
  runnerOptionsFrom,
  type GenerationFlags,
  type GpuFlags,
  type RunnerFlags,
} from './options.js';

interface ServeFlags extends GpuFlags, RunnerFlags, GenerationFlags {
  readonly model?: string;
  readonly modelName?: string;
  readonly host: string;
  readonly port: string;
  readonly apiKey?: string;
  readonly maxQueue: string;
  readonly maxBodyBytes: string;
  readonly runsDir: string;
  readonly artifacts: boolean;
  readonly maxTokens: string;
  readonly temperature?: string;
  readonly topP?: string;
  readonly topK?: string;
  readonly minP?: string;
  readonly seed?: string;
  readonly repetitionPenalty?: string;
  readonly presencePenalty?: string;
  readonly frequencyPenalty?: string;
  readonly reasoningEffort: string;
  readonly loopDetection?: string;
  readonly warmup: boolean;
}

const LOOP_MODES: readonly LoopDetectionMode[] = ['off', 'cheap', 'full'];
const MAX_PORT = 65535;
/** Longer --stop lists are logged as a count. */
const MAX_LOGGED_STOP_IDS = 16;

function version(): string {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
}

function samplingFrom(f: ServeFlags): SamplingParamsInput {
  const opt = (value: string | undefined, parse: (v: string) => number) => (value === undefined ? undefined : parse(value));
  return Object.fromEntries(
    Object.entries({
      temperature: opt(f.temperature, (v) => parseFloatFlag('--temperature', v, 0)),
      topP: opt(f.topP, (v) => parseFloatFlag('--top-p', v, 0, 1)),
      topK: opt(f.topK, (v) => parseIntFlag('--top-k', v, 0)),
      minP: opt(f.minP, (v) => parseFloatFlag('--min-p', v, 0, 1)),
      seed: opt(f.seed, (v) => parseIntFlag('--seed', v, 0)),
      repetitionPenalty: opt(f.repetitionPenalty, (v) => parseFloatFlag('--repetition-penalty', v, 0)),
      presencePenalty: opt(f.presencePenalty, (v) => parseFloatFlag('--presence-penalty', v, -2, 2)),
      frequencyPenalty: opt(f.frequencyPenalty, (v) => parseFloatFlag('--frequency-penalty', v, -2, 2)),
    }).filter(([, value]) => value !== undefined),
  );
}

export function registerServeCommand(program: Command): void {
  const cmd = program
    .command('serve')
    .description('serve the model over HTTP: OpenAI-compatible (/v1) and Ollama-compatible (/api) routes')
    .option('--model <dir>', 'model directory (Hugging Face layout); default: the built-in demo model')
    .option('--model-name <name>', 'the model id clients use (default: the directory name)')
    .option('--host <host>', 'address to bind (use 0.0.0.0 to accept other machines)', '127.0.0.1')
    .option('--port <port>', 'port (0: any free port)', '8000')
    .option('--api-key <key>', 'require "Authorization: Bearer KEY" on every route but /v1/health (or WGH_API_KEY)')
    .option('--max-queue <n>', 'requests that may wait for the GPU; more get 429', '16')
    .option('--max-body-bytes <n>', 'largest request body', String(8 * 1024 * 1024))
    .option('--runs-dir <dir>', 'where run directories go', 'runs')
    .option('--no-artifacts', 'write no run artifacts')
    .option('--no-warmup', 'skip the warm-up generation at start-up')
    .option('--max-tokens <n>', 'default max_tokens of a request', '1024')
    .option('--temperature <t>', 'default temperature')
    .option('--top-p <p>', 'default top_p')
    .option('--top-k <k>', 'default top_k')
    .option('--min-p <p>', 'default min_p')
    .option('--seed <s>', 'default seed (requests without one otherwise get a random seed)')
    .option('--repetition-penalty <r>', 'default repetition penalty')
    .option('--presence-penalty <p>', 'default presence penalty')
    .option('--frequency-penalty <p>', 'default frequency penalty')
    .option('--reasoning-effort <e>', 'default reasoning effort: low | medium | high', 'medium')
    .option('--loop-detection <mode>', 'loop detection: off | cheap | full');
  addRunnerOptions(addGpuOptions(addGenerationOptions(cmd))).action(async (flags: ServeFlags) => runServe(flags));
}

async function runServe(flags: ServeFlags): Promise<void> {
  const port = parseIntFlag('--port', flags.port, 0);
  if (port > MAX_PORT) throw new ConfigError(`--port: expected 0..${MAX_PORT}, got ${port}`);
  const effort = flags.reasoningEffort as ReasoningEffort;
  if (!REASONING_EFFORTS.includes(effort)) throw new ConfigError(`--reasoning-effort: expected low | medium | high, got '${flags.reasoningEffort}'`);
  const loopDetection = flags.loopDetection as LoopDetectionMode | undefined;
  if (loopDetection !== undefined && !LOOP_MODES.includes(loopDetection)) throw new ConfigError(`--loop-detection: expected off | cheap | full, got '${flags.loopDetection}'`);
  const maxQueue = parseIntFlag('--max-queue', flags.maxQueue, 0);
  const maxBodyBytes = parseIntFlag('--max-body-bytes', flags.maxBodyBytes, 1);
  const maxTokens = parseIntFlag('--max-tokens', flags.maxTokens, 1);
  const sampling = samplingFrom(flags);
  resolveSamplingParams(sampling); // the sampler's cross-field rules, named after the parameter
  const runner = runnerOptionsFrom(flags);
  generationOptionsFrom(flags); // the flag-only checks, before the demo model is unpacked
  const dir =
    flags.model !== undefined
      ? resolve(flags.model)
      : await ensureDemoModel({
          onCreate: (target) => process.stderr.write(`creating the demo model in ${target} (first use)…\n`),
          onRebuild: (target, problems) => process.stderr.write(`the cached demo model in ${target} is damaged (${problems.join('; ')}): unpacking it again…\n`),
        });
  const modelId = flags.modelName ?? (flags.model !== undefined ? basename(dir) : DEMO_MODEL_NAME);
  const apiKey = flags.apiKey ?? process.env['WGH_API_KEY'];
  const logger = stderrLogger();
  const info = await modelInfoOf(dir, modelId, runner.contextLength); // a bad model directory fails before listening
  const generation = generationOptionsFrom(flags, info.vocabSize); // stop ids within the vocabulary
  const artifacts = flags.artifacts ? await RunArtifacts.create({ runsDir: flags.runsDir, frontEnd: 'server' }) : null;
  let engine: ServerEngine | undefined;
  const backend = openLocalBackend({
    modelDir: dir, modelId, gpuOptions: gpuOptionsFrom(flags), warmup: flags.warmup,
    ...(runner.contextLength !== undefined ? { contextLength: runner.contextLength } : {}), ...(runner.maxBatch !== undefined ? { maxBatch: runner.maxBatch } : {}),
    ...(generation.maxKvSize !== undefined ? { maxKvSize: generation.maxKvSize } : {}), ...(generation.kvKeep !== undefined ? { kvKeep: generation.kvKeep } : {}),
    onProgress: (detail) => engine?.setDetail(detail),
  });
  engine = new ServerEngine(backend);
  const server = await createServer({
    engine, info, logger, artifacts, version: version(), maxQueue, limits: { maxBodyBytes },
    ...(apiKey !== undefined && apiKey.length > 0 ? { apiKey } : {}),
    defaults: {
      maxTokens, reasoningEffort: effort, sampling, ...(loopDetection !== undefined ? { loopDetection } : {}),
      ...(generation.maxKvSize !== undefined ? { maxKvSize: generation.maxKvSize } : {}), ...(generation.stopTokens.length > 0 ? { stopTokens: generation.stopTokens } : {}),
    },
  });
  const url = await server.listen(flags.host, port);
  process.stdout.write(`listening on ${url}\n`);
  const kvPolicy = (generation.maxKvSize ?? 0) > 0 ? `; KV cache rotates beyond ${generation.maxKvSize} positions (keeps ${generation.kvKeep ?? DEFAULT_KV_KEEP})` : '';
  const stops = generation.stopTokens.length > 0 ? `; stop ids ${generation.stopTokens.length <= MAX_LOGGED_STOP_IDS ? generation.stopTokens.join(',') : `${generation.stopTokens.length} given`}` : '';
  logger.info(`model ${modelId} from ${dir}; artifacts ${artifacts !== null ? artifacts.runDir : 'off'}${apiKey ? '; API key required' : ''}${kvPolicy}${stops}`);
  let closing = false;
  const shutdown = async (code: number) => {
    if (closing) return;
    closing = true;
    logger.info('shutting down');
    await server.close().catch((err: unknown) => logger.warn(`close: ${(err as Error).message}`));
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  try {
    const ready = await backend;
    const i = ready.info;
    process.stdout.write(`ready: ${modelId} on ${i.adapter ?? 'GPU'} (load ${(i.loadSeconds ?? 0).toFixed(2)} s, warm-up ${(i.warmupSeconds ?? 0).toFixed(2)} s)\n`);
  } catch (err) {
    logger.warn(`the model failed to load: ${(err as Error).message}`);
    await shutdown(1);
  }
}
