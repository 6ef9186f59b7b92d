// The Ollama routes through the official `ollama` npm client against the real server and routes,
// with REPLAYED completions (scripted Harmony through the real tokenizer and parser; see
// helpers.ts): NDJSON streaming with `think`, tool calls with object arguments, generate, list,
// show, version, and Ollama's error shape.

import { Ollama } from 'ollama';
import { afterEach, describe, expect, it } from 'vitest';
import { startReplayServer, TEST_MODEL, type ReplayServer } from './helpers.js';

const REPLY = '<|channel|>analysis<|message|>Simple greeting.<|end|><|start|>assistant<|channel|>final<|message|>Hi! How can I help?<|return|>';
const TOOL_CALL = '<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{"city":"Oslo"}<|call|>';

let t: ReplayServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const client = (server: ReplayServer) => new Ollama({ host: server.url });

describe('ollama client against wgh serve (replayed completions)', () => {
  it('chat streams NDJSON: thinking pieces, then content pieces, then done', async () => {
    t = await startReplayServer([REPLY]);
    const parts = await client(t).chat({ model: TEST_MODEL, messages: [{ role: 'user', content: 'Hello' }], stream: true, think: 'high' });
    let thinking = '';
    let content = '';
    let numContent = 0;
    let last: { done: boolean; done_reason: string; eval_count: number } | undefined;
    for await (const part of parts) {
      thinking += part.message.thinking ?? '';
      if (part.message.content.length > 0) numContent++;
      content += part.message.content;
      if (part.done) last = part;
    }
    expect(thinking).toBe('Simple greeting.');
    expect(content).toBe('Hi! How can I help?');
    expect(numContent).toBeGreaterThan(3);
    expect(last?.done_reason).toBe('stop');
    expect(last?.eval_count).toBeGreaterThan(5);
  });

  it('think: false leaves the thinking out; stream: false returns one message', async () => {
    t = await startReplayServer([REPLY]);
    const res = await client(t).chat({ model: TEST_MODEL, messages: [{ role: 'user', content: 'Hello' }], think: false });
    expect(res.message.content).toBe('Hi! How can I help?');
    expect(res.message.thinking).toBeUndefined();
    expect(res.done).toBe(true);
  });

  it('tool calls arrive with object arguments; a tool message round-trips', async () => {
    t = await startReplayServer([TOOL_CALL, '<|channel|>final<|message|>20 degrees.<|return|>']);
    const tools = [{ type: 'function', function: { name: 'get_weather', description: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }];
    const res = await client(t).chat({ model: TEST_MODEL, messages: [{ role: 'user', content: 'Weather in Oslo?' }], tools });
    expect(res.message.tool_calls).toEqual([{ function: { name: 'get_weather', arguments: { city: 'Oslo' } } }]);
    const next = await client(t).chat({
      model: TEST_MODEL, tools,
      messages: [{ role: 'user', content: 'Weather in Oslo?' }, res.message, { role: 'tool', content: '{"c":20}', tool_name: 'get_weather' }],
    });
    expect(next.message.content).toBe('20 degrees.');
  });

  it('generate: templated prompt streamed as `response` pieces', async () => {
    t = await startReplayServer([REPLY]);
    const parts = await client(t).generate({ model: TEST_MODEL, prompt: 'Hello', stream: true, options: { num_predict: 64, temperature: 0, seed: 3 } });
    let response = '';
    let done = false;
    for await (const part of parts) {
      response += part.response;
      done ||= part.done;
    }
    expect(response).toBe('Hi! How can I help?');
    expect(done).toBe(true);
    const raw = await client(t).generate({ model: TEST_MODEL, prompt: 'Story:', raw: true });
    expect(raw.response).toBe(' once upon a time');
  });

  it('list, show, version', async () => {
    t = await startReplayServer([REPLY]);
    const list = await client(t).list();
    expect(list.models.map((m) => m.name)).toEqual([TEST_MODEL]);
    expect(list.models[0].details.family).toBe('gptoss');
    const show = await client(t).show({ model: TEST_MODEL });
    expect(show.capabilities).toContain('tools');
    expect((await client(t).version()).version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('errors are {error: "…"}: an unknown model is a 404 ResponseError', async () => {
    t = await startReplayServer([REPLY]);
    const err = await client(t).chat({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'ResponseError', status_code: 404 });
    expect((err as Error).message).toMatch(/'no-such-model' does not exist/);
    const again = await client(t).chat({ model: TEST_MODEL, messages: [{ role: 'user', content: 'Hello' }] });
    expect(again.message.content).toBe('Hi! How can I help?');
  });
});
