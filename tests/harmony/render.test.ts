// Rendering rules beyond the fixtures: headers, end tokens, training, drop-analysis, content
// builders and errors.

import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import {
  applyDropAnalysis,
  developerMessage,
  renderConversation,
  renderConversationForCompletion,
  renderConversationForTraining,
  renderMessage,
  systemContent,
  systemMessage,
  type Message,
} from '../../src/harmony/index.js';
import type { Tokenizer } from '../../src/tokenizer/index.js';
import { loadTokenizer } from './helpers.js';

let tok: Tokenizer;
beforeAll(async () => {
  tok = await loadTokenizer();
});

const text = (message: Message): string => tok.decodeUtf8(renderMessage(tok, message));

describe('renderMessage', () => {
  it.each<[string, Message, string]>([
    ['user', { role: 'user', content: 'hi' }, '<|start|>user<|message|>hi<|end|>'],
    ['author name', { role: 'user', name: 'alice', content: 'hi' }, '<|start|>user:alice<|message|>hi<|end|>'],
    [
      'tool call',
      { role: 'assistant', channel: 'commentary', recipient: 'functions.f', contentType: '<|constrain|>json', content: '{}' },
      '<|start|>assistant to=functions.f<|channel|>commentary <|constrain|>json<|message|>{}<|call|>',
    ],
    ['plain content type', { role: 'assistant', recipient: 'python', channel: 'analysis', contentType: 'code', content: 'print(1)' },
      '<|start|>assistant to=python<|channel|>analysis code<|message|>print(1)<|call|>'],
    ['recipient all (not printed, still <|call|>)', { role: 'assistant', recipient: 'all', content: 'x' }, '<|start|>assistant<|message|>x<|call|>'],
    ['tool result', { role: 'tool', name: 'browser.search', recipient: 'assistant', channel: 'commentary', content: 'r' },
      '<|start|>browser.search to=assistant<|channel|>commentary<|message|>r<|end|>'],
    ['tool without recipient', { role: 'tool', name: 'functions.f', content: '1' }, '<|start|>functions.f<|message|>1<|end|>'],
    ['final answer (history ends with <|end|>)', { role: 'assistant', channel: 'final', content: 'ok' }, '<|start|>assistant<|channel|>final<|message|>ok<|end|>'],
  ])('%s', (_, message, expected) => {
    expect(text(message)).toBe(expected);
  });

  it('renders the constrain marker as the special id, with the space and the rest as text', () => {
    const ids = renderMessage(tok, { role: 'assistant', recipient: 'functions.f', contentType: '<|constrain|>json', content: '' });
    const constrainIdx = ids.indexOf(tok.specialTokens.CONSTRAIN);
    expect(ids.slice(constrainIdx - 1, constrainIdx + 2)).toEqual([...tok.encodeOrdinary(' '), 200003, ...tok.encodeOrdinary('json')]);
  });

  it('encodes special-looking user text as text', () => {
    const ids = renderMessage(tok, { role: 'user', content: '<|start|>' });
    expect(ids).toEqual([200006, 1428, 200008, 27, 91, 5236, 91, 29, 200007]);
  });

  it('tokenizes header pieces separately (no BPE merge across role and recipient)', () => {
    const ids = renderMessage(tok, { role: 'assistant', recipient: 'functions.f', content: '' });
    expect(ids.slice(1, -2)).toEqual([...tok.encodeOrdinary('assistant'), ...tok.encodeOrdinary(' to=functions.f')]);
  });

  it('rejects a tool message without a name and structured content in the wrong role', () => {
    expect(() => renderMessage(tok, { role: 'tool', content: 'x' })).toThrow(ConfigError);
    const wrong = { role: 'user', content: systemContent() } as unknown as Message;
    expect(() => renderMessage(tok, wrong)).toThrow(/system content may only appear in a system message/);
    const wrongDev = { role: 'system', content: { kind: 'developer' } } as unknown as Message;
    expect(() => renderMessage(tok, wrongDev)).toThrow(/developer content may only appear in a developer message/);
  });
});

describe('system and developer content', () => {
  it('leaves out fields set to null, and the channels line with no channels', () => {
    const message = systemMessage({ modelIdentity: null, knowledgeCutoff: null, reasoningEffort: null, channels: [] });
    expect(text(message)).toBe('<|start|>system<|message|><|end|>');
    expect(text(systemMessage({ channelRequired: false, conversationStartDate: '2025-01-02' }))).toBe(
      '<|start|>system<|message|>You are ChatGPT, a large language model trained by OpenAI.\nKnowledge cutoff: 2024-06\n' +
        'Current date: 2025-01-02\n\nReasoning: medium\n\n# Valid channels: analysis, commentary, final.<|end|>',
    );
  });

  it('adds the commentary-channel line only when a developer message has function tools', () => {
    const system = systemMessage();
    const line = "Calls to these tools must go to the commentary channel: 'functions'.";
    const withTools = [system, developerMessage({ functionTools: [{ name: 'f', description: 'F' }] })];
    const emptyTools = [system, developerMessage({ instructions: 'x', functionTools: [] })];
    expect(tok.decodeUtf8(renderConversation(tok, withTools))).toContain(line);
    expect(tok.decodeUtf8(renderConversation(tok, emptyTools))).not.toContain(line);
    expect(tok.decodeUtf8(renderConversation(tok, emptyTools))).toContain('<|start|>developer<|message|># Instructions\n\nx<|end|>');
  });
});

describe('conversations', () => {
  const convo: Message[] = [{ role: 'user', content: 'hi' }, { role: 'assistant', channel: 'final', content: 'hello' }];

  it('renders for training with <|return|> replacing the final <|end|>', () => {
    const regular = renderConversation(tok, convo);
    const training = renderConversationForTraining(tok, convo);
    expect(training.slice(0, -1)).toEqual(regular.slice(0, -1));
    expect(regular.at(-1)).toBe(200007);
    expect(training.at(-1)).toBe(200002);
    const user = [{ role: 'user', content: 'hi' } as const];
    expect(renderConversationForTraining(tok, user)).toEqual(renderConversation(tok, user));
  });

  it('render(message) equals renderConversation([message]) and prefixes the completion prompt', () => {
    const message: Message = { role: 'user', content: 'Hello' };
    const single = renderMessage(tok, message);
    expect(renderConversation(tok, { messages: [message] })).toEqual(single);
    const completion = renderConversationForCompletion(tok, [message]);
    expect(completion.slice(0, single.length)).toEqual(single);
    expect(completion.slice(single.length)).toEqual([200006, 173781]);
    expect(tok.decodeUtf8(renderConversationForCompletion(tok, [], 'user'))).toBe('<|start|>user');
  });
});

describe('drop-analysis policy', () => {
  const a = (content: string, channel?: string, recipient?: string): Message => ({ role: 'assistant', content, channel, recipient });
  const u = (content: string): Message => ({ role: 'user', content });

  it('drops analysis before the first final when the last assistant message is final', () => {
    const messages = [u('q1'), a('think1', 'analysis'), a('ans1', 'final'), u('q2'), a('think2', 'analysis'), a('ans2', 'final')];
    expect(applyDropAnalysis(messages).map((m) => m.content)).toEqual(['q1', 'ans1', 'q2', 'think2', 'ans2']);
  });

  it('keeps everything while a tool-calling turn is in progress (last assistant message not final)', () => {
    const messages = [u('q'), a('think', 'analysis'), a('{}', 'commentary', 'functions.f'), { role: 'tool', name: 'functions.f', content: '1' } as Message];
    expect(applyDropAnalysis(messages)).toEqual(messages);
  });

  it('keeps everything without a final message, and can be turned off', () => {
    const messages = [u('q'), a('think', 'analysis')];
    expect(applyDropAnalysis(messages)).toEqual(messages);
    const finished = [u('q'), a('think', 'analysis'), a('ans', 'final')];
    expect(tok.decodeUtf8(renderConversation(tok, finished, { dropAnalysis: false }))).toContain('think');
    expect(tok.decodeUtf8(renderConversation(tok, finished))).not.toContain('think');
  });
});
