// The context budget: which conversation messages go into the prompt.
//  1. Analysis (chain of thought) of earlier turns is dropped (Harmony: CoT of finished turns is not
//     sent again); the current turn keeps all of it (a tool-calling turn needs its reasoning).
//  2. The system and developer messages and the current turn are always kept.
//  3. Earlier turns are dropped whole, oldest first, until the prompt fits
//        prompt tokens ≤ maxContextTokens − marginTokens − reserveTokens (the reply's maxTokens),
//     and at most maxHistoryTurns earlier turns are kept (0 = no limit). A message is never cut.
// A turn is a user message and everything after it up to the next user message.

import { ChatError } from '../errors.js';
import { renderMessage, type RenderTokenizer } from '../harmony/render.js';
import type { Message, TextMessage } from '../harmony/types.js';

export interface BudgetOptions {
  readonly maxContextTokens: number;
  readonly marginTokens: number;
  /** Room kept for the reply (its maxTokens). */
  readonly reserveTokens: number;
  /** Earlier turns kept at most; 0 = no limit. */
  readonly maxHistoryTurns: number;
  /** Tokens after the messages: `<|start|>assistant` and any continuation. */
  readonly tailTokens: number;
}

export interface BudgetResult {
  /** The conversation messages to render after system and developer. */
  readonly messages: readonly TextMessage[];
  readonly droppedTurns: number;
  /** Tokens of the whole prompt (fixed + kept + tail). */
  readonly promptTokens: number;
  /** The most prompt tokens allowed. */
  readonly limit: number;
}

/** Tokens of one rendered message. */
export type TokenCounter = (message: Message) => number;

/**
 * Counts by rendering each message once, cached per message object. Pass a long-lived `cache` to
 * keep counts across turns (only system messages depend on `hasFunctionTools`, and those are built
 * afresh for every request, so one cache serves both cases).
 */
export function createTokenCounter(tokenizer: RenderTokenizer, hasFunctionTools: boolean, cache: WeakMap<Message, number> = new WeakMap()): TokenCounter {
  return (message) => {
    let count = cache.get(message);
    if (count === undefined) {
      count = renderMessage(tokenizer, message, { hasFunctionTools }).length;
      cache.set(message, count);
    }
    return count;
  };
}

/** Splits messages into turns at each user message (messages before the first user form a turn too). */
export function splitTurns(messages: readonly TextMessage[]): TextMessage[][] {
  const turns: TextMessage[][] = [];
  for (const message of messages) {
    if (message.role === 'user' || turns.length === 0) turns.push([]);
    turns[turns.length - 1].push(message);
  }
  return turns;
}

/** Drops the analysis messages (not tool calls) of every turn but the last. */
export function dropEarlierAnalysis(turns: readonly (readonly TextMessage[])[]): TextMessage[][] {
  return turns.map((turn, turnIdx) =>
    turnIdx === turns.length - 1 ? [...turn] : turn.filter((message) => message.channel !== 'analysis' || message.recipient !== undefined),
  );
}

/**
 * Fits the conversation into the budget.
 * @param fixed system and developer messages (always kept)
 * @param conversation user / assistant / tool messages; the last turn is the current one
 * @throws ChatError when the fixed messages and the current turn alone do not fit
 */
export function fitContext(fixed: readonly Message[], conversation: readonly TextMessage[], count: TokenCounter, opts: BudgetOptions): BudgetResult {
  const limit = opts.maxContextTokens - opts.marginTokens - opts.reserveTokens;
  const turns = dropEarlierAnalysis(splitTurns(conversation));
  const turnTokens = turns.map((turn) => turn.reduce((sum, message) => sum + count(message), 0));
  const fixedTokens = fixed.reduce((sum, message) => sum + count(message), 0) + opts.tailTokens;
  const current = turns.length - 1;
  let total = fixedTokens + (current >= 0 ? turnTokens[current] : 0);
  if (total > limit) {
    throw new ChatError(
      `context budget: the system and developer messages and the current turn need ${total} tokens, more than ` +
        `maxContextTokens ${opts.maxContextTokens} − margin ${opts.marginTokens} − maxTokens ${opts.reserveTokens} = ${limit}; ` +
        'shorten the message or the instructions, lower maxTokens, or raise maxContextTokens',
    );
  }
  // Keep earlier turns newest first while they fit.
  let firstKept = current < 0 ? 0 : current;
  const maxEarlier = opts.maxHistoryTurns > 0 ? opts.maxHistoryTurns : Number.POSITIVE_INFINITY;
  while (firstKept > 0 && current - firstKept < maxEarlier && total + turnTokens[firstKept - 1] <= limit) {
    firstKept--;
    total += turnTokens[firstKept];
  }
  return { messages: turns.slice(firstKept).flat(), droppedTurns: firstKept, promptTokens: total, limit };
}
