// Rendering messages and conversations to token ids (openai/harmony `render_into`,
// `render_conversation*`).
//
//   <|start|>{role}[:{name}][ to={recipient}][<|channel|>{channel}][ {content type}]<|message|>{content}{end}
//
// - Tool messages print only their author name as the role (`functions.lookup_weather`).
// - ` to=…` is omitted for recipient "all". A content type starting with `<|constrain|>` is rendered
//   as " " + the special id 200003 + the rest as text (" <|constrain|>json"); others as " {type}".
// - {end} is <|call|> for an assistant message with a recipient, else <|end|>. History is always
//   rendered with <|end|>: a final answer the model ended with <|return|> goes back as <|end|>.
// - Every text piece is encoded with encodeOrdinary, piece by piece (BPE never merges across the
//   pieces), so special-looking text typed by a user stays text.
//
// Drop-analysis policy (default on, as in harmony's RenderConversationConfig and Python API): iff
// the LAST assistant message is on channel `final`, remove the `analysis` messages that come before
// the FIRST message (of any role) on channel `final`. So the chain of thought of a tool-calling
// turn still in progress is kept, and analysis after the first final answer is kept.

import { ConfigError } from '../errors.js';
import { SPECIAL_TOKENS } from '../tokenizer/special-tokens.js';
import { hasFunctionTools, renderDeveloperContent, renderSystemContent } from './render-content.js';
import {
  isDeveloperContent,
  isSystemContent,
  type Conversation,
  type Message,
  type Role,
} from './types.js';

/** What rendering needs from a tokenizer. */
export interface RenderTokenizer {
  encodeOrdinary(text: string): number[];
}

export interface RenderOptions {
  /** Apply the drop-analysis policy. Default true. */
  readonly dropAnalysis?: boolean;
}

export interface MessageRenderContext {
  /** Adds the "Calls to these tools must go to the commentary channel" line to system content. */
  readonly hasFunctionTools: boolean;
}

const CONSTRAIN_TEXT = '<|constrain|>';

function messagesOf(conversation: Conversation | readonly Message[]): readonly Message[] {
  return 'messages' in conversation ? conversation.messages : conversation;
}

/** True when any developer message declares function tools (the `functions` namespace). */
export function conversationHasFunctionTools(messages: readonly Message[]): boolean {
  return messages.some((message) => isDeveloperContent(message.content) && hasFunctionTools(message.content));
}

/** The messages that are rendered under the drop-analysis policy (see the header comment). */
export function applyDropAnalysis(messages: readonly Message[]): Message[] {
  let lastAssistant: Message | undefined;
  for (let msgIdx = messages.length - 1; msgIdx >= 0 && lastAssistant === undefined; msgIdx--) {
    if (messages[msgIdx]?.role === 'assistant') lastAssistant = messages[msgIdx];
  }
  if (lastAssistant?.channel !== 'final') return [...messages];
  const firstFinalIdx = messages.findIndex((message) => message.channel === 'final');
  return messages.filter((message, msgIdx) => !(msgIdx < firstFinalIdx && message.channel === 'analysis'));
}

/** Renders one message (no drop-analysis; see renderConversation). */
export function renderMessage(
  tokenizer: RenderTokenizer,
  message: Message,
  context: MessageRenderContext = { hasFunctionTools: false },
): number[] {
  const out: number[] = [SPECIAL_TOKENS.START];
  const text = (piece: string): void => {
    for (const id of tokenizer.encodeOrdinary(piece)) out.push(id);
  };

  if (message.role === 'tool') {
    if (message.name === undefined || message.name.length === 0) {
      throw new ConfigError(
        "harmony render: a tool message needs a name, its author (e.g. 'functions.lookup_weather' or 'browser.search')",
      );
    }
    text(message.name);
  } else {
    text(message.role);
    if (message.name !== undefined) text(`:${message.name}`);
  }
  if (message.recipient !== undefined && message.recipient !== 'all') text(` to=${message.recipient}`);
  if (message.channel !== undefined) {
    out.push(SPECIAL_TOKENS.CHANNEL);
    text(message.channel);
  }
  if (message.contentType !== undefined) {
    if (message.contentType.startsWith(CONSTRAIN_TEXT)) {
      text(' ');
      out.push(SPECIAL_TOKENS.CONSTRAIN);
      text(message.contentType.slice(CONSTRAIN_TEXT.length));
    } else {
      text(` ${message.contentType}`);
    }
  }
  out.push(SPECIAL_TOKENS.MESSAGE);

  const content = message.content;
  if (typeof content === 'string') {
    text(content);
  } else if (isSystemContent(content)) {
    if (message.role !== 'system') {
      throw new ConfigError(`harmony render: system content may only appear in a system message, found in ${message.role}`);
    }
    text(renderSystemContent(content, context));
  } else {
    if (message.role !== 'developer') {
      throw new ConfigError(
        `harmony render: developer content may only appear in a developer message, found in ${message.role}`,
      );
    }
    text(renderDeveloperContent(content));
  }
  out.push(message.role === 'assistant' && message.recipient !== undefined ? SPECIAL_TOKENS.CALL : SPECIAL_TOKENS.END);
  return out;
}

/** Renders a conversation (no trailing `<|start|>role`). */
export function renderConversation(
  tokenizer: RenderTokenizer,
  conversation: Conversation | readonly Message[],
  options: RenderOptions = {},
): number[] {
  const messages = messagesOf(conversation);
  const context: MessageRenderContext = { hasFunctionTools: conversationHasFunctionTools(messages) };
  const selected = options.dropAnalysis === false ? messages : applyDropAnalysis(messages);
  const out: number[] = [];
  for (const message of selected) for (const id of renderMessage(tokenizer, message, context)) out.push(id);
  return out;
}

/** Renders a conversation followed by `<|start|>{nextRole}`: the prompt for sampling the next message. */
export function renderConversationForCompletion(
  tokenizer: RenderTokenizer,
  conversation: Conversation | readonly Message[],
  nextRole: Role = 'assistant',
  options: RenderOptions = {},
): number[] {
  const out = renderConversation(tokenizer, conversation, options);
  out.push(SPECIAL_TOKENS.START);
  for (const id of tokenizer.encodeOrdinary(nextRole)) out.push(id);
  return out;
}

/** Renders a conversation for training: a trailing assistant `final` message ends in <|return|>. */
export function renderConversationForTraining(
  tokenizer: RenderTokenizer,
  conversation: Conversation | readonly Message[],
  options: RenderOptions = {},
): number[] {
  const messages = messagesOf(conversation);
  const out = renderConversation(tokenizer, messages, options);
  const last = messages[messages.length - 1];
  if (last !== undefined && last.role === 'assistant' && last.channel === 'final' && out.length > 0) {
    out[out.length - 1] = SPECIAL_TOKENS.RETURN;
  }
  return out;
}
