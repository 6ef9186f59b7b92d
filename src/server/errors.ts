// Errors a route answers with. Every failure reaching a client is an ApiError (a status, OpenAI's
// `type` / `code` / `param`), written as
//   OpenAI routes:  {"error": {"message", "type", "param", "code"}}      (what the openai SDK parses)
//   Ollama routes:  {"error": "message"}                                  (what ollama-js parses)
// Errors of the project's tree found while serving (a ConfigError from parameter validation, an
// engine failure) are converted by apiErrorOf().

import { ChatError, ConfigError, ContextOverflowError, WghError } from '../errors.js';

export type ApiErrorType = 'invalid_request_error' | 'authentication_error' | 'not_found_error' | 'rate_limit_error' | 'server_error' | 'service_unavailable_error';

export class ApiError extends WghError {
  constructor(
    readonly status: number,
    readonly type: ApiErrorType,
    message: string,
    readonly code: string | null = null,
    readonly param: string | null = null,
    /** Seconds, sent as Retry-After (429, 503). */
    readonly retryAfterS?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const badRequest = (message: string, param: string | null = null, code = 'invalid_value'): ApiError => new ApiError(400, 'invalid_request_error', message, code, param);

export const unknownModel = (model: string, served: string): ApiError =>
  new ApiError(404, 'invalid_request_error', `The model '${model}' does not exist; this server serves '${served}' (GET /v1/models lists it)`, 'model_not_found', 'model');

export const loading = (retryAfterS: number): ApiError =>
  new ApiError(503, 'service_unavailable_error', 'The model is still loading; retry shortly (GET /v1/health shows progress)', 'model_loading', null, retryAfterS);

/** Any error thrown while serving, as an ApiError. */
export function apiErrorOf(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof ConfigError) return badRequest(err.message, paramOf(err.message));
  if (err instanceof ContextOverflowError) return new ApiError(400, 'invalid_request_error', err.message, 'context_length_exceeded', 'messages');
  if (err instanceof ChatError && /context budget/.test(err.message)) return new ApiError(400, 'invalid_request_error', err.message, 'context_length_exceeded', 'messages');
  const message = err instanceof Error ? err.message : String(err);
  return new ApiError(500, 'server_error', `internal error: ${message}`, 'internal_error', null, undefined, { cause: err });
}

/** `sampling: 'topP' expected …` → 'top_p'. */
function paramOf(message: string): string | null {
  const match = /'([A-Za-z]+)(?:\[[^\]]*\])?'/.exec(message);
  return match === null ? null : match[1].replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

export function openAIErrorBody(err: ApiError): { error: { message: string; type: string; param: string | null; code: string | null } } {
  return { error: { message: err.message, type: err.type, param: err.param, code: err.code } };
}

export function ollamaErrorBody(err: ApiError): { error: string } {
  return { error: err.message };
}
