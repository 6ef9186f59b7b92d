// Wire formats shared by the HTTP clients and `wgh serve` (src/server imports these; never the
// other way round): the OpenAI chat-completions body a ChatRequest becomes, and the `wgh`
// extension that lets a webgpu-harmony client and server exchange the exact Harmony request and
// result, so a remote chat writes the same artifacts as a local one (DESIGN.md "parity").
//
// Standard mapping (any OpenAI-compatible server; gpt-oss conventions of vLLM / Ollama):
//   developer.instructions            → one `system` message first
//   user                              → user
//   assistant analysis                → assistant.reasoning_content (several are joined with LF)
//   assistant final / channel-less    → assistant.content
//   assistant commentary preamble     → assistant.content (it precedes the calls)
//   assistant `to=functions.NAME`     → assistant.tool_calls[] {id: call_K, function: {name, arguments}}
//   tool `functions.NAME`             → {role: 'tool', tool_call_id: the oldest unanswered call_K of NAME}
//   system.reasoningEffort            → reasoning_effort;  developer.tools → tools
// Extension (only to a wgh server): body.wgh = {harmony: the request as JSON, details: true}; the
// server answers with `wgh.events` (the ClientEvents of each chunk) and `wgh.result` (the ChatResult).

import { ChatError } from '../errors.js';
import { messageToJson, type HarmonyMessageJson } from '../harmony/json.js';
import { classifyRecipient } from '../harmony/tool-calls.js';
import type { ReasoningEffort, TextMessage, ToolDescription } from '../harmony/types.js';
import type { ChatRequest, ChatResult, ClientEvent, ClientGenerationParams } from './types.js';

export interface OpenAIToolCallJson {
  readonly id: string;
  readonly type: 'function';
  readonly function: { readonly name: string; readonly arguments: string };
}

export interface OpenAIMessageJson {
  readonly role: 'system' | 'developer' | 'user' | 'assistant' | 'tool';
  readonly content: string | null;
  readonly reasoning_content?: string;
  readonly tool_calls?: readonly OpenAIToolCallJson[];
  readonly tool_call_id?: string;
  readonly name?: string;
}

export interface WghHarmonyRequestJson {
  readonly system: {
    readonly reasoning_effort: ReasoningEffort;
    readonly model_identity?: string;
    readonly knowledge_cutoff?: string;
    readonly conversation_start_date?: string;
    readonly builtin_tools?: readonly string[];
  };
  readonly developer?: { readonly instructions?: string; readonly tools?: readonly ToolDescription[] };
  readonly messages: readonly HarmonyMessageJson[];
  /** ClientGenerationParams (camelCase), logitBias as an object. */
  readonly params: Readonly<Record<string, unknown>>;
  readonly continuation?: { readonly text: string; readonly token_ids?: readonly number[] };
}

export interface WghRequestExtension {
  readonly harmony?: WghHarmonyRequestJson;
  /** Ask for wgh.events / wgh.result in the response. */
  readonly details?: boolean;
}

/** `wgh` of a response chunk or body. */
export interface WghResponseExtension {
  readonly events?: readonly ClientEvent[];
  readonly result?: ChatResult;
}

export const WGH_ENGINE_NAME = 'webgpu-harmony';

/** The request's sampling parameters as OpenAI fields (unset fields left out). */
export function openAISamplingOf(p: ClientGenerationParams): Record<string, unknown> {
  const out: Record<string, unknown> = { max_tokens: p.maxTokens };
  const put = (key: string, value: unknown) => {
    if (value !== undefined) out[key] = value;
  };
  put('temperature', p.temperature);
  put('top_p', p.topP);
  put('top_k', p.topK);
  put('min_p', p.minP);
  put('repetition_penalty', p.repetitionPenalty);
  put('presence_penalty', p.presencePenalty);
  put('frequency_penalty', p.frequencyPenalty);
  put('seed', p.seed);
  put('logprobs', p.logprobs);
  put('top_logprobs', p.topLogprobs);
  if (p.logitBias !== undefined) put('logit_bias', p.logitBias instanceof Map ? Object.fromEntries(p.logitBias) : p.logitBias);
  return out;
}

/** user / assistant / tool Harmony messages → OpenAI chat messages (see the header). */
export function openAIMessagesOf(messages: readonly TextMessage[]): OpenAIMessageJson[] {
  const out: OpenAIMessageJson[] = [];
  let assistant: { reasoning: string[]; content: string[]; calls: OpenAIToolCallJson[] } | null = null;
  const unanswered: OpenAIToolCallJson[] = [];
  let numCalls = 0;
  const flush = () => {
    if (assistant === null) return;
    const { reasoning, content, calls } = assistant;
    out.push({
      role: 'assistant',
      content: content.length > 0 ? content.join('\n') : null,
      ...(reasoning.length > 0 ? { reasoning_content: reasoning.join('\n') } : {}),
      ...(calls.length > 0 ? { tool_calls: calls } : {}),
    });
    assistant = null;
  };
  for (const message of messages) {
    if (message.role === 'assistant') {
      assistant ??= { reasoning: [], content: [], calls: [] };
      const target = classifyRecipient(message.recipient);
      if (target?.kind === 'function') {
        const call: OpenAIToolCallJson = { id: `call_${numCalls++}`, type: 'function', function: { name: target.name, arguments: message.content } };
        assistant.calls.push(call);
        unanswered.push(call);
      } else if (target === undefined) {
        (message.channel === 'analysis' ? assistant.reasoning : assistant.content).push(message.content);
      } // builtin tool calls have no OpenAI form
      continue;
    }
    flush();
    if (message.role === 'tool') {
      const name = (message.name ?? '').replace(/^functions\./, '');
      const callIdx = unanswered.findIndex((call) => call.function.name === name);
      const call = callIdx >= 0 ? unanswered.splice(callIdx, 1)[0] : undefined;
      out.push({ role: 'tool', content: message.content, tool_call_id: call?.id ?? `call_${numCalls++}`, name });
    } else out.push({ role: message.role === 'user' ? 'user' : message.role, content: message.content });
  }
  flush();
  return out;
}

export function wghHarmonyOf(request: ChatRequest): WghHarmonyRequestJson {
  const { system, developer, continuation } = request;
  const params: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(request.params)) params[key] = value instanceof Map ? Object.fromEntries(value) : value;
  return {
    system: {
      reasoning_effort: system.reasoningEffort,
      ...(system.modelIdentity !== undefined ? { model_identity: system.modelIdentity } : {}),
      ...(system.knowledgeCutoff !== undefined ? { knowledge_cutoff: system.knowledgeCutoff } : {}),
      ...(system.conversationStartDate !== undefined ? { conversation_start_date: system.conversationStartDate } : {}),
      ...(system.builtinTools !== undefined ? { builtin_tools: system.builtinTools } : {}),
    },
    ...(developer !== undefined ? { developer: { ...(developer.instructions !== undefined ? { instructions: developer.instructions } : {}), ...(developer.tools !== undefined ? { tools: developer.tools } : {}) } } : {}),
    messages: request.messages.map(messageToJson),
    params,
    ...(continuation !== undefined ? { continuation: { text: continuation.text, ...(continuation.tokenIds !== undefined ? { token_ids: continuation.tokenIds } : {}) } } : {}),
  };
}

/** The chat-completions body of a request; `extension` adds the exact Harmony request (wgh servers). */
export function openAIChatBodyOf(request: ChatRequest, model: string, extension: boolean): Record<string, unknown> {
  if (request.continuation !== undefined && !extension) {
    throw new ChatError('openai client: continuing a cut-off reply needs a webgpu-harmony server (other servers take no raw continuation)');
  }
  const instructions = request.developer?.instructions ?? '';
  const tools = request.developer?.tools ?? [];
  const body: Record<string, unknown> = {
    model,
    messages: [...(instructions.length > 0 ? [{ role: 'system', content: instructions }] : []), ...openAIMessagesOf(request.messages)],
    stream: true,
    stream_options: { include_usage: true },
    reasoning_effort: request.system.reasoningEffort,
    ...openAISamplingOf(request.params),
  };
  if (tools.length > 0) {
    body['tools'] = tools.map((tool) => ({ type: 'function', function: { name: tool.name, description: tool.description, ...(tool.parameters !== undefined ? { parameters: tool.parameters } : {}) } }));
  }
  if (extension) body['wgh'] = { harmony: wghHarmonyOf(request), details: true } satisfies WghRequestExtension;
  return body;
}

/** Light checks of a server's `wgh.result` (a wgh server is trusted; a broken one gets a clear error). */
export function chatResultFromWire(value: unknown, where: string): ChatResult {
  const r = value as Partial<ChatResult> | null;
  if (typeof r !== 'object' || r === null || !Array.isArray(r.messages) || !Array.isArray(r.toolCalls) || typeof r.finishReason !== 'string' || typeof r.usage !== 'object' || typeof r.metrics !== 'object') {
    throw new ChatError(`${where}: wgh.result is not a chat result`);
  }
  return r as ChatResult;
}
