// Napkin math for gpt-oss-20b and gpt-oss-120b decode: bytes and flops per token for each kernel of
// the forward pass (src/model/napkin.ts: MXFP4 experts at 4.25 bits per weight, bf16 attention,
// router and output head, K/V reads by context depth), and the roofline tokens/s at a bandwidth.
//
//   npx tsx bench/napkin.ts [--bandwidth-tbps 4.1] [--kv-bytes 4] [--depths 0,1024,4096,16384,65536] [--json]
//
// Defaults: 4.1 TB/s (the streaming-read kernel on an H200, ../shared/device/README.md; an H100
// reached 2.96 TB/s), the engine's f32 KV cache (--kv-bytes 2 shows an f16 cache). The roofline
// ignores launch cost (~4.2 µs per dependent dispatch inside one pass on an H100: 20b decode has
// 24 × 11 + 4 = 268 dispatches ≈ 1.1 ms per token, 120b 400 ≈ 1.7 ms) — at these speeds that is a
// large share of the step, so the third figure adds it.
import { napkinDecode } from '../src/model/napkin.js';
import { planTestModel } from '../src/model/test-model-plan.js';

const DEFAULT_TBPS = 4.1;
const DEFAULT_DEPTHS = [0, 1024, 4096, 16384, 65536];
const DISPATCHES_PER_LAYER = 11;
const DISPATCHES_OUTSIDE_LAYERS = 4; // embedding, final norm, lm_head, argmax
const DISPATCH_US = 4.2; // dependent dispatch in one pass, H100 (../shared/device/README.md)
const MEASURED_H200: Readonly<Record<string, number>> = { '20b': 153.7, '120b': 98.3 }; // bench/results/engine-first-2026-11-22-h200.json
const MB = 1e6;
const US_PER_S = 1e6;

function arg(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

const tbps = Number(arg('bandwidth-tbps') ?? DEFAULT_TBPS);
const kvBytes = Number(arg('kv-bytes') ?? 4);
const depths = (arg('depths') ?? DEFAULT_DEPTHS.join(',')).split(',').map(Number);
const bytesPerSecond = tbps * 1e12;
const out: Record<string, unknown> = { bandwidthTBps: tbps, kvBytesPerElement: kvBytes, models: {} };
const lines: string[] = [];

for (const preset of ['20b', '120b'] as const) {
  const cfg = planTestModel(preset).config;
  const numDispatches = cfg.numLayers * DISPATCHES_PER_LAYER + DISPATCHES_OUTSIDE_LAYERS;
  const base = napkinDecode(cfg, 0, kvBytes);
  lines.push(`gpt-oss-${preset} decode at depth 0 (L=${cfg.numLayers}, E=${cfg.numExperts}, K=${cfg.numExpertsPerToken}), per token:`);
  lines.push(`  ${'kernel'.padEnd(14)} ${'calls'.padStart(5)} ${'MB'.padStart(9)} ${'share'.padStart(6)} ${'MFLOP'.padStart(9)}  what`);
  for (const r of base.rows) {
    lines.push(`  ${r.key.padEnd(14)} ${String(r.calls).padStart(5)} ${(r.bytes / MB).toFixed(2).padStart(9)} ${`${((r.bytes / base.bytes) * 100).toFixed(1)}%`.padStart(6)} ${(r.flops / MB).toFixed(1).padStart(9)}  ${r.what}`);
  }
  lines.push(`  ${'total'.padEnd(14)} ${''.padStart(5)} ${(base.bytes / MB).toFixed(2).padStart(9)} ${'100%'.padStart(6)} ${(base.flops / MB).toFixed(1).padStart(9)}`);
  lines.push(`  roofline at ${tbps} TB/s: ${(bytesPerSecond / base.bytes).toFixed(0)} tok/s (measured on the H200, first figures: ${MEASURED_H200[preset]} tok/s)`);
  lines.push(`  by depth (${kvBytes}-byte K/V):  depth  MB/token  roofline tok/s  + ${numDispatches} dispatches × ${DISPATCH_US} µs`);
  const byDepth = depths.map((depth) => {
    const n = napkinDecode(cfg, depth, kvBytes);
    const rooflineTps = bytesPerSecond / n.bytes;
    const withLaunchTps = 1 / (n.bytes / bytesPerSecond + (numDispatches * DISPATCH_US) / US_PER_S);
    lines.push(`  ${''.padEnd(24)}${String(depth).padStart(7)}  ${(n.bytes / MB).toFixed(1).padStart(8)}  ${rooflineTps.toFixed(0).padStart(14)}  ${withLaunchTps.toFixed(0).padStart(10)} tok/s`);
    return { depth, bytesPerToken: n.bytes, flopsPerToken: n.flops, rooflineTokensPerSecond: rooflineTps, withLaunchCostTokensPerSecond: withLaunchTps };
  });
  lines.push('');
  (out.models as Record<string, unknown>)[preset] = { rows: base.rows, bytesPerToken: base.bytes, flopsPerToken: base.flops, dispatchesPerToken: numDispatches, byDepth };
}

process.stdout.write(process.argv.includes('--json') ? `${JSON.stringify(out, null, 2)}\n` : lines.join('\n'));
