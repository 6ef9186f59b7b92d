// The evaluation's JSON report (eval.ts): per set the counts, accuracy against the issue's bar,
// whether every planned item was evaluated, stop reasons, reply lengths and every failure.

import type { ItemResult, PlannedItem, SetName } from './eval-worker.js';

/** The issue's bars. */
export const TARGETS: Readonly<Record<SetName, number>> = { arithmetic: 0.9, tools: 0.9, format: 0.99 };

export interface SetReport {
  readonly planned: number;
  readonly evaluated: number;
  readonly correct: number;
  readonly accuracy: number;
  readonly target: number;
  /** Complete, and the accuracy reaches the target. */
  readonly meetsTarget: boolean;
  /** Every planned item was evaluated (false when a deadline or a worker's failure cut the run short). */
  readonly complete: boolean;
  readonly sampling: string;
  readonly stopReasons: Readonly<Record<string, number>>;
  readonly completionTokens: { readonly mean: number; readonly max: number };
  /** Format set: `<|call|>` replies whose arguments are valid JSON, of all `<|call|>` replies. */
  readonly jsonCalls?: { readonly valid: number; readonly calls: number };
  readonly failures: readonly Omit<ItemResult, 'set' | 'index'>[];
  /** [id, ok, completion tokens] of every evaluated item. */
  readonly items: readonly (readonly [string, boolean, number])[];
}

function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}

export function summarizeSet(set: SetName, planned: number, results: readonly ItemResult[], sampling: string): SetReport {
  const evaluated = results.length;
  const correct = results.filter((r) => r.ok).length;
  const accuracy = evaluated > 0 ? correct / evaluated : 0;
  const tokens = results.map((r) => r.completionTokens);
  const calls = results.filter((r) => r.validJsonCall !== undefined);
  return {
    planned,
    evaluated,
    correct,
    accuracy,
    target: TARGETS[set],
    meetsTarget: evaluated === planned && evaluated > 0 && accuracy >= TARGETS[set],
    complete: evaluated === planned,
    sampling,
    stopReasons: countBy(results.map((r) => r.stop)),
    completionTokens: { mean: evaluated > 0 ? tokens.reduce((a, b) => a + b, 0) / evaluated : 0, max: Math.max(0, ...tokens) },
    ...(set === 'format' ? { jsonCalls: { valid: calls.filter((r) => r.validJsonCall === true).length, calls: calls.length } } : {}),
    failures: results.filter((r) => !r.ok).map(({ set: _set, index: _index, ...rest }) => rest),
    items: results.map((r) => [r.id, r.ok, r.completionTokens] as const),
  };
}

export function summarizeSets(
  sets: readonly SetName[],
  plan: readonly PlannedItem[],
  results: readonly ItemResult[],
  temperature: number,
): Record<string, SetReport> {
  const report: Record<string, SetReport> = {};
  for (const set of sets) {
    const own = results.filter((r) => r.set === set).sort((a, b) => a.index - b.index);
    const sampling = set === 'format' ? `temperature ${temperature}, seed = item index + 1` : 'greedy';
    report[set] = summarizeSet(set, plan.filter((p) => p.set === set).length, own, sampling);
  }
  return report;
}

export function summaryLine(sets: Readonly<Record<string, SetReport>>): string {
  return Object.entries(sets)
    .map(
      ([name, r]) =>
        `${name} ${r.correct}/${r.evaluated}${r.complete ? '' : ` (of ${r.planned} planned)`} = ${(100 * r.accuracy).toFixed(1)}% ` +
        `(target ${100 * r.target}%: ${r.meetsTarget ? 'met' : r.complete ? 'NOT met' : 'incomplete'})`,
    )
    .join('; ');
}
