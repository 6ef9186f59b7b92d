// End to end on a model that really speaks Harmony: the trained tiny demo model from
// ensureDemoModel(). Skipped while the demo model is the random-weight one (its name says
// `random`); set WGH_E2E_TRAINED=1 to force it. Until then the same protocol mapping is pinned
// with replayed completions in tests/server/openai-protocol.test.ts and ollama-protocol.test.ts.

import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MODEL_NAME, ensureDemoModel } from '../../src/model/demo-model.js';
import { spawnServe, type ServeProcess } from '../server/spawn.js';

const TRAINED = process.env['WGH_E2E_TRAINED'] === '1' || !DEMO_MODEL_NAME.includes('random');
const MODEL = 'demo';
const WEATHER_TOOL = {
  type: 'function' as const,
  function: { name: 'get_weather', description: 'Current weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};

describe.skipIf(!TRAINED)('wgh serve on the trained demo model', () => {
  let srv: ServeProcess;
  let openai: OpenAI;

  beforeAll(async () => {
    srv = await spawnServe(['--model', await ensureDemoModel(), '--model-name', MODEL, '--port', '0', '--no-artifacts', '--max-tokens', '256', '--temperature', '0']);
    await srv.ready();
    openai = new OpenAI({ baseURL: `${srv.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  afterAll(async () => srv?.stop());

  it('reasoning goes to reasoning_content, the answer to content', async () => {
    const res = await openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'What is 2 + 3?' }], reasoning_effort: 'high' });
    const message = res.choices[0].message as OpenAI.ChatCompletionMessage & { reasoning_content?: string };
    expect(message.reasoning_content?.length ?? 0).toBeGreaterThan(0);
    expect(message.content?.length ?? 0).toBeGreaterThan(0);
    expect(message.content).not.toContain(message.reasoning_content ?? '\u0000');
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

  it('json_object gives a JSON object', async () => {
    const res = await openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Give me a JSON object with a key "name".' }], response_format: { type: 'json_object' } });
    expect(typeof JSON.parse(res.choices[0].message.content ?? '')).toBe('object');
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
