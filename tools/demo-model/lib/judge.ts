// How a demo-model reply is judged (eval.ts and the CI test). A reply is the completion after the
// prompt's `<|start|>assistant`, up to and including its stop token.
//   arithmetic: ends with <|return|>, parses without warnings, and the last integer of the final
//               message is the answer;
//   tool:       ends with <|call|>, parses without warnings, the last call names the expected tool
//               (functions.NAME on commentary, <|constrain|>json), its arguments are a JSON object
//               and every expected entity appears (case-insensitive) among the argument values;
//   format:     ends with <|return|> or <|call|>, parses without warnings, every message is on
//               analysis / commentary / final, a <|return|> reply ends with a final message and a
//               <|call|> reply with a function call on commentary with <|constrain|>json.

import { parseCompletion } from '../../../src/harmony/parse.js';
import { extractToolCalls } from '../../../src/harmony/tool-calls.js';
import { DEFAULT_CHANNELS, type TextMessage } from '../../../src/harmony/types.js';
import type { TokenBytesSource } from '../../../src/tokenizer/streaming-decoder.js';
import { SPECIAL_TOKENS } from '../../../src/tokenizer/special-tokens.js';

export interface Verdict {
  readonly ok: boolean;
  /** Why not (empty when ok). */
  readonly reason: string;
  readonly messages: readonly TextMessage[];
}

const CONSTRAIN_JSON = '<|constrain|>json';

function parse(tok: TokenBytesSource, completion: readonly number[]): { messages: readonly TextMessage[]; warnings: string[] } {
  const { messages, warnings } = parseCompletion(tok, completion, { role: 'assistant' });
  return { messages, warnings: warnings.map((w) => `${w.code}: ${w.message}`) };
}

function lastId(completion: readonly number[]): number | undefined {
  return completion[completion.length - 1];
}

/** The integers of a text, thousands separators removed ("1,500" → 1500). */
export function integersOf(text: string): number[] {
  return [...text.replace(/(\d),(?=\d{3}\b)/g, '$1').matchAll(/-?\d+/g)].map((m) => Number(m[0]));
}

export function judgeArithmetic(tok: TokenBytesSource, completion: readonly number[], answer: number): Verdict {
  const { messages, warnings } = parse(tok, completion);
  if (lastId(completion) !== SPECIAL_TOKENS.RETURN) return { ok: false, reason: 'did not end with <|return|>', messages };
  if (warnings.length > 0) return { ok: false, reason: `parse warnings: ${warnings.join('; ')}`, messages };
  const final = messages[messages.length - 1];
  if (final?.channel !== 'final') return { ok: false, reason: 'no final message', messages };
  const numbers = integersOf(final.content);
  const got = numbers[numbers.length - 1];
  return got === answer ? { ok: true, reason: '', messages } : { ok: false, reason: `answered ${got ?? 'nothing'}, expected ${answer}`, messages };
}

export function judgeToolCall(
  tok: TokenBytesSource,
  completion: readonly number[],
  expected: { readonly tool: string; readonly entities: readonly string[] },
): Verdict & { readonly arguments?: string } {
  const { messages, warnings } = parse(tok, completion);
  if (lastId(completion) !== SPECIAL_TOKENS.CALL) return { ok: false, reason: 'did not end with <|call|>', messages };
  if (warnings.length > 0) return { ok: false, reason: `parse warnings: ${warnings.join('; ')}`, messages };
  const calls = extractToolCalls(messages);
  const last = calls[calls.length - 1];
  if (last === undefined || last.call.type !== 'function') return { ok: false, reason: 'no function call', messages };
  const args = last.call.function.arguments;
  if (last.call.function.name !== expected.tool) return { ok: false, reason: `called ${last.call.function.name}, expected ${expected.tool}`, messages, arguments: args };
  if (last.channel !== 'commentary' || last.contentType !== CONSTRAIN_JSON) {
    return { ok: false, reason: `call on ${last.channel} with content type ${last.contentType}`, messages, arguments: args };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    return { ok: false, reason: 'arguments are not JSON', messages, arguments: args };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { ok: false, reason: 'arguments are not a JSON object', messages, arguments: args };
  const values = Object.values(parsed).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)).toLowerCase());
  const missing = expected.entities.filter((e) => !values.some((v) => v.includes(e.toLowerCase())));
  return missing.length === 0
    ? { ok: true, reason: '', messages, arguments: args }
    : { ok: false, reason: `arguments miss ${missing.join(', ')}`, messages, arguments: args };
}

export function judgeFormat(tok: TokenBytesSource, completion: readonly number[]): Verdict & { readonly validJsonCall?: boolean } {
  const { messages, warnings } = parse(tok, completion);
  const end = lastId(completion);
  if (end !== SPECIAL_TOKENS.RETURN && end !== SPECIAL_TOKENS.CALL) return { ok: false, reason: 'no <|return|> or <|call|> at the end', messages };
  if (warnings.length > 0) return { ok: false, reason: `parse warnings: ${warnings.join('; ')}`, messages };
  if (messages.length === 0) return { ok: false, reason: 'no messages', messages };
  const stray = messages.find((m) => m.channel === undefined || !DEFAULT_CHANNELS.includes(m.channel));
  if (stray !== undefined) return { ok: false, reason: `message on channel ${stray.channel ?? '(none)'}`, messages };
  const last = messages[messages.length - 1];
  if (end === SPECIAL_TOKENS.RETURN) {
    return last.channel === 'final' && last.recipient === undefined ? { ok: true, reason: '', messages } : { ok: false, reason: '<|return|> after a non-final message', messages };
  }
  const isCall = last.recipient?.startsWith('functions.') === true && last.channel === 'commentary' && last.contentType === CONSTRAIN_JSON;
  if (!isCall) return { ok: false, reason: '<|call|> without a function call on commentary', messages };
  let validJsonCall = true;
  try {
    JSON.parse(last.content);
  } catch {
    validJsonCall = false;
  }
  return { ok: true, reason: '', messages, validJsonCall };
}
