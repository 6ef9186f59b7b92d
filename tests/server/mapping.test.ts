// Pure parts of the server: OpenAI ↔ Harmony mapping (and its round trip through the client's
// body builder), stop strings at every split point, the FIFO queue.

import { describe, expect, it } from 'vitest';
import { openAIChatBodyOf } from '../../src/client/http-wire.js';
import type { ChatRequest } from '../../src/client/types.js';
import type { TextMessage } from '../../src/harmony/types.js';
import { MemoryLogger } from '../../src/server/log.js';
import { DEFAULT_SERVER_DEFAULTS } from '../../src/server/map-common.js';
import { harmonyMessagesOfOpenAI, mapChatCompletions, type ChatCompletionsBody } from '../../src/server/map-openai.js';
import { GpuQueue } from '../../src/server/queue.js';
import { StopMatcher } from '../../src/server/stop-strings.js';
import { ValidationStage } from '../../src/server/validation.js';

const CTX = { modelId: 'm', defaults: DEFAULT_SERVER_DEFAULTS, validation: new ValidationStage() };
const call = (name: string, args: string): TextMessage => ({ role: 'assistant', channel: 'commentary', recipient: `functions.${name}`, contentType: '<|constrain|>json', content: args });
const result = (name: string, output: string): TextMessage => ({ role: 'tool', name: `functions.${name}`, recipient: 'assistant', channel: 'commentary', content: output });

describe('OpenAI messages → Harmony', () => {
  it('system and developer become instructions; reasoning, preambles, calls and results map to their channels', () => {
    const { instructions, messages } = harmonyMessagesOfOpenAI([
      { role: 'system', content: 'Be brief.' },
      { role: 'developer', content: [{ type: 'text', text: 'Use tools.' }] },
      { role: 'user', content: 'Weather?' },
      { role: 'assistant', content: 'Let me check.', reasoning_content: 'Need a tool.', tool_calls: [{ id: 'c1', function: { name: 'w', arguments: '{"a":1}' } }, { id: 'c2', function: { name: 'v', arguments: { b: 2 } } }] },
      { role: 'tool', tool_call_id: 'c2', content: 'B' },
      { role: 'tool', tool_call_id: 'c1', content: 'A' },
      { role: 'assistant', content: 'Done.' },
    ]);
    expect(instructions).toEqual(['Be brief.', 'Use tools.']);
    expect(messages).toEqual([
      { role: 'user', content: 'Weather?' },
      { role: 'assistant', channel: 'analysis', content: 'Need a tool.' },
      { role: 'assistant', channel: 'commentary', content: 'Let me check.' },
      call('w', '{"a":1}'),
      call('v', '{"b":2}'),
      result('v', 'B'),
      result('w', 'A'),
      { role: 'assistant', channel: 'final', content: 'Done.' },
    ]);
  });

  it('drops the reasoning of finished turns, keeps the current turn\'s', () => {
    const { messages } = harmonyMessagesOfOpenAI([
      { role: 'user', content: 'One' },
      { role: 'assistant', reasoning_content: 'old thoughts', content: 'A1' },
      { role: 'user', content: 'Two' },
      { role: 'assistant', reasoning: 'current thoughts', tool_calls: [{ id: 'x', function: { name: 'f', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'x', content: '1' },
    ]);
    expect(messages.map((m) => m.content)).toEqual(['One', 'A1', 'Two', 'current thoughts', '{}', '1']);
  });

  it('the client\'s standard body maps back to the same Harmony request (round trip)', () => {
    const request: ChatRequest = {
      system: { reasoningEffort: 'high' },
      developer: { instructions: 'Be brief.', tools: [{ name: 'f', description: 'does f', parameters: { type: 'object' } }] },
      messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', channel: 'analysis', content: 'hmm' }, call('f', '{"x":1}'), result('f', 'ok')],
      params: { maxTokens: 33, temperature: 0.3, topP: 0.9, topK: 40, minP: 0.05, seed: 4, presencePenalty: 0.5, frequencyPenalty: 0.25, repetitionPenalty: 1.1, logitBias: { '17': -5 } },
    };
    const mapped = mapChatCompletions(openAIChatBodyOf(request, 'm', false) as unknown as ChatCompletionsBody, CTX);
    expect(mapped.request.system).toEqual(request.system);
    expect(mapped.request.developer).toEqual(request.developer);
    expect(mapped.request.messages).toEqual(request.messages);
    expect(mapped.request.params).toMatchObject(request.params);
  });

  it('with the wgh extension the exact request passes through (continuation, identity, engine params)', () => {
    const request: ChatRequest = {
      system: { reasoningEffort: 'low', modelIdentity: 'You are a test.', conversationStartDate: '2026-01-01' },
      messages: [{ role: 'user', content: 'Hi' }],
      params: { maxTokens: 8, loopDetection: 'full', penaltyWindow: 32, seed: 1 },
      continuation: { text: '<|channel|>final<|message|>Hel', tokenIds: [200005, 17196, 200008, 13225] },
    };
    const mapped = mapChatCompletions(openAIChatBodyOf(request, 'm', true) as unknown as ChatCompletionsBody, CTX);
    expect(mapped.request).toEqual({ ...request, developer: undefined, params: request.params });
    expect(mapped.details).toBe(true);
  });

  it('tool_choice: none hides the tools, a name prefills the call, an unknown name is a 400', () => {
    const base = { model: 'm', messages: [{ role: 'user' as const, content: 'x' }], tools: [{ function: { name: 'f' } }] };
    expect(mapChatCompletions({ ...base, tool_choice: 'none' }, CTX).request.developer?.tools).toBeUndefined();
    expect(mapChatCompletions({ ...base, tool_choice: { function: { name: 'f' } } }, CTX).request.continuation?.text).toBe('<|channel|>commentary to=functions.f <|constrain|>json<|message|>');
    expect(() => mapChatCompletions({ ...base, tool_choice: { function: { name: 'g' } } }, CTX)).toThrow(/not in 'tools'/);
    expect(mapChatCompletions({ ...base, reasoning_effort: 'minimal' }, CTX).request.system.reasoningEffort).toBe('low');
  });
});

describe('StopMatcher', () => {
  it('finds a stop string split across deltas at every point and never sends part of it', () => {
    const text = 'Hello wor<END>ld';
    for (let a = 0; a <= text.length; a++) {
      for (let b = a; b <= text.length; b++) {
        const m = new StopMatcher(['<END>', 'zzz']);
        let sent = '';
        let stopped = false;
        for (const piece of [text.slice(0, a), text.slice(a, b), text.slice(b)]) {
          if (stopped) break;
          const out = m.push(piece);
          sent += out.emit;
          stopped = out.stopped;
        }
        expect([sent, stopped]).toEqual(['Hello wor', true]);
      }
    }
  });

  it('releases held-back text when no stop string came', () => {
    const m = new StopMatcher(['END']);
    expect(m.push('the EN').emit).toBe('the ');
    expect(m.flush()).toBe('EN');
  });
});

describe('GpuQueue', () => {
  it('serves in FIFO order, one at a time', async () => {
    const queue = new GpuQueue(4, new MemoryLogger());
    const order: number[] = [];
    const first = await queue.acquire(1);
    const waiting = [2, 3, 4].map((id) => queue.acquire(id).then((slot) => (order.push(id), slot.release())));
    expect(queue.waiting).toBe(3);
    first.release();
    await Promise.all(waiting);
    expect(order).toEqual([2, 3, 4]);
    expect(queue.running).toBeNull();
  });
});
