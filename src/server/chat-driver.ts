// Runs a mapped chat request for a route and writes its reply, streamed or whole, in the route's
// format (a ReplyFormatter: OpenAI SSE chunks or Ollama NDJSON lines). Everything that can be
// refused is refused before the stream opens (model, schema, context length or the request's
// context window, a full queue → 429), so errors keep their HTTP status; later failures become an
// error event inside the stream.
// A client that disconnects aborts the request: it leaves the queue, or its generation stops
// within one decode step.

import type { FastifyReply } from 'fastify';
import type { ChatResult, ClientEvent } from '../client/types.js';
import type { ServerContext } from './context.js';
import { ApiError, apiErrorOf } from './errors.js';
import type { MappedChat } from './map-common.js';
import { fitChatRequest, serveChat, type ReplyEvent, type ServedReply } from './serve-chat.js';
import { disconnectMessage, disconnectSignal, StreamWriter, type StreamKind } from './stream-writer.js';
import type { RouteName } from './validation.js';

/** The `wgh` extension of a chunk: the client events since the last chunk, and at the end the result. */
export interface WghChunk {
  readonly events: readonly ClientEvent[];
  readonly result?: ChatResult;
}

export interface ReplyFormatter {
  readonly kind: StreamKind;
  /** Chunks written when the stream opens. */
  opening(): readonly unknown[];
  /** The chunk of one event (undefined: nothing to send for it). */
  chunk(event: Exclude<ReplyEvent, { type: 'raw' }>, wgh: WghChunk | undefined): unknown;
  /** The last chunks (finish reason, usage). */
  closing(reply: ServedReply, wgh: WghChunk | undefined): readonly unknown[];
  /** An error inside an open stream. */
  streamError(err: ApiError): unknown;
  /** The whole reply of a non-streaming request. */
  body(reply: ServedReply, wgh: WghChunk | undefined): unknown;
}

export interface ChatRouteRequest {
  readonly route: RouteName;
  readonly mapped: MappedChat;
  readonly stream: boolean;
  readonly formatter: ReplyFormatter;
  /** For the log line. */
  readonly label: string;
}

const MS_PER_S = 1000;

/** For a non-streaming request: an error after the client left becomes `undefined` (nobody to tell). */
export function goneOr(signal: AbortSignal): (err: unknown) => undefined {
  return (err) => {
    if (signal.aborted) return undefined;
    throw err;
  };
}

function logDone(ctx: ServerContext, requestId: number, reply: ServedReply, startMs: number): void {
  const { usage, metrics } = reply.result;
  ctx.logger.info(
    `req#${requestId} done: finish ${reply.finishReason}, ${usage.promptTokens} prompt (${usage.cachedTokens} cached) + ${usage.completionTokens} completion tokens, ` +
      `ttft ${metrics.ttftSeconds.toFixed(2)} s, ${metrics.decodeTokensPerSecond.toFixed(1)} tok/s, ${reply.attempts} attempt(s), ${((performance.now() - startMs) / MS_PER_S).toFixed(2)} s`,
  );
}

export async function driveChat(ctx: ServerContext, reply: FastifyReply, r: ChatRouteRequest): Promise<void> {
  const backend = ctx.engine.ready();
  const window = r.mapped.contextWindow;
  const { request, droppedTurns } = fitChatRequest(r.mapped.request, backend, window);
  ctx.queue.checkCapacity();
  const requestId = ctx.nextRequestId();
  const startMs = performance.now();
  const p = request.params;
  const dropped = droppedTurns > 0 ? ` (${droppedTurns} earlier turn(s) dropped to fit ${window?.param ?? 'the context'} ${Math.min(window?.tokens ?? Infinity, backend.info.contextLength)})` : '';
  ctx.logger.info(`req#${requestId} ${r.label}: ${request.messages.length} messages${dropped}, max_tokens ${p.maxTokens}, stream ${r.stream}${p.seed !== undefined ? `, seed ${p.seed}` : ''}`);
  const disconnect = disconnectSignal(reply.raw, () => ctx.logger.info(disconnectMessage(requestId)));
  const job = {
    requestId, route: r.route, request, stop: r.mapped.stop, stopTokens: ctx.defaults.stopTokens ?? [], allowToolCalls: r.mapped.allowToolCalls, signal: disconnect.signal,
    maxAttempts: r.mapped.format !== undefined ? ctx.defaults.maxResponseAttempts : 1, ...(r.mapped.format !== undefined ? { format: r.mapped.format } : {}),
  };
  const deps = { backend, queue: ctx.queue, validation: ctx.validation, artifacts: ctx.artifacts, logger: ctx.logger };
  const pending: ClientEvent[] = [];
  const wgh = (result?: ChatResult): WghChunk | undefined => (r.mapped.details ? { events: pending.splice(0), ...(result !== undefined ? { result } : {}) } : undefined);

  if (!r.stream) {
    const served = await serveChat(job, deps, (event) => {
      if (event.type === 'raw' && r.mapped.details) pending.push(event.event);
    }).catch(goneOr(disconnect.signal));
    if (served === undefined) return void reply.hijack(); // the client left while queued
    logDone(ctx, requestId, served, startMs);
    if (served.finishReason === 'cancelled') return void reply.hijack(); // the client is gone: nothing to send
    await reply.code(200).send(r.formatter.body(served, wgh(served.result)));
    return;
  }

  reply.hijack();
  const writer = new StreamWriter(reply.raw, r.formatter.kind);
  for (const chunk of r.formatter.opening()) writer.write(chunk);
  try {
    const served = await serveChat(job, deps, (event) => {
      if (event.type === 'raw') {
        if (r.mapped.details) pending.push(event.event);
        return;
      }
      const chunk = r.formatter.chunk(event, r.mapped.details ? { events: [...pending] } : undefined);
      if (chunk === undefined) return; // the raw events wait for the next chunk
      pending.length = 0;
      writer.write(chunk);
    });
    logDone(ctx, requestId, served, startMs);
    for (const chunk of r.formatter.closing(served, wgh(served.result))) writer.write(chunk);
  } catch (err) {
    if (!disconnect.signal.aborted) {
      const apiError = apiErrorOf(err);
      ctx.logger.warn(`req#${requestId} failed in the stream: ${apiError.message}`);
      writer.write(r.formatter.streamError(apiError));
    }
  } finally {
    writer.end();
  }
}
