// In-chat commands that change the conversation's settings reach the model's prompt: \system sets
// the system message's identity line, \developer the developer instructions (and clears them),
// \effort the reasoning line. Checked on the rendered prompts a replay run logs (prompt.full.*).
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'wgh-chat-cmds-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

it('\\system, \\developer and \\effort change the next prompts, and only those', async () => {
  const replay = join(work, 'replay.json');
  writeFileSync(replay, JSON.stringify({ tokenDelayMs: 0, completions: ['<|channel|>final<|message|>One.<|return|>', '<|channel|>final<|message|>Two.<|return|>', '<|channel|>final<|message|>Three.<|return|>'] }));
  const prompts = join(work, 'prompts.txt');
  writeFileSync(
    prompts,
    ['First question.', '\\system You are Pirate Bot, a helpful pirate.', '\\developer Always answer in rhyme.', '\\effort high', 'Second question.', '\\developer', 'Third question.'].join('\n') + '\n',
  );
  const runs = join(work, 'runs');
  const r = await runCli(['chat', '--replay', replay, '--prompts', prompts, '--runs-dir', runs, '--quiet']);
  expect(r.code, r.stderr).toBe(0);
  const [run] = readdirSync(runs);
  const prompt = (turn: number) => readFileSync(join(runs, run, 'logs', 'cli', `prompt.full.${turn}.1.txt`), 'utf8');

  const first = prompt(1);
  expect(first).toMatch(/^<\|start\|>system<\|message\|>You are ChatGPT, a large language model trained by OpenAI\.\n/);
  expect(first).not.toContain('Pirate Bot');
  expect(first).not.toContain('Always answer in rhyme.');

  const second = prompt(2);
  expect(second).toMatch(/^<\|start\|>system<\|message\|>You are Pirate Bot, a helpful pirate\.\n/);
  expect(second).toContain('\nReasoning: high\n');
  expect(second).toContain('<|start|>developer<|message|># Instructions\n\nAlways answer in rhyme.<|end|>');
  expect(second).toContain('<|start|>user<|message|>Second question.<|end|>');

  const third = prompt(3);
  expect(third).toMatch(/^<\|start\|>system<\|message\|>You are Pirate Bot, a helpful pirate\.\n/);
  expect(third).not.toContain('Always answer in rhyme.');
  expect(third).toContain('<|start|>user<|message|>Third question.<|end|>');
});
