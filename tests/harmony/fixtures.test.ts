// Every openai/harmony fixture through the library API (the CLI is covered by cli.test.ts):
// render cases compare the ids with encodeWithSpecials(fixture) and the text with decode(ids);
// parse cases compare the messages.

import { beforeAll, describe, expect, it } from 'vitest';
import {
  messageToJson,
  parseCompletion,
  renderConversation,
  renderConversationForCompletion,
  renderRequestFromJson,
} from '../../src/harmony/index.js';
import type { Tokenizer } from '../../src/tokenizer/index.js';
import { loadTokenizer, parseCases, readFixture, readTokenFixture, renderCases } from './helpers.js';

let tok: Tokenizer;
beforeAll(async () => {
  tok = await loadTokenizer();
});

function render(input: unknown): number[] {
  const request = renderRequestFromJson(input);
  const options = { dropAnalysis: request.dropAnalysis };
  return request.nextRole === null
    ? renderConversation(tok, request.messages, options)
    : renderConversationForCompletion(tok, request.messages, request.nextRole, options);
}

describe('harmony fixtures: render', () => {
  it.each(renderCases().map((c) => [c.fixture, c] as const))('%s', (_, c) => {
    const expectedText = readFixture(c.fixture);
    const ids = render(c.input);
    // harmony compares text or ids (c.harmony_compares); every fixture matches both ways.
    expect(tok.decodeUtf8(ids)).toBe(expectedText);
    expect(ids).toEqual(tok.encodeWithSpecials(expectedText));
  });
});

describe('harmony fixtures: parse', () => {
  it.each(parseCases().map((c) => [c.fixture, c] as const))('%s', (_, c) => {
    const ids = c.input === 'tokens' ? readTokenFixture(c.fixture) : tok.encodeWithSpecials(readFixture(c.fixture));
    const result = parseCompletion(tok, ids, { role: c.role === 'none' ? null : 'assistant' });
    expect(result.messages.map(messageToJson)).toEqual(c.expected);
    expect(result.warnings).toEqual([]);
  });

  it('test_tool_response_parsing: re-rendering the parsed tool message gives the fixture plus <|end|>', () => {
    const ids = tok.encodeWithSpecials(readFixture('test_tool_response_parsing.txt'));
    const { messages } = parseCompletion(tok, ids, { role: null });
    expect(renderConversation(tok, messages)).toEqual([...ids, tok.specialTokens.END]);
  });

  it('test_simple_tool_call as inlined in src/tests.rs (ending in <|end|> and a header with to= before the channel)', () => {
    const response = [
      200005, 35644, 200008, 1844, 31064, 25, 392, 4827, 382, 290, 11122, 306, 40510, 16842, 1416, 1309, 316, 1199, 37342,
      170154, 4584, 13, 200007, 200006, 173781, 200005, 35644, 316, 28, 29712, 170154, 3490, 200008, 10848, 7693, 1243,
      392, 173844, 18583,
    ];
    const { messages } = parseCompletion(tok, response);
    expect(messages.map(messageToJson)).toEqual([
      { role: 'assistant', channel: 'analysis', content: 'User asks: "What is the weather in Tokyo?" We need to use lookup_weather tool.' },
      // The header is "<|channel|>analysis to=lookup_weather code": channel first, then recipient and content type.
      { role: 'assistant', channel: 'analysis', recipient: 'lookup_weather', content_type: 'code', content: '{"location": "Tokyo"}' },
    ]);
  });
});
