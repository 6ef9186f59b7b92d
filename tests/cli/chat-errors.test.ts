// Bad input on the `wgh chat` command line: one clear line on stderr, exit code 1, files untouched.
// And --resume of a good file. Uses --replay (no GPU) where a client is needed.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

let work: string;
let replay: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'wgh-chat-errors-'));
  replay = join(work, 'replay.json');
  writeFileSync(replay, JSON.stringify(['<|channel|>final<|message|>OK.<|return|>']));
});

function file(name: string, text: string): string {
  const path = join(work, name);
  writeFileSync(path, text);
  return path;
}

describe('wgh chat: bad input', () => {
  it.each([
    ['an unknown config key', () => ['--config', file('c1.json', '{"sampling": {"temprature": 1}}')], /wgh: config .*c1.json: unknown key 'sampling.temprature' \(did you mean 'sampling.temperature'\?\)/],
    ['a bad config value', () => ['--config', file('c2.json', '{"retry": {"maxAttempts": 0}}')], /'retry.maxAttempts' expected an integer in \[1, 10\], got 0/],
    ['a config that is not JSON', () => ['--config', file('c3.json', '{')], /c3.json: not valid JSON/],
    ['a missing config', () => ['--config', join(work, 'none.json')], /--config: cannot read .*none.json.*ENOENT/],
    ['a bad flag value', () => ['--temperature', 'hot'], /--temperature: 'temperature' expected a number in \[0, 100\], got 'hot'/],
    ['an unknown profile', () => ['--profile', 'turbo'], /unknown profile 'turbo' \(known: deterministic, performance, thorough\)/],
    ['two model sources', () => ['--model', work, '--replay', replay], /--model and --replay cannot be used together/],
    ['a missing prompts file', () => ['--replay', replay, '--prompts', join(work, 'nope.txt'), '--no-artifacts'], /--prompts: cannot read .*nope.txt.*ENOENT/],
    ['a corrupt --resume file', () => ['--replay', replay, '--resume', file('bad.json', '{"format": "webgpu-harmony.conversation", "schemaVersion": 1, "messages": [{"role": "user"}]}'), '--no-artifacts'], /cannot load .*bad.json.*messages\[0\].content must be a string/],
  ])('%s', async (_, args, message) => {
    const r = await runCli(['chat', ...args(), '--quiet'], { cwd: work });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });

  it('a corrupt --resume file is left as it was', async () => {
    const text = '{"format": "webgpu-harmony.conversation", "schemaVersion": 1, "messa';
    const path = file('truncated.json', text);
    const r = await runCli(['chat', '--replay', replay, '--resume', path, '--no-artifacts', '--quiet'], { cwd: work });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not valid JSON.*may be damaged/);
    expect(readFileSync(path, 'utf8')).toBe(text);
  });

  it('--resume continues a saved conversation', async () => {
    const saved = file('saved.json', JSON.stringify({ format: 'webgpu-harmony.conversation', schemaVersion: 1, settings: { reasoningEffort: 'high' }, messages: [{ role: 'user', content: 'Earlier question' }, { role: 'assistant', channel: 'final', content: 'Earlier answer' }] }));
    const prompts = file('p.txt', '\\history\nNext question\n\\show\n');
    const r = await runCli(['chat', '--replay', replay, '--resume', saved, '--prompts', prompts, '--no-artifacts'], { cwd: work });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`resumed 2 messages from ${saved}`);
    expect(r.stdout).toMatch(/you: Earlier question\nEarlier answer/);
    expect(r.stdout).toMatch(/reasoningEffort\s+"high"\s+session/);
    expect(r.stdout).toContain('OK.');
  });
});
