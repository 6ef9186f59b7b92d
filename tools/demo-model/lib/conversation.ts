// One synthetic conversation: the system message (reasoning effort, date, identity), an optional
// developer message (instructions, function tools), optional earlier turns, and the last turn whose
// assistant messages are what the model learns to write.

import { arithTurn, sampleSmallProblem, sampleTwoDigitProblem, type ArithProblem } from './arith.js';
import { DATES } from './pools.js';
import type { Rng } from './rng.js';
import { chatTurn, convertTurn, declineTurn, stringTurn } from './text-tasks.js';
import { ANY_ENTITY, FAMILIES, FAMILY_IDS, missingToolTurn, toolTurn, type EntityPolicy, type FamilyId, type ToolVariant } from './tools.js';
import { EFFORTS, type DeveloperJson, type Effort, type Kind, type RequestJson, type SystemJson, type Turn } from './types.js';
import type { HarmonyMessageJson } from '../../../src/harmony/json.js';

/**
 * How earlier turns reach the prompt. 'client': their analysis is not sent back (what our chat
 * layer and API clients do; rendered with dropAnalysis false). 'harmony': every message is kept
 * and the renderer's default drop-analysis policy decides (openai/harmony's behaviour).
 */
export type HistoryStyle = 'client' | 'harmony';

export interface ConversationPlan {
  readonly kind: Kind;
  readonly effort: Effort;
  readonly numTurns: number;
  /** Every message, the last turn's replies included. */
  readonly request: RequestJson;
  /** Index (in request.messages) of the last user message: what follows is the last turn. */
  readonly lastUserIdx: number;
  readonly historyStyle: HistoryStyle;
  /**
   * After the tool result, the prompt lacks the analysis written before the call (an API client
   * that sends back only the call and the result); the answer step is then trained on its own.
   */
  readonly dropPreCallAnalysis: boolean;
  /** The tool turn's target tool and scenario (for held-out bookkeeping). */
  readonly tool?: { readonly name: string; readonly family: FamilyId; readonly args: string; readonly entities: readonly string[]; readonly signature: string };
  readonly arith?: ArithProblem;
  /** Every arithmetic problem and tool call of the conversation, earlier turns included. */
  readonly allArith: readonly ArithProblem[];
  readonly allTools: readonly NonNullable<ConversationPlan['tool']>[];
}

export interface SampleOptions {
  readonly forceKind?: Kind;
  readonly forceArith?: ArithProblem;
  /** Default ANY_ENTITY. */
  readonly policy?: EntityPolicy;
  /** Rejects two-digit problems (training excludes the held-out ones). */
  readonly arithAllowed?: (p: ArithProblem) => boolean;
  /** Rejects tool prompts (training excludes the held-out signatures). */
  readonly toolSignatureAllowed?: (signature: string) => boolean;
  /** Probability of earlier turns; default 0.15. */
  readonly multiTurnProbability?: number;
  /** Probability that a non-tool last turn still has tools declared; default from the kind. */
  readonly toolsForNonToolProbability?: number;
  /** For kind 'tool': the family of the tool to call. */
  readonly forceFamily?: FamilyId;
}

const LAST_KIND_WEIGHTS: readonly (readonly [Kind, number])[] = [
  ['arith', 26], ['arith-small', 4], ['convert', 8], ['string', 14], ['chat', 4], ['decline', 3], ['tool', 30], ['tool-none', 3], ['tool-skip', 8],
];
const TOOL_KINDS: ReadonlySet<Kind> = new Set<Kind>(['tool', 'tool-none', 'tool-skip']);
const PRIOR_KIND_WEIGHTS: readonly (readonly [Kind, number])[] = [['arith', 30], ['convert', 10], ['string', 20], ['chat', 10], ['tool', 30]];
const NUM_TOOLS_WEIGHTS: readonly (readonly [number, number])[] = [[1, 0.3], [2, 0.35], [3, 0.25], [4, 0.1]];
const DEFAULT_MULTI_TURN_PROBABILITY = 0.15;
const MAX_RESAMPLES = 200;

export const IDENTITIES: readonly string[] = [
  'You are a helpful assistant.', 'You are a tiny demo model.', 'You are a friendly assistant.', 'You are Harmony, a small local assistant.',
];

export const INSTRUCTIONS: readonly string[] = [
  'You are a helpful assistant.', 'Answer briefly.', 'Be concise and friendly.', 'You help users with quick questions.', 'Use the tools when they help.',
  'Always be polite.', 'Reply in plain English.', 'You are the assistant of a small travel agency.', 'Keep answers short.', 'Be accurate.',
];

function sampleSystem(rng: Rng, effort: Effort): SystemJson {
  const system: SystemJson = { reasoning_effort: effort };
  if (rng.chance(0.15)) system.model_identity = rng.pick(IDENTITIES);
  if (rng.chance(0.5)) system.conversation_start_date = rng.pick(DATES);
  return system;
}

function sampleTools(rng: Rng, mustInclude: FamilyId | null, mustExclude: FamilyId | null): ToolVariant[] {
  const count = rng.weighted(NUM_TOOLS_WEIGHTS);
  const pool = FAMILY_IDS.filter((id) => id !== mustExclude && id !== mustInclude);
  const families = rng.sample(pool, mustInclude === null ? count : count - 1);
  if (mustInclude !== null) families.splice(rng.int(0, families.length), 0, mustInclude);
  return families.map((id) => FAMILIES[id].variant(rng));
}

/** `user | tool | declared tools`: what makes a tool prompt the same prompt. */
export function toolSignature(user: string, target: ToolVariant, declared: readonly ToolVariant[]): string {
  const declaredNames = declared.map((v) => `${v.tool.name}(${Object.keys((v.tool.parameters.properties ?? {}) as object).join(',')})`);
  return `${user}|${target.tool.name}|${declaredNames.sort().join(';')}`;
}

interface TurnResult {
  readonly turn: Turn;
  readonly arith?: ArithProblem;
  readonly tool?: ConversationPlan['tool'];
}

function makeTurn(rng: Rng, kind: Kind, effort: Effort, tools: readonly ToolVariant[], opts: SampleOptions, isLast: boolean): TurnResult | null {
  const toolsDeclared = tools.length > 0;
  const policy = opts.policy ?? ANY_ENTITY;
  switch (kind) {
    case 'arith': {
      const forced = isLast && opts.forceArith !== undefined;
      const p = forced && opts.forceArith !== undefined ? opts.forceArith : sampleTwoDigitProblem(rng);
      if (!forced && opts.arithAllowed !== undefined && !opts.arithAllowed(p)) return null;
      return { turn: arithTurn(rng, p, effort, toolsDeclared), arith: p };
    }
    case 'arith-small':
      return { turn: arithTurn(rng, sampleSmallProblem(rng), effort, toolsDeclared) };
    case 'convert':
      return { turn: convertTurn(rng, effort, toolsDeclared) };
    case 'string':
      return { turn: stringTurn(rng, effort, toolsDeclared) };
    case 'chat':
      return { turn: chatTurn(rng, effort) };
    case 'decline':
      return { turn: declineTurn(rng, effort) };
    case 'tool-skip': {
      const inner = rng.weighted<Kind>([['arith', 0.5], ['convert', 0.2], ['string', 0.3]]);
      const result = makeTurn(rng, inner, effort, tools, opts, isLast);
      return result === null ? null : { ...result, turn: { ...result.turn, kind: 'tool-skip' } };
    }
    case 'tool': {
      const forced = isLast && opts.forceFamily !== undefined ? tools.find((v) => v.family === opts.forceFamily) : undefined;
      const target = forced ?? rng.pick(tools);
      const scenario = FAMILIES[target.family].scenario(rng, target, policy);
      const signature = toolSignature(scenario.user, target, tools);
      if (opts.toolSignatureAllowed !== undefined && !opts.toolSignatureAllowed(signature)) return null;
      return {
        turn: toolTurn(effort, target, scenario),
        tool: { name: target.tool.name, family: target.family, args: JSON.stringify(scenario.args), entities: scenario.entities, signature },
      };
    }
    case 'tool-none': {
      const declared = new Set(tools.map((v) => v.family));
      const family = rng.pick(FAMILY_IDS.filter((id) => !declared.has(id)));
      const scenario = FAMILIES[family].scenario(rng, FAMILIES[family].variant(rng), policy);
      return { turn: missingToolTurn(effort, tools, scenario) };
    }
  }
}

function messagesOfTurn(turn: Turn, keepAnalysis: boolean): HarmonyMessageJson[] {
  const out: HarmonyMessageJson[] = [{ role: 'user', content: turn.user }];
  for (const reply of turn.replies) if (keepAnalysis || reply.channel !== 'analysis') out.push(reply);
  return out;
}

/** A whole conversation; resamples internally when an option rejects a draw. */
export function sampleConversation(rng: Rng, opts: SampleOptions = {}): ConversationPlan {
  for (let attempt = 0; attempt < MAX_RESAMPLES; attempt++) {
    const plan = trySample(rng, opts);
    if (plan !== null) return plan;
  }
  throw new Error('sampleConversation: every draw was rejected');
}

function trySample(rng: Rng, opts: SampleOptions): ConversationPlan | null {
  const effort = rng.pick(EFFORTS);
  const kind = opts.forceKind ?? (opts.forceArith !== undefined ? 'arith' : rng.weighted(LAST_KIND_WEIGHTS));
  const numPrior = rng.chance(opts.multiTurnProbability ?? DEFAULT_MULTI_TURN_PROBABILITY) ? rng.int(1, 2) : 0;
  const withTools =
    TOOL_KINDS.has(kind) || rng.chance(opts.toolsForNonToolProbability ?? (numPrior > 0 ? 0.3 : 0));
  const tools = withTools ? sampleTools(rng, kind === 'tool' ? (opts.forceFamily ?? null) : null, null) : [];
  const system = sampleSystem(rng, effort);
  const developer: DeveloperJson = {};
  if (rng.chance(withTools ? 0.5 : 0.35)) developer.instructions = rng.pick(INSTRUCTIONS);
  if (tools.length > 0) developer.tools = tools.map((v) => v.tool);

  const historyStyle: HistoryStyle = numPrior > 0 && rng.chance(0.25) ? 'harmony' : 'client';
  const messages: HarmonyMessageJson[] = [];
  const allArith: ArithProblem[] = [];
  const allTools: NonNullable<ConversationPlan['tool']>[] = [];
  const note = (result: TurnResult): void => {
    if (result.arith !== undefined) allArith.push(result.arith);
    if (result.tool !== undefined) allTools.push(result.tool);
  };
  for (let turnIdx = 0; turnIdx < numPrior; turnIdx++) {
    let priorKind = rng.weighted(PRIOR_KIND_WEIGHTS);
    if (priorKind === 'tool' && tools.length === 0) priorKind = 'arith';
    const prior = makeTurn(rng, priorKind, rng.chance(0.8) ? effort : rng.pick(EFFORTS), tools, { ...opts, forceArith: undefined }, false);
    if (prior === null) return null;
    note(prior);
    messages.push(...messagesOfTurn(prior.turn, historyStyle === 'harmony'));
  }
  const last = makeTurn(rng, kind, effort, tools, opts, true);
  if (last === null) return null;
  note(last);
  const lastUserIdx = messages.length;
  messages.push(...messagesOfTurn(last.turn, true));
  const request: RequestJson = { system, messages };
  if (developer.instructions !== undefined || developer.tools !== undefined) request.developer = developer;
  return {
    kind: last.turn.kind,
    effort,
    numTurns: numPrior + 1,
    request,
    lastUserIdx,
    historyStyle,
    dropPreCallAnalysis: last.turn.kind === 'tool' && rng.chance(0.3),
    ...(last.tool !== undefined ? { tool: last.tool } : {}),
    ...(last.arith !== undefined ? { arith: last.arith } : {}),
    allArith,
    allTools,
  };
}

