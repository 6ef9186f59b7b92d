// createServer(): the HTTP server of `wgh serve` on Fastify 5 (routes in one file per family:
// routes-openai-chat, routes-completions, routes-ollama, routes-admin). Cross-cutting here:
//   - `--api-key`: `Authorization: Bearer KEY` on every route but GET /v1/health (401 otherwise)
//   - body size limit (413), malformed JSON (400), unknown route (404), in the route family's error
//     shape: OpenAI's {error: {message, type, param, code}}, Ollama's {error: "…"} under /api/
//   - Retry-After on 429 / 503
//
//   const server = await createServer({ engine, info, apiKey });
//   const url = await server.listen('127.0.0.1', 0);     // 'http://127.0.0.1:PORT'

import { timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { RunArtifacts } from '../chat/artifacts.js';
import { WghError } from '../errors.js';
import type { ServerContext } from './context.js';
import type { ModelInfo, ServerEngine } from './engine.js';
import { ApiError, apiErrorOf, ollamaErrorBody, openAIErrorBody } from './errors.js';
import { stderrLogger, type ServerLogger } from './log.js';
import { DEFAULT_SERVER_DEFAULTS, type ServerDefaults } from './map-common.js';
import { GpuQueue } from './queue.js';
import { registerAdminRoutes } from './routes-admin.js';
import { registerCompletionsRoute } from './routes-completions.js';
import { registerOllamaRoutes } from './routes-ollama.js';
import { registerOpenAIChatRoutes } from './routes-openai-chat.js';
import { ValidationStage, type RequestLimits } from './validation.js';

export interface CreateServerOptions {
  readonly engine: ServerEngine;
  /** What is known before the model is loaded (id, context length from config.json). */
  readonly info: ModelInfo;
  readonly apiKey?: string;
  /** Ignored when `validation` is given (it has its own limits). */
  readonly limits?: Partial<RequestLimits>;
  /** A stage with the user's hooks added. */
  readonly validation?: ValidationStage;
  /** Requests waiting behind the running one at most. Default 16. */
  readonly maxQueue?: number;
  readonly defaults?: Partial<ServerDefaults>;
  readonly artifacts?: RunArtifacts | null;
  readonly logger?: ServerLogger;
  readonly version?: string;
}

export interface WghServer {
  readonly app: FastifyInstance;
  readonly context: ServerContext;
  /** Binds and returns the URL (`http://HOST:PORT`); port 0 picks a free one. */
  listen(host: string, port: number): Promise<string>;
  /** Stops accepting, ends open streams, writes the artifacts report, releases the engine. */
  close(): Promise<void>;
}

export const DEFAULT_MAX_QUEUE = 16;
/** Routes open without the API key. */
const PUBLIC_ROUTES = new Set(['/v1/health', '/health']);

function isOllamaRoute(url: string): boolean {
  return url.startsWith('/api/');
}

function sendError(req: FastifyRequest, reply: FastifyReply, err: ApiError): FastifyReply {
  if (err.retryAfterS !== undefined) void reply.header('retry-after', String(err.retryAfterS));
  return reply.code(err.status).send(isOllamaRoute(req.url) ? ollamaErrorBody(err) : openAIErrorBody(err));
}

/** Fastify's own errors (body parsing, limits) as ApiErrors. */
function fromFastifyError(err: FastifyError, limit: number): ApiError {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError(413, 'invalid_request_error', `The request body is larger than this server's limit of ${limit} bytes.`, 'request_too_large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError(415, 'invalid_request_error', `Unsupported content type; send JSON (${err.message}).`, 'unsupported_media_type');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError(400, 'invalid_request_error', 'The request body is empty; send a JSON object.', 'invalid_json');
    default:
      if (err instanceof SyntaxError || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
        return new ApiError(400, 'invalid_request_error', `The request body is not valid JSON: ${err.message}`, 'invalid_json');
      }
      if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) return new ApiError(err.statusCode, 'invalid_request_error', err.message, err.code ?? null);
      return apiErrorOf(err);
  }
}

function keyMatches(header: string | undefined, key: string): boolean {
  const given = Buffer.from(header?.startsWith('Bearer ') === true ? header.slice('Bearer '.length).trim() : '');
  const expected = Buffer.from(key);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export async function createServer(opts: CreateServerOptions): Promise<WghServer> {
  const logger = opts.logger ?? stderrLogger();
  const validation = opts.validation ?? new ValidationStage(opts.limits);
  const bodyLimit = validation.limits.maxBodyBytes;
  const app = Fastify({ logger: false, bodyLimit, forceCloseConnections: true, return503OnClosing: true });
  let requestSeq = 0;
  const context: ServerContext = {
    engine: opts.engine, validation, logger, artifacts: opts.artifacts ?? null, modelId: opts.info.id,
    queue: new GpuQueue(opts.maxQueue ?? DEFAULT_MAX_QUEUE, logger),
    defaults: { ...DEFAULT_SERVER_DEFAULTS, ...opts.defaults }, version: opts.version ?? '0.0.0', startedMs: Date.now(),
    info: () => (opts.engine.state.state === 'ready' ? opts.engine.state.backend.info : opts.info),
    nextRequestId: () => ++requestSeq,
  };

  // Bodies without a JSON content type (curl -d) are read as JSON too.
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch (err) {
      done(new ApiError(400, 'invalid_request_error', `The request body is not valid JSON: ${(err as Error).message}`, 'invalid_json'), undefined);
    }
  });

  app.addHook('onRequest', async (req, reply) => {
    if (opts.apiKey === undefined || opts.apiKey.length === 0) return;
    const path = req.url.split('?')[0];
    if (PUBLIC_ROUTES.has(path) || keyMatches(req.headers.authorization, opts.apiKey)) return;
    const given = req.headers.authorization !== undefined;
    logger.info(`${req.method} ${path}: ${given ? 'invalid' : 'missing'} API key (401)`);
    return sendError(req, reply, new ApiError(401, 'authentication_error', given ? 'Incorrect API key provided.' : 'Missing API key: send the header "Authorization: Bearer KEY".', 'invalid_api_key'));
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const apiError = err instanceof ApiError ? err : err instanceof WghError ? apiErrorOf(err) : fromFastifyError(err, bodyLimit);
    if (apiError.status >= 500) logger.warn(`${req.method} ${req.url}: ${apiError.message}`);
    return sendError(req, reply, apiError);
  });
  app.setNotFoundHandler((req, reply) => sendError(req, reply, new ApiError(404, 'not_found_error', `Unknown route: ${req.method} ${req.url.split('?')[0]}`, 'unknown_route')));

  registerAdminRoutes(app, context);
  registerOpenAIChatRoutes(app, context);
  registerCompletionsRoute(app, context);
  registerOllamaRoutes(app, context);

  return {
    app,
    context,
    async listen(host, port) {
      await app.listen({ host, port });
      const address = app.server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : port;
      return `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
    },
    async close() {
      await app.close();
      if (context.artifacts !== null) await context.artifacts.finish();
      await opts.engine.close();
    },
  };
}
