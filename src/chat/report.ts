// The end-of-run report: metrics/<fe>/report.md (per-turn table, totals, medians, artifact overhead)
// and SVG plots made with Vega-Lite (decode tokens/s per turn, prompt tokens per turn split into
// cached and prefilled, time to first token per turn). Input: the rows of timing.csv.

import { writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';
import type { TimingRow } from './artifacts.js';

export interface ReportFiles {
  readonly report: string;
  readonly plots: readonly string[];
}

export interface ReportOptions {
  readonly frontEnd: string;
  readonly runDir: string;
  readonly artifactFormatMs: number;
}

export interface TurnSummary {
  readonly turn: number;
  readonly attempts: number;
  readonly actions: string;
  readonly promptTokens: number;
  readonly cachedTokens: number;
  readonly completionTokens: number;
  readonly ttftSeconds: number;
  readonly decodeTokensPerSecond: number;
  readonly finish: string;
}

const num = (v: string | number): number => (typeof v === 'number' ? v : Number(v));
const PLOT_WIDTH = 480;
const PLOT_HEIGHT = 200;

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** One summary per turn: first attempt's prompt and TTFT, summed tokens, token-weighted decode rate. */
export function summarizeTurns(rows: readonly TimingRow[]): TurnSummary[] {
  const byTurn = new Map<number, TimingRow[]>();
  for (const row of rows) {
    const turn = num(row.turn);
    byTurn.set(turn, [...(byTurn.get(turn) ?? []), row]);
  }
  return [...byTurn.entries()]
    .sort(([a], [b]) => a - b)
    .map(([turn, attempts]) => {
      const first = attempts[0];
      const last = attempts[attempts.length - 1];
      const decodeSeconds = attempts.reduce((s, r) => s + num(r.decode_s), 0);
      const decodedTokens = attempts.reduce((s, r) => s + Math.max(num(r.completion_tokens) - 1, 0), 0);
      return {
        turn,
        attempts: attempts.length,
        actions: attempts.map((r) => (r.reason !== '' ? `${r.action}(${r.reason})` : r.action)).join(' → '),
        promptTokens: num(first.prompt_tokens),
        cachedTokens: num(first.cached_tokens),
        completionTokens: attempts.reduce((s, r) => s + num(r.completion_tokens), 0),
        ttftSeconds: num(first.ttft_s),
        decodeTokensPerSecond: decodeSeconds > 0 ? decodedTokens / decodeSeconds : 0,
        finish: String(last.finish_reason),
      };
    });
}

const fmt = (value: number, digits = 2): string => (Number.isFinite(value) ? value.toFixed(digits) : '–');

export function renderReportMarkdown(rows: readonly TimingRow[], opts: ReportOptions, plots: readonly string[]): string {
  const turns = summarizeTurns(rows);
  const lines = [`# wgh ${opts.frontEnd} run ${basename(opts.runDir)}`, ''];
  if (turns.length === 0) return [...lines, 'No turns were run.', ''].join('\n');
  lines.push('| turn | attempts | actions | prompt tokens | cached | completion tokens | TTFT (s) | decode tok/s | finish |');
  lines.push('|---:|---:|---|---:|---:|---:|---:|---:|---|');
  for (const t of turns) {
    lines.push(`| ${t.turn} | ${t.attempts} | ${t.actions} | ${t.promptTokens} | ${t.cachedTokens} | ${t.completionTokens} | ${fmt(t.ttftSeconds, 3)} | ${fmt(t.decodeTokensPerSecond, 1)} | ${t.finish} |`);
  }
  const sum = (key: keyof TimingRow) => rows.reduce((s, r) => s + num(r[key]), 0);
  const count = (action: string) => rows.filter((r) => r.action === action).length;
  lines.push('', '## Totals', '', '| turns | attempts | retries | resumes | tool rounds | prompt tokens | cached tokens | completion tokens | prefill (s) | decode (s) | wall (s) |');
  lines.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  lines.push(`| ${turns.length} | ${rows.length} | ${count('retry')} | ${count('resume')} | ${count('tool')} | ${sum('prompt_tokens')} | ${sum('cached_tokens')} | ${sum('completion_tokens')} | ${fmt(sum('prefill_s'))} | ${fmt(sum('decode_s'))} | ${fmt(sum('wall_s'))} |`);
  const med = (key: keyof TimingRow) => median(rows.map((r) => num(r[key])));
  lines.push('', '## Medians (per attempt)', '', '| TTFT (s) | prefill (s) | decode tok/s | prompt tokens | completion tokens |', '|---:|---:|---:|---:|---:|');
  lines.push(`| ${fmt(med('ttft_s'), 3)} | ${fmt(med('prefill_s'), 3)} | ${fmt(med('decode_tps'), 1)} | ${med('prompt_tokens')} | ${med('completion_tokens')} |`);
  lines.push('', '## Artifact overhead', '');
  lines.push(`Formatting artifacts took ${fmt(opts.artifactFormatMs)} ms in total (median ${fmt(med('artifact_ms'), 3)} ms per attempt), between attempts; file writes run in the background and never inside the decode loop.`);
  if (plots.length > 0) lines.push('', '## Plots', '', ...plots.map((p) => `![${p}](${p})`));
  return `${lines.join('\n')}\n`;
}

/** Renders a Vega-Lite spec to an SVG string (headless). */
export async function vegaLiteToSvg(spec: vegaLite.TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function lineSpec(title: string, values: Record<string, unknown>[], y: string, yTitle: string): vegaLite.TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: PLOT_WIDTH,
    height: PLOT_HEIGHT,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'turn', type: 'ordinal', title: 'turn' },
      y: { field: y, type: 'quantitative', title: yTitle },
    },
  };
}

export function plotSpecs(turns: readonly TurnSummary[]): Record<string, vegaLite.TopLevelSpec> {
  const values = turns.map((t) => ({ turn: t.turn, decodeTps: t.decodeTokensPerSecond, ttft: t.ttftSeconds }));
  const promptValues = turns.flatMap((t) => [
    { turn: t.turn, part: 'cached', tokens: t.cachedTokens },
    { turn: t.turn, part: 'prefilled', tokens: t.promptTokens - t.cachedTokens },
  ]);
  return {
    'decode_tps.svg': lineSpec('Decode tokens/s per turn', values, 'decodeTps', 'tokens/s'),
    'ttft.svg': lineSpec('Time to first token per turn', values, 'ttft', 'seconds'),
    'prompt_tokens.svg': {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: 'Prompt tokens per turn',
      width: PLOT_WIDTH,
      height: PLOT_HEIGHT,
      data: { values: promptValues },
      mark: 'bar',
      encoding: {
        x: { field: 'turn', type: 'ordinal', title: 'turn' },
        y: { field: 'tokens', type: 'quantitative', title: 'tokens', stack: 'zero' },
        color: { field: 'part', type: 'nominal', title: 'prompt tokens' },
      },
    },
  };
}

export async function writeReport(metricsDir: string, rows: readonly TimingRow[], opts: ReportOptions): Promise<ReportFiles> {
  const turns = summarizeTurns(rows);
  const plots: string[] = [];
  if (turns.length > 0) {
    for (const [file, spec] of Object.entries(plotSpecs(turns))) {
      await writeFile(join(metricsDir, file), await vegaLiteToSvg(spec));
      plots.push(file);
    }
  }
  const report = join(metricsDir, 'report.md');
  await writeFile(report, renderReportMarkdown(rows, opts, plots));
  return { report, plots: plots.map((p) => join(metricsDir, p)) };
}
