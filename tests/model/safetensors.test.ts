import { truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelFormatError } from '../../src/errors.js';
import { encodeSafetensorsHeader, parseSafetensorsHeader, readSafetensorsHeader } from '../../src/model/safetensors.js';
import { FIXTURE_DIR, FIXTURE_TENSORS, caught, makeTempDir, readRaw, removeTempDirs, writeRaw, type RawEntry } from './helpers.js';

afterAll(removeTempDirs);

const FIXTURE_FILE = join(FIXTURE_DIR, 'model.safetensors');

/** A two-tensor file: 'a' BF16 [2, 4] at [0, 16), 'b' U8 [8] at [16, 24). */
function smallHeader(): Record<string, RawEntry | Record<string, string>> {
  return {
    __metadata__: { format: 'pt' },
    a: { dtype: 'BF16', shape: [2, 4], data_offsets: [0, 16] },
    b: { dtype: 'U8', shape: [8], data_offsets: [16, 24] },
  };
}

async function expectHeaderError(label: string, header: Record<string, unknown>, dataBytes: number, words: string[], headerLength?: bigint): Promise<void> {
  const file = join(await makeTempDir(label), 'model.safetensors');
  await writeRaw(file, header, new Uint8Array(dataBytes), headerLength);
  const err = await caught(() => readSafetensorsHeader(file));
  expect(err).toBeInstanceOf(ModelFormatError);
  expect(err.message.startsWith(`${file}: `)).toBe(true);
  for (const w of words) expect(err.message).toContain(w);
}

describe('readSafetensorsHeader', () => {
  it('reads the oracle fixture: every tensor, absolute offsets, metadata', async () => {
    const h = await readSafetensorsHeader(FIXTURE_FILE);
    const raw = await readRaw(FIXTURE_FILE);
    expect(h.tensors.size).toBe(FIXTURE_TENSORS);
    expect(h.metadata).toEqual({ format: 'pt' });
    const q = h.tensors.get('model.layers.0.self_attn.q_proj.weight');
    const rawQ = raw.header['model.layers.0.self_attn.q_proj.weight'] as RawEntry;
    expect(q).toEqual({ name: 'model.layers.0.self_attn.q_proj.weight', dtype: 'BF16', shape: [512, 128], dataOffset: h.dataStart + rawQ.data_offsets[0], byteLength: 512 * 128 * 2 });
    expect(h.dataStart + raw.data.length).toBe(h.fileBytes);
  });

  it('round-trips a header written by encodeSafetensorsHeader (space-padded to 8 bytes)', async () => {
    const enc = encodeSafetensorsHeader([{ name: 'x', dtype: 'F32', shape: [3] }, { name: 'y', dtype: 'F16', shape: [5, 1] }], { format: 'pt' });
    expect(enc.bytes.length % 8).toBe(0);
    expect(enc.byteLengths).toEqual([12, 10]);
    const file = join(await makeTempDir('roundtrip'), 'x.safetensors');
    const bytes = new Uint8Array(enc.bytes.length + enc.dataBytes);
    bytes.set(enc.bytes);
    await writeFile(file, bytes);
    const h = await readSafetensorsHeader(file);
    expect([...h.tensors.values()].map((t) => [t.name, t.dataOffset - h.dataStart, t.byteLength])).toEqual([['x', 0, 12], ['y', 12, 10]]);
  });

  it('header length larger than the file', async () => {
    await expectHeaderError('hdrlen', smallHeader(), 24, ['header length 1000000 bytes runs past the end of the file', 'truncated or not safetensors'], 1_000_000n);
  });

  it('header length absurdly large (not a safetensors file)', async () => {
    await expectHeaderError('hdrhuge', smallHeader(), 24, ['exceeds the 100000000-byte limit'], 0x4000_0000_0000n);
  });

  it('unsupported dtype names the tensor and the supported ones', async () => {
    const h = smallHeader();
    h.a = { dtype: 'F64', shape: [2], data_offsets: [0, 16] };
    await expectHeaderError('dtype', h, 24, ["tensor 'a'", 'unsupported dtype F64', 'BF16, F16, F32, U8']);
  });

  it('overlapping tensors name both', async () => {
    const h = smallHeader();
    h.b = { dtype: 'U8', shape: [8], data_offsets: [12, 20] };
    await expectHeaderError('overlap', h, 24, ["'a' data_offsets [0, 16]", "'b' [12, 20]", 'overlap']);
  });

  it('data_offsets beyond the file', async () => {
    const h = smallHeader();
    h.b = { dtype: 'U8', shape: [8], data_offsets: [100, 108] };
    await expectHeaderError('beyond', h, 24, ["tensor 'b'", 'data_offsets [100, 108] end past the end of the file', 'holds 24 bytes']);
  });

  it('data_offsets span that disagrees with dtype × shape', async () => {
    const h = smallHeader();
    h.a = { dtype: 'BF16', shape: [2, 4], data_offsets: [0, 12] };
    await expectHeaderError('length', h, 24, ["tensor 'a'", 'data_offsets [0, 12] span 12 bytes', 'BF16 [2, 4] needs 16 bytes']);
  });

  it('a truncated file names the last tensor', async () => {
    const dir = await makeTempDir('trunc');
    const file = join(dir, 'model.safetensors');
    const raw = await readRaw(FIXTURE_FILE);
    await writeRaw(file, raw.header, raw.data);
    await truncate(file, 8 + JSON.stringify(raw.header).length + raw.data.length - 100);
    const err = await caught(() => readSafetensorsHeader(file));
    expect(err.message).toContain("tensor 'model.layers.3.mlp.experts.gate_up_proj_scales'");
    expect(err.message).toContain('the file is truncated');
  });

  it('a file shorter than the length prefix', async () => {
    const file = join(await makeTempDir('short'), 'model.safetensors');
    await writeFile(file, new Uint8Array(5));
    await expect(readSafetensorsHeader(file)).rejects.toThrow(`${file}: the file is 5 bytes, too short`);
  });

  it('malformed entries: bad shape, bad offsets, header not JSON', () => {
    expect(() => parseSafetensorsHeader('f', '{"a": {"dtype": "U8", "shape": [-1], "data_offsets": [0, 0]}}', 10, 100)).toThrow(
      "f: tensor 'a': 'shape' expected an array of integers ≥ 0, got [-1]",
    );
    expect(() => parseSafetensorsHeader('f', '{"a": {"dtype": "U8", "shape": [1], "data_offsets": [4, 3]}}', 10, 100)).toThrow(
      "f: tensor 'a': 'data_offsets' expected [begin, end] with 0 ≤ begin ≤ end, got [4,3]",
    );
    expect(() => parseSafetensorsHeader('f', '{"a": ', 10, 100)).toThrow('f: the safetensors header is not valid JSON');
  });
});
