// Harmony's data model (openai/harmony src/chat.rs), in TypeScript terms.
//
// A Message is a header (role, optional author name, recipient, channel, content type) plus one
// content: plain text, or for system / developer messages a structured SystemContent /
// DeveloperContent that the renderer turns into text. Parsed model output is always text
// (`TextMessage`). Field names are camelCase here; the JSON wire format (CLI input, `parse` output)
// is snake_case, see ./json.ts.

export type Role = 'system' | 'developer' | 'user' | 'assistant' | 'tool';
export const ROLES: readonly Role[] = Object.freeze(['system', 'developer', 'user', 'assistant', 'tool']);

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export type ReasoningEffort = 'low' | 'medium' | 'high';
export const REASONING_EFFORTS: readonly ReasoningEffort[] = Object.freeze(['low', 'medium', 'high']);

/** Channels gpt-oss was trained with: chain of thought, tool calls + preambles, the answer. */
export const DEFAULT_CHANNELS: readonly string[] = Object.freeze(['analysis', 'commentary', 'final']);

/** Any JSON value (a JSON schema, a default, tool arguments). */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | JsonObject;
export interface JsonObject {
  readonly [key: string]: JsonValue;
}

/** Who wrote a message and where it goes; everything in `<|start|>…<|message|>`. */
export interface MessageHeader {
  readonly role: Role;
  /** Author name. For tool messages it IS the header (`functions.lookup_weather`, `browser.search`). */
  readonly name?: string;
  /** `to=` target: `functions.NAME`, `browser.search`, `python`; `assistant` for tool results. */
  readonly recipient?: string;
  readonly channel?: string;
  /** `<|constrain|>json` (rendered with the special token), `code`, `json`, … */
  readonly contentType?: string;
}

export interface TextMessage extends MessageHeader {
  readonly content: string;
}

export interface SystemMessage extends MessageHeader {
  readonly role: 'system';
  readonly content: SystemContent;
}

export interface DeveloperMessage extends MessageHeader {
  readonly role: 'developer';
  readonly content: DeveloperContent;
}

export type Message = TextMessage | SystemMessage | DeveloperMessage;

export interface Conversation {
  readonly messages: readonly Message[];
}

/** One function of a tool namespace; `parameters` is a JSON schema rendered as a TypeScript type. */
export interface ToolDescription {
  readonly name: string;
  readonly description: string;
  readonly parameters?: JsonValue;
}

/** A namespace of tools (`functions`, `browser`, `python`), rendered as `## name` + `namespace name {…}`. */
export interface ToolNamespace {
  readonly name: string;
  readonly description?: string;
  readonly tools: readonly ToolDescription[];
}

export interface ChannelConfig {
  readonly validChannels: readonly string[];
  /** Adds " Channel must be included for every message." */
  readonly channelRequired: boolean;
}

/** The system message's structured content; unset fields are not rendered. */
export interface SystemContent {
  readonly kind: 'system';
  readonly modelIdentity?: string;
  readonly reasoningEffort?: ReasoningEffort;
  readonly knowledgeCutoff?: string;
  readonly conversationStartDate?: string;
  readonly channelConfig?: ChannelConfig;
  /** Builtin tool namespaces (browser, python); rendered sorted by name, one per name. */
  readonly tools?: readonly ToolNamespace[];
}

/** The developer message's structured content ("system prompt" and function tools). */
export interface DeveloperContent {
  readonly kind: 'developer';
  readonly instructions?: string;
  /** Usually one namespace, `functions`; rendered sorted by name, one per name. */
  readonly tools?: readonly ToolNamespace[];
}

export function isSystemContent(content: Message['content']): content is SystemContent {
  return typeof content === 'object' && content.kind === 'system';
}

export function isDeveloperContent(content: Message['content']): content is DeveloperContent {
  return typeof content === 'object' && content.kind === 'developer';
}
