// One chat turn end to end, independent of the GenerationClient behind it (local engine, HTTP):
//   conversation + settings → context budget → ChatRequest → client.chat (streamed events out)
//   → parse result → retry policy → (resume | retry | run tools and continue | done) → artifacts.
// The caller's conversation and settings are never mutated: the result lists the messages to
// append, and retries change parameters only through per-attempt overrides.
//
//   const result = await runTurn({ turn: 1, history, userMessage: 'Hi', settings }, { client, encoding, artifacts, onEvent });
//
// Numbering: `turn` is the caller's (1-based); `attempt` counts every generation of the turn
// (retries, resumes and continuations after tool results), 1-based, as artifact names use it.

import { ChatError, RetryableError } from '../errors.js';
import type { FinishReason, GenerationMetrics } from '../generate/types.js';
import type { HarmonyEncoding } from '../harmony/encoding.js';
import { toolResultMessage, type ToolCall } from '../harmony/tool-calls.js';
import type { Message, TextMessage } from '../harmony/types.js';
import { renderChatPrompt } from '../client/local.js';
import { harmonyMessagesOf, type ChatRequest, type ChatResult, type ClientEvent, type ClientGenerationParams, type Continuation, type DeveloperSpec, type GenerationClient, type SystemSpec, type Usage } from '../client/types.js';
import type { RunArtifacts } from './artifacts.js';
import { finalTextOf, outcomeOf, parseArtifactOf, replyScore, storedMessages, StreamAccumulator } from './attempt.js';
import { createTokenCounter, fitContext } from './budget.js';
import { backoffMs, generationParamsOf, retryPolicyOf, shouldRetry, shouldRetryError, type ParamOverrides, type RetryDecision } from './retry.js';
import type { ChatSettings } from './settings.js';
import { toolError, type ToolExecutor, type ToolOutcome } from './tools.js';

export type AttemptKind = 'first' | 'retry' | 'resume' | 'tool';

export type TurnEvent =
  | { readonly type: 'attempt-start'; readonly turn: number; readonly attempt: number; readonly kind: AttemptKind; readonly detail?: string; readonly promptMessages: number; readonly droppedTurns: number }
  | { readonly type: 'client'; readonly attempt: number; readonly event: ClientEvent }
  | { readonly type: 'decision'; readonly attempt: number; readonly decision: RetryDecision }
  | { readonly type: 'tool-start'; readonly call: ToolCall }
  | { readonly type: 'tool-result'; readonly call: ToolCall; readonly outcome: ToolOutcome }
  | { readonly type: 'error-retry'; readonly attempt: number; readonly message: string; readonly delayMs: number };

export interface TurnInput {
  readonly turn: number;
  /** The conversation before this turn (user / assistant / tool messages). */
  readonly history: readonly TextMessage[];
  readonly userMessage: string;
  /** The user's settings; never changed by the turn. */
  readonly settings: ChatSettings;
}

export interface TurnDeps {
  readonly client: GenerationClient;
  /** Counts tokens for the budget and renders prompt text for artifacts (o200k_harmony). */
  readonly encoding: HarmonyEncoding;
  readonly artifacts?: RunArtifacts | null;
  readonly tools?: ToolExecutor | null;
  readonly onEvent?: (event: TurnEvent) => void;
  readonly signal?: AbortSignal;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random?: () => number;
  /** Milliseconds (wall time of attempts). */
  readonly clock?: () => number;
  /** Token counts of messages, kept across turns by the caller (see createTokenCounter). */
  readonly tokenCounts?: WeakMap<Message, number>;
}

export interface AttemptSummary {
  readonly attempt: number;
  readonly kind: AttemptKind;
  readonly params: ClientGenerationParams;
  readonly guidance?: string;
  readonly decision: RetryDecision;
  readonly metrics: GenerationMetrics;
  readonly usage: Usage;
}

export interface TurnResult {
  readonly turn: number;
  /** Append these to the conversation: the user message, then assistant and tool messages. */
  readonly messages: readonly TextMessage[];
  readonly finalText: string;
  readonly attempts: readonly AttemptSummary[];
  readonly usage: Usage;
  readonly finishReason: FinishReason;
  readonly cancelled: boolean;
  /** The attempt cap (or the tool-round cap, or the context) ended the turn with a flawed reply. */
  readonly gaveUp: boolean;
  readonly droppedTurns: number;
}

/** A function, so that TypeScript does not narrow `signal.aborted` across awaits. */
function aborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

/** Why a tool call was not run: the turn's tool rounds are used up (maxToolRounds may be 0). */
function toolLimitText(maxToolRounds: number): string {
  return `the tool limit of this turn was reached (maxToolRounds ${maxToolRounds})`;
}

/** `<|start|>assistant` after the messages. */
const ASSISTANT_TAIL_TOKENS = 2;

export function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** System and developer parts of a request; `guidance` is appended to the instructions for one attempt. */
export function promptSpecsOf(settings: ChatSettings, tools: ToolExecutor | null | undefined, guidance?: string): { system: SystemSpec; developer: DeveloperSpec } {
  const instructions = [settings.instructions, guidance ?? ''].filter((s) => s.length > 0).join('\n\n');
  return {
    system: { reasoningEffort: settings.reasoningEffort, ...(settings.system.length > 0 ? { modelIdentity: settings.system } : {}) },
    developer: { ...(instructions.length > 0 ? { instructions } : {}), ...(tools && tools.descriptions.length > 0 ? { tools: tools.descriptions } : {}) },
  };
}

function emptyMetrics(finishReason: FinishReason, maxKvSize: number, seed: number): GenerationMetrics {
  return {
    promptTokens: 0, cachedTokens: 0, completionTokens: 0, prefillSeconds: 0, ttftSeconds: 0, decodeSeconds: 0, decodeTokensPerSecond: 0,
    kvLength: 0, maxKvSize, loopDetection: 'off', finishReason, stopReason: finishReason, prefixAction: 'extend', seed, queueSeconds: 0,
  };
}

/** A result for a request that was cancelled before the client produced one. */
function cancelledResult(acc: StreamAccumulator, promptTokens: number, params: ClientGenerationParams): ChatResult {
  return {
    messages: acc.snapshot(), toolCalls: [], finishReason: 'cancelled', stopReason: { kind: 'cancelled' },
    usage: { promptTokens, completionTokens: acc.numTokens, cachedTokens: 0 }, metrics: emptyMetrics('cancelled', params.maxKvSize ?? 0, params.seed ?? 0), parseWarnings: [],
  };
}

export async function runTurn(input: TurnInput, deps: TurnDeps): Promise<TurnResult> {
  const { settings } = input;
  const { client, encoding, signal } = deps;
  const clock = deps.clock ?? (() => performance.now());
  const sleep = deps.sleep ?? defaultSleep;
  const random = deps.random ?? Math.random;
  const emit = deps.onEvent ?? (() => undefined);
  const maxContextTokens = Math.min(settings.maxContextTokens, client.contextLength ?? Number.POSITIVE_INFINITY);
  const policy = retryPolicyOf(settings, maxContextTokens - settings.contextMarginTokens);

  const turnMessages: TextMessage[] = [{ role: 'user', content: input.userMessage }];
  const attempts: AttemptSummary[] = [];
  let candidates: { messages: readonly TextMessage[]; score: number }[] = [];
  let attemptNo = 0;
  let replyAttempt = 0;
  let toolRounds = 0;
  let kind: AttemptKind = 'first';
  let kindDetail: string | undefined;
  let overrides: ParamOverrides = {};
  let guidance: string | undefined;
  let continuation: Continuation | undefined;
  let droppedTurns = 0;
  const finish = (finishReason: FinishReason, cancelled: boolean, gaveUp: boolean): TurnResult => {
    const sum = (key: keyof Usage) => attempts.reduce((s, a) => s + a.usage[key], 0);
    return {
      turn: input.turn, messages: turnMessages, finalText: finalTextOf(turnMessages.filter((m) => m.role === 'assistant')), attempts,
      usage: { promptTokens: sum('promptTokens'), completionTokens: sum('completionTokens'), cachedTokens: sum('cachedTokens') },
      finishReason, cancelled, gaveUp, droppedTurns,
    };
  };

  for (;;) {
    attemptNo++;
    replyAttempt++;
    const params = generationParamsOf(settings, overrides);
    const specs = promptSpecsOf(settings, deps.tools, guidance);
    const fixed = harmonyMessagesOf({ ...specs, messages: [], params });
    const counter = createTokenCounter(encoding.tokenizer, (specs.developer.tools ?? []).length > 0, deps.tokenCounts);
    const contTokens = continuation === undefined ? 0 : continuation.tokenIds?.length ?? encoding.tokenizer.encodeWithSpecials(continuation.text).length;
    const budget = fitContext(fixed, [...input.history, ...turnMessages], counter, {
      maxContextTokens, marginTokens: settings.contextMarginTokens, reserveTokens: params.maxTokens, maxHistoryTurns: settings.maxHistoryTurns, tailTokens: ASSISTANT_TAIL_TOKENS + contTokens,
    });
    droppedTurns = budget.droppedTurns;
    const request: ChatRequest = { ...specs, messages: budget.messages, params, ...(continuation !== undefined ? { continuation } : {}) };
    emit({ type: 'attempt-start', turn: input.turn, attempt: attemptNo, kind, ...(kindDetail !== undefined ? { detail: kindDetail } : {}), promptMessages: budget.messages.length, droppedTurns });

    const start = clock();
    const acc = new StreamAccumulator();
    let result: ChatResult;
    try {
      const stream = client.chat(request, signal !== undefined ? { signal } : {});
      for await (const event of stream) {
        acc.push(event);
        emit({ type: 'client', attempt: attemptNo, event });
      }
      result = await stream.result;
    } catch (err) {
      if (aborted(signal)) result = cancelledResult(acc, budget.promptTokens, params);
      else {
        const retry = shouldRetryError(err, replyAttempt, policy);
        const message = err instanceof Error ? err.message : String(err);
        const decision: RetryDecision = {
          action: retry ? 'retry' : 'give-up', reason: err instanceof RetryableError ? 'transient_error' : null, detail: `${client.kind} client failed: ${message}`,
          attempt: replyAttempt, maxAttempts: policy.maxAttempts, overrides: {}, delayMs: retry ? backoffMs(replyAttempt, policy, random) : 0,
        };
        deps.artifacts?.recordFailedAttempt({ turn: input.turn, attempt: attemptNo, kind, promptText: () => encoding.decode(renderChatPrompt(encoding, request)), decision, params, error: message });
        emit({ type: 'decision', attempt: attemptNo, decision });
        if (!retry) throw err;
        emit({ type: 'error-retry', attempt: attemptNo, message, delayMs: decision.delayMs });
        await sleep(decision.delayMs, signal);
        if (aborted(signal)) return finish('cancelled', true, false);
        continue;
      }
    }

    const outcome = outcomeOf(result, client.canContinue);
    let decision = shouldRetry(outcome, replyAttempt, policy, settings);
    // The tool-round cap ends the turn instead of running the calls; the decision (artifact, CLI) says so.
    const toolLimited = decision.action === 'tool' && toolRounds >= settings.maxToolRounds;
    if (toolLimited) decision = { ...decision, action: 'give-up', reason: 'tool_limit', detail: `${outcome.numToolCalls} tool call(s) not run: ${toolLimitText(settings.maxToolRounds)}` };
    deps.artifacts?.recordAttempt({
      turn: input.turn, attempt: attemptNo, kind,
      promptText: () => encoding.decode(result.promptTokenIds ?? renderChatPrompt(encoding, request)),
      ...(result.promptTokenIds !== undefined ? { promptIds: result.promptTokenIds } : {}),
      ...(result.completionTokenIds !== undefined ? { completionIds: result.completionTokenIds } : {}),
      rawCompletion: result.rawCompletionText ?? '', cleaned: finalTextOf(result.messages), parse: parseArtifactOf(result, outcome.repetition),
      decision, params, metrics: result.metrics, usage: result.usage, wallSeconds: (clock() - start) / 1000,
    });
    emit({ type: 'decision', attempt: attemptNo, decision });
    attempts.push({ attempt: attemptNo, kind, params, ...(guidance !== undefined ? { guidance } : {}), decision, metrics: result.metrics, usage: result.usage });
    candidates.push({ messages: result.messages, score: replyScore(outcome) });
    kindDetail = decision.detail;

    if (toolLimited) {
      // The calls stay in the conversation, each answered by an error tool result, as a failed tool
      // is. A Harmony `<|call|>` must be followed by its tool message: an unanswered call followed by
      // the next user message is a malformed conversation (and remote clients map every tool call to
      // an OpenAI `tool_calls` entry that servers expect a `tool` message for). Dropping the call
      // instead would hide from the model, and from a saved conversation, that it asked for a tool
      // that never ran; the error result tells it why, so a later turn can say so or try again.
      turnMessages.push(...storedMessages(result.messages, false));
      for (const { call } of result.toolCalls) {
        const notRun: ToolOutcome = { ok: false, output: toolError(`not run: ${toolLimitText(settings.maxToolRounds)}`), ms: 0 };
        emit({ type: 'tool-result', call, outcome: notRun });
        turnMessages.push(toolResultMessage(call, notRun.output));
      }
      return finish(result.finishReason, false, true);
    }
    if (decision.action === 'accept' || decision.action === 'give-up') {
      const best = decision.action === 'give-up' ? candidates.reduce((a, b) => (b.score >= a.score ? b : a)) : candidates[candidates.length - 1];
      turnMessages.push(...storedMessages(best.messages, result.finishReason === 'cancelled'));
      return finish(result.finishReason, result.finishReason === 'cancelled', decision.action === 'give-up');
    }
    if (decision.action === 'tool') {
      turnMessages.push(...storedMessages(result.messages, false));
      for (const { call } of result.toolCalls) {
        emit({ type: 'tool-start', call });
        const outcomeOfTool: ToolOutcome = deps.tools ? await deps.tools.run(call, signal !== undefined ? { signal } : {}) : { ok: false, output: toolError('no tools are configured in this chat'), ms: 0 };
        emit({ type: 'tool-result', call, outcome: outcomeOfTool });
        turnMessages.push(toolResultMessage(call, outcomeOfTool.output));
      }
      if (aborted(signal)) return finish('cancelled', true, false);
      toolRounds++;
      [replyAttempt, overrides, guidance, continuation, kind, candidates] = [0, {}, undefined, undefined, 'tool', []];
    } else if (decision.action === 'resume') {
      // Same prompt, same parameters: the new prompt is the old one plus what was generated.
      if (result.rawCompletionText === undefined) throw new ChatError(`turn ${input.turn}: cannot resume: the ${client.kind} client returned no raw completion text`);
      const prevIds = continuation === undefined ? [] : continuation.tokenIds;
      const ids = prevIds !== undefined && result.completionTokenIds !== undefined ? [...prevIds, ...result.completionTokenIds] : undefined;
      continuation = { text: (continuation?.text ?? '') + result.rawCompletionText, ...(ids !== undefined ? { tokenIds: ids } : {}) };
      kind = 'resume';
    } else {
      [overrides, guidance, continuation, kind] = [decision.overrides, decision.guidance, undefined, 'retry'];
    }
  }
}
