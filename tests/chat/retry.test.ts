// The retry policy as pure functions: decisions per reason, resume vs restart, the attempt cap,
// overrides computed from the user's settings, backoff with an injected random source.
import { describe, expect, it } from 'vitest';
import { ChatError, RetryableError } from '../../src/errors.js';
import {
  ANALYSIS_ONLY_GUIDANCE, backoffMs, generationParamsOf, REPETITION_GUIDANCE, retryPolicyOf, shouldRetry, shouldRetryError, type AttemptOutcome,
} from '../../src/chat/retry.js';
import { DEFAULT_CHAT_SETTINGS, type ChatSettings } from '../../src/chat/settings.js';

const USER: ChatSettings = { ...DEFAULT_CHAT_SETTINGS, maxTokens: 100, maxAttempts: 3, repetitionPenalty: 1, presencePenalty: 0.1, seed: 7 };
const POLICY = retryPolicyOf(USER, 4000);
const GOOD: AttemptOutcome = {
  finishReason: 'stop', stopReason: { kind: 'stop_token', id: 200002 }, hasFinal: true, hasAnalysis: true, numToolCalls: 0, repetition: [], promptTokens: 500, completionTokens: 50, resumable: true,
};

describe('shouldRetry', () => {
  it('accepts a complete reply and a cancelled one', () => {
    expect(shouldRetry(GOOD, 1, POLICY, USER)).toMatchObject({ action: 'accept', reason: null, overrides: {} });
    expect(shouldRetry({ ...GOOD, finishReason: 'cancelled', stopReason: { kind: 'cancelled' }, hasFinal: false }, 1, POLICY, USER).action).toBe('accept');
  });

  it('length: resumes the cut reply when it fits, else restarts with more tokens, else gives up', () => {
    const cut: AttemptOutcome = { ...GOOD, finishReason: 'length', stopReason: { kind: 'max_tokens' }, completionTokens: 100 };
    const resume = shouldRetry(cut, 1, POLICY, USER);
    expect(resume).toMatchObject({ action: 'resume', reason: 'length', overrides: {} });
    expect(resume.guidance).toBeUndefined();
    const noResume = shouldRetry(cut, 1, { ...POLICY, resumeOnLength: false }, USER);
    expect(noResume).toMatchObject({ action: 'retry', reason: 'length', overrides: { maxTokens: 200 } });
    expect(shouldRetry(cut, 2, { ...POLICY, resumeOnLength: false }, USER).overrides.maxTokens).toBe(400);
    // 500 + 100 + 100 > 650: no room to resume; restart gets 150 (room) > 100.
    expect(shouldRetry(cut, 1, { ...POLICY, contextLimit: 650 }, USER)).toMatchObject({ action: 'retry', overrides: { maxTokens: 150 } });
    expect(shouldRetry(cut, 1, { ...POLICY, contextLimit: 590 }, USER).action).toBe('give-up');
  });

  it('length from a client that cannot continue a cut-off reply (plain OpenAI / Ollama server): restarts with more tokens and says why', () => {
    const cut: AttemptOutcome = { ...GOOD, finishReason: 'length', stopReason: { kind: 'max_tokens' }, completionTokens: 100, resumable: false };
    const restart = shouldRetry(cut, 1, POLICY, USER);
    expect(restart).toMatchObject({ action: 'retry', reason: 'length', overrides: { maxTokens: 200 } });
    expect(restart.detail).toBe('cut at maxTokens after 100 tokens; the client cannot continue a cut-off reply (no raw completion to resume from), restarting with maxTokens 200');
    expect(shouldRetry(cut, 2, POLICY, USER).overrides.maxTokens).toBe(400);
    const noRoom = shouldRetry(cut, 1, { ...POLICY, contextLimit: 590 }, USER);
    expect(noRoom).toMatchObject({ action: 'give-up', reason: 'length' });
    expect(noRoom.detail).toMatch(/cannot continue a cut-off reply.*no room in the context/);
    // With resuming switched off the client's ability does not matter: the detail stays the plain restart.
    expect(shouldRetry(cut, 1, { ...POLICY, resumeOnLength: false }, USER).detail).toBe('cut at maxTokens after 100 tokens; restarting with maxTokens 200');
  });

  it('loop_detected: raises penalties, switches loop detection to full, new seed, guidance', () => {
    const loop: AttemptOutcome = { ...GOOD, stopReason: { kind: 'loop_detected', period: 4, span: 40 } };
    const d = shouldRetry(loop, 1, POLICY, USER);
    expect(d).toMatchObject({ action: 'retry', reason: 'loop_detected', guidance: REPETITION_GUIDANCE });
    expect(d.overrides).toEqual({ repetitionPenalty: 1.1, presencePenalty: 0.5, frequencyPenalty: 0.2, loopDetection: 'full', seed: 8 });
    const d2 = shouldRetry(loop, 2, POLICY, USER);
    expect(d2.overrides.repetitionPenalty).toBeCloseTo(1.2);
    expect(d2.overrides.seed).toBe(9);
  });

  it('repetitive text (post-parse) and analysis-only replies are retried with guidance', () => {
    const rep = { ...GOOD, repetition: [{ channel: 'final', kind: 'periodic-tail' as const, unit: 'la ', repeats: 30, ratio: 0.9 }] };
    const d = shouldRetry(rep, 1, POLICY, USER);
    expect(d).toMatchObject({ action: 'retry', reason: 'repetitive', guidance: REPETITION_GUIDANCE });
    expect(d.detail).toMatch(/repetitive final text/);
    const only = shouldRetry({ ...GOOD, hasFinal: false }, 1, POLICY, USER);
    expect(only).toMatchObject({ action: 'retry', reason: 'analysis_only', guidance: ANALYSIS_ONLY_GUIDANCE, overrides: { seed: 8 } });
  });

  it('tool calls continue the turn; reasons have a fixed priority', () => {
    expect(shouldRetry({ ...GOOD, hasFinal: false, numToolCalls: 1 }, 1, POLICY, USER).action).toBe('tool');
    const everything: AttemptOutcome = {
      ...GOOD, finishReason: 'length', stopReason: { kind: 'loop_detected' }, hasFinal: false,
      repetition: [{ channel: 'analysis', kind: 'low-diversity', unit: 'a b c d e', repeats: 9, ratio: 0.1 }],
    };
    expect(shouldRetry(everything, 1, POLICY, USER).reason).toBe('loop_detected');
    expect(shouldRetry({ ...everything, stopReason: { kind: 'max_tokens' } }, 1, POLICY, USER).reason).toBe('repetitive');
  });

  it('the attempt cap turns any retry into give-up', () => {
    const loop: AttemptOutcome = { ...GOOD, stopReason: { kind: 'loop_detected' } };
    expect(shouldRetry(loop, 2, POLICY, USER).action).toBe('retry');
    const capped = shouldRetry(loop, 3, POLICY, USER);
    expect(capped).toMatchObject({ action: 'give-up', reason: 'loop_detected', attempt: 3, maxAttempts: 3 });
    expect(capped.detail).toMatch(/attempt cap 3/);
    expect(shouldRetry(loop, 1, { ...POLICY, maxAttempts: 1 }, USER).action).toBe('give-up');
  });

  it('is pure: same inputs, same decision; the user settings object is untouched', () => {
    const frozen = Object.freeze({ ...USER });
    const loop: AttemptOutcome = { ...GOOD, stopReason: { kind: 'loop_detected' } };
    expect(shouldRetry(loop, 1, POLICY, frozen)).toEqual(shouldRetry(loop, 1, POLICY, frozen));
    expect(frozen).toEqual(USER);
  });
});

describe('generationParamsOf', () => {
  it('overrides apply on top of the user settings only for that attempt', () => {
    const params = generationParamsOf(USER, { maxTokens: 300, loopDetection: 'full' });
    expect(params).toMatchObject({ maxTokens: 300, loopDetection: 'full', temperature: USER.temperature, seed: 7 });
    expect(generationParamsOf(USER, {})).toMatchObject({ maxTokens: 100, loopDetection: 'cheap' });
  });
});

describe('transient errors', () => {
  it('retries RetryableError under the cap only', () => {
    expect(shouldRetryError(new RetryableError('503'), 1, POLICY)).toBe(true);
    expect(shouldRetryError(new RetryableError('503'), 3, POLICY)).toBe(false);
    expect(shouldRetryError(new ChatError('bad'), 1, POLICY)).toBe(false);
  });

  it('backoff grows exponentially, is capped and jittered within [half, full]', () => {
    expect(backoffMs(1, POLICY, () => 0)).toBe(125);
    expect(backoffMs(1, POLICY, () => 0.999999)).toBe(250);
    expect(backoffMs(3, POLICY, () => 0.5)).toBe(750);
    expect(backoffMs(20, POLICY, () => 0)).toBe(2000);
    expect(backoffMs(20, POLICY, () => 0.999999)).toBe(4000);
  });
});
