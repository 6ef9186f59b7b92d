// runTurn with an injected client: the retry policy in action (length → resume, loop, analysis-only,
// repetitive), the attempt cap, restored settings, transient guidance, tools, transient errors.
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
import { RetryableError } from '../../src/errors.js';
import { HarmonyEncoding } from '../../src/harmony/encoding.js';
import { ReplayClient } from '../../src/chat/replay-client.js';
import { final, reasoned, ScriptedClient } from './helpers/scripted-client.js';

let enc: HarmonyEncoding;
beforeAll(async () => {
  enc = await HarmonyEncoding.load();
});

const USER: ChatSettings = Object.freeze({ ...DEFAULT_CHAT_SETTINGS, maxTokens: 64, maxAttempts: 3, seed: 5, artifacts: false });
const LOOPY = 'again and again and again '.repeat(12);

function turn(client: ScriptedClient | ReplayClient, settings: ChatSettings = USER, extra: Partial<Parameters<typeof runTurn>[1]> = {}) {
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
    const call = '<|channel|>commentary to=functions.calc <|constrain|>json<|message|>{"expression":"6*7"}<|call|>';
    const client = new ScriptedClient(enc, [call, final('6 × 7 = 42.')]);
    const tools: ToolExecutor = {
      descriptions: [{ name: 'calc', description: 'Evaluates arithmetic.', parameters: { type: 'object', properties: { expression: { type: 'string' } } } }],
      run: async (c) => ({ ok: true, output: c.type === 'function' && c.function.arguments.includes('6*7') ? '42' : '?', ms: 1 }),
    };
    const result = await turn(client, USER, { tools }).run;
    expect(result.attempts.map((a) => [a.kind, a.decision.action])).toEqual([['first', 'tool'], ['tool', 'accept']]);
    expect(client.requests[0].developer?.tools?.map((t) => t.name)).toEqual(['calc']);
    expect(client.requests[1].messages.slice(-2)).toEqual([
      { role: 'assistant', channel: 'commentary', recipient: 'functions.calc', contentType: '<|constrain|>json', content: '{"expression":"6*7"}' },
      { role: 'tool', name: 'functions.calc', recipient: 'assistant', channel: 'commentary', content: '42' },
    ]);
    expect(result.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant']);
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
