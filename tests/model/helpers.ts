// Shared helpers for tests/model: the oracle fixture, temp dirs, and hand-made (broken) checkpoints.

import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** tests/fixtures/gpt-oss-tiny-a: the oracle checkpoint (C=128, L=4, Hq=8, Hkv=2, Dh=64, E=8, K=4, I=96, V=1024, W=8). */
export const FIXTURE_DIR = fileURLToPath(new URL('../fixtures/gpt-oss-tiny-a/', import.meta.url));
export const FIXTURE_TENSORS = 4 * 19 + 3;

/** A fresh temp directory; remove it with removeTempDirs() in afterAll. */
const created: string[] = [];
export async function makeTempDir(label: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `wgh-${label}-`));
  created.push(dir);
  return dir;
}
export async function removeTempDirs(): Promise<void> {
  await Promise.all(created.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

/** Copies config.json + model.safetensors of the fixture into a new temp dir. */
export async function copyFixture(label: string): Promise<string> {
  const dir = await makeTempDir(label);
  await cp(join(FIXTURE_DIR, 'config.json'), join(dir, 'config.json'));
  await cp(join(FIXTURE_DIR, 'model.safetensors'), join(dir, 'model.safetensors'));
  return dir;
}

export type RawHeader = Record<string, unknown>;
export interface RawEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** Splits a safetensors file into (header object, data section bytes). */
export async function readRaw(file: string): Promise<{ header: RawHeader; data: Uint8Array }> {
  const bytes = new Uint8Array(await readFile(file));
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as RawHeader;
  return { header, data: bytes.subarray(8 + n) };
}

/** Writes a safetensors file from a header object and data bytes; `headerLength` can lie. */
export async function writeRaw(file: string, header: RawHeader, data: Uint8Array, headerLength?: bigint): Promise<void> {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, headerLength ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  await writeFile(file, out);
}

/** Rewrites a safetensors file's header in place (data unchanged). */
export async function editHeader(file: string, edit: (header: Record<string, RawEntry>) => void): Promise<void> {
  const { header, data } = await readRaw(file);
  edit(header as Record<string, RawEntry>);
  await writeRaw(file, header, data);
}

/** Runs `fn` and returns the error it throws (fails the test if it does not throw). */
export async function caught(fn: () => Promise<unknown>): Promise<Error> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof Error) return err;
    throw new Error(`expected an Error, got ${String(err)}`);
  }
  throw new Error('expected a throw, but it succeeded');
}
