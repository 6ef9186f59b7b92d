// The HTTP plumbing both remote clients share: fetch (injectable, like openai-node) with a timeout
// to the response headers, retry before the response starts (http-retry.ts), typed errors
// (http-errors.ts), and the constant-memory line reader (http-lines.ts) with an idle timeout.
//
//   const transport = new HttpTransport({ provider: 'openai', baseUrl: 'http://127.0.0.1:8000/v1', apiKey });
//   const response = await transport.request('POST', '/chat/completions', body, signal);
//   for await (const line of transport.lines(response, signal)) …

import { HttpConnectionError, HttpStatusError, apiErrorBodyOf, type HttpErrorSource } from './http-errors.js';
import { LineReaderStats, readLines } from './http-lines.js';
import { DEFAULT_HTTP_RETRY, defaultSleep, isRetryableStatus, parseRetryAfter, retryDelayMs, type HttpRetryPolicy, type Sleep } from './http-retry.js';

export interface HttpTransportOptions {
  /** e.g. `http://127.0.0.1:8000/v1` (OpenAI style) or `http://127.0.0.1:11434` (Ollama). */
  readonly baseUrl: string;
  /** For messages: 'openai', 'ollama'. */
  readonly provider: string;
  /** Sent as `Authorization: Bearer KEY`. */
  readonly apiKey?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly fetch?: typeof fetch;
  /** Until the response headers arrive. Default 30 s. */
  readonly timeoutMs?: number;
  /** Longest silence inside a streamed body. Default 120 s. */
  readonly idleTimeoutMs?: number;
  /** Longest line (one SSE/NDJSON event). Default 8 MiB. */
  readonly maxLineBytes?: number;
  readonly retry?: HttpRetryPolicy;
  readonly sleep?: Sleep;
  /** In [0, 1); jitter. */
  readonly random?: () => number;
  /** Milliseconds since the epoch (Retry-After dates). */
  readonly now?: () => number;
  /** Told before each retry (for logs). */
  readonly onRetry?: (info: { readonly retry: number; readonly delayMs: number; readonly error: Error }) => void;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 120_000;
export const DEFAULT_MAX_LINE_BYTES = 8 * 1024 * 1024;
/** Error bodies are read up to this many bytes. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

export class HttpTransport {
  readonly baseUrl: string;
  private readonly fetchFn: typeof fetch;

  constructor(readonly opts: HttpTransportOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.fetchFn = opts.fetch ?? fetch;
  }

  source(path: string): HttpErrorSource {
    return { provider: this.opts.provider, url: `${this.baseUrl}${path}` };
  }

  /** One request with retries; resolves with an OK response whose body is not yet read. */
  async request(method: 'GET' | 'POST', path: string, body: unknown, signal?: AbortSignal, retry = this.opts.retry ?? DEFAULT_HTTP_RETRY): Promise<Response> {
    const sleep = this.opts.sleep ?? defaultSleep;
    const random = this.opts.random ?? Math.random;
    for (let retryIdx = 0; ; retryIdx++) {
      try {
        return await this.once(method, path, body, signal);
      } catch (err) {
        if (signal?.aborted === true) throw signal.reason;
        const canRetry = err instanceof HttpConnectionError || (err instanceof HttpStatusError && isRetryableStatus(err.status));
        if (!canRetry || retryIdx >= retry.maxRetries) throw err;
        const delayMs = retryDelayMs(retryIdx + 1, retry, random, err instanceof HttpStatusError ? err.retryAfterMs : undefined);
        this.opts.onRetry?.({ retry: retryIdx + 1, delayMs, error: err as Error });
        await sleep(delayMs, signal);
        throwIfAborted(signal);
      }
    }
  }

  async getJson(path: string, signal?: AbortSignal, retry?: HttpRetryPolicy): Promise<unknown> {
    const response = await this.request('GET', path, undefined, signal, retry);
    return response.json();
  }

  /** One GET without retries that reads any status's JSON body; undefined when nothing answered. */
  async probe(path: string, signal?: AbortSignal): Promise<{ readonly status: number; readonly json: unknown } | undefined> {
    const timeout = AbortSignal.timeout(this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    try {
      const headers: Record<string, string> = { accept: 'application/json', ...this.opts.headers };
      if (this.opts.apiKey !== undefined && this.opts.apiKey.length > 0) headers['authorization'] = `Bearer ${this.opts.apiKey}`;
      const response = await this.fetchFn(this.source(path).url, { headers, signal: signal !== undefined ? AbortSignal.any([signal, timeout]) : timeout });
      const { json } = await readJsonBody(response);
      return { status: response.status, json };
    } catch {
      return undefined;
    }
  }

  /** The body's lines (constant memory, idle timeout). */
  lines(response: Response, path: string, signal?: AbortSignal, stats?: LineReaderStats): AsyncGenerator<string, void, undefined> {
    const source = this.source(path);
    if (response.body === null) throw new HttpConnectionError(source, 'the response has no body');
    return readLines(
      response.body,
      {
        source,
        idleTimeoutMs: this.opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
        maxLineBytes: this.opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
        ...(signal !== undefined ? { signal } : {}),
      },
      stats,
    );
  }

  private async once(method: string, path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
    const source = this.source(path);
    const timeoutMs = this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new Error('timeout')), timeoutMs);
    const combined = signal !== undefined ? AbortSignal.any([signal, timeout.signal]) : timeout.signal;
    const headers: Record<string, string> = { accept: 'application/json, text/event-stream, application/x-ndjson', ...this.opts.headers };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.opts.apiKey !== undefined && this.opts.apiKey.length > 0) headers['authorization'] = `Bearer ${this.opts.apiKey}`;
    let response: Response;
    try {
      response = await this.fetchFn(source.url, { method, headers, signal: combined, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    } catch (err) {
      if (signal?.aborted === true) throw signal.reason;
      if (timeout.signal.aborted) throw new HttpConnectionError(source, `no response within ${timeoutMs} ms`, { cause: err });
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new HttpConnectionError(source, `cannot connect (${cause?.code ?? cause?.message ?? (err as Error).message})`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
    if (response.ok) return response;
    const { text, json } = await readJsonBody(response);
    const nowMs = (this.opts.now ?? Date.now)();
    throw new HttpStatusError(source, response.status, apiErrorBodyOf(json, text), parseRetryAfter(response.headers, nowMs));
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw signal.reason;
}

/** Reads at most `maxBytes` of a body as text (error bodies), then cancels the rest. */
async function readCapped(response: Response, maxBytes: number): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  try {
    while (total < maxBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      total += value.length;
    }
  } catch {
    // A broken error body: keep what arrived.
  } finally {
    reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(parts).subarray(0, maxBytes).toString('utf8');
}

/** A (small, capped) response body as text and, when it parses, as JSON. */
async function readJsonBody(response: Response): Promise<{ text: string; json: unknown }> {
  const text = await readCapped(response, MAX_ERROR_BODY_BYTES);
  try {
    return { text, json: JSON.parse(text) as unknown };
  } catch {
    return { text, json: undefined };
  }
}
