// A client that disconnects mid-stream cancels its generation and frees the GPU queue, on the chat
// routes (tests/cli/serve.test.ts checks /v1/completions and these routes on the real engine):
// /v1/chat/completions through the official `openai` client (AbortController) and Ollama's
// /api/chat through the `ollama` client (its abort()). The replayed reply is ~1000 tokens at
// TOKEN_DELAY_MS each, so a generation that ran on would take seconds and log ~1000 tokens; the
// checks are the server's own log lines (as in serve.test.ts), never timings.

import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { startReplayServer, TEST_MODEL, type ReplayServer } from './helpers.js';

const NUM_WORDS = 1000;
const LONG_REPLY = `<|channel|>analysis<|message|>Thinking.<|end|><|start|>assistant<|channel|>final<|message|>${' word'.repeat(NUM_WORDS)}<|return|>`;
const SHORT_REPLY = '<|channel|>final<|message|>Still here.<|return|>';
const TOKEN_DELAY_MS = 5;
/** Tokens a cancelled generation may have produced: the first chunks and a step or two after the disconnect. */
const MAX_TOKENS_AFTER_ABORT = 100;

let t: ReplayServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function waitForLine(server: ReplayServer, pattern: RegExp): Promise<RegExpExecArray> {
  for (let tries = 0; ; tries++) {
    for (const line of server.logger.lines) {
      const match = pattern.exec(line);
      if (match !== null) return match;
    }
    if (tries > 400) throw new Error(`no log line matching ${pattern}:\n${server.logger.lines.join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The cancelled request's log: disconnect, then `done: finish cancelled` well short of the reply. */
async function expectCancelled(server: ReplayServer, label: RegExp): Promise<void> {
  const requestIdx = (await waitForLine(server, label))[1];
  await waitForLine(server, new RegExp(`^req#${requestIdx} client disconnected: request cancelled, GPU freed$`));
  const done = await waitForLine(server, new RegExp(`^req#${requestIdx} done: finish (\\w+), \\d+ prompt \\(\\d+ cached\\) \\+ (\\d+) completion`));
  expect(done[1]).toBe('cancelled');
  expect(Number(done[2])).toBeLessThan(MAX_TOKENS_AFTER_ABORT); // stopped at the disconnect, not after ~NUM_WORDS tokens
  expect(server.server.context.queue.running).toBeNull();
  expect(server.server.context.queue.waiting).toBe(0);
}

describe('a client that disconnects mid-stream (replayed completions)', () => {
  it('/v1/chat/completions (openai SDK, AbortController): the generation is cancelled, the next request is served', async () => {
    t = await startReplayServer([LONG_REPLY, SHORT_REPLY], { tokenDelayMs: TOKEN_DELAY_MS });
    const openai = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: 'x', maxRetries: 0 });
    const controller = new AbortController();
    const stream = await openai.chat.completions.create(
      { model: TEST_MODEL, messages: [{ role: 'user', content: 'Tell me everything' }], max_tokens: 2000, stream: true },
      { signal: controller.signal },
    );
    let numContentChunks = 0;
    for await (const chunk of stream) {
      if ((chunk.choices[0]?.delta.content ?? '').length === 0) continue;
      if (++numContentChunks < 3) continue;
      controller.abort(); // the SDK ends the iteration quietly
      break;
    }
    expect(numContentChunks).toBe(3);
    const next = await openai.chat.completions.create({ model: TEST_MODEL, messages: [{ role: 'user', content: 'Still there?' }] });
    expect(next.choices[0].message.content).toBe('Still here.');
    await expectCancelled(t, /^req#(\d+) POST \/v1\/chat\/completions: 1 messages, max_tokens 2000, stream true/);
  });

  it('Ollama /api/chat (ollama client, abort()): the generation is cancelled, the next request is served', async () => {
    t = await startReplayServer([LONG_REPLY, SHORT_REPLY], { tokenDelayMs: TOKEN_DELAY_MS });
    const ollama = new Ollama({ host: t.url });
    const parts = await ollama.chat({ model: TEST_MODEL, messages: [{ role: 'user', content: 'Tell me everything' }], stream: true, options: { num_predict: 2000 } });
    let numContentParts = 0;
    try {
      for await (const part of parts) {
        if (part.message.content.length === 0) continue;
        if (++numContentParts < 3) continue;
        parts.abort();
        break;
      }
    } catch (err) {
      expect((err as Error).name).toBe('AbortError'); // ollama-js may surface its own abort
    }
    expect(numContentParts).toBe(3);
    const next = await ollama.chat({ model: TEST_MODEL, messages: [{ role: 'user', content: 'Still there?' }], stream: false });
    expect(next.message.content).toBe('Still here.');
    await expectCancelled(t, /^req#(\d+) POST \/api\/chat: 1 messages, max_tokens 2000, stream true/);
  });

  it('Ollama /api/chat (fetch, AbortController): the same for a plain NDJSON reader', async () => {
    t = await startReplayServer([LONG_REPLY, SHORT_REPLY], { tokenDelayMs: TOKEN_DELAY_MS });
    const controller = new AbortController();
    const res = await fetch(`${t.url}/api/chat`, {
      method: 'POST', signal: controller.signal, headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: TEST_MODEL, messages: [{ role: 'user', content: 'Tell me everything' }], options: { num_predict: 2000 } }),
    });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!text.includes('"content":" word"')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text).toContain('"content":" word"');
    controller.abort();
    await reader.cancel().catch(() => undefined);
    const next = await new Ollama({ host: t.url }).chat({ model: TEST_MODEL, messages: [{ role: 'user', content: 'Still there?' }], stream: false });
    expect(next.message.content).toBe('Still here.');
    await expectCancelled(t, /^req#(\d+) POST \/api\/chat: 1 messages, max_tokens 2000, stream true/);
  });
});
