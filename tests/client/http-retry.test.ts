// Retry before the response starts: capped, jittered backoff with an injected sleep and random,
// Retry-After honoured, 4xx not retried, connection errors and header timeouts retried then typed.

import { describe, expect, it } from 'vitest';
import { HttpConnectionError, HttpStatusError } from '../../src/client/http-errors.js';
import { isRetryableStatus, parseRetryAfter, retryDelayMs } from '../../src/client/http-retry.js';
import { HttpTransport } from '../../src/client/http-transport.js';

const POLICY = { maxRetries: 3, baseDelayMs: 100, maxDelayMs: 1000 };

describe('backoff', () => {
  it('doubles per retry, is capped, and jitters within [exp/2, exp]', () => {
    expect([1, 2, 3, 4, 5].map((r) => retryDelayMs(r, POLICY, () => 0))).toEqual([50, 100, 200, 400, 500]);
    expect([1, 2, 3, 4, 5].map((r) => retryDelayMs(r, POLICY, () => 0.999999))).toEqual([100, 200, 400, 800, 1000]);
  });

  it('takes the server\'s Retry-After (capped)', () => {
    expect(retryDelayMs(1, POLICY, () => 0.5, 300)).toBe(300);
    expect(retryDelayMs(1, POLICY, () => 0.5, 60_000)).toBe(1000);
    const h = (entries: Record<string, string>) => new Headers(entries);
    expect(parseRetryAfter(h({ 'retry-after': '2' }), 0)).toBe(2000);
    expect(parseRetryAfter(h({ 'retry-after-ms': '150' }), 0)).toBe(150);
    expect(parseRetryAfter(h({ 'retry-after': new Date(10_000).toUTCString() }), 4_000)).toBe(6000);
    expect(parseRetryAfter(h({}), 0)).toBeUndefined();
  });

  it('retries 408/409/429/5xx, not other 4xx', () => {
    expect([408, 409, 429, 500, 503].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 404, 413, 422].some(isRetryableStatus)).toBe(false);
  });
});

function fakeFetch(responses: (() => Promise<Response>)[]): { fetch: typeof fetch; calls: () => number } {
  let calls = 0;
  const fn = ((_url: string, _init?: RequestInit) => responses[Math.min(calls++, responses.length - 1)]()) as unknown as typeof fetch;
  return { fetch: fn, calls: () => calls };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) => () => Promise.resolve(new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } }));
const refused = () => Promise.reject(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } }));

describe('HttpTransport.request', () => {
  it('retries 503 and 429 (Retry-After) and then succeeds; sleeps are injected', async () => {
    const sleeps: number[] = [];
    const { fetch, calls } = fakeFetch([json(503, { error: { message: 'busy' } }), json(429, { error: 'slow down' }, { 'retry-after-ms': '7' }), json(200, { ok: true })]);
    const t = new HttpTransport({ provider: 'openai', baseUrl: 'http://x/v1', fetch, retry: POLICY, random: () => 0, sleep: async (ms) => void sleeps.push(ms) });
    const res = await t.request('POST', '/chat/completions', { a: 1 });
    expect(await res.json()).toEqual({ ok: true });
    expect(calls()).toBe(3);
    expect(sleeps).toEqual([50, 7]);
  });

  it('does not retry a 400 and keeps the server\'s error fields', async () => {
    const { fetch, calls } = fakeFetch([json(400, { error: { message: 'bad temperature', type: 'invalid_request_error', param: 'temperature', code: 'invalid_type' } })]);
    const t = new HttpTransport({ provider: 'openai', baseUrl: 'http://x/v1', fetch, retry: POLICY, sleep: async () => undefined });
    const err = await t.request('POST', '/chat/completions', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpStatusError);
    expect(err).toMatchObject({ status: 400, body: { message: 'bad temperature', param: 'temperature', code: 'invalid_type' } });
    expect(calls()).toBe(1);
  });

  it('retries refused connections, then throws HttpConnectionError', async () => {
    const { fetch, calls } = fakeFetch([refused]);
    const t = new HttpTransport({ provider: 'ollama', baseUrl: 'http://x', fetch, retry: POLICY, sleep: async () => undefined });
    await expect(t.request('GET', '/api/version', undefined)).rejects.toThrow(HttpConnectionError);
    await expect(t.request('GET', '/api/version', undefined)).rejects.toThrow(/cannot connect \(ECONNREFUSED\)/);
    expect(calls()).toBe(2 * (POLICY.maxRetries + 1));
  });

  it('a server that never sends headers times out (then retries, then fails): never a hang', async () => {
    const hang = ((_url: string, init?: RequestInit) =>
      new Promise<Response>((_, reject) => init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))))) as unknown as typeof fetch;
    const t = new HttpTransport({ provider: 'openai', baseUrl: 'http://x/v1', fetch: hang, timeoutMs: 20, retry: { ...POLICY, maxRetries: 1 }, sleep: async () => undefined });
    await expect(t.request('POST', '/chat/completions', {})).rejects.toThrow(/no response within 20 ms/);
  });

  it('an abort by the caller is not retried', async () => {
    const controller = new AbortController();
    controller.abort(new Error('user cancelled'));
    const { fetch } = fakeFetch([refused]);
    const t = new HttpTransport({ provider: 'openai', baseUrl: 'http://x/v1', fetch, retry: POLICY, sleep: async () => undefined });
    await expect(t.request('POST', '/chat/completions', {}, controller.signal)).rejects.toThrow('user cancelled');
  });
});
