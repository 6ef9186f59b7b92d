// `wgh chat` in a real terminal (tmux, driven by the test): typing, multi-line input, every command,
// bad input, Markdown and reasoning rendering, tool calls, Ctrl-C during generation, the demo model.
// Most sessions use --replay (scripted Harmony completions through the real tokenizer, parser, turn
// pipeline and renderer); two use the engine (a tiny random model, and the built-in demo model).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestModel } from '../../src/model/create-test-model.js';
import { DEMO_MODEL_NAME } from '../../src/model/demo-model.js';
import { TmuxSession } from '../chat/helpers/tmux.js';
import { CLI_ENTRY, REPO_ROOT } from '../helpers/cli.js';

const MARKDOWN_ANSWER =
  '<|channel|>analysis<|message|>The user says hello. Answer with a little Markdown.<|end|>' +
  '<|start|>assistant<|channel|>final<|message|># Greetings\n\nThis is **bold** and `code`.\n\n- apples\n- pears\n\n```js\nconst answer = 42;\n```\n\nBye now.<|return|>';
const TOOL_CALL = '<|channel|>commentary to=functions.calculator <|constrain|>json<|message|>{"expression":"6*7"}<|call|>';
const AFTER_TOOL = '<|channel|>final<|message|>The calculator says **42**.<|return|>';
const LONG_ANSWER = `<|channel|>final<|message|>${'Counting sheep slowly, one after another. '.repeat(40)}<|return|>`;

let work: string;
let sessions: TmuxSession[] = [];
beforeAll(() => {
  try {
    execFileSync('tmux', ['-V']);
  } catch {
    throw new Error('these tests drive a real terminal through tmux, which is not installed: run scripts/setup-debian.sh (or apt-get install tmux)');
  }
  work = mkdtempSync(join(tmpdir(), 'wgh-chat-tmux-'));
});
afterEach(() => {
  for (const s of sessions) s.kill();
  sessions = [];
});

function script(name: string, completions: readonly string[], tokenDelayMs = 0): string {
  const file = join(work, name);
  writeFileSync(file, JSON.stringify({ tokenDelayMs, completions }));
  return file;
}

function chat(args: readonly string[], env: Record<string, string> = {}): TmuxSession {
  const session = TmuxSession.start(['node', CLI_ENTRY, 'chat', ...args], { cwd: work, env: { XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp', ...env } });
  sessions.push(session);
  return session;
}

const SGR = (code: string) => new RegExp(`\\x1b\\[(?:[0-9;]*;)?${code}(?:;[0-9;]*)?m`);

describe('wgh chat in a terminal', () => {
  it('streams Markdown answers, dimmed reasoning and tool calls; continued lines and blocks are one message', async () => {
    const t = chat(['--replay', script('a.json', [MARKDOWN_ANSWER, TOOL_CALL, AFTER_TOOL, '<|channel|>final<|message|>Noted.<|return|>'], 1), '--config', join(REPO_ROOT, 'examples', 'chat.config.json'), '--no-artifacts']);
    await t.waitFor('› ');
    t.line('hello');
    const screen = await t.waitFor('Bye now.');
    expect(screen).toContain('thinking…');
    expect(screen).toContain('The user says hello.');
    expect(screen).not.toContain('# Greetings'); // rendered, not raw
    expect(screen).not.toContain('**bold**');
    expect(screen).toMatch(/\* apples\n\s*\* pears/);
    expect(screen).toContain('const answer = 42;');
    const colours = t.capture(true);
    expect(colours).toMatch(new RegExp(`${SGR('2').source}[^\\n]*The user says hello`)); // dim reasoning
    expect(colours).toMatch(new RegExp(`${SGR('1').source}bold`)); // bold rendered

    t.line('what is 6*7?');
    const tool = await t.waitFor('The calculator says 42.');
    expect(tool).toContain('⚙ functions.calculator({"expression":"6*7"})');
    expect(tool).toContain('↳ {"expression":"6*7","result":42}');

    t.line('first line \\');
    await t.waitFor('… ');
    t.line('second line');
    await t.waitFor('Noted.');
    t.line('\\\\');
    await t.waitFor('│ ');
    t.line('\\help is text inside a block');
    t.line('');
    t.line('last line');
    t.line('\\\\');
    await t.waitFor('Noted.', 10_000, 2);
    t.line('\\history');
    const history = await t.waitFor('you: \\help is text');
    expect(history).toContain('you: first line \nsecond line');
    expect(history).toContain('you: \\help is text inside a block\n\nlast line');
    expect(history).toContain('⚙ functions.calculator({"expression":"6*7"})');
    t.line('\\quit');
    expect(await t.waitForExit()).toBe(0);
  });

  it('every command works; bad input gets a clear message and the session goes on, with nothing lost on disk', async () => {
    const corrupt = join(work, 'corrupt.json');
    writeFileSync(corrupt, '{"format": "webgpu-harmony.conversation", "schemaVersion": 1, "messages": [');
    const t = chat(['--replay', script('b.json', ['<|channel|>final<|message|>Reply **one**.<|return|>', '<|channel|>final<|message|>Reply two.<|return|>', '<|channel|>analysis<|message|>Secret thoughts.<|end|><|start|>assistant<|channel|>final<|message|>Reply three.<|return|>']), '--config', join(REPO_ROOT, 'examples', 'chat.config.json'), '--no-artifacts']);
    await t.waitFor('› ');
    t.line('\\help');
    await t.waitFor('\\set KEY=VALUE');
    t.line('\\frobnicate');
    await t.waitFor('error: unknown command \\frobnicate; \\help lists the commands');
    t.line('\\set temperature=hot');
    await t.waitFor("error: \\set: 'temperature' expected a number in [0, 100], got 'hot'");
    t.line('\\set temprature=0.5');
    await t.waitFor("did you mean 'temperature'?");
    t.line('\\set temperature=0.5');
    await t.waitFor('temperature = 0.5');
    t.line('\\effort high');
    await t.waitFor('reasoning effort: high');
    t.line('\\system You are a terse assistant.');
    await t.waitFor('system identity set');
    t.line('\\developer Answer in one line.');
    await t.waitFor('developer instructions set');
    t.line('\\show');
    const shown = await t.waitFor(/temperature\s+0\.5\s+session/);
    expect(shown).toMatch(/reasoningEffort\s+"high"\s+session/);
    expect(shown).toMatch(/maxTokens\s+1024\s+config/);
    t.line('\\tools');
    await t.waitFor('calculator: Evaluates an arithmetic expression');
    t.line('\\stats');
    await t.waitFor('no turn yet');
    t.line('hi');
    await t.waitFor('Reply one.');
    t.line('\\retry');
    await t.waitFor('Reply two.');
    t.line('\\stats');
    await t.waitFor(/turn 2: 1 attempt\(s\), finish stop/);
    const saved = join(work, 'saved.json');
    t.line(`\\save ${saved}`);
    await t.waitFor(`saved 2 messages to ${saved}`);
    expect(JSON.parse(readFileSync(saved, 'utf8')).messages).toEqual([{ role: 'user', content: 'hi' }, { role: 'assistant', channel: 'final', content: 'Reply two.' }]);
    t.line('\\new');
    await t.waitFor('new conversation');
    t.line('\\history');
    await t.waitFor('(the conversation is empty)');
    t.line(`\\load ${corrupt}`);
    await t.waitFor(/error: cannot load '.*corrupt.json': not valid JSON/);
    t.line(`\\load ${join(work, 'missing.json')}`);
    await t.waitFor(/error: cannot load '.*missing.json': no such file/);
    t.line(`\\load ${saved}`);
    await t.waitFor('loaded 2 messages from saved.json');
    t.line('\\history');
    await t.waitFor(/you: hi\nReply two\./);
    t.line('\\reasoning off');
    await t.waitFor('reasoning collapsed');
    t.line('and now?');
    const collapsed = await t.waitFor('Reply three.');
    expect(collapsed).toMatch(/▸ reasoning hidden \(\d+ characters; \\reasoning on shows it\)/);
    expect(collapsed).not.toContain('Secret thoughts.');
    t.line('\\quit');
    expect(await t.waitForExit()).toBe(0);
    expect(readFileSync(corrupt, 'utf8')).toBe('{"format": "webgpu-harmony.conversation", "schemaVersion": 1, "messages": [');
  });

  it('Ctrl-C stops the reply being generated and the chat goes on; Ctrl-C twice quits', async () => {
    const t = chat(['--replay', script('c.json', [LONG_ANSWER, '<|channel|>final<|message|>Still here.<|return|>'], 40), '--no-artifacts']);
    await t.waitFor('› ');
    t.line('count sheep');
    await t.waitFor('Counting sheep');
    t.keys('C-c');
    const stopped = await t.waitFor('⏹ stopped');
    expect(stopped.split('Counting sheep').length - 1).toBeLessThan(10);
    t.line('are you there?');
    await t.waitFor('Still here.');
    t.line('\\history');
    await t.waitFor(/you: count sheep\nCounting sheep/);
    t.keys('C-c');
    await t.waitFor('press Ctrl-C again to quit');
    t.keys('C-c');
    expect(await t.waitForExit()).toBe(0);
  });
});

describe('wgh chat in a terminal, on the engine', () => {
  let tiny: string;
  beforeAll(async () => {
    tiny = join(work, 'tiny');
    await createTestModel({ outDir: tiny, preset: 'tiny', seed: 3 });
  });

  it('shows load progress; Ctrl-C stops a long generation on the GPU and the session goes on', async () => {
    const t = chat(['--model', tiny, '--max-tokens', '4000', '--max-attempts', '1', '--no-artifacts']);
    await t.waitFor('› ', 120_000);
    expect(t.capture()).toMatch(/loading\s.*100%/);
    t.line('tell me a long story');
    await new Promise((resolve) => setTimeout(resolve, 3000));
    t.keys('C-c');
    await t.waitFor('⏹ stopped', 60_000);
    t.line('\\stats');
    await t.waitFor(/turn 1: 1 attempt\(s\), finish cancelled \(cancelled\)/);
    t.line('\\quit');
    expect(await t.waitForExit()).toBe(0);
  });

  it('without --model: the demo model is created on first use and the banner says so', async () => {
    const cache = join(work, 'cache');
    const mesa = process.env.MESA_SHADER_CACHE_DIR ?? process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'); // keep the warm shader cache
    const t = chat(['--max-tokens', '5', '--no-artifacts'], { XDG_CACHE_HOME: cache, MESA_SHADER_CACHE_DIR: mesa });
    const banner = await t.waitFor('› ', 120_000);
    expect(banner).toContain(`creating the demo model in ${join(cache, 'webgpu-harmony', DEMO_MODEL_NAME)} (first use)`);
    expect(banner).toContain('The demo model is tiny');
    expect(banner).toContain('wgh chat --model ~/models/gpt-oss-20b');
    expect(existsSync(join(cache, 'webgpu-harmony', DEMO_MODEL_NAME, 'config.json'))).toBe(true);
    t.line('hello');
    await t.waitFor(/cut at maxTokens after 5 tokens/, 60_000);
    t.line('\\quit');
    expect(await t.waitForExit()).toBe(0);
  });
});
