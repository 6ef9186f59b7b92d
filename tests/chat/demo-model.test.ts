// ensureDemoModel: the trained demo model is unpacked once into the cache folder, atomically, and
// checked against the package's sha256 manifest on every use; a damaged cache (flipped byte,
// truncated or missing file, folder of an interrupted attempt) is reported and unpacked again;
// XDG_CACHE_HOME is honoured. Also the manifest itself and `create-test-model --preset demo`.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCreateTestModelCommand } from '../../src/cli/create-test-model.js';
import { ConfigError, ModelFormatError } from '../../src/errors.js';
import { createTestModel } from '../../src/model/create-test-model.js';
import {
  DEMO_MODEL_DESCRIPTION,
  DEMO_MODEL_NAME,
  defaultCacheDir,
  ensureDemoModel,
  parseDemoManifest,
  readDemoManifest,
  verifyDemoModel,
  type DemoManifest,
} from '../../src/model/demo-model.js';
import { CREATE_TEST_MODEL_PRESETS, TEST_MODEL_PRESETS, planTestModel } from '../../src/model/test-model-plan.js';
import { assetPath } from '../../src/paths.js';

/** Where the byte flipped in the corruption test sits: past the safetensors header, inside the weights. */
const FLIP_OFFSET = 50_000_000;
const MODEL_FILES = ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'];
/** The package must stay small: the weights asset is 3.7 MB (brotli; zero rows for unseen ids). */
const MAX_WEIGHTS_ASSET_BYTES = 4_000_000;

const temps: string[] = [];
const tempDir = (label: string) => {
  const dir = mkdtempSync(join(tmpdir(), `wgh-demo-${label}-`));
  temps.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

let manifest: DemoManifest;
let cacheDir: string;
let dir: string;
const created: string[] = [];
beforeAll(async () => {
  manifest = await readDemoManifest();
  cacheDir = tempDir('cache');
  dir = await ensureDemoModel({ cacheDir, onCreate: (d) => created.push(d) });
});

describe('the packaged demo model', () => {
  it('manifest: named DEMO_MODEL_NAME, every file of the model with its size and sha256; not the random model', () => {
    expect(manifest.name).toBe(DEMO_MODEL_NAME);
    expect(DEMO_MODEL_NAME).not.toContain('random');
    expect(DEMO_MODEL_DESCRIPTION).not.toContain('random');
    expect(manifest.files.map((f) => f.path).sort()).toEqual(MODEL_FILES);
    expect(manifest.files[manifest.files.length - 1].path).toBe('config.json');
    const weights = manifest.files.find((f) => f.path === 'model.safetensors');
    expect(weights?.compression).toBe('brotli');
    expect(statSync(assetPath(weights?.asset ?? '')).size).toBeLessThan(MAX_WEIGHTS_ASSET_BYTES);
  });

  it('manifest validation rejects unsafe paths, bad digests and a config.json that is not last', () => {
    const good = JSON.parse(readFileSync(assetPath('demo-model/manifest.json'), 'utf8')) as { files: Record<string, unknown>[] };
    const withFile = (patch: Record<string, unknown>, fileIdx = 0) => ({ ...good, files: good.files.map((f, i) => (i === fileIdx ? { ...f, ...patch } : f)) });
    expect(() => parseDemoManifest(withFile({ path: '../evil' }))).toThrow(/files\[0\]\.path expected a plain file name/);
    expect(() => parseDemoManifest(withFile({ asset: '../../etc/passwd' }))).toThrow(/files\[0\]\.asset/);
    expect(() => parseDemoManifest(withFile({ sha256: 'abc' }))).toThrow(/files\[0\]\.sha256/);
    expect(() => parseDemoManifest({ ...good, files: [...good.files].reverse() })).toThrow(/must end with config.json/);
    expect(() => parseDemoManifest({ ...good, format: 'other' })).toThrow(ModelFormatError);
  });
});

describe('ensureDemoModel', () => {
  it('unpacks the trained model on first use (files equal to the manifest), then reuses it', async () => {
    expect(dir).toBe(join(cacheDir, DEMO_MODEL_NAME));
    expect(created).toEqual([dir]);
    expect(readdirSync(dir).sort()).toEqual(MODEL_FILES);
    for (const f of manifest.files) expect(sha256(join(dir, f.path)), f.path).toBe(f.sha256);
    const mtime = statSync(join(dir, 'model.safetensors')).mtimeMs;
    expect(await ensureDemoModel({ cacheDir, onCreate: (d) => created.push(d), onRebuild: () => created.push('rebuild') })).toBe(dir);
    expect(created).toHaveLength(1);
    expect(statSync(join(dir, 'model.safetensors')).mtimeMs).toBe(mtime);
    expect(readdirSync(cacheDir)).toEqual([DEMO_MODEL_NAME]); // no temporary folder left
  });

  it.each([
    ['a flipped byte in the weights', (d: string) => {
      const bytes = readFileSync(join(d, 'model.safetensors'));
      bytes[FLIP_OFFSET] ^= 1;
      writeFileSync(join(d, 'model.safetensors'), bytes);
    }, /model\.safetensors has sha256 [0-9a-f]{12}…, expected d6dee5e8b0d6…/],
    ['a truncated tokenizer', (d: string) => truncateSync(join(d, 'tokenizer.json'), 1000), /tokenizer\.json has 1000 bytes, expected 27868174/],
    ['a missing config.json', (d: string) => rmSync(join(d, 'config.json')), /config\.json is missing/],
  ])('a damaged cache (%s) is reported and unpacked again', async (_label, damage, problem) => {
    const cache = tempDir('damaged');
    const first = await ensureDemoModel({ cacheDir: cache });
    damage(first);
    const reports: string[][] = [];
    expect(await ensureDemoModel({ cacheDir: cache, onRebuild: (_d, problems) => reports.push([...problems]), onCreate: () => reports.push(['create']) })).toBe(first);
    expect(reports).toHaveLength(1);
    expect(reports[0].join('; ')).toMatch(problem);
    expect(await verifyDemoModel(first, manifest)).toEqual([]);
    expect(readdirSync(cache)).toEqual([DEMO_MODEL_NAME]);
  });

  it('replaces a folder left by an interrupted attempt and removes the old random demo model', async () => {
    const cache = tempDir('interrupted');
    mkdirSync(join(cache, DEMO_MODEL_NAME));
    writeFileSync(join(cache, DEMO_MODEL_NAME, 'model-00001-of-00002.safetensors'), 'half');
    mkdirSync(join(cache, 'demo-tiny-random-v1'));
    writeFileSync(join(cache, 'demo-tiny-random-v1', 'config.json'), '{}');
    const problems: string[] = [];
    const got = await ensureDemoModel({ cacheDir: cache, onRebuild: (_d, p) => problems.push(...p) });
    expect(problems).toContain('config.json is missing');
    expect(readdirSync(got).sort()).toEqual(MODEL_FILES);
    expect(readdirSync(cache)).toEqual([DEMO_MODEL_NAME]);
  });

  it('two first uses at once both get an intact model', async () => {
    const cache = tempDir('concurrent');
    const [a, b] = await Promise.all([ensureDemoModel({ cacheDir: cache }), ensureDemoModel({ cacheDir: cache })]);
    expect(a).toBe(b);
    expect(await verifyDemoModel(a, manifest)).toEqual([]);
    expect(readdirSync(cache)).toEqual([DEMO_MODEL_NAME]);
  });

  it('the cache folder follows XDG_CACHE_HOME, else ~/.cache', () => {
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/x/cache' })).toBe('/x/cache/webgpu-harmony');
    expect(defaultCacheDir({})).toBe(join(homedir(), '.cache', 'webgpu-harmony'));
  });
});

describe('create-test-model --preset demo', () => {
  it('writes the demo model; the random presets stay plannable', async () => {
    expect(CREATE_TEST_MODEL_PRESETS).toEqual([...TEST_MODEL_PRESETS, 'demo']);
    for (const preset of TEST_MODEL_PRESETS) expect(planTestModel(preset).preset).toBe(preset);
    const out = join(tempDir('out'), 'demo');
    const summary = await createTestModel({ outDir: out, preset: 'demo' });
    expect(summary.preset).toBe('demo');
    expect(summary.files.map((f) => f.path).sort()).toEqual(MODEL_FILES.map((name) => join(out, name)));
    expect(await verifyDemoModel(out, manifest)).toEqual([]);
  });

  it('over a tiny test model it removes the shards and index; a tiny model over it removes model.safetensors', async () => {
    const out = tempDir('switch');
    await createTestModel({ outDir: out, preset: 'tiny' });
    await createTestModel({ outDir: out, preset: 'demo' });
    expect(readdirSync(out).sort()).toEqual(MODEL_FILES);
    await createTestModel({ outDir: out, preset: 'tiny' });
    expect(existsSync(join(out, 'model.safetensors'))).toBe(false);
    expect(existsSync(join(out, 'model.safetensors.index.json'))).toBe(true);
  });

  it('wgh create-test-model --preset demo --out DIR: progress, summary; --seed is refused', async () => {
    const out = join(tempDir('cli'), 'demo');
    let stdout = '';
    let stderr = '';
    const program = new Command().exitOverride();
    registerCreateTestModelCommand(program, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
    await program.parseAsync(['create-test-model', '--preset', 'demo', '--out', out], { from: 'user' });
    expect(stdout).toContain(`wrote the trained demo model (${DEMO_MODEL_NAME}) to ${out}:`);
    expect(stdout).toContain(join(out, 'model.safetensors'));
    expect(stderr).toMatch(/create-test-model demo\s+100%/);
    expect(await verifyDemoModel(out, manifest)).toEqual([]);
    const again = new Command().exitOverride();
    registerCreateTestModelCommand(again, { stdout: { write: () => true }, stderr: { write: () => true } });
    await expect(again.parseAsync(['create-test-model', '--preset', 'demo', '--seed', '3', '--out', out], { from: 'user' })).rejects.toThrow(/--seed does not apply to --preset demo/);
  });

  it('never overwrites a model.safetensors it did not write', async () => {
    const out = tempDir('foreign');
    writeFileSync(join(out, 'model.safetensors'), 'someone else’s checkpoint');
    await expect(createTestModel({ outDir: out, preset: 'demo' })).rejects.toThrow(ConfigError);
    expect(readFileSync(join(out, 'model.safetensors'), 'utf8')).toBe('someone else’s checkpoint');
  });
});
