// The validation stage: named hooks run on every request body (before it is mapped or queued)
// and on every finished reply (before it is sent). Built in:
//   request  'schema'           the route's JSON schema (schemas.ts), Ajv, first error as a 400
//   request  'limits'           message count and total text size (the byte limit of a body is
//                               Fastify's bodyLimit, set from the same `limits`)
//   response 'response-format'  json_object: the answer parses as a JSON object; json_schema: it
//                               also validates against the schema. A failure asks for a retry.
// Users add their own:
//   stage.addRequestHook('no-empty-user', (ctx) => { if (…) throw badRequest('…', 'messages'); });
//   stage.addResponseHook('no-urls', (ctx) => (/https?:/.test(ctx.text) ? { ok: false, reason: 'has a URL', retry: true } : undefined));

import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { TextMessage } from '../harmony/types.js';
import { ApiError, badRequest } from './errors.js';
import { CHAT_COMPLETIONS_SCHEMA, COMPLETIONS_SCHEMA, OLLAMA_CHAT_SCHEMA, OLLAMA_GENERATE_SCHEMA, OLLAMA_SHOW_SCHEMA, WGH_HARMONY_SCHEMA } from './schemas.js';

export type RouteName = 'chat.completions' | 'completions' | 'ollama.chat' | 'ollama.generate' | 'ollama.show' | 'wgh.harmony';

export interface RequestContext {
  readonly route: RouteName;
  readonly body: unknown;
}

/** Throws an ApiError to reject the request. */
export type RequestHook = (ctx: RequestContext) => void;

export type ResponseFormat = { readonly kind: 'json_object' } | { readonly kind: 'json_schema'; readonly name: string; readonly schema: object };

export interface ResponseContext {
  readonly route: RouteName;
  /** The answer as the client will get it (stop strings applied). */
  readonly text: string;
  readonly messages: readonly TextMessage[];
  readonly format?: ResponseFormat;
  /** 1-based. */
  readonly attempt: number;
}

export type ResponseVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: string; readonly retry: boolean };
/** undefined = no opinion. */
export type ResponseHook = (ctx: ResponseContext) => ResponseVerdict | undefined;

export interface RequestLimits {
  /** Largest request body (Fastify bodyLimit). */
  readonly maxBodyBytes: number;
  readonly maxMessages: number;
  /** Sum of the messages' text. */
  readonly maxTextChars: number;
}

/** Compiled response_format schemas kept (oldest dropped first): clients may send a new one per request. */
const MAX_CACHED_SCHEMAS = 64;

export const DEFAULT_LIMITS: RequestLimits = Object.freeze({ maxBodyBytes: 8 * 1024 * 1024, maxMessages: 2048, maxTextChars: 4 * 1024 * 1024 });

const SCHEMAS: Record<RouteName, object> = {
  'chat.completions': CHAT_COMPLETIONS_SCHEMA,
  completions: COMPLETIONS_SCHEMA,
  'ollama.chat': OLLAMA_CHAT_SCHEMA,
  'ollama.generate': OLLAMA_GENERATE_SCHEMA,
  'ollama.show': OLLAMA_SHOW_SCHEMA,
  'wgh.harmony': WGH_HARMONY_SCHEMA,
};

/** `/messages/0/content` → `messages[0].content` (OpenAI's `param` style). */
function paramPath(instancePath: string, missing?: string): string {
  const parts = instancePath.split('/').filter((p) => p.length > 0);
  if (missing !== undefined) parts.push(missing);
  return parts.reduce((out, part) => (/^\d+$/.test(part) ? `${out}[${part}]` : out.length === 0 ? part : `${out}.${part}`), '');
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function valueAt(body: unknown, instancePath: string): unknown {
  let value = body;
  for (const part of instancePath.split('/').filter((p) => p.length > 0)) value = (value as Record<string, unknown> | undefined)?.[part];
  return value;
}

export function schemaError(route: RouteName, errors: readonly ErrorObject[], body: unknown, prefix = ''): ApiError {
  // anyOf reports each branch; the first concrete error is the most useful.
  const error = errors.find((e) => e.keyword !== 'anyOf') ?? errors[0];
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty: string }).missingProperty;
    const param = prefix + paramPath(error.instancePath, missing);
    return badRequest(`Missing required parameter: '${param}'.`, param, 'missing_required_parameter');
  }
  const param = prefix + paramPath(error.instancePath) || '(body)';
  const got = valueAt(body, error.instancePath);
  const code = error.keyword === 'type' ? 'invalid_type' : 'invalid_value';
  return badRequest(`Invalid ${route} request: '${param}' ${error.message ?? 'is invalid'} (got ${describe(got)}).`, param, code);
}

export class ValidationStage {
  readonly limits: RequestLimits;
  private readonly ajv = new Ajv({ allErrors: false, strict: false });
  private readonly validators = new Map<RouteName, ValidateFunction>();
  /** Clients' response schemas live in their own instance, so evicting one frees it (removeSchema). */
  private readonly responseAjv = new Ajv({ allErrors: false, strict: false });
  private readonly schemaCache = new Map<string, { readonly validate: ValidateFunction; readonly schema: object }>();
  private readonly requestHooks: { name: string; hook: RequestHook }[] = [];
  private readonly responseHooks: { name: string; hook: ResponseHook }[] = [];

  constructor(limits: Partial<RequestLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    for (const [route, schema] of Object.entries(SCHEMAS)) this.validators.set(route as RouteName, this.ajv.compile(schema));
    this.addRequestHook('schema', (ctx) => this.checkSchema(ctx.route, ctx.body));
    this.addRequestHook('limits', (ctx) => this.checkLimits(ctx.body));
    this.addResponseHook('response-format', (ctx) => this.checkFormat(ctx));
  }

  addRequestHook(name: string, hook: RequestHook): this {
    this.requestHooks.push({ name, hook });
    return this;
  }

  addResponseHook(name: string, hook: ResponseHook): this {
    this.responseHooks.push({ name, hook });
    return this;
  }

  get hookNames(): { request: string[]; response: string[] } {
    return { request: this.requestHooks.map((h) => h.name), response: this.responseHooks.map((h) => h.name) };
  }

  /** Runs every request hook in order; the first to throw rejects the request. */
  checkRequest(ctx: RequestContext): void {
    for (const { hook } of this.requestHooks) hook(ctx);
  }

  /** The first hook that fails, or ok. */
  checkResponse(ctx: ResponseContext): ResponseVerdict & { readonly hook?: string } {
    for (const { name, hook } of this.responseHooks) {
      const verdict = hook(ctx);
      if (verdict !== undefined && !verdict.ok) return { ...verdict, hook: name };
    }
    return { ok: true };
  }

  checkSchema(route: RouteName, body: unknown, prefix = ''): void {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest(`The ${route} request body must be a JSON object.`, null, 'invalid_type');
    const validate = this.validators.get(route) as ValidateFunction;
    if (!validate(body)) throw schemaError(route, validate.errors ?? [], body, prefix);
  }

  private checkLimits(body: unknown): void {
    const messages = (body as { messages?: unknown }).messages;
    if (!Array.isArray(messages)) return;
    if (messages.length > this.limits.maxMessages) throw badRequest(`Too many messages: ${messages.length}, the limit is ${this.limits.maxMessages}.`, 'messages', 'too_many_messages');
    let chars = 0;
    for (const m of messages as { content?: unknown }[]) chars += typeof m.content === 'string' ? m.content.length : JSON.stringify(m.content ?? '').length;
    if (chars > this.limits.maxTextChars) throw badRequest(`The messages hold ${chars} characters, the limit is ${this.limits.maxTextChars}.`, 'messages', 'request_too_large');
  }

  private checkFormat(ctx: ResponseContext): ResponseVerdict | undefined {
    if (ctx.format === undefined) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(ctx.text);
    } catch (err) {
      return { ok: false, reason: `the answer is not valid JSON (${(err as Error).message})`, retry: true };
    }
    if (ctx.format.kind === 'json_object') {
      return typeof value === 'object' && value !== null && !Array.isArray(value) ? { ok: true } : { ok: false, reason: 'the answer is JSON but not an object', retry: true };
    }
    const validate = this.compileResponseSchema(ctx.format.schema);
    if (validate(value)) return { ok: true };
    const error = validate.errors?.[0];
    return { ok: false, reason: `the answer does not match schema '${ctx.format.name}': ${error?.instancePath || '(root)'} ${error?.message ?? ''}`.trim(), retry: true };
  }

  /** Compiles a client's response schema (cached by its text); a bad schema is the client's error. */
  compileResponseSchema(schema: object): ValidateFunction {
    const key = JSON.stringify(schema);
    const cached = this.schemaCache.get(key);
    if (cached !== undefined) return cached.validate;
    // Ajv speaks draft-07; a `$schema` naming another draft would make it refuse the whole schema.
    const { $schema: _draft, ...rest } = schema as { $schema?: unknown };
    let validate: ValidateFunction;
    try {
      validate = this.responseAjv.compile(rest);
    } catch (err) {
      throw badRequest(`response_format.json_schema.schema is not a valid JSON schema: ${(err as Error).message}`, 'response_format.json_schema.schema');
    }
    if (this.schemaCache.size >= MAX_CACHED_SCHEMAS) {
      const [oldestKey, oldest] = this.schemaCache.entries().next().value as [string, { schema: object }];
      this.schemaCache.delete(oldestKey);
      this.responseAjv.removeSchema(oldest.schema);
    }
    this.schemaCache.set(key, { validate, schema: rest });
    return validate;
  }
}
