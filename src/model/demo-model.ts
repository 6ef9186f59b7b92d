// Where `wgh chat` finds its built-in demo model when no --model is given. Today: the tiny
// random-weight preset (real o200k_harmony tokenizer, nonsense output), generated on first use into
//   $XDG_CACHE_HOME/webgpu-harmony/demo-tiny-random-v1     (or ~/.cache/webgpu-harmony/…)
// in a temporary sibling folder that is renamed into place when complete, so an interrupted or
// concurrent first run never leaves a half-written model behind. A later version may download or
// unpack a small trained model instead; callers only use ensureDemoModel().

import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createTestModel } from './create-test-model.js';

/** Bump when the demo model's contents change, so old caches are not reused. */
export const DEMO_MODEL_NAME = 'demo-tiny-random-v1';
const DEMO_SEED = 0;

export interface DemoModelOptions {
  /** Folder holding the demo model folders. Default `$XDG_CACHE_HOME/webgpu-harmony` or `~/.cache/webgpu-harmony`. */
  readonly cacheDir?: string;
  /** Called once before a first-use generation, with the target folder. */
  readonly onCreate?: (dir: string) => void;
  readonly onProgress?: (doneBytes: number, totalBytes: number) => void;
}

/** What the demo model is, for banners. */
export const DEMO_MODEL_DESCRIPTION = 'the built-in demo model (tiny, random weights: it runs the whole pipeline but its answers are noise)';

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env['XDG_CACHE_HOME'];
  return join(xdg !== undefined && xdg.length > 0 ? xdg : join(homedir(), '.cache'), 'webgpu-harmony');
}

/** Returns the demo model's directory, creating it on first use. */
export async function ensureDemoModel(opts: DemoModelOptions = {}): Promise<string> {
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  const dir = join(cacheDir, DEMO_MODEL_NAME);
  if (existsSync(join(dir, 'config.json'))) return dir;
  await mkdir(cacheDir, { recursive: true });
  opts.onCreate?.(dir);
  const partial = join(cacheDir, `.${DEMO_MODEL_NAME}.partial-${process.pid}`);
  await rm(partial, { recursive: true, force: true });
  try {
    await createTestModel({ outDir: partial, preset: 'tiny', seed: DEMO_SEED, ...(opts.onProgress !== undefined ? { onProgress: opts.onProgress } : {}) });
    try {
      await rename(partial, dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw err;
      if (!existsSync(join(dir, 'config.json'))) {
        // A folder without config.json is an interrupted older attempt: replace it.
        await rm(dir, { recursive: true, force: true });
        await rename(partial, dir);
      } // else another process finished first: use its copy
    }
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
  return dir;
}
