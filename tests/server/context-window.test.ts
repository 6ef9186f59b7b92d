// Ollama's num_ctx is the request's context window (serve-chat.ts fitChatRequest over the turn
// pipeline's budget, src/chat/budget.ts): prompt + reply stay within it; earlier turns are dropped,
// oldest first, to leave room for num_predict; the reply is capped to what is left; when the
// system/developer messages and the last turn alone do not fit, a 400 names num_ctx and the
// prompt's token count. Mapping and fitting on the real tokenizer, then end to end through the
// `ollama` npm client against the replay server (helpers.ts).

import { Ollama } from 'ollama';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { renderChatPrompt } from '../../src/client/local.js';
import type { ChatRequest } from '../../src/client/types.js';
import type { TextMessage } from '../../src/harmony/types.js';
import type { EngineBackend } from '../../src/server/engine.js';
import { ApiError } from '../../src/server/errors.js';
import { DEFAULT_SERVER_DEFAULTS } from '../../src/server/map-common.js';
import { mapOllamaChat, ollamaParams } from '../../src/server/map-ollama.js';
import { fitChatRequest } from '../../src/server/serve-chat.js';
import { ValidationStage } from '../../src/server/validation.js';
import { replayBackend, startReplayServer, TEST_CONTEXT, TEST_MODEL, type ReplayServer } from './helpers.js';

const CTX = { modelId: TEST_MODEL, defaults: DEFAULT_SERVER_DEFAULTS, validation: new ValidationStage() };
const NUM_TURNS = 6;
const NUM_PREDICT = 40;
const REPLY = '<|channel|>final<|message|>Fine.<|return|>';

/** user/assistant pairs, then the current question; earlier turns grow so their sizes differ. */
function conversation(): { role: 'user' | 'assistant'; content: string }[] {
  const out: { role: 'user' | 'assistant'; content: string }[] = [];
  for (let turnIdx = 0; turnIdx < NUM_TURNS - 1; turnIdx++) {
    out.push({ role: 'user', content: `Question ${turnIdx}: ${'tell me more '.repeat(turnIdx + 1)}` }, { role: 'assistant', content: `Answer ${turnIdx}.` });
  }
  out.push({ role: 'user', content: 'And the last question?' });
  return out;
}

const withMessages = (request: ChatRequest, messages: readonly TextMessage[]): ChatRequest => ({ ...request, messages });

describe('num_ctx: mapping and fitting', () => {
  let backend: EngineBackend;
  beforeAll(async () => {
    backend = (await replayBackend([REPLY])).backend;
  });
  const promptTokens = (request: ChatRequest) => renderChatPrompt(backend.encoding, request).length;

  it('ollamaParams: num_ctx is the window (capped at the server\'s context); num_predict -1 runs to its end', () => {
    expect(ollamaParams({}, TEST_CONTEXT).window).toEqual({ tokens: TEST_CONTEXT });
    expect(ollamaParams({ num_ctx: 512 }, TEST_CONTEXT)).toMatchObject({ window: { tokens: 512, param: 'num_ctx' }, maxTokens: undefined });
    expect(ollamaParams({ num_ctx: 512, num_predict: -1 }, TEST_CONTEXT).maxTokens).toBe(512);
    expect(ollamaParams({ num_ctx: 512, num_predict: 9000 }, TEST_CONTEXT).maxTokens).toBe(512);
    expect(ollamaParams({ num_ctx: 2 * TEST_CONTEXT }, TEST_CONTEXT).window).toEqual({ tokens: TEST_CONTEXT, param: 'num_ctx', requested: 2 * TEST_CONTEXT });
    const mapped = mapOllamaChat({ model: TEST_MODEL, messages: [{ role: 'user', content: 'x' }], options: { num_ctx: 300 } }, CTX, TEST_CONTEXT);
    expect(mapped.contextWindow).toEqual({ tokens: 300, param: 'num_ctx' });
  });

  it('drops the oldest turns until num_predict fits, keeps system/developer and the last turn, at the exact boundary', () => {
    const mapped = mapOllamaChat({ model: TEST_MODEL, messages: [{ role: 'system', content: 'Be brief.' }, ...conversation()], options: { num_predict: NUM_PREDICT } }, CTX, TEST_CONTEXT);
    const all = mapped.request.messages;
    const lastTurn = all.slice(-1);
    // Rendering is additive per message, so a turn's size is what it adds to the prompt.
    const base = promptTokens(withMessages(mapped.request, lastTurn));
    const turnSize = (fromIdx: number) => promptTokens(withMessages(mapped.request, [...all.slice(fromIdx, fromIdx + 2), ...lastTurn])) - base;
    const twoNewest = turnSize(all.length - 3) + turnSize(all.length - 5);
    const numCtx = base + twoNewest + NUM_PREDICT;

    const fits = fitChatRequest(mapped.request, backend, { tokens: numCtx, param: 'num_ctx' });
    expect(fits.droppedTurns).toBe(NUM_TURNS - 3);
    expect(fits.request.messages).toEqual(all.slice(-5));
    expect(fits.request.developer?.instructions).toBe('Be brief.');
    expect(promptTokens(fits.request)).toBe(base + twoNewest);
    expect(fits.request.params.maxTokens).toBe(NUM_PREDICT);

    const oneLess = fitChatRequest(mapped.request, backend, { tokens: numCtx - 1, param: 'num_ctx' });
    expect(oneLess.droppedTurns).toBe(NUM_TURNS - 2);
    expect(oneLess.request.messages).toEqual(all.slice(-3));
    expect(promptTokens(oneLess.request) + oneLess.request.params.maxTokens).toBeLessThanOrEqual(numCtx - 1);
    expect(oneLess.request.params.maxTokens).toBe(NUM_PREDICT);
  });

  it('a last turn that leaves less than num_predict: every earlier turn goes, the reply gets what is left', () => {
    const mapped = mapOllamaChat({ model: TEST_MODEL, messages: conversation(), options: { num_predict: NUM_PREDICT } }, CTX, TEST_CONTEXT);
    const base = promptTokens(withMessages(mapped.request, mapped.request.messages.slice(-1)));
    const fitted = fitChatRequest(mapped.request, backend, { tokens: base + 5, param: 'num_ctx' });
    expect(fitted.droppedTurns).toBe(NUM_TURNS - 1);
    expect(fitted.request.messages).toEqual([{ role: 'user', content: 'And the last question?' }]);
    expect(fitted.request.params.maxTokens).toBe(5);
  });

  it('no room for the kept messages: a 400 naming num_ctx and the prompt\'s token count', () => {
    const mapped = mapOllamaChat({ model: TEST_MODEL, messages: conversation() }, CTX, TEST_CONTEXT);
    const base = promptTokens(withMessages(mapped.request, mapped.request.messages.slice(-1)));
    const err = (() => {
      try {
        fitChatRequest(mapped.request, backend, { tokens: base, param: 'num_ctx' });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 400, code: 'context_length_exceeded', param: 'options.num_ctx' });
    expect((err as ApiError).message).toBe(
      `The prompt needs ${base} tokens (the system and developer messages and the last turn, which are never dropped), but the context window num_ctx is ${base}, leaving no room for a reply. Raise num_ctx or shorten the messages.`,
    );
  });

  it('without a window (OpenAI routes) nothing is dropped: the whole prompt must fit the model\'s context', () => {
    const mapped = mapOllamaChat({ model: TEST_MODEL, messages: conversation() }, CTX, TEST_CONTEXT);
    const fitted = fitChatRequest(mapped.request, backend);
    expect(fitted).toMatchObject({ droppedTurns: 0, request: { messages: mapped.request.messages } });
    expect(fitted.request.params.maxTokens).toBe(DEFAULT_SERVER_DEFAULTS.maxTokens);
  });
});

describe('num_ctx end to end (ollama client, replayed completions)', () => {
  let t: ReplayServer | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('a long conversation is cut to num_ctx: the prompt and the reply stay within it, the log says what was dropped', async () => {
    t = await startReplayServer([REPLY]);
    const ollama = new Ollama({ host: t.url });
    const numCtx = 160;
    const whole = await ollama.chat({ model: TEST_MODEL, messages: conversation(), stream: false });
    expect(whole.prompt_eval_count).toBeGreaterThan(numCtx); // the conversation does not fit as is
    const cut = await ollama.chat({ model: TEST_MODEL, messages: conversation(), stream: false, options: { num_ctx: numCtx, num_predict: NUM_PREDICT } });
    expect(cut.message.content).toBe('Fine.');
    expect(cut.prompt_eval_count + NUM_PREDICT).toBeLessThanOrEqual(numCtx);
    expect(t.logger.lines.some((line) => /^req#2 POST \/api\/chat: \d+ messages \(\d+ earlier turn\(s\) dropped to fit num_ctx 160\), max_tokens 40, stream false/.test(line))).toBe(true);
  });

  it('a prompt that cannot fit num_ctx is a 400 naming num_ctx and the token count; raw generate too', async () => {
    t = await startReplayServer([REPLY]);
    const ollama = new Ollama({ host: t.url });
    const err = await ollama.chat({ model: TEST_MODEL, messages: [{ role: 'user', content: 'hello '.repeat(200) }], options: { num_ctx: 64 } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'ResponseError', status_code: 400 });
    expect((err as Error).message).toMatch(/^The prompt needs \d{3} tokens .*the context window num_ctx is 64, leaving no room for a reply\. Raise num_ctx/);
    const raw = await ollama.generate({ model: TEST_MODEL, prompt: 'hello '.repeat(200), raw: true, options: { num_ctx: 64 } }).catch((e: unknown) => e);
    expect(raw).toMatchObject({ name: 'ResponseError', status_code: 400 });
    expect((raw as Error).message).toMatch(/^The prompt needs \d{3} tokens, but the context window num_ctx is 64, .*shorten the prompt\.$/);
    const fine = await ollama.generate({ model: TEST_MODEL, prompt: 'hello '.repeat(20), raw: true, options: { num_ctx: 64 } });
    expect(fine.response).toBe(' once upon a time');
  });
});
