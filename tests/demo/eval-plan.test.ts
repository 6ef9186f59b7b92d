// eval.ts's bookkeeping (no GPU): the items are interleaved so that a run cut by its deadline still
// samples every set in proportion, workers split them without overlap, and the report counts right.
import { describe, expect, it } from 'vitest';
import { summarizeSet, summarizeSets } from '../../tools/demo-model/lib/eval-report.js';
import { planItems, type ItemResult } from '../../tools/demo-model/lib/eval-worker.js';
import { DEFAULT_SEED, buildEvalSets, buildHeldOut } from '../../tools/demo-model/lib/heldout.js';

const evalSets = buildEvalSets(DEFAULT_SEED, buildHeldOut(DEFAULT_SEED));

function result(set: ItemResult['set'], index: number, ok: boolean, patch: Partial<ItemResult> = {}): ItemResult {
  return { set, index, id: `${set}-${index}`, ok, reason: ok ? '' : 'wrong', promptTokens: 10, completionTokens: 40 + index, stop: 'stop_token', effort: 'low', turns: 1, ...patch };
}

describe('eval plan', () => {
  it('plans 200 arithmetic, 160 tool and 500 format items, interleaved in proportion', () => {
    const plan = planItems(evalSets, ['arithmetic', 'tools', 'format'], 0);
    expect(plan).toHaveLength(860);
    expect(new Set(plan.map((p) => `${p.set}/${p.index}`)).size).toBe(860);
    const first = plan.slice(0, 86);
    const count = (set: string) => first.filter((p) => p.set === set).length;
    expect(count('arithmetic')).toBeGreaterThanOrEqual(19);
    expect(count('tools')).toBeGreaterThanOrEqual(15);
    expect(count('format')).toBeGreaterThanOrEqual(49);
    for (const set of ['arithmetic', 'tools', 'format'] as const) {
      const indices = plan.filter((p) => p.set === set).map((p) => p.index);
      expect(indices).toEqual([...indices].sort((a, b) => a - b)); // each set in its own order
    }
  });

  it('--limit takes the first N of each set', () => {
    const plan = planItems(evalSets, ['tools', 'arithmetic'], 3);
    expect(plan.map((p) => `${p.set}/${p.index}`).sort()).toEqual(['arithmetic/0', 'arithmetic/1', 'arithmetic/2', 'tools/0', 'tools/1', 'tools/2']);
  });

  it('the report: accuracy, completeness, failures, JSON calls of the format set', () => {
    const format = summarizeSet('format', 4, [result('format', 0, true, { validJsonCall: true }), result('format', 1, false, { completion: 'x' }), result('format', 2, true)], 'temperature 0.7');
    expect(format).toMatchObject({ planned: 4, evaluated: 3, correct: 2, complete: false, meetsTarget: false, jsonCalls: { valid: 1, calls: 1 } });
    expect(format.failures).toEqual([expect.objectContaining({ id: 'format-1', reason: 'wrong', completion: 'x' })]);
    const plan = planItems(evalSets, ['arithmetic'], 10);
    const results = plan.map((p) => result('arithmetic', p.index, p.index !== 3)).reverse();
    const sets = summarizeSets(['arithmetic'], plan, results, 0.7);
    expect(sets['arithmetic']).toMatchObject({ planned: 10, evaluated: 10, correct: 9, accuracy: 0.9, complete: true, meetsTarget: true, sampling: 'greedy' });
    expect(sets['arithmetic'].items.map(([id]) => id)).toEqual(plan.map((p) => `arithmetic-${p.index}`));
  });
});
