// Malformed model output: the parser keeps every message it can and records what was wrong.

import { beforeAll, describe, expect, it } from 'vitest';
import { messageToJson, parseCompletion, type ParseWarningCode } from '../../src/harmony/index.js';
import type { Tokenizer } from '../../src/tokenizer/index.js';
import { loadTokenizer } from './helpers.js';

let tok: Tokenizer;
beforeAll(async () => {
  tok = await loadTokenizer();
});

function parse(text: string, role: 'assistant' | null = 'assistant') {
  const result = parseCompletion(tok, tok.encodeWithSpecials(text), { role });
  return { messages: result.messages.map(messageToJson), codes: result.warnings.map((w) => w.code) };
}

const refuse = "<|start|>assistant<|channel|>analysis<|message|>We must refuse<|end|><|start|>assistant<|channel|>final<|message|>I'm sorry, but I can't help with that.<|return|>";
const refuseMessages = [
  { role: 'assistant', channel: 'analysis', content: 'We must refuse' },
  { role: 'assistant', channel: 'final', content: "I'm sorry, but I can't help with that." },
];

describe('missing <|message|> (openai/harmony non-strict cases)', () => {
  it.each<[string, string, object]>([
    ['plain text', 'I must refuse<|end|>', { role: 'assistant', content: 'I must refuse' }],
    ['after a channel', '<|channel|>analysis I must refuse<|end|>', { role: 'assistant', channel: 'analysis', content: 'I must refuse' }],
    ['before a tool call', "... Let's use the tool.<|end|>", { role: 'assistant', content: "... Let's use the tool." }],
  ])('%s: the header text is the content', (_, first, expected) => {
    const { messages, codes } = parse(first + refuse);
    expect(messages).toEqual([expected, ...refuseMessages]);
    expect(codes).toEqual(['missing-message']);
  });

  it('the tool call after it keeps its plain content type', () => {
    const text = "... Let's use the tool.<|end|><|start|>assistant to=functions.get_weather<|channel|>commentary json<|message|>{\"location\": \"Tokyo\"}<|call|>";
    expect(parse(text).messages[1]).toEqual({
      role: 'assistant', channel: 'commentary', recipient: 'functions.get_weather', content_type: 'json', content: '{"location": "Tokyo"}',
    });
  });

  it('"<|channel|>commentary Hello<|end|>" (harmony test_missing_message_token_requires_non_strict_mode)', () => {
    expect(parse('<|channel|>commentary Hello<|end|>').messages).toEqual([{ role: 'assistant', channel: 'commentary', content: 'Hello' }]);
  });
});

describe('truncated output', () => {
  it('mid-message: the message is kept (no warning: completions usually come without a stop token)', () => {
    expect(parse('<|channel|>analysis<|message|>half a tho')).toEqual({
      messages: [{ role: 'assistant', channel: 'analysis', content: 'half a tho' }],
      codes: [],
    });
  });

  it('mid-header: the earlier messages are kept and the header is dropped', () => {
    const { messages, codes } = parse('<|channel|>analysis<|message|>a<|end|><|start|>assistant to=functions.f<|channel|>comm');
    expect(messages).toEqual([{ role: 'assistant', channel: 'analysis', content: 'a' }]);
    expect(codes).toEqual(['truncated-header']);
    expect(parse('<|channel|>analysis').codes).toEqual(['truncated-header']);
  });

  it('plain text with no Harmony structure at all becomes one message', () => {
    expect(parse('Hello! How can I help?')).toEqual({
      messages: [{ role: 'assistant', content: 'Hello! How can I help?' }],
      codes: ['missing-message'],
    });
  });

  it('empty output gives nothing, silently', () => {
    expect(parse('')).toEqual({ messages: [], codes: [] });
    expect(parse('<|return|>')).toEqual({ messages: [], codes: [] });
  });
});

describe('missing <|start|> / <|end|>', () => {
  it.each([
    ['with the role', '<|channel|>analysis<|message|>a<|end|>assistant<|channel|>final<|message|>b<|return|>'],
    ['without the role', '<|channel|>analysis<|message|>a<|end|><|channel|>final<|message|>b<|return|>'],
    ['without <|end|> either', '<|channel|>analysis<|message|>a<|channel|>final<|message|>b<|return|>'],
  ])('between messages, %s', (_, text) => {
    const { messages, codes } = parse(text);
    expect(messages).toEqual([
      { role: 'assistant', channel: 'analysis', content: 'a' },
      { role: 'assistant', channel: 'final', content: 'b' },
    ]);
    expect(codes.length).toBe(1);
    expect(['missing-start', 'missing-end']).toContain(codes[0]);
  });

  it('<|start|> inside content ends the message', () => {
    const { messages, codes } = parse('<|channel|>analysis<|message|>a<|start|>user<|message|>b<|end|>');
    expect(messages).toEqual([{ role: 'assistant', channel: 'analysis', content: 'a' }, { role: 'user', content: 'b' }]);
    expect(codes).toEqual(['missing-end']);
  });

  it('whitespace between messages is ignored silently', () => {
    expect(parse('<|channel|>final<|message|>a<|end|>\n\n<|start|>assistant<|channel|>final<|message|>b<|end|>\n').codes).toEqual([]);
  });
});

describe('odd headers and stray tokens', () => {
  it.each<[string, string, object, ParseWarningCode[]]>([
    ['an unknown channel', '<|channel|>thoughts<|message|>x<|end|>', { role: 'assistant', channel: 'thoughts', content: 'x' }, ['unknown-channel']],
    ['a function call on analysis', '<|channel|>analysis to=functions.f <|constrain|>json<|message|>{}<|call|>',
      { role: 'assistant', channel: 'analysis', recipient: 'functions.f', content_type: '<|constrain|>json', content: '{}' }, ['function-call-on-analysis']],
    ['a builtin call on analysis (normal)', '<|channel|>analysis to=browser.search code<|message|>{}<|call|>',
      { role: 'assistant', channel: 'analysis', recipient: 'browser.search', content_type: 'code', content: '{}' }, []],
    ['leftover header words (no recipient is invented)', '<|channel|>final some junk here<|message|>x<|end|>',
      { role: 'assistant', channel: 'final', content: 'x' }, ['header-leftover']],
    ['leftover header words with an explicit recipient', '<|channel|>commentary junk to=functions.f json<|message|>{}<|call|>',
      { role: 'assistant', channel: 'commentary', recipient: 'functions.f', content_type: 'json', content: '{}' }, ['header-leftover']],
    ['an empty channel', '<|channel|><|message|>x<|end|>', { role: 'assistant', content: 'x' }, ['empty-channel']],
    ['two channels', '<|channel|>analysis<|channel|>final<|message|>x<|end|>', { role: 'assistant', channel: 'analysis', content: 'x' }, ['duplicate-channel']],
    ['<|message|> in content', '<|channel|>final<|message|>a<|message|>b<|end|>', { role: 'assistant', channel: 'final', content: 'ab' }, ['stray-token']],
    ['<|constrain|> and reserved ids in content', '<|channel|>final<|message|>a<|constrain|><|reserved_200500|>b<|end|>',
      { role: 'assistant', channel: 'final', content: 'ab' }, ['stray-token', 'stray-token']],
    ['a reserved id in a header', '<|channel|>final<|reserved_200013|><|message|>x<|end|>', { role: 'assistant', channel: 'final', content: 'x' }, ['stray-token']],
  ])('%s', (_, text, expected, expectedCodes) => {
    const { messages, codes } = parse(text);
    expect(messages).toEqual([expected]);
    expect(codes).toEqual(expectedCodes);
  });

  it('stray stop tokens and specials between messages are dropped', () => {
    const { messages, codes } = parse('<|start|>user<|message|>a<|end|><|end|><|endoftext|><|start|>user<|message|>b<|end|>', null);
    expect(messages.map((m) => m.content)).toEqual(['a', 'b']);
    expect(codes).toEqual(['stray-token', 'stray-token']);
  });

  it('an empty header (<|start|><|message|>) assumes the previous role', () => {
    const { messages, codes } = parse('<|start|>user<|message|>a<|end|><|start|><|message|>b<|end|>', null);
    expect(messages).toEqual([{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }]);
    expect(codes).toEqual(['missing-role']);
  });

  it('a repeated <|start|> restarts the header', () => {
    expect(parse('<|start|><|start|>user<|message|>a<|end|>', null)).toEqual({ messages: [{ role: 'user', content: 'a' }], codes: [] });
  });
});
