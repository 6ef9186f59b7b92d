// One evaluation worker (eval.ts): our engine (loadModel + createGenerator, any WebGPU adapter) on a
// share of the evaluation items, each judged by lib/judge.ts. eval.ts runs one in-process, or N as
// child processes (one Dawn device each) that split the items.

import { createGenerator } from '../../../src/generate/generator.js';
import type { GenerateParams } from '../../../src/generate/types.js';
import { Gpu } from '../../../src/gpu/device.js';
import { renderRequestFromJson } from '../../../src/harmony/json.js';
import { renderConversationForCompletion } from '../../../src/harmony/render.js';
import { loadModel } from '../../../src/model/load.js';
import { SPECIAL_TOKENS } from '../../../src/tokenizer/special-tokens.js';
import { Tokenizer } from '../../../src/tokenizer/tokenizer.js';
import type { EvalItem, EvalSets } from './heldout.js';
import { judgeArithmetic, judgeFormat, judgeToolCall, type Verdict } from './judge.js';

export const SET_NAMES = ['arithmetic', 'tools', 'format'] as const;
export type SetName = (typeof SET_NAMES)[number];

/** The engine's context for one reply (the longest eval prompt + reply is < 1,100 tokens). */
const CONTEXT_LENGTH = 2048;
/** Characters of a failed reply kept in the report. */
const SHOWN_FAILURE_CHARS = 600;

export interface PlannedItem {
  readonly set: SetName;
  /** Index within its set (format items sample with seed = index + 1). */
  readonly index: number;
}

export interface ItemResult {
  readonly set: SetName;
  /** Index within its set. */
  readonly index: number;
  readonly id: string;
  readonly ok: boolean;
  readonly reason: string;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly stop: string;
  readonly effort: string;
  readonly turns: number;
  /** The decoded reply, for failures only. */
  readonly completion?: string;
  /** Format set, `<|call|>` replies: the arguments parse as JSON. */
  readonly validJsonCall?: boolean;
}

export interface EvalParams {
  readonly temperature: number;
  readonly maxTokens: number;
}

/**
 * The items of `sets` (the first `limit` of each when limit > 0), interleaved so that every prefix of
 * the list samples each set in proportion: a run cut short by its deadline still covers all sets.
 */
export function planItems(evalSets: EvalSets, sets: readonly SetName[], limit: number): PlannedItem[] {
  const items: (PlannedItem & { readonly at: number })[] = [];
  for (const set of sets) {
    const count = limit > 0 ? Math.min(limit, evalSets[set].length) : evalSets[set].length;
    for (let index = 0; index < count; index++) items.push({ set, index, at: (index + 0.5) / count });
  }
  items.sort((a, b) => a.at - b.at || SET_NAMES.indexOf(a.set) - SET_NAMES.indexOf(b.set));
  return items.map(({ set, index }) => ({ set, index }));
}

function judge(set: SetName, tok: Tokenizer, item: EvalItem, completion: readonly number[]): Verdict & { readonly validJsonCall?: boolean } {
  if (set === 'arithmetic') return judgeArithmetic(tok, completion, item.expected?.answer ?? NaN);
  if (set === 'tools') return judgeToolCall(tok, completion, { tool: item.expected?.tool ?? '', entities: item.expected?.entities ?? [] });
  return judgeFormat(tok, completion);
}

export interface WorkerOptions {
  readonly modelDir: string;
  readonly evalSets: EvalSets;
  readonly items: readonly PlannedItem[];
  readonly params: EvalParams;
  /** Date.now() after which no new item is started. */
  readonly deadlineMs: number;
  readonly onResult: (result: ItemResult) => void;
  /** Called once the GPU is open: Dawn's adapter description. */
  readonly onAdapter?: (adapter: string) => void;
}

export interface WorkerSummary {
  readonly evaluated: number;
  readonly generatedTokens: number;
  /** From the model loaded to the last reply. */
  readonly seconds: number;
  readonly stoppedAtDeadline: boolean;
}

export async function runWorker(opts: WorkerOptions): Promise<WorkerSummary> {
  const tok = await Tokenizer.load(opts.modelDir);
  const gpu = await Gpu.open({ backend: process.env['WGH_BACKEND'] });
  opts.onAdapter?.(gpu.describe().adapter.description || gpu.describe().adapter.device);
  const model = await loadModel(opts.modelDir, { gpu, contextLength: CONTEXT_LENGTH });
  const generator = createGenerator(model);
  const startMs = performance.now();
  let generatedTokens = 0;
  let evaluated = 0;
  let stoppedAtDeadline = false;
  try {
    for (const planned of opts.items) {
      if (Date.now() > opts.deadlineMs) {
        stoppedAtDeadline = true;
        break;
      }
      const item = opts.evalSets[planned.set][planned.index];
      const greedy = planned.set !== 'format';
      const { messages, dropAnalysis } = renderRequestFromJson(item.request);
      const prompt = renderConversationForCompletion(tok, messages, 'assistant', { dropAnalysis });
      const params: GenerateParams = {
        maxTokens: opts.params.maxTokens,
        stopTokens: [SPECIAL_TOKENS.RETURN, SPECIAL_TOKENS.CALL],
        ...(greedy ? { temperature: 0 } : { temperature: opts.params.temperature, seed: planned.index + 1 }),
      };
      const result = await generator.generate(prompt, params).result;
      const completion = [...result.tokens];
      generatedTokens += completion.length;
      evaluated++;
      const verdict = judge(planned.set, tok, item, completion);
      opts.onResult({
        set: planned.set,
        index: planned.index,
        id: item.id,
        ok: verdict.ok,
        reason: verdict.reason,
        promptTokens: prompt.length,
        completionTokens: completion.length,
        stop: result.stopReason.kind,
        effort: item.effort,
        turns: item.turns,
        ...(verdict.ok ? {} : { completion: tok.decode(completion).slice(0, SHOWN_FAILURE_CHARS) }),
        ...(verdict.validJsonCall !== undefined ? { validJsonCall: verdict.validJsonCall } : {}),
      });
    }
  } finally {
    await generator.close();
    model.destroy();
    gpu.destroy();
  }
  return { evaluated, generatedTokens, seconds: (performance.now() - startMs) / 1000, stoppedAtDeadline };
}
