// The chart of a bench record, as SVG (vega-lite → vega, rendered headless): decode tokens/s vs
// context depth and prefill tokens/s vs prompt length, medians with min–max bars, and on each panel
// the memory roofline (napkin bytes per token ÷ the measured peak bandwidth). PNG would need a
// canvas package, which the project does not carry; every browser and most viewers open SVG.

import * as vega from 'vega';
import * as vegaLite from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import { deviceLine } from './bench-env.js';
import type { BenchRecord } from './bench-record.js';

/** One panel of an hconcat spec, derived from TopLevelSpec (vega-lite exports no name for it). */
type Panel = Extract<TopLevelSpec, { hconcat: unknown }>['hconcat'][number];

interface Point {
  readonly x: string;
  readonly series: string;
  readonly y: number;
  readonly lo: number;
  readonly hi: number;
}

const PANEL_WIDTH = 320;
const PANEL_HEIGHT = 240;
const MEASURED = 'measured: median, min–max';
const ROOFLINE = 'roofline: napkin bytes/token ÷ peak bandwidth';
const LEGEND = { orient: 'bottom', labelLimit: 0 } as const;
const SIGNIFICANT_DIGITS = 3;
const KILO = 1024;

/** 0 → "0", 1024 → "1k", 65536 → "64k"; other numbers as they are. */
export function tokenLabel(n: number): string {
  return n >= KILO && n % KILO === 0 ? `${n / KILO}k` : String(n);
}

function panel(title: string, xTitle: string, points: readonly Point[], labels: readonly string[]): Panel {
  const x = { field: 'x', type: 'ordinal', sort: [...labels], title: xTitle, axis: { labelAngle: 0 } } as const;
  return {
    title,
    width: PANEL_WIDTH,
    height: PANEL_HEIGHT,
    data: { values: [...points] },
    layer: [
      {
        mark: { type: 'line', point: true },
        encoding: {
          x,
          y: { field: 'y', type: 'quantitative', scale: { type: 'log' }, title: 'tokens/s (log scale)' },
          color: { field: 'series', type: 'nominal', title: null, legend: LEGEND },
          strokeDash: { field: 'series', type: 'nominal', title: null, legend: LEGEND },
        },
      },
      {
        transform: [{ filter: { field: 'series', equal: MEASURED } }],
        mark: { type: 'rule' },
        encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color: { field: 'series', type: 'nominal', title: null, legend: LEGEND } },
      },
    ],
  };
}

/** The vega-lite spec of the record's chart. */
export function benchChartSpec(r: BenchRecord): TopLevelSpec {
  const decodeLabels = r.decode.map((d) => tokenLabel(d.depth));
  const decodePoints: Point[] = r.decode.flatMap((d, idx) => [
    { x: decodeLabels[idx], series: MEASURED, y: d.tokensPerSecond.median, lo: d.tokensPerSecond.min, hi: d.tokensPerSecond.max },
    { x: decodeLabels[idx], series: ROOFLINE, y: d.rooflineTokensPerSecond, lo: d.rooflineTokensPerSecond, hi: d.rooflineTokensPerSecond },
  ]);
  const prefillLabels = r.prefill.map((p) => tokenLabel(p.promptTokens));
  const prefillPoints: Point[] = r.prefill.flatMap((p, idx) => [
    { x: prefillLabels[idx], series: MEASURED, y: p.tokensPerSecond.median, lo: p.tokensPerSecond.min, hi: p.tokensPerSecond.max },
    { x: prefillLabels[idx], series: ROOFLINE, y: p.rooflineTokensPerSecond, lo: p.rooflineTokensPerSecond, hi: p.rooflineTokensPerSecond },
  ]);
  const peak = r.peakBandwidth.gbps.max.toPrecision(SIGNIFICANT_DIGITS);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: `${r.model.name} on ${r.device.name}`, subtitle: `${deviceLine(r.device)}, ${r.date.slice(0, 10)}; peak bandwidth ${peak} GB/s (measured)` },
    hconcat: [
      panel('decode tokens/s vs context depth', 'context depth (tokens)', decodePoints, decodeLabels),
      panel(`prefill tokens/s vs prompt length (chunks of ${r.settings.maxBatch})`, 'prompt tokens', prefillPoints, prefillLabels),
    ],
    config: { background: 'white' },
  };
}

/** The chart as an SVG document. */
export async function benchChartSvg(r: BenchRecord): Promise<string> {
  const view = new vega.View(vega.parse(vegaLite.compile(benchChartSpec(r)).spec), { renderer: 'none', logLevel: vega.Error });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
