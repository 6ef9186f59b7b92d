// What training never sees, and the evaluation sets built from it.
//
// - 200 two-digit arithmetic problems (80 +, 70 −, 50 ×), never asked in training in any turn; a
//   sum is held out together with its mirror (38 + 47 with 47 + 38). Each held-out answer is still
//   the answer of some training problem of the same operation, so the answer's token and its
//   "tens part + ones digit" join are trained (the working, not the table, is what is tested).
// - For the city tools (weather, time, flights, distance): 8 cities per family are never used
//   with that family in training, though each appears with the other city families; the held-out
//   tool prompts of those families use only these cities.
// - Tool prompts of the other families are new combinations (question, tool names, parameter
//   spellings, other declared tools): training drops any conversation whose prompt signature
//   equals one of them. Their entities (tickers, words, …) are trained with the same family.
// - Format prompts are fresh draws from the training distribution.

import { allTwoDigitProblems, arithAnswer, arithKey, type ArithProblem } from './arith.js';
import { sampleConversation, type ConversationPlan, type SampleOptions } from './conversation.js';
import { CITIES } from './pools.js';
import { Rng, mixSeed } from './rng.js';
import { CITY_FAMILIES, FAMILY_IDS, type EntityPolicy, type FamilyId } from './tools.js';
import type { Kind, RequestJson } from './types.js';
import type { HarmonyMessageJson } from '../../../src/harmony/json.js';

/** The data seed of the shipped demo model (generate-data.ts and eval.ts default to it). */
export const DEFAULT_SEED = 20261122;

export const HELDOUT_ARITH_COUNTS: Readonly<Record<ArithProblem['op'], number>> = { '+': 80, '-': 70, '*': 50 };
export const HELDOUT_CITIES_PER_FAMILY = 8;
export const NUM_TOOL_EVAL = 160;
export const NUM_FORMAT_EVAL = 500;
/** Share of format prompts of tool conversations cut after the tool result (the answer step). */
const AFTER_TOOL_SHARE = 0.25;

/** Independent random streams (mixed with the seed). */
export const STREAMS = { heldout: 1, train: 2, valid: 3, evalArith: 4, evalTools: 5, evalFormat: 6 } as const;

export interface HeldOut {
  readonly arithProblems: readonly ArithProblem[];
  readonly arithKeys: ReadonlySet<string>;
  readonly cities: ReadonlyMap<FamilyId, ReadonlySet<string>>;
}

export function buildHeldOut(seed: number): HeldOut {
  const rng = new Rng(mixSeed(seed, STREAMS.heldout));
  const all = allTwoDigitProblems();
  // How many problems of each (op, answer) remain trainable; a held-out answer must keep one.
  const remaining = new Map<string, number>();
  const answerKey = (p: ArithProblem) => `${p.op}=${arithAnswer(p)}`;
  for (const p of all) remaining.set(answerKey(p), (remaining.get(answerKey(p)) ?? 0) + (p.op === '+' && p.a !== p.b ? 2 : 1));
  const chosen: ArithProblem[] = [];
  const keys = new Set<string>();
  for (const op of ['+', '-', '*'] as const) {
    let need = HELDOUT_ARITH_COUNTS[op];
    for (const p of rng.shuffle(all.filter((q) => q.op === op))) {
      if (need === 0) break;
      const weight = p.op === '+' && p.a !== p.b ? 2 : 1;
      const left = remaining.get(answerKey(p)) ?? 0;
      if (left - weight < 1) continue;
      remaining.set(answerKey(p), left - weight);
      // Show sums in either order.
      chosen.push(op === '+' && rng.chance(0.5) ? { op, a: p.b, b: p.a } : p);
      keys.add(arithKey(p));
      need--;
    }
  }
  const shuffledCities = rng.shuffle(CITIES.map((c) => c.name));
  const cities = new Map<FamilyId, Set<string>>();
  CITY_FAMILIES.forEach((family, familyIdx) => {
    cities.set(family, new Set(shuffledCities.slice(familyIdx * HELDOUT_CITIES_PER_FAMILY, (familyIdx + 1) * HELDOUT_CITIES_PER_FAMILY)));
  });
  return { arithProblems: rng.shuffle(chosen), arithKeys: keys, cities };
}

export function trainingPolicy(heldOut: HeldOut): EntityPolicy {
  return { cityAllowed: (family, city) => !(heldOut.cities.get(family)?.has(city) ?? false) };
}

function heldOutCityPolicy(heldOut: HeldOut): EntityPolicy {
  return { cityAllowed: (family, city) => heldOut.cities.get(family)?.has(city) ?? true };
}

/** Sampling options for training and validation data: nothing held out appears. */
export function trainingOptions(heldOut: HeldOut, toolSignatures: ReadonlySet<string>): SampleOptions {
  return {
    policy: trainingPolicy(heldOut),
    arithAllowed: (p) => !heldOut.arithKeys.has(arithKey(p)),
    toolSignatureAllowed: (signature) => !toolSignatures.has(signature),
  };
}

export interface EvalItem {
  readonly id: string;
  readonly kind: Kind;
  readonly effort: string;
  readonly turns: number;
  /** The prompt in the wire format of `wgh harmony render` (src/harmony/json.ts). */
  readonly request: RequestJson & { drop_analysis: boolean };
  readonly expected?: {
    readonly answer?: number;
    readonly question?: string;
    readonly tool?: string;
    readonly family?: string;
    readonly args?: string;
    readonly entities?: readonly string[];
  };
}

/** The plan's prompt: messages before the last turn's replies, or (afterTool) up to the tool result. */
function promptRequest(plan: ConversationPlan, afterTool: boolean): EvalItem['request'] {
  const messages = plan.request.messages;
  let end = plan.lastUserIdx + 1;
  let prompt: HarmonyMessageJson[] = messages.slice(0, end);
  if (afterTool) {
    end = messages.findIndex((m, msgIdx) => msgIdx > plan.lastUserIdx && m.role === 'tool') + 1;
    const turn = messages.slice(plan.lastUserIdx + 1, end);
    const kept = plan.dropPreCallAnalysis ? turn.filter((m) => m.channel !== 'analysis') : turn;
    prompt = [...prompt, ...kept];
  }
  const request: EvalItem['request'] = { system: plan.request.system, messages: prompt, drop_analysis: plan.historyStyle === 'harmony' };
  if (plan.request.developer !== undefined) request.developer = plan.request.developer;
  return request;
}

function itemOf(id: string, plan: ConversationPlan, afterTool: boolean, expected?: EvalItem['expected']): EvalItem {
  return {
    id,
    kind: plan.kind,
    effort: plan.effort,
    turns: plan.numTurns,
    request: promptRequest(plan, afterTool),
    ...(expected !== undefined ? { expected } : {}),
  };
}

export interface EvalSets {
  readonly arithmetic: readonly EvalItem[];
  readonly tools: readonly EvalItem[];
  readonly format: readonly EvalItem[];
  /** Signatures of the held-out tool prompts (training drops conversations with these). */
  readonly toolSignatures: ReadonlySet<string>;
}

export function buildEvalSets(seed: number, heldOut: HeldOut): EvalSets {
  const trainArith = (p: ArithProblem) => !heldOut.arithKeys.has(arithKey(p));
  const arithmetic = heldOut.arithProblems.map((p, itemIdx) => {
    const rng = new Rng(mixSeed(seed, STREAMS.evalArith, itemIdx));
    const variant = rng.next();
    const plan = sampleConversation(rng, {
      forceArith: p,
      policy: trainingPolicy(heldOut),
      arithAllowed: trainArith,
      multiTurnProbability: variant < 0.1 ? 1 : 0,
      toolsForNonToolProbability: variant >= 0.1 && variant < 0.2 ? 1 : 0,
    });
    const question = plan.request.messages[plan.lastUserIdx].content;
    return itemOf(`arith-${String(itemIdx).padStart(3, '0')}`, plan, false, { answer: arithAnswer(p), question });
  });

  const otherFamilies = FAMILY_IDS.filter((f) => !CITY_FAMILIES.includes(f));
  const numCityItems = NUM_TOOL_EVAL / 2;
  const toolSignatures = new Set<string>();
  const tools: EvalItem[] = [];
  for (let itemIdx = 0; tools.length < NUM_TOOL_EVAL; itemIdx++) {
    const rng = new Rng(mixSeed(seed, STREAMS.evalTools, itemIdx));
    const cityItem = tools.length < numCityItems;
    const family = cityItem ? CITY_FAMILIES[tools.length % CITY_FAMILIES.length] : otherFamilies[(tools.length - numCityItems) % otherFamilies.length];
    const plan = sampleConversation(rng, {
      forceKind: 'tool',
      forceFamily: family,
      policy: cityItem ? heldOutCityPolicy(heldOut) : trainingPolicy(heldOut),
      arithAllowed: trainArith,
      multiTurnProbability: 0.1,
    });
    const tool = plan.tool;
    if (tool === undefined || toolSignatures.has(tool.signature)) continue;
    toolSignatures.add(tool.signature);
    tools.push(
      itemOf(`tool-${String(tools.length).padStart(3, '0')}`, plan, false, { tool: tool.name, family: tool.family, args: tool.args, entities: tool.entities }),
    );
  }

  const format: EvalItem[] = [];
  for (let itemIdx = 0; itemIdx < NUM_FORMAT_EVAL; itemIdx++) {
    const rng = new Rng(mixSeed(seed, STREAMS.evalFormat, itemIdx));
    const plan = sampleConversation(rng, { policy: trainingPolicy(heldOut), arithAllowed: trainArith });
    const afterTool = plan.kind === 'tool' && rng.chance(AFTER_TOOL_SHARE);
    format.push(itemOf(`format-${String(itemIdx).padStart(3, '0')}`, plan, afterTool));
  }
  return { arithmetic, tools, format, toolSignatures };
}
