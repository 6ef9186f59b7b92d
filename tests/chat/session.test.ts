// ChatSession and the in-chat commands without a terminal: settings layers and their sources,
// validation, startup-only keys, \retry, \new, \save/\load, errors that leave the session as it was.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { executeCommand } from '../../src/chat/commands.js';
import { ChatSession } from '../../src/chat/session.js';
import { DEFAULT_CHAT_SETTINGS } from '../../src/chat/settings.js';
import { HarmonyEncoding } from '../../src/harmony/encoding.js';
import { final, ScriptedClient } from './helpers/scripted-client.js';

let enc: HarmonyEncoding;
beforeAll(async () => {
  enc = await HarmonyEncoding.load();
});

function session(replies = [final('one'), final('two'), final('three')]) {
  const client = new ScriptedClient(enc, replies);
  const s = new ChatSession({
    client, encoding: enc,
    layers: { base: DEFAULT_CHAT_SETTINGS, config: { maxTokens: 300 }, profile: { reasoningEffort: 'low' }, profileName: 'p', flags: { seed: 9 } },
  });
  return { s, client };
}

const text = (r: Awaited<ReturnType<typeof executeCommand>>) => (r.kind === 'output' ? r.blocks.map((b) => `${b.style}:${b.text}`).join('\n') : r.kind);

describe('ChatSession and commands', () => {
  it('settings come from the layers; \\set wins and says so in \\show', async () => {
    const { s, client } = session();
    expect(s.settings).toMatchObject({ maxTokens: 300, reasoningEffort: 'low', seed: 9 });
    expect([s.sourceOf('maxTokens'), s.sourceOf('reasoningEffort'), s.sourceOf('seed'), s.sourceOf('topP')]).toEqual(['config', 'profile', 'flag', 'default']);
    expect(text(await executeCommand(s, 'set', 'max_tokens = 50'))).toBe('info:maxTokens = 50');
    expect(text(await executeCommand(s, 'show', ''))).toMatch(/maxTokens\s+50\s+session/);
    await s.send('hi');
    expect(client.requests[0].params).toMatchObject({ maxTokens: 50, seed: 9 });
    expect(client.requests[0].system.reasoningEffort).toBe('low');
  });

  it('bad values, unknown keys and startup-only keys are errors that change nothing', async () => {
    const { s } = session();
    const before = s.settings;
    expect(text(await executeCommand(s, 'set', 'topP=0'))).toMatch(/^error:.*topP/);
    expect(text(await executeCommand(s, 'set', 'maxAttempts=11'))).toMatch(/error:\\set: 'maxAttempts' expected an integer in \[1, 10\], got 11/);
    expect(text(await executeCommand(s, 'set', 'maxKvSize=10'))).toMatch(/error:.*'maxKvSize' is fixed for the session/);
    expect(text(await executeCommand(s, 'set', 'nonsense'))).toMatch(/error:usage: \\set KEY=VALUE/);
    expect(text(await executeCommand(s, 'effort', 'max'))).toMatch(/error:usage: \\effort low\|medium\|high/);
    expect(text(await executeCommand(s, 'frob', ''))).toBe('error:unknown command \\frob; \\help lists the commands');
    expect(s.settings).toEqual(before);
  });

  it('\\retry replaces the last reply; \\new empties; \\save and \\load round-trip; a bad \\load keeps the conversation', async () => {
    const { s, client } = session();
    expect(text(await executeCommand(s, 'retry', ''))).toBe('retry');
    await expect(s.retryLast()).rejects.toThrowError(/no reply to regenerate/);
    await s.send('hi');
    await s.retryLast();
    expect(s.messages.map((m) => m.content)).toEqual(['hi', 'two']);
    expect(client.requests.map((r) => r.params.seed)).toEqual([9, 10]); // a regeneration samples anew
    expect(s.settings.seed).toBe(9);
    const dir = mkdtempSync(join(tmpdir(), 'wgh-session-'));
    expect(text(await executeCommand(s, 'save', join(dir, 'c.json')))).toMatch(/saved 2 messages/);
    writeFileSync(join(dir, 'bad.json'), '[]');
    expect(text(await executeCommand(s, 'load', join(dir, 'bad.json')))).toMatch(/error:cannot load .*not a conversation/);
    expect(s.messages).toHaveLength(2);
    expect(text(await executeCommand(s, 'new', ''))).toBe('info:new conversation');
    expect(s.messages).toHaveLength(0);
    await executeCommand(s, 'load', join(dir, 'c.json'));
    expect(s.messages.map((m) => m.content)).toEqual(['hi', 'two']);
    expect(text(await executeCommand(s, 'stats', ''))).toBe('info:no turn yet');
    expect(text(await executeCommand(s, 'history', ''))).toBe('user:you: hi\nmarkdown:two');
  });

  it('a turn that cannot fit the context budget is an error and the conversation is unchanged', async () => {
    const { s } = session();
    await executeCommand(s, 'set', 'maxContextTokens=200');
    await expect(s.send('x '.repeat(400))).rejects.toThrowError(/context budget/);
    expect(s.messages).toHaveLength(0);
  });
});
