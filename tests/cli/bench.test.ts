// `wgh bench` end to end on the tiny preset (lavapipe): the record has every documented field, the
// --out files (record + SVG chart) are written, the synthetic checkpoint is created once and reused.
// Structure only: no speed is asserted.
import { mkdtempSync, readFileSync, readdirSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BENCH_RECORD_FIELDS, BENCH_SCHEMA, type BenchRecord } from '../../src/cli/bench-record.js';
import { defaultSyntheticDir, isCompleteSynthetic, resolveModelSource } from '../../src/cli/bench-synthetic.js';
import { planTestModel } from '../../src/model/test-model-plan.js';
import { REPO_ROOT, runCli } from '../helpers/cli.js';

const BENCH_TIMEOUT_MS = 300_000;
const SMALL = ['--depths', '0,64', '--prompt-tokens', '16,32', '--gen-tokens', '8', '--reps', '1'];
const SUMMARY_SUFFIX = /\.(median|min|max|n)$/;

/** Values at a dotted path; `a[].b` fans out over the array a. */
function valuesAt(obj: unknown, path: string): unknown[] {
  let current: unknown[] = [obj];
  for (const part of path.split('.')) {
    const isArray = part.endsWith('[]');
    const key = isArray ? part.slice(0, -2) : part;
    current = current.flatMap((v) => {
      if (typeof v !== 'object' || v === null || !(key in v)) return [undefined];
      const next = (v as Record<string, unknown>)[key];
      return isArray ? (Array.isArray(next) ? next : [undefined]) : [next];
    });
  }
  return current;
}

describe('wgh bench', () => {
  const work = mkdtempSync(join(tmpdir(), 'wgh-bench-'));
  const modelDir = join(work, 'synthetic-tiny');
  const outDir = join(work, 'out');
  let record: BenchRecord;
  let stderr = '';

  beforeAll(async () => {
    const r = await runCli(['bench', '--synthetic', 'tiny', '--synthetic-dir', modelDir, ...SMALL, '--json', '--out', outDir], { timeoutMs: BENCH_TIMEOUT_MS });
    expect(r.code, r.stderr).toBe(0);
    stderr = r.stderr;
    record = JSON.parse(r.stdout) as BenchRecord;
  }, BENCH_TIMEOUT_MS);

  it('--json prints one record with every documented field', () => {
    const missing = BENCH_RECORD_FIELDS.filter((path) => valuesAt(record, path).some((v) => v === undefined));
    expect(missing).toEqual([]);
    expect(record.schema).toBe(BENCH_SCHEMA);
    expect(Number.isNaN(Date.parse(record.date))).toBe(false);
    expect(record.command).toMatch(/^wgh bench --synthetic tiny/);
  });

  it('every documented field is described in bench/README.md', () => {
    const readme = readFileSync(join(REPO_ROOT, 'bench', 'README.md'), 'utf8');
    const undocumented = [...new Set(BENCH_RECORD_FIELDS.map((f) => f.replace(SUMMARY_SUFFIX, '')))].filter((f) => !readme.includes(`\`${f}\``));
    expect(undocumented).toEqual([]);
  });

  it('measures what the flags asked for, with consistent summaries', () => {
    expect(record.settings).toMatchObject({ depths: [0, 64], promptTokens: [16, 32], genTokens: 8, reps: 1, warmup: 1 });
    expect(record.decode.map((d) => d.depth)).toEqual([0, 64]);
    expect(record.prefill.map((p) => p.promptTokens)).toEqual([16, 32]);
    expect(record.settings.contextLength).toBeGreaterThanOrEqual(64 + 8 + 1);
    for (const d of record.decode) {
      expect(d.tokensPerSecond.n).toBe(1);
      expect(d.tokensPerSecond.min).toBeLessThanOrEqual(d.tokensPerSecond.max);
      expect(d.tokensPerSecond.median).toBeGreaterThan(0);
      expect(d.rooflineTokensPerSecond).toBeCloseTo(record.peakBandwidth.peakBytesPerSecond / d.napkinBytesPerToken, 6);
      expect(d.rooflineFraction).toBeCloseTo(d.tokensPerSecond.median / d.rooflineTokensPerSecond, 9);
    }
    for (const p of record.prefill) {
      expect(p.ttftSeconds.median).toBeGreaterThanOrEqual(p.seconds.median);
      expect(p.tokensPerSecond.median).toBeCloseTo(p.promptTokens / p.seconds.median, 6);
    }
    expect(record.timeToFirstToken).toEqual({ promptTokens: 16, seconds: record.prefill[0].ttftSeconds });
    expect(record.model).toMatchObject({ name: 'synthetic-tiny', preset: 'tiny', numLayers: 4 });
    expect(record.load.syntheticCreateSeconds).toBeGreaterThan(0);
    expect(record.memory.gpuPeakAllocatedBytes).toBeGreaterThan(record.model.checkpointBytes);
    expect(record.memory.hostPeakRssBytes).toBeGreaterThan(0);
    expect(record.device.backend).toBe('vulkan');
    expect(record.device.isCpuAdapter).toBe(true);
    expect(record.peakBandwidth.source).toBe('gpu-timestamps-per-pass');
    // No nvidia-smi on lavapipe machines: the default 64k depth would be skipped, but --depths was given.
    expect(record.skipped).toEqual([]);
    expect(stderr).toMatch(/creating a synthetic tiny checkpoint/);
  });

  it('--out writes the record and its SVG chart, named bench-<model>-<date>-<device>', () => {
    const files = readdirSync(outDir).sort();
    const day = record.date.slice(0, 10);
    expect(files).toEqual([`bench-synthetic-tiny-${day}-llvmpipe.json`, `bench-synthetic-tiny-${day}-llvmpipe.svg`]);
    expect(JSON.parse(readFileSync(join(outDir, files[0]), 'utf8'))).toEqual(record);
    const svg = readFileSync(join(outDir, files[1]), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    for (const text of ['decode tokens/s vs context depth', 'prefill tokens/s vs prompt length', 'measured: median, min–max', 'roofline: napkin bytes/token ÷ peak bandwidth']) {
      expect(svg).toContain(text);
    }
  });

  it('reuses a complete synthetic checkpoint and notices an incomplete one', async () => {
    expect(await isCompleteSynthetic(modelDir, 'tiny')).toBe(true);
    const again = await resolveModelSource('bench', { synthetic: 'tiny', syntheticDir: modelDir }, true);
    expect(again).toEqual({ dir: modelDir, preset: 'tiny', createSeconds: null, name: 'synthetic-tiny' });
    const shard = planTestModel('tiny').shards[0];
    truncateSync(join(modelDir, shard.fileName), shard.fileBytes - 1);
    expect(await isCompleteSynthetic(modelDir, 'tiny')).toBe(false);
  });

  it('the default synthetic directory follows $WGH_SYNTHETIC_DIR', () => {
    expect(defaultSyntheticDir('20b', { WGH_SYNTHETIC_DIR: '/big/disk' })).toBe('/big/disk/synthetic-20b');
    expect(defaultSyntheticDir('120b', {})).toMatch(/\.cache\/webgpu-harmony\/synthetic-120b$/);
  });

  it('bad flags give one clear line', async () => {
    const both = await runCli(['bench', '--model', modelDir, '--synthetic', 'tiny']);
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(/give either --model DIR or --synthetic PRESET, not both/);
    const preset = await runCli(['bench', '--synthetic', '7b']);
    expect(preset.code).toBe(1);
    expect(preset.stderr).toMatch(/--synthetic: expected one of tiny, 20b, 120b, got '7b'/);
    const depths = await runCli(['bench', '--synthetic', 'tiny', '--synthetic-dir', modelDir, '--depths', '0,x']);
    expect(depths.code).toBe(1);
    expect(depths.stderr).toMatch(/--depths: expected an integer >= 0, got 'x'/);
  });
});
