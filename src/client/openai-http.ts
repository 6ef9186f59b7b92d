// The OpenAI-compatible HTTP client: POST {baseUrl}/chat/completions with `stream: true` and reads
// the SSE reply line by line as bytes arrive (constant memory, idle timeout), for `wgh serve`,
// llama.cpp's server, LM Studio, vLLM, …
//
//   const client = new OpenAIHttpClient({ baseUrl: 'http://127.0.0.1:8000/v1', model: 'gpt-oss-20b', apiKey });
//   const stream = client.chat(request, { signal });
//
// Against a webgpu-harmony server (found by the health probe, or `extension: true`) the body
// carries the exact Harmony request (`wgh.harmony`) and the server answers with its ClientEvents
// and ChatResult (`wgh.events`, `wgh.result`), so events, token ids and artifacts equal a local
// run's. Elsewhere the standard fields are mapped (http-wire.ts) and rebuilt (http-assembler.ts).
// Errors before the reply starts are retried (http-retry.ts); failures inside the stream are
// HttpStreamError (retryable by the turn pipeline).

import { PushStream } from './local.js';
import { HttpStreamError } from './http-errors.js';
import { ReplyAssembler } from './http-assembler.js';
import type { LineReaderStats } from './http-lines.js';
import { parseSse } from './http-sse.js';
import { HttpTransport, type HttpTransportOptions } from './http-transport.js';
import { chatResultFromWire, openAIChatBodyOf, WGH_ENGINE_NAME, type WghResponseExtension } from './http-wire.js';
import type { ChatOptions, ChatRequest, ChatResult, ChatStream, ClientEvent, GenerationClient } from './types.js';

export interface OpenAIHttpClientOptions extends Omit<HttpTransportOptions, 'provider'> {
  /** The `model` field; default: the first id of GET /models. */
  readonly model?: string;
  /** Send the wgh extension: true, false, or 'auto' (when the health probe finds a wgh server). Default 'auto'. */
  readonly extension?: boolean | 'auto';
  readonly clock?: () => number;
  /** Line counters of the last stream (tests watch memory with it). */
  readonly stats?: LineReaderStats;
}

export interface HealthReport {
  readonly ok: boolean;
  /** 'webgpu-harmony' for wgh servers, else the provider. */
  readonly engine: string;
  readonly detail: string;
  readonly model?: string;
  readonly contextLength?: number;
}

interface ChunkJson {
  readonly error?: { readonly message?: string };
  readonly choices?: readonly {
    readonly delta?: {
      readonly content?: string | null;
      readonly reasoning_content?: string | null;
      readonly reasoning?: string | null;
      readonly tool_calls?: readonly { readonly index?: number; readonly id?: string; readonly function?: { readonly name?: string; readonly arguments?: string } }[];
    };
    readonly finish_reason?: string | null;
  }[];
  readonly usage?: { readonly prompt_tokens?: number; readonly completion_tokens?: number; readonly prompt_tokens_details?: { readonly cached_tokens?: number } } | null;
  readonly wgh?: WghResponseExtension;
}

/** Longest SSE event (the final `wgh.result` carries token ids). */
const MAX_EVENT_CHARS = 64 * 1024 * 1024;

export class OpenAIHttpClient implements GenerationClient {
  readonly kind = 'openai';
  readonly description: string;
  contextLength?: number;
  private readonly transport: HttpTransport;
  private model: string | undefined;
  private extension: boolean | undefined;
  private closed = false;

  /**
   * Only a wgh server takes a raw continuation and returns the raw completion (the `wgh`
   * extension); a plain OpenAI-compatible server gets and returns chat messages. False until the
   * first request has found out which server this is (or `extension: true` was given).
   */
  get canContinue(): boolean {
    return this.extension === true;
  }

  constructor(private readonly opts: OpenAIHttpClientOptions) {
    this.transport = new HttpTransport({ ...opts, provider: 'openai', maxLineBytes: opts.maxLineBytes ?? MAX_EVENT_CHARS });
    this.model = opts.model;
    this.extension = opts.extension === 'auto' || opts.extension === undefined ? undefined : opts.extension;
    this.description = `OpenAI-compatible server ${this.transport.baseUrl}${opts.model !== undefined ? ` (${opts.model})` : ''}`;
  }

  /** GET /health (a wgh server answers it, 503 while loading) or /models (others); never throws. */
  async health(signal?: AbortSignal): Promise<HealthReport> {
    const wgh = await this.transport.probe('/health', signal);
    const json = wgh?.json as { engine?: unknown; status?: unknown; model?: { id?: unknown; context_length?: unknown } } | undefined;
    if (json?.engine === WGH_ENGINE_NAME) {
      const model = typeof json.model?.id === 'string' ? json.model.id : undefined;
      const contextLength = typeof json.model?.context_length === 'number' ? json.model.context_length : undefined;
      return { ok: wgh?.status === 200, engine: WGH_ENGINE_NAME, detail: `status ${String(json.status)}`, ...(model !== undefined ? { model } : {}), ...(contextLength !== undefined ? { contextLength } : {}) };
    }
    const models = await this.transport.probe('/models', signal);
    if (models === undefined) return { ok: false, engine: 'unknown', detail: `no answer from ${this.transport.baseUrl}` };
    const first = (models.json as { data?: { id?: unknown }[] } | undefined)?.data?.[0]?.id;
    return { ok: models.status === 200, engine: 'openai', detail: `GET /models: HTTP ${models.status}`, ...(typeof first === 'string' ? { model: first } : {}) };
  }

  chat(request: ChatRequest, options: ChatOptions = {}): ChatStream {
    const stream = new PushStream<ClientEvent, ChatResult>();
    this.run(request, options.signal, stream).catch((err: unknown) => stream.fail(err));
    return stream;
  }

  private async prepare(signal?: AbortSignal): Promise<{ model: string; extension: boolean }> {
    if (this.extension === undefined || this.model === undefined) {
      const report = await this.health(signal);
      // Remember what answered; an unreachable server is probed again next time.
      if (report.engine !== 'unknown') this.extension ??= report.engine === WGH_ENGINE_NAME;
      this.model ??= report.model;
      if (report.contextLength !== undefined) this.contextLength = report.contextLength;
    }
    return { model: this.model ?? 'default', extension: this.extension ?? false };
  }

  private async run(request: ChatRequest, signal: AbortSignal | undefined, stream: PushStream<ClientEvent, ChatResult>): Promise<void> {
    if (this.closed) throw new HttpStreamError(this.transport.source(''), 'interrupted', 'chat() after close()');
    const clock = this.opts.clock ?? (() => performance.now());
    const startMs = clock();
    const { model, extension } = await this.prepare(signal);
    const path = '/chat/completions';
    const source = this.transport.source(path);
    const response = await this.transport.request('POST', path, openAIChatBodyOf(request, model, extension), signal);
    const assembler = new ReplyAssembler((event) => stream.push(event), clock, startMs);
    let serverResult: ChatResult | undefined;
    let finish: string | null = null;
    let usage: ChunkJson['usage'] = null;
    let done = false;
    let cancelled = false;
    try {
      for await (const sse of parseSse(this.transport.lines(response, path, signal, this.opts.stats), source, MAX_EVENT_CHARS)) {
        if (sse.data === '[DONE]') {
          done = true;
          break;
        }
        let chunk: ChunkJson;
        try {
          chunk = JSON.parse(sse.data) as ChunkJson;
        } catch (err) {
          throw new HttpStreamError(source, 'malformed', `an event is not JSON: ${sse.data.slice(0, 80)}`, { cause: err });
        }
        if (typeof chunk !== 'object' || chunk === null) throw new HttpStreamError(source, 'malformed', `an event is not a JSON object: ${sse.data.slice(0, 80)}`);
        if (chunk.error !== undefined) throw new HttpStreamError(source, 'server-error', chunk.error.message ?? JSON.stringify(chunk.error));
        if (chunk.usage) usage = chunk.usage;
        if (chunk.wgh !== undefined) {
          for (const event of chunk.wgh.events ?? []) stream.push(event);
          if (chunk.wgh.result !== undefined) serverResult = chatResultFromWire(chunk.wgh.result, source.url);
          continue;
        }
        const choice = chunk.choices?.[0];
        if (choice === undefined) continue;
        const delta = choice.delta ?? {};
        assembler.reasoning(delta.reasoning_content ?? delta.reasoning ?? '');
        assembler.content(delta.content ?? '');
        for (const call of delta.tool_calls ?? []) assembler.toolCall(call.index ?? 0, call.id, call.function?.name, call.function?.arguments ?? '');
        if (choice.finish_reason) finish = choice.finish_reason;
      }
    } catch (err) {
      if (signal?.aborted !== true) throw err;
      cancelled = true;
    }
    if (!done && !cancelled && serverResult === undefined) {
      throw new HttpStreamError(source, 'truncated', 'the stream ended without [DONE]');
    }
    if (cancelled && extension) throw signal?.reason; // the turn pipeline keeps what was streamed
    if (serverResult !== undefined) return stream.end(serverResult);
    stream.end(
      assembler.result({
        serverFinish: finish,
        usage: { ...(usage?.prompt_tokens !== undefined ? { promptTokens: usage.prompt_tokens } : {}), ...(usage?.completion_tokens !== undefined ? { completionTokens: usage.completion_tokens } : {}), ...(usage?.prompt_tokens_details?.cached_tokens !== undefined ? { cachedTokens: usage.prompt_tokens_details.cached_tokens } : {}) },
        loopDetection: request.params.loopDetection ?? 'off',
        seed: request.params.seed ?? 0,
        cancelled,
      }),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
