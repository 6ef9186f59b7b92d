// Helpers of the turn pipeline for one attempt: what its result means for the retry policy, what
// part of it is stored in the conversation, the artifacts it leaves, and a stream accumulator that
// rebuilds partial messages when a request is cancelled before it returns a result.

import type { ChatResult, ClientEvent } from '../client/types.js';
import { messageToJson } from '../harmony/json.js';
import type { MessageHeader, TextMessage } from '../harmony/types.js';
import type { ParseArtifact } from './artifacts.js';
import { findRepetitionByChannel, textByChannel, type ChannelRepetition } from './repetition.js';
import type { AttemptOutcome } from './retry.js';

const hasText = (message: TextMessage): boolean => message.content.trim().length > 0;

/** Answer text: the final channel's messages, or channel-less assistant text when there is no final. */
export function finalTextOf(messages: readonly TextMessage[]): string {
  const answer = messages.filter((m) => m.role === 'assistant' && m.channel === 'final' && m.recipient === undefined);
  const chosen = answer.length > 0 ? answer : messages.filter((m) => m.role === 'assistant' && m.channel === undefined && m.recipient === undefined);
  return chosen.map((m) => m.content).join('\n').trim();
}

/** `canContinue`: the client's GenerationClient.canContinue (false: the reply is not resumable). */
export function outcomeOf(result: ChatResult, canContinue = false): AttemptOutcome & { readonly repetition: readonly ChannelRepetition[] } {
  const assistant = result.messages.filter((m) => m.role === 'assistant');
  return {
    finishReason: result.finishReason,
    stopReason: result.stopReason,
    hasFinal: finalTextOf(assistant).length > 0,
    hasAnalysis: assistant.some((m) => m.channel === 'analysis' && hasText(m)),
    numToolCalls: result.toolCalls.length,
    repetition: findRepetitionByChannel(assistant),
    promptTokens: result.usage.promptTokens,
    completionTokens: result.usage.completionTokens,
    resumable: canContinue && result.rawCompletionText !== undefined,
  };
}

/** How good a reply is when the attempt cap is reached: a clean answer beats an answer beats nothing. */
export function replyScore(outcome: AttemptOutcome): number {
  const CLEAN_ANSWER = 3;
  const ANSWER = 2;
  const COMPLETE = 1;
  if (outcome.hasFinal && outcome.repetition.length === 0 && outcome.finishReason === 'stop') return CLEAN_ANSWER;
  if (outcome.hasFinal) return ANSWER;
  return outcome.finishReason === 'stop' ? COMPLETE : 0;
}

/**
 * The assistant messages kept in the conversation. A cancelled reply keeps only its answer text
 * (its partial reasoning and half-written calls would mislead the next turn).
 */
export function storedMessages(messages: readonly TextMessage[], cancelled: boolean): TextMessage[] {
  const assistant = messages.filter((m) => m.role === 'assistant');
  if (!cancelled) return assistant;
  return assistant.filter((m) => m.recipient === undefined && (m.channel === 'final' || m.channel === undefined) && hasText(m));
}

export function parseArtifactOf(result: ChatResult, repetition: readonly ChannelRepetition[]): ParseArtifact {
  return {
    messages: result.messages.map(messageToJson),
    channels: Object.fromEntries(textByChannel(result.messages)),
    toolCalls: result.toolCalls.map((c) => ({ ...c.call, recipient: c.recipient, channel: c.channel ?? null })),
    warnings: result.parseWarnings,
    repetition,
  };
}

/** Collects a stream's messages so a cancelled request still yields what was shown. */
export class StreamAccumulator {
  readonly messages: TextMessage[] = [];
  private header: MessageHeader | null = null;
  private content = '';
  numTokens = 0;

  push(event: ClientEvent): void {
    if (event.type === 'token') this.numTokens++;
    else if (event.type === 'message-start') [this.header, this.content] = [event.header, ''];
    else if (event.type === 'delta') this.content += event.text;
    else if (event.type === 'message-end') {
      this.messages.push(event.message);
      this.header = null;
      this.content = '';
    }
  }

  /** Finished messages plus the one being streamed. */
  snapshot(): TextMessage[] {
    return this.header === null ? [...this.messages] : [...this.messages, { ...this.header, content: this.content }];
  }
}
