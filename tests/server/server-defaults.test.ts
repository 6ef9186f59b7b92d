// The server's generation defaults from `wgh serve --stop IDS --max-kv-size N` (ServerDefaults):
// a stop id ends chat replies (nothing from that token on is sent, finish reason "stop") and raw
// completions; max_kv_size goes with every request. Replayed completions (helpers.ts), so the
// stop point is exact; tests/cli/serve-flags.test.ts checks the flags on the real engine.

import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { HarmonyEncoding } from '../../src/harmony/encoding.js';
import { postJson, startReplayServer, TEST_MODEL, type ReplayServer } from './helpers.js';

const REPLY = '<|channel|>analysis<|message|>Easy.<|end|><|start|>assistant<|channel|>final<|message|>Hello world. More text<|return|>';
const MAX_KV_SIZE = 512;

let t: ReplayServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function idOf(text: string): Promise<number> {
  const ids = (await HarmonyEncoding.load()).tokenizer.encodeOrdinary(text);
  expect(ids).toHaveLength(1);
  return ids[0];
}

describe('server defaults: --stop ids and --max-kv-size', () => {
  it('a stop id ends a chat reply before that token, streamed or not, on both route families', async () => {
    t = await startReplayServer([REPLY], { defaults: { stopTokens: [await idOf(' world')] } });
    const openai = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: 'x', maxRetries: 0 });
    const whole = await openai.chat.completions.create({ model: TEST_MODEL, messages: [{ role: 'user', content: 'Hi' }] });
    expect(whole.choices[0]).toMatchObject({ finish_reason: 'stop', message: { content: 'Hello', reasoning_content: 'Easy.' } });
    const stream = await openai.chat.completions.create({ model: TEST_MODEL, messages: [{ role: 'user', content: 'Hi' }], stream: true });
    let content = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      content += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect([content, finish]).toEqual(['Hello', 'stop']);
    const ollama = await postJson(`${t.url}/api/chat`, { model: TEST_MODEL, messages: [{ role: 'user', content: 'Hi' }], stream: false });
    expect(ollama.json).toMatchObject({ message: { content: 'Hello' }, done_reason: 'stop' });
    expect(t.logger.lines.filter((line) => / done: finish stop, /.test(line))).toHaveLength(3);
  });

  it('a stop id ends a raw completion (besides <|return|>, <|call|>, <|endoftext|>)', async () => {
    t = await startReplayServer([REPLY], { defaults: { stopTokens: [await idOf(' upon')] } });
    const openai = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: 'x', maxRetries: 0 });
    const res = await openai.completions.create({ model: TEST_MODEL, prompt: 'Story:', max_tokens: 10 });
    expect(res.choices[0]).toMatchObject({ text: ' once', finish_reason: 'stop' });
    const raw = await postJson(`${t.url}/api/generate`, { model: TEST_MODEL, prompt: 'Story:', raw: true, stream: false });
    expect(raw.json).toMatchObject({ response: ' once', done_reason: 'stop' });
  });

  it('max_kv_size goes with every request (a wgh client that changed it does not change it for the next)', async () => {
    t = await startReplayServer([REPLY], { defaults: { maxKvSize: MAX_KV_SIZE } });
    const maxKvSizeOf = (res: { json: unknown }) => (res.json as { wgh: { result: { metrics: { maxKvSize: number } } } }).wgh.result.metrics.maxKvSize;
    const chat = (extra: Record<string, unknown>) => postJson(`${t?.url}/v1/chat/completions`, { model: TEST_MODEL, messages: [{ role: 'user', content: 'Hi' }], ...extra });
    expect(maxKvSizeOf(await chat({ wgh: { details: true } }))).toBe(MAX_KV_SIZE);
    const harmony = { system: { reasoning_effort: 'low' }, messages: [{ role: 'user', content: 'Hi' }], params: { maxTokens: 64, maxKvSize: 0 } };
    expect(maxKvSizeOf(await chat({ wgh: { details: true, harmony } }))).toBe(0); // the exact request keeps its own
    expect(maxKvSizeOf(await chat({ wgh: { details: true } }))).toBe(MAX_KV_SIZE);
  });
});
