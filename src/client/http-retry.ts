// Retry of HTTP requests before their response starts (openai-node's policy): connection errors,
// timeouts to the headers, 408/409/429 and 5xx are retried with exponential, capped, jittered
// backoff ("equal jitter": half fixed, half random), honouring Retry-After / retry-after-ms when the
// server sends one (capped too). Once a response body is streaming, nothing is retried here: an
// HttpStreamError goes to the turn pipeline, which may run the whole attempt again.
// Sleep, clock and randomness are injected (tests run without waiting).

export interface HttpRetryPolicy {
  /** Retries after the first try (0 = one try). */
  readonly maxRetries: number;
  readonly baseDelayMs: number;
  /** Cap of one delay, Retry-After included. */
  readonly maxDelayMs: number;
}

export const DEFAULT_HTTP_RETRY: HttpRetryPolicy = Object.freeze({ maxRetries: 2, baseDelayMs: 500, maxDelayMs: 8_000 });

const RETRYABLE_STATUS = new Set([408, 409, 429]);
const FIRST_SERVER_ERROR = 500;
const MS_PER_S = 1000;

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUS.has(status) || status >= FIRST_SERVER_ERROR;
}

/**
 * Delay before retry number `retryIdx` (1-based). `random` in [0, 1).
 * A server's Retry-After wins when given (bounded by the cap).
 */
export function retryDelayMs(retryIdx: number, policy: HttpRetryPolicy, random: () => number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined && retryAfterMs >= 0) return Math.min(retryAfterMs, policy.maxDelayMs);
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(retryIdx - 1, 0));
  return Math.round(exp / 2 + (exp / 2) * random());
}

/** `retry-after-ms: 250`, `Retry-After: 2` (seconds) or an HTTP date; undefined when absent or bad. */
export function parseRetryAfter(headers: { get(name: string): string | null }, nowMs: number): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && /^\d+(\.\d+)?$/.test(ms.trim())) return Number(ms);
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Number(value) * MS_PER_S;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(date - nowMs, 0);
}

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** setTimeout as a promise; resolves early (without error) when `signal` aborts. */
export const defaultSleep: Sleep = (ms, signal) =>
  new Promise((resolve) => {
    if (signal?.aborted === true) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
