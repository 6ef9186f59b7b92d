// A reply cut by maxTokens through the HTTP clients (runTurn against an in-process wgh server over
// a ReplayClient): with the `wgh` extension the client continues the raw reply (resume), like the
// local client; without it (what a plain OpenAI-compatible or Ollama server looks like) there is
// no raw completion to continue, so the turn restarts with more max tokens instead of failing.

import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CHAT_SETTINGS, type ChatSettings } from '../../src/chat/settings.js';
import { runTurn } from '../../src/chat/turn.js';
import { ollamaChatBodyOf, OllamaHttpClient } from '../../src/client/ollama-http.js';
import { openAIChatBodyOf } from '../../src/client/http-wire.js';
import { OpenAIHttpClient } from '../../src/client/openai-http.js';
import type { ChatRequest, GenerationClient } from '../../src/client/types.js';
import { HarmonyEncoding } from '../../src/harmony/encoding.js';
import { startReplayServer, TEST_MODEL, type ReplayServer } from '../server/helpers.js';

const ANSWER = 'The answer is forty-two, the product of six and seven.';
const FULL = `<|channel|>analysis<|message|>Six sevens.<|end|><|start|>assistant<|channel|>final<|message|>${ANSWER}<|return|>`;
const NO_RETRY = { maxRetries: 0, baseDelayMs: 0, maxDelayMs: 0 };

let enc: HarmonyEncoding;
let server: ReplayServer | undefined;
beforeAll(async () => {
  enc = await HarmonyEncoding.load();
});
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** maxTokens 8 short of the reply: a resume gets the rest, a restart with 2× gets all of it. */
function settingsFor(completion: string): ChatSettings {
  const numTokens = enc.tokenizer.encodeWithSpecials(completion).length;
  return { ...DEFAULT_CHAT_SETTINGS, maxTokens: numTokens - 8, maxAttempts: 3, seed: 5, artifacts: false };
}

const PROVIDERS: readonly [string, (url: string, extension: boolean | 'auto') => GenerationClient][] = [
  ['openai', (url, extension) => new OpenAIHttpClient({ baseUrl: `${url}/v1`, model: TEST_MODEL, extension, retry: NO_RETRY })],
  ['ollama', (url, extension) => new OllamaHttpClient({ baseUrl: url, model: TEST_MODEL, extension, retry: NO_RETRY })],
];

describe('length through the HTTP clients', () => {
  it.each(PROVIDERS)('%s client, plain server (no wgh extension): cannot continue, so the turn restarts with more max tokens and succeeds', async (_, make) => {
    server = await startReplayServer([FULL]);
    const client = make(server.url, false);
    expect(client.canContinue).toBe(false);
    const settings = settingsFor(FULL);
    const result = await runTurn({ turn: 1, history: [], userMessage: 'What is 6 × 7?', settings }, { client, encoding: enc });
    expect(result.attempts.map((a) => [a.kind, a.decision.action, a.decision.reason])).toEqual([['first', 'retry', 'length'], ['retry', 'accept', null]]);
    expect(result.attempts[0].decision.detail).toMatch(/the client cannot continue a cut-off reply .*restarting with maxTokens/);
    expect(result.attempts[1].params.maxTokens).toBe(2 * settings.maxTokens);
    expect(result.finalText).toBe(ANSWER);
  });

  it.each(PROVIDERS)('%s client, wgh server (extension found by the probe): continues the cut reply', async (_, make) => {
    const ids = enc.tokenizer.encodeWithSpecials(FULL);
    const settings = settingsFor(FULL);
    server = await startReplayServer([FULL, enc.decode(ids.slice(settings.maxTokens))]);
    const client = make(server.url, 'auto');
    const result = await runTurn({ turn: 1, history: [], userMessage: 'What is 6 × 7?', settings }, { client, encoding: enc });
    expect(client.canContinue).toBe(true);
    expect(result.attempts.map((a) => [a.kind, a.decision.action])).toEqual([['first', 'resume'], ['resume', 'accept']]);
    expect(result.finalText).toBe(ANSWER);
  });

  it('both clients refuse a continuation for a server without the extension instead of silently starting a new reply', () => {
    const request: ChatRequest = {
      system: { reasoningEffort: 'low' }, messages: [{ role: 'user', content: 'Hi' }], params: { maxTokens: 8 }, continuation: { text: '<|channel|>final<|message|>Hel' },
    };
    expect(() => openAIChatBodyOf(request, 'm', false)).toThrowError(/needs a webgpu-harmony server/);
    expect(() => ollamaChatBodyOf(request, 'm', false)).toThrowError(/needs a webgpu-harmony server/);
    expect(ollamaChatBodyOf(request, 'm', true)).toHaveProperty('wgh.harmony.continuation.text', '<|channel|>final<|message|>Hel');
  });
});
