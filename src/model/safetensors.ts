// The safetensors container: reading and checking a file's header, and encoding one.
//
// Layout (https://github.com/huggingface/safetensors):
//   [0, 8)          u64 little-endian N = header length in bytes
//   [8, 8+N)        UTF-8 JSON: { "__metadata__"?: {str: str}, name: {dtype, shape, data_offsets: [begin, end]}, … }
//                   (writers pad it with spaces so the data section starts 8-byte aligned)
//   [8+N, …)        data section; each tensor's bytes are [8+N+begin, 8+N+end), row-major, little-endian
// Only what gpt-oss needs is accepted: BF16, F16, F32, U8. Every error names the file and the tensor.

import { open } from 'node:fs/promises';
import { ModelFormatError } from '../errors.js';
import { numElements } from './shapes.js';

export type TensorDType = 'BF16' | 'F16' | 'F32' | 'U8';

export const TENSOR_DTYPE_BYTES: Readonly<Record<TensorDType, number>> = { BF16: 2, F16: 2, F32: 4, U8: 1 };

const SUPPORTED_DTYPES = Object.keys(TENSOR_DTYPE_BYTES) as TensorDType[];

/** Bytes of the little-endian u64 header length that starts every safetensors file. */
export const HEADER_LENGTH_BYTES = 8;
/** Largest header we accept: the safetensors reference implementation's own limit (100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;
/** Writers pad the JSON header with spaces so the data section starts at a multiple of this. */
const HEADER_ALIGN_BYTES = 8;
const METADATA_KEY = '__metadata__';

/** One tensor of a safetensors file, with absolute file offsets. */
export interface SafetensorsTensor {
  readonly name: string;
  readonly dtype: TensorDType;
  readonly shape: readonly number[];
  /** Absolute byte offset of the tensor's first byte in the file (8 + N + begin). */
  readonly dataOffset: number;
  readonly byteLength: number;
}

export interface SafetensorsHeader {
  readonly file: string;
  /** Size of the file when the header was read. */
  readonly fileBytes: number;
  /** Absolute offset of the data section (8 + N). */
  readonly dataStart: number;
  readonly metadata: Readonly<Record<string, string>>;
  /** In header order. */
  readonly tensors: ReadonlyMap<string, SafetensorsTensor>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isIndexArray(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0);
}

function fail(file: string, message: string, cause?: unknown): never {
  throw new ModelFormatError(`${file}: ${message}`, file, cause === undefined ? undefined : { cause });
}

/**
 * Checks a decoded header (the JSON text) against the file size. Pure; `readSafetensorsHeader`
 * does the I/O. `fileBytes` is the whole file's size, `headerBytes` the N of the length prefix.
 */
export function parseSafetensorsHeader(file: string, json: string, headerBytes: number, fileBytes: number): SafetensorsHeader {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json) as unknown;
  } catch (err) {
    fail(file, `the safetensors header is not valid JSON: ${(err as Error).message}`, err);
  }
  if (!isRecord(parsed)) fail(file, 'the safetensors header is not a JSON object');
  const dataStart = HEADER_LENGTH_BYTES + headerBytes;
  const dataBytes = fileBytes - dataStart;
  const metadata: Record<string, string> = {};
  const tensors = new Map<string, SafetensorsTensor>();
  const spans: { name: string; begin: number; end: number }[] = [];

  for (const [name, entry] of Object.entries(parsed)) {
    if (name === METADATA_KEY) {
      if (!isRecord(entry)) fail(file, `'${METADATA_KEY}' expected an object of strings, got ${typeof entry}`);
      for (const [key, value] of Object.entries(entry)) {
        if (typeof value !== 'string') fail(file, `'${METADATA_KEY}.${key}' expected a string, got ${typeof value}`);
        metadata[key] = value;
      }
      continue;
    }
    const who = `tensor '${name}'`;
    if (!isRecord(entry)) fail(file, `${who}: expected {dtype, shape, data_offsets}, got ${JSON.stringify(entry)}`);
    const { dtype, shape, data_offsets: offsets } = entry;
    if (typeof dtype !== 'string') fail(file, `${who}: 'dtype' expected a string, got ${JSON.stringify(dtype)}`);
    if (!(SUPPORTED_DTYPES as readonly string[]).includes(dtype)) {
      fail(file, `${who}: unsupported dtype ${dtype} (webgpu-harmony reads ${SUPPORTED_DTYPES.join(', ')})`);
    }
    if (!isIndexArray(shape)) fail(file, `${who}: 'shape' expected an array of integers ≥ 0, got ${JSON.stringify(shape)}`);
    if (!isIndexArray(offsets) || offsets.length !== 2 || offsets[0] > offsets[1]) {
      fail(file, `${who}: 'data_offsets' expected [begin, end] with 0 ≤ begin ≤ end, got ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets;
    const typed = dtype as TensorDType;
    const wantBytes = numElements(shape) * TENSOR_DTYPE_BYTES[typed];
    if (end - begin !== wantBytes) {
      fail(
        file,
        `${who}: data_offsets [${begin}, ${end}] span ${end - begin} bytes, but ${typed} [${shape.join(', ')}] ` +
          `needs ${wantBytes} bytes`,
      );
    }
    if (end > dataBytes) {
      fail(
        file,
        `${who}: data_offsets [${begin}, ${end}] end past the end of the file: its data section holds ` +
          `${Math.max(dataBytes, 0)} bytes (file ${fileBytes} bytes, data from byte ${dataStart}); the file is truncated or the header is wrong`,
      );
    }
    tensors.set(name, { name, dtype: typed, shape: [...shape], dataOffset: dataStart + begin, byteLength: end - begin });
    if (end > begin) spans.push({ name, begin, end });
  }

  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let spanIdx = 1; spanIdx < spans.length; spanIdx++) {
    const prev = spans[spanIdx - 1];
    const cur = spans[spanIdx];
    if (cur.begin < prev.end) {
      fail(
        file,
        `tensors '${prev.name}' data_offsets [${prev.begin}, ${prev.end}] and '${cur.name}' ` +
          `[${cur.begin}, ${cur.end}] overlap; each tensor needs its own bytes`,
      );
    }
  }
  return { file, fileBytes, dataStart, metadata, tensors };
}

/** Reads and checks the header of a safetensors file (a few KB of I/O; the data is not read). */
export async function readSafetensorsHeader(file: string): Promise<SafetensorsHeader> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    const code = isRecord(err) ? err.code : undefined;
    fail(file, code === 'ENOENT' ? 'no such file' : `cannot open: ${String(err)}`, err);
  }
  try {
    const fileBytes = (await handle.stat()).size;
    if (fileBytes < HEADER_LENGTH_BYTES) {
      fail(file, `the file is ${fileBytes} bytes, too short for the ${HEADER_LENGTH_BYTES}-byte safetensors header length`);
    }
    const prefix = new Uint8Array(HEADER_LENGTH_BYTES);
    await handle.read(prefix, 0, HEADER_LENGTH_BYTES, 0);
    const headerLength = new DataView(prefix.buffer).getBigUint64(0, true);
    if (headerLength > BigInt(MAX_HEADER_BYTES)) {
      fail(file, `safetensors header length ${headerLength} bytes exceeds the ${MAX_HEADER_BYTES}-byte limit (not a safetensors file?)`);
    }
    const headerBytes = Number(headerLength);
    if (HEADER_LENGTH_BYTES + headerBytes > fileBytes) {
      fail(
        file,
        `safetensors header length ${headerBytes} bytes runs past the end of the file ` +
          `(${fileBytes} bytes, header would end at byte ${HEADER_LENGTH_BYTES + headerBytes}); truncated or not safetensors`,
      );
    }
    const json = new Uint8Array(headerBytes);
    const { bytesRead } = await handle.read(json, 0, headerBytes, HEADER_LENGTH_BYTES);
    if (bytesRead !== headerBytes) fail(file, `read ${bytesRead} of ${headerBytes} header bytes; the file changed while reading`);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(json);
    } catch (err) {
      fail(file, 'the safetensors header is not UTF-8 text (not a safetensors file?)', err);
    }
    return parseSafetensorsHeader(file, text, headerBytes, fileBytes);
  } finally {
    await handle.close();
  }
}

/** A tensor to be written: its data is laid out contiguously in the order given. */
export interface TensorSpec {
  readonly name: string;
  readonly dtype: TensorDType;
  readonly shape: readonly number[];
}

export interface EncodedHeader {
  /** The 8-byte length prefix followed by the space-padded JSON: the file's first bytes. */
  readonly bytes: Uint8Array;
  /** Byte length of each tensor, in the order given. */
  readonly byteLengths: readonly number[];
  /** Size of the data section (sum of byteLengths): the file is bytes.length + dataBytes long. */
  readonly dataBytes: number;
}

/**
 * Encodes a safetensors header for tensors stored back to back (no gaps, as the reference writer
 * and loader require), padded with spaces so the data section starts 8-byte aligned.
 */
export function encodeSafetensorsHeader(tensors: readonly TensorSpec[], metadata?: Readonly<Record<string, string>>): EncodedHeader {
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) header[METADATA_KEY] = metadata;
  const byteLengths: number[] = [];
  let offset = 0;
  for (const t of tensors) {
    const byteLength = numElements(t.shape) * TENSOR_DTYPE_BYTES[t.dtype];
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + byteLength] };
    byteLengths.push(byteLength);
    offset += byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / HEADER_ALIGN_BYTES) * HEADER_ALIGN_BYTES;
  const bytes = new Uint8Array(HEADER_LENGTH_BYTES + padded).fill(' '.charCodeAt(0), HEADER_LENGTH_BYTES);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(padded), true);
  bytes.set(json, HEADER_LENGTH_BYTES);
  return { bytes, byteLengths, dataBytes: offset };
}
