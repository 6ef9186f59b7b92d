// ensureDemoModel: created once into the cache folder, atomically; an interrupted earlier attempt
// is replaced; XDG_CACHE_HOME is honoured.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultCacheDir, DEMO_MODEL_NAME, ensureDemoModel } from '../../src/model/demo-model.js';

describe('ensureDemoModel', () => {
  it('creates the tiny model on first use, then reuses it', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'wgh-demo-'));
    const created: string[] = [];
    const dir = await ensureDemoModel({ cacheDir, onCreate: (d) => created.push(d) });
    expect(dir).toBe(join(cacheDir, DEMO_MODEL_NAME));
    expect(created).toEqual([dir]);
    expect(existsSync(join(dir, 'config.json'))).toBe(true);
    expect(existsSync(join(dir, 'tokenizer.json'))).toBe(true);
    const mtime = statSync(join(dir, 'config.json')).mtimeMs;
    expect(await ensureDemoModel({ cacheDir, onCreate: (d) => created.push(d) })).toBe(dir);
    expect(created).toHaveLength(1);
    expect(statSync(join(dir, 'config.json')).mtimeMs).toBe(mtime);
    expect(readdirSync(cacheDir)).toEqual([DEMO_MODEL_NAME]); // no temporary folder left
  });

  it('replaces a folder left by an interrupted attempt (no config.json)', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'wgh-demo-'));
    mkdirSync(join(cacheDir, DEMO_MODEL_NAME));
    writeFileSync(join(cacheDir, DEMO_MODEL_NAME, 'model-00001-of-00002.safetensors'), 'half');
    const dir = await ensureDemoModel({ cacheDir });
    expect(existsSync(join(dir, 'config.json'))).toBe(true);
    expect(statSync(join(dir, 'model-00001-of-00002.safetensors')).size).toBeGreaterThan(4);
  });

  it('the cache folder follows XDG_CACHE_HOME, else ~/.cache', () => {
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/x/cache' })).toBe('/x/cache/webgpu-harmony');
    expect(defaultCacheDir({})).toBe(join(homedir(), '.cache', 'webgpu-harmony'));
  });
});
