// Model and server information:
//   GET /v1/health   (also /health) 503 while the model loads (or failed), then 200: model metadata, load state,
//                    adapter, uptime, queue. No API key needed (load balancers probe it).
//   GET /v1/models, GET /v1/models/:id           OpenAI list / retrieve
//   GET /api/tags, GET /api/version, POST /api/show, GET /api/ps, GET /   Ollama

import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { WGH_ENGINE_NAME } from '../client/http-wire.js';
import type { ServerContext } from './context.js';
import type { ModelInfo } from './engine.js';
import { ApiError, unknownModel } from './errors.js';
import { checkModel } from './map-common.js';

const MS_PER_S = 1000;
const BILLION = 1e9;
const MILLION = 1e6;

function parameterSize(count: number | undefined): string {
  if (count === undefined) return 'unknown';
  return count >= BILLION ? `${(count / BILLION).toFixed(1)}B` : `${(count / MILLION).toFixed(1)}M`;
}

function digestOf(info: ModelInfo): string {
  return createHash('sha256').update(`${info.id}\0${info.dir ?? ''}`).digest('hex');
}

function ollamaDetails(info: ModelInfo): Record<string, unknown> {
  return { parent_model: '', format: 'safetensors', family: 'gptoss', families: ['gptoss'], parameter_size: parameterSize(info.parameterCount), quantization_level: info.quantization };
}

function modelJson(info: ModelInfo): Record<string, unknown> {
  return {
    id: info.id, family: info.family, context_length: info.contextLength, quantization: info.quantization,
    ...(info.dir !== undefined ? { path: info.dir } : {}),
    ...(info.numLayers !== undefined ? { num_layers: info.numLayers } : {}),
    ...(info.numExperts !== undefined ? { num_experts: info.numExperts } : {}),
    ...(info.hiddenSize !== undefined ? { hidden_size: info.hiddenSize } : {}),
    ...(info.vocabSize !== undefined ? { vocab_size: info.vocabSize } : {}),
    ...(info.parameterCount !== undefined ? { parameter_count: info.parameterCount } : {}),
    ...(info.sizeBytes !== undefined ? { size_bytes: info.sizeBytes } : {}),
  };
}

export function registerAdminRoutes(app: FastifyInstance, ctx: ServerContext): void {
  // Ollama clients probe `GET /` ("Ollama is running").
  app.get('/', async (_req, reply) => reply.type('text/plain').send(`${WGH_ENGINE_NAME} is running\n`));
  app.get('/health', async (_req, reply) => reply.redirect('/v1/health', 307));
  app.get('/v1/health', async (_req, reply) => {
    const state = ctx.engine.state;
    const info = ctx.info();
    const common = {
      engine: WGH_ENGINE_NAME, version: ctx.version, model: modelJson(info), uptime_s: (Date.now() - ctx.startedMs) / MS_PER_S,
      queue: { running: ctx.queue.running !== null, waiting: ctx.queue.waiting, max_waiting: ctx.queue.maxWaiting },
      validation: ctx.validation.hookNames,
    };
    if (state.state === 'loading') return reply.code(503).header('retry-after', '2').send({ status: 'loading', detail: state.detail, loading_s: (Date.now() - state.sinceMs) / MS_PER_S, ...common });
    if (state.state === 'failed') return reply.code(503).send({ status: 'failed', error: state.error.message, ...common });
    return reply.send({
      status: 'ok', ...common, adapter: info.adapter ?? null, backend: info.backend ?? null,
      load_s: info.loadSeconds ?? null, warmup_s: info.warmupSeconds ?? null,
    });
  });

  const modelEntry = () => {
    const info = ctx.info();
    return { id: info.id, object: 'model', created: info.createdS, owned_by: WGH_ENGINE_NAME };
  };
  app.get('/v1/models', async () => ({ object: 'list', data: [modelEntry()] }));
  app.get<{ Params: { id: string } }>('/v1/models/:id', async (req) => {
    checkModel(req.params.id, ctx.modelId);
    return modelEntry();
  });

  const tag = () => {
    const info = ctx.info();
    return { name: info.id, model: info.id, modified_at: new Date(info.createdS * MS_PER_S).toISOString(), size: info.sizeBytes ?? 0, digest: digestOf(info), details: ollamaDetails(info) };
  };
  app.get('/api/tags', async () => ({ models: [tag()] }));
  app.get('/api/ps', async () => (ctx.engine.state.state === 'ready' ? { models: [{ ...tag(), expires_at: '2999-01-01T00:00:00Z', size_vram: ctx.info().sizeBytes ?? 0 }] } : { models: [] }));
  app.get('/api/version', async () => ({ version: ctx.version }));
  app.post('/api/show', async (req) => {
    ctx.validation.checkRequest({ route: 'ollama.show', body: req.body ?? {} });
    const body = (req.body ?? {}) as { model?: string; name?: string };
    const name = body.model ?? body.name;
    if (name === undefined) throw new ApiError(400, 'invalid_request_error', "Missing required parameter: 'model'.", 'missing_required_parameter', 'model');
    if (name !== ctx.modelId && name !== `${ctx.modelId}:latest`) throw unknownModel(name, ctx.modelId);
    const info = ctx.info();
    return {
      license: 'Apache-2.0', modelfile: `# served by ${WGH_ENGINE_NAME} ${ctx.version}\nFROM ${info.dir ?? info.id}\n`, parameters: `num_ctx ${info.contextLength}`,
      template: '{{ harmony }}', details: ollamaDetails(info),
      model_info: {
        'general.architecture': 'gptoss', 'general.basename': info.id, 'general.parameter_count': info.parameterCount ?? 0,
        'gptoss.context_length': info.contextLength, 'gptoss.block_count': info.numLayers ?? 0, 'gptoss.expert_count': info.numExperts ?? 0, 'gptoss.embedding_length': info.hiddenSize ?? 0,
      },
      capabilities: ['completion', 'tools', 'thinking'],
      modified_at: new Date(info.createdS * MS_PER_S).toISOString(),
    };
  });
}
