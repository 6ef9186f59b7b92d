// The built-in demo model: what `wgh chat` runs when no --model is given, and what
// `wgh create-test-model --preset demo` writes. A tiny gpt-oss-architecture model (4 layers, hidden
// 128, the real o200k_harmony vocabulary) trained on synthetic Harmony conversations
// (tools/demo-model/README.md says what it can and cannot do), shipped in assets/demo-model/:
//
//   manifest.json           every file of the unpacked model: its asset, compression, bytes, sha256
//   config.json, generation_config.json
//   model.safetensors.br    3.7 MB (brotli; node:zlib has it, gzip would be 4.1 MB); 106 MB unpacked
//                           (bf16 dense + MXFP4 experts; unseen vocabulary rows are all zero, which
//                           is why it packs so well)
//   the tokenizer comes from the bundled assets/o200k_harmony.tokenizer.json.gz (+ tokenizer_config)
//
// ensureDemoModel() unpacks it on first use into
//   $XDG_CACHE_HOME/webgpu-harmony/<DEMO_MODEL_NAME>      (or ~/.cache/webgpu-harmony/…)
// through a temporary sibling folder renamed into place when complete (an interrupted or concurrent
// first run never leaves a half-written model behind), hashing each file as it is written. Every
// later call checks the sizes and sha256 of the cached files against the manifest (~0.2 s for the
// 134 MB); a damaged cache is reported through onRebuild and unpacked again.

import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress, createGunzip } from 'node:zlib';
import { ModelFormatError } from '../errors.js';
import { assetPath } from '../paths.js';

/**
 * The cache folder's name; equals the manifest's `name`. Bump it with the packaged weights so that
 * old caches are not reused (they would fail verification anyway and be unpacked again).
 */
export const DEMO_MODEL_NAME = 'demo-trained-v1';

/** What the demo model is, for banners. */
export const DEMO_MODEL_DESCRIPTION =
  'the built-in demo model (a tiny gpt-oss trained on synthetic Harmony chats: two-digit arithmetic, unit conversions, word tasks, calls to declared tools; it knows nothing else)';

/** Folders earlier versions created in the cache folder; removed once the current model is in place. */
const LEGACY_DEMO_MODEL_NAMES: readonly string[] = ['demo-tiny-random-v1'];

export const DEMO_MANIFEST_ASSET = 'demo-model/manifest.json';
export const DEMO_MANIFEST_FORMAT = 'webgpu-harmony demo model v1';
const PARTIAL_SUFFIX = '.partial';
const SHA256_PATTERN = /^[0-9a-f]{64}$/;
/** A manifest file name: one plain file in the model folder (no folders, no `..`). */
const FILE_NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
/** Hex digits of a digest shown in messages. */
const SHORT_DIGEST = 12;
export const DEMO_COMPRESSIONS = ['none', 'gzip', 'brotli'] as const;
export type DemoCompression = (typeof DEMO_COMPRESSIONS)[number];

export interface DemoModelFile {
  /** Name in the model folder (`model.safetensors`). */
  readonly path: string;
  /** Unpacked size in bytes. */
  readonly bytes: number;
  /** sha256 of the unpacked bytes, lowercase hex. */
  readonly sha256: string;
  /** Where it comes from, relative to assets/ (`demo-model/model.safetensors.br`). */
  readonly asset: string;
  /** How the asset is compressed. */
  readonly compression: DemoCompression;
}

export interface DemoManifest {
  readonly format: string;
  readonly name: string;
  readonly description: string;
  /** Where the weights come from (training run, seed, results); free-form. */
  readonly source: Readonly<Record<string, unknown>>;
  /** In writing order: config.json (what makes a folder a model) comes last. */
  readonly files: readonly DemoModelFile[];
}

export interface DemoModelOptions {
  /** Folder holding the demo model folders. Default `$XDG_CACHE_HOME/webgpu-harmony` or `~/.cache/webgpu-harmony`. */
  readonly cacheDir?: string;
  /** Called once before a first-use unpack, with the target folder. */
  readonly onCreate?: (dir: string) => void;
  /** Called when the cached copy fails verification, before it is replaced: the folder and what is wrong. */
  readonly onRebuild?: (dir: string, problems: readonly string[]) => void;
  readonly onProgress?: (doneBytes: number, totalBytes: number) => void;
}

export interface WriteDemoModelOptions {
  /** Called as unpacked bytes reach the files: (bytes so far, total unpacked bytes). */
  readonly onProgress?: (doneBytes: number, totalBytes: number) => void;
  readonly signal?: AbortSignal;
}

export interface DemoWrittenFile {
  readonly path: string;
  readonly bytes: number;
}

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env['XDG_CACHE_HOME'];
  return join(xdg !== undefined && xdg.length > 0 ? xdg : join(homedir(), '.cache'), 'webgpu-harmony');
}

const short = (digest: string): string => digest.slice(0, SHORT_DIGEST);

function manifestError(what: string): never {
  throw new ModelFormatError(`demo model: ${assetPath(DEMO_MANIFEST_ASSET)}: ${what}`, DEMO_MANIFEST_ASSET);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseManifestFile(value: unknown, fileIdx: number): DemoModelFile {
  if (!isRecord(value)) manifestError(`files[${fileIdx}] expected an object`);
  const { path, bytes, sha256, asset, compression } = value;
  if (typeof path !== 'string' || !FILE_NAME_PATTERN.test(path)) manifestError(`files[${fileIdx}].path expected a plain file name, got ${JSON.stringify(path)}`);
  if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 0) manifestError(`files[${fileIdx}].bytes expected an integer ≥ 0, got ${JSON.stringify(bytes)}`);
  if (typeof sha256 !== 'string' || !SHA256_PATTERN.test(sha256)) manifestError(`files[${fileIdx}].sha256 expected 64 lowercase hex digits, got ${JSON.stringify(sha256)}`);
  if (typeof asset !== 'string' || asset.split('/').some((part) => !FILE_NAME_PATTERN.test(part))) {
    manifestError(`files[${fileIdx}].asset expected a path under assets/, got ${JSON.stringify(asset)}`);
  }
  if (!(DEMO_COMPRESSIONS as readonly unknown[]).includes(compression)) {
    manifestError(`files[${fileIdx}].compression expected one of ${DEMO_COMPRESSIONS.join(', ')}, got ${JSON.stringify(compression)}`);
  }
  return { path, bytes, sha256, asset, compression: compression as DemoCompression };
}

/** Parses and checks a manifest (the JSON of assets/demo-model/manifest.json). */
export function parseDemoManifest(json: unknown): DemoManifest {
  if (!isRecord(json)) manifestError('expected a JSON object');
  const { format, name, description, source, files } = json;
  if (format !== DEMO_MANIFEST_FORMAT) manifestError(`format expected '${DEMO_MANIFEST_FORMAT}', got ${JSON.stringify(format)}`);
  if (typeof name !== 'string' || !FILE_NAME_PATTERN.test(name)) manifestError(`name expected a folder name, got ${JSON.stringify(name)}`);
  if (typeof description !== 'string') manifestError('description expected a string');
  if (!Array.isArray(files) || files.length === 0) manifestError('files expected a non-empty array');
  const parsed = files.map(parseManifestFile);
  const paths = parsed.map((f) => f.path);
  if (new Set(paths).size !== paths.length) manifestError(`files name a path twice (${paths.join(', ')})`);
  if (paths[paths.length - 1] !== 'config.json') manifestError(`files must end with config.json (written last), got ${paths[paths.length - 1]}`);
  return { format, name, description, source: isRecord(source) ? source : {}, files: parsed };
}

export async function readDemoManifest(): Promise<DemoManifest> {
  const file = assetPath(DEMO_MANIFEST_ASSET);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ModelFormatError(`demo model: cannot read ${file} (is the package complete?)`, DEMO_MANIFEST_ASSET, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ModelFormatError(`demo model: ${file} is not valid JSON`, DEMO_MANIFEST_ASSET, { cause: err });
  }
  const manifest = parseDemoManifest(json);
  if (manifest.name !== DEMO_MODEL_NAME) manifestError(`name expected '${DEMO_MODEL_NAME}' (DEMO_MODEL_NAME), got '${manifest.name}'`);
  return manifest;
}

export function demoModelBytes(manifest: DemoManifest): number {
  return manifest.files.reduce((sum, f) => sum + f.bytes, 0);
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * What is wrong with the model folder `dir` compared with the manifest: missing files, wrong sizes,
 * wrong sha256 (hashed only when every size is right). Empty when it is intact.
 */
export async function verifyDemoModel(dir: string, manifest: DemoManifest): Promise<string[]> {
  const problems: string[] = [];
  for (const f of manifest.files) {
    const size = await stat(join(dir, f.path)).then(
      (s) => (s.isFile() ? s.size : null),
      () => null,
    );
    if (size === null) problems.push(`${f.path} is missing`);
    else if (size !== f.bytes) problems.push(`${f.path} has ${size} bytes, expected ${f.bytes}`);
  }
  if (problems.length > 0) return problems;
  for (const f of manifest.files) {
    const digest = await sha256Of(join(dir, f.path));
    if (digest !== f.sha256) problems.push(`${f.path} has sha256 ${short(digest)}…, expected ${short(f.sha256)}…`);
  }
  return problems;
}

/** Passes chunks through, hashing and counting them. */
class Meter extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;

  constructor(private readonly onBytes: (bytes: number) => void) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.onBytes(chunk.length);
    done(null, chunk);
  }
}

/** Unpacks one file to `<path>.partial`, checks its size and sha256, renames it into place. */
async function unpackFile(outDir: string, f: DemoModelFile, onBytes: (bytes: number) => void, signal: AbortSignal | undefined): Promise<DemoWrittenFile> {
  const target = join(outDir, f.path);
  const partial = target + PARTIAL_SUFFIX;
  const source = assetPath(f.asset);
  const meter = new Meter(onBytes);
  const options = signal !== undefined ? { signal } : {};
  try {
    if (f.compression === 'none') await pipeline(createReadStream(source), meter, createWriteStream(partial), options);
    else {
      const decompress = f.compression === 'gzip' ? createGunzip() : createBrotliDecompress();
      await pipeline(createReadStream(source), decompress, meter, createWriteStream(partial), options);
    }
    const digest = meter.hash.digest('hex');
    if (meter.bytes !== f.bytes || digest !== f.sha256) {
      throw new ModelFormatError(
        `demo model: the packaged ${source} unpacks to ${meter.bytes} bytes with sha256 ${short(digest)}…, ` +
          `the manifest expects ${f.bytes} bytes with sha256 ${short(f.sha256)}… for ${f.path}: the package is damaged (reinstall webgpu-harmony)`,
        f.asset,
      );
    }
    await rename(partial, target);
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
  return { path: target, bytes: f.bytes };
}

/**
 * Writes the demo model's files into `outDir` (which must exist), each through `<name>.partial`,
 * config.json last; every file is checked against the manifest as it is written.
 */
export async function writeDemoModel(outDir: string, manifest: DemoManifest, opts: WriteDemoModelOptions = {}): Promise<DemoWrittenFile[]> {
  const totalBytes = demoModelBytes(manifest);
  let doneBytes = 0;
  const onBytes = (bytes: number) => {
    doneBytes += bytes;
    opts.onProgress?.(doneBytes, totalBytes);
  };
  const written: DemoWrittenFile[] = [];
  for (const f of manifest.files) {
    opts.signal?.throwIfAborted();
    written.push(await unpackFile(outDir, f, onBytes, opts.signal));
  }
  return written;
}

/** Moves `dir` out of the way (a unique sibling) and deletes it; nothing to do if it is gone already. */
async function discard(dir: string, cacheDir: string): Promise<void> {
  const bin = await mkdtemp(join(cacheDir, `.${DEMO_MODEL_NAME}.damaged-`));
  try {
    await rename(dir, join(bin, DEMO_MODEL_NAME));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // another process moved it first
  } finally {
    await rm(bin, { recursive: true, force: true });
  }
}

/** Returns the demo model's directory, unpacking it on first use or when the cached copy is damaged. */
export async function ensureDemoModel(opts: DemoModelOptions = {}): Promise<string> {
  const manifest = await readDemoManifest();
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  const dir = join(cacheDir, DEMO_MODEL_NAME);
  if (existsSync(dir)) {
    const problems = await verifyDemoModel(dir, manifest);
    if (problems.length === 0) return dir;
    opts.onRebuild?.(dir, problems);
    await discard(dir, cacheDir);
  } else {
    opts.onCreate?.(dir);
  }
  await mkdir(cacheDir, { recursive: true });
  const partial = await mkdtemp(join(cacheDir, `.${DEMO_MODEL_NAME}.partial-`));
  try {
    await writeDemoModel(partial, manifest, opts.onProgress !== undefined ? { onProgress: opts.onProgress } : {});
    try {
      await rename(partial, dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw err;
      // Another process put its copy in place first: use it if it is intact.
      const problems = await verifyDemoModel(dir, manifest);
      if (problems.length > 0) throw new ModelFormatError(`demo model: ${dir} appeared while unpacking and is damaged (${problems.join('; ')}); delete it and retry`, dir);
    }
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
  await Promise.all(LEGACY_DEMO_MODEL_NAMES.map((name) => rm(join(cacheDir, name), { recursive: true, force: true })));
  return dir;
}
