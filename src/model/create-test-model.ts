// Writes a random-weight gpt-oss checkpoint in the exact Hugging Face layout:
//   config.json, generation_config.json, model-0000k-of-0000N.safetensors + model.safetensors.index.json,
//   tokenizer.json + tokenizer_config.json (the real o200k_harmony, from assets/).
// Preset `demo` instead unpacks the trained demo model (src/model/demo-model.ts): the same files with
// one model.safetensors, checked against the package's sha256 manifest; the seed does not apply.
// Every preset writes shards + index (the tiny one is split in two) so the sharded path is what the
// demo and tests load; the oracle fixture covers the single-file path.
//
// Same (preset, seed) → byte-identical files. Each file is written as `<name>.partial` and renamed
// when complete, and config.json (what makes a directory look like a model) is removed first and
// written last, so an interrupted run never leaves something that looks complete.
//
// Speed and memory: bytes come from per-recipe pools (test-model-random.ts) by memcpy into one of two
// WRITE_CHUNK_BYTES buffers; while one is being written (libuv thread) the other is filled. RSS stays
// ~ pools (≤ ~100 MB) + 2 × 16 MiB whatever the model size.

import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { ConfigError } from '../errors.js';
import { assetPath } from '../paths.js';
import { CONFIG_FILE } from './config.js';
import { INDEX_FILE } from './checkpoint.js';
import { demoModelBytes, readDemoManifest, writeDemoModel } from './demo-model.js';
import { SEGMENT_BYTES, type Recipe, type SignFlip, hashSeed, makePool, makeSignPool, poolBytesFor, recipeAlign, recipeKey, tensorSlices } from './test-model-random.js';
import {
  CREATE_TEST_MODEL_PRESETS,
  DEMO_PRESET,
  indexJson,
  planTestModel,
  testModelGenerationConfigJson,
  type PlannedShard,
  type CreateTestModelPreset,
  type TestModelPlan,
} from './test-model-plan.js';

/** Size of each of the two write buffers. */
const WRITE_CHUNK_BYTES = 16 * 1024 * 1024;
const PARTIAL_SUFFIX = '.partial';
const TOKENIZER_ASSET = 'o200k_harmony.tokenizer.json.gz';
const TOKENIZER_CONFIG_ASSET = 'o200k_harmony.tokenizer_config.json';
const JSON_INDENT = 2;
/** How many unexpected file names a refusal lists. */
const MAX_FOREIGN_SHOWN = 5;

export interface CreateTestModelOptions {
  readonly outDir: string;
  /** Default 'tiny'. */
  readonly preset?: CreateTestModelPreset;
  /** A non-negative integer; default 0. Ignored by 'demo' (trained weights). */
  readonly seed?: number;
  /** Called as shard bytes reach the file: (bytes written so far, total shard bytes). */
  readonly onProgress?: (doneBytes: number, totalBytes: number) => void;
  readonly signal?: AbortSignal;
}

export interface WrittenFile {
  readonly path: string;
  readonly bytes: number;
}

export interface TestModelSummary {
  readonly outDir: string;
  readonly preset: CreateTestModelPreset;
  /** 0 for 'demo'. */
  readonly seed: number;
  readonly files: readonly WrittenFile[];
  /** Sum of all written file sizes (shards, index, configs, tokenizer). */
  readonly totalBytes: number;
  /** Shard bytes only (what the weight generator produced; for 'demo', model.safetensors). */
  readonly shardBytes: number;
  readonly seconds: number;
  /** shardBytes / seconds. */
  readonly bytesPerSecond: number;
}

async function writeAll(fh: FileHandle, buf: Uint8Array, length: number, position: number): Promise<void> {
  for (let done = 0; done < length; ) {
    const { bytesWritten } = await fh.write(buf, done, length - done, position + done);
    done += bytesWritten;
  }
}

/** Sequential writer with two buffers: fill one while the other is on its way to the file. */
class DoubleBufferedWriter {
  private readonly buffers = [new Uint8Array(WRITE_CHUNK_BYTES), new Uint8Array(WRITE_CHUNK_BYTES)];
  private readonly inFlight: (Promise<void> | null)[] = [null, null];
  private current = 0;
  private filled = 0;
  private position = 0;

  constructor(
    private readonly fh: FileHandle,
    private readonly onWritten: (bytes: number) => void,
    private readonly signal: AbortSignal | undefined,
  ) {}

  async append(src: Uint8Array): Promise<void> {
    for (let srcOffset = 0; srcOffset < src.length; ) {
      const n = Math.min(src.length - srcOffset, WRITE_CHUNK_BYTES - this.filled);
      this.buffers[this.current].set(src.subarray(srcOffset, srcOffset + n), this.filled);
      this.filled += n;
      srcOffset += n;
      if (this.filled === WRITE_CHUNK_BYTES) await this.flush();
    }
  }

  private async flush(): Promise<void> {
    this.signal?.throwIfAborted();
    if (this.filled === 0) return;
    const length = this.filled;
    const write = writeAll(this.fh, this.buffers[this.current], length, this.position).then(() => this.onWritten(length));
    write.catch(() => undefined); // awaited below or in close(); avoid an unhandled-rejection report meanwhile
    this.inFlight[this.current] = write;
    this.position += length;
    this.current ^= 1;
    this.filled = 0;
    const previous = this.inFlight[this.current];
    this.inFlight[this.current] = null;
    if (previous) await previous; // the buffer we are about to fill must be on disk first
  }

  async close(): Promise<void> {
    await this.flush();
    await Promise.all(this.inFlight);
  }

  /** Waits for writes still in flight, ignoring their errors (the file is being abandoned). */
  async settle(): Promise<void> {
    await Promise.allSettled(this.inFlight);
  }
}

/** One pool per recipe, made on first use, sized by the largest tensor of that recipe in the plan. */
class Pools {
  private readonly pools = new Map<string, Uint8Array>();
  private readonly maxTensorBytes = new Map<string, number>();

  constructor(
    plan: TestModelPlan,
    private readonly seed: number,
  ) {
    for (const t of plan.tensors) {
      const key = recipeKey(t.recipe);
      this.maxTensorBytes.set(key, Math.max(this.maxTensorBytes.get(key) ?? 0, t.byteLength));
    }
  }

  private signFlipState: SignFlip | undefined;

  /** Sign flipping for zero-mean bf16 recipes (see SignFlip); undefined for the others. */
  signFlip(recipe: Recipe): SignFlip | undefined {
    if (recipe.kind !== 'bf16-normal' || recipe.mean !== 0) return undefined;
    this.signFlipState ??= { signPool: makeSignPool(this.seed), scratch: new Uint8Array(SEGMENT_BYTES) };
    return this.signFlipState;
  }

  get(recipe: Recipe): Uint8Array {
    const key = recipeKey(recipe);
    let pool = this.pools.get(key);
    if (pool === undefined) {
      pool = makePool(recipe, this.seed, poolBytesFor(this.maxTensorBytes.get(key) ?? 0));
      this.pools.set(key, pool);
    }
    return pool;
  }
}

/** Writes to `<path>.partial`, then renames; removes the partial file on failure. */
async function atomically(path: string, write: (partial: string) => Promise<void>): Promise<WrittenFile> {
  const partial = path + PARTIAL_SUFFIX;
  try {
    await write(partial);
    await rename(partial, path);
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
  return { path, bytes: (await stat(path)).size };
}

const writeJson = (path: string, json: unknown): Promise<WrittenFile> =>
  atomically(path, (partial) => writeFile(partial, JSON.stringify(json, null, JSON_INDENT) + '\n'));

/** Names create-test-model writes (shards match SHARD_FILE_PATTERN), each possibly with PARTIAL_SUFFIX. */
const OWN_FILES = new Set([CONFIG_FILE, 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', INDEX_FILE]);
const SHARD_FILE_PATTERN = /^model-\d{5}-of-\d{5}\.safetensors$/;
/** The demo preset's single weights file: ours only at the demo model's exact size (else someone's checkpoint). */
const SINGLE_FILE = 'model.safetensors';

async function isDemoWeights(path: string): Promise<boolean> {
  const demo = (await readDemoManifest()).files.find((f) => f.path === SINGLE_FILE);
  return demo !== undefined && (await stat(path)).size === demo.bytes;
}

/**
 * Creates `outDir`, or reuses it if it only holds files create-test-model writes (a previous test
 * model): then its config.json goes first (the directory is not a model until config.json is back,
 * written last) and weights of another layout are removed (shards not in `shardNames`; the index and
 * shards when `shardNames` is empty, i.e. the demo's single file; a demo model.safetensors otherwise).
 * Any other file (a real model's README, original/, its model.safetensors…) makes it refuse, so it
 * never overwrites someone's checkpoint.
 */
async function prepareOutDir(outDir: string, shardNames: ReadonlySet<string>): Promise<void> {
  await mkdir(outDir, { recursive: true });
  const entries = await readdir(outDir);
  const base = (name: string) => (name.endsWith(PARTIAL_SUFFIX) ? name.slice(0, -PARTIAL_SUFFIX.length) : name);
  const ownSingle = entries.includes(SINGLE_FILE) && (await isDemoWeights(join(outDir, SINGLE_FILE)));
  const isOwn = (name: string) =>
    OWN_FILES.has(base(name)) || SHARD_FILE_PATTERN.test(base(name)) || (base(name) === SINGLE_FILE && (name !== SINGLE_FILE || ownSingle));
  const foreign = entries.filter((name) => !isOwn(name));
  if (foreign.length > 0) {
    const shown = foreign.slice(0, MAX_FOREIGN_SHOWN).join(', ') + (foreign.length > MAX_FOREIGN_SHOWN ? ', …' : '');
    throw new ConfigError(
      `create-test-model: --out ${outDir} holds files that create-test-model does not write (${shown}); ` +
        'give an empty or new directory, or one written by create-test-model before',
    );
  }
  await rm(join(outDir, CONFIG_FILE), { force: true });
  const single = shardNames.size === 0;
  const stale = entries.filter(
    (name) =>
      name.endsWith(PARTIAL_SUFFIX) ||
      (SHARD_FILE_PATTERN.test(name) && !shardNames.has(name)) ||
      (name === INDEX_FILE && single) ||
      (name === SINGLE_FILE && !single),
  );
  await Promise.all(stale.map((name) => rm(join(outDir, name), { force: true })));
}

export async function createTestModel(opts: CreateTestModelOptions): Promise<TestModelSummary> {
  const preset = opts.preset ?? 'tiny';
  const seed = opts.seed ?? 0;
  if (!(CREATE_TEST_MODEL_PRESETS as readonly string[]).includes(preset)) {
    throw new ConfigError(`create-test-model: --preset expected one of ${CREATE_TEST_MODEL_PRESETS.join(', ')}, got '${preset}'`);
  }
  if (preset === DEMO_PRESET) return createDemoModel(opts);
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new ConfigError(`create-test-model: --seed expected an integer ≥ 0, got ${seed}`);
  }
  const startMs = performance.now();
  const plan = planTestModel(preset);
  const { outDir, signal } = opts;
  await prepareOutDir(outDir, new Set(plan.shards.map((s) => s.fileName)));

  const files: WrittenFile[] = [];
  files.push(await atomically(join(outDir, 'tokenizer.json'), (p) => pipeline(createReadStream(assetPath(TOKENIZER_ASSET)), createGunzip(), createWriteStream(p))));
  files.push(await atomically(join(outDir, 'tokenizer_config.json'), (p) => pipeline(createReadStream(assetPath(TOKENIZER_CONFIG_ASSET)), createWriteStream(p))));

  const pools = new Pools(plan, seed);
  let doneBytes = 0;
  const onWritten = (bytes: number) => {
    doneBytes += bytes;
    opts.onProgress?.(doneBytes, plan.shardBytes);
  };
  for (const shard of plan.shards) {
    signal?.throwIfAborted();
    files.push(await atomically(join(outDir, shard.fileName), (p) => writeShard(p, shard, seed, pools, onWritten, signal)));
  }
  files.push(await writeJson(join(outDir, INDEX_FILE), indexJson(plan)));
  files.push(await writeJson(join(outDir, 'generation_config.json'), testModelGenerationConfigJson()));
  files.push(await writeJson(join(outDir, CONFIG_FILE), plan.configJson));

  const seconds = (performance.now() - startMs) / 1000;
  const totalBytes = files.reduce((a, f) => a + f.bytes, 0);
  return { outDir, preset, seed, files, totalBytes, shardBytes: plan.shardBytes, seconds, bytesPerSecond: plan.shardBytes / seconds };
}

/** Preset 'demo': the trained demo model's files, unpacked from assets/ and checked against its manifest. */
async function createDemoModel(opts: CreateTestModelOptions): Promise<TestModelSummary> {
  const startMs = performance.now();
  const manifest = await readDemoManifest();
  await prepareOutDir(opts.outDir, new Set());
  const files = await writeDemoModel(opts.outDir, manifest, {
    ...(opts.onProgress !== undefined ? { onProgress: opts.onProgress } : {}),
    ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
  });
  const seconds = (performance.now() - startMs) / 1000;
  const weightBytes = manifest.files.find((f) => f.path === SINGLE_FILE)?.bytes ?? 0;
  return { outDir: opts.outDir, preset: DEMO_PRESET, seed: 0, files, totalBytes: demoModelBytes(manifest), shardBytes: weightBytes, seconds, bytesPerSecond: weightBytes / seconds };
}

async function writeShard(
  path: string,
  shard: PlannedShard,
  seed: number,
  pools: Pools,
  onWritten: (bytes: number) => void,
  signal: AbortSignal | undefined,
): Promise<void> {
  const fh = await open(path, 'w');
  const writer = new DoubleBufferedWriter(fh, onWritten, signal);
  try {
    await writer.append(shard.header);
    for (const t of shard.tensors) {
      signal?.throwIfAborted();
      const slices = tensorSlices(pools.get(t.recipe), recipeAlign(t.recipe), t.byteLength, hashSeed(seed, t.name), pools.signFlip(t.recipe));
      for (const slice of slices) {
        await writer.append(slice);
      }
    }
    await writer.close();
    signal?.throwIfAborted(); // an aborted run never renames a shard into place
  } finally {
    await writer.settle();
    await fh.close();
  }
}
