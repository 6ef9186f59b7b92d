// The Harmony chat format of gpt-oss: types, rendering (system / developer content, tools as
// TypeScript types, the drop-analysis policy), the tolerant streaming parser, tool calls.
//
//   const tok = await Tokenizer.load(modelDir);
//   const prompt = renderConversationForCompletion(tok, [
//     systemMessage({ reasoningEffort: 'high' }),
//     developerMessage({ instructions: 'Be brief.', functionTools: [{ name: 'get_weather', description: '…', parameters }] }),
//     { role: 'user', content: 'Weather in Oslo?' },
//   ]);                                                   // ends with <|start|>assistant
//   const parser = new StreamableParser(tok, { role: 'assistant' });
//   for (const id of sampled) for (const event of parser.process(id)) { … }   // message-start / content-delta / message-end / warning
//   parser.processEOS();
//   extractToolCalls(parser.messages)                    // [{ call: { id, type: 'function', function: { name, arguments } }, … }]
//   toolResultMessage(call, '{"temp": 3}')               // the tool message to append before the next turn
//
// Servers map channel `analysis` → reasoning_content, `final` → content, and calls → tool_calls.

export * from './types.js';
export * from './content.js';
export { BROWSER_NAMESPACE, PYTHON_NAMESPACE } from './builtin-tools.js';
export { jsonSchemaToTypeScript } from './schema-to-typescript.js';
export { renderToolsSection, renderSystemContent, renderDeveloperContent, hasFunctionTools } from './render-content.js';
export {
  renderMessage,
  renderConversation,
  renderConversationForCompletion,
  renderConversationForTraining,
  applyDropAnalysis,
  conversationHasFunctionTools,
  type RenderTokenizer,
  type RenderOptions,
  type MessageRenderContext,
} from './render.js';
export { parseHeader, parseHeaderOnlyMessage, parseRoleWord, type HeaderPiece, type HeaderContext } from './header.js';
export {
  StreamableParser,
  type StreamableParserOptions,
  type ParserEvent,
  type ParseWarning,
  type ParseWarningCode,
  type EndToken,
  type ParserStateName,
} from './parser.js';
export { parseCompletion, parseMessagesFromCompletionTokens, type ParseResult } from './parse.js';
export * from './tool-calls.js';
export { messageFromJson, messageToJson, renderRequestFromJson, type HarmonyMessageJson, type RenderRequest } from './json.js';
export { HarmonyEncoding } from './encoding.js';
