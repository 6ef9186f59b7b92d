// Builders for system and developer content with Harmony's defaults (SystemContent::default() in
// openai/harmony src/chat.rs): identity "You are ChatGPT, a large language model trained by OpenAI.",
// reasoning medium, knowledge cutoff 2024-06, no date, channels analysis/commentary/final required.
// In the options, `undefined` (or absent) keeps the default and `null` leaves the field out.

import { BROWSER_NAMESPACE, PYTHON_NAMESPACE } from './builtin-tools.js';
import {
  DEFAULT_CHANNELS,
  type ChannelConfig,
  type DeveloperContent,
  type Message,
  type ReasoningEffort,
  type SystemContent,
  type ToolDescription,
  type ToolNamespace,
} from './types.js';

export const DEFAULT_MODEL_IDENTITY = 'You are ChatGPT, a large language model trained by OpenAI.';
export const DEFAULT_KNOWLEDGE_CUTOFF = '2024-06';
export const DEFAULT_REASONING_EFFORT: ReasoningEffort = 'medium';

export type BuiltinToolName = 'browser' | 'python';
export const BUILTIN_TOOL_NAMES: readonly BuiltinToolName[] = Object.freeze(['browser', 'python']);

export interface SystemContentOptions {
  readonly modelIdentity?: string | null;
  readonly reasoningEffort?: ReasoningEffort | null;
  readonly knowledgeCutoff?: string | null;
  readonly conversationStartDate?: string | null;
  /** Valid channels (default analysis, commentary, final); `[]` or null: no channels line. */
  readonly channels?: readonly string[] | null;
  /** Default true. */
  readonly channelRequired?: boolean;
  /** Builtin tools to describe (browser, python), in any order. */
  readonly builtinTools?: readonly BuiltinToolName[];
  /** Other system-level tool namespaces. */
  readonly tools?: readonly ToolNamespace[];
}

/** A SystemContent with Harmony's defaults, overridden by `options`. */
export function systemContent(options: SystemContentOptions = {}): SystemContent {
  const pick = <T>(value: T | null | undefined, fallback: T | undefined): T | undefined =>
    value === null ? undefined : value === undefined ? fallback : value;
  const channels = pick(options.channels, DEFAULT_CHANNELS);
  const channelConfig: ChannelConfig | undefined =
    channels === undefined ? undefined : { validChannels: channels, channelRequired: options.channelRequired ?? true };
  const tools = [...(options.builtinTools ?? []).map(builtinNamespace), ...(options.tools ?? [])];
  return {
    kind: 'system',
    modelIdentity: pick(options.modelIdentity, DEFAULT_MODEL_IDENTITY),
    reasoningEffort: pick(options.reasoningEffort, DEFAULT_REASONING_EFFORT),
    knowledgeCutoff: pick(options.knowledgeCutoff, DEFAULT_KNOWLEDGE_CUTOFF),
    conversationStartDate: pick(options.conversationStartDate, undefined),
    channelConfig,
    tools: tools.length > 0 ? tools : undefined,
  };
}

export interface DeveloperContentOptions {
  readonly instructions?: string;
  /** Function tools, put in the `functions` namespace (none for an empty list). */
  readonly functionTools?: readonly ToolDescription[];
  /** Other namespaces. */
  readonly tools?: readonly ToolNamespace[];
}

export function developerContent(options: DeveloperContentOptions = {}): DeveloperContent {
  const tools = [...(options.tools ?? [])];
  if (options.functionTools !== undefined && options.functionTools.length > 0) {
    tools.push({ name: 'functions', tools: options.functionTools });
  }
  return { kind: 'developer', instructions: options.instructions, tools: tools.length > 0 ? tools : undefined };
}

export function builtinNamespace(name: BuiltinToolName): ToolNamespace {
  return name === 'browser' ? BROWSER_NAMESPACE : PYTHON_NAMESPACE;
}

/** `{ role: 'system', content: systemContent(options) }`. */
export function systemMessage(options: SystemContentOptions = {}): Message {
  return { role: 'system', content: systemContent(options) };
}

/** `{ role: 'developer', content: developerContent(options) }`. */
export function developerMessage(options: DeveloperContentOptions): Message {
  return { role: 'developer', content: developerContent(options) };
}
