import { readFile, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelFormatError } from '../../src/errors.js';
import { openCheckpoint, readTensorChunks, type Checkpoint, type TensorInfo } from '../../src/model/checkpoint.js';
import { FIXTURE_DIR, caught, copyFixture, removeTempDirs } from './helpers.js';

let ck: Checkpoint;
let fileBytes: Uint8Array;
beforeAll(async () => {
  ck = await openCheckpoint(FIXTURE_DIR);
  fileBytes = new Uint8Array(await readFile(join(FIXTURE_DIR, 'model.safetensors')));
});
afterAll(removeTempDirs);

function tensor(name: string): TensorInfo {
  const t = ck.tensors.get(name);
  if (t === undefined) throw new Error(`fixture has no ${name}`);
  return t;
}

/** Reads a tensor through readTensorChunks, recording each chunk's offset, length and backing buffer. */
async function collect(t: TensorInfo, chunkBytes?: number, buffer?: Uint8Array) {
  const out = new Uint8Array(t.byteLength);
  const chunks: { offset: number; length: number; backing: ArrayBufferLike; byteOffset: number }[] = [];
  let progress = 0;
  await readTensorChunks(
    t,
    (bytes, offset) => {
      out.set(bytes, offset);
      chunks.push({ offset, length: bytes.length, backing: bytes.buffer, byteOffset: bytes.byteOffset });
    },
    { chunkBytes, buffer, onProgress: (n) => (progress += n) },
  );
  return { out, chunks, progress };
}

describe('readTensorChunks', () => {
  // lm_head [1024, 128] bf16 = 262144 B; gate_up blocks [8, 192, 4, 16] u8 = 98304 B; sinks 16 B.
  it.each([
    ['lm_head.weight', undefined],
    ['lm_head.weight', 65536],
    ['lm_head.weight', 1000], // does not divide 262144
    ['lm_head.weight', 262144],
    ['lm_head.weight', 262145],
    ['model.layers.3.mlp.experts.gate_up_proj_blocks', 4096],
    ['model.layers.3.mlp.experts.gate_up_proj_blocks', 7],
    ['model.layers.1.self_attn.sinks', 6],
  ])('%s with chunkBytes %s: bytes equal a direct read, in order, from one reused buffer', async (name, chunkBytes) => {
    const t = tensor(name);
    const { out, chunks, progress } = await collect(t, chunkBytes);
    expect(Buffer.compare(out, fileBytes.subarray(t.dataOffset, t.dataOffset + t.byteLength))).toBe(0);
    const step = Math.min(chunkBytes ?? Infinity, t.byteLength);
    expect(chunks.map((c) => c.offset)).toEqual(Array.from({ length: Math.ceil(t.byteLength / step) }, (_, k) => k * step));
    expect(chunks.every((c) => c.length <= step)).toBe(true);
    // Bounded memory: every chunk is a view at the start of the same buffer.
    expect(new Set(chunks.map((c) => c.backing)).size).toBe(1);
    expect(chunks.every((c) => c.byteOffset === chunks[0].byteOffset)).toBe(true);
    expect(progress).toBe(t.byteLength);
  });

  it('uses a caller-provided scratch buffer, capped at its size', async () => {
    const t = tensor('model.embed_tokens.weight');
    const scratch = new Uint8Array(50_000);
    const { out, chunks } = await collect(t, 1 << 20, scratch);
    expect(chunks.every((c) => c.backing === scratch.buffer && c.length <= scratch.length)).toBe(true);
    expect(chunks).toHaveLength(Math.ceil(t.byteLength / scratch.length));
    expect(Buffer.compare(out, fileBytes.subarray(t.dataOffset, t.dataOffset + t.byteLength))).toBe(0);
  });

  it('awaits an async consumer before reusing the buffer', async () => {
    const t = tensor('lm_head.weight');
    const out = new Uint8Array(t.byteLength);
    let busy = false;
    await readTensorChunks(
      t,
      async (bytes, offset) => {
        expect(busy).toBe(false);
        busy = true;
        await new Promise((r) => setTimeout(r, 1));
        out.set(bytes, offset); // still intact after the await
        busy = false;
      },
      { chunkBytes: 32768 },
    );
    expect(Buffer.compare(out, fileBytes.subarray(t.dataOffset, t.dataOffset + t.byteLength))).toBe(0);
  });

  it('stops when the signal aborts, with the signal reason', async () => {
    const t = tensor('lm_head.weight');
    const controller = new AbortController();
    let calls = 0;
    const err = await caught(() =>
      readTensorChunks(
        t,
        () => {
          calls++;
          controller.abort();
        },
        { chunkBytes: 4096, signal: controller.signal },
      ),
    );
    expect(err.name).toBe('AbortError');
    expect(calls).toBe(1);
    await expect(readTensorChunks(t, () => undefined, { signal: AbortSignal.abort(new Error('cancelled by user')) })).rejects.toThrow('cancelled by user');
  });

  it('detects a shard that shrank after it was opened', async () => {
    const dir = await copyFixture('shrink');
    const opened = await openCheckpoint(dir);
    const t = opened.tensors.get('lm_head.weight') as TensorInfo; // first in the data section
    await truncate(t.file, t.dataOffset + 1000);
    const err = await caught(() => readTensorChunks(t, () => undefined, { chunkBytes: 512 }));
    expect(err).toBeInstanceOf(ModelFormatError);
    expect(err.message).toContain(`${t.file}: tensor 'lm_head.weight' needs bytes [${t.dataOffset}, ${t.dataOffset + t.byteLength})`);
    expect(err.message).toContain(`ends at byte ${t.dataOffset + 1000}`);
    expect(err.message).toContain('truncated, or shrank after it was opened');
  });

  it('rejects a non-positive chunk size', async () => {
    await expect(readTensorChunks(tensor('lm_head.weight'), () => undefined, { chunkBytes: 0 })).rejects.toThrow(RangeError);
  });
});
