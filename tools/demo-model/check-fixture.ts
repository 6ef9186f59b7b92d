// The engine vs transformers on a trained demo model: logits and teacher-forced greedy decoding of
// the fixture train.py wrote (lib/fixture-check.ts). Prints one JSON report.
//
//   node node_modules/tsx/dist/cli.mjs tools/demo-model/check-fixture.ts --model DIR --fixture DIR
//
// Tolerance: the oracle test's 2e-2 absolute on logits (float32 engines land near 1e-3).

import { parseArgs } from 'node:util';
import { Gpu } from '../../src/gpu/device.js';
import { loadModel } from '../../src/model/load.js';
import { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { checkGreedy, checkLogits, readFixture } from './lib/fixture-check.js';

const LOGITS_ATOL = 2e-2;
const CONTEXT_LENGTH = 2048;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { model: { type: 'string' }, fixture: { type: 'string' } } });
  if (values.model === undefined || values.fixture === undefined) throw new Error('check-fixture: --model DIR and --fixture DIR are required');
  const fixture = readFixture(values.fixture);
  const tok = await Tokenizer.load(values.model);
  const gpu = await Gpu.open({ backend: process.env['WGH_BACKEND'] });
  const model = await loadModel(values.model, { gpu, contextLength: CONTEXT_LENGTH });
  try {
    const V = model.config.vocabSize;
    const logits = [];
    for (const rec of fixture.logits) logits.push(await checkLogits(model.runner, fixture, rec, V));
    const greedy = [];
    for (const rec of fixture.greedy) {
      const report = await checkGreedy(model.runner, tok, rec, V);
      greedy.push({ ...report, verdict: { ok: report.verdict.ok, reason: report.verdict.reason }, minMargin: rec.min_margin });
    }
    const ok =
      logits.every((r) => r.maxAbsDiff <= LOGITS_ATOL && r.argmaxMismatches.length === 0) && greedy.every((r) => r.sameTokens);
    console.log(JSON.stringify({ ok, tolerance: LOGITS_ATOL, logits, greedy, correct: greedy.filter((r) => r.verdict.ok).length }, null, 1));
  } finally {
    model.destroy();
    gpu.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
