// The in-process GenerationClient over a fake TokenGenerator (scripted ids, real tokenizer and
// parser): the prompt it renders, the stop tokens, the event stream, the result, continuation.
import { beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_STOP_TOKENS, LocalClient, renderChatPrompt } from '../../src/client/local.js';
import type { ChatRequest, ClientEvent } from '../../src/client/types.js';
import { ShapeError } from '../../src/errors.js';
import type { GenerateOptions, GenerateParams, Generation, GenerationMetrics, TokenGenerator } from '../../src/generate/types.js';
import { HarmonyEncoding } from '../../src/harmony/encoding.js';

let enc: HarmonyEncoding;
beforeAll(async () => {
  enc = await HarmonyEncoding.load();
});

class FakeGenerator implements TokenGenerator {
  readonly vocabSize = 201088;
  readonly calls: { prompt: readonly number[]; params: GenerateParams; signal?: AbortSignal }[] = [];
  constructor(private readonly ids: () => readonly number[]) {}
  generate(prompt: readonly number[], params: GenerateParams, opts: GenerateOptions = {}): Generation {
    this.calls.push({ prompt, params, ...(opts.signal !== undefined ? { signal: opts.signal } : {}) });
    if (prompt.length === 0) throw new ShapeError('empty');
    const ids = this.ids().slice(0, params.maxTokens);
    const last = ids[ids.length - 1];
    const stopped = params.stopTokens?.includes(last) === true;
    const metrics = {
      promptTokens: prompt.length, cachedTokens: 3, completionTokens: ids.length, prefillSeconds: 0, ttftSeconds: 0, decodeSeconds: 0, decodeTokensPerSecond: 0,
      kvLength: 0, maxKvSize: 0, loopDetection: 'cheap', finishReason: stopped ? 'stop' : 'length', stopReason: 'x', prefixAction: 'extend', seed: 0, queueSeconds: 0,
    } satisfies GenerationMetrics;
    return {
      result: Promise.resolve({ tokens: ids, finishReason: metrics.finishReason, stopReason: stopped ? { kind: 'stop_token', id: last } : { kind: 'max_tokens' }, metrics }),
      [Symbol.asyncIterator]: async function* () {
        for (const [index, id] of ids.entries()) yield { index, id, timeMs: index };
      },
    };
  }
}

const REQUEST: ChatRequest = {
  system: { reasoningEffort: 'low' },
  developer: { instructions: 'Be brief.', tools: [{ name: 'calc', description: 'math' }] },
  messages: [{ role: 'user', content: 'What is 6 × 7?' }],
  params: { maxTokens: 100, temperature: 0, seed: 3 },
};

async function collect(client: LocalClient, request: ChatRequest) {
  const stream = client.chat(request);
  const events: ClientEvent[] = [];
  for await (const ev of stream) events.push(ev);
  return { events, result: await stream.result };
}

describe('LocalClient', () => {
  it('renders the Harmony prompt, stops on <|return|> / <|call|>, streams channel deltas and tool calls', async () => {
    const completion = enc.tokenizer.encodeWithSpecials(
      '<|channel|>analysis<|message|>Multiply.<|end|><|start|>assistant to=functions.calc<|channel|>commentary <|constrain|>json<|message|>{"x":"6*7"}<|call|>',
    );
    const gen = new FakeGenerator(() => completion);
    const client = new LocalClient({ generator: gen, encoding: enc, description: 'fake' });
    const { events, result } = await collect(client, REQUEST);
    const prompt = enc.decode(gen.calls[0].prompt);
    expect(prompt).toMatch(/^<\|start\|>system<\|message\|>.*Reasoning: low/s);
    expect(prompt).toContain('<|start|>developer<|message|># Instructions\n\nBe brief.\n\n# Tools');
    expect(prompt.endsWith('<|start|>user<|message|>What is 6 × 7?<|end|><|start|>assistant')).toBe(true);
    expect(gen.calls[0].params).toMatchObject({ maxTokens: 100, temperature: 0, seed: 3, stopTokens: LOCAL_STOP_TOKENS });
    const deltas = events.filter((e) => e.type === 'delta').map((e) => (e.type === 'delta' ? `${e.channel}:${e.text}` : ''));
    const text = (channel: string) => deltas.filter((d) => d.startsWith(`${channel}:`)).map((d) => d.slice(channel.length + 1)).join('');
    expect(text('analysis')).toBe('Multiply.');
    expect(text('commentary')).toBe('{"x":"6*7"}');
    expect(events.filter((e) => e.type === 'delta' && e.channel === 'commentary').every((e) => e.type === 'delta' && e.recipient === 'functions.calc')).toBe(true);
    expect(events.filter((e) => e.type === 'token')).toHaveLength(completion.length);
    const call = events.find((e) => e.type === 'tool-call');
    expect(call).toMatchObject({ type: 'tool-call', recipient: 'functions.calc', call: { type: 'function', function: { name: 'calc', arguments: '{"x":"6*7"}' } } });
    expect(result).toMatchObject({ finishReason: 'stop', usage: { promptTokens: gen.calls[0].prompt.length, completionTokens: completion.length, cachedTokens: 3 } });
    expect(result.messages.map((m) => m.channel)).toEqual(['analysis', 'commentary']);
    expect(result.completionTokenIds).toEqual(completion);
    expect(result.rawCompletionText).toBe(enc.decode(completion));
    expect(result.promptTokenIds).toEqual(renderChatPrompt(enc, REQUEST));
  });

  it('a continuation extends the prompt token for token and repeats no channel header', async () => {
    const full = enc.tokenizer.encodeWithSpecials('<|channel|>final<|message|>The answer is forty-two.<|return|>');
    const cut = 6;
    const gen = new FakeGenerator(() => full.slice(cut));
    const client = new LocalClient({ generator: gen, encoding: enc, description: 'fake' });
    const request = { ...REQUEST, continuation: { text: enc.decode(full.slice(0, cut)), tokenIds: full.slice(0, cut) } };
    const { events, result } = await collect(client, request);
    expect(gen.calls[0].prompt).toEqual([...renderChatPrompt(enc, REQUEST), ...full.slice(0, cut)]);
    expect(events.some((e) => e.type === 'message-start')).toBe(false);
    expect(result.messages).toEqual([{ role: 'assistant', channel: 'final', content: 'The answer is forty-two.' }]);
    expect(result.usage.completionTokens).toBe(full.length - cut);
  });

  it("the caller's signal, or leaving the event loop early, cancels the generation", async () => {
    const ids = enc.tokenizer.encodeWithSpecials('<|channel|>final<|message|>One two three four five six.<|return|>');
    const gen = new FakeGenerator(() => ids);
    const client = new LocalClient({ generator: gen, encoding: enc, description: 'fake' });
    for await (const ev of client.chat(REQUEST)) if (ev.type === 'token') break;
    expect(gen.calls[0].signal?.aborted).toBe(true);
    const controller = new AbortController();
    const stream = client.chat(REQUEST, { signal: controller.signal });
    controller.abort();
    await stream.result;
    expect(gen.calls[1].signal?.aborted).toBe(true);
  });

  it('engine errors reject the result and end the event stream', async () => {
    const client = new LocalClient({ generator: new FakeGenerator(() => []), encoding: enc, description: 'fake' });
    const bad = { ...REQUEST, system: { reasoningEffort: 'low' as const }, developer: {}, messages: [] };
    const gen = new FakeGenerator(() => []);
    gen.generate = () => {
      throw new ShapeError('token id 999999 outside the vocabulary');
    };
    const failing = new LocalClient({ generator: gen, encoding: enc, description: 'fake' });
    await expect(failing.chat(bad).result).rejects.toThrowError(/outside the vocabulary/);
    await client.close();
    await expect(client.chat(bad).result).rejects.toThrowError(/after close/);
  });
});
