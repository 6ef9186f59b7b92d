// runTurn with an injected client: the retry policy in action (length → resume, or restart for a
// client that cannot continue; loop, analysis-only, repetitive), the attempt cap, restored
// settings, transient guidance, tools and the tool-round cap, transient errors.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { RunArtifacts } from '../../src/chat/artifacts.js';
import { ANALYSIS_ONLY_GUIDANCE, REPETITION_GUIDANCE } from '../../src/chat/retry.js';
import { ChatSession } from '../../src/chat/session.js';
import { DEFAULT_CHAT_SETTINGS, type ChatSettings } from '../../src/chat/settings.js';
import type { ToolExecutor } from '../../src/chat/tools.js';
import { runTurn, type TurnEvent } from '../../src/chat/turn.js';
import { renderChatPrompt } from '../../src/client/local.js';
import type { ChatRequest, ChatResult, ClientEvent, GenerationClient } from '../../src/client/types.js';
import { ChatError, RetryableError } from '../../src/errors.js';
import { HarmonyEncoding } from '../../src/harmony/encoding.js';
import { ReplayClient } from '../../src/chat/replay-client.js';
import { final, reasoned, ScriptedClient } from './helpers/scripted-client.js';

let enc: HarmonyEncoding;
beforeAll(async () => {
  enc = await HarmonyEncoding.load();
});

const USER: ChatSettings = Object.freeze({ ...DEFAULT_CHAT_SETTINGS, maxTokens: 64, maxAttempts: 3, seed: 5, artifacts: false });
const LOOPY = 'again and again and again '.repeat(12);

/**
 * What the chat layer gets from a plain OpenAI-compatible server (no `wgh` extension): messages,
 * usage and finish reason, but no token ids or raw completion, and no continuation (the real
 * OpenAIHttpClient refuses one with this error).
 */
function plainOpenAIServer(inner: ScriptedClient): GenerationClient & { readonly requests: readonly ChatRequest[] } {
  return {
    kind: 'openai', description: 'a plain OpenAI-compatible server (test double)', canContinue: false, requests: inner.requests,
    chat(request, options) {
      if (request.continuation !== undefined) throw new ChatError('openai client: continuing a cut-off reply needs a webgpu-harmony server');
      const stream = inner.chat(request, options);
      const result: Promise<ChatResult> = stream.result.then(({ promptTokenIds: _p, completionTokenIds: _c, rawCompletionText: _r, ...rest }) => rest);
      return {
        result,
        [Symbol.asyncIterator]: async function* (): AsyncGenerator<ClientEvent> {
          for await (const event of stream) if (event.type !== 'token') yield event;
        },
      };
    },
    close: async () => undefined,
  };
}

const CALC_CALL = '<|channel|>commentary to=functions.calc <|constrain|>json<|message|>{"expression":"6*7"}<|call|>';
const CALC_TOOLS: ToolExecutor = {
  descriptions: [{ name: 'calc', description: 'Evaluates arithmetic.', parameters: { type: 'object', properties: { expression: { type: 'string' } } } }],
  run: async (c) => ({ ok: true, output: c.type === 'function' && c.function.arguments.includes('6*7') ? '42' : '?', ms: 1 }),
};

function turn(client: GenerationClient, settings: ChatSettings = USER, extra: Partial<Parameters<typeof runTurn>[1]> = {}) {
  const events: TurnEvent[] = [];
  const run = runTurn({ turn: 1, history: [], userMessage: 'What is 6 × 7?', settings }, { client, encoding: enc, onEvent: (e) => events.push(e), ...extra });
  return { run, events };
}

describe('runTurn', () => {
  it('a complete reply is accepted at once', async () => {
    const client = new ScriptedClient(enc, [reasoned('6*7=42.', 'It is **42**.')]);
    const { run } = turn(client);
    const result = await run;
    expect(result.attempts.map((a) => a.decision.action)).toEqual(['accept']);
    expect(result.finalText).toBe('It is **42**.');
    expect(result.messages.map((m) => [m.role, m.channel])).toEqual([['user', undefined], ['assistant', 'analysis'], ['assistant', 'final']]);
    expect(client.requests[0].params).toMatchObject({ maxTokens: 64, seed: 5, loopDetection: 'cheap' });
  });

  it('length: resumes the cut reply with the old prompt + completion, no repeated channel header', async () => {
    const full = reasoned('Six sevens.', 'The answer is forty-two, the product of six and seven.');
    const ids = enc.tokenizer.encodeWithSpecials(full);
    const cut = ids.length - 8; // inside the final message's content
    const settings = { ...USER, maxTokens: cut };
    const client = new ScriptedClient(enc, [full, enc.decode(ids.slice(cut))]);
    const { run, events } = turn(client, settings);
    const result = await run;
    expect(result.attempts.map((a) => [a.kind, a.decision.action])).toEqual([['first', 'resume'], ['resume', 'accept']]);
    const [first, second] = client.requests;
    expect(second.continuation?.tokenIds).toEqual(ids.slice(0, cut));
    expect(renderChatPrompt(enc, second)).toEqual([...renderChatPrompt(enc, first), ...ids.slice(0, cut)]);
    expect(second.params).toEqual(first.params);
    const starts = events.filter((e) => e.type === 'client' && e.event.type === 'message-start' && e.attempt === 2);
    expect(starts).toEqual([]);
    expect(result.messages.filter((m) => m.channel === 'final')).toHaveLength(1);
    expect(result.finalText).toBe('The answer is forty-two, the product of six and seven.');
  });

  it('length from a client that cannot continue (plain OpenAI server): restarts with more max tokens instead of resuming, and the decision says why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wgh-turn-plain-'));
    const artifacts = await RunArtifacts.create({ runsDir: dir, frontEnd: 'cli', runId: 'r1' });
    const full = reasoned('Six sevens.', 'The answer is forty-two, the product of six and seven.');
    const numTokens = enc.tokenizer.encodeWithSpecials(full).length;
    const cut = numTokens - 8; // the restart's 2 × cut tokens hold the whole reply
    const client = plainOpenAIServer(new ScriptedClient(enc, [full]));
    const result = await turn(client, { ...USER, maxTokens: cut }, { artifacts }).run;
    expect(result.attempts.map((a) => [a.kind, a.decision.action, a.decision.reason])).toEqual([['first', 'retry', 'length'], ['retry', 'accept', null]]);
    expect(result.attempts[0].decision.detail).toBe(`cut at maxTokens after ${cut} tokens; the client cannot continue a cut-off reply (no raw completion to resume from), restarting with maxTokens ${2 * cut}`);
    expect(client.requests.map((r) => [r.continuation, r.params.maxTokens])).toEqual([[undefined, cut], [undefined, 2 * cut]]);
    expect(result.gaveUp).toBe(false);
    expect(result.finalText).toBe('The answer is forty-two, the product of six and seven.');
    expect(result.messages.filter((m) => m.channel === 'final')).toHaveLength(1);
    await artifacts.flush();
    const decision = JSON.parse(readFileSync(join(artifacts.logsDir, 'retry.decision.1.1.json'), 'utf8'));
    expect(decision).toMatchObject({ turn: 1, attempt: 1, action: 'retry', reason: 'length', overrides: { maxTokens: 2 * cut }, finishReason: 'length' });
    expect(decision.detail).toMatch(/the client cannot continue a cut-off reply/);
    expect(JSON.parse(readFileSync(join(artifacts.logsDir, 'retry.decision.1.2.json'), 'utf8'))).toMatchObject({ action: 'accept', attemptKind: 'retry', params: { maxTokens: 2 * cut } });
  });

  it('loop_detected: retried with raised penalties, full loop detection and guidance; nothing of it is stored', async () => {
    const client = new ScriptedClient(enc, [{ text: final(LOOPY), loop: true }, final('42.')]);
    const result = await turn(client).run;
    expect(result.attempts.map((a) => [a.decision.action, a.decision.reason])).toEqual([['retry', 'loop_detected'], ['accept', null]]);
    const retry = client.requests[1];
    expect(retry.params).toMatchObject({ loopDetection: 'full', repetitionPenalty: 1.1, presencePenalty: 0.4, seed: 6 });
    expect(retry.developer?.instructions).toContain(REPETITION_GUIDANCE);
    expect(client.requests[0].developer?.instructions).toBeUndefined();
    expect(JSON.stringify(result.messages)).not.toContain(REPETITION_GUIDANCE);
    expect(result.finalText).toBe('42.');
  });

  it('analysis-only and repetitive replies are retried', async () => {
    const client = new ScriptedClient(enc, ['<|channel|>analysis<|message|>Hmm, let me think.<|return|>', final(LOOPY), final('42')]);
    const result = await turn(client).run;
    expect(result.attempts.map((a) => a.decision.reason)).toEqual(['analysis_only', 'repetitive', null]);
    expect(client.requests[1].developer?.instructions).toContain(ANALYSIS_ONLY_GUIDANCE);
    expect(client.requests[2].developer?.instructions).toContain(REPETITION_GUIDANCE);
  });

  it('the attempt cap ends the turn with the best attempt', async () => {
    const client = new ScriptedClient(enc, ['<|channel|>analysis<|message|>thinking<|return|>', { text: final('Forty-two, probably.'), loop: true }, '<|channel|>analysis<|message|>more<|return|>']);
    const result = await turn(client).run;
    expect(client.requests).toHaveLength(3);
    expect(result.attempts.map((a) => a.decision.action)).toEqual(['retry', 'retry', 'give-up']);
    expect(result.gaveUp).toBe(true);
    expect(result.finalText).toBe('Forty-two, probably.');
  });

  it("the user's settings are restored: the session's next turn starts from them", async () => {
    const client = new ScriptedClient(enc, [{ text: final(LOOPY), loop: true }, final('42'), final('Sure.')]);
    const session = new ChatSession({ client, encoding: enc, layers: { base: USER, config: {}, profile: {}, flags: {} } });
    const before = session.settings;
    await session.send('What is 6 × 7?');
    expect(session.settings).toEqual(before);
    await session.send('Thanks');
    expect(client.requests[2].params).toEqual(client.requests[0].params);
    expect(client.requests[2].developer?.instructions).toBeUndefined();
    expect(session.messages.map((m) => m.content)).toEqual(['What is 6 × 7?', '42', 'Thanks', 'Sure.']);
  });

  it('transient client errors back off (injected sleep) and retry; each decision is an artifact', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wgh-turn-err-'));
    const artifacts = await RunArtifacts.create({ runsDir: dir, frontEnd: 'server', runId: 'r1' });
    const client = new ScriptedClient(enc, [{ error: new RetryableError('503 busy') }, final('42')]);
    const sleeps: number[] = [];
    const { run, events } = turn(client, USER, { sleep: async (ms) => void sleeps.push(ms), random: () => 0, artifacts });
    const result = await run;
    expect(sleeps).toEqual([125]);
    expect(events.some((e) => e.type === 'error-retry')).toBe(true);
    expect(result.finalText).toBe('42');
    await artifacts.flush();
    expect(JSON.parse(readFileSync(join(artifacts.logsDir, 'retry.decision.1.1.json'), 'utf8'))).toMatchObject({ action: 'retry', reason: 'transient_error', delayMs: 125, error: '503 busy' });
    expect(JSON.parse(readFileSync(join(artifacts.logsDir, 'retry.decision.1.2.json'), 'utf8'))).toMatchObject({ action: 'accept' });
    // A client that keeps failing: the cap turns the last failure into an error for the caller.
    const down = new ScriptedClient(enc, [{ error: new RetryableError('503 busy') }]);
    await expect(turn(down, USER, { sleep: async () => undefined }).run).rejects.toThrowError('503 busy');
    expect(down.requests).toHaveLength(3);
  });

  it('tool calls are run and the turn continues with the tool result', async () => {
    const client = new ScriptedClient(enc, [CALC_CALL, final('6 × 7 = 42.')]);
    const result = await turn(client, USER, { tools: CALC_TOOLS }).run;
    expect(result.attempts.map((a) => [a.kind, a.decision.action])).toEqual([['first', 'tool'], ['tool', 'accept']]);
    expect(client.requests[0].developer?.tools?.map((t) => t.name)).toEqual(['calc']);
    expect(client.requests[1].messages.slice(-2)).toEqual([
      { role: 'assistant', channel: 'commentary', recipient: 'functions.calc', contentType: '<|constrain|>json', content: '{"expression":"6*7"}' },
      { role: 'tool', name: 'functions.calc', recipient: 'assistant', channel: 'commentary', content: '42' },
    ]);
    expect(result.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant']);
  });

  it('the tool-round cap answers the call it does not run with an error tool result: the next prompt has no unanswered <|call|>', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wgh-turn-toolcap-'));
    const artifacts = await RunArtifacts.create({ runsDir: dir, frontEnd: 'cli', runId: 'r1' });
    const ran: string[] = [];
    const tools: ToolExecutor = { ...CALC_TOOLS, run: async (c, o) => (ran.push(c.id), CALC_TOOLS.run(c, o)) };
    const client = new ScriptedClient(enc, [CALC_CALL, CALC_CALL, final('never asked for')]);
    const { run, events } = turn(client, { ...USER, maxToolRounds: 1 }, { tools, artifacts });
    const result = await run;
    expect(client.requests).toHaveLength(2);
    expect(ran).toHaveLength(1);
    expect(result.attempts.map((a) => [a.kind, a.decision.action, a.decision.reason])).toEqual([['first', 'tool', null], ['tool', 'give-up', 'tool_limit']]);
    expect(result.attempts[1].decision.detail).toBe('1 tool call(s) not run: the tool limit of this turn was reached (maxToolRounds 1)');
    expect(result.gaveUp).toBe(true);
    expect(result.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant', 'tool']);
    const limitResult = result.messages[4];
    expect(limitResult).toMatchObject({ role: 'tool', name: 'functions.calc', recipient: 'assistant', channel: 'commentary' });
    expect(JSON.parse(limitResult.content)).toEqual({ error: 'not run: the tool limit of this turn was reached (maxToolRounds 1)' });
    const results = events.filter((e) => e.type === 'tool-result');
    expect(results.map((e) => e.type === 'tool-result' && e.outcome.ok)).toEqual([true, false]);
    await artifacts.flush();
    expect(JSON.parse(readFileSync(join(artifacts.logsDir, 'retry.decision.1.2.json'), 'utf8'))).toMatchObject({ action: 'give-up', reason: 'tool_limit', attemptKind: 'tool' });

    // The next turn's prompt: every <|call|> is followed by its tool message, never by the user's.
    const next = new ScriptedClient(enc, [final('OK.')]);
    await runTurn({ turn: 2, history: result.messages, userMessage: 'And then?', settings: USER }, { client: next, encoding: enc, tools });
    const prompt = enc.decode(renderChatPrompt(enc, next.requests[0]));
    const afterCalls = prompt.split('<|call|>').slice(1);
    expect(afterCalls).toHaveLength(2);
    for (const rest of afterCalls) expect(rest.startsWith('<|start|>functions.calc to=assistant<|channel|>commentary<|message|>'), rest.slice(0, 80)).toBe(true);
    expect(prompt).toContain('{\"error\":\"not run: the tool limit of this turn was reached (maxToolRounds 1)\"}<|end|><|start|>user<|message|>And then?');
  });

  it('maxToolRounds 0: no tool runs; the call is answered by the limit error', async () => {
    const client = new ScriptedClient(enc, [CALC_CALL]);
    let numRuns = 0;
    const result = await turn(client, { ...USER, maxToolRounds: 0 }, { tools: { ...CALC_TOOLS, run: async (c, o) => (numRuns++, CALC_TOOLS.run(c, o)) } }).run;
    expect(numRuns).toBe(0);
    expect(result.attempts.map((a) => [a.decision.action, a.decision.reason])).toEqual([['give-up', 'tool_limit']]);
    expect(result.messages.map((m) => [m.role, m.recipient])).toEqual([['user', undefined], ['assistant', 'functions.calc'], ['tool', 'assistant']]);
    expect(JSON.parse(result.messages[2].content)).toEqual({ error: 'not run: the tool limit of this turn was reached (maxToolRounds 0)' });
  });

  it('Ctrl-C (abort) stops the reply; only its answer text is kept and nothing is retried', async () => {
    const client = new ReplayClient({ completions: [reasoned('Let me think about it.', 'The answer is forty-two, as everyone knows.')], tokenDelayMs: 1 }, enc);
    const controller = new AbortController();
    let finalDeltas = 0;
    const result = await runTurn({ turn: 1, history: [], userMessage: 'q', settings: USER }, {
      client, encoding: enc, signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'client' && e.event.type === 'delta' && e.event.channel === 'final' && ++finalDeltas === 3) controller.abort();
      },
    });
    expect(result.cancelled).toBe(true);
    expect(result.attempts).toHaveLength(1);
    expect(result.messages.map((m) => m.channel)).toEqual([undefined, 'final']);
    expect(result.finalText.length).toBeGreaterThan(0);
    expect('The answer is forty-two, as everyone knows.'.startsWith(result.finalText)).toBe(true);
  });

  it('writes every artifact of every attempt, with the decision and its reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wgh-turn-art-'));
    const artifacts = await RunArtifacts.create({ runsDir: dir, frontEnd: 'cli', runId: 'r1' });
    const client = new ScriptedClient(enc, [{ text: final(LOOPY), loop: true }, final('42')]);
    await turn(client, USER, { artifacts }).run;
    await artifacts.flush();
    const logs = readdirSync(artifacts.logsDir).sort();
    for (const attempt of [1, 2]) {
      for (const name of ['prompt.full', 'prompt.tokens', 'completion.tokens', 'completion.raw', 'completion.cleaned', 'parse.channels', 'retry.decision']) {
        expect(logs.some((f) => f.startsWith(`${name}.1.${attempt}.`)), `${name}.1.${attempt}`).toBe(true);
      }
    }
    const decision = JSON.parse(readFileSync(join(artifacts.logsDir, 'retry.decision.1.1.json'), 'utf8'));
    expect(decision).toMatchObject({ turn: 1, attempt: 1, action: 'retry', reason: 'loop_detected', params: { loopDetection: 'cheap' } });
    expect(readFileSync(join(artifacts.logsDir, 'completion.cleaned.1.2.txt'), 'utf8')).toBe('42');
    expect(readFileSync(artifacts.timingFile, 'utf8').trim().split('\n')).toHaveLength(3);
  });
});
