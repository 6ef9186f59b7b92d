// The Ollama client: POST {baseUrl}/api/chat (NDJSON streaming), read line by line as bytes arrive
// in constant memory, for an Ollama server or `wgh serve`'s Ollama routes.
//
//   const client = new OllamaHttpClient({ baseUrl: 'http://127.0.0.1:11434', model: 'gpt-oss:20b' });
//
// Mapping: developer instructions → a `system` message; analysis → `thinking`; final → `content`;
// function calls → `tool_calls` with object arguments; tool results → {role: 'tool', tool_name};
// reasoning effort → `think: "low" | "medium" | "high"`; sampling → `options` (num_predict,
// repeat_penalty, repeat_last_n, …). A wgh server also gets and returns the exact Harmony request
// and result (`wgh`, see http-wire.ts) when the health probe recognises it.

import { ChatError } from '../errors.js';
import { PushStream } from './local.js';
import { HttpStreamError } from './http-errors.js';
import { ReplyAssembler } from './http-assembler.js';
import type { LineReaderStats } from './http-lines.js';
import { HttpTransport, type HttpTransportOptions } from './http-transport.js';
import { chatResultFromWire, openAIMessagesOf, WGH_ENGINE_NAME, wghHarmonyOf, type WghResponseExtension } from './http-wire.js';
import type { HealthReport } from './openai-http.js';
import type { ChatOptions, ChatRequest, ChatResult, ChatStream, ClientEvent, ClientGenerationParams, GenerationClient } from './types.js';

export interface OllamaHttpClientOptions extends Omit<HttpTransportOptions, 'provider'> {
  /** Default: the first model of GET /api/tags. */
  readonly model?: string;
  readonly extension?: boolean | 'auto';
  readonly clock?: () => number;
  readonly stats?: LineReaderStats;
}

interface OllamaLine {
  readonly error?: string;
  readonly message?: { readonly content?: string; readonly thinking?: string; readonly tool_calls?: readonly { readonly function?: { readonly name?: string; readonly arguments?: unknown } }[] };
  readonly done?: boolean;
  readonly done_reason?: string;
  readonly prompt_eval_count?: number;
  readonly eval_count?: number;
  readonly wgh?: WghResponseExtension;
}

function optionsOf(p: ClientGenerationParams): Record<string, unknown> {
  const out: Record<string, unknown> = { num_predict: p.maxTokens };
  const put = (key: string, value: unknown) => {
    if (value !== undefined) out[key] = value;
  };
  put('temperature', p.temperature);
  put('top_p', p.topP);
  put('top_k', p.topK);
  put('min_p', p.minP);
  put('seed', p.seed);
  put('repeat_penalty', p.repetitionPenalty);
  put('presence_penalty', p.presencePenalty);
  put('frequency_penalty', p.frequencyPenalty);
  put('repeat_last_n', p.penaltyWindow);
  return out;
}

function argumentsObject(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return {};
  }
}

/** The /api/chat body of a request. */
export function ollamaChatBodyOf(request: ChatRequest, model: string, extension: boolean): Record<string, unknown> {
  // Dropping the continuation would silently start a new reply that the caller takes for the rest of the old one.
  if (request.continuation !== undefined && !extension) {
    throw new ChatError('ollama client: continuing a cut-off reply needs a webgpu-harmony server (Ollama takes no raw continuation)');
  }
  const instructions = request.developer?.instructions ?? '';
  const messages: Record<string, unknown>[] = instructions.length > 0 ? [{ role: 'system', content: instructions }] : [];
  for (const m of openAIMessagesOf(request.messages)) {
    if (m.role === 'assistant') {
      messages.push({
        role: 'assistant',
        content: m.content ?? '',
        ...(m.reasoning_content !== undefined ? { thinking: m.reasoning_content } : {}),
        ...(m.tool_calls !== undefined ? { tool_calls: m.tool_calls.map((c) => ({ function: { name: c.function.name, arguments: argumentsObject(c.function.arguments) } })) } : {}),
      });
    } else if (m.role === 'tool') messages.push({ role: 'tool', content: m.content ?? '', tool_name: m.name });
    else messages.push({ role: m.role, content: m.content ?? '' });
  }
  const tools = request.developer?.tools ?? [];
  return {
    model,
    messages,
    stream: true,
    think: request.system.reasoningEffort,
    options: optionsOf(request.params),
    ...(tools.length > 0 ? { tools: tools.map((t) => ({ type: 'function', function: { name: t.name, description: t.description, ...(t.parameters !== undefined ? { parameters: t.parameters } : {}) } })) } : {}),
    ...(extension ? { wgh: { harmony: wghHarmonyOf(request), details: true } } : {}),
  };
}

export class OllamaHttpClient implements GenerationClient {
  readonly kind = 'ollama';
  readonly description: string;
  contextLength?: number;
  private readonly transport: HttpTransport;
  private model: string | undefined;
  private extension: boolean | undefined;

  /** Only a wgh server continues a raw reply (see OpenAIHttpClient.canContinue). */
  get canContinue(): boolean {
    return this.extension === true;
  }

  constructor(private readonly opts: OllamaHttpClientOptions) {
    this.transport = new HttpTransport({ ...opts, provider: 'ollama' });
    this.model = opts.model;
    this.extension = opts.extension === 'auto' || opts.extension === undefined ? undefined : opts.extension;
    this.description = `Ollama server ${this.transport.baseUrl}${opts.model !== undefined ? ` (${opts.model})` : ''}`;
  }

  /** GET /v1/health (recognises a wgh server, 503 while loading), else GET /api/version; never throws. */
  async health(signal?: AbortSignal): Promise<HealthReport> {
    const wgh = await this.transport.probe('/v1/health', signal);
    const json = wgh?.json as { engine?: unknown; status?: unknown; model?: { id?: unknown } } | undefined;
    if (json?.engine === WGH_ENGINE_NAME) {
      return { ok: wgh?.status === 200, engine: WGH_ENGINE_NAME, detail: `status ${String(json.status)}`, ...(typeof json.model?.id === 'string' ? { model: json.model.id } : {}) };
    }
    const version = await this.transport.probe('/api/version', signal);
    if (version === undefined) return { ok: false, engine: 'unknown', detail: `no answer from ${this.transport.baseUrl}` };
    return { ok: version.status === 200, engine: 'ollama', detail: `GET /api/version: HTTP ${version.status}` };
  }

  chat(request: ChatRequest, options: ChatOptions = {}): ChatStream {
    const stream = new PushStream<ClientEvent, ChatResult>();
    this.run(request, options.signal, stream).catch((err: unknown) => stream.fail(err));
    return stream;
  }

  private async prepare(signal?: AbortSignal): Promise<{ model: string; extension: boolean }> {
    if (this.extension === undefined) {
      const engine = (await this.health(signal)).engine;
      if (engine !== 'unknown') this.extension = engine === WGH_ENGINE_NAME; // an unreachable server is probed again
    }
    if (this.model === undefined) {
      const tags = (await this.transport.getJson('/api/tags', signal)) as { models?: { name?: unknown }[] };
      const first = tags.models?.[0]?.name;
      this.model = typeof first === 'string' ? first : 'default';
    }
    return { model: this.model, extension: this.extension ?? false };
  }

  private async run(request: ChatRequest, signal: AbortSignal | undefined, stream: PushStream<ClientEvent, ChatResult>): Promise<void> {
    const clock = this.opts.clock ?? (() => performance.now());
    const startMs = clock();
    const { model, extension } = await this.prepare(signal);
    const path = '/api/chat';
    const source = this.transport.source(path);
    const response = await this.transport.request('POST', path, ollamaChatBodyOf(request, model, extension), signal);
    const assembler = new ReplyAssembler((event) => stream.push(event), clock, startMs);
    let last: OllamaLine | undefined;
    let serverResult: ChatResult | undefined;
    let numCalls = 0;
    let cancelled = false;
    try {
      for await (const text of this.transport.lines(response, path, signal, this.opts.stats)) {
        if (text.trim().length === 0) continue;
        let line: OllamaLine;
        try {
          line = JSON.parse(text) as OllamaLine;
        } catch (err) {
          throw new HttpStreamError(source, 'malformed', `a line is not JSON: ${text.slice(0, 80)}`, { cause: err });
        }
        if (typeof line !== 'object' || line === null) throw new HttpStreamError(source, 'malformed', `a line is not a JSON object: ${text.slice(0, 80)}`);
        if (line.error !== undefined) throw new HttpStreamError(source, 'server-error', String(line.error));
        if (line.wgh !== undefined) {
          for (const event of line.wgh.events ?? []) stream.push(event);
          if (line.wgh.result !== undefined) serverResult = chatResultFromWire(line.wgh.result, source.url);
        } else {
          assembler.reasoning(line.message?.thinking ?? '');
          assembler.content(line.message?.content ?? '');
          for (const call of line.message?.tool_calls ?? []) {
            const callIdx = numCalls++;
            assembler.toolCall(callIdx, undefined, call.function?.name, JSON.stringify(call.function?.arguments ?? {}));
          }
        }
        if (line.done === true) {
          last = line;
          break;
        }
      }
    } catch (err) {
      if (signal?.aborted !== true) throw err;
      cancelled = true;
    }
    if (cancelled && extension) throw signal?.reason;
    if (last === undefined && !cancelled) throw new HttpStreamError(source, 'truncated', 'the stream ended without a "done": true line');
    if (serverResult !== undefined) return stream.end(serverResult);
    stream.end(
      assembler.result({
        serverFinish: last?.done_reason ?? null,
        usage: { ...(last?.prompt_eval_count !== undefined ? { promptTokens: last.prompt_eval_count } : {}), ...(last?.eval_count !== undefined ? { completionTokens: last.eval_count } : {}) },
        loopDetection: request.params.loopDetection ?? 'off',
        seed: request.params.seed ?? 0,
        cancelled,
      }),
    );
  }

  async close(): Promise<void> {}
}
