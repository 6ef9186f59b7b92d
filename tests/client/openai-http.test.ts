// The OpenAI-compatible HTTP client against scripted local servers: a standard (non-wgh) stream is
// rebuilt into Harmony-level events; a 10 MB+ stream is read with flat memory and its first delta
// is delivered before the response ends; malformed lines, a cut connection, a stalled server and
// a stream without [DONE] are clear errors; 5xx before the stream is retried.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpStreamError } from '../../src/client/http-errors.js';
import { LineReaderStats } from '../../src/client/http-lines.js';
import { OpenAIHttpClient } from '../../src/client/openai-http.js';
import type { ChatRequest, ClientEvent } from '../../src/client/types.js';
import { chunk, sleep, sse, sseHeaders, startScriptedServer, writeInPieces, type ScriptedServer } from './helpers.js';

const REQUEST: ChatRequest = { system: { reasoningEffort: 'low' }, developer: { instructions: 'Be brief.' }, messages: [{ role: 'user', content: 'Weather in Oslo?' }], params: { maxTokens: 64, temperature: 0, seed: 1 } };

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function client(url: string, extra: Partial<ConstructorParameters<typeof OpenAIHttpClient>[0]> = {}): OpenAIHttpClient {
  return new OpenAIHttpClient({ baseUrl: `${url}/v1`, model: 'm', extension: false, retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 5 }, ...extra });
}

async function drain(c: OpenAIHttpClient, onEvent: (e: ClientEvent) => void = () => undefined) {
  const stream = c.chat(REQUEST);
  for await (const event of stream) onEvent(event);
  return stream.result;
}

describe('OpenAIHttpClient, standard servers (llama.cpp, vLLM, LM Studio style)', () => {
  it('maps reasoning, content and streamed tool calls to Harmony events (body split at byte boundaries)', async () => {
    server = await startScriptedServer(async (_req, res) => {
      sseHeaders(res);
      const body = [
        chunk({ role: 'assistant', content: '' }),
        chunk({ reasoning_content: 'Need ' }),
        chunk({ reasoning_content: 'weather.' }),
        chunk({ tool_calls: [{ index: 0, id: 'call_abc', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '"Oslo"}' } }] }),
        chunk({}, 'tool_calls'),
        { ...chunk({}), choices: [], usage: { prompt_tokens: 30, completion_tokens: 12, prompt_tokens_details: { cached_tokens: 8 } } },
      ].map(sse).join('');
      await writeInPieces(res, `${body}data: [DONE]\n\n`);
      res.end();
    });
    const events: ClientEvent[] = [];
    const result = await drain(client(server.url), (e) => events.push(e));
    expect(events.map((e) => e.type)).toEqual(['message-start', 'delta', 'delta', 'message-end', 'message-start', 'delta', 'delta', 'message-end', 'tool-call']);
    expect(result.messages).toEqual([
      { role: 'assistant', channel: 'analysis', content: 'Need weather.' },
      { role: 'assistant', channel: 'commentary', recipient: 'functions.get_weather', contentType: '<|constrain|>json', content: '{"city":"Oslo"}' },
    ]);
    expect(result.toolCalls[0].call).toEqual({ id: 'call_abc', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } });
    expect(result.usage).toEqual({ promptTokens: 30, completionTokens: 12, cachedTokens: 8 });
    expect(result.finishReason).toBe('stop');
    const sent = JSON.parse(server.requests[0].body) as Record<string, unknown>;
    expect(sent).toMatchObject({ model: 'm', stream: true, reasoning_effort: 'low', max_tokens: 64, temperature: 0, seed: 1, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Weather in Oslo?' }] });
    expect(sent['wgh']).toBeUndefined();
  });

  it('reads a 12 MB stream with flat memory and hands over the first delta before the response ends', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const TOTAL_BYTES = 12 * 1024 * 1024;
    const padding = 'p'.repeat(400); // big events, tiny deltas: memory must not follow the bytes
    let firstSeen!: () => void;
    const firstDelivered = new Promise<void>((resolve) => (firstSeen = resolve));
    let restWritten = false;
    server = await startScriptedServer(async (_req, res) => {
      sseHeaders(res);
      res.write(sse(chunk({ content: 'x' }, null, { padding })));
      await firstDelivered; // nothing more until the client has shown the first delta
      restWritten = true;
      const event = sse(chunk({ content: 'x' }, null, { padding }));
      const batch = event.repeat(64);
      for (let written = 0; written < TOTAL_BYTES; written += batch.length) {
        if (!res.write(batch)) await new Promise((resolve) => res.once('drain', resolve));
      }
      res.end(`${sse(chunk({}, 'stop'))}data: [DONE]\n\n`);
    });
    const stats = new LineReaderStats();
    const c = client(server.url, { stats });
    gc();
    const baseline = process.memoryUsage().heapUsed;
    let peak = 0;
    let numDeltas = 0;
    let firstBeforeRest: boolean | undefined;
    let nextSampleBytes = 1024 * 1024;
    const result = await drain(c, (event) => {
      if (event.type !== 'delta') return;
      numDeltas++;
      if (numDeltas === 1) {
        firstBeforeRest = !restWritten;
        firstSeen();
      }
      if (stats.bytesRead >= nextSampleBytes) {
        nextSampleBytes += 1024 * 1024;
        gc();
        peak = Math.max(peak, process.memoryUsage().heapUsed - baseline);
      }
    });
    expect(firstBeforeRest).toBe(true);
    expect(stats.bytesRead).toBeGreaterThan(TOTAL_BYTES);
    expect(stats.peakBufferedBytes).toBeLessThan(64 * 1024);
    expect(peak).toBeLessThan(4 * 1024 * 1024); // the answer itself is ~28k characters
    expect(result.messages[0].content.length).toBe(numDeltas);
  });

  it('a malformed line is a clear error', async () => {
    server = await startScriptedServer((_req, res) => {
      sseHeaders(res);
      res.end(`${sse(chunk({ content: 'Hi' }))}data: {"choices": [\n\n`);
    });
    await expect(drain(client(server.url))).rejects.toMatchObject({ name: 'HttpStreamError', failure: 'malformed' });
  });

  it('a connection cut mid-stream is a retryable HttpStreamError', async () => {
    server = await startScriptedServer(async (_req, res) => {
      sseHeaders(res);
      res.write(sse(chunk({ content: 'Hel' })));
      await sleep(20);
      res.socket?.destroy();
    });
    const err = await drain(client(server.url)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpStreamError);
    expect((err as HttpStreamError).failure).toBe('interrupted');
  });

  it('a server that stalls mid-stream hits the idle timeout', async () => {
    server = await startScriptedServer((_req, res) => {
      sseHeaders(res);
      res.write(sse(chunk({ content: 'slow' })));
    });
    await expect(drain(client(server.url, { idleTimeoutMs: 100 }))).rejects.toMatchObject({ failure: 'idle-timeout' });
  });

  it('a stream that ends without [DONE] is truncated; an error event is the server\'s message', async () => {
    server = await startScriptedServer((req, res) => {
      sseHeaders(res);
      if (server?.requests.length === 1) res.end(sse(chunk({ content: 'partial' })));
      else res.end(sse({ error: { message: 'out of memory', type: 'server_error' } }));
    });
    await expect(drain(client(server.url))).rejects.toMatchObject({ failure: 'truncated' });
    await expect(drain(client(server.url))).rejects.toThrow(/server-error: out of memory/);
  });

  it('503 before the stream is retried', async () => {
    server = await startScriptedServer((_req, res) => {
      if ((server?.requests.length ?? 0) <= 2) {
        res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'loading' } }));
        return;
      }
      sseHeaders(res);
      res.end(`${sse(chunk({ content: 'ok' }))}${sse(chunk({}, 'stop'))}data: [DONE]\n\n`);
    });
    const result = await drain(client(server.url));
    expect(result.messages).toEqual([{ role: 'assistant', channel: 'final', content: 'ok' }]);
    expect(server.requests.length).toBe(3);
  });

  it('health: a wgh server by /v1/health, others by /v1/models, a dead one is not ok', async () => {
    server = await startScriptedServer((req, res) => {
      res.writeHead(req.url === '/v1/models' ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify({ data: [{ id: 'llama' }] }));
    });
    expect(await client(server.url).health()).toMatchObject({ ok: true, engine: 'openai', model: 'llama' });
    expect(await new OpenAIHttpClient({ baseUrl: 'http://127.0.0.1:9/v1', retry: { maxRetries: 0, baseDelayMs: 0, maxDelayMs: 0 } }).health()).toMatchObject({ ok: false });
  });
});
