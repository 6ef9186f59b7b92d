// `wgh serve` takes generate's generation flags (src/cli/options.ts addGenerationOptions):
// --max-kv-size, --kv-keep, --stop. A bad value is one `wgh: …` line and exit code 1, before the
// server listens; good values take effect on the real tiny random-weight model (lavapipe): every
// id a stop id → each route stops after its first token with finish reason "stop"; the cache
// rotates (the artifacts' timing.csv records max_kv_size).

import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestModel } from '../../src/model/create-test-model.js';
import { postJson } from '../server/helpers.js';
import { spawnServe, type ServeProcess } from '../server/spawn.js';
import { runCli } from '../helpers/cli.js';

const MODEL = 'tiny';
/** Below the tiny model's vocabulary (the real o200k_harmony size, V = 201088) and above every id it samples. */
const NUM_STOP_IDS = 201_088;
const MAX_KV_SIZE = 64;
const KV_KEEP = 8;
const EXIT_TIMEOUT_MS = 30_000;

describe('wgh serve --max-kv-size / --kv-keep / --stop', () => {
  let root: string;
  let modelDir: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'wgh-serve-flags-'));
    modelDir = join(root, MODEL);
    await createTestModel({ outDir: modelDir, preset: 'tiny', seed: 0 });
    writeFileSync(join(root, 'all-ids.json'), JSON.stringify(Array.from({ length: NUM_STOP_IDS }, (_, id) => id)));
  });

  it.each([
    ['a non-integer --max-kv-size', ['--max-kv-size', 'x'], /^wgh: --max-kv-size: expected an integer >= 0, got 'x'$/],
    ['a negative --kv-keep', ['--max-kv-size', '64', '--kv-keep', '-1'], /^wgh: --kv-keep: expected an integer >= 0, got '-1'$/],
    ['--max-kv-size not above the default --kv-keep', ['--max-kv-size', '4'], /^wgh: --max-kv-size: expected more than --kv-keep 4 \(its default\), or 0 for no rotation .*got 4$/],
    ['--max-kv-size not above --kv-keep', ['--max-kv-size', '16', '--kv-keep', '16'], /^wgh: --max-kv-size: expected more than --kv-keep 16, .*got 16$/],
    ['--kv-keep without rotation', ['--kv-keep', '8'], /^wgh: --kv-keep: only a rotating cache keeps positions; give --max-kv-size N \(N > 8\) too$/],
    ['a stop id that is not an integer', ['--stop', '200002,x'], /^wgh: --stop: item 1 is "x", expected a token id \(integer >= 0\)$/],
    ['a stop id past the vocabulary', ['--stop', '5,300000'], /^wgh: --stop: item 1 is 300000, expected a token id below the vocabulary size V=201088$/],
    ['a missing stop file', ['--stop', '@/nonexistent/ids.json'], /^wgh: --stop: cannot read \/nonexistent\/ids\.json: /],
  ])('%s: one error line, exit code 1, never listens', async (_, flags, message) => {
    const r = await runCli(['serve', '--model', modelDir, '--port', '0', '--no-artifacts', ...flags], { timeoutMs: EXIT_TIMEOUT_MS, env: { XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' } });
    expect(r.code).toBe(1);
    expect(r.stdout).not.toMatch(/listening on/);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });

  describe('in effect', () => {
    let srv: ServeProcess;
    let runsDir: string;

    beforeAll(async () => {
      runsDir = join(root, 'runs');
      srv = await spawnServe([
        '--model', modelDir, '--port', '0', '--runs-dir', runsDir, '--context', '512', '--no-warmup',
        '--max-kv-size', String(MAX_KV_SIZE), '--kv-keep', String(KV_KEEP), '--stop', `@${join(root, 'all-ids.json')}`,
      ]);
      await srv.ready();
    });
    afterAll(async () => srv?.stop());

    it('the start-up log states the cache policy and the stop ids', () => {
      expect(srv.stderr()).toMatch(new RegExp(`KV cache rotates beyond ${MAX_KV_SIZE} positions \\(keeps ${KV_KEEP}\\); stop ids ${NUM_STOP_IDS} given`));
    });

    it('every route stops at the first token (a --stop id) with finish reason stop; the cache rotates past --max-kv-size', async () => {
      const openai = new OpenAI({ baseURL: `${srv.url}/v1`, apiKey: 'x', maxRetries: 0 });
      // A raw prompt longer than the rotating window: prefilled through the rotation.
      const completion = await openai.completions.create({ model: MODEL, prompt: 'word '.repeat(2 * MAX_KV_SIZE), max_tokens: 8 });
      expect(completion.choices[0]).toMatchObject({ text: '', finish_reason: 'stop' });
      expect(completion.usage?.completion_tokens).toBe(1);
      const chat = await openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Hello' }], max_tokens: 8 });
      expect(chat.choices[0]).toMatchObject({ finish_reason: 'stop', message: { content: '' } });
      expect(chat.usage?.prompt_tokens).toBeGreaterThan(MAX_KV_SIZE / 2);
      const ollama = await postJson(`${srv.url}/api/chat`, { model: MODEL, messages: [{ role: 'user', content: 'Hello' }], stream: false, options: { num_predict: 8 } });
      expect(ollama.json).toMatchObject({ done: true, done_reason: 'stop', message: { content: '' } });

      const [header, ...rows] = await timingRows(runsDir, 3);
      const column = (name: string) => rows.map((row) => row[header.indexOf(name)]);
      expect(column('max_kv_size')).toEqual(['64', '64', '64']);
      expect(column('stop_reason')[0]).toMatch(/^stop_token:\d+$/); // the raw route stops in the generator
      expect(Number(column('kv_len')[0])).toBeGreaterThan(MAX_KV_SIZE);
    });
  });
});

/** The rows of the run's timing.csv once it has `numRows` (artifacts are written after the reply). */
async function timingRows(runsDir: string, numRows: number): Promise<string[][]> {
  for (let tries = 0; ; tries++) {
    const [run] = readdirSync(runsDir);
    const file = join(runsDir, run, 'metrics', 'server', 'timing.csv');
    const lines = existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : [];
    if (lines.length > numRows || tries > 200) return lines.map((line) => line.split(','));
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
