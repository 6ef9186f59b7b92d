// Ollama /api/chat and /api/generate bodies → Harmony requests (Ollama's own gpt-oss mapping):
//   messages: system → developer instructions; assistant.thinking → analysis; assistant.tool_calls
//   (object arguments) → commentary calls; tool {tool_name} → the tool's result message
//   think: true → the server's default effort, false → low (and no `thinking` in the reply),
//   "low" | "medium" | "high" → that effort (gpt-oss always reasons; `think` sets how much)
//   format: "json" → a JSON-object answer, a schema object → an answer validated against it
//   options: temperature, top_p, top_k, min_p, seed, stop, num_predict (-1/-2: to the end of the
//   context), repeat_penalty, presence_penalty, frequency_penalty, repeat_last_n (-1: the largest
//   window), num_ctx: the request's context window (default and upper bound: the server's context,
//   `--context`), as in Ollama: prompt + reply stay within it. Earlier turns are dropped, oldest
//   first, to leave room for the reply's num_predict (system and developer messages and the last
//   turn are always kept); the reply is then capped to what is left. If those kept messages alone
//   do not fit, the request is a 400 naming num_ctx and the prompt's token count (serve-chat.ts
//   fitChatRequest). Raw generate has no turns to drop: its prompt must fit num_ctx.
// /api/generate: the prompt is one user message (system → instructions) unless raw: true, which
// sends it to the model as is (no template).

import type { ChatRequest } from '../client/types.js';
import type { WghRequestExtension } from '../client/http-wire.js';
import type { SamplingParamsInput } from '../generate/sampling-params.js';
import type { ToolDescription } from '../harmony/types.js';
import { badRequest } from './errors.js';
import { checkModel, effortOf, generationParamsOf, harmonyRequestOf, responseFormatInstructions, stopList, type ContextWindow, type MapContext, type MappedChat } from './map-common.js';
import { harmonyMessagesOfOpenAI } from './map-openai.js';
import type { ResponseFormat } from './validation.js';

export interface OllamaOptions {
  readonly temperature?: number;
  readonly top_p?: number;
  readonly top_k?: number;
  readonly min_p?: number;
  readonly num_predict?: number;
  readonly num_ctx?: number;
  readonly seed?: number;
  readonly stop?: readonly string[];
  readonly repeat_penalty?: number;
  readonly presence_penalty?: number;
  readonly frequency_penalty?: number;
  readonly repeat_last_n?: number;
}

interface OllamaMessage {
  readonly role: 'system' | 'developer' | 'user' | 'assistant' | 'tool';
  readonly content?: string;
  readonly thinking?: string;
  readonly tool_calls?: readonly { readonly function: { readonly name: string; readonly arguments?: object | string } }[];
  readonly tool_name?: string;
}

interface OllamaCommon {
  readonly model: string;
  readonly stream?: boolean;
  readonly think?: boolean | 'low' | 'medium' | 'high';
  readonly format?: '' | 'json' | object;
  readonly options?: OllamaOptions;
  readonly wgh?: WghRequestExtension;
}

export interface OllamaChatBody extends OllamaCommon {
  readonly messages?: readonly OllamaMessage[];
  readonly tools?: readonly { readonly function: { readonly name: string; readonly description?: string; readonly parameters?: object } }[];
}

export interface OllamaGenerateBody extends OllamaCommon {
  readonly prompt?: string;
  readonly system?: string;
  readonly raw?: boolean;
}

/** The sampler's history ring (src/generate/generator.ts default): the largest repeat_last_n. */
export const MAX_REPEAT_LAST_N = 1024;

export interface MappedOllama extends MappedChat {
  /** Send `thinking` (false when think: false). */
  readonly showThinking: boolean;
}

/** Ollama's options in the generator's terms, the reply's token limit and the request's context window. */
export function ollamaParams(options: OllamaOptions, contextLength: number): { sampling: SamplingParamsInput; maxTokens: number | undefined; window: ContextWindow } {
  const numCtx = options.num_ctx;
  const window: ContextWindow =
    numCtx === undefined ? { tokens: contextLength } : { tokens: Math.min(numCtx, contextLength), param: 'num_ctx', ...(numCtx > contextLength ? { requested: numCtx } : {}) };
  const predict = options.num_predict;
  // The prompt's share of the window is known only after rendering: fitChatRequest / checkRawPrompt cap this further.
  const maxTokens = predict === undefined ? undefined : predict < 0 ? window.tokens : Math.min(Math.max(predict, 1), window.tokens);
  const lastN = options.repeat_last_n;
  return {
    sampling: {
      temperature: options.temperature, topP: options.top_p, topK: options.top_k, minP: options.min_p, seed: options.seed,
      repetitionPenalty: options.repeat_penalty, presencePenalty: options.presence_penalty, frequencyPenalty: options.frequency_penalty,
      ...(lastN !== undefined ? { penaltyWindow: lastN < 0 ? MAX_REPEAT_LAST_N : Math.min(lastN, MAX_REPEAT_LAST_N) } : {}),
    },
    maxTokens,
    window,
  };
}

function formatOf(format: OllamaCommon['format'], ctx: MapContext): ResponseFormat | undefined {
  if (format === undefined || format === '') return undefined;
  if (format === 'json') return { kind: 'json_object' };
  ctx.validation.compileResponseSchema(format);
  return { kind: 'json_schema', name: 'response', schema: format };
}

function build(body: OllamaCommon, ctx: MapContext, contextLength: number, instructions: string[], messages: ChatRequest['messages'], tools: readonly ToolDescription[]): MappedOllama {
  const format = formatOf(body.format, ctx);
  if (format !== undefined) instructions.push(responseFormatInstructions(format));
  const { sampling, maxTokens, window } = ollamaParams(body.options ?? {}, contextLength);
  const think = body.think;
  const effort = typeof think === 'string' ? think : think === false ? 'low' : undefined;
  const joined = instructions.filter((s) => s.length > 0).join('\n\n');
  const request: ChatRequest = {
    system: { reasoningEffort: effortOf(effort, ctx.defaults.reasoningEffort) },
    developer: { ...(joined.length > 0 ? { instructions: joined } : {}), ...(tools.length > 0 ? { tools } : {}) },
    messages,
    params: generationParamsOf(ctx, sampling, maxTokens),
  };
  return {
    request, stop: stopList(body.options?.stop), allowToolCalls: true, details: body.wgh?.details === true, showThinking: think !== false, contextWindow: window,
    ...(format !== undefined ? { format } : {}),
  };
}

export function mapOllamaChat(body: OllamaChatBody, ctx: MapContext, contextLength: number): MappedOllama {
  checkModel(body.model, ctx.modelId);
  if (body.wgh?.harmony !== undefined) {
    return { request: harmonyRequestOf(body.wgh.harmony, ctx), stop: [], allowToolCalls: true, details: body.wgh.details === true, showThinking: true };
  }
  const { instructions, messages } = harmonyMessagesOfOpenAI(
    (body.messages ?? []).map((m) => ({
      role: m.role, content: m.content ?? '', ...(m.thinking !== undefined ? { reasoning_content: m.thinking } : {}), ...(m.tool_name !== undefined ? { name: m.tool_name } : {}),
      ...(m.tool_calls !== undefined ? { tool_calls: m.tool_calls.map((c) => ({ function: { name: c.function.name, arguments: c.function.arguments ?? {} } })) } : {}),
    })),
  );
  const tools = (body.tools ?? []).map((t) => ({ name: t.function.name, description: t.function.description ?? '', ...(t.function.parameters !== undefined ? { parameters: t.function.parameters as ToolDescription['parameters'] } : {}) }));
  return build(body, ctx, contextLength, instructions, messages, tools);
}

/** A chat job for a templated generate (raw: false). */
export function mapOllamaGenerate(body: OllamaGenerateBody, ctx: MapContext, contextLength: number): MappedOllama {
  checkModel(body.model, ctx.modelId);
  if (body.raw === true) throw badRequest('internal: raw generate is not a chat', 'raw');
  return build(body, ctx, contextLength, body.system !== undefined ? [body.system] : [], [{ role: 'user', content: body.prompt ?? '' }], []);
}
