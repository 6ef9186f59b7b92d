// What the OpenAI and Ollama mappers share: the server's defaults, the model name check, sampling
// parameters (validated by the generator's own rules), response-format instructions, tool_choice
// prefills and the exact Harmony request of the `wgh` extension.

import { dropEarlierAnalysis, splitTurns } from '../chat/budget.js';
import type { ChatRequest, ClientGenerationParams, Continuation } from '../client/types.js';
import type { WghHarmonyRequestJson } from '../client/http-wire.js';
import { ConfigError } from '../errors.js';
import type { LoopDetectionMode } from '../generate/types.js';
import { resolveSamplingParams, type SamplingParamsInput } from '../generate/sampling-params.js';
import { messageFromJson } from '../harmony/json.js';
import type { BuiltinToolName } from '../harmony/content.js';
import type { ReasoningEffort, TextMessage, ToolDescription } from '../harmony/types.js';
import { badRequest, unknownModel } from './errors.js';
import type { ResponseFormat, ValidationStage } from './validation.js';

export interface ServerDefaults {
  readonly maxTokens: number;
  readonly reasoningEffort: ReasoningEffort;
  /** `wgh serve` sampling flags; a request's fields override them. */
  readonly sampling: SamplingParamsInput;
  readonly loopDetection?: LoopDetectionMode;
  /** Generations per request at most when a response check (response_format) fails. */
  readonly maxResponseAttempts: number;
  /**
   * `--max-kv-size`: the rotating KV window of the full-attention layers (0 = off), set on every
   * request so a client that changed it (`wgh.harmony` params) does not change it for the next one.
   * The model is loaded with this policy (and `--kv-keep`), so the usual request reallocates nothing.
   */
  readonly maxKvSize?: number;
  /** `--stop`: token ids that end every generation, besides Harmony's `<|return|>` and `<|call|>`. */
  readonly stopTokens?: readonly number[];
}

export const DEFAULT_SERVER_DEFAULTS: ServerDefaults = Object.freeze({ maxTokens: 1024, reasoningEffort: 'medium', sampling: {}, maxResponseAttempts: 3 });

/**
 * A request's own context window (Ollama's num_ctx): prompt + reply stay within `tokens`; earlier
 * turns are dropped, oldest first, to fit, and max tokens is capped to what is left.
 */
export interface ContextWindow {
  readonly tokens: number;
  /** The request field that set it, named in errors (`num_ctx`); absent: the model's context. */
  readonly param?: string;
  /** The value the client asked for, when the model's context capped it. */
  readonly requested?: number;
}

/** The parts of a route request a chat job is made of. */
export interface MappedChat {
  readonly request: ChatRequest;
  readonly stop: readonly string[];
  readonly format?: ResponseFormat;
  readonly allowToolCalls: boolean;
  /** The client asked for the `wgh` details (events, result). */
  readonly details: boolean;
  /** Absent: the prompt must fit the model's context as sent (400 otherwise), nothing is dropped. */
  readonly contextWindow?: ContextWindow;
}

export interface MapContext {
  readonly modelId: string;
  readonly defaults: ServerDefaults;
  readonly validation: ValidationStage;
}

/** The served model answers to its id, `id:latest` (Ollama style) and `default`. */
export function checkModel(requested: string, modelId: string): void {
  if (requested === modelId || requested === `${modelId}:latest` || requested === 'default') return;
  throw unknownModel(requested, modelId);
}

/** Sampling fields in the generator's terms: the server's defaults, then the request's; validated. */
export function generationParamsOf(ctx: MapContext, request: SamplingParamsInput, maxTokens: number | undefined): ClientGenerationParams {
  const params: ClientGenerationParams = {
    ...ctx.defaults.sampling,
    ...Object.fromEntries(Object.entries(request).filter(([, value]) => value !== undefined && value !== null)),
    maxTokens: maxTokens ?? ctx.defaults.maxTokens,
    ...(ctx.defaults.loopDetection !== undefined ? { loopDetection: ctx.defaults.loopDetection } : {}),
    ...(ctx.defaults.maxKvSize !== undefined ? { maxKvSize: ctx.defaults.maxKvSize } : {}),
  };
  resolveSamplingParams(params); // ConfigError naming the field → 400
  return params;
}

export function effortOf(value: string | undefined | null, fallback: ReasoningEffort): ReasoningEffort {
  if (value === undefined || value === null) return fallback;
  return value === 'minimal' ? 'low' : (value as ReasoningEffort);
}

/** Harmony's `# Response Formats` section (openai/harmony docs/format.md), appended to the instructions. */
export function responseFormatInstructions(format: ResponseFormat, description?: string): string {
  const schema = format.kind === 'json_object' ? { type: 'object' } : format.schema;
  const name = format.kind === 'json_object' ? 'json_object' : format.name;
  const comment = description ?? (format.kind === 'json_object' ? 'Reply with a single JSON object and nothing else.' : 'Reply with JSON that matches this schema and nothing else.');
  return `# Response Formats\n\n## ${name}\n\n// ${comment}\n${JSON.stringify(schema)}`;
}

/** tool_choice as a prefill of the reply: `required` starts a function call, a name fixes it. */
export function toolChoicePrefill(choice: 'required' | { readonly name: string }, tools: readonly ToolDescription[]): Continuation {
  if (tools.length === 0) throw badRequest(`tool_choice ${typeof choice === 'string' ? `'${choice}'` : `'${choice.name}'`} needs 'tools'.`, 'tool_choice');
  if (choice === 'required') return { text: '<|channel|>commentary to=functions.' };
  if (!tools.some((tool) => tool.name === choice.name)) {
    throw badRequest(`tool_choice names '${choice.name}', which is not in 'tools' (${tools.map((t) => t.name).join(', ')}).`, 'tool_choice');
  }
  return { text: `<|channel|>commentary to=functions.${choice.name} <|constrain|>json<|message|>` };
}

/** Analysis of finished turns is not sent again (Harmony); the current turn keeps its reasoning. */
export function dropFinishedAnalysis(messages: readonly TextMessage[]): TextMessage[] {
  return dropEarlierAnalysis(splitTurns(messages)).flat();
}

/** The exact request of a webgpu-harmony client (`wgh.harmony`), checked like any input. */
export function harmonyRequestOf(value: unknown, ctx: MapContext): ChatRequest {
  ctx.validation.checkSchema('wgh.harmony', value, 'wgh.harmony.');
  const json = value as WghHarmonyRequestJson;
  let messages: TextMessage[];
  try {
    messages = json.messages.map((m, msgIdx) => messageFromJson(m, `wgh.harmony.messages[${msgIdx}]`));
  } catch (err) {
    throw badRequest((err as ConfigError).message, 'wgh.harmony.messages');
  }
  const s = json.system;
  const params = json.params as unknown as ClientGenerationParams;
  resolveSamplingParams(params);
  return {
    system: {
      reasoningEffort: s.reasoning_effort,
      ...(s.model_identity !== undefined ? { modelIdentity: s.model_identity } : {}),
      ...(s.knowledge_cutoff !== undefined ? { knowledgeCutoff: s.knowledge_cutoff } : {}),
      ...(s.conversation_start_date !== undefined ? { conversationStartDate: s.conversation_start_date } : {}),
      ...(s.builtin_tools !== undefined ? { builtinTools: s.builtin_tools as BuiltinToolName[] } : {}),
    },
    ...(json.developer !== undefined
      ? { developer: { ...(json.developer.instructions !== undefined ? { instructions: json.developer.instructions } : {}), ...(json.developer.tools !== undefined ? { tools: json.developer.tools.map((t) => ({ ...t, description: t.description ?? '' })) } : {}) } }
      : {}),
    messages,
    params,
    ...(json.continuation !== undefined ? { continuation: { text: json.continuation.text, ...(json.continuation.token_ids !== undefined ? { tokenIds: json.continuation.token_ids } : {}) } } : {}),
  };
}

/** A stop field (string or list) as a list without empty strings. */
export function stopList(value: string | readonly string[] | null | undefined): string[] {
  if (value === undefined || value === null) return [];
  return (typeof value === 'string' ? [value] : [...value]).filter((s) => s.length > 0);
}
