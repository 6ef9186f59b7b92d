// The context budget with the real tokenizer: system/developer kept, oldest turns dropped first,
// the limit and margin respected, messages never cut, earlier analysis dropped.
import { beforeAll, describe, expect, it } from 'vitest';
import { createTokenCounter, fitContext, splitTurns, type TokenCounter } from '../../src/chat/budget.js';
import { harmonyMessagesOf } from '../../src/client/types.js';
import { renderChatPrompt } from '../../src/client/local.js';
import { ChatError } from '../../src/errors.js';
import { HarmonyEncoding } from '../../src/harmony/encoding.js';
import type { TextMessage } from '../../src/harmony/types.js';

let enc: HarmonyEncoding;
let count: TokenCounter;
beforeAll(async () => {
  enc = await HarmonyEncoding.load();
  count = createTokenCounter(enc.tokenizer, false);
});

const SYSTEM = { reasoningEffort: 'low' as const, modelIdentity: 'You are a test model.' };
const DEVELOPER = { instructions: 'Always answer in one sentence. '.repeat(5) };
const PARAMS = { maxTokens: 100 };

function conversation(numTurns: number): TextMessage[] {
  const out: TextMessage[] = [];
  for (let turnIdx = 0; turnIdx < numTurns; turnIdx++) {
    out.push({ role: 'user', content: `Question ${turnIdx}: ${'tell me about the sea and the sky. '.repeat(4)}` });
    out.push({ role: 'assistant', channel: 'analysis', content: `Thinking about question ${turnIdx}. `.repeat(3) });
    out.push({ role: 'assistant', channel: 'final', content: `Answer ${turnIdx}: ${'the sea is blue and so is the sky. '.repeat(3)}` });
  }
  out.push({ role: 'user', content: 'And the final question?' });
  return out;
}

const fixed = harmonyMessagesOf({ system: SYSTEM, developer: DEVELOPER, messages: [], params: PARAMS });

describe('fitContext', () => {
  it('keeps everything that fits, dropping only the analysis of earlier turns', () => {
    const conv = conversation(3);
    const r = fitContext(fixed, conv, count, { maxContextTokens: 100_000, marginTokens: 64, reserveTokens: 100, maxHistoryTurns: 0, tailTokens: 2 });
    expect(r.droppedTurns).toBe(0);
    expect(r.messages).toEqual(conv.filter((m) => m.channel !== 'analysis'));
    const prompt = renderChatPrompt(enc, { system: SYSTEM, developer: DEVELOPER, messages: r.messages, params: PARAMS });
    expect(r.promptTokens).toBe(prompt.length);
  });

  it('a conversation longer than maxContextTokens: oldest turns go first, whole, and the prompt stays under limit − margin − reply', () => {
    const conv = conversation(20);
    const opts = { maxContextTokens: 1200, marginTokens: 64, reserveTokens: 100, maxHistoryTurns: 0, tailTokens: 2 };
    const r = fitContext(fixed, conv, count, opts);
    const prompt = renderChatPrompt(enc, { system: SYSTEM, developer: DEVELOPER, messages: r.messages, params: PARAMS });
    expect(r.droppedTurns).toBeGreaterThan(0);
    expect(prompt.length).toBe(r.promptTokens);
    expect(prompt.length).toBeLessThanOrEqual(1200 - 64 - 100);
    // The kept messages are a suffix of whole turns of the original (no message cut or changed).
    const keptTurns = splitTurns(r.messages);
    const originalTurns = splitTurns(conv).map((t) => t.filter((m) => m.channel !== 'analysis'));
    expect(keptTurns).toEqual(originalTurns.slice(originalTurns.length - keptTurns.length));
    for (const m of r.messages) expect(conv).toContain(m);
    expect(r.messages[r.messages.length - 1]).toEqual({ role: 'user', content: 'And the final question?' });
    // System and developer messages are in the prompt: its text starts with them.
    const text = enc.decode(prompt);
    expect(text.startsWith('<|start|>system<|message|>You are a test model.')).toBe(true);
    expect(text).toContain('<|start|>developer<|message|># Instructions');
    // One more turn would not have fit.
    const next = splitTurns(conv.filter((m) => m.channel !== 'analysis'))[20 - keptTurns.length];
    expect(r.promptTokens + next.reduce((s, m) => s + count(m), 0)).toBeGreaterThan(r.limit);
  });

  it('maxHistoryTurns caps the kept earlier turns', () => {
    const r = fitContext(fixed, conversation(6), count, { maxContextTokens: 100_000, marginTokens: 0, reserveTokens: 0, maxHistoryTurns: 2, tailTokens: 2 });
    expect(splitTurns(r.messages)).toHaveLength(3);
    expect(r.droppedTurns).toBe(4);
  });

  it('the current turn keeps its analysis (a tool-calling turn in progress)', () => {
    const conv: TextMessage[] = [
      ...conversation(1),
      { role: 'assistant', channel: 'analysis', content: 'Need the calculator.' },
      { role: 'assistant', channel: 'commentary', recipient: 'functions.calc', contentType: '<|constrain|>json', content: '{}' },
      { role: 'tool', name: 'functions.calc', recipient: 'assistant', channel: 'commentary', content: '42' },
    ];
    const r = fitContext(fixed, conv, count, { maxContextTokens: 100_000, marginTokens: 0, reserveTokens: 0, maxHistoryTurns: 0, tailTokens: 2 });
    expect(r.messages.slice(-4).map((m) => m.channel)).toEqual([undefined, 'analysis', 'commentary', 'commentary']);
  });

  it('when even the fixed messages and the current turn do not fit: a ChatError that names the numbers', () => {
    expect(() => fitContext(fixed, conversation(0), count, { maxContextTokens: 120, marginTokens: 10, reserveTokens: 50, maxHistoryTurns: 0, tailTokens: 2 })).toThrowError(
      ChatError,
    );
    expect(() => fitContext(fixed, conversation(0), count, { maxContextTokens: 120, marginTokens: 10, reserveTokens: 50, maxHistoryTurns: 0, tailTokens: 2 })).toThrowError(
      /maxContextTokens 120 − margin 10 − maxTokens 50 = 60/,
    );
  });
});
