// HarmonyEncoding: the render and parse functions bound to one tokenizer, shaped like
// openai_harmony's `load_harmony_encoding(HARMONY_GPT_OSS)` object.

import { Tokenizer, type TokenizerLoadOptions } from '../tokenizer/tokenizer.js';
import { STOP_TOKENS, STOP_TOKENS_FOR_ASSISTANT_ACTIONS } from '../tokenizer/special-tokens.js';
import { parseCompletion, parseMessagesFromCompletionTokens, type ParseResult } from './parse.js';
import { StreamableParser, type StreamableParserOptions } from './parser.js';
import {
  renderConversation,
  renderConversationForCompletion,
  renderConversationForTraining,
  renderMessage,
  type RenderOptions,
} from './render.js';
import type { Conversation, Message, Role, TextMessage } from './types.js';

export class HarmonyEncoding {
  constructor(readonly tokenizer: Tokenizer) {}

  /** Loads the tokenizer of a model directory (or the bundled one). */
  static async load(modelDir?: string, options?: TokenizerLoadOptions): Promise<HarmonyEncoding> {
    return new HarmonyEncoding(await Tokenizer.load(modelDir, options));
  }

  /** <|return|>, <|call|>, <|end|>. */
  stopTokens(): readonly number[] {
    return STOP_TOKENS;
  }
  /** <|return|>, <|call|>: the model hands control back. */
  stopTokensForAssistantActions(): readonly number[] {
    return STOP_TOKENS_FOR_ASSISTANT_ACTIONS;
  }

  render(message: Message): number[] {
    return renderMessage(this.tokenizer, message);
  }
  renderConversation(conversation: Conversation | readonly Message[], options?: RenderOptions): number[] {
    return renderConversation(this.tokenizer, conversation, options);
  }
  renderConversationForCompletion(
    conversation: Conversation | readonly Message[],
    nextRole: Role = 'assistant',
    options?: RenderOptions,
  ): number[] {
    return renderConversationForCompletion(this.tokenizer, conversation, nextRole, options);
  }
  renderConversationForTraining(conversation: Conversation | readonly Message[], options?: RenderOptions): number[] {
    return renderConversationForTraining(this.tokenizer, conversation, options);
  }

  createParser(options?: StreamableParserOptions): StreamableParser {
    return new StreamableParser(this.tokenizer, options);
  }
  parseCompletion(tokens: Iterable<number>, options?: StreamableParserOptions): ParseResult {
    return parseCompletion(this.tokenizer, tokens, options);
  }
  parseMessagesFromCompletionTokens(tokens: Iterable<number>, role: Role | null = 'assistant'): TextMessage[] {
    return parseMessagesFromCompletionTokens(this.tokenizer, tokens, role);
  }

  /** Text of ids with every special token as its `<|…|>` text (lossy). */
  decode(tokens: Iterable<number>): string {
    return this.tokenizer.decode(tokens);
  }
}
