// The engine against transformers on the trained demo model (fixture.json + fixture.f32 written by
// train.py, see verify.py make_fixture):
//   logits: for a few sequences, the engine's logits at the recorded positions and columns, its
//           argmax over all V columns and its logsumexp over all V columns vs transformers';
//   greedy: held-out prompts with transformers' greedy continuation, teacher-forced through the
//           engine: its argmax after each prefix must be the next token of the continuation (then
//           the engine's own greedy decoding writes exactly that continuation), which is judged
//           with lib/judge.ts.
// Teacher forcing costs one prefill per sequence instead of one decode step per token.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelRunner } from '../../../src/model/runner.js';
import type { TokenBytesSource } from '../../../src/tokenizer/streaming-decoder.js';
import { judgeArithmetic, judgeToolCall, type Verdict } from './judge.js';

export interface FixtureGreedy {
  readonly set: 'arithmetic' | 'tools';
  readonly item: string;
  readonly expected: { readonly answer?: number; readonly tool?: string; readonly entities?: readonly string[] };
  readonly prompt: readonly number[];
  readonly continuation: readonly number[];
  /** Smallest top-1 minus top-2 logit along the continuation (transformers). */
  readonly min_margin: number | null;
  readonly correct_by_transformers: boolean;
}

export interface FixtureLogits {
  readonly item: string;
  readonly ids: readonly number[];
  readonly positions: readonly number[];
  /** columns[k]: the vocabulary ids recorded at positions[k]. */
  readonly columns: readonly (readonly number[])[];
  readonly argmax: readonly number[];
  readonly logsumexp: readonly number[];
  /** Where this record's [positions, columns] block starts in fixture.f32 (in floats). */
  readonly offset_floats: number;
  readonly shape: readonly [number, number];
}

export interface DemoFixture {
  readonly greedy: readonly FixtureGreedy[];
  readonly logits: readonly FixtureLogits[];
  /** fixture.f32: float32 LE, the blocks of `logits` one after another. */
  readonly values: Float32Array;
}

export function readFixture(dir: string): DemoFixture {
  const json = JSON.parse(readFileSync(join(dir, 'fixture.json'), 'utf8')) as Omit<DemoFixture, 'values'>;
  const raw = readFileSync(join(dir, 'fixture.f32'));
  const values = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  return { greedy: json.greedy, logits: json.logits, values };
}

/** Logits of ids[from..] (rows for positions from .. ids.length-1), the cache reset first. */
async function logitsFrom(runner: ModelRunner, ids: readonly number[], from: number): Promise<Float32Array> {
  runner.rewind(0);
  if (from > 0) await runner.prefill(ids.slice(0, from), 'none');
  const rows = await runner.prefill(ids.slice(from), 'all');
  if (rows === null) throw new Error('fixture check: prefill with "all" returned no logits');
  return rows;
}

function rowArgmax(rows: Float32Array, row: number, numCols: number): number {
  let best = 0;
  const base = row * numCols;
  for (let col = 1; col < numCols; col++) if (rows[base + col] > rows[base + best]) best = col;
  return best;
}

function rowLogsumexp(rows: Float32Array, row: number, numCols: number): number {
  const base = row * numCols;
  let max = -Infinity;
  for (let col = 0; col < numCols; col++) max = Math.max(max, rows[base + col]);
  let sum = 0;
  for (let col = 0; col < numCols; col++) sum += Math.exp(rows[base + col] - max);
  return max + Math.log(sum);
}

export interface LogitsReport {
  readonly item: string;
  readonly positions: number;
  readonly maxAbsDiff: number;
  readonly maxLogsumexpDiff: number;
  readonly argmaxMismatches: readonly string[];
}

export async function checkLogits(runner: ModelRunner, fixture: DemoFixture, rec: FixtureLogits, vocabSize: number): Promise<LogitsReport> {
  const first = rec.positions[0];
  const rows = await logitsFrom(runner, rec.ids, first);
  const [numPositions, width] = rec.shape;
  let maxAbsDiff = 0;
  let maxLogsumexpDiff = 0;
  const argmaxMismatches: string[] = [];
  for (let k = 0; k < numPositions; k++) {
    const row = rec.positions[k] - first;
    for (let c = 0; c < width; c++) {
      const want = fixture.values[rec.offset_floats + k * width + c];
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(rows[row * vocabSize + rec.columns[k][c]] - want));
    }
    const got = rowArgmax(rows, row, vocabSize);
    if (got !== rec.argmax[k]) argmaxMismatches.push(`position ${rec.positions[k]}: engine ${got}, transformers ${rec.argmax[k]}`);
    maxLogsumexpDiff = Math.max(maxLogsumexpDiff, Math.abs(rowLogsumexp(rows, row, vocabSize) - rec.logsumexp[k]));
  }
  return { item: rec.item, positions: numPositions, maxAbsDiff, maxLogsumexpDiff, argmaxMismatches };
}

export interface GreedyReport {
  readonly item: string;
  readonly set: FixtureGreedy['set'];
  /** The engine's greedy choice equals transformers' at every step. */
  readonly sameTokens: boolean;
  readonly firstDifference: string | null;
  /** lib/judge.ts on the (teacher-forced) continuation. */
  readonly verdict: Verdict;
}

export async function checkGreedy(runner: ModelRunner, tok: TokenBytesSource, rec: FixtureGreedy, vocabSize: number): Promise<GreedyReport> {
  const seq = [...rec.prompt, ...rec.continuation.slice(0, -1)];
  const from = rec.prompt.length - 1;
  const rows = await logitsFrom(runner, seq, from);
  let firstDifference: string | null = null;
  for (let step = 0; step < rec.continuation.length && firstDifference === null; step++) {
    const got = rowArgmax(rows, step, vocabSize);
    if (got !== rec.continuation[step]) firstDifference = `step ${step}: engine ${got}, transformers ${rec.continuation[step]}`;
  }
  const verdict =
    rec.set === 'arithmetic'
      ? judgeArithmetic(tok, rec.continuation, rec.expected.answer ?? NaN)
      : judgeToolCall(tok, rec.continuation, { tool: rec.expected.tool ?? '', entities: rec.expected.entities ?? [] });
  return { item: rec.item, set: rec.set, sameTokens: firstDifference === null, firstDifference, verdict };
}
