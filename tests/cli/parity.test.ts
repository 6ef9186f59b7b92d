// Parity (the serve issue's point 3): for the same conversation, parameters and seed,
// `wgh chat --prompts F` on the local engine and `wgh chat --prompts F --server URL` against
// `wgh serve` print the same replies and write the same artifacts under logs/cli (token ids,
// prompt text, raw and cleaned completions, parse, retry decisions) and the same timing.csv but
// for its timing columns. Two attempts per reply, so the `resume` (continuation) path is covered.

import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TIMING_COLUMNS } from '../../src/chat/artifacts.js';
import { createTestModel } from '../../src/model/create-test-model.js';
import { runCli } from '../helpers/cli.js';
import { spawnServe, type ServeProcess } from '../server/spawn.js';

const TIMING_ONLY = new Set(['prefill_s', 'ttft_s', 'decode_s', 'decode_tps', 'wall_s', 'artifact_ms']);
const CONTEXT = '1024';
const CHAT_FLAGS = ['--max-tokens', '6', '--seed', '5', '--temperature', '0.8', '--max-attempts', '2', '--max-context-tokens', CONTEXT, '--quiet'];

function runDir(runsDir: string): string {
  const runs = readdirSync(runsDir);
  expect(runs).toHaveLength(1);
  return join(runsDir, runs[0]);
}

function untimedCsv(file: string): string[][] {
  const [header, ...rows] = readFileSync(file, 'utf8').trim().split('\n').map((line) => line.split(','));
  expect(header).toEqual([...TIMING_COLUMNS]);
  return rows.map((row) => row.filter((_, colIdx) => !TIMING_ONLY.has(header[colIdx])));
}

describe('parity: wgh chat locally and through wgh serve', () => {
  let root: string;
  let model: string;
  let srv: ServeProcess | undefined;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'wgh-parity-'));
    model = join(root, 'tiny');
    await createTestModel({ outDir: model, preset: 'tiny', seed: 0 });
    writeFileSync(join(root, 'prompts.txt'), 'Hello there\nWhat is 2+2?\n');
  });
  afterAll(async () => srv?.stop());

  it('same replies, same logs/cli artifacts, same timing.csv but timings', async () => {
    const prompts = join(root, 'prompts.txt');
    const local = await runCli(['chat', '--model', model, '--prompts', prompts, '--runs-dir', join(root, 'local'), ...CHAT_FLAGS], { timeoutMs: 120_000 });
    expect(local.code, local.stderr).toBe(0);

    expect(local.stdout).toContain('› What is 2+2?');
    const localLogs = join(runDir(join(root, 'local')), 'logs', 'cli');
    const names = readdirSync(localLogs).sort();
    expect(names).toContain('prompt.tokens.1.2.json'); // a resumed attempt: the continuation goes through the server too
    const csv = (dir: string) => untimedCsv(join(dir, '..', '..', 'metrics', 'cli', 'timing.csv'));

    for (const provider of ['openai', 'ollama']) {
      // A fresh server per run: its KV cache starts empty, like the local run's.
      srv = await spawnServe(['--model', model, '--port', '0', '--context', CONTEXT, '--runs-dir', join(root, `server-${provider}`)]);
      await srv.ready();
      const remote = await runCli(['chat', '--server', srv.url, '--provider', provider, '--prompts', prompts, '--runs-dir', join(root, provider), ...CHAT_FLAGS], { timeoutMs: 120_000 });
      expect(remote.code, remote.stderr).toBe(0);
      expect(remote.stdout, provider).toBe(local.stdout);
      const remoteLogs = join(runDir(join(root, provider)), 'logs', 'cli');
      expect(readdirSync(remoteLogs).sort()).toEqual(names);
      for (const name of names) expect(readFileSync(join(remoteLogs, name), 'utf8'), `${provider}: ${name}`).toBe(readFileSync(join(localLogs, name), 'utf8'));
      expect(csv(remoteLogs), provider).toEqual(csv(localLogs));
      expect(srv.stderr()).toMatch(new RegExp(`req#${names.filter((n) => n.startsWith('prompt.full.')).length} done`));
      await srv.stop();
      srv = undefined;
    }
  });
});
