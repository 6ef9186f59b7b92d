// The OpenAI chat mapping through the official `openai` SDK against the real server and routes,
// with REPLAYED completions (a test double for the model: scripted Harmony streamed token by token
// through the real tokenizer and parser). These pin the protocol mapping (reasoning_content,
// streamed tool-call deltas, finish_reason tool_calls, a tool round trip, response_format retries,
// stop strings) independent of what the model can say. The same cases against a real model:
// tests/cli/serve-trained.test.ts (enabled once the trained demo model lands).

import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { RunArtifacts } from '../../src/chat/artifacts.js';
import { startReplayServer, TEST_MODEL, type ReplayServer } from './helpers.js';

const ANALYSIS_THEN_FINAL = '<|channel|>analysis<|message|>The user greets me.<|end|><|start|>assistant<|channel|>final<|message|>Hello there, friend!<|return|>';
const TOOL_CALL = '<|channel|>analysis<|message|>Need the weather.<|end|><|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{"city":"Oslo"}<|call|>';
const AFTER_TOOL = '<|channel|>final<|message|>It is 20 degrees in Oslo.<|return|>';
const WEATHER_TOOL = { type: 'function' as const, function: { name: 'get_weather', description: 'Current weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } };

let t: ReplayServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

function sdk(server: ReplayServer): OpenAI {
  return new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
}

function serverLogs(runsDir: string): string {
  const [run] = readdirSync(runsDir);
  return join(runsDir, run, 'logs', 'server');
}

describe('openai SDK against wgh serve (replayed completions)', () => {
  it('non-streaming: reasoning in reasoning_content, the answer in content, usage', async () => {
    t = await startReplayServer([ANALYSIS_THEN_FINAL]);
    const res = await sdk(t).chat.completions.create({ model: TEST_MODEL, messages: [{ role: 'user', content: 'Hi' }] });
    const message = res.choices[0].message as OpenAI.ChatCompletionMessage & { reasoning_content?: string; reasoning?: string };
    expect(message.content).toBe('Hello there, friend!');
    expect(message.reasoning_content).toBe('The user greets me.');
    expect(message.reasoning).toBe('The user greets me.');
    expect(res.choices[0].finish_reason).toBe('stop');
    expect(res.usage?.completion_tokens).toBeGreaterThan(5);
    expect(res.usage?.prompt_tokens).toBeGreaterThan(10);
  });

  it('streaming: token-by-token deltas, reasoning never in content, usage chunk, [DONE]', async () => {
    t = await startReplayServer([ANALYSIS_THEN_FINAL]);
    const stream = await sdk(t).chat.completions.create({ model: TEST_MODEL, messages: [{ role: 'user', content: 'Hi' }], stream: true, stream_options: { include_usage: true } });
    const content: string[] = [];
    const reasoning: string[] = [];
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices[0];
      if (choice === undefined) continue;
      const delta = choice.delta as { content?: string | null; reasoning_content?: string };
      if (delta.content) content.push(delta.content);
      if (delta.reasoning_content) reasoning.push(delta.reasoning_content);
      if (choice.finish_reason) finish = choice.finish_reason;
    }
    expect(content.join('')).toBe('Hello there, friend!');
    expect(reasoning.join('')).toBe('The user greets me.');
    expect(content.length).toBeGreaterThan(3); // one chunk per token, not one at the end
    expect(content.join('')).not.toContain('greets');
    expect(finish).toBe('stop');
    expect(usage?.total_tokens).toBe((usage?.prompt_tokens ?? 0) + (usage?.completion_tokens ?? 0));
  });

  it('tools: streamed tool-call deltas, finish_reason tool_calls, then the tool result round trip', async () => {
    const runsDir = mkdtempSync(join(tmpdir(), 'wgh-srv-art-'));
    const artifacts = await RunArtifacts.create({ runsDir, frontEnd: 'server' });
    t = await startReplayServer([TOOL_CALL, AFTER_TOOL], { artifacts });
    const openai = sdk(t);
    const messages: OpenAI.ChatCompletionMessageParam[] = [
      { role: 'system', content: 'Answer briefly.' },
      { role: 'user', content: 'Weather in Oslo?' },
    ];
    const stream = await openai.chat.completions.create({ model: TEST_MODEL, messages, tools: [WEATHER_TOOL], stream: true, reasoning_effort: 'high' });
    const deltas: OpenAI.ChatCompletionChunk.Choice.Delta.ToolCall[] = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      deltas.push(...(chunk.choices[0]?.delta.tool_calls ?? []));
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(finish).toBe('tool_calls');
    expect(deltas[0]).toMatchObject({ index: 0, type: 'function', function: { name: 'get_weather' } });
    const id = deltas[0].id as string;
    expect(id).toMatch(/^call_/);
    expect(deltas.length).toBeGreaterThan(2); // arguments arrive in pieces
    expect(deltas.map((d) => d.function?.arguments ?? '').join('')).toBe('{"city":"Oslo"}');

    messages.push({ role: 'assistant', content: null, tool_calls: [{ id, type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }] });
    messages.push({ role: 'tool', tool_call_id: id, content: '{"temperature_c":20}' });
    const res = await openai.chat.completions.create({ model: TEST_MODEL, messages, tools: [WEATHER_TOOL] });
    expect(res.choices[0].message.content).toBe('It is 20 degrees in Oslo.');
    expect(res.choices[0].finish_reason).toBe('stop');

    await artifacts.flush();
    const logs = serverLogs(runsDir);
    const first = readFileSync(join(logs, 'prompt.full.1.1.txt'), 'utf8');
    expect(first).toContain('Reasoning: high');
    expect(first).toContain('<|start|>developer<|message|># Instructions\n\nAnswer briefly.');
    expect(first).toContain('type get_weather = (_: {');
    const second = readFileSync(join(logs, 'prompt.full.2.1.txt'), 'utf8');
    expect(second).toContain('<|start|>assistant to=functions.get_weather<|channel|>commentary <|constrain|>json<|message|>{"city":"Oslo"}<|call|>');
    expect(second).toContain('<|start|>functions.get_weather to=assistant<|channel|>commentary<|message|>{"temperature_c":20}<|end|>');
    expect(readdirSync(logs).sort()).toContain('retry.decision.2.1.json');
  });

  it('tool_choice naming a function prefills the call: the arguments stream as its deltas', async () => {
    t = await startReplayServer(['{"city":"Paris"}<|call|>']);
    const res = await sdk(t).chat.completions.create({ model: TEST_MODEL, messages: [{ role: 'user', content: 'Weather?' }], tools: [WEATHER_TOOL], tool_choice: { type: 'function', function: { name: 'get_weather' } } });
    expect(res.choices[0].finish_reason).toBe('tool_calls');
    const call = res.choices[0].message.tool_calls?.[0] as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(call.function).toEqual({ name: 'get_weather', arguments: '{"city":"Paris"}' });
  });

  it('response_format json_object: an invalid reply is retried with the next seed', async () => {
    t = await startReplayServer(['<|channel|>final<|message|>Sure! Here it is.<|return|>', '<|channel|>final<|message|>{"answer": 4}<|return|>']);
    const res = await sdk(t).chat.completions.create({ model: TEST_MODEL, messages: [{ role: 'user', content: '2+2 as JSON' }], response_format: { type: 'json_object' }, seed: 7 });
    expect(JSON.parse(res.choices[0].message.content ?? '')).toEqual({ answer: 4 });
    expect(t.logger.lines.some((line) => /attempt 1: response-format: the answer is not valid JSON.*retrying with seed 8/.test(line))).toBe(true);
  });

  it('response_format json_schema: a reply that never validates is a clear error, streaming or not', async () => {
    t = await startReplayServer(['<|channel|>final<|message|>{"answer": "four"}<|return|>']);
    const schema = { type: 'object', properties: { answer: { type: 'integer' } }, required: ['answer'] };
    const request = { model: TEST_MODEL, messages: [{ role: 'user' as const, content: '2+2' }], response_format: { type: 'json_schema' as const, json_schema: { name: 'sum', schema } } };
    const err = await sdk(t).chat.completions.create(request).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as OpenAI.APIError).status).toBe(422);
    expect((err as OpenAI.APIError).code).toBe('response_validation_failed');
    expect((err as OpenAI.APIError).message).toMatch(/schema 'sum'.*\/answer must be integer/);
    const stream = await sdk(t).chat.completions.create({ ...request, stream: true });
    await expect(async () => {
      for await (const _chunk of stream) {
        // the error event ends the stream
      }
    }).rejects.toThrow(/response-format check after 3 attempt/);
  });

  it('stop strings cut the answer (and stop the generation); the stop text is never sent', async () => {
    t = await startReplayServer(['<|channel|>final<|message|>Hello world. END of story, more text<|return|>']);
    const stream = await sdk(t).chat.completions.create({ model: TEST_MODEL, messages: [{ role: 'user', content: 'Hi' }], stop: ['END'], stream: true });
    let content = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      content += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(content).toBe('Hello world. ');
    expect(finish).toBe('stop');
  });

  it('/v1/completions: raw prompt, streamed text, logprobs', async () => {
    t = await startReplayServer([ANALYSIS_THEN_FINAL]);
    const res = await sdk(t).completions.create({ model: TEST_MODEL, prompt: 'Tell me a story:', max_tokens: 10, logprobs: 1 });
    expect(res.choices[0].text).toBe(' once upon a time');
    expect(res.choices[0].finish_reason).toBe('stop');
    expect(res.choices[0].logprobs?.tokens?.join('')).toBe(' once upon a time');
    const stream = await sdk(t).completions.create({ model: TEST_MODEL, prompt: 'Tell me a story:', max_tokens: 2, stream: true });
    const pieces: string[] = [];
    for await (const chunk of stream) if (chunk.choices[0]?.text) pieces.push(chunk.choices[0].text);
    expect(pieces).toEqual([' once', ' upon']);
  });

  it('models list and retrieve', async () => {
    t = await startReplayServer([ANALYSIS_THEN_FINAL]);
    const list = await sdk(t).models.list();
    expect(list.data.map((m) => m.id)).toEqual([TEST_MODEL]);
    expect((await sdk(t).models.retrieve(TEST_MODEL)).id).toBe(TEST_MODEL);
  });
});
