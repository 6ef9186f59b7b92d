// Tool calls in Harmony and their OpenAI-compatible form, shared by the chat layer and the server.
//
// The model calls a tool with an assistant message whose recipient names it:
//   <|start|>assistant to=functions.get_weather<|channel|>commentary <|constrain|>json<|message|>{"city":"Oslo"}<|call|>
//   <|start|>assistant to=browser.search<|channel|>analysis code<|message|>{"query":"…"}<|call|>
//   <|start|>assistant to=python<|channel|>analysis code<|message|>print(1)<|call|>
// Function calls (`functions.NAME`, or a bare NAME the model wrote without its namespace) become
// OpenAI `tool_calls` entries `{id, type: 'function', function: {name, arguments}}`; calls to the
// builtin namespaces (browser, python) become `{id, type: 'builtin', builtin: {namespace, name,
// arguments}}`, which a server must not forward as OpenAI function calls. Calls are recognised on
// any channel (gpt-oss calls builtins on analysis and sometimes functions too).
//
// The result goes back as a tool message authored by the tool, addressed to the assistant, on the
// channel of the call:  <|start|>functions.get_weather to=assistant<|channel|>commentary<|message|>{…}<|end|>

import type { Message, TextMessage } from './types.js';

/** An OpenAI chat-completions tool call. `arguments` is the raw JSON text the model wrote. */
export interface FunctionToolCall {
  readonly id: string;
  readonly type: 'function';
  readonly function: { readonly name: string; readonly arguments: string };
}

/** A call to a builtin tool (browser.search / open / find, python). */
export interface BuiltinToolCall {
  readonly id: string;
  readonly type: 'builtin';
  readonly builtin: {
    readonly namespace: string;
    /** The function within the namespace ('search'); for python, 'python'. */
    readonly name: string;
    /** Raw content: JSON for browser, source code for python. */
    readonly arguments: string;
  };
}

export type ToolCall = FunctionToolCall | BuiltinToolCall;

/** A call with where it came from. */
export interface ExtractedToolCall {
  readonly call: ToolCall;
  /** The message's recipient, e.g. `functions.get_weather`. */
  readonly recipient: string;
  readonly channel?: string;
  readonly contentType?: string;
  /** Index of the message in the list given to extractToolCalls. */
  readonly messageIdx: number;
}

export interface ToolCallOptions {
  /** Namespaces that are builtin tools. Default ['browser', 'python']. */
  readonly builtinNamespaces?: readonly string[];
  /** Makes the id of the callIdx-th call. Default `call_${callIdx}`; servers should pass unique ids. */
  readonly makeId?: (callIdx: number, message: TextMessage) => string;
}

export const DEFAULT_BUILTIN_NAMESPACES: readonly string[] = Object.freeze(['browser', 'python']);
const NOT_TOOLS = new Set(['all', 'user', 'assistant', 'system', 'developer']);

export type RecipientKind =
  | { readonly kind: 'function'; readonly name: string }
  | { readonly kind: 'builtin'; readonly namespace: string; readonly name: string };

/** What a recipient addresses: a function, a builtin tool, or (undefined) no tool. */
export function classifyRecipient(
  recipient: string | undefined,
  builtinNamespaces: readonly string[] = DEFAULT_BUILTIN_NAMESPACES,
): RecipientKind | undefined {
  if (recipient === undefined || recipient.length === 0 || NOT_TOOLS.has(recipient)) return undefined;
  const dot = recipient.indexOf('.');
  const namespace = dot < 0 ? recipient : recipient.slice(0, dot);
  const rest = dot < 0 ? '' : recipient.slice(dot + 1);
  if (builtinNamespaces.includes(namespace)) return { kind: 'builtin', namespace, name: rest.length > 0 ? rest : namespace };
  if (namespace === 'functions') return rest.length > 0 ? { kind: 'function', name: rest } : undefined;
  return { kind: 'function', name: recipient };
}

/** The tool call an assistant message makes, or undefined when it makes none. */
export function toolCallFromMessage(message: Message, id: string, options: ToolCallOptions = {}): ToolCall | undefined {
  if (message.role !== 'assistant' || typeof message.content !== 'string') return undefined;
  const target = classifyRecipient(message.recipient, options.builtinNamespaces);
  if (target === undefined) return undefined;
  const args = message.content.trim();
  if (target.kind === 'function') return { id, type: 'function', function: { name: target.name, arguments: args } };
  return { id, type: 'builtin', builtin: { namespace: target.namespace, name: target.name, arguments: args } };
}

/** Every tool call in `messages`, in order. */
export function extractToolCalls(messages: readonly Message[], options: ToolCallOptions = {}): ExtractedToolCall[] {
  const makeId = options.makeId ?? ((callIdx: number) => `call_${callIdx}`);
  const calls: ExtractedToolCall[] = [];
  messages.forEach((message, messageIdx) => {
    if (typeof message.content !== 'string') return;
    const textMessage = message as TextMessage;
    const call = toolCallFromMessage(textMessage, makeId(calls.length, textMessage), options);
    if (call === undefined) return;
    calls.push({
      call,
      recipient: message.recipient as string,
      messageIdx,
      ...(message.channel !== undefined ? { channel: message.channel } : {}),
      ...(message.contentType !== undefined ? { contentType: message.contentType } : {}),
    });
  });
  return calls;
}

/** Only the OpenAI function calls, as a chat-completions `tool_calls` array. */
export function functionToolCalls(messages: readonly Message[], options: ToolCallOptions = {}): FunctionToolCall[] {
  return extractToolCalls(messages, options)
    .map((extracted) => extracted.call)
    .filter((call): call is FunctionToolCall => call.type === 'function');
}

/** The Harmony recipient of a call: `functions.NAME`, `browser.search`, `python`. */
export function recipientOf(call: ToolCall): string {
  if (call.type === 'function') return `functions.${call.function.name}`;
  const { namespace, name } = call.builtin;
  return name === namespace ? namespace : `${namespace}.${name}`;
}

/**
 * The assistant message that makes `call` (to put an OpenAI-style tool call from history back into
 * a Harmony conversation). Functions: commentary + `<|constrain|>json`; builtins: analysis + `code`.
 */
export function toolCallMessage(call: ToolCall, options: { readonly channel?: string } = {}): TextMessage {
  if (call.type === 'function') {
    return {
      role: 'assistant',
      channel: options.channel ?? 'commentary',
      recipient: recipientOf(call),
      contentType: '<|constrain|>json',
      content: call.function.arguments,
    };
  }
  return {
    role: 'assistant',
    channel: options.channel ?? 'analysis',
    recipient: recipientOf(call),
    contentType: 'code',
    content: call.builtin.arguments,
  };
}

/**
 * The tool message carrying a call's result back to the model: authored by the tool, to=assistant,
 * on the call's channel (default commentary for functions, analysis for builtins).
 * @param target the call, or its Harmony recipient (`functions.get_weather`)
 */
export function toolResultMessage(
  target: ToolCall | string,
  output: string,
  options: { readonly channel?: string } = {},
): TextMessage {
  const name = typeof target === 'string' ? target : recipientOf(target);
  const isBuiltin = typeof target !== 'string' && target.type === 'builtin';
  return {
    role: 'tool',
    name,
    recipient: 'assistant',
    channel: options.channel ?? (isBuiltin ? 'analysis' : 'commentary'),
    content: output,
  };
}
