// End to end on a model that really speaks Harmony: the trained tiny demo model from
// ensureDemoModel() (assets/demo-model/; tools/demo-model/README.md says what it can do) behind
// `wgh serve`, driven by the official openai and ollama clients. The same protocol mapping is pinned
// with replayed completions in tests/server/openai-protocol.test.ts and ollama-protocol.test.ts.

import { Ollama } from 'ollama';
import OpenAI, { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDirs } from '../model/helpers.js';
import { spawnServe, type ServeProcess } from '../server/spawn.js';

const MODEL = 'demo';
const WEATHER_TOOL = {
  type: 'function' as const,
  function: { name: 'get_weather', description: 'Current weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};

describe('wgh serve on the trained demo model', () => {
  let srv: ServeProcess;
  let openai: OpenAI;

  beforeAll(async () => {
    // No --model: `wgh serve` unpacks and serves the built-in demo model (into this fresh cache).
    const cacheHome = await makeTempDir('serve-trained-cache');
    srv = await spawnServe(['--model-name', MODEL, '--port', '0', '--no-artifacts', '--max-tokens', '256', '--temperature', '0'], { XDG_CACHE_HOME: cacheHome });
    await srv.ready();
    openai = new OpenAI({ baseURL: `${srv.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  afterAll(async () => {
    await srv?.stop();
    await removeTempDirs();
  });

  it('reasoning goes to reasoning_content, the answer to content', async () => {
    const res = await openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'What is 2 + 3?' }], reasoning_effort: 'high' });
    const message = res.choices[0].message as OpenAI.ChatCompletionMessage & { reasoning_content?: string };
    expect(message.reasoning_content?.length ?? 0).toBeGreaterThan(0);
    expect(message.content?.length ?? 0).toBeGreaterThan(0);
    expect(message.content).not.toContain(message.reasoning_content ?? '\u0000');
  });

  it('streaming: reasoning_content deltas first, then content deltas; the answer is right', async () => {
    const stream = await openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'What is 47 + 38?' }], reasoning_effort: 'low', stream: true });
    const order: ('reasoning' | 'content')[] = [];
    let reasoning = '';
    let content = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as (OpenAI.ChatCompletionChunk.Choice.Delta & { reasoning_content?: string }) | undefined;
      if (delta?.reasoning_content) {
        reasoning += delta.reasoning_content;
        if (order[order.length - 1] !== 'reasoning') order.push('reasoning');
      }
      if (delta?.content) {
        content += delta.content;
        if (order[order.length - 1] !== 'content') order.push('content');
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(order).toEqual(['reasoning', 'content']);
    expect(reasoning).toMatch(/Ones: 7 \+ 8 = 15/);
    expect(content).toMatch(/\b85\b/);
    expect(content).not.toContain('Ones:');
    expect(finish).toBe('stop');
  });

  it('a tool round trip: streamed tool-call deltas, finish_reason tool_calls, then an answer', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'What is the weather in Oslo right now? Use the tool.' }];
    const stream = await openai.chat.completions.create({ model: MODEL, messages, tools: [WEATHER_TOOL], stream: true });
    let finish: string | null = null;
    let id = '';
    let args = '';
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta.tool_calls?.[0];
      if (delta?.id) id = delta.id;
      args += delta?.function?.arguments ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(finish).toBe('tool_calls');
    expect(JSON.parse(args)).toHaveProperty('city');
    messages.push({ role: 'assistant', content: null, tool_calls: [{ id, type: 'function', function: { name: 'get_weather', arguments: args } }] });
    messages.push({ role: 'tool', tool_call_id: id, content: '{"temperature_c": 18, "sky": "clear"}' });
    const answer = await openai.chat.completions.create({ model: MODEL, messages, tools: [WEATHER_TOOL] });
    expect(answer.choices[0].finish_reason).toBe('stop');
    expect(answer.choices[0].message.content?.length ?? 0).toBeGreaterThan(0);
  });

  // The demo model was never trained on Harmony's `# Response Formats` (it ignores developer
  // instructions other than tool declarations: tools/demo-model/README.md), so it answers in prose
  // and the server's response-format check must retry and then fail cleanly. The success path (a
  // retried reply that parses) is pinned with replayed completions in tests/server/openai-protocol.test.ts.
  it('json_object on a model that cannot follow it: 3 attempts, then 422 response_validation_failed', async () => {
    const err = await openai.chat.completions
      .create({ model: MODEL, messages: [{ role: 'user', content: 'Give me a JSON object with a key "name".' }], response_format: { type: 'json_object' } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APIError);
    expect((err as APIError).status).toBe(422);
    expect((err as APIError).code).toBe('response_validation_failed');
    expect((err as APIError).message).toMatch(/response-format check after 3 attempt\(s\): the answer is not valid JSON/);
  });

  it('ollama: think levels low < high in reasoning length; think false sends no thinking', async () => {
    const ollama = new Ollama({ host: srv.url });
    const ask = (think: boolean | 'low' | 'medium' | 'high') => ollama.chat({ model: MODEL, messages: [{ role: 'user', content: 'What is 36 + 47?' }], think });
    const low = await ask('low');
    const high = await ask('high');
    const off = await ask(false);
    for (const res of [low, high, off]) expect(res.message.content).toMatch(/\b83\b/);
    expect(low.message.thinking?.length ?? 0).toBeGreaterThan(0);
    expect(high.message.thinking?.length ?? 0).toBeGreaterThan(low.message.thinking?.length ?? 0);
    expect(off.message.thinking ?? '').toBe('');
  });

  it('ollama: chat streaming with think gives thinking and content', async () => {
    const ollama = new Ollama({ host: srv.url });
    let thinking = '';
    let content = '';
    for await (const part of await ollama.chat({ model: MODEL, messages: [{ role: 'user', content: 'Say hello.' }], stream: true, think: true })) {
      thinking += part.message.thinking ?? '';
      content += part.message.content;
    }
    expect(thinking.length).toBeGreaterThan(0);
    expect(content.length).toBeGreaterThan(0);
  });
});
