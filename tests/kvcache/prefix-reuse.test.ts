// Prefix reuse on the GPU: whatever ModelRunner.prefillPrompt decides (extend, rewind, restore the
// checkpoint, re-prefill from 0), the logits of the prefilled suffix equal a fresh prefill of the
// whole prompt. The sliding rings get a slack of 4 here (not 256), so the Harmony case (the next
// turn drops the last turn's analysis, i.e. diverges where the generation began) overruns it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGenerator, type Generator } from '../../src/generate/generator.js';
import { loadModel, type LoadedModel } from '../../src/model/load.js';
import { expectClose } from '../helpers/close.js';
import { useGpu } from '../helpers/gpu.js';
import { seeded } from '../helpers/random.js';

const DIR = join(import.meta.dirname, '../fixtures/gpt-oss-tiny-a');
const oracle = JSON.parse(readFileSync(join(DIR, 'oracle.json'), 'utf8')) as { input_ids: number[] };
const V = 1024;
const SEED = 2024;
// Same engine, same per-token arithmetic; only which chunk a key was computed in differs.
const SELF_TOL = { atol: 1e-4, rtol: 1e-5 };
const SLIDING_SLACK = 4; // W = 8: rewinds of up to 5 positions keep the sliding keys
const A = oracle.input_ids; // 40 ids: the "conversation so far"

function ids(count: number, seed: number): number[] {
  const rand = seeded(seed);
  return Array.from({ length: count }, () => Math.floor(rand() * V));
}

describe('prefix reuse gives the logits of a fresh prefill', () => {
  const gpu = useGpu();
  let fresh: LoadedModel;
  let reuse: LoadedModel;
  let generator: Generator;

  /** Logits rows [from, prompt.length) of a fresh prefill of the whole prompt. */
  async function freshRows(prompt: number[], from: number, model = fresh): Promise<Float32Array> {
    model.runner.rewind(0);
    const all = (await model.runner.prefill(prompt, 'all'))!;
    return all.subarray(from * V);
  }

  async function expectReuse(prompt: number[], action: string, cachedTokens: number, model = reuse, freshModel = fresh): Promise<void> {
    const got = await model.runner.prefillPrompt(prompt, 'all');
    expect({ action: got.plan.action, cachedTokens: got.cachedTokens }).toEqual({ action, cachedTokens });
    expect(model.runner.tokens).toEqual(prompt);
    expectClose(got.logits!, await freshRows(prompt, cachedTokens, freshModel), SELF_TOL, (i) => `position ${cachedTokens + Math.floor(i / V)}, id ${i % V}`);
  }

  beforeAll(async () => {
    fresh = await loadModel(DIR, { gpu: gpu(), contextLength: 128 });
    reuse = await loadModel(DIR, { gpu: gpu(), contextLength: 128, slidingSlack: SLIDING_SLACK });
    generator = createGenerator(reuse);
  });
  afterAll(async () => {
    await generator?.close();
    reuse?.destroy();
    fresh?.destroy();
  });

  it('a grown prompt extends the cache (only the new ids are prefilled)', async () => {
    await reuse.runner.prefillPrompt(A, 'none');
    await expectReuse([...A, ...ids(12, SEED)], 'extend', A.length);
  });

  it('the Harmony drop-analysis case: generate, then a prompt that diverges where generation began', async () => {
    // Turn 1: prompt A, 16 generated tokens (the "analysis"); the cache now holds A + 15 of them.
    // (The cache held A + 12 ids from the test above: going back to A - 1 overruns the slack, and the
    // checkpoint was taken at A + 12, so this prompt is prefilled from 0.)
    const turn1 = await generator.generate(A, { maxTokens: 16, temperature: 0 }).result;
    expect(turn1.metrics).toMatchObject({ prefixAction: 'reprefill', cachedTokens: 0, completionTokens: 16 });
    expect(reuse.runner.length).toBe(A.length + 15);
    // Turn 2 re-renders turn 1 without its analysis: it shares A only. Rewinding 15 positions is
    // beyond the slack, so the checkpoint taken when A was prefilled restores the sliding rings.
    const turn2 = [...A, ...ids(10, SEED + 1)];
    await expectReuse(turn2, 'restore_checkpoint', A.length);
    // Diverging inside the last turn, within the slack: a plain rewind.
    await expectReuse([...turn2.slice(0, 46), ...ids(6, SEED + 2)], 'rewind', 46);
  });

  it('diverging before what the checkpoint and the slack cover re-prefills from position 0', async () => {
    await expectReuse([...A.slice(0, 20), ...ids(8, SEED + 3)], 'reprefill', 0);
  });

  it('rotating cache: extending reuses; a prefix reaching into rotated-out positions re-prefills', async () => {
    const opts = { gpu: gpu(), contextLength: 128, maxKvSize: 16, kvKeep: 4 };
    const rotating = await loadModel(DIR, opts);
    const rotatingFresh = await loadModel(DIR, opts);
    try {
      await rotating.runner.prefillPrompt(A, 'none');
      const grown = [...A, ...ids(6, SEED + 4)];
      await expectReuse(grown, 'extend', A.length, rotating, rotatingFresh);
      await expectReuse([...grown.slice(0, 45), ...ids(3, SEED + 5)], 'rewind', 45, rotating, rotatingFresh);
      await expectReuse([...A.slice(0, 30), ...ids(3, SEED + 6)], 'reprefill', 0, rotating, rotatingFresh);
    } finally {
      rotating.destroy();
      rotatingFresh.destroy();
    }
  });
});
