// The HTTP clients against an in-process wgh server give the same events and result as the
// client behind the server (here a ReplayClient: scripted Harmony through the real tokenizer and
// parser), thanks to the `wgh` extension found by the health probe; against the same server
// without the extension the standard OpenAI fields rebuild the same messages.

import { describe, expect, it } from 'vitest';
import { ReplayClient } from '../../src/chat/replay-client.js';
import { OllamaHttpClient } from '../../src/client/ollama-http.js';
import { OpenAIHttpClient } from '../../src/client/openai-http.js';
import type { ChatRequest, ChatResult, ClientEvent, GenerationClient } from '../../src/client/types.js';
import { HarmonyEncoding } from '../../src/harmony/encoding.js';
import { startReplayServer, TEST_MODEL } from '../server/helpers.js';

const SCRIPT = '<|channel|>analysis<|message|>Check the tool.<|end|><|start|>assistant<|channel|>commentary to=functions.lookup <|constrain|>json<|message|>{"q":"ü 👋"}<|call|>';
const REQUEST: ChatRequest = {
  system: { reasoningEffort: 'low', modelIdentity: 'You are a test.' },
  developer: { instructions: 'Be brief.', tools: [{ name: 'lookup', description: 'look up', parameters: { type: 'object', properties: { q: { type: 'string' } } } }] },
  messages: [{ role: 'user', content: 'Find it' }],
  params: { maxTokens: 64, temperature: 0, seed: 9, loopDetection: 'off' },
};

async function run(client: GenerationClient, request: ChatRequest): Promise<{ events: ClientEvent[]; result: ChatResult }> {
  const stream = client.chat(request);
  const events: ClientEvent[] = [];
  for await (const event of stream) events.push(event);
  return { events, result: await stream.result };
}

const untimed = (events: readonly ClientEvent[]) => events.map((e) => (e.type === 'token' ? { ...e, timeMs: 0 } : e));
const withoutTimes = (r: ChatResult) => ({ ...r, metrics: { ...r.metrics, prefillSeconds: 0, ttftSeconds: 0, decodeSeconds: 0, decodeTokensPerSecond: 0 } });

describe('remote clients against wgh serve', () => {
  it('openai and ollama clients reproduce the server-side events and result exactly (wgh extension)', async () => {
    const encoding = await HarmonyEncoding.load();
    const local = await run(new ReplayClient({ completions: [SCRIPT] }, encoding), REQUEST);
    for (const make of [(url: string) => new OpenAIHttpClient({ baseUrl: `${url}/v1` }), (url: string) => new OllamaHttpClient({ baseUrl: url })]) {
      const t = await startReplayServer([SCRIPT]); // a fresh cache, like the local run's
      try {
        const remote = await run(make(t.url), REQUEST);
        expect(untimed(remote.events)).toEqual(untimed(local.events));
        expect(withoutTimes(remote.result)).toEqual(withoutTimes(local.result));
      } finally {
        await t.close();
      }
    }
    expect(local.result.toolCalls).toHaveLength(1);
  });

  it('without the extension, the standard fields rebuild the same messages', async () => {
    const t = await startReplayServer([SCRIPT]);
    try {
      const client = new OpenAIHttpClient({ baseUrl: `${t.url}/v1`, model: TEST_MODEL, extension: false });
      const { result } = await run(client, REQUEST);
      expect(result.messages).toEqual([
        { role: 'assistant', channel: 'analysis', content: 'Check the tool.' },
        { role: 'assistant', channel: 'commentary', recipient: 'functions.lookup', contentType: '<|constrain|>json', content: '{"q":"ü 👋"}' },
      ]);
      expect(result.finishReason).toBe('stop');
      expect(result.promptTokenIds).toBeUndefined();
    } finally {
      await t.close();
    }
  });
});
