// Evaluates the trained demo model on OUR engine (loadModel + createGenerator, any WebGPU adapter):
//   arithmetic  200 held-out questions, greedy: exact final answer          (target ≥ 90%)
//   tools       160 held-out tool prompts, greedy: right tool, JSON args     (target ≥ 90%)
//               naming the right entity
//   format      500 prompts, temperature 0.7: well-formed Harmony            (target ≥ 99%)
// The sets are rebuilt from the data seed (lib/heldout.ts), exactly as generate-data.ts built them
// for training (tests/demo/demo-model.test.ts checks this against train.py's fixture), and judged
// by lib/judge.ts (our parser; a warning fails the reply).
//
//   node node_modules/tsx/dist/cli.mjs tools/demo-model/eval.ts [--model DIR] [--seed 20261122]
//        [--sets arithmetic,tools,format] [--limit N] [--temperature 0.7] [--max-tokens 320]
//        [--workers N] [--deadline-s S] [--out FILE | --out-dir DIR]
//
// Without --model it evaluates the packaged demo model (assets/demo-model/, unpacked by
// ensureDemoModel into a temporary cache). --workers N splits the items over N child processes,
// each with its own Dawn device (the GPU is mostly idle while one process decodes this tiny model
// one token at a time). --deadline-s stops starting new items that many seconds after the start;
// the items are interleaved across sets, so a cut run still samples every set, and the report says
// how many of the planned items were evaluated. One JSON report, by default
// bench/results/demo-model-eval-<YYYY-MM-DD>-<device>.json (--out-dir: in that folder instead).
//
// Speed: lavapipe (2 CPU cores) decodes ~15 tokens/s, so the whole run (~55k generated tokens) takes
// hours there: use --limit. On the GPU machine: tools/demo-model/README.md has the command.

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isoDate, queryNvidiaSmi, slug } from '../../src/cli/bench-env.js';
import { DEMO_MODEL_NAME, ensureDemoModel, readDemoManifest } from '../../src/model/demo-model.js';
import { DEFAULT_SEED, buildEvalSets, buildHeldOut, type EvalSets } from './lib/heldout.js';
import { summarizeSets, summaryLine } from './lib/eval-report.js';
import { SET_NAMES, planItems, runWorker, type EvalParams, type ItemResult, type PlannedItem, type SetName, type WorkerSummary } from './lib/eval-worker.js';

const DEFAULT_MAX_TOKENS = 320;
const DEFAULT_TEMPERATURE = 0.7;
/** How long past the deadline a worker may finish its last reply before it is killed. */
const WORKER_GRACE_MS = 20_000;
/** Progress: a line per worker every this many replies (failures are always shown). */
const PROGRESS_EVERY = 25;
const MS_PER_S = 1000;
const CPU_ADAPTER_PATTERN = /llvmpipe|lavapipe|swiftshader/i;

interface Options {
  readonly modelDir: string | undefined;
  readonly seed: number;
  readonly sets: readonly SetName[];
  readonly limit: number;
  readonly params: EvalParams;
  readonly workers: number;
  readonly deadlineS: number;
}

/** What a worker process writes (and rewrites after every reply) for the parent. */
interface WorkerPart {
  adapter: string | null;
  results: ItemResult[];
  summary: WorkerSummary | null;
  error: string | null;
}

function fail(message: string): never {
  throw new Error(`demo-model eval: ${message}`);
}

function intOption(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) fail(`--${name} expected an integer ≥ 0, got '${value}'`);
  return n;
}

function writeAtomically(path: string, json: unknown): void {
  writeFileSync(`${path}.partial`, JSON.stringify(json, null, 1) + '\n');
  renameSync(`${path}.partial`, path);
}

function workerItems(plan: readonly PlannedItem[], workerIdx: number, numWorkers: number): PlannedItem[] {
  return plan.filter((_, planIdx) => planIdx % numWorkers === workerIdx);
}

/** Worker mode (`--worker k/N --part FILE --deadline-ms T`): evaluates its share, keeping FILE current. */
async function workerMain(opts: Options, modelDir: string, spec: string, partFile: string, deadlineMs: number, evalSets: EvalSets): Promise<void> {
  const [workerIdx, numWorkers] = spec.split('/').map(Number);
  const plan = planItems(evalSets, opts.sets, opts.limit);
  const part: WorkerPart = { adapter: null, results: [], summary: null, error: null };
  const items = workerItems(plan, workerIdx, numWorkers);
  try {
    part.summary = await runWorker({
      modelDir, evalSets, items, params: opts.params, deadlineMs,
      onAdapter: (adapter) => {
        part.adapter = adapter;
        writeAtomically(partFile, part);
      },
      onResult: (result) => {
        part.results.push(result);
        writeAtomically(partFile, part);
        if (!result.ok) console.log(`[worker ${workerIdx}] FAIL ${result.id}: ${result.reason}`);
        if (part.results.length % PROGRESS_EVERY === 0) console.log(`[worker ${workerIdx}] ${part.results.length}/${items.length}`);
      },
    });
  } catch (err) {
    part.error = err instanceof Error ? (err.stack ?? err.message) : String(err);
    throw err;
  } finally {
    writeAtomically(partFile, part);
  }
}

function runChild(args: readonly string[], label: string, killAtMs: number): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const relay = (stream: NodeJS.WritableStream) => (chunk: Buffer) => stream.write(chunk.toString('utf8').replace(/^(?=.)/gm, `${label} `));
    child.stdout.on('data', relay(process.stdout));
    child.stderr.on('data', relay(process.stderr));
    const timer = setTimeout(() => {
      console.log(`${label} still running ${WORKER_GRACE_MS / MS_PER_S} s past the deadline: killed (its replies so far are kept)`);
      child.kill('SIGKILL');
    }, Math.max(0, killAtMs - Date.now()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

async function parentMain(opts: Options, rawArgs: Readonly<Record<string, string | undefined>>): Promise<void> {
  const startMs = Date.now();
  const deadlineMs = opts.deadlineS > 0 ? startMs + opts.deadlineS * MS_PER_S : Number.MAX_SAFE_INTEGER;
  const cacheDir = opts.modelDir === undefined ? mkdtempSync(join(tmpdir(), 'wgh-demo-eval-')) : null;
  const modelDir = opts.modelDir ?? (await ensureDemoModel({ cacheDir: cacheDir ?? undefined }));
  const evalSets = buildEvalSets(opts.seed, buildHeldOut(opts.seed));
  const plan = planItems(evalSets, opts.sets, opts.limit);
  console.log(`[eval] ${plan.length} items (${opts.sets.map((s) => `${plan.filter((p) => p.set === s).length} ${s}`).join(', ')}) on ${opts.workers} worker(s), model ${modelDir}`);
  const results: ItemResult[] = [];
  const workers: (Partial<WorkerSummary> & { readonly worker: number; readonly error: string | null })[] = [];
  let adapter: string | null = null;
  try {
    if (opts.workers === 1) {
      const summary = await runWorker({
        modelDir, evalSets, items: plan, params: opts.params, deadlineMs,
        onAdapter: (a) => (adapter = a),
        onResult: (result) => {
          results.push(result);
          console.log(`[eval] ${results.length}/${plan.length} ${result.ok ? 'ok  ' : 'FAIL'} ${result.id}${result.ok ? '' : ` (${result.reason})`}`);
        },
      });
      workers.push({ worker: 0, ...summary, error: null });
    } else {
      const partsDir = mkdtempSync(join(tmpdir(), 'wgh-demo-eval-parts-'));
      try {
        const forwarded = ['--model', modelDir, '--seed', String(opts.seed), '--sets', opts.sets.join(','), '--limit', String(opts.limit),
          '--temperature', String(opts.params.temperature), '--max-tokens', String(opts.params.maxTokens), '--deadline-ms', String(deadlineMs)];
        const codes = await Promise.all(
          Array.from({ length: opts.workers }, (_, workerIdx) =>
            runChild([...forwarded, '--worker', `${workerIdx}/${opts.workers}`, '--part', join(partsDir, `${workerIdx}.json`)], `[worker ${workerIdx}]`, deadlineMs + WORKER_GRACE_MS),
          ),
        );
        codes.forEach((code, workerIdx) => {
          let part: WorkerPart = { adapter: null, results: [], summary: null, error: `no results file (exit code ${code})` };
          try {
            part = JSON.parse(readFileSync(join(partsDir, `${workerIdx}.json`), 'utf8')) as WorkerPart;
          } catch {
            // keep the placeholder: the worker died before writing anything
          }
          adapter ??= part.adapter;
          results.push(...part.results);
          const error = part.error ?? (code === 0 ? null : `exit code ${code}`);
          workers.push({ worker: workerIdx, ...(part.summary ?? { evaluated: part.results.length }), error });
        });
      } finally {
        rmSync(partsDir, { recursive: true, force: true });
      }
    }
  } finally {
    if (cacheDir !== null) rmSync(cacheDir, { recursive: true, force: true });
  }

  const seconds = (Date.now() - startMs) / MS_PER_S;
  const smi = await queryNvidiaSmi();
  const adapterName = adapter ?? 'unknown';
  const device = smi?.name ?? adapterName;
  const deviceSlug = slug(smi?.name ?? (CPU_ADAPTER_PATTERN.test(adapterName) ? 'llvmpipe' : adapterName)) || 'gpu';
  const generatedTokens = results.reduce((sum, r) => sum + r.completionTokens, 0);
  const packaged = opts.modelDir === undefined ? (await readDemoManifest()).files.find((f) => f.path === 'model.safetensors') : undefined;
  const sets = summarizeSets(opts.sets, plan, results, opts.params.temperature);
  const report = {
    what: 'tools/demo-model/eval.ts: the demo model on our engine; held-out sets rebuilt from the data seed, judged by lib/judge.ts',
    date: new Date(startMs).toISOString(),
    model: packaged !== undefined ? { packaged: DEMO_MODEL_NAME, sha256: packaged.sha256 } : { dir: modelDir },
    device,
    adapter: adapterName,
    driver: smi?.driverVersion ?? null,
    seed: opts.seed,
    maxTokens: opts.params.maxTokens,
    temperature: opts.params.temperature,
    limitPerSet: opts.limit === 0 ? null : opts.limit,
    deadlineSeconds: opts.deadlineS === 0 ? null : opts.deadlineS,
    seconds,
    generatedTokens,
    tokensPerSecond: generatedTokens / seconds,
    workers,
    sets,
  };
  const outFile = rawArgs['out'] ?? join(rawArgs['out-dir'] ?? join('bench', 'results'), `demo-model-eval-${isoDate(new Date(startMs))}-${deviceSlug}.json`);
  mkdirSync(join(outFile, '..'), { recursive: true });
  writeAtomically(outFile, report);
  console.log(`[eval] ${summaryLine(sets)}; ${generatedTokens} tokens in ${seconds.toFixed(1)} s on ${device}; wrote ${outFile}`);
  if (workers.some((w) => w.error !== null)) {
    console.log(`[eval] worker errors:\n${workers.filter((w) => w.error !== null).map((w) => `  worker ${w.worker}: ${w.error}`).join('\n')}`);
    process.exitCode = 1;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string' }, seed: { type: 'string' }, sets: { type: 'string' }, limit: { type: 'string' },
      temperature: { type: 'string' }, 'max-tokens': { type: 'string' }, workers: { type: 'string' }, 'deadline-s': { type: 'string' },
      out: { type: 'string' }, 'out-dir': { type: 'string' },
      // internal: a worker process
      worker: { type: 'string' }, part: { type: 'string' }, 'deadline-ms': { type: 'string' },
    },
  });
  const temperature = values.temperature === undefined ? DEFAULT_TEMPERATURE : Number(values.temperature);
  if (!Number.isFinite(temperature) || temperature <= 0) fail(`--temperature expected a number > 0, got '${values.temperature}'`);
  const sets = (values.sets ?? SET_NAMES.join(',')).split(',').map((name) => {
    if (!(SET_NAMES as readonly string[]).includes(name)) fail(`--sets: unknown set '${name}' (known: ${SET_NAMES.join(', ')})`);
    return name as SetName;
  });
  const opts: Options = {
    modelDir: values.model,
    seed: intOption('seed', values.seed, DEFAULT_SEED),
    sets,
    limit: intOption('limit', values.limit, 0),
    params: { temperature, maxTokens: intOption('max-tokens', values['max-tokens'], DEFAULT_MAX_TOKENS) },
    workers: Math.max(1, intOption('workers', values.workers, 1)),
    deadlineS: intOption('deadline-s', values['deadline-s'], 0),
  };
  if (values.worker !== undefined) {
    if (!/^\d+\/\d+$/.test(values.worker) || values.part === undefined || values.model === undefined) fail('--worker k/N needs --part FILE and --model DIR');
    const deadlineMs = intOption('deadline-ms', values['deadline-ms'], Number.MAX_SAFE_INTEGER);
    await workerMain(opts, values.model, values.worker, values.part, deadlineMs, buildEvalSets(opts.seed, buildHeldOut(opts.seed)));
    return;
  }
  await parentMain(opts, values);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
