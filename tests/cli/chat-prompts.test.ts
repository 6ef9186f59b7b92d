// `wgh chat --prompts FILE` on the tiny random model: every artifact with its documented name and
// valid content, resume after max tokens on the real engine, determinism (same seed, same tokens),
// JSON-array prompt files, --no-artifacts.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ATTEMPT_FILES, attemptFileName, TIMING_COLUMNS } from '../../src/chat/artifacts.js';
import { createTestModel } from '../../src/model/create-test-model.js';
import { runCli } from '../helpers/cli.js';

let work: string;
let tiny: string;
beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'wgh-chat-prompts-'));
  tiny = join(work, 'tiny');
  await createTestModel({ outDir: tiny, preset: 'tiny', seed: 11 });
});

/** Two turns (one typed over two lines), a command in between. */
const PROMPTS = ['Hello there, tiny model.', '\\set maxAttempts=2', 'Tell me \\', 'a story.'].join('\n');

async function run(name: string, args: readonly string[], promptText = PROMPTS) {
  const runs = join(work, name);
  const file = join(work, `${name}.prompts`);
  writeFileSync(file, promptText);
  const r = await runCli(['chat', '--model', tiny, '--prompts', file, '--runs-dir', runs, '--seed', '7', '--max-tokens', '6', '--quiet', ...args], { timeoutMs: 240_000 });
  expect(r.code, r.stderr).toBe(0);
  const dirs = existsSync(runs) ? readdirSync(runs) : [];
  return { r, runs, runDir: dirs.length === 1 ? join(runs, dirs[0]) : '' };
}

function csvRows(file: string): Record<string, string>[] {
  const [header, ...lines] = readFileSync(file, 'utf8').trim().split('\n');
  const columns = header.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [columns[i], v])));
}

describe('wgh chat --prompts on the tiny model', () => {
  let first: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    first = await run('a', ['--temperature', '1']);
  });

  it('writes every artifact under runs/<YYYYmmdd-HHMMSS>-<id>/ with the documented names and valid content', () => {
    expect(first.runDir).toMatch(/\d{8}-\d{6}-[0-9a-f]{6}$/);
    const logs = join(first.runDir, 'logs', 'cli');
    const metrics = join(first.runDir, 'metrics', 'cli');
    const rows = csvRows(join(metrics, 'timing.csv'));
    expect(Object.keys(rows[0])).toEqual([...TIMING_COLUMNS]);
    // Random weights: every reply runs into max tokens; turn 1 resumes twice (maxAttempts 3), turn 2 once (\set maxAttempts=2).
    expect(rows.map((r) => [r.turn, r.attempt, r.action, r.reason])).toEqual([
      ['1', '1', 'resume', 'length'], ['1', '2', 'resume', 'length'], ['1', '3', 'give-up', 'length'],
      ['2', '1', 'resume', 'length'], ['2', '2', 'give-up', 'length'],
    ]);
    for (const row of rows) {
      expect(Number(row.completion_tokens)).toBe(6);
      expect(Number(row.prompt_tokens)).toBeGreaterThan(0);
      expect(Number(row.decode_tps)).toBeGreaterThan(0);
      expect(row.finish_reason).toBe('length');
      expect(row.stop_reason).toBe('max_tokens');
      expect(row.loop_detection_mode).toBe('cheap');
    }
    expect(readdirSync(logs)).toHaveLength(rows.length * ATTEMPT_FILES.length);
    for (const row of rows) {
      const [turn, attempt] = [Number(row.turn), Number(row.attempt)];
      const file = (kind: (typeof ATTEMPT_FILES)[number]) => readFileSync(join(logs, attemptFileName(kind, turn, attempt)), 'utf8');
      const prompt = JSON.parse(file('prompt.tokens')) as number[];
      const completion = JSON.parse(file('completion.tokens')) as number[];
      expect(prompt.length).toBe(Number(row.prompt_tokens));
      expect(completion).toHaveLength(6);
      expect(file('prompt.full')).toMatch(/^<\|start\|>system<\|message\|>/);
      expect(file('prompt.full')).toContain(turn === 1 ? 'Hello there, tiny model.' : 'Tell me \na story.');
      expect(JSON.parse(file('parse.channels'))).toHaveProperty('messages');
      expect(JSON.parse(file('retry.decision'))).toMatchObject({ turn, attempt, action: row.action, reason: 'length' });
      expect(typeof file('completion.raw')).toBe('string');
      expect(typeof file('completion.cleaned')).toBe('string');
    }
    for (const name of ['report.md', 'decode_tps.svg', 'prompt_tokens.svg', 'ttft.svg']) expect(existsSync(join(metrics, name)), name).toBe(true);
    expect(readFileSync(join(metrics, 'report.md'), 'utf8')).toMatch(/\| 1 \| 3 \| resume\(length\) → resume\(length\) → give-up\(length\) \|/);
    expect(readFileSync(join(metrics, 'ttft.svg'), 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>$/);
  });

  it('resume continues the same reply: its prompt is the previous prompt + completion, served from the KV cache', () => {
    const logs = join(first.runDir, 'logs', 'cli');
    const read = (kind: 'prompt.tokens' | 'completion.tokens', attempt: number) => JSON.parse(readFileSync(join(logs, attemptFileName(kind, 1, attempt)), 'utf8')) as number[];
    expect(read('prompt.tokens', 2)).toEqual([...read('prompt.tokens', 1), ...read('completion.tokens', 1)]);
    const rows = csvRows(join(first.runDir, 'metrics', 'cli', 'timing.csv'));
    expect(Number(rows[1].cached_tokens)).toBeGreaterThanOrEqual(Number(rows[0].prompt_tokens));
  });

  it('the same run twice with the same seed gives identical completions; a JSON array of prompts runs the same inputs', async () => {
    const again = await run('b', ['--temperature', '1']);
    const json = await run('c', ['--temperature', '1'], JSON.stringify(['Hello there, tiny model.', '\\set maxAttempts=2', 'Tell me \na story.']));
    const completions = (runDir: string) =>
      readdirSync(join(runDir, 'logs', 'cli')).filter((f) => f.startsWith('completion.tokens.')).sort().map((f) => readFileSync(join(runDir, 'logs', 'cli', f), 'utf8'));
    expect(completions(again.runDir)).toEqual(completions(first.runDir));
    expect(completions(json.runDir)).toEqual(completions(first.runDir));
    expect(again.r.stdout).toBe(first.r.stdout);
  });

  it('--no-artifacts writes nothing', async () => {
    const none = await run('d', ['--no-artifacts', '--max-attempts', '1'], 'Hi');
    expect(existsSync(none.runs)).toBe(false);
    expect(none.r.stdout).toContain('› Hi');
  });
});
