// One chat request on the server, whatever its route (OpenAI or Ollama): the same pipeline as a
// CLI turn (ChatRequest → GenerationClient → parsed events → artifacts), with the server's parts:
//   queue (one GPU) → prompt length check → attempts: client.chat → route-neutral ReplyEvents
//   (reasoning, content, tool-call start/arguments) with stop strings applied on the answer and the
//   server's stop token ids (`--stop`) on every token
//   → response hooks (response_format) → retry with the next seed, or done → artifacts.
// Cancelling `job.signal` (the client went away) stops the generation within one decode step and
// frees the GPU at once. Under a response_format the answer text is held until it validates
// (reasoning and tool calls still stream); everything else streams token by token.
// Artifacts: turn = the request's number, attempt = 1, 2, … (logs/server, metrics/server).

import { randomBytes } from 'node:crypto';
import { outcomeOf, parseArtifactOf } from '../chat/attempt.js';
import type { RunArtifacts } from '../chat/artifacts.js';
import { createTokenCounter, fitContext, splitTurns } from '../chat/budget.js';
import type { RetryDecision } from '../chat/retry.js';
import { renderChatPrompt } from '../client/local.js';
import { harmonyMessagesOf, type ChatRequest, type ChatResult, type ClientEvent } from '../client/types.js';
import type { TokenEvent } from '../generate/types.js';
import { classifyRecipient, type FunctionToolCall } from '../harmony/tool-calls.js';
import type { EngineBackend } from './engine.js';
import { ApiError } from './errors.js';
import type { ServerLogger } from './log.js';
import type { ContextWindow } from './map-common.js';
import type { GpuQueue } from './queue.js';
import { StopMatcher } from './stop-strings.js';
import type { ResponseFormat, RouteName, ValidationStage } from './validation.js';

export interface ChatJob {
  readonly requestId: number;
  readonly route: RouteName;
  readonly request: ChatRequest;
  readonly stop: readonly string[];
  /** Token ids that end the reply besides Harmony's (the server's `--stop`); like a stop string, nothing from that token on is sent. */
  readonly stopTokens?: readonly number[];
  readonly format?: ResponseFormat;
  /** false (tool_choice none): function calls the model makes anyway are dropped. */
  readonly allowToolCalls: boolean;
  /** Generations at most (response checks may ask for retries). */
  readonly maxAttempts: number;
  readonly signal: AbortSignal;
}

export type ReplyEvent =
  | { readonly type: 'reasoning'; readonly text: string }
  /** `logprobs`: the tokens of this text, when the request asked for logprobs. */
  | { readonly type: 'content'; readonly text: string; readonly logprobs?: readonly TokenEvent[] }
  | { readonly type: 'tool-call'; readonly index: number; readonly id: string; readonly name: string }
  | { readonly type: 'tool-args'; readonly index: number; readonly text: string }
  | { readonly type: 'tool-call-end'; readonly index: number; readonly call: FunctionToolCall }
  /** The client's own events, for the `wgh` extension (in order; written with the next chunk). */
  | { readonly type: 'raw'; readonly event: ClientEvent };

export type ReplyFinish = 'stop' | 'length' | 'tool_calls' | 'cancelled';

export interface ServedReply {
  readonly content: string;
  readonly reasoning: string;
  readonly toolCalls: readonly FunctionToolCall[];
  /** The answer's tokens with their logprobs (empty unless asked for). */
  readonly contentLogprobs: readonly TokenEvent[];
  readonly finishReason: ReplyFinish;
  /** The accepted attempt's result. */
  readonly result: ChatResult;
  readonly attempts: number;
  readonly queueSeconds: number;
}

export interface ServeDeps {
  readonly backend: EngineBackend;
  readonly queue: GpuQueue;
  readonly validation: ValidationStage;
  readonly artifacts: RunArtifacts | null;
  readonly logger: ServerLogger;
}

const MS_PER_S = 1000;

export function newCallId(): string {
  return `call_${randomBytes(12).toString('hex')}`;
}

export interface FittedChat {
  readonly request: ChatRequest;
  /** Earlier turns left out to fit the request's context window. */
  readonly droppedTurns: number;
}

/**
 * Fits a request into the context, with at least one token left for the reply, and caps maxTokens
 * to what is left. Without a window the prompt is taken as sent (400 when it does not fit). With a
 * window (Ollama's num_ctx) the turn pipeline's budget applies (src/chat/budget.ts): system and
 * developer messages and the last turn are kept, earlier turns are dropped oldest first until the
 * reply's maxTokens fits too; 400 naming the window when the kept messages alone do not fit.
 */
export function fitChatRequest(request: ChatRequest, backend: EngineBackend, window?: ContextWindow): FittedChat {
  const { encoding } = backend;
  const context = backend.info.contextLength;
  const limit = Math.min(window?.tokens ?? context, context);
  let fitted = request;
  let droppedTurns = 0;
  if (window !== undefined) {
    const count = createTokenCounter(encoding.tokenizer, (request.developer?.tools ?? []).length > 0);
    const fixed = harmonyMessagesOf({ ...request, messages: [] });
    const fixedTokens = fixed.reduce((sum, message) => sum + count(message), 0);
    // `<|start|>assistant` and any continuation: the rendered prompt past the messages.
    const tailTokens = renderChatPrompt(encoding, { ...request, messages: [] }).length - fixedTokens;
    const turns = splitTurns(request.messages);
    const kept = fixedTokens + tailTokens + (turns.at(-1) ?? []).reduce((sum, message) => sum + count(message), 0);
    if (kept >= limit) throw contextExceeded(limit, kept, window);
    const reserveTokens = Math.min(request.params.maxTokens, limit - kept);
    const budget = fitContext(fixed, request.messages, count, { maxContextTokens: limit, marginTokens: 0, reserveTokens, maxHistoryTurns: 0, tailTokens });
    droppedTurns = budget.droppedTurns;
    if (droppedTurns > 0) fitted = { ...request, messages: budget.messages };
  }
  const promptTokens = renderChatPrompt(encoding, fitted).length;
  if (promptTokens >= limit) throw contextExceeded(limit, promptTokens, window);
  const maxTokens = Math.min(fitted.params.maxTokens, limit - promptTokens);
  return { request: maxTokens === fitted.params.maxTokens ? fitted : { ...fitted, params: { ...fitted.params, maxTokens } }, droppedTurns };
}

/** The 400 of a prompt that leaves no room for a reply in `limit` tokens. */
export function contextExceeded(limit: number, promptTokens: number, window: ContextWindow | undefined, param = 'messages'): ApiError {
  const what = param === 'messages' ? 'messages' : 'prompt';
  if (window?.param === undefined) {
    return new ApiError(400, 'invalid_request_error', `This model's context is ${limit} tokens; the prompt has ${promptTokens}. Shorten the ${what}.`, 'context_length_exceeded', param);
  }
  const capped = window.requested !== undefined ? ` (${window.requested} asked, capped at this server's context)` : '';
  const kept = param === 'messages' ? ' (the system and developer messages and the last turn, which are never dropped)' : '';
  return new ApiError(
    400, 'invalid_request_error',
    `The prompt needs ${promptTokens} tokens${kept}, but the context window ${window.param} is ${limit}${capped}, leaving no room for a reply. Raise ${window.param} or shorten the ${what}.`,
    'context_length_exceeded', `options.${window.param}`,
  );
}

/** Serves `job` (its request already fitted by fitChatRequest). */
export async function serveChat(job: ChatJob, deps: ServeDeps, emit: (event: ReplyEvent) => void): Promise<ServedReply> {
  const { request } = job;
  const slot = await deps.queue.acquire(job.requestId, job.signal);
  try {
    let seed = request.params.seed;
    for (let attempt = 1; ; attempt++) {
      const params = seed !== undefined ? { ...request.params, seed } : request.params;
      const start = performance.now();
      const run = await runAttempt(job, { ...request, params }, deps, emit);
      const { result } = run;
      const verdict =
        result.finishReason === 'cancelled' && !run.stopped
          ? { ok: true as const }
          : deps.validation.checkResponse({ route: job.route, text: run.content, messages: result.messages, attempt, ...(job.format !== undefined ? { format: job.format } : {}) });
      const retry = !verdict.ok && verdict.retry && attempt < job.maxAttempts;
      const nextSeed = result.metrics.seed + 1;
      const decision: RetryDecision = {
        action: verdict.ok ? 'accept' : retry ? 'retry' : 'give-up',
        reason: null,
        detail: verdict.ok ? (run.stopped ? `${run.stopToken !== undefined ? `stop token ${run.stopToken}` : 'stop string'} matched` : result.finishReason === 'cancelled' ? 'cancelled: the client went away' : 'complete reply') : `${verdict.hook}: ${verdict.reason}${retry ? `; retrying with seed ${nextSeed}` : ''}`,
        attempt, maxAttempts: job.maxAttempts, overrides: retry ? { seed: nextSeed } : {}, delayMs: 0,
      };
      deps.artifacts?.recordAttempt({
        turn: job.requestId, attempt, kind: attempt === 1 ? 'first' : 'retry',
        promptText: () => deps.backend.encoding.decode(result.promptTokenIds ?? renderChatPrompt(deps.backend.encoding, request)),
        ...(result.promptTokenIds !== undefined ? { promptIds: result.promptTokenIds } : {}),
        ...(result.completionTokenIds !== undefined ? { completionIds: result.completionTokenIds } : {}),
        rawCompletion: result.rawCompletionText ?? '', cleaned: run.content, parse: parseArtifactOf(result, outcomeOf(result).repetition),
        decision, params, metrics: result.metrics, usage: result.usage, wallSeconds: (performance.now() - start) / MS_PER_S,
      });
      if (retry) {
        deps.logger.info(`req#${job.requestId} attempt ${attempt}: ${decision.detail}`);
        seed = nextSeed;
        continue;
      }
      if (!verdict.ok) {
        throw new ApiError(422, 'server_error', `The model's reply failed the ${verdict.hook} check after ${attempt} attempt(s): ${verdict.reason}`, 'response_validation_failed');
      }
      if (job.format !== undefined && run.content.length > 0) emit({ type: 'content', text: run.content, ...(run.contentLogprobs.length > 0 ? { logprobs: run.contentLogprobs } : {}) });
      const finishReason: ReplyFinish = run.stopped ? 'stop' : result.finishReason === 'cancelled' ? 'cancelled' : result.finishReason === 'length' ? 'length' : run.toolCalls.length > 0 ? 'tool_calls' : 'stop';
      return { content: run.content, reasoning: run.reasoning, toolCalls: run.toolCalls, contentLogprobs: run.contentLogprobs, finishReason, result, attempts: attempt, queueSeconds: slot.waitedSeconds };
    }
  } finally {
    slot.release();
  }
}

interface AttemptRun {
  readonly result: ChatResult;
  readonly content: string;
  readonly reasoning: string;
  readonly toolCalls: FunctionToolCall[];
  readonly contentLogprobs: TokenEvent[];
  /** A stop string or a stop token ended it. */
  readonly stopped: boolean;
  /** The stop token that ended it. */
  readonly stopToken?: number;
}

/** One generation: client events → ReplyEvents (answer held back under a response_format). */
async function runAttempt(job: ChatJob, request: ChatRequest, deps: ServeDeps, emit: (event: ReplyEvent) => void): Promise<AttemptRun> {
  const stopController = new AbortController();
  const signal = AbortSignal.any([job.signal, stopController.signal]);
  const matcher = new StopMatcher(job.stop);
  const holdContent = job.format !== undefined;
  let content = '';
  let reasoning = '';
  const toolCalls: FunctionToolCall[] = [];
  let openCall: { index: number; id: string; name: string; args: string } | null = null;
  const contentLogprobs: TokenEvent[] = [];
  let tokensSinceDelta: TokenEvent[] = [];
  const sendContent = (text: string) => {
    if (text.length === 0) return;
    content += text;
    const logprobs = tokensSinceDelta;
    contentLogprobs.push(...logprobs);
    if (!holdContent) emit({ type: 'content', text, ...(logprobs.length > 0 ? { logprobs } : {}) });
  };
  const stream = deps.backend.client.chat(request, { signal });
  const stopTokens = new Set(job.stopTokens ?? []);
  let stopToken: number | undefined;
  for await (const event of stream) {
    emit({ type: 'raw', event });
    // A stop token's events (and any queued after it) are not part of the reply.
    if (stopToken !== undefined) continue;
    if (event.type === 'token') {
      if (stopTokens.has(event.id)) {
        stopToken = event.id;
        stopController.abort(new Error('stop token'));
        continue;
      }
      const tapped = deps.backend.tokenLogprobs?.(event.index);
      if (tapped !== undefined) tokensSinceDelta.push(tapped);
    }
    // A call's header may have been prefilled (tool_choice): its first delta opens it then.
    if ((event.type === 'message-start' || (event.type === 'delta' && openCall === null)) && job.allowToolCalls) {
      const target = classifyRecipient(event.type === 'delta' ? event.recipient : event.header.recipient);
      if (target?.kind === 'function') {
        openCall = { index: toolCalls.length, id: newCallId(), name: target.name, args: '' };
        emit({ type: 'tool-call', index: openCall.index, id: openCall.id, name: openCall.name });
      }
    }
    if (event.type === 'message-end') {
      if (openCall !== null) {
        const call: FunctionToolCall = { id: openCall.id, type: 'function', function: { name: openCall.name, arguments: openCall.args.trim() } };
        toolCalls.push(call);
        emit({ type: 'tool-call-end', index: openCall.index, call });
      }
      openCall = null;
    } else if (event.type === 'delta') {
      const deltaTokens = tokensSinceDelta;
      tokensSinceDelta = [];
      if (openCall !== null) {
        openCall.args += event.text;
        emit({ type: 'tool-args', index: openCall.index, text: event.text });
      } else if (event.recipient !== undefined) {
        // a builtin call, or a function call under tool_choice none: not part of the reply
      } else if (event.channel === 'analysis') {
        reasoning += event.text;
        emit({ type: 'reasoning', text: event.text });
      } else if (!matcher.stopped) {
        const { emit: text, stopped } = matcher.push(event.text);
        tokensSinceDelta = deltaTokens; // the answer's tokens go with its text
        sendContent(text);
        tokensSinceDelta = [];
        if (stopped) stopController.abort(new Error('stop string'));
      }
    }
  }
  const result = await stream.result;
  if (!matcher.stopped) sendContent(matcher.flush());
  return { result, content, reasoning, toolCalls, contentLogprobs, stopped: matcher.stopped || stopToken !== undefined, ...(stopToken !== undefined ? { stopToken } : {}) };
}
