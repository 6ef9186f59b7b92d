// The Ollama client against a scripted NDJSON server (thinking, content, whole tool calls with
// object arguments, an error line), and the fallback chain (a dead provider is skipped; a provider
// that fails after streaming keeps the error).

import { afterEach, describe, expect, it } from 'vitest';
import { FallbackClient } from '../../src/client/fallback.js';
import { OllamaHttpClient } from '../../src/client/ollama-http.js';
import { OpenAIHttpClient } from '../../src/client/openai-http.js';
import type { ChatRequest } from '../../src/client/types.js';
import { startScriptedServer, writeInPieces, type ScriptedServer } from './helpers.js';

const REQUEST: ChatRequest = {
  system: { reasoningEffort: 'high' },
  developer: { instructions: 'Be brief.', tools: [{ name: 'get_weather', description: 'weather', parameters: { type: 'object' } }] },
  messages: [
    { role: 'user', content: 'Weather?' },
    { role: 'assistant', channel: 'commentary', recipient: 'functions.get_weather', contentType: '<|constrain|>json', content: '{"city":"Oslo"}' },
    { role: 'tool', name: 'functions.get_weather', recipient: 'assistant', channel: 'commentary', content: '{"c":20}' },
  ],
  params: { maxTokens: 32, temperature: 0.5, seed: 3, repetitionPenalty: 1.1, penaltyWindow: 64 },
};
const NO_RETRY = { maxRetries: 0, baseDelayMs: 0, maxDelayMs: 0 };

let servers: ScriptedServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

const line = (value: unknown) => `${JSON.stringify(value)}\n`;

async function ollamaServer(lines: readonly unknown[]): Promise<ScriptedServer> {
  const server = await startScriptedServer(async (req, res) => {
    if (req.url === '/api/version') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"version":"0.12.0"}');
    if (req.url !== '/api/chat') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    await writeInPieces(res, lines.map(line).join(''));
    res.end();
  });
  servers.push(server);
  return server;
}

describe('OllamaHttpClient', () => {
  it('maps the request to /api/chat and the NDJSON reply to Harmony events', async () => {
    const server = await ollamaServer([
      { model: 'gpt-oss:20b', message: { role: 'assistant', content: '', thinking: 'It is ' }, done: false },
      { model: 'gpt-oss:20b', message: { role: 'assistant', content: '', thinking: 'warm.' }, done: false },
      { model: 'gpt-oss:20b', message: { role: 'assistant', content: '20 °C in ' }, done: false },
      { model: 'gpt-oss:20b', message: { role: 'assistant', content: 'Oslo.' }, done: false },
      { model: 'gpt-oss:20b', message: { role: 'assistant', content: '' }, done: true, done_reason: 'stop', prompt_eval_count: 40, eval_count: 9 },
    ]);
    const client = new OllamaHttpClient({ baseUrl: server.url, model: 'gpt-oss:20b', extension: false, retry: NO_RETRY });
    const stream = client.chat(REQUEST);
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    const result = await stream.result;
    expect(types).toEqual(['message-start', 'delta', 'delta', 'message-end', 'message-start', 'delta', 'delta', 'message-end']);
    expect(result.messages).toEqual([
      { role: 'assistant', channel: 'analysis', content: 'It is warm.' },
      { role: 'assistant', channel: 'final', content: '20 °C in Oslo.' },
    ]);
    expect(result.usage).toMatchObject({ promptTokens: 40, completionTokens: 9 });
    const sent = JSON.parse(server.requests[0].body) as Record<string, unknown>;
    expect(sent).toMatchObject({
      model: 'gpt-oss:20b', stream: true, think: 'high',
      options: { num_predict: 32, temperature: 0.5, seed: 3, repeat_penalty: 1.1, repeat_last_n: 64 },
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Weather?' },
        { role: 'assistant', content: '', tool_calls: [{ function: { name: 'get_weather', arguments: { city: 'Oslo' } } }] },
        { role: 'tool', content: '{"c":20}', tool_name: 'get_weather' },
      ],
      tools: [{ type: 'function', function: { name: 'get_weather' } }],
    });
  });

  it('tool calls come whole with object arguments', async () => {
    const server = await ollamaServer([
      { message: { role: 'assistant', content: '', tool_calls: [{ function: { name: 'get_weather', arguments: { city: 'Bergen' } } }] }, done: false },
      { message: { role: 'assistant', content: '' }, done: true, done_reason: 'stop' },
    ]);
    const stream = new OllamaHttpClient({ baseUrl: server.url, model: 'm', extension: false, retry: NO_RETRY }).chat(REQUEST);
    const result = await stream.result;
    expect(result.toolCalls.map((c) => c.call)).toEqual([{ id: 'call_0', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Bergen"}' } }]);
  });

  it('an error line and a missing done line are clear errors', async () => {
    const failing = await ollamaServer([{ message: { role: 'assistant', content: 'a' }, done: false }, { error: 'model crashed' }]);
    await expect(new OllamaHttpClient({ baseUrl: failing.url, model: 'm', extension: false, retry: NO_RETRY }).chat(REQUEST).result).rejects.toThrow(/server-error: model crashed/);
    const cut = await ollamaServer([{ message: { role: 'assistant', content: 'a' }, done: false }]);
    await expect(new OllamaHttpClient({ baseUrl: cut.url, model: 'm', extension: false, retry: NO_RETRY }).chat(REQUEST).result).rejects.toMatchObject({ failure: 'truncated' });
  });
});

describe('FallbackClient', () => {
  it('skips a provider whose probe fails and serves from the next', async () => {
    const good = await ollamaServer([{ message: { role: 'assistant', content: 'from backup' }, done: false }, { message: { role: 'assistant', content: '' }, done: true, done_reason: 'stop' }]);
    const skipped: string[] = [];
    const dead = new OpenAIHttpClient({ baseUrl: 'http://127.0.0.1:9/v1', model: 'm', extension: false, retry: NO_RETRY });
    const fallback = new FallbackClient([dead, new OllamaHttpClient({ baseUrl: good.url, model: 'm', extension: false, retry: NO_RETRY })], { onFallback: (f) => skipped.push(f.reason) });
    const result = await fallback.chat(REQUEST).result;
    expect(result.messages).toEqual([{ role: 'assistant', channel: 'final', content: 'from backup' }]);
    expect(fallback.lastProviderIdx).toBe(1);
    expect(skipped[0]).toMatch(/health probe failed/);
  });

  it('a provider that already streamed keeps its error (no restart elsewhere)', async () => {
    const broken = await ollamaServer([{ message: { role: 'assistant', content: 'half' }, done: false }, { error: 'boom' }]);
    const good = await ollamaServer([{ message: { role: 'assistant', content: 'x' }, done: true, done_reason: 'stop' }]);
    const make = (url: string) => new OllamaHttpClient({ baseUrl: url, model: 'm', extension: false, retry: NO_RETRY });
    const fallback = new FallbackClient([make(broken.url), make(good.url)], { probe: false });
    await expect(fallback.chat(REQUEST).result).rejects.toThrow(/boom/);
    expect(good.requests.length).toBe(0);
  });
});
