import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCreateTestModelCommand } from '../../src/cli/create-test-model.js';
import { ConfigError } from '../../src/errors.js';
import { openCheckpoint, readTensorChunks, type Checkpoint } from '../../src/model/checkpoint.js';
import { createTestModel, type TestModelSummary } from '../../src/model/create-test-model.js';
import { loadModel } from '../../src/model/load.js';
import { parseSafetensorsHeader } from '../../src/model/safetensors.js';
import { E8M0_BIAS, planTestModel, tensorRecipe } from '../../src/model/test-model-plan.js';
import { bf16ToF32, f32ToBf16 } from '../../src/model/test-model-random.js';
import { useGpu } from '../helpers/gpu.js';
import { seeded } from '../helpers/random.js';
import { caught, makeTempDir, removeTempDirs } from './helpers.js';

const SEED = 0;
/** Seed of the prompt ids fed to the created model on the GPU. */
const PROMPT_SEED = 17;
/** fp4 e2m1 values by nibble (spec §3.2). */
const FP4 = [0, 0.5, 1, 1.5, 2, 3, 4, 6, -0, -0.5, -1, -1.5, -2, -3, -4, -6];

let dirA: string;
let summaryA: TestModelSummary;
let ck: Checkpoint;
beforeAll(async () => {
  dirA = await makeTempDir('tiny-a');
  summaryA = await createTestModel({ outDir: dirA, preset: 'tiny', seed: SEED });
  ck = await openCheckpoint(dirA);
});
afterAll(removeTempDirs);

async function tensorBytes(name: string): Promise<Uint8Array> {
  const t = ck.tensors.get(name);
  if (t === undefined) throw new Error(`no ${name}`);
  const out = new Uint8Array(t.byteLength);
  await readTensorChunks(t, (b, off) => out.set(b, off));
  return out;
}

function stats(values: Float64Array | number[]): { mean: number; std: number } {
  const n = values.length;
  const mean = values.reduce((a, v) => a + v, 0) / n;
  return { mean, std: Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / n) };
}

async function bf16Values(name: string): Promise<number[]> {
  const bytes = await tensorBytes(name);
  const u16 = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2);
  return Array.from(u16, bf16ToF32);
}

/** Dequantised MXFP4 weights of one tensor pair (blocks [.., G, 16], scales [.., G]). */
async function dequant(prefix: string): Promise<Float64Array> {
  const blocks = await tensorBytes(`${prefix}_blocks`);
  const scales = await tensorBytes(`${prefix}_scales`);
  const out = new Float64Array(blocks.length * 2);
  for (let byteIdx = 0; byteIdx < blocks.length; byteIdx++) {
    const scale = 2 ** (scales[Math.floor(byteIdx / 16)] - E8M0_BIAS);
    out[2 * byteIdx] = FP4[blocks[byteIdx] & 15] * scale;
    out[2 * byteIdx + 1] = FP4[blocks[byteIdx] >> 4] * scale;
  }
  return out;
}

async function filesOf(dir: string): Promise<Map<string, Buffer>> {
  const names = (await readdir(dir)).sort();
  return new Map(await Promise.all(names.map(async (n): Promise<[string, Buffer]> => [n, await readFile(join(dir, n))])));
}

describe('createTestModel tiny', () => {
  it('writes the HF layout: config, index + 2 shards, tokenizer, nothing partial', async () => {
    expect((await readdir(dirA)).sort()).toEqual([
      'config.json',
      'generation_config.json',
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
      'model.safetensors.index.json',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    expect(summaryA.files.map((f) => f.path.slice(dirA.length + 1))).toContain('config.json');
    expect(summaryA.totalBytes).toBe(summaryA.files.reduce((a, f) => a + f.bytes, 0));
  });

  it('loads with openCheckpoint: the tiny shape, real vocabulary, every tensor', () => {
    expect(ck.config).toMatchObject({ numLayers: 4, hiddenSize: 64, numHeads: 4, numKvHeads: 2, headDim: 64, numExperts: 8, numExpertsPerToken: 4 });
    expect(ck.config).toMatchObject({ intermediateSize: 64, vocabSize: 201088, slidingWindow: 16, eosTokenIds: [200002], padTokenId: 199999 });
    expect(ck.tensors.size).toBe(4 * 19 + 3);
    expect(ck.files).toHaveLength(2);
    expect(ck.unknownTensors).toEqual([]);
  });

  it('tokenizer.json is the real o200k_harmony (valid JSON, <|return|> = 200002)', async () => {
    const tok = JSON.parse(await readFile(join(dirA, 'tokenizer.json'), 'utf8')) as { added_tokens: { id: number; content: string }[] };
    expect(tok.added_tokens.find((t) => t.content === '<|return|>')?.id).toBe(200002);
    expect(JSON.parse(await readFile(join(dirA, 'tokenizer_config.json'), 'utf8'))).toHaveProperty('added_tokens_decoder');
  });

  it('is deterministic: same seed → byte-identical files, another seed → different weights', async () => {
    const dirB = await makeTempDir('tiny-b');
    const dirC = await makeTempDir('tiny-c');
    await createTestModel({ outDir: dirB, preset: 'tiny', seed: SEED });
    await createTestModel({ outDir: dirC, preset: 'tiny', seed: SEED + 1 });
    const [a, b, c] = await Promise.all([filesOf(dirA), filesOf(dirB), filesOf(dirC)]);
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [name, bytes] of a) expect(bytes.equals(b.get(name) as Buffer), name).toBe(true);
    for (const shard of ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']) {
      expect((a.get(shard) as Buffer).equals(c.get(shard) as Buffer), shard).toBe(false);
      expect((a.get(shard) as Buffer).length).toBe((c.get(shard) as Buffer).length);
    }
    expect((a.get('config.json') as Buffer).equals(c.get('config.json') as Buffer)).toBe(true);
  });

  it('bf16 weights have the planned magnitudes (std ≈ 1/sqrt(fan_in), gains ≈ 1)', async () => {
    const q = stats(await bf16Values('model.layers.0.self_attn.q_proj.weight'));
    expect(Math.abs(q.mean)).toBeLessThan(0.01);
    expect(q.std).toBeCloseTo(1 / Math.sqrt(64), 2);
    const o = stats(await bf16Values('model.layers.3.self_attn.o_proj.weight'));
    expect(o.std / (1 / Math.sqrt(256) / Math.sqrt(8))).toBeGreaterThan(0.95); // residual-scaled by 1/sqrt(2L)
    expect(o.std / (1 / Math.sqrt(256) / Math.sqrt(8))).toBeLessThan(1.05);
    const norm = stats(await bf16Values('model.norm.weight'));
    expect(Math.abs(norm.mean - 1)).toBeLessThan(0.03);
    const emb = (await bf16Values('model.embed_tokens.weight')).slice(0, 100_000);
    expect(emb.every(Number.isFinite)).toBe(true);
    expect(stats(emb).std).toBeCloseTo(1, 1);
  });

  it('MXFP4 scales stay in their intended two-value range and dequantise to std ≈ 1/sqrt(fan_in)', async () => {
    for (const [prefix, fanIn, residual] of [['gate_up_proj', 64, 1], ['down_proj', 64, 1 / Math.sqrt(8)]] as const) {
      for (const l of [0, 3]) {
        const name = `model.layers.${l}.mlp.experts.${prefix}`;
        const recipe = tensorRecipe(`${name}_scales`, ck.config);
        if (recipe.kind !== 'e8m0') throw new Error('scales recipe must be e8m0');
        const scales = await tensorBytes(`${name}_scales`);
        const seen = new Set(scales);
        expect([...seen].sort()).toEqual([recipe.low, recipe.low + 1]);
        const w = stats(await dequant(name));
        const want = residual / Math.sqrt(fanIn);
        expect(Math.abs(w.mean)).toBeLessThan(want * 0.05);
        expect(w.std / want).toBeGreaterThan(0.9);
        expect(w.std / want).toBeLessThan(1.1);
      }
    }
  });

  it('stops on abort without leaving a complete-looking model or partial files', async () => {
    const dir = await makeTempDir('tiny-abort');
    const controller = new AbortController();
    const err = await caught(() => createTestModel({ outDir: dir, preset: 'tiny', onProgress: () => controller.abort(), signal: controller.signal }));
    expect(err.name).toBe('AbortError');
    const left = await readdir(dir);
    expect(left).not.toContain('config.json');
    expect(left.filter((f) => f.endsWith('.partial') || f.endsWith('.safetensors'))).toEqual([]);
  });

  it('rewrites a previous test model in place, removing shards of another layout', async () => {
    const dir = await makeTempDir('tiny-rewrite');
    await writeFile(join(dir, 'model-00001-of-00003.safetensors'), 'stale');
    await writeFile(join(dir, 'model-00002-of-00002.safetensors.partial'), 'interrupted');
    await writeFile(join(dir, 'config.json'), '{}');
    await createTestModel({ outDir: dir, preset: 'tiny', seed: SEED });
    const a = await filesOf(dirA);
    const b = await filesOf(dir);
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [name, bytes] of a) expect(bytes.equals(b.get(name) as Buffer), name).toBe(true);
  });

  it('refuses a directory holding files it does not write (never overwrites a real model)', async () => {
    const dir = await makeTempDir('tiny-foreign');
    await writeFile(join(dir, 'README.md'), '# gpt-oss-20b');
    await writeFile(join(dir, 'config.json'), '{"model_type": "gpt_oss"}');
    const err = await caught(() => createTestModel({ outDir: dir, preset: 'tiny' }));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain(`--out ${dir} holds files that create-test-model does not write (README.md)`);
    expect((await readdir(dir)).sort()).toEqual(['README.md', 'config.json']);
  });

  it('rejects a bad seed or preset with a ConfigError', async () => {
    const dir = await makeTempDir('tiny-bad');
    await expect(createTestModel({ outDir: dir, seed: -1 })).rejects.toThrow(ConfigError);
    await expect(createTestModel({ outDir: dir, seed: 1.5 })).rejects.toThrow('--seed expected an integer ≥ 0, got 1.5');
  });
});

describe('createTestModel tiny on the GPU: activations stay finite through all layers', () => {
  const gpu = useGpu();

  it('prefill of 48 ids: every logit finite, rows spread out and different per position', async () => {
    // 48 > W=16: the sliding layers see a full window; ids over the whole vocabulary (specials too).
    const numTokens = 48;
    const rng = seeded(PROMPT_SEED);
    const ids = Array.from({ length: numTokens }, () => Math.floor(rng() * ck.config.vocabSize));
    const model = await loadModel(dirA, { gpu: gpu(), contextLength: 64 });
    try {
      const V = model.config.vocabSize;
      const logits = (await model.runner.prefill(ids, 'all'))!;
      expect(logits).toHaveLength(numTokens * V);
      const bad = logits.findIndex((x) => !Number.isFinite(x));
      expect(bad, `position ${Math.floor(bad / V)}, id ${bad % V}: ${logits[bad]}`).toBe(-1);
      let maxAbs = 0;
      const rowStds: number[] = [];
      for (let t = 0; t < numTokens; t++) {
        const row = logits.subarray(t * V, (t + 1) * V);
        for (const x of row) maxAbs = Math.max(maxAbs, Math.abs(x));
        rowStds.push(stats(Float64Array.from(row)).std);
      }
      // Not degenerate: each row spreads over the vocabulary (a dead residual stream gives std ≈ 0),
      // magnitudes stay O(1..10) rather than blowing up (seed 0: std ≈ 2, max ≈ 13), and positions see
      // different inputs.
      expect(Math.min(...rowStds)).toBeGreaterThan(0.1);
      expect(maxAbs).toBeLessThan(100);
      const distinctRows = new Set(Array.from({ length: numTokens }, (_, t) => logits.subarray(t * V, t * V + 8).join(',')));
      expect(distinctRows.size).toBe(numTokens);
      console.log(`tiny (seed ${SEED}) logits over ${numTokens} positions: max |logit| ${maxAbs.toFixed(2)}, row std ${Math.min(...rowStds).toFixed(3)}..${Math.max(...rowStds).toFixed(3)}`);
    } finally {
      model.destroy();
    }
  });
});

describe('f32ToBf16: round to nearest, ties to even, from float32', () => {
  it.each<[string, number, number]>([
    ['1', 1, 0x3f80],
    ['-2.5', -2.5, 0xc020],
    ['1 + 2^-8: tie → even (down)', 1 + 2 ** -8, 0x3f80],
    ['1 + 3·2^-8: tie → even (up)', 1 + 3 * 2 ** -8, 0x3f82],
    ['1 + 2^-8 + 2^-16: above the tie → up', 1 + 2 ** -8 + 2 ** -16, 0x3f81],
    ['1 + 2^-8 + 2^-30: float32 rounding first gives the tie → even', 1 + 2 ** -8 + 2 ** -30, 0x3f80],
    ['largest float32 overflows to +inf', 3.4028234663852886e38, 0x7f80],
    ['+inf', Infinity, 0x7f80],
    ['-inf', -Infinity, 0xff80],
    ['-0', -0, 0x8000],
    ['NaN stays a quiet NaN', NaN, 0x7fc0],
    ['float32 subnormal', 1e-40, 0x0001],
    ['0.1', 0.1, 0x3dcd],
  ])('%s', (_, x, bits) => {
    expect(f32ToBf16(x)).toBe(bits);
  });

  it('bf16ToF32 inverts exactly representable values', () => {
    for (const x of [1, -2.5, 0.15625, 6, 2 ** -126]) expect(bf16ToF32(f32ToBf16(x))).toBe(x);
  });
});

describe('planTestModel for the real shapes (nothing written)', () => {
  /** Bytes of one gpt-oss checkpoint from the spec §3.1 formulas. */
  function checkpointBytes(L: number, E: number): number {
    const [C, I, HqDh, HkvDh, Hq, V] = [2880, 2880, 4096, 512, 64, 201088];
    const dense = 2 * C + HqDh * C + HqDh + 2 * (HkvDh * C + HkvDh) + C * HqDh + C + Hq + E * C + E + E * 2 * I + E * C;
    const mxfp4 = E * 2 * I * (C / 2 + C / 32) + E * C * (I / 2 + I / 32);
    return L * (2 * dense + mxfp4) + 2 * (2 * V * C) + 2 * C;
  }

  it.each([
    ['20b', 24, 32, 3, 13_761_264_768],
    ['120b', 36, 128, 15, checkpointBytes(36, 128)],
  ] as const)('%s: %d layers, E=%d, %d shards of ≤ 5 GB', (preset, L, E, numShards, bytes) => {
    const plan = planTestModel(preset);
    expect(plan.config).toMatchObject({ numLayers: L, numExperts: E, hiddenSize: 2880, vocabSize: 201088 });
    expect(plan.tensors).toHaveLength(19 * L + 3);
    expect(plan.tensorBytes).toBe(checkpointBytes(L, E));
    expect(plan.tensorBytes).toBe(bytes);
    const byName = new Map(plan.tensors.map((t) => [t.name, t]));
    expect(byName.get('model.layers.0.mlp.experts.gate_up_proj_blocks')).toMatchObject({ dtype: 'U8', shape: [E, 5760, 90, 16], byteLength: E * 8_294_400 });
    expect(byName.get('model.layers.0.mlp.experts.down_proj_scales')).toMatchObject({ dtype: 'U8', shape: [E, 2880, 90] });
    expect(byName.get('model.embed_tokens.weight')).toMatchObject({ dtype: 'BF16', shape: [201088, 2880], byteLength: 1_158_266_880 });
    expect(byName.get('model.layers.0.self_attn.q_proj.weight')).toMatchObject({ dtype: 'BF16', shape: [4096, 2880] });
    expect(plan.shards.map((s) => s.fileName)).toEqual(
      Array.from({ length: numShards }, (_, k) => `model-${String(k + 1).padStart(5, '0')}-of-${String(numShards).padStart(5, '0')}.safetensors`),
    );
    for (const shard of plan.shards) {
      const n = Number(new DataView(shard.header.buffer).getBigUint64(0, true));
      const header = parseSafetensorsHeader(shard.fileName, new TextDecoder().decode(shard.header.subarray(8)), n, shard.fileBytes);
      expect([...header.tensors.keys()]).toEqual(shard.tensors.map((t) => t.name));
      expect(shard.fileBytes - shard.header.length).toBeLessThanOrEqual(5e9);
    }
    expect(plan.shards.flatMap((s) => s.tensors)).toHaveLength(plan.tensors.length);
  });

  it('20b ≈ 13.8 GB, 120b ≈ 65 GB (61 GiB) on disk', () => {
    expect(planTestModel('20b').shardBytes / 1e9).toBeCloseTo(13.76, 1);
    expect(planTestModel('120b').shardBytes / 2 ** 30).toBeCloseTo(60.8, 0);
  });
});

describe('wgh create-test-model', () => {
  it('writes a tiny model and prints what it wrote', async () => {
    const dir = await makeTempDir('cli');
    let stdout = '';
    let stderr = '';
    const program = new Command().exitOverride();
    registerCreateTestModelCommand(program, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
    await program.parseAsync(['create-test-model', '--out', dir, '--seed', '3'], { from: 'user' });
    expect(stdout).toContain(`wrote tiny test model (seed 3) to ${dir}:`);
    expect(stdout).toContain(join(dir, 'model-00002-of-00002.safetensors'));
    expect(stdout).toMatch(/GB\/s/);
    expect(stderr).toMatch(/create-test-model tiny\s+100%/);
    expect((await openCheckpoint(dir)).tensors.size).toBe(79);
  });

  it('refuses an unknown preset', async () => {
    const program = new Command().exitOverride();
    registerCreateTestModelCommand(program);
    await expect(program.parseAsync(['create-test-model', '--out', '/nonexistent', '--preset', '7b'], { from: 'user' })).rejects.toThrow(
      "--preset expected one of tiny, 20b, 120b, demo, got '7b'",
    );
  });
});
