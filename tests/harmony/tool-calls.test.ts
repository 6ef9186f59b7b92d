// Tool calls: extraction to the OpenAI shape and builtin calls, and tool results back as messages.

import { beforeAll, describe, expect, it } from 'vitest';
import {
  classifyRecipient,
  extractToolCalls,
  functionToolCalls,
  parseCompletion,
  recipientOf,
  renderConversationForCompletion,
  renderMessage,
  toolCallMessage,
  toolResultMessage,
  type Message,
  type ToolCall,
} from '../../src/harmony/index.js';
import type { Tokenizer } from '../../src/tokenizer/index.js';
import { loadTokenizer, readFixture } from './helpers.js';

let tok: Tokenizer;
beforeAll(async () => {
  tok = await loadTokenizer();
});

const parse = (text: string, role: 'assistant' | null = 'assistant') =>
  parseCompletion(tok, tok.encodeWithSpecials(text), { role }).messages;

describe('classifyRecipient', () => {
  it.each([
    ['functions.get_weather', { kind: 'function', name: 'get_weather' }],
    ['lookup_weather', { kind: 'function', name: 'lookup_weather' }],
    ['browser.search', { kind: 'builtin', namespace: 'browser', name: 'search' }],
    ['python', { kind: 'builtin', namespace: 'python', name: 'python' }],
    ['all', undefined],
    ['assistant', undefined],
    ['user', undefined],
    ['functions.', undefined],
    [undefined, undefined],
  ])('%s', (recipient, expected) => {
    expect(classifyRecipient(recipient)).toEqual(expected);
  });
});

describe('extractToolCalls', () => {
  it('extracts a function call in the OpenAI tool_calls shape', () => {
    const messages = parse(
      '<|channel|>analysis<|message|>Need weather.<|end|><|start|>assistant to=functions.get_weather<|channel|>commentary <|constrain|>json<|message|>{"location": "Tokyo"}<|call|>',
    );
    expect(functionToolCalls(messages)).toEqual([
      { id: 'call_0', type: 'function', function: { name: 'get_weather', arguments: '{"location": "Tokyo"}' } },
    ]);
    expect(extractToolCalls(messages, { makeId: (callIdx) => `call_abc${callIdx}` })).toEqual([
      {
        call: { id: 'call_abc0', type: 'function', function: { name: 'get_weather', arguments: '{"location": "Tokyo"}' } },
        recipient: 'functions.get_weather',
        channel: 'commentary',
        contentType: '<|constrain|>json',
        messageIdx: 1,
      },
    ]);
  });

  it('extracts builtin calls (browser on commentary, python on analysis) and calls on analysis', () => {
    const browser = parse(readFixture('test_streamable_parser.txt'));
    expect(extractToolCalls(browser).map((c) => c.call)).toEqual([
      { id: 'call_0', type: 'builtin', builtin: { namespace: 'browser', name: 'search', arguments: '{"query": "current US president July 2025", "topn": 10, "source": "news"}' } },
    ]);
    const python = parse('<|channel|>analysis to=python code<|message|>print(2 + 2)\n<|call|>');
    expect(extractToolCalls(python)[0]?.call).toEqual({ id: 'call_0', type: 'builtin', builtin: { namespace: 'python', name: 'python', arguments: 'print(2 + 2)' } });
    const bare = parse('<|channel|>analysis<|message|>x<|end|><|start|>assistant to=lookup_weather<|channel|>analysis code<|message|>{"location": "Tokyo"}');
    expect(functionToolCalls(bare).map((c) => c.function.name)).toEqual(['lookup_weather']);
  });

  it('finds no calls in answers, tool results or user messages', () => {
    const messages: Message[] = [
      { role: 'user', recipient: 'functions.f', content: 'x' },
      { role: 'assistant', channel: 'final', content: 'done' },
      { role: 'tool', name: 'functions.f', recipient: 'assistant', channel: 'commentary', content: '1' },
      { role: 'assistant', recipient: 'all', content: 'hi' },
    ];
    expect(extractToolCalls(messages)).toEqual([]);
  });
});

describe('tool results and calls as messages', () => {
  const call: ToolCall = { id: 'call_0', type: 'function', function: { name: 'lookup_weather', arguments: '{"location": "San Francisco"}' } };

  it('renders a call and its result as in test_does_not_drop_if_ongoing_analysis', () => {
    const conversation: Message[] = [
      { role: 'user', content: 'What is the weather in SF?' },
      { role: 'assistant', channel: 'analysis', content: 'User asks: “What is the weather in SF?” We need to use lookup_weather tool.' },
      toolCallMessage(call),
      // The fixture's tool message has no recipient or channel.
      { role: 'tool', name: recipientOf(call), content: '{"temperature": 20, "description": "sunny"}' },
    ];
    const text = tok.decodeUtf8(renderConversationForCompletion(tok, conversation));
    expect(text).toBe(readFixture('test_does_not_drop_if_ongoing_analysis.txt'));
  });

  it('a result goes to the assistant, from the tool, on the call channel', () => {
    expect(toolResultMessage(call, '20C')).toEqual({ role: 'tool', name: 'functions.lookup_weather', recipient: 'assistant', channel: 'commentary', content: '20C' });
    const builtin: ToolCall = { id: 'b', type: 'builtin', builtin: { namespace: 'browser', name: 'search', arguments: '{}' } };
    expect(toolResultMessage(builtin, 'r', { channel: 'commentary' })).toEqual({ role: 'tool', name: 'browser.search', recipient: 'assistant', channel: 'commentary', content: 'r' });
    expect(tok.decodeUtf8(renderMessage(tok, toolResultMessage('browser.search', '{"result": "https://openai.com/"}', { channel: 'commentary' })))).toBe(
      `${readFixture('test_tool_response_parsing.txt')}<|end|>`,
    );
    expect(recipientOf(builtin)).toBe('browser.search');
    expect(recipientOf({ id: 'p', type: 'builtin', builtin: { namespace: 'python', name: 'python', arguments: '' } })).toBe('python');
  });

  it('a call message parses back to the same call', () => {
    for (const original of [call, { id: 'call_0', type: 'builtin', builtin: { namespace: 'python', name: 'python', arguments: 'print(1)' } } as ToolCall]) {
      const ids = renderMessage(tok, toolCallMessage(original));
      const messages = parseCompletion(tok, ids, { role: null }).messages;
      expect(extractToolCalls(messages).map((c) => c.call)).toEqual([original]);
    }
  });
});
