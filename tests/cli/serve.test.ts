// End to end: the real `wgh serve` process on the tiny random-weight model (lavapipe), driven by
// the official `openai` and `ollama` npm clients. The model's words are noise, so these check the
// protocol: streaming (incremental, by event order against the server's own log), usage, prefix
// reuse, a client that disconnects mid-stream on /v1/completions, /v1/chat/completions and
// /api/chat (its generation stops, the GPU serves the next request), errors and the API key,
// health, artifacts. The model-dependent cases (tool round trip, reasoning) are in
// serve-trained.test.ts. One server for the whole file.

import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTEMPT_FILES } from '../../src/chat/artifacts.js';
import { createTestModel } from '../../src/model/create-test-model.js';
import { postJson } from '../server/helpers.js';
import { spawnServe, type ServeProcess } from '../server/spawn.js';

const KEY = 'sk-e2e';
const MODEL = 'tiny';
const BODY_LIMIT = 64 * 1024;

describe('wgh serve (tiny random model)', () => {
  let srv: ServeProcess;
  let runsDir: string;
  let firstHealthStatus = 0;
  let openai: OpenAI;
  let ollama: Ollama;

  beforeAll(async () => {
    const root = mkdtempSync(join(tmpdir(), 'wgh-serve-e2e-'));
    await createTestModel({ outDir: join(root, MODEL), preset: 'tiny', seed: 0 });
    runsDir = join(root, 'runs');
    srv = await spawnServe(['--model', join(root, MODEL), '--port', '0', '--api-key', KEY, '--runs-dir', runsDir, '--max-tokens', '16', '--max-body-bytes', String(BODY_LIMIT), '--context', '1024']);
    firstHealthStatus = (await fetch(`${srv.url}/v1/health`)).status; // right after `listening on`: still loading
    await srv.ready();
    openai = new OpenAI({ baseURL: `${srv.url}/v1`, apiKey: KEY, maxRetries: 0 });
    ollama = new Ollama({ host: srv.url, headers: { authorization: `Bearer ${KEY}` } });
  });
  afterAll(async () => srv?.stop());

  const doneLine = (requestIdx: number) => new RegExp(`req#${requestIdx} done: finish (\\w+), (\\d+) prompt \\((\\d+) cached\\) \\+ (\\d+) completion`).exec(srv.stderr());
  const lastRequestIdx = () => Math.max(0, ...[...srv.stderr().matchAll(/req#(\d+) /g)].map((m) => Number(m[1])));

  it('health: 503 while loading, then the model, adapter and uptime; no key needed', async () => {
    expect(firstHealthStatus).toBe(503);
    const health = (await (await fetch(`${srv.url}/v1/health`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ status: 'ok', engine: 'webgpu-harmony', model: { id: MODEL, context_length: 1024, family: 'gpt-oss' } });
    expect(typeof health['adapter']).toBe('string');
    expect(health['uptime_s']).toBeGreaterThan(0);
  });

  it('chat, non-streaming: a reply, usage, and prefix reuse on the next request of the conversation', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Hello' }];
    const first = await openai.chat.completions.create({ model: MODEL, messages, max_tokens: 6, seed: 1, temperature: 0.7, logprobs: true, top_logprobs: 2 });
    expect(first.choices[0].finish_reason).toBe('length');
    expect(first.usage?.completion_tokens).toBe(6);
    const logprobs = first.choices[0].logprobs?.content ?? [];
    expect(logprobs.length).toBeGreaterThan(0);
    expect(logprobs.every((lp) => lp.logprob <= 0 && lp.top_logprobs.length === 2)).toBe(true);
    messages.push({ role: 'assistant', content: first.choices[0].message.content ?? '' }, { role: 'user', content: 'More' });
    const second = await openai.chat.completions.create({ model: MODEL, messages, max_tokens: 4, seed: 1 });
    expect(second.usage?.prompt_tokens).toBeGreaterThan(first.usage?.prompt_tokens ?? 0);
    expect(second.usage?.prompt_tokens_details?.cached_tokens).toBeGreaterThan((first.usage?.prompt_tokens ?? 0) / 2);
  });

  it('chat, streaming: deltas arrive while the model is still generating (event order vs the server log)', async () => {
    // tool_choice prefills a call, so the random tokens stream as argument deltas, one per token
    const stream = await openai.chat.completions.create({
      model: MODEL, messages: [{ role: 'user', content: 'Go' }], max_tokens: 24, stream: true, stream_options: { include_usage: true },
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }], tool_choice: { type: 'function', function: { name: 'f' } },
    });
    const requestIdx = lastRequestIdx();
    let doneAtFirstDelta: boolean | undefined;
    let numArgDeltas = 0;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage;
      const args = chunk.choices[0]?.delta.tool_calls?.[0]?.function?.arguments;
      if (args === undefined || args.length === 0) continue;
      numArgDeltas++;
      doneAtFirstDelta ??= doneLine(requestIdx) !== null;
    }
    expect(doneAtFirstDelta).toBe(false); // the first delta came before the server finished generating
    expect(doneLine(requestIdx)).not.toBeNull();
    expect(numArgDeltas).toBeGreaterThan(10);
    expect(usage?.completion_tokens).toBe(24);
  });

  it('completions, streaming: one chunk per token', async () => {
    const stream = await openai.completions.create({ model: MODEL, prompt: 'Once upon a time', max_tokens: 12, stream: true, seed: 2 });
    let pieces = 0;
    for await (const chunk of stream) if ((chunk.choices[0]?.text ?? '').length > 0) pieces++;
    expect(pieces).toBeGreaterThanOrEqual(8);
  });

  it('a client that disconnects mid-stream cancels its generation; the next request is served', async () => {
    const controller = new AbortController();
    const stream = await openai.completions.create({ model: MODEL, prompt: 'Tell me everything', max_tokens: 900, stream: true }, { signal: controller.signal });
    for await (const chunk of stream) {
      if ((chunk.choices[0]?.text ?? '').length === 0) continue;
      controller.abort(); // the SDK ends the iteration quietly
      break;
    }
    const next = await openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Still there?' }], max_tokens: 3 });
    expect(next.usage?.completion_tokens).toBe(3);
    const requestIdx = (await waitForLog(() => srv.stderr(), /req#(\d+) POST \/v1\/completions: \d+ prompt tokens, max_tokens 900/))[1];
    await waitForLog(() => srv.stderr(), new RegExp(`req#${requestIdx} client disconnected`));
    const done = await waitForLog(() => srv.stderr(), new RegExp(`req#${requestIdx} done: finish (\\w+), (\\d+) tokens`));
    expect(done[1]).toBe('cancelled');
    expect(Number(done[2])).toBeLessThan(100); // stopped within a few steps of the disconnect, not at 900
  });

  it('chat, streaming (openai SDK): a client that disconnects mid-stream cancels its generation; the next request is served', async () => {
    // tool_choice prefills a call, so the random tokens stream as argument deltas from the first token on
    const controller = new AbortController();
    const stream = await openai.chat.completions.create(
      {
        model: MODEL, messages: [{ role: 'user', content: 'Tell me everything' }], max_tokens: 900, stream: true,
        tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }], tool_choice: { type: 'function', function: { name: 'f' } },
      },
      { signal: controller.signal },
    );
    for await (const chunk of stream) {
      if ((chunk.choices[0]?.delta.tool_calls?.[0]?.function?.arguments ?? '').length === 0) continue;
      controller.abort(); // the SDK ends the iteration quietly
      break;
    }
    const next = await openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Still there?' }], max_tokens: 3 });
    expect(next.usage?.completion_tokens).toBe(3);
    const requestIdx = (await waitForLog(() => srv.stderr(), /req#(\d+) POST \/v1\/chat\/completions: 1 messages, max_tokens 900, stream true/))[1];
    await waitForLog(() => srv.stderr(), new RegExp(`req#${requestIdx} client disconnected`));
    const done = await waitForLog(() => srv.stderr(), new RegExp(`req#${requestIdx} done: finish (\\w+), \\d+ prompt \\(\\d+ cached\\) \\+ (\\d+) completion`));
    expect(done[1]).toBe('cancelled');
    expect(Number(done[2])).toBeLessThan(100); // stopped within a few steps of the disconnect, not at 900
  });

  it('ollama /api/chat, streaming (ollama client abort()): a client that disconnects mid-stream cancels its generation; the next request is served', async () => {
    // The `wgh.harmony` extension prefills the final channel, so the random tokens stream as content
    // from the first token on (unprefilled, the parser waits for a <|message|> the random model never samples).
    const request = {
      model: MODEL, stream: true as const, messages: [],
      wgh: { harmony: { system: { reasoning_effort: 'low' }, messages: [{ role: 'user', content: 'Tell me everything' }], params: { maxTokens: 900 }, continuation: { text: '<|channel|>final<|message|>' } } },
    };
    const parts = await ollama.chat(request);
    let numContentParts = 0;
    try {
      for await (const part of parts) {
        if (part.message.content.length === 0) continue;
        numContentParts++;
        parts.abort();
        break;
      }
    } catch (err) {
      expect((err as Error).name).toBe('AbortError'); // ollama-js may surface its own abort
    }
    expect(numContentParts).toBe(1);
    const next = await ollama.chat({ model: MODEL, messages: [{ role: 'user', content: 'Still there?' }], options: { num_predict: 3 } });
    expect(next.eval_count).toBe(3);
    const requestIdx = (await waitForLog(() => srv.stderr(), /req#(\d+) POST \/api\/chat: 1 messages, max_tokens 900, stream true/))[1];
    await waitForLog(() => srv.stderr(), new RegExp(`req#${requestIdx} client disconnected`));
    const done = await waitForLog(() => srv.stderr(), new RegExp(`req#${requestIdx} done: finish (\\w+), \\d+ prompt \\(\\d+ cached\\) \\+ (\\d+) completion`));
    expect(done[1]).toBe('cancelled');
    expect(Number(done[2])).toBeLessThan(100);
  });

  it('ollama client: chat streaming with think, generate, list, show', async () => {
    const parts = await ollama.chat({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }], stream: true, think: 'low', options: { num_predict: 5, seed: 4 } });
    let last: { done: boolean; done_reason?: string; eval_count?: number } | undefined;
    let numParts = 0;
    for await (const part of parts) {
      numParts++;
      last = part;
    }
    expect(numParts).toBeGreaterThanOrEqual(1);
    expect(last).toMatchObject({ done: true, done_reason: 'length', eval_count: 5 });
    const generated = await ollama.generate({ model: MODEL, prompt: 'The sky is', raw: true, options: { num_predict: 4 } });
    expect(generated.eval_count).toBe(4);
    expect(generated.response.length).toBeGreaterThan(0);
    expect((await ollama.list()).models.map((m) => m.name)).toEqual([MODEL]);
    expect((await ollama.show({ model: MODEL })).model_info['gptoss.context_length']).toBe(1024);
  });

  it('errors: bad JSON, wrong types, unknown model, oversized body, n>1, API key; the server keeps serving', async () => {
    const auth = { authorization: `Bearer ${KEY}` };
    const chat = { model: MODEL, messages: [{ role: 'user', content: 'x' }], max_tokens: 2 };
    const cases: [unknown, Record<string, string>, number, string][] = [
      ['{"model":', auth, 400, 'invalid_json'],
      [{ ...chat, max_tokens: 'ten' }, auth, 400, 'invalid_type'],
      [{ ...chat, model: 'gpt-5' }, auth, 404, 'model_not_found'],
      [{ ...chat, messages: [{ role: 'user', content: 'y'.repeat(BODY_LIMIT) }] }, auth, 413, 'request_too_large'],
      [{ ...chat, n: 2 }, auth, 400, 'unsupported_value'],
      [chat, {}, 401, 'invalid_api_key'],
      [chat, { authorization: 'Bearer nope' }, 401, 'invalid_api_key'],
    ];
    for (const [body, headers, status, code] of cases) {
      const res = await postJson(`${srv.url}/v1/chat/completions`, body, headers);
      expect([res.status, (res.json as { error: { code: string } }).error.code]).toEqual([status, code]);
    }
    const ok = await postJson(`${srv.url}/v1/chat/completions`, chat, auth);
    expect(ok.status).toBe(200);
  });

  it('artifacts: logs/server and metrics/server with the CLI\'s names', async () => {
    const [run] = readdirSync(runsDir);
    const logs = readdirSync(join(runsDir, run, 'logs', 'server'));
    for (const kind of ATTEMPT_FILES) expect(logs.some((name) => name.startsWith(`${kind}.1.1.`))).toBe(true);
    const timing = readFileSync(join(runsDir, run, 'metrics', 'server', 'timing.csv'), 'utf8').trim().split('\n');
    expect(timing[0]).toMatch(/^turn,attempt,action,reason,prompt_tokens,cached_tokens,completion_tokens,prefill_s,ttft_s/);
    expect(timing.length).toBeGreaterThan(4);
  });
});

/** Polls a growing log until `pattern` matches (the child's stderr arrives on its own pipe). */
async function waitForLog(read: () => string, pattern: RegExp): Promise<RegExpExecArray> {
  for (let tries = 0; ; tries++) {
    const match = pattern.exec(read());
    if (match !== null) return match;
    if (tries > 200) throw new Error(`no log line matching ${pattern}:\n${read()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
