// Saved conversations: round trip, versioning, validation with clear messages, atomic writes
// (an injected failure and a process killed mid-save both leave the old file intact).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONVERSATION_SCHEMA_VERSION, loadConversation, saveConversation, type SavedConversation } from '../../src/chat/conversation.js';
import { ChatError } from '../../src/errors.js';
import { REPO_ROOT } from '../helpers/cli.js';

const CONV: SavedConversation = {
  settings: { reasoningEffort: 'high', system: '', instructions: 'Be brief.' },
  messages: [
    { role: 'user', content: 'Hi ✨' },
    { role: 'assistant', channel: 'analysis', content: 'Greet back.' },
    { role: 'assistant', channel: 'final', content: 'Hello!' },
    { role: 'assistant', channel: 'commentary', recipient: 'functions.calc', contentType: '<|constrain|>json', content: '{"expression":"1+1"}' },
    { role: 'tool', name: 'functions.calc', recipient: 'assistant', channel: 'commentary', content: '2' },
  ],
};

const dir = () => mkdtempSync(join(tmpdir(), 'wgh-conv-'));

describe('conversation files', () => {
  it('round-trips through versioned JSON', async () => {
    const file = join(dir(), 'c.json');
    await saveConversation(file, CONV, new Date('2025-01-02T03:04:05Z'));
    const json = JSON.parse(readFileSync(file, 'utf8'));
    expect(json).toMatchObject({ format: 'webgpu-harmony.conversation', schemaVersion: CONVERSATION_SCHEMA_VERSION, savedAt: '2025-01-02T03:04:05.000Z' });
    expect(json.messages[3]).toEqual({ role: 'assistant', channel: 'commentary', recipient: 'functions.calc', content_type: '<|constrain|>json', content: '{"expression":"1+1"}' });
    const back = await loadConversation(file);
    expect(back.messages).toEqual(CONV.messages);
    expect(back.settings).toEqual(CONV.settings);
  });

  it.each([
    ['missing', null, /cannot load '.*missing': no such file/],
    ['truncated', '{"format": "webgpu-harmony.conversation", "schemaVersion": 1, "messa', /not valid JSON .*the file may be damaged/],
    ['foreign', '{"hello": 1}', /not a conversation file/],
    ['future', '{"format": "webgpu-harmony.conversation", "schemaVersion": 99, "messages": []}', /schemaVersion 99 is newer than this wgh reads \(1\)/],
    ['badrole', '{"format": "webgpu-harmony.conversation", "schemaVersion": 1, "messages": [{"role": "system", "content": "x"}]}', /messages\[0\].role must be user, assistant or tool/],
    ['nocontent', '{"format": "webgpu-harmony.conversation", "schemaVersion": 1, "messages": [{"role": "user"}]}', /messages\[0\].content must be a string/],
    ['badeffort', '{"format": "webgpu-harmony.conversation", "schemaVersion": 1, "settings": {"reasoningEffort": "max"}, "messages": []}', /reasoningEffort must be low, medium or high/],
  ])('a %s file is a ChatError with a clear message', async (name, text, message) => {
    const folder = dir();
    const file = join(folder, name);
    if (text !== null) writeFileSync(file, text);
    await expect(loadConversation(file)).rejects.toThrowError(ChatError);
    await expect(loadConversation(file)).rejects.toThrowError(message);
  });

  it('a failing save leaves the old file untouched and no temp file behind', async () => {
    const folder = dir();
    const file = join(folder, 'c.json');
    await saveConversation(file, CONV);
    const before = readFileSync(file, 'utf8');
    const failingOpen: typeof open = async (path, flags, mode) => {
      const handle = await open(path, flags, mode);
      return new Proxy(handle, {
        get(target, prop, receiver) {
          if (prop === 'sync' && String(path).includes('.tmp-')) return async () => { throw Object.assign(new Error('disk full'), { code: 'ENOSPC' }); };
          const value = Reflect.get(target, prop, receiver);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    };
    await expect(saveConversation(file, { ...CONV, messages: [] }, new Date(), { open: failingOpen, rename, rm })).rejects.toThrowError(/cannot save to .*ENOSPC/);
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(readdirSync(folder)).toEqual(['c.json']);
  });

  it('a process killed while saving never leaves a broken file', async () => {
    const folder = dir();
    const file = join(folder, 'big.json');
    await saveConversation(file, CONV);
    const before = readFileSync(file, 'utf8');
    // A child saves a large conversation in a loop; it is SIGKILLed mid-way.
    const script = `
      import { saveConversation } from ${JSON.stringify(join(REPO_ROOT, 'dist/src/chat/conversation.js'))};
      const big = { settings: {}, messages: Array.from({ length: 20000 }, (_, i) => ({ role: 'user', content: 'x'.repeat(500) + i })) };
      process.stdout.write('ready\\n');
      for (;;) await saveConversation(${JSON.stringify(file)}, big);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const closed = new Promise((resolve) => child.once('close', resolve));
    try {
      await Promise.race([
        new Promise<void>((resolve) => child.stdout.once('data', () => resolve())),
        closed.then(() => Promise.reject(new Error('the saving child exited before it was ready'))),
      ]);
      await new Promise((resolve) => setTimeout(resolve, 150));
    } finally {
      child.kill('SIGKILL'); // never leave the loop running, whatever happened above
    }
    await closed;
    const text = readFileSync(file, 'utf8');
    const loaded = await loadConversation(file); // parses: old or complete new content
    expect(text === before || loaded.messages.length === 20000).toBe(true);
  });
});
