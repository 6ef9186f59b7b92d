// The retry policy: pure functions of an attempt's outcome, the attempt number, the policy and the
// user's settings. Nothing here mutates settings: a decision carries `overrides` for the NEXT attempt
// only, always computed from the user's values, so the user's settings are what the following turn
// uses (they are "restored" by construction).
//
// Reasons (first match wins):  loop_detected (the engine stopped a loop) · repetitive (post-parse
// check, any channel) · length (cut by maxTokens) · analysis_only (reasoning but no final answer).
// Actions: accept · tool (the reply ends in tool calls: run them, continue) · resume (continue the
// cut-off reply: its prompt is the old prompt + the old completion, so nothing is recomputed; only
// when the client can continue a raw reply, else `length` restarts with more max tokens) ·
// retry (start over with overrides and transient guidance) · give-up (attempt cap or no room; the
// turn also gives up with reason tool_limit when the tool-round cap stops tool calls).
// Transient client errors (RetryableError) are retried with exponential, capped, jittered backoff.

import { RetryableError } from '../errors.js';
import type { FinishReason, LoopDetectionMode, StopReason } from '../generate/types.js';
import { MAX_ADDITIVE_PENALTY } from '../generate/sampling-params.js';
import type { ClientGenerationParams } from '../client/types.js';
import type { ChannelRepetition } from './repetition.js';
import { samplingOf, type ChatSettings } from './settings.js';

export type RetryReason = 'length' | 'loop_detected' | 'analysis_only' | 'repetitive' | 'transient_error' | 'tool_limit';
export type RetryAction = 'accept' | 'tool' | 'resume' | 'retry' | 'give-up';

/** What an attempt produced, as far as the policy cares. */
export interface AttemptOutcome {
  readonly finishReason: FinishReason;
  readonly stopReason: StopReason;
  /** A non-empty final-channel message (or channel-less text). */
  readonly hasFinal: boolean;
  readonly hasAnalysis: boolean;
  readonly numToolCalls: number;
  readonly repetition: readonly ChannelRepetition[];
  /** Prompt tokens of this attempt (a continuation included) and the tokens it generated. */
  readonly promptTokens: number;
  readonly completionTokens: number;
  /**
   * The reply can be continued where it was cut: the client takes a raw continuation
   * (GenerationClient.canContinue) and returned this attempt's raw completion text.
   */
  readonly resumable: boolean;
}

/** Parameters a retry may change for one attempt. */
export interface ParamOverrides {
  readonly maxTokens?: number;
  readonly repetitionPenalty?: number;
  readonly presencePenalty?: number;
  readonly frequencyPenalty?: number;
  readonly loopDetection?: LoopDetectionMode;
  readonly seed?: number;
}

export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly resumeOnLength: boolean;
  /** Prompt + reply must stay at or below this (maxContextTokens − margin). */
  readonly contextLimit: number;
  /** maxTokens × growth^level on a restart after `length`. */
  readonly maxTokensGrowth: number;
  readonly repetitionPenaltyStep: number;
  readonly repetitionPenaltyCap: number;
  readonly presencePenaltyStep: number;
  readonly frequencyPenaltyStep: number;
  readonly backoffBaseMs: number;
  readonly backoffCapMs: number;
}

export const DEFAULT_RETRY_TUNING = Object.freeze({
  maxTokensGrowth: 2,
  repetitionPenaltyStep: 0.1,
  repetitionPenaltyCap: 1.5,
  presencePenaltyStep: 0.4,
  frequencyPenaltyStep: 0.2,
  backoffBaseMs: 250,
  backoffCapMs: 4000,
});

export function retryPolicyOf(settings: ChatSettings, contextLimit: number): RetryPolicy {
  return { ...DEFAULT_RETRY_TUNING, maxAttempts: settings.maxAttempts, resumeOnLength: settings.resumeOnLength, contextLimit };
}

export const REPETITION_GUIDANCE =
  'Your previous attempt at this reply repeated itself. Do not repeat words, sentences or steps; keep the reasoning short and give the answer.';
export const ANALYSIS_ONLY_GUIDANCE =
  'Your previous attempt reasoned but never answered. Keep the analysis brief, then always write the answer to the user in the final channel.';

export interface RetryDecision {
  readonly action: RetryAction;
  readonly reason: RetryReason | null;
  /** One human line: why. */
  readonly detail: string;
  /** The attempt just judged (1-based, for this reply) and the cap. */
  readonly attempt: number;
  readonly maxAttempts: number;
  /** For the next attempt, on top of the user's settings. */
  readonly overrides: ParamOverrides;
  /** Transient developer guidance for the next attempt; never stored in the conversation. */
  readonly guidance?: string;
  readonly delayMs: number;
}

/** The retry reason of an outcome, or null when it is good. */
export function retryReasonOf(outcome: AttemptOutcome): { reason: RetryReason; detail: string } | null {
  if (outcome.stopReason.kind === 'loop_detected') return { reason: 'loop_detected', detail: 'the engine detected a loop' };
  const rep = outcome.repetition[0];
  if (rep !== undefined) {
    const unit = rep.unit.length > 40 ? `${rep.unit.slice(0, 37)}...` : rep.unit;
    return { reason: 'repetitive', detail: `repetitive ${rep.channel} text (${rep.kind}: ${JSON.stringify(unit)} ×${rep.repeats})` };
  }
  if (outcome.finishReason === 'length') return { reason: 'length', detail: `cut at maxTokens after ${outcome.completionTokens} tokens` };
  if (!outcome.hasFinal && outcome.numToolCalls === 0 && outcome.hasAnalysis) return { reason: 'analysis_only', detail: 'analysis but no final message' };
  return null;
}

/** Penalties raised and loop detection switched to `full`, growing with the retry level. */
function antiRepetition(user: ChatSettings, level: number): ParamOverrides {
  return {
    repetitionPenalty: Math.min(Math.max(user.repetitionPenalty, 1) + DEFAULT_RETRY_TUNING.repetitionPenaltyStep * level, Math.max(user.repetitionPenalty, DEFAULT_RETRY_TUNING.repetitionPenaltyCap)),
    presencePenalty: Math.min(user.presencePenalty + DEFAULT_RETRY_TUNING.presencePenaltyStep * level, MAX_ADDITIVE_PENALTY),
    frequencyPenalty: Math.min(user.frequencyPenalty + DEFAULT_RETRY_TUNING.frequencyPenaltyStep * level, MAX_ADDITIVE_PENALTY),
    loopDetection: 'full',
    seed: user.seed + level,
  };
}

/**
 * Decides what follows attempt `attempt` (1-based within this reply) of a reply.
 * Pure: same inputs, same decision.
 */
export function shouldRetry(outcome: AttemptOutcome, attempt: number, policy: RetryPolicy, user: ChatSettings): RetryDecision {
  const base = { attempt, maxAttempts: policy.maxAttempts, overrides: {}, delayMs: 0 };
  if (outcome.finishReason === 'cancelled') return { ...base, action: 'accept', reason: null, detail: 'cancelled by the user' };
  if (outcome.numToolCalls > 0 && outcome.finishReason === 'stop') {
    return { ...base, action: 'tool', reason: null, detail: `${outcome.numToolCalls} tool call(s) to answer` };
  }
  const found = retryReasonOf(outcome);
  if (found === null) return { ...base, action: 'accept', reason: null, detail: 'complete reply' };
  const { reason, detail } = found;
  if (attempt >= policy.maxAttempts) {
    const cap = policy.maxAttempts === 1 ? 'retries are off (maxAttempts 1)' : `attempt cap ${policy.maxAttempts} reached, keeping the best attempt`;
    return { ...base, action: 'give-up', reason, detail: `${detail}; ${cap}` };
  }
  const level = attempt;
  if (reason === 'length') {
    const resumedPrompt = outcome.promptTokens + outcome.completionTokens;
    const resumeFits = outcome.completionTokens > 0 && resumedPrompt + user.maxTokens <= policy.contextLimit;
    if (policy.resumeOnLength && outcome.resumable && resumeFits) {
      return { ...base, action: 'resume', reason, detail: `${detail}; continuing the same reply (${resumedPrompt} tokens already in the cache)` };
    }
    // Said in the detail when resuming was wanted but the client (a plain OpenAI or Ollama server) cannot do it.
    const cannotContinue = policy.resumeOnLength && !outcome.resumable ? 'the client cannot continue a cut-off reply (no raw completion to resume from)' : null;
    const room = policy.contextLimit - outcome.promptTokens;
    const maxTokens = Math.min(Math.round(user.maxTokens * policy.maxTokensGrowth ** level), room);
    if (maxTokens <= user.maxTokens) {
      const why = cannotContinue !== null ? `${cannotContinue}, and no room in the context to allow more tokens` : 'no room in the context to resume or to allow more tokens';
      return { ...base, action: 'give-up', reason, detail: `${detail}; ${why}` };
    }
    const restart = `restarting with maxTokens ${maxTokens}`;
    return { ...base, action: 'retry', reason, detail: `${detail}; ${cannotContinue !== null ? `${cannotContinue}, ${restart}` : restart}`, overrides: { maxTokens } };
  }
  if (reason === 'analysis_only') {
    return { ...base, action: 'retry', reason, detail, overrides: { seed: user.seed + level }, guidance: ANALYSIS_ONLY_GUIDANCE };
  }
  return { ...base, action: 'retry', reason, detail, overrides: antiRepetition(user, level), guidance: REPETITION_GUIDANCE };
}

/** Retry a failed request? Only RetryableErrors (transient client failures), under the cap. */
export function shouldRetryError(err: unknown, attempt: number, policy: RetryPolicy): boolean {
  return err instanceof RetryableError && attempt < policy.maxAttempts;
}

/** Exponential backoff, capped, with "equal jitter": half fixed, half random. `random` in [0, 1). */
export function backoffMs(attempt: number, policy: Pick<RetryPolicy, 'backoffBaseMs' | 'backoffCapMs'>, random: () => number): number {
  const exp = Math.min(policy.backoffCapMs, policy.backoffBaseMs * 2 ** Math.max(attempt - 1, 0));
  return Math.round(exp / 2 + (exp / 2) * random());
}

/** The generation parameters of an attempt: the user's settings with the attempt's overrides. */
export function generationParamsOf(user: ChatSettings, overrides: ParamOverrides): ClientGenerationParams {
  return {
    ...samplingOf(user),
    maxTokens: user.maxTokens,
    loopDetection: user.loopDetection,
    ...(user.maxKvSize > 0 ? { maxKvSize: user.maxKvSize } : {}),
    ...overrides,
  };
}
