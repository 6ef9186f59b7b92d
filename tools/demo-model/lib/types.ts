// Shared types of the synthetic demo-model data.

import type { HarmonyMessageJson } from '../../../src/harmony/json.js';
import type { JsonObject } from '../../../src/harmony/types.js';

export type Effort = 'low' | 'medium' | 'high';
export const EFFORTS: readonly Effort[] = ['low', 'medium', 'high'];

/** Task kind of a conversation's last turn; the index is the code written to `*.kinds.u8`. */
export const KINDS = [
  'arith', // two-digit +, -, and two-digit × one-digit, worked digit by digit
  'arith-small', // one-digit facts
  'convert', // unit conversions with fixed factors
  'string', // reverse / length / letter count / spelling of known words
  'chat', // greetings, "what can you do", thanks
  'decline', // requests beyond a tiny model: a polite refusal
  'tool', // call the declared tool, then answer from its result
  'tool-none', // the needed tool is not declared: say so
  'tool-skip', // tools are declared but the question needs none
] as const;
export type Kind = (typeof KINDS)[number];

export function kindCode(kind: Kind): number {
  return KINDS.indexOf(kind);
}

/** One user turn and everything that follows it: assistant messages, and tool results between them. */
export interface Turn {
  readonly kind: Kind;
  readonly user: string;
  /** Assistant messages (the model writes them) and tool messages (the caller adds them), in order. */
  readonly replies: readonly HarmonyMessageJson[];
}

/** The system message in the wire format of src/harmony/json.ts. */
export interface SystemJson {
  model_identity?: string;
  reasoning_effort: Effort;
  conversation_start_date?: string;
}

export interface ToolJson {
  name: string;
  description: string;
  parameters: JsonObject;
}

export interface DeveloperJson {
  instructions?: string;
  tools?: ToolJson[];
}

/** A conversation request in the wire format (`renderRequestFromJson`). */
export interface RequestJson {
  system: SystemJson;
  developer?: DeveloperJson;
  messages: HarmonyMessageJson[];
}

export function analysisMessage(content: string): HarmonyMessageJson {
  return { role: 'assistant', channel: 'analysis', content };
}

export function finalMessage(content: string): HarmonyMessageJson {
  return { role: 'assistant', channel: 'final', content };
}

/** `{…}` with a fixed choice per effort. */
export type ByEffort<T> = Readonly<Record<Effort, T>>;
