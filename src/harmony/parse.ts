// One-shot parsing of a whole completion (openai/harmony `parse_messages_from_completion_tokens`):
// feed every token to a StreamableParser, then EOS.

import type { TokenBytesSource } from '../tokenizer/streaming-decoder.js';
import { StreamableParser, type ParseWarning, type StreamableParserOptions } from './parser.js';
import type { Role, TextMessage } from './types.js';

export interface ParseResult {
  readonly messages: readonly TextMessage[];
  readonly warnings: readonly ParseWarning[];
}

/** Parses a completion; tolerant unless `options.strict` (see StreamableParser). */
export function parseCompletion(
  tokenizer: TokenBytesSource,
  tokens: Iterable<number>,
  options: StreamableParserOptions = {},
): ParseResult {
  const parser = new StreamableParser(tokenizer, options);
  for (const id of tokens) parser.process(id);
  parser.processEOS();
  return { messages: parser.messages, warnings: parser.warnings };
}

/**
 * The messages of a completion. `role` is the role whose `<|start|>{role}` ended the prompt
 * (default 'assistant'); null when the tokens start with <|start|>.
 */
export function parseMessagesFromCompletionTokens(
  tokenizer: TokenBytesSource,
  tokens: Iterable<number>,
  role: Role | null = 'assistant',
  options: Omit<StreamableParserOptions, 'role'> = {},
): TextMessage[] {
  return [...parseCompletion(tokenizer, tokens, { ...options, role }).messages];
}
