// OpenAI chat-completions body → Harmony request (gpt-oss conventions, as vLLM and Ollama map them):
//   system / developer messages    → the developer message's instructions (joined in order)
//   reasoning_effort | reasoning.effort → the system message's reasoning effort ('minimal' → low)
//   user                           → user
//   assistant.reasoning_content (or `reasoning`, `thinking`) → an analysis message
//   assistant.tool_calls[]         → commentary messages `to=functions.NAME <|constrain|>json`,
//                                    after the content (a preamble, on commentary) if any
//   assistant.content (no calls)   → a final message
//   tool {tool_call_id, content}   → `functions.NAME to=assistant` on commentary (NAME from the call)
//   tools                          → the developer message's `functions` namespace
//   tool_choice none → no tools; required / {function: {name}} → the reply is prefilled with the
//   start of a function call; response_format → `# Response Formats` in the instructions + a check.
// Analysis of turns that ended is dropped (Harmony); the current turn keeps it (tool loops need it).

import type { ChatRequest } from '../client/types.js';
import type { WghRequestExtension } from '../client/http-wire.js';
import { toolCallMessage, toolResultMessage } from '../harmony/tool-calls.js';
import type { TextMessage, ToolDescription } from '../harmony/types.js';
import { badRequest } from './errors.js';
import {
  checkModel,
  dropFinishedAnalysis,
  effortOf,
  generationParamsOf,
  harmonyRequestOf,
  responseFormatInstructions,
  stopList,
  toolChoicePrefill,
  type MapContext,
  type MappedChat,
} from './map-common.js';
import type { ResponseFormat } from './validation.js';

type Content = string | null | undefined | readonly { readonly type: string; readonly text?: string }[];

interface OpenAIMessage {
  readonly role: 'system' | 'developer' | 'user' | 'assistant' | 'tool';
  readonly content?: Content;
  readonly name?: string;
  readonly tool_calls?: readonly { readonly id?: string; readonly function: { readonly name: string; readonly arguments?: string | object } }[] | null;
  readonly tool_call_id?: string;
  readonly reasoning_content?: string | null;
  readonly reasoning?: string | null;
  readonly thinking?: string | null;
}

/** The fields chat completions and (legacy) completions bodies share: model, streaming, sampling. */
export interface OpenAISamplingBody {
  readonly model: string;
  readonly stream?: boolean | null;
  readonly stream_options?: { readonly include_usage?: boolean } | null;
  readonly max_tokens?: number | null;
  readonly temperature?: number | null;
  readonly top_p?: number | null;
  readonly top_k?: number | null;
  readonly min_p?: number | null;
  readonly stop?: string | readonly string[] | null;
  readonly seed?: number | null;
  readonly presence_penalty?: number | null;
  readonly frequency_penalty?: number | null;
  readonly repetition_penalty?: number | null;
  readonly logit_bias?: Readonly<Record<string, number>> | null;
  readonly n?: number | null;
}

/** The fields of a chat-completions body this server reads (after schema validation). */
export interface ChatCompletionsBody extends OpenAISamplingBody {
  readonly messages: readonly OpenAIMessage[];
  readonly max_completion_tokens?: number | null;
  readonly logprobs?: boolean | null;
  readonly top_logprobs?: number | null;
  readonly tools?: readonly { readonly function: { readonly name: string; readonly description?: string; readonly parameters?: object } }[] | null;
  readonly tool_choice?: 'none' | 'auto' | 'required' | { readonly function: { readonly name: string } } | null;
  readonly response_format?: { readonly type: 'text' | 'json_object' | 'json_schema'; readonly json_schema?: { readonly name: string; readonly description?: string; readonly schema?: object } } | null;
  readonly reasoning_effort?: string | null;
  readonly reasoning?: { readonly effort?: string } | null;
  readonly user?: string;
  readonly wgh?: WghRequestExtension;
}

export function textOf(content: Content, param: string): string {
  if (content === undefined || content === null) return '';
  if (typeof content === 'string') return content;
  return content
    .map((part, partIdx) => {
      if (part.type !== 'text' || typeof part.text !== 'string') throw badRequest(`Only text content parts are supported; ${param}[${partIdx}] is '${part.type}'.`, `${param}[${partIdx}]`, 'unsupported_content');
      return part.text;
    })
    .join('');
}

/** OpenAI messages → instructions + Harmony conversation messages. */
export function harmonyMessagesOfOpenAI(messages: readonly OpenAIMessage[]): { instructions: string[]; messages: TextMessage[] } {
  const instructions: string[] = [];
  const out: TextMessage[] = [];
  const callNames = new Map<string, string>();
  const unanswered: string[] = [];
  messages.forEach((m, msgIdx) => {
    const param = `messages[${msgIdx}]`;
    const text = textOf(m.content, `${param}.content`);
    if (m.role === 'system' || m.role === 'developer') instructions.push(text);
    else if (m.role === 'user') out.push({ role: 'user', content: text });
    else if (m.role === 'assistant') {
      const reasoning = m.reasoning_content ?? m.reasoning ?? m.thinking ?? '';
      if (reasoning.length > 0) out.push({ role: 'assistant', channel: 'analysis', content: reasoning });
      const calls = m.tool_calls ?? [];
      if (calls.length === 0) {
        if (text.length > 0 || reasoning.length === 0) out.push({ role: 'assistant', channel: 'final', content: text });
        return;
      }
      if (text.length > 0) out.push({ role: 'assistant', channel: 'commentary', content: text });
      calls.forEach((call, callIdx) => {
        const args = call.function.arguments;
        const id = call.id ?? `call_${msgIdx}_${callIdx}`;
        callNames.set(id, call.function.name);
        unanswered.push(call.function.name);
        out.push(toolCallMessage({ id, type: 'function', function: { name: call.function.name, arguments: typeof args === 'string' ? args : JSON.stringify(args ?? {}) } }));
      });
    } else {
      const name = (m.tool_call_id !== undefined ? callNames.get(m.tool_call_id) : undefined) ?? m.name ?? unanswered[0];
      if (name === undefined) {
        throw badRequest(`${param} is a tool result whose tool_call_id ${JSON.stringify(m.tool_call_id)} matches no earlier assistant tool call.`, `${param}.tool_call_id`);
      }
      const answered = unanswered.indexOf(name);
      if (answered >= 0) unanswered.splice(answered, 1);
      out.push(toolResultMessage(`functions.${name}`, text));
    }
  });
  return { instructions, messages: dropFinishedAnalysis(out) };
}

export function mapChatCompletions(body: ChatCompletionsBody, ctx: MapContext): MappedChat {
  checkModel(body.model, ctx.modelId);
  if ((body.n ?? 1) !== 1) throw badRequest(`n=${body.n} is not supported: this server returns one choice per request (send n=1 and repeat the request).`, 'n', 'unsupported_value');
  const stop = stopList(body.stop);
  if (body.wgh?.harmony !== undefined) {
    return { request: harmonyRequestOf(body.wgh.harmony, ctx), stop, allowToolCalls: true, details: body.wgh.details === true };
  }
  const { instructions, messages } = harmonyMessagesOfOpenAI(body.messages);
  const choice = body.tool_choice ?? 'auto';
  const tools: ToolDescription[] =
    choice === 'none' ? [] : (body.tools ?? []).map((t) => ({ name: t.function.name, description: t.function.description ?? '', ...(t.function.parameters !== undefined ? { parameters: t.function.parameters as ToolDescription['parameters'] } : {}) }));
  let format: ResponseFormat | undefined;
  const rf = body.response_format;
  if (rf?.type === 'json_object') format = { kind: 'json_object' };
  else if (rf?.type === 'json_schema') {
    if (rf.json_schema?.schema === undefined) throw badRequest("response_format json_schema needs 'json_schema.schema'.", 'response_format.json_schema.schema', 'missing_required_parameter');
    ctx.validation.compileResponseSchema(rf.json_schema.schema);
    format = { kind: 'json_schema', name: rf.json_schema.name, schema: rf.json_schema.schema };
  }
  if (format !== undefined) instructions.push(responseFormatInstructions(format, rf?.json_schema?.description));
  const params = generationParamsOf(
    ctx,
    {
      temperature: body.temperature ?? undefined, topP: body.top_p ?? undefined, topK: body.top_k ?? undefined, minP: body.min_p ?? undefined,
      presencePenalty: body.presence_penalty ?? undefined, frequencyPenalty: body.frequency_penalty ?? undefined, repetitionPenalty: body.repetition_penalty ?? undefined,
      seed: body.seed ?? undefined, logitBias: body.logit_bias ?? undefined, logprobs: body.logprobs ?? undefined, topLogprobs: body.top_logprobs ?? undefined,
    },
    body.max_completion_tokens ?? body.max_tokens ?? undefined,
  );
  const joined = instructions.filter((s) => s.length > 0).join('\n\n');
  const request: ChatRequest = {
    system: { reasoningEffort: effortOf(body.reasoning_effort ?? body.reasoning?.effort, ctx.defaults.reasoningEffort) },
    developer: { ...(joined.length > 0 ? { instructions: joined } : {}), ...(tools.length > 0 ? { tools } : {}) },
    messages,
    params,
    ...(choice === 'required' || typeof choice === 'object' ? { continuation: toolChoicePrefill(choice === 'required' ? 'required' : { name: choice.function.name }, tools) } : {}),
  };
  return { request, stop, allowToolCalls: choice !== 'none', details: body.wgh?.details === true, ...(format !== undefined ? { format } : {}) };
}
