import { readFile, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelFormatError } from '../../src/errors.js';
import { expectedTensors, INDEX_FILE, openCheckpoint } from '../../src/model/checkpoint.js';
import { readModelConfig } from '../../src/model/config.js';
import { numElements } from '../../src/model/shapes.js';
import { FIXTURE_DIR, FIXTURE_TENSORS, caught, copyFixture, editHeader, makeTempDir, readRaw, removeTempDirs, writeRaw } from './helpers.js';

afterAll(removeTempDirs);

const DTYPE_BYTES: Record<string, number> = { BF16: 2, F16: 2, F32: 4, U8: 1 };

async function expectOpenError(dir: string, words: string[]): Promise<string> {
  const err = await caught(() => openCheckpoint(dir));
  expect(err).toBeInstanceOf(ModelFormatError);
  for (const w of words) expect(err.message).toContain(w);
  return err.message;
}

/** Splits the fixture into two shards + index: embed/lm_head in shard 1, everything else in shard 2. */
async function shardedFixture(label: string): Promise<string> {
  const dir = await copyFixture(label);
  const { header, data } = await readRaw(join(dir, 'model.safetensors'));
  await rm(join(dir, 'model.safetensors'));
  const first = new Set(['model.embed_tokens.weight', 'lm_head.weight']);
  const weightMap: Record<string, string> = {};
  for (const [shardIdx, pick] of [(n: string) => first.has(n), (n: string) => !first.has(n)].entries()) {
    const name = `model-0000${shardIdx + 1}-of-00002.safetensors`;
    const shardHeader: Record<string, unknown> = { __metadata__: { format: 'pt' } };
    const parts: Uint8Array[] = [];
    let offset = 0;
    for (const [tensor, entry] of Object.entries(header)) {
      if (tensor === '__metadata__' || !pick(tensor)) continue;
      const { dtype, shape, data_offsets: [begin, end] } = entry as { dtype: string; shape: number[]; data_offsets: [number, number] };
      shardHeader[tensor] = { dtype, shape, data_offsets: [offset, offset + end - begin] };
      parts.push(data.subarray(begin, end));
      offset += end - begin;
      weightMap[tensor] = name;
    }
    const bytes = new Uint8Array(offset);
    parts.reduce((at, p) => (bytes.set(p, at), at + p.length), 0);
    await writeRaw(join(dir, name), shardHeader, bytes);
  }
  await writeFile(join(dir, INDEX_FILE), JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }));
  return dir;
}

describe('openCheckpoint on the oracle fixture', () => {
  it('finds every tensor gpt-oss needs with the right dtype and shape', async () => {
    const ck = await openCheckpoint(FIXTURE_DIR);
    const want = expectedTensors(ck.config);
    expect(want).toHaveLength(FIXTURE_TENSORS);
    expect(ck.tensors.size).toBe(FIXTURE_TENSORS);
    expect(ck.files).toEqual([join(FIXTURE_DIR, 'model.safetensors')]);
    expect(ck.unknownTensors).toEqual([]);
    for (const w of want) {
      const t = ck.tensors.get(w.name);
      expect(t, w.name).toBeDefined();
      expect(t?.shape).toEqual(w.shape);
      expect(w.dtypes).toContain(t?.dtype);
      expect(t?.byteLength).toBe(numElements(w.shape) * DTYPE_BYTES[t?.dtype ?? 'U8']);
    }
    expect(ck.tensors.get('model.layers.2.mlp.experts.gate_up_proj_blocks')).toMatchObject({ dtype: 'U8', shape: [8, 192, 4, 16] });
    expect(ck.tensors.get('model.layers.2.mlp.experts.down_proj_scales')).toMatchObject({ dtype: 'U8', shape: [8, 128, 3] });
    expect(ck.tensors.get('model.layers.0.self_attn.o_proj.weight')).toMatchObject({ dtype: 'BF16', shape: [128, 512] });
    expect(ck.totalBytes).toBe([...ck.tensors.values()].reduce((a, t) => a + t.byteLength, 0));
  });

  it('reads the same tensors through an index with two shards', async () => {
    const dir = await shardedFixture('sharded');
    const ck = await openCheckpoint(dir);
    expect(ck.files.map((f) => f.slice(dir.length + 1))).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    expect(ck.tensors.get('lm_head.weight')?.file).toBe(join(dir, 'model-00001-of-00002.safetensors'));
    expect(ck.tensors.size).toBe(FIXTURE_TENSORS);
  });

  it('lists unknown extra tensors and ignores them', async () => {
    const dir = await copyFixture('extra');
    const { header, data } = await readRaw(join(dir, 'model.safetensors'));
    header['model.layers.0.self_attn.rotary_emb.inv_freq'] = { dtype: 'F32', shape: [2], data_offsets: [data.length, data.length + 8] };
    const grown = new Uint8Array(data.length + 8);
    grown.set(data);
    await writeRaw(join(dir, 'model.safetensors'), header, grown);
    const ck = await openCheckpoint(dir);
    expect(ck.unknownTensors).toEqual(['model.layers.0.self_attn.rotary_emb.inv_freq']);
    expect(ck.tensors.has('model.layers.0.self_attn.rotary_emb.inv_freq')).toBe(false);
  });
});

describe('openCheckpoint: one clear error per broken checkpoint', () => {
  it('a truncated shard', async () => {
    const dir = await copyFixture('trunc');
    const file = join(dir, 'model.safetensors');
    const { header, data } = await readRaw(file);
    await truncate(file, 8 + JSON.stringify(header).length + data.length - 1);
    await expectOpenError(dir, [`${file}: tensor 'model.layers.3.mlp.experts.gate_up_proj_scales'`, 'end past the end of the file', 'truncated']);
  });

  it('a header that lies: overlapping offsets', async () => {
    const dir = await copyFixture('overlap');
    await editHeader(join(dir, 'model.safetensors'), (h) => {
      const [begin, end] = h['lm_head.weight'].data_offsets;
      h['model.embed_tokens.weight'].data_offsets = [begin + 2, end + 2];
    });
    await expectOpenError(dir, ["'lm_head.weight' data_offsets [0, 262144]", "'model.embed_tokens.weight' [2, 262146] overlap"]);
  });

  it('a header that lies: a tensor beyond the file', async () => {
    const dir = await copyFixture('beyond');
    await editHeader(join(dir, 'model.safetensors'), (h) => {
      h['model.norm.weight'].data_offsets = [9_000_000, 9_000_256];
    });
    await expectOpenError(dir, ["tensor 'model.norm.weight'", 'data_offsets [9000000, 9000256] end past the end of the file']);
  });

  it('a header that lies: wrong byte length', async () => {
    const dir = await copyFixture('length');
    await editHeader(join(dir, 'model.safetensors'), (h) => {
      h['model.norm.weight'].shape = [64];
    });
    await expectOpenError(dir, ["tensor 'model.norm.weight'", 'span 256 bytes', 'BF16 [64] needs 128 bytes']);
  });

  it('a missing tensor', async () => {
    const dir = await copyFixture('missing');
    await editHeader(join(dir, 'model.safetensors'), (h) => delete h['model.layers.1.self_attn.sinks']);
    await expectOpenError(dir, [`${join(dir, 'model.safetensors')}: missing tensor 'model.layers.1.self_attn.sinks'`, 'expected BF16|F16|F32 [Hq=8], got nothing']);
  });

  it('a wrong dtype', async () => {
    const dir = await copyFixture('dtype');
    await editHeader(join(dir, 'model.safetensors'), (h) => {
      const t = h['model.layers.0.self_attn.sinks'];
      t.dtype = 'U8';
      t.data_offsets = [t.data_offsets[0], t.data_offsets[0] + 8];
    });
    await expectOpenError(dir, ["tensor 'model.layers.0.self_attn.sinks' expected BF16|F16|F32 [Hq=8], got U8 [8]"]);
  });

  it('a wrong shape', async () => {
    const dir = await copyFixture('shape');
    await editHeader(join(dir, 'model.safetensors'), (h) => {
      h['model.layers.2.self_attn.q_proj.weight'].shape = [128, 512];
    });
    await expectOpenError(dir, ["tensor 'model.layers.2.self_attn.q_proj.weight' expected BF16|F16|F32 [Hq*Dh=512, C=128], got BF16 [128, 512]"]);
  });

  it('a wrong MXFP4 block shape names the legend dims', async () => {
    const dir = await copyFixture('blocks');
    await editHeader(join(dir, 'model.safetensors'), (h) => {
      h['model.layers.0.mlp.experts.down_proj_blocks'].shape = [8, 128, 6, 8];
    });
    await expectOpenError(dir, ["'model.layers.0.mlp.experts.down_proj_blocks' expected U8 [E=8, C=128, I/32=3, 16=16], got U8 [8, 128, 6, 8]"]);
  });

  it('an index naming a file that does not exist', async () => {
    const dir = await shardedFixture('index-missing-file');
    await rename(join(dir, 'model-00002-of-00002.safetensors'), join(dir, 'elsewhere.safetensors'));
    await expectOpenError(dir, [`${join(dir, INDEX_FILE)}: names shard ${join(dir, 'model-00002-of-00002.safetensors')}`, 'does not exist']);
  });

  it('an index naming a tensor that is not in its file', async () => {
    const dir = await shardedFixture('index-wrong-file');
    const index = { weight_map: { ...(await readIndex(dir)), 'model.norm.weight': 'model-00001-of-00002.safetensors' } };
    await writeFile(join(dir, INDEX_FILE), JSON.stringify(index));
    await expectOpenError(dir, [`${join(dir, 'model-00001-of-00002.safetensors')}: missing tensor 'model.norm.weight'`, 'maps it to this file, but the file has no such tensor']);
  });

  it('an index that does not list a tensor', async () => {
    const dir = await shardedFixture('index-unlisted');
    const weightMap = await readIndex(dir);
    delete weightMap['model.layers.3.mlp.router.bias'];
    await writeFile(join(dir, INDEX_FILE), JSON.stringify({ weight_map: weightMap }));
    await expectOpenError(dir, [`${join(dir, INDEX_FILE)}: missing tensor 'model.layers.3.mlp.router.bias'`, 'the weight_map does not list it']);
  });

  it('an index whose shard path leaves the model directory', async () => {
    const dir = await shardedFixture('index-escape');
    await writeFile(join(dir, INDEX_FILE), JSON.stringify({ weight_map: { 'lm_head.weight': '../x.safetensors' } }));
    await expectOpenError(dir, ["'weight_map.lm_head.weight' expected a shard file name inside"]);
  });

  it('a config with inconsistent heads', async () => {
    const dir = await copyFixture('heads');
    const cfg = JSON.parse(await readFile(join(FIXTURE_DIR, 'config.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(join(dir, 'config.json'), JSON.stringify({ ...cfg, num_attention_heads: 6, num_key_value_heads: 4 }));
    await expectOpenError(dir, [`${join(dir, 'config.json')}: 'num_key_value_heads' expected a divisor of num_attention_heads (Hq=6), got Hkv=4`]);
  });

  it('a directory that is not a model', async () => {
    const dir = await makeTempDir('empty');
    await expectOpenError(dir, [`${dir} is not a model directory: it has no config.json`, 'model.safetensors or model.safetensors.index.json', 'tokenizer.json']);
  });

  it('a config.json without weights', async () => {
    const dir = await copyFixture('noweights');
    await rm(join(dir, 'model.safetensors'));
    await expectOpenError(dir, [`${dir}: has config.json but no weights: expected model.safetensors or model.safetensors.index.json`]);
  });

  it('reads the config the same way as readModelConfig', async () => {
    expect((await openCheckpoint(FIXTURE_DIR)).config).toEqual(await readModelConfig(FIXTURE_DIR));
  });
});

async function readIndex(dir: string): Promise<Record<string, string>> {
  return (JSON.parse(await readFile(join(dir, INDEX_FILE), 'utf8')) as { weight_map: Record<string, string> }).weight_map;
}
