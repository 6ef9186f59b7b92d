// StreamableParser: header variants, UTF-8 handling (openai/harmony's parser tests), events and the
// accessors while streaming, strict mode.

import { beforeAll, describe, expect, it } from 'vitest';
import { HarmonyParseError } from '../../src/errors.js';
import {
  StreamableParser,
  messageToJson,
  parseCompletion,
  parseMessagesFromCompletionTokens,
  renderConversation,
  type ParserEvent,
} from '../../src/harmony/index.js';
import type { Tokenizer } from '../../src/tokenizer/index.js';
import { loadTokenizer } from './helpers.js';

let tok: Tokenizer;
beforeAll(async () => {
  tok = await loadTokenizer();
});

const enc = (text: string): number[] => tok.encodeWithSpecials(text);
const parse = (text: string, role: 'assistant' | null = null) => parseCompletion(tok, enc(text), { role });

describe('header variants', () => {
  const weather = { role: 'assistant', channel: 'commentary', recipient: 'functions.get_weather', content_type: '<|constrain|>json' };

  it('recipient before the channel, spaced <|constrain|>: parses, and re-renders to the same tokens', () => {
    const text = '<|start|>assistant to=functions.get_weather<|channel|>commentary <|constrain|>json<|message|>{"location": "Tokyo"}<|call|>';
    const { messages, warnings } = parse(text);
    expect(messages.map(messageToJson)).toEqual([{ ...weather, content: '{"location": "Tokyo"}' }]);
    expect(warnings).toEqual([]);
    expect(renderConversation(tok, messages)).toEqual(enc(text));
    expect(tok.decodeUtf8(enc(text))).toBe(text);
  });

  it('glued <|constrain|> after the channel', () => {
    const text = '<|start|>assistant to=functions.get_weather<|channel|>commentary<|constrain|>json<|message|>{"location": "Tokyo"}<|end|>';
    expect(parse(text).messages.map(messageToJson)).toEqual([{ ...weather, content: '{"location": "Tokyo"}' }]);
  });

  it('recipient after the channel, glued <|constrain|>', () => {
    const text = '<|start|>assistant<|channel|>commentary to=functions.get_weather<|constrain|>json<|message|>{"latitude":48.8566,"longitude":2.3522}<|call|>';
    expect(parse(text).messages.map(messageToJson)).toEqual([{ ...weather, content: '{"latitude":48.8566,"longitude":2.3522}' }]);
  });

  it('role given up front (the prompt ended with <|start|>assistant)', () => {
    const text = '<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{}<|call|>';
    expect(parse(text, 'assistant').messages.map(messageToJson)).toEqual([{ ...weather, content: '{}' }]);
  });

  it('author names, tool authors, a channel without recipient', () => {
    const text =
      '<|start|>user:alice<|message|>hi<|end|><|start|>functions.f<|message|>1<|end|>' +
      '<|start|>python to=assistant<|channel|>analysis<|message|>2<|end|><|start|>developer<|message|>d<|end|>';
    expect(parse(text).messages.map(messageToJson)).toEqual([
      { role: 'user', name: 'alice', content: 'hi' },
      { role: 'tool', name: 'functions.f', content: '1' },
      { role: 'tool', name: 'python', channel: 'analysis', recipient: 'assistant', content: '2' },
      { role: 'developer', content: 'd' },
    ]);
  });

  it('ordinary text that looks like a marker is not a marker', () => {
    const messages = [{ role: 'assistant', recipient: 'x<|channel|>y', content: 'c' } as const];
    expect(parse(tok.decodeUtf8(renderConversation(tok, messages))).messages.length).toBe(1);
    const ids = renderConversation(tok, messages);
    expect(parseCompletion(tok, ids, { role: null }).messages).toEqual(messages);
  });
});

describe('UTF-8 in content', () => {
  const prefix = (): number[] => enc('<|start|>assistant<|message|>');

  it('invalid sequences become U+FFFD (" \\uFFFD \\uFFFDworked")', () => {
    const ids = [...prefix(), 9552, 9552, ...enc('worked<|end|>')];
    expect(parseCompletion(tok, ids, { role: null }).messages).toEqual([{ role: 'assistant', content: ' \uFFFD \uFFFDworked' }]);
  });

  it.each([
    ['XY', ' \uFFFDXY'],
    [' interesting', ' \uFFFD interesting'],
  ])('an unfinished character before %j', (after, expected) => {
    const ids = [...prefix(), 9552, ...tok.encodeOrdinary(after), ...enc('<|end|>')];
    expect(parseCompletion(tok, ids, { role: null }).messages).toEqual([{ role: 'assistant', content: expected }]);
  });

  it('without EOS: current content and deltas add up, and streaming goes on', () => {
    const parser = new StreamableParser(tok, { role: null });
    const deltas: string[] = [];
    for (const id of [...prefix(), 9552, ...tok.encodeOrdinary(' interesting'), ...tok.encodeOrdinary(' story')]) {
      parser.process(id);
      if (parser.lastContentDelta !== null) deltas.push(parser.lastContentDelta);
    }
    expect(parser.currentContent).toBe(' \uFFFD interesting story');
    expect(deltas.join('')).toBe(' \uFFFD interesting story');
    parser.process(tok.encodeOrdinary('Y')[0] as number);
    expect(parser.lastContentDelta).toBe('Y');
    expect(parser.currentContent).toBe(' \uFFFD interesting storyY');
  });

  it('waits for the second token of a multi-token emoji', () => {
    const parser = new StreamableParser(tok, { role: null });
    parser.processTokens(prefix());
    const [first, second] = tok.encodeOrdinary('💖') as [number, number];
    parser.process(first);
    expect(parser.lastContentDelta).toBeNull();
    expect(parser.currentContent).toBe('');
    parser.process(second);
    expect(parser.lastContentDelta).toBe('💖');
    expect(parser.currentContent).toBe('💖');
    parser.processTokens(enc('<|end|>'));
    expect(parser.messages).toEqual([{ role: 'assistant', content: '💖' }]);
  });

  it('tricky text streams whole, and the deltas join to it', () => {
    const tricky = 'Hello Müller, Γειά σου, Привет, שלום, مرحبا, नमस्ते, こんにちは, 안녕하세요, 你好. naïve vs naïve. 😊👋🏾👨‍👩‍👧‍👦🇺🇸.';
    const parser = new StreamableParser(tok, { role: null });
    const events = parser.processTokens([...prefix(), ...tok.encodeOrdinary(tricky), ...enc('<|end|>')]);
    const deltas = events.flatMap((event) => (event.type === 'content-delta' ? [event.delta] : []));
    expect(deltas.join('')).toBe(tricky);
    expect(parser.messages).toEqual([{ role: 'assistant', content: tricky }]);
  });

  it('an unfinished character does not leak into the next message; EOS flushes it', () => {
    const ids = [...prefix(), 9552, 9552, ...enc('<|end|><|start|>assistant<|message|>Hi<|end|>')];
    expect(parseCompletion(tok, ids, { role: null }).messages[1]).toEqual({ role: 'assistant', content: 'Hi' });
    const eos = parseCompletion(tok, [...prefix(), 9552, ...tok.encodeOrdinary('Hi')], { role: null });
    expect(eos.messages).toEqual([{ role: 'assistant', content: ' \uFFFDHi' }]);
  });

  it('an id that decodes to nothing becomes U+FFFD, with a warning', () => {
    const ids = [...enc('<|start|>assistant<|channel|>analysis<|message|>Practice invalid token handling.'), 4294967295];
    const result = parseCompletion(tok, ids, { role: null });
    expect(result.messages).toEqual([{ role: 'assistant', channel: 'analysis', content: 'Practice invalid token handling.\uFFFD' }]);
    expect(result.warnings.map((w) => w.code)).toEqual(['invalid-token']);
  });
});

describe('events and accessors', () => {
  it('emits start, deltas and end per message, with the end token', () => {
    const parser = new StreamableParser(tok);
    const events = parser.processTokens(enc('<|channel|>analysis<|message|>a b<|end|><|start|>assistant<|channel|>final<|message|>ok<|return|>'));
    const summary = events.map((event: ParserEvent) =>
      event.type === 'message-start' ? `start ${event.header.channel}` :
      event.type === 'content-delta' ? `delta ${event.header.channel}` :
      event.type === 'message-end' ? `end ${event.message.channel} ${event.endToken}` : event.type);
    expect(summary.filter((s) => !s.startsWith('delta'))).toEqual(['start analysis', 'end analysis end', 'start final', 'end final return']);
    expect(summary).toContain('delta final');
    expect(parser.processEOS()).toEqual([]);
  });

  it('exposes the current header while streaming (harmony docs example)', () => {
    const ids = [200005, 35644, 200008, 1844, 31064, 25, 200007, 200006, 173781, 200005, 17196, 200008, 17, 659];
    const parser = new StreamableParser(tok, { role: 'assistant' });
    expect(parser.stateName).toBe('header');
    expect(parser.currentRole).toBe('assistant');
    parser.processTokens(ids.slice(0, 3));
    expect(parser.stateName).toBe('content');
    expect(parser.currentChannel).toBe('analysis');
    expect(parser.currentRecipient).toBeUndefined();
    expect(parser.currentContentType).toBeUndefined();
    parser.processTokens(ids.slice(3, 7));
    expect(parser.stateName).toBe('expect-start');
    expect(parser.currentRole).toBeNull();
    expect(parser.messages).toHaveLength(1);
    parser.processTokens(ids.slice(7));
    expect(parser.currentHeader).toEqual({ role: 'assistant', channel: 'final' });
    expect(parser.currentContent).toBe('2 +');
    expect(parser.tokens).toEqual(ids);
    parser.processEOS();
    expect(parser.messages.at(-1)).toEqual({ role: 'assistant', channel: 'final', content: '2 +' });
  });

  it('can be fed again after EOS', () => {
    const parser = new StreamableParser(tok, { role: null });
    parser.processTokens(enc('<|start|>user<|message|>a'));
    parser.processEOS();
    parser.processTokens(enc('<|start|>user<|message|>b<|end|>'));
    expect(parser.messages.map((m) => m.content)).toEqual(['a', 'b']);
  });

  it('parseMessagesFromCompletionTokens defaults to role assistant', () => {
    expect(parseMessagesFromCompletionTokens(tok, enc('<|channel|>final<|message|>x'))).toEqual([
      { role: 'assistant', channel: 'final', content: 'x' },
    ]);
  });
});

describe('strict mode', () => {
  it('throws HarmonyParseError at the first problem', () => {
    const text = 'I must refuse<|end|><|start|>assistant<|channel|>final<|message|>No.<|return|>';
    const parser = new StreamableParser(tok, { role: 'assistant', strict: true });
    expect(() => parser.processTokens(enc(text))).toThrow(HarmonyParseError);
    expect(() => parseCompletion(tok, enc(text), { role: 'assistant', strict: true })).toThrow(
      /unexpected tokens remaining in message header/,
    );
  });

  it('accepts well-formed output', () => {
    const text = '<|channel|>analysis<|message|>a<|end|><|start|>assistant<|channel|>final<|message|>b<|return|>';
    expect(parseCompletion(tok, enc(text), { role: 'assistant', strict: true }).messages).toHaveLength(2);
  });
});
