// The packaged demo model (assets/demo-model/, unpacked by ensureDemoModel) on our engine against
// transformers (tests/fixtures/demo-model/fixture.json + fixture.f32, written by train.py from the
// exported checkpoint, MXFP4 dequantised, float32):
//   - logits of the last 96 positions of two held-out prompts + their replies (48 recorded columns
//     per position, among them unseen ids whose logit is exactly 0), argmax and logsumexp over V;
//   - teacher-forced greedy: for 10 held-out arithmetic and 3 held-out tool prompts, the engine's
//     argmax after every prefix of transformers' greedy reply is the reply's next token (one prefill
//     per prompt instead of one decode step per token), and the replies are right: ≥ 90% exact
//     arithmetic answers, every tool prompt calls the declared tool with JSON naming the entity;
//   - one real greedy decode through the generator (KV cache, GPU sampler) gives the same reply;
//   - the fixture's prompts are what lib/heldout.ts rebuilds from the data seed (what eval.ts uses).
// Lavapipe: ~40 s (load 3 s, 15 prefills, one 50-token decode).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGenerator } from '../../src/generate/generator.js';
import { Gpu } from '../../src/gpu/device.js';
import { renderRequestFromJson } from '../../src/harmony/json.js';
import { renderConversationForCompletion } from '../../src/harmony/render.js';
import { ensureDemoModel } from '../../src/model/demo-model.js';
import { loadModel, type LoadedModel } from '../../src/model/load.js';
import { SPECIAL_TOKENS } from '../../src/tokenizer/special-tokens.js';
import { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { checkGreedy, checkLogits, readFixture, type DemoFixture, type GreedyReport } from '../../tools/demo-model/lib/fixture-check.js';
import { DEFAULT_SEED, buildEvalSets, buildHeldOut, type EvalItem } from '../../tools/demo-model/lib/heldout.js';
import { makeTempDir, removeTempDirs } from '../model/helpers.js';

const FIXTURE_DIR = join(import.meta.dirname, '../fixtures/demo-model');
/** The oracle tests' bound (tests/model/oracle.test.ts): 2e-2 absolute on logits reaching ±31 here; float32 engines land near 1e-2. */
const LOGITS_ATOL = 2e-2;
/**
 * Where transformers' top-1 beats its top-2 by less than twice the logit tolerance, either engine
 * may legitimately pick the other token; the fixture's smallest margins are 0.007 and 0.008.
 */
const TIE_MARGIN = 2 * LOGITS_ATOL;
/** The issue's bar for greedy arithmetic (transformers gets 9 of these 10). */
const MIN_ARITHMETIC_ACCURACY = 0.9;
const CONTEXT_LENGTH = 1024;
/** The short held-out item decoded for real (50 tokens). */
const DECODED_ITEM = 'arith-016';

const fixture: DemoFixture = readFixture(FIXTURE_DIR);
const fixtureJson = JSON.parse(readFileSync(join(FIXTURE_DIR, 'fixture.json'), 'utf8')) as { reference: string };

let tok: Tokenizer;
let gpu: Gpu;
let model: LoadedModel;
const greedy = new Map<string, GreedyReport>();

beforeAll(async () => {
  const dir = await ensureDemoModel({ cacheDir: await makeTempDir('demo-cache') });
  tok = await Tokenizer.load(dir);
  gpu = await Gpu.open({ backend: process.env.WGH_BACKEND });
  model = await loadModel(dir, { gpu, contextLength: CONTEXT_LENGTH });
});

afterAll(async () => {
  model?.destroy();
  gpu?.destroy();
  await removeTempDirs();
});

describe(`the demo model on our engine vs ${fixtureJson.reference}`, () => {
  it.each(fixture.logits.map((rec) => [rec.item, rec] as const))('logits of %s: within 2e-2 at 96 positions, same argmax over V', async (_item, rec) => {
    const report = await checkLogits(model.runner, fixture, rec, model.config.vocabSize);
    console.log(`[demo-model] logits ${rec.item}: ${report.positions} positions, max |diff| ${report.maxAbsDiff.toExponential(3)}, max logsumexp diff ${report.maxLogsumexpDiff.toExponential(3)}`);
    expect(report.argmaxMismatches).toEqual([]);
    expect(report.maxAbsDiff).toBeLessThanOrEqual(LOGITS_ATOL);
    expect(report.maxLogsumexpDiff).toBeLessThanOrEqual(LOGITS_ATOL);
  });

  it.each(fixture.greedy.map((rec) => [rec.item, rec.continuation.length, rec] as const))(
    'teacher-forced greedy, held-out %s: the engine picks transformers\' %i tokens',
    async (_item, _length, rec) => {
      const report = await checkGreedy(model.runner, tok, rec, model.config.vocabSize);
      greedy.set(rec.item, report);
      if (!report.sameTokens) expect(rec.min_margin ?? 0, `${rec.item}: ${report.firstDifference} where transformers' margin is ${rec.min_margin}`).toBeLessThan(TIE_MARGIN);
    },
  );

  it('greedy arithmetic: ≥ 90% exact final answers', () => {
    expect(greedy.size).toBe(fixture.greedy.length);
    const arithmetic = [...greedy.values()].filter((r) => r.set === 'arithmetic');
    const correct = arithmetic.filter((r) => r.sameTokens && r.verdict.ok);
    const failures = arithmetic.filter((r) => !correct.includes(r)).map((r) => `${r.item}: ${r.verdict.reason || r.firstDifference}`);
    console.log(`[demo-model] arithmetic ${correct.length}/${arithmetic.length}${failures.length > 0 ? ` (${failures.join('; ')})` : ''}`);
    expect(arithmetic.length).toBeGreaterThanOrEqual(5);
    expect(correct.length / arithmetic.length).toBeGreaterThanOrEqual(MIN_ARITHMETIC_ACCURACY);
  });

  it('greedy tool prompts: the declared tool, on commentary with JSON arguments naming the entity', () => {
    const tools = [...greedy.values()].filter((r) => r.set === 'tools');
    expect(tools.length).toBeGreaterThanOrEqual(2);
    for (const r of tools) {
      expect(r.sameTokens, `${r.item}: ${r.firstDifference}`).toBe(true);
      expect(r.verdict, r.item).toMatchObject({ ok: true });
    }
  });

  it(`a real greedy decode (${DECODED_ITEM}) writes the same reply, ending in <|return|>`, async () => {
    const rec = fixture.greedy.find((g) => g.item === DECODED_ITEM);
    if (rec === undefined) throw new Error(`fixture.json has no ${DECODED_ITEM}`);
    const generator = createGenerator(model);
    try {
      const result = await generator.generate(rec.prompt, { maxTokens: rec.continuation.length + 1, temperature: 0, stopTokens: [SPECIAL_TOKENS.RETURN, SPECIAL_TOKENS.CALL] })
        .result;
      expect(tok.decode([...result.tokens])).toBe(tok.decode([...rec.continuation]));
      expect([...result.tokens]).toEqual([...rec.continuation]);
    } finally {
      await generator.close();
    }
  });
});

describe('the evaluation sets (lib/heldout.ts) rebuilt from the data seed', () => {
  it('render exactly the fixture prompts train.py used', () => {
    const sets = buildEvalSets(DEFAULT_SEED, buildHeldOut(DEFAULT_SEED));
    const byId = new Map<string, EvalItem>([...sets.arithmetic, ...sets.tools].map((item) => [item.id, item]));
    for (const rec of fixture.greedy) {
      const item = byId.get(rec.item);
      expect(item, rec.item).toBeDefined();
      const { messages, dropAnalysis } = renderRequestFromJson(item?.request ?? { messages: [] });
      expect(renderConversationForCompletion(tok, messages, 'assistant', { dropAnalysis }), rec.item).toEqual([...rec.prompt]);
      expect(item?.expected?.answer ?? item?.expected?.tool, rec.item).toBe(rec.expected.answer ?? rec.expected.tool);
    }
  });
});
