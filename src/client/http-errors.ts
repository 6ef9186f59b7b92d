// Typed errors of the HTTP clients (openai-http.ts, ollama-http.ts), placed in the project's tree:
//
//   ChatError
//   ├─ HttpStatusError       the server answered with an error status (4xx, or 5xx/429 after retries)
//   ├─ HttpConnectionError   no response: refused, reset, DNS, or no headers within timeoutMs (after retries)
//   └─ RetryableError
//       └─ HttpStreamError   the response began but broke: cut mid-stream, malformed line, idle
//                            timeout, an error event in the stream. Retryable: the turn pipeline
//                            (src/chat/turn.ts) may run the attempt again.
//
// Every message names the provider and URL, what was expected and what came.

import { ChatError, RetryableError } from '../errors.js';

export interface HttpErrorSource {
  /** 'openai', 'ollama' */
  readonly provider: string;
  readonly url: string;
}

/** The error body of an OpenAI-compatible server, or Ollama's `{error: "…"}`, reduced to its fields. */
export interface ApiErrorBody {
  readonly message: string;
  readonly type?: string;
  readonly code?: string;
  readonly param?: string;
}

export class HttpStatusError extends ChatError {
  constructor(
    readonly source: HttpErrorSource,
    readonly status: number,
    readonly body: ApiErrorBody | undefined,
    /** From Retry-After / retry-after-ms, when the server sent one. */
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(`${source.provider} ${source.url}: HTTP ${status}${body !== undefined ? `: ${body.message}` : ''}`, options);
  }
}

export class HttpConnectionError extends ChatError {
  constructor(
    readonly source: HttpErrorSource,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${source.provider} ${source.url}: ${detail}`, options);
  }
}

export type StreamFailure = 'interrupted' | 'malformed' | 'idle-timeout' | 'line-too-long' | 'server-error' | 'truncated';

export class HttpStreamError extends RetryableError {
  constructor(
    readonly source: HttpErrorSource,
    readonly failure: StreamFailure,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${source.provider} ${source.url}: stream ${failure}: ${detail}`, options);
  }
}

/** Reads an error body (OpenAI `{error:{message,…}}`, Ollama `{error:"…"}`, or text) without throwing. */
export function apiErrorBodyOf(json: unknown, fallbackText: string): ApiErrorBody | undefined {
  if (typeof json === 'object' && json !== null && 'error' in json) {
    const error = (json as { error: unknown }).error;
    if (typeof error === 'string') return { message: error };
    if (typeof error === 'object' && error !== null) {
      const e = error as Record<string, unknown>;
      const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
      return {
        message: str(e['message']) ?? JSON.stringify(error),
        ...(str(e['type']) !== undefined ? { type: str(e['type']) } : {}),
        ...(str(e['code']) !== undefined ? { code: str(e['code']) } : {}),
        ...(str(e['param']) !== undefined ? { param: str(e['param']) } : {}),
      };
    }
  }
  const text = fallbackText.trim();
  return text.length > 0 ? { message: text.slice(0, 500) } : undefined;
}
