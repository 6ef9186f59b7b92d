// Bad requests get the right status and an OpenAI-shaped error ({error: {message, type, param,
// code}}; Ollama's {error: "…"} under /api/), and the server keeps serving after each. Also the
// API key, the loading state (503), the bounded queue (429 + Retry-After), a client that leaves the
// queue, and a user's validation hook. Replayed completions, no GPU (helpers.ts).

import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { badRequest } from '../../src/server/errors.js';
import { ValidationStage } from '../../src/server/validation.js';
import { postJson, startReplayServer, TEST_MODEL, type ReplayServer } from './helpers.js';

const REPLY = '<|channel|>final<|message|>Fine, thanks.<|return|>';
const KEY = 'sk-test-123';
const BODY_LIMIT = 4096;
const chat = { model: TEST_MODEL, messages: [{ role: 'user', content: 'How are you?' }] };

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

describe('errors on a running server', () => {
  let t: ReplayServer;
  const auth = { authorization: `Bearer ${KEY}` };
  const post = (path: string, body: unknown, headers: Record<string, string> = auth) => postJson(`${t.url}${path}`, body, headers);
  const stillServes = async () => {
    const res = await post('/v1/chat/completions', chat);
    expect(res.status).toBe(200);
    expect((res.json as { choices: { message: { content: string } }[] }).choices[0].message.content).toBe('Fine, thanks.');
  };

  beforeAll(async () => {
    const validation = new ValidationStage({ maxBodyBytes: BODY_LIMIT }).addRequestHook('no-shouting', (ctx) => {
      const messages = (ctx.body as { messages?: { content?: unknown }[] }).messages ?? [];
      if (messages.some((m) => typeof m.content === 'string' && m.content.length > 3 && m.content === m.content.toUpperCase())) throw badRequest('Please do not shout.', 'messages', 'shouting');
    });
    t = await startReplayServer([REPLY], { apiKey: KEY, validation });
  });
  afterAll(() => t.close());

  it.each([
    ['malformed JSON', '{"model": "test-model", "messages": [', 400, 'invalid_json', null],
    ['a wrong type', { ...chat, temperature: 'hot' }, 400, 'invalid_type', 'temperature'],
    ['a wrong nested type', { model: TEST_MODEL, messages: [{ role: 'user', content: 42 }] }, 400, 'invalid_type', 'messages[0].content'],
    ['a missing field', { model: TEST_MODEL }, 400, 'missing_required_parameter', 'messages'],
    ['an out-of-range value', { ...chat, top_p: 3 }, 400, 'invalid_value', 'top_p'],
    ['an unknown model', { ...chat, model: 'gpt-9' }, 404, 'model_not_found', 'model'],
    ['n > 1', { ...chat, n: 3 }, 400, 'unsupported_value', 'n'],
    ['a tool result with no call', { model: TEST_MODEL, messages: [{ role: 'user', content: 'x' }, { role: 'tool', tool_call_id: 'nope', content: '1' }] }, 400, 'invalid_value', 'messages[1].tool_call_id'],
    ['a user hook', { model: TEST_MODEL, messages: [{ role: 'user', content: 'HELLO THERE' }] }, 400, 'shouting', 'messages'],
    ['an oversized body', { ...chat, messages: [{ role: 'user', content: 'x'.repeat(BODY_LIMIT) }] }, 413, 'request_too_large', null],
  ])('%s → %i %s', async (_, body, status, code, param) => {
    const res = await post('/v1/chat/completions', body);
    expect(res.status).toBe(status);
    const { error } = res.json as ErrorBody;
    expect(error).toMatchObject({ code, param });
    expect(typeof error.message).toBe('string');
    expect(error.type).toBe('invalid_request_error');
    await stillServes();
  });

  it('the API key: missing or wrong → 401 on every route but /v1/health', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong' }]) {
      for (const path of ['/v1/chat/completions', '/v1/completions', '/api/chat']) {
        const res = await post(path, chat, headers);
        expect(res.status).toBe(401);
        if (path.startsWith('/api/')) expect(typeof (res.json as { error: unknown }).error).toBe('string');
        else expect((res.json as ErrorBody).error.code).toBe('invalid_api_key');
      }
      expect((await fetch(`${t.url}/v1/models`, { headers })).status).toBe(401);
    }
    expect((await fetch(`${t.url}/v1/health`)).status).toBe(200);
    await stillServes();
  });

  it('the official SDK raises typed errors (401, 404, 400)', async () => {
    const bad = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: 'wrong', maxRetries: 0 });
    await expect(bad.chat.completions.create({ model: TEST_MODEL, messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const good = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: KEY, maxRetries: 0 });
    await expect(good.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(good.chat.completions.create({ model: TEST_MODEL, messages: [{ role: 'user', content: 'x' }], n: 2 })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(good.chat.completions.create({ model: TEST_MODEL, messages: [{ role: 'user', content: 'x' }], stream: true, temperature: -1 })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
  });

  it('an unknown route is a 404 in the family\'s shape', async () => {
    const res = await fetch(`${t.url}/v1/nothing`, { headers: auth });
    expect(res.status).toBe(404);
    expect(((await res.json()) as ErrorBody).error.code).toBe('unknown_route');
  });
});

describe('load state and queue', () => {
  it('503 with Retry-After while the model loads, then serves', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const t = await startReplayServer([REPLY], { loadGate: gate });
    try {
      const health = await fetch(`${t.url}/v1/health`);
      expect(health.status).toBe(503);
      expect(((await health.json()) as { status: string }).status).toBe('loading');
      const res = await postJson(`${t.url}/v1/chat/completions`, chat);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('2');
      expect((res.json as ErrorBody).error.code).toBe('model_loading');
      open();
      await gate;
      await new Promise((resolve) => setImmediate(resolve));
      const ready = (await (await fetch(`${t.url}/v1/health`)).json()) as { status: string; model: { id: string; context_length: number }; uptime_s: number };
      expect(ready).toMatchObject({ status: 'ok', model: { id: TEST_MODEL, context_length: 4096 } });
      expect((await postJson(`${t.url}/v1/chat/completions`, chat)).status).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('a full queue answers 429 with Retry-After; positions are logged; a waiter that leaves frees its place', async () => {
    const t = await startReplayServer([REPLY], { maxQueue: 1, tokenDelayMs: 40 });
    try {
      const running = postJson(`${t.url}/v1/chat/completions`, chat);
      await waitFor(() => t.logger.lines.some((l) => l.startsWith('req#1 ')));
      const leaving = new AbortController();
      const waiting = fetch(`${t.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify(chat), headers: { 'content-type': 'application/json' }, signal: leaving.signal }).catch((e: unknown) => e);
      await waitFor(() => t.logger.lines.some((l) => l === 'req#2 queued at position 1 (req#1 running)'));
      const full = await postJson(`${t.url}/v1/chat/completions`, chat);
      expect(full.status).toBe(429);
      expect(Number(full.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((full.json as ErrorBody).error).toMatchObject({ type: 'rate_limit_error', code: 'queue_full' });
      leaving.abort();
      await waiting;
      await waitFor(() => t.logger.lines.some((l) => l.startsWith('req#2 left the queue')));
      const third = postJson(`${t.url}/v1/chat/completions`, chat); // the freed place
      expect((await running).status).toBe(200);
      expect((await third).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let tries = 0; !condition(); tries++) {
    if (tries > 400) throw new Error('waitFor: condition never held');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
