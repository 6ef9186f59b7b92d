// Ollama-compatible generation routes: POST /api/chat and POST /api/generate, NDJSON streaming by
// default (`stream: false` for one object). `thinking` carries the reasoning, `content` /
// `response` the answer; tool calls arrive whole (object arguments) as Ollama sends them; the last
// line has done: true, done_reason and Ollama's counters (durations in nanoseconds).
// An empty request (no messages / no prompt) only loads the model: done_reason "load".
// Errors are Ollama's shape, {"error": "…"}. Mapping rules: map-ollama.ts.

import type { FastifyInstance } from 'fastify';
import type { ChatResult } from '../client/types.js';
import { driveChat, goneOr, type ReplyFormatter, type WghChunk } from './chat-driver.js';
import type { ServerContext } from './context.js';
import { apiErrorOf, ollamaErrorBody } from './errors.js';
import { checkModel, generationParamsOf, stopList } from './map-common.js';
import { mapOllamaChat, mapOllamaGenerate, ollamaParams, type MappedOllama, type OllamaChatBody, type OllamaGenerateBody } from './map-ollama.js';
import type { ServedReply } from './serve-chat.js';
import { checkRawPrompt, serveRaw } from './serve-raw.js';
import { disconnectMessage, disconnectSignal, StreamWriter } from './stream-writer.js';

const NS_PER_S = 1e9;

function argumentsObject(text: string): unknown {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? value : {};
  } catch {
    return {};
  }
}

/** Ollama's closing counters. */
function counters(result: Pick<ChatResult, 'usage' | 'metrics'>, startMs: number, doneReason: string): Record<string, unknown> {
  const m = result.metrics;
  return {
    done: true,
    done_reason: doneReason,
    total_duration: Math.round(((performance.now() - startMs) / 1000) * NS_PER_S),
    load_duration: 0,
    prompt_eval_count: result.usage.promptTokens,
    prompt_eval_duration: Math.round(m.prefillSeconds * NS_PER_S),
    eval_count: result.usage.completionTokens,
    eval_duration: Math.round(m.decodeSeconds * NS_PER_S),
  };
}

function doneReasonOf(reply: ServedReply): string {
  return reply.finishReason === 'length' ? 'length' : 'stop';
}

/** /api/chat lines (`message`) or /api/generate lines (`response`). */
function ollamaFormatter(model: string, mapped: MappedOllama, shape: 'chat' | 'generate'): ReplyFormatter {
  const startMs = performance.now();
  const head = () => ({ model, created_at: new Date().toISOString() });
  const piece = (content: string, thinking: string | undefined, extra: Record<string, unknown> = {}) =>
    shape === 'chat'
      ? { ...head(), message: { role: 'assistant', content, ...(thinking !== undefined ? { thinking } : {}), ...extra }, done: false }
      : { ...head(), response: content, ...(thinking !== undefined ? { thinking } : {}), done: false };
  const withWgh = (line: Record<string, unknown>, wgh: WghChunk | undefined) => (wgh !== undefined ? { ...line, wgh } : line);
  return {
    kind: 'ndjson',
    opening: () => [],
    chunk: (event, wgh) => {
      if (event.type === 'content') return withWgh(piece(event.text, undefined), wgh);
      if (event.type === 'reasoning') return mapped.showThinking ? withWgh(piece('', event.text), wgh) : undefined;
      if (event.type === 'tool-call-end' && shape === 'chat') {
        return withWgh(piece('', undefined, { tool_calls: [{ function: { name: event.call.function.name, arguments: argumentsObject(event.call.function.arguments) } }] }), wgh);
      }
      return undefined;
    },
    closing: (reply, wgh) => {
      const last = shape === 'chat' ? { ...head(), message: { role: 'assistant', content: '' } } : { ...head(), response: '' };
      return [withWgh({ ...last, ...counters(reply.result, startMs, doneReasonOf(reply)) }, wgh)];
    },
    streamError: (err) => ollamaErrorBody(err),
    body: (reply, wgh) => {
      const thinking = mapped.showThinking && reply.reasoning.length > 0 ? { thinking: reply.reasoning } : {};
      const calls = reply.toolCalls.map((c) => ({ function: { name: c.function.name, arguments: argumentsObject(c.function.arguments) } }));
      const main =
        shape === 'chat'
          ? { message: { role: 'assistant', content: reply.content, ...thinking, ...(calls.length > 0 ? { tool_calls: calls } : {}) } }
          : { response: reply.content, ...thinking };
      return withWgh({ ...head(), ...main, ...counters(reply.result, startMs, doneReasonOf(reply)) }, wgh);
    },
  };
}

function loadOnly(model: string, shape: 'chat' | 'generate'): Record<string, unknown> {
  const main = shape === 'chat' ? { message: { role: 'assistant', content: '' } } : { response: '' };
  return { model, created_at: new Date().toISOString(), ...main, done: true, done_reason: 'load' };
}

export function registerOllamaRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.post('/api/chat', async (req, reply) => {
    ctx.validation.checkRequest({ route: 'ollama.chat', body: req.body });
    const body = req.body as OllamaChatBody;
    checkModel(body.model, ctx.modelId);
    const backend = ctx.engine.ready();
    if ((body.messages ?? []).length === 0 && body.wgh?.harmony === undefined) return reply.send(loadOnly(body.model, 'chat'));
    const mapped = mapOllamaChat(body, ctx, backend.info.contextLength);
    await driveChat(ctx, reply, { route: 'ollama.chat', mapped, stream: body.stream !== false, label: 'POST /api/chat', formatter: ollamaFormatter(body.model, mapped, 'chat') });
  });

  app.post('/api/generate', async (req, reply) => {
    ctx.validation.checkRequest({ route: 'ollama.generate', body: req.body });
    const body = req.body as OllamaGenerateBody;
    checkModel(body.model, ctx.modelId);
    const backend = ctx.engine.ready();
    if ((body.prompt ?? '').length === 0) return reply.send(loadOnly(body.model, 'generate'));
    if (body.raw !== true) {
      const mapped = mapOllamaGenerate(body, ctx, backend.info.contextLength);
      await driveChat(ctx, reply, { route: 'ollama.generate', mapped, stream: body.stream !== false, label: 'POST /api/generate', formatter: ollamaFormatter(body.model, mapped, 'generate') });
      return;
    }
    // raw: the prompt goes to the model as is.
    const promptIds = backend.encoding.tokenizer.encodeWithSpecials(body.prompt ?? '');
    const { sampling, maxTokens, window } = ollamaParams(body.options ?? {}, backend.info.contextLength);
    const params = generationParamsOf(ctx, sampling, maxTokens);
    const fitted = checkRawPrompt(promptIds, params.maxTokens, backend.info.contextLength, window);
    ctx.queue.checkCapacity();
    const requestId = ctx.nextRequestId();
    ctx.logger.info(`req#${requestId} POST /api/generate (raw): ${promptIds.length} prompt tokens, max_tokens ${fitted}`);
    const disconnect = disconnectSignal(reply.raw, () => ctx.logger.info(disconnectMessage(requestId)));
    const job = { requestId, promptIds, params: { ...params, maxTokens: fitted }, stop: stopList(body.options?.stop), stopTokens: ctx.defaults.stopTokens ?? [], signal: disconnect.signal };
    const deps = { backend, queue: ctx.queue, validation: ctx.validation, artifacts: ctx.artifacts, logger: ctx.logger };
    const startMs = performance.now();
    const head = () => ({ model: body.model, created_at: new Date().toISOString() });
    if (body.stream === false) {
      const served = await serveRaw(job, deps, () => undefined).catch(goneOr(disconnect.signal));
      if (served === undefined || served.finishReason === 'cancelled') return void reply.hijack(); // the client is gone
      return reply.send({ ...head(), response: served.text, ...counters({ usage: served.usage, metrics: served.result.metrics }, startMs, served.finishReason) });
    }
    reply.hijack();
    const writer = new StreamWriter(reply.raw, 'ndjson');
    try {
      const served = await serveRaw(job, deps, (p) => writer.write({ ...head(), response: p.text, done: false }));
      writer.write({ ...head(), response: '', ...counters({ usage: served.usage, metrics: served.result.metrics }, startMs, served.finishReason === 'length' ? 'length' : 'stop') });
    } catch (err) {
      if (!disconnect.signal.aborted) writer.write(ollamaErrorBody(apiErrorOf(err)));
    } finally {
      writer.end();
    }
  });
}
