// Turns the outputs of a GPU training run (run-gpu.sh → $OUT) into what the repository ships:
//   assets/demo-model/          config.json, generation_config.json, model.safetensors.br, manifest.json
//                               (sha256 + bytes of every unpacked file, tokenizer included)
//   tests/fixtures/demo-model/  fixture.json, fixture.f32 (the engine-vs-transformers test)
//   bench/results/demo-model-train-<date>-<device>.json   a compact summary of summary.json
//   tools/demo-model/results/train-log-<date>.txt          the training log
//
//   node node_modules/tsx/dist/cli.mjs tools/demo-model/package.ts --run /tmp/demo-run \
//        [--date 2026-11-22] [--device h200]
//
// After a new training run, bump DEMO_MODEL_NAME in src/model/demo-model.ts first (the manifest
// takes its name from there), so that caches of the old weights are not reused.

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { brotliCompressSync, constants, gunzipSync } from 'node:zlib';
import { DEMO_MANIFEST_FORMAT, DEMO_MODEL_DESCRIPTION, DEMO_MODEL_NAME, parseDemoManifest, type DemoManifest, type DemoModelFile } from '../../src/model/demo-model.js';
import { assetPath } from '../../src/paths.js';
import { readTar } from './lib/ustar.js';

const TAR_FILE = 'demo-model.tar.gz';
const ASSET_DIR = 'demo-model';
const TOKENIZER_ASSET = 'o200k_harmony.tokenizer.json.gz';
const TOKENIZER_CONFIG_ASSET = 'o200k_harmony.tokenizer_config.json';
/** Model files in writing order: config.json last (it is what makes a folder look like a model). */
const MODEL_FILES = ['model.safetensors', 'generation_config.json', 'config.json'] as const;
/**
 * Files stored compressed in assets/ (the rest are small JSON, kept readable). Brotli at its best
 * setting packs the weights to 3.7 MB where gzip -9 gives 4.1 MB: it matters, because the working
 * tree that travels to the GPU machine is capped at 64 MiB together with the .device bundle.
 */
const COMPRESSED = new Set(['model.safetensors']);
const BROTLI_WINDOW_BITS = 24;
const FIXTURE_FILES = ['fixture.json', 'fixture.f32'] as const;
const JSON_INDENT = 1;

interface Summary {
  readonly versions: unknown;
  readonly shape: unknown;
  readonly hyper: unknown;
  readonly data: Record<string, unknown> & { manifest?: { heldOut?: unknown } };
  readonly params: unknown;
  readonly training: { steps: number; epochs: number; seconds: number; padded_tokens_seen: number; history: Record<string, unknown>[] };
  readonly valid_loss_float: unknown;
  readonly valid_loss_mxfp4: { loss: number };
  readonly export: unknown;
  readonly tar_gz_bytes: number;
  readonly quick_eval: { arithmetic: unknown; tools: unknown; samples: { item: string; ok: boolean; completion: string }[] };
  readonly total_seconds: number;
  readonly [check: string]: unknown;
}

interface ShardStats {
  readonly name: string;
  readonly sequences: number;
  readonly tokens: number;
  readonly lossTokens: number;
  readonly maxLength: number;
  readonly kinds: Record<string, number>;
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;
const writeJson = (path: string, json: unknown): void => writeFileSync(path, JSON.stringify(json, null, JSON_INDENT) + '\n');
/** A copy with default permissions (the run's outputs may be read-only). */
const copy = (from: string, to: string): void => writeFileSync(to, readFileSync(from));

function packageAssets(runDir: string, source: Record<string, unknown>): DemoManifest {
  const entries = new Map(readTar(gunzipSync(readFileSync(join(runDir, TAR_FILE)))).map((e) => [e.name, e.data]));
  const outDir = assetPath(ASSET_DIR);
  mkdirSync(outDir, { recursive: true });
  const tokenizer = gunzipSync(readFileSync(assetPath(TOKENIZER_ASSET)));
  const tokenizerConfig = readFileSync(assetPath(TOKENIZER_CONFIG_ASSET));
  const files: DemoModelFile[] = [
    { path: 'tokenizer.json', bytes: tokenizer.length, sha256: sha256(tokenizer), asset: TOKENIZER_ASSET, compression: 'gzip' },
    { path: 'tokenizer_config.json', bytes: tokenizerConfig.length, sha256: sha256(tokenizerConfig), asset: TOKENIZER_CONFIG_ASSET, compression: 'none' },
  ];
  for (const name of MODEL_FILES) {
    const data = entries.get(name);
    if (data === undefined) throw new Error(`package: ${TAR_FILE} has no ${name} (has ${[...entries.keys()].join(', ')})`);
    const compressed = COMPRESSED.has(name);
    const asset = `${ASSET_DIR}/${name}${compressed ? '.br' : ''}`;
    const brotli = () =>
      brotliCompressSync(data, {
        params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY, [constants.BROTLI_PARAM_LGWIN]: BROTLI_WINDOW_BITS, [constants.BROTLI_PARAM_SIZE_HINT]: data.length },
      });
    writeFileSync(assetPath(asset), compressed ? brotli() : data);
    files.push({ path: name, bytes: data.length, sha256: sha256(data), asset, compression: compressed ? 'brotli' : 'none' });
  }
  const manifest = parseDemoManifest({ format: DEMO_MANIFEST_FORMAT, name: DEMO_MODEL_NAME, description: DEMO_MODEL_DESCRIPTION, source, files });
  writeJson(join(outDir, 'manifest.json'), manifest);
  return manifest;
}

function sumKinds(shards: readonly ShardStats[]): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const s of shards) for (const [kind, count] of Object.entries(s.kinds)) kinds[kind] = (kinds[kind] ?? 0) + count;
  return kinds;
}

function trainSummary(runDir: string, date: string, device: string): Record<string, unknown> {
  const s = readJson<Summary>(join(runDir, 'summary.json'));
  const { shards } = readJson<{ shards: ShardStats[] }>(join(runDir, 'data-summary.json'));
  const train = shards.filter((x) => x.name.startsWith('train'));
  const valid = shards.filter((x) => x.name === 'valid');
  const { manifest: dataManifest, ...data } = s.data;
  return {
    what: 'tools/demo-model/run-gpu.sh: the trained demo model (assets/demo-model/), summary of summary.json + data-summary.json',
    date,
    device,
    versions: s.versions,
    config: s.shape,
    hyper: s.hyper,
    params: s.params,
    data: {
      ...data,
      heldOut: dataManifest?.heldOut,
      trainKinds: sumKinds(train),
      validKinds: sumKinds(valid),
      longestSequence: Math.max(...train.map((x) => x.maxLength)),
    },
    training: {
      steps: s.training.steps,
      epochs: s.training.epochs,
      seconds: s.training.seconds,
      paddedTokensSeen: s.training.padded_tokens_seen,
      loss: s.training.history.filter((h) => 'loss' in h).map((h) => [h['step'], h['loss']]),
      validLoss: s.training.history.filter((h) => 'valid' in h).map((h) => [h['step'], (h['valid'] as { loss: number }).loss]),
    },
    finalValidLoss: { float: s.valid_loss_float, mxfp4: s.valid_loss_mxfp4 },
    checks: {
      layoutProbe: s['layout_probe_after_training'],
      moePatched: s['moe_patched'],
      ropeForced: s['rope_forced'],
      forwardTransformersVsSpecInit: s['full_forward_check_init'],
      forwardTransformersVsSpecTrained: s['full_forward_check_trained'],
      exportVsTrained: s['export_vs_trained'],
      reload: s['reload'],
      reloadWeights: s['reload_weight_check'],
      fixture: s['fixture'],
    },
    export: { ...(s.export as object), tarGzBytes: s.tar_gz_bytes },
    quickEvalTransformers: {
      arithmetic: s.quick_eval.arithmetic,
      tools: s.quick_eval.tools,
      failuresShown: s.quick_eval.samples.filter((x) => !x.ok).map((x) => ({ item: x.item, completion: x.completion })),
    },
    trainPySeconds: s.total_seconds,
  };
}

function main(): void {
  const { values } = parseArgs({ options: { run: { type: 'string' }, date: { type: 'string' }, device: { type: 'string' } } });
  const runDir = values.run ?? '/tmp/demo-run';
  const date = values.date ?? new Date().toISOString().slice(0, 10);
  const device = values.device ?? 'h200';
  const summaryFile = join('bench', 'results', `demo-model-train-${date}-${device}.json`);
  const summary = trainSummary(runDir, date, device);
  writeJson(summaryFile, summary);
  const s = readJson<Summary>(join(runDir, 'summary.json'));
  const manifest = packageAssets(runDir, {
    trained: date,
    device,
    dataSeed: (s.data as { seed?: number }).seed,
    validLossMxfp4: s.valid_loss_mxfp4.loss,
    summary: summaryFile,
  });
  mkdirSync(join('tests', 'fixtures', 'demo-model'), { recursive: true });
  for (const name of FIXTURE_FILES) copy(join(runDir, name), join('tests', 'fixtures', 'demo-model', name));
  mkdirSync(join('tools', 'demo-model', 'results'), { recursive: true });
  copy(join(runDir, 'train-log.txt'), join('tools', 'demo-model', 'results', `train-log-${date}.txt`));
  for (const f of manifest.files) console.log(`${f.path.padEnd(24)} ${String(f.bytes).padStart(10)} B  ${f.sha256}  ← assets/${f.asset}`);
  console.log(`wrote assets/${ASSET_DIR}/, tests/fixtures/demo-model/, ${summaryFile}, tools/demo-model/results/train-log-${date}.txt`);
}

main();
