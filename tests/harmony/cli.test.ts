// `wgh harmony render|parse` end to end (needs `npm run build`): every fixture through the CLI,
// plus the input forms and the errors.

import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import type { Tokenizer } from '../../src/tokenizer/index.js';
import { FIXTURE_DIR, loadTokenizer, parseCases, readFixture, readTokenFixture, renderCases } from './helpers.js';

let tok: Tokenizer;
beforeAll(async () => {
  tok = await loadTokenizer();
});

describe('wgh harmony render', () => {
  it.each(renderCases().map((c) => [c.fixture, c] as const))('%s', async (_, c) => {
    const input = JSON.stringify(c.input);
    const text = await runCli(['harmony', 'render', '--input', '-'], { input });
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(readFixture(c.fixture));
    // --tokens where harmony compares ids (fixtures.test.ts checks ids for all of them, without spawning).
    if (c.harmony_compares.includes('tokens')) {
      const ids = await runCli(['harmony', 'render', '--input', '-', '--tokens'], { input });
      expect(ids.code).toBe(0);
      expect(JSON.parse(ids.stdout)).toEqual(tok.encodeWithSpecials(readFixture(c.fixture)));
    }
  });

  it('reads --input from a file', async () => {
    const result = await runCli(['harmony', 'render', '--input', join(FIXTURE_DIR, 'cases.json')]);
    // cases.json is an array, not a render input: a clear error, exit 1.
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^wgh: harmony input: input must be an object/);
  });

  it.each([
    ['not JSON', '{', /is not valid JSON/],
    ['a bad role', '{"messages":[{"role":"bot","content":"x"}]}', /messages\[0\]\.role must be one of/],
    ['a tool message without name', '{"messages":[{"role":"tool","content":"x"}]}', /messages\[0\]\.name must be/],
    ['a bad effort', '{"system":{"reasoning_effort":"max"}}', /system\.reasoning_effort must be "low", "medium" or "high"/],
    ['an unknown key', '{"system":{"reasoning":"high"}}', /system has an unknown key 'reasoning'/],
  ])('rejects %s with a ConfigError (exit 1)', async (_, input, message) => {
    const result = await runCli(['harmony', 'render', '--input', '-'], { input });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
  });

  it('renders the conversation only with next_role null, and {} system as all defaults', async () => {
    const input = JSON.stringify({ system: {}, messages: [{ role: 'user', content: 'hi' }], next_role: null });
    const result = await runCli(['harmony', 'render', '--input', '-'], { input });
    expect(result.stdout).toBe(
      '<|start|>system<|message|>You are ChatGPT, a large language model trained by OpenAI.\nKnowledge cutoff: 2024-06\n\n' +
        'Reasoning: medium\n\n# Valid channels: analysis, commentary, final. Channel must be included for every message.<|end|>' +
        '<|start|>user<|message|>hi<|end|>',
    );
  });
});

describe('wgh harmony parse', () => {
  it.each(parseCases().map((c) => [c.fixture, c] as const))('%s', async (_, c) => {
    const args = ['harmony', 'parse', c.input === 'tokens' ? '--tokens' : '--text', join(FIXTURE_DIR, c.fixture)];
    const result = await runCli([...args, '--role', c.role]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(c.expected);
  });

  it.each([
    ['whitespace', (ids: number[]) => ids.join('\n')],
    ['commas', (ids: number[]) => ids.join(',')],
    ['commas and spaces', (ids: number[]) => ids.join(', ')],
    ['a JSON array', (ids: number[]) => JSON.stringify(ids)],
  ])('--tokens - accepts ids separated by %s', async (_, format) => {
    const ids = readTokenFixture('test_simple_reasoning_response.txt');
    const result = await runCli(['harmony', 'parse', '--tokens', '-'], { input: format(ids) });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(parseCases()[0]?.expected);
  });

  it('--text - with --role none parses full messages; text without <|start|> is kept, with a warning on stderr', async () => {
    const input = '<|start|>assistant<|channel|>final<|message|>Hi<|return|>stray<|start|>user<|message|>x';
    const result = await runCli(['harmony', 'parse', '--text', '-', '--role', 'none'], { input });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([
      { role: 'assistant', channel: 'final', content: 'Hi' },
      { role: 'assistant', content: 'stray' },
      { role: 'user', content: 'x' },
    ]);
    expect(result.stderr).toMatch(/harmony parse warning \(missing-start/);
  });

  it('--strict turns the first warning into an error', async () => {
    const result = await runCli(['harmony', 'parse', '--text', '-', '--strict'], { input: 'I must refuse<|end|>' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^wgh: harmony parse: /);
  });

  it.each([
    [['--tokens', '-', '--text', '-'], /exactly one of --tokens/],
    [[], /exactly one of --tokens/],
    [['--tokens', '-', '--role', 'user'], /--role expected assistant or none/],
  ])('rejects %j', async (flags, message) => {
    const result = await runCli(['harmony', 'parse', ...flags], { input: '1 2 3' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
  });

  it('rejects ids that are not ids', async () => {
    const result = await runCli(['harmony', 'parse', '--tokens', '-'], { input: '1 2 x' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/--tokens item 2 is not a token id/);
  });
});
