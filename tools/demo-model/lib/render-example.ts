// A conversation plan → training tokens and a loss mask, rendered with the project's own Harmony
// renderer exactly as inference will see it.
//
// The last turn is split into generation steps: a run of assistant messages the model writes,
// ended by <|return|> (a final answer) or <|call|> (a tool call); tool results in between are added
// by the caller. For each step, the prompt is renderConversationForCompletion(context so far) —
// ending in `<|start|>assistant` — and the completion is renderConversationForTraining(the step's
// messages) without its leading `<|start|>assistant`. Steps are chained into one sequence when each
// prompt extends the previous prompt + completion; when it does not (a client that drops the
// analysis before a call, or the harmony drop policy changing between steps), the sequence restarts
// at that step's prompt, so every trained completion sits behind exactly the prompt inference gives.
//
// mask[t] = 1 iff token t is written by the model: every completion token, including the
// `<|channel|>…<|message|>` headers, the `<|start|>assistant` between its own messages and the end
// token (<|end|>, <|return|>, <|call|>). Prompts (system, developer, user, tool results, earlier
// turns and the `<|start|>assistant` that ends each prompt) are 0.

import { renderRequestFromJson } from '../../../src/harmony/json.js';
import { renderConversationForCompletion, renderConversationForTraining, type RenderTokenizer } from '../../../src/harmony/render.js';
import type { Message } from '../../../src/harmony/types.js';
import { SPECIAL_TOKENS } from '../../../src/tokenizer/special-tokens.js';
import type { ConversationPlan } from './conversation.js';

export interface RenderedExample {
  readonly ids: number[];
  /** 1 where the model writes the token (a loss target), else 0. */
  readonly mask: number[];
}

/** Messages of the plan as the renderer's Message objects, and where the last turn's replies start. */
export function planMessages(plan: ConversationPlan): { messages: Message[]; firstReplyIdx: number } {
  const messages = [...renderRequestFromJson(plan.request).messages];
  const numLeading = messages.length - plan.request.messages.length; // system (+ developer)
  return { messages, firstReplyIdx: numLeading + plan.lastUserIdx + 1 };
}

function startsWith(seq: readonly number[], prefix: readonly number[]): boolean {
  if (prefix.length > seq.length) return false;
  for (let idx = 0; idx < prefix.length; idx++) if (seq[idx] !== prefix[idx]) return false;
  return true;
}

const isCall = (m: Message): boolean => m.role === 'assistant' && m.recipient !== undefined;

/** The context after removing, from the last turn, analysis written before a tool call. */
function withoutPreCallAnalysis(context: readonly Message[], lastTurnStart: number): Message[] {
  let lastCallIdx = -1;
  context.forEach((m, msgIdx) => {
    if (msgIdx >= lastTurnStart && isCall(m)) lastCallIdx = msgIdx;
  });
  return context.filter((m, msgIdx) => !(msgIdx >= lastTurnStart && msgIdx < lastCallIdx && m.channel === 'analysis'));
}

export function renderExample(tok: RenderTokenizer, plan: ConversationPlan): RenderedExample {
  const { messages, firstReplyIdx } = planMessages(plan);
  const assistantPrefix = [SPECIAL_TOKENS.START, ...tok.encodeOrdinary('assistant')];
  const dropAnalysis = plan.historyStyle === 'harmony';
  const lastTurnStart = firstReplyIdx - 1;
  const context: Message[] = messages.slice(0, firstReplyIdx);
  let ids: number[] = [];
  let mask: number[] = [];
  let msgIdx = firstReplyIdx;
  while (msgIdx < messages.length) {
    if (messages[msgIdx].role !== 'assistant') {
      context.push(messages[msgIdx++]);
      continue;
    }
    const step: Message[] = [];
    while (msgIdx < messages.length && messages[msgIdx].role === 'assistant') step.push(messages[msgIdx++]);
    const promptContext = plan.dropPreCallAnalysis ? withoutPreCallAnalysis(context, lastTurnStart) : context;
    const prompt = renderConversationForCompletion(tok, promptContext, 'assistant', { dropAnalysis });
    if (!startsWith(prompt.slice(prompt.length - assistantPrefix.length), assistantPrefix)) {
      throw new Error('renderExample: a completion prompt must end with <|start|>assistant');
    }
    const rendered = renderConversationForTraining(tok, step, { dropAnalysis: false });
    if (!startsWith(rendered, assistantPrefix)) throw new Error('renderExample: an assistant step must start with <|start|>assistant');
    const completion = rendered.slice(assistantPrefix.length);
    if (startsWith(prompt, ids)) {
      for (const id of prompt.slice(ids.length)) {
        ids.push(id);
        mask.push(0);
      }
    } else {
      ids = [...prompt];
      mask = prompt.map(() => 0);
    }
    for (const id of completion) {
      ids.push(id);
      mask.push(1);
    }
    context.push(...step);
  }
  return { ids, mask };
}

/** The prompt of the plan's last turn (up to the last user message), for evaluation. */
export function renderPrompt(tok: RenderTokenizer, plan: ConversationPlan): number[] {
  const { messages, firstReplyIdx } = planMessages(plan);
  return renderConversationForCompletion(tok, messages.slice(0, firstReplyIdx), 'assistant', { dropAnalysis: plan.historyStyle === 'harmony' });
}
