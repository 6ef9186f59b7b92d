// A gpt-oss checkpoint directory in Hugging Face layout, opened and checked without reading the
// weights: config.json, then model.safetensors.index.json (+ its shards) or model.safetensors.
// Tensors are then streamed from disk chunk by chunk (readTensorChunks), never whole shards.
//
// Layout (spec §3.1), per layer l, HF names, [out, in] row-major:
//   model.embed_tokens.weight [V, C] · model.norm.weight [C] · lm_head.weight [V, C]
//   model.layers.l.{input_layernorm,post_attention_layernorm}.weight [C]
//   self_attn.q_proj [Hq·Dh, C] (+bias) · k_proj, v_proj [Hkv·Dh, C] (+bias) · o_proj [C, Hq·Dh] (+bias) · sinks [Hq]
//   mlp.router.weight [E, C] (+bias [E])
//   mlp.experts.gate_up_proj_{blocks [E, 2I, C/32, 16], scales [E, 2I, C/32], bias [E, 2I]}
//   mlp.experts.down_proj_{blocks [E, C, I/32, 16], scales [E, C, I/32], bias [E, C]}
// Dense tensors are BF16 on disk in gpt-oss; F16 and F32 are accepted too (the GPU side converts).

import { open, stat } from 'node:fs/promises';
import { isAbsolute, join, normalize, sep } from 'node:path';
import { ModelFormatError } from '../errors.js';
import { MODEL_DIR_CONTENTS, MXFP4_GROUP_SIZE, describeValue, readJsonFile, readModelConfig } from './config.js';
import { readSafetensorsHeader, type SafetensorsHeader, type TensorDType } from './safetensors.js';
import type { ModelConfig } from './shapes.js';

export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';
/** Bytes per MXFP4 group in a *_blocks tensor: 32 fp4 values, two per byte. */
export const MXFP4_GROUP_BYTES = MXFP4_GROUP_SIZE / 2;
/** 16 MiB: large enough that per-read overhead is negligible, small enough to bound memory. */
export const DEFAULT_CHUNK_BYTES = 16 * 1024 * 1024;

const FLOAT_DTYPES: readonly TensorDType[] = ['BF16', 'F16', 'F32'];
const BYTE_DTYPES: readonly TensorDType[] = ['U8'];

export interface TensorInfo {
  readonly name: string;
  readonly dtype: TensorDType;
  readonly shape: readonly number[];
  /** Absolute path of the safetensors file holding it. */
  readonly file: string;
  /** Absolute byte offset of the tensor in `file`. */
  readonly dataOffset: number;
  readonly byteLength: number;
}

export interface Checkpoint {
  readonly dir: string;
  readonly config: ModelConfig;
  /** Exactly the tensors of expectedTensors(config), validated, in that order. */
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  /** Sum of byteLength over `tensors`: what a loader streams. */
  readonly totalBytes: number;
  /** Absolute paths of the safetensors files, in index order. */
  readonly files: readonly string[];
  /** Tensors on disk that gpt-oss does not use; ignored. */
  readonly unknownTensors: readonly string[];
}

/** A tensor gpt-oss needs: shape in legend dims (`dims[i]` names `shape[i]`) and accepted dtypes. */
export interface ExpectedTensor {
  readonly name: string;
  readonly dtypes: readonly TensorDType[];
  readonly shape: readonly number[];
  readonly dims: readonly string[];
}

/** Every tensor gpt-oss needs (19 per layer, then embed, final norm, lm_head), in file order. */
export function expectedTensors(config: ModelConfig): ExpectedTensor[] {
  const { hiddenSize: C, intermediateSize: I, numHeads: Hq, numKvHeads: Hkv, headDim: Dh, numExperts: E, vocabSize: V } = config;
  const d = (...pairs: [string, number][]) => ({ dims: pairs.map(([dim]) => dim), shape: pairs.map(([, n]) => n) });
  const G = MXFP4_GROUP_SIZE;
  const groupBytes: [string, number] = ['16', MXFP4_GROUP_BYTES];
  const list: ExpectedTensor[] = [{ name: 'model.embed_tokens.weight', dtypes: FLOAT_DTYPES, ...d(['V', V], ['C', C]) }];
  for (let l = 0; l < config.numLayers; l++) {
    const p = `model.layers.${l}`;
    const dense = (name: string, ...pairs: [string, number][]) => list.push({ name: `${p}.${name}`, dtypes: FLOAT_DTYPES, ...d(...pairs) });
    const bytes = (name: string, ...pairs: [string, number][]) => list.push({ name: `${p}.${name}`, dtypes: BYTE_DTYPES, ...d(...pairs) });
    dense('input_layernorm.weight', ['C', C]);
    dense('self_attn.q_proj.weight', ['Hq*Dh', Hq * Dh], ['C', C]);
    dense('self_attn.q_proj.bias', ['Hq*Dh', Hq * Dh]);
    dense('self_attn.k_proj.weight', ['Hkv*Dh', Hkv * Dh], ['C', C]);
    dense('self_attn.k_proj.bias', ['Hkv*Dh', Hkv * Dh]);
    dense('self_attn.v_proj.weight', ['Hkv*Dh', Hkv * Dh], ['C', C]);
    dense('self_attn.v_proj.bias', ['Hkv*Dh', Hkv * Dh]);
    dense('self_attn.o_proj.weight', ['C', C], ['Hq*Dh', Hq * Dh]);
    dense('self_attn.o_proj.bias', ['C', C]);
    dense('self_attn.sinks', ['Hq', Hq]);
    dense('post_attention_layernorm.weight', ['C', C]);
    dense('mlp.router.weight', ['E', E], ['C', C]);
    dense('mlp.router.bias', ['E', E]);
    bytes('mlp.experts.gate_up_proj_blocks', ['E', E], ['2I', 2 * I], ['C/32', C / G], groupBytes);
    bytes('mlp.experts.gate_up_proj_scales', ['E', E], ['2I', 2 * I], ['C/32', C / G]);
    dense('mlp.experts.gate_up_proj_bias', ['E', E], ['2I', 2 * I]);
    bytes('mlp.experts.down_proj_blocks', ['E', E], ['C', C], ['I/32', I / G], groupBytes);
    bytes('mlp.experts.down_proj_scales', ['E', E], ['C', C], ['I/32', I / G]);
    dense('mlp.experts.down_proj_bias', ['E', E], ['C', C]);
  }
  list.push({ name: 'model.norm.weight', dtypes: FLOAT_DTYPES, ...d(['C', C]) });
  list.push({ name: 'lm_head.weight', dtypes: FLOAT_DTYPES, ...d(['V', V], ['C', C]) });
  return list;
}

/** `BF16|F16|F32 [Hq*Dh=4096, C=2880]` */
export function describeExpected(t: ExpectedTensor): string {
  return `${t.dtypes.join('|')} [${t.dims.map((dim, i) => `${dim}=${t.shape[i]}`).join(', ')}]`;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

interface WeightSource {
  /** The file to name in "missing tensor" errors (the index, or model.safetensors). */
  readonly listing: string;
  /** Absolute shard paths in first-use order. */
  readonly files: readonly string[];
  /** tensor name → absolute shard path, when an index says where each tensor is. */
  readonly weightMap: ReadonlyMap<string, string> | null;
}

/** A shard name from the index must stay inside the model directory. */
function isPlainRelative(name: string): boolean {
  return name.length > 0 && !isAbsolute(name) && !normalize(name).split(sep).includes('..');
}

async function readIndex(dir: string, indexFile: string): Promise<WeightSource> {
  const json = await readJsonFile(indexFile, 'the shard index');
  const weightMapRaw = typeof json === 'object' && json !== null ? (json as Record<string, unknown>).weight_map : undefined;
  if (typeof weightMapRaw !== 'object' || weightMapRaw === null || Array.isArray(weightMapRaw)) {
    throw new ModelFormatError(`${indexFile}: 'weight_map' expected an object {tensor name: shard file}, got ${describeValue(weightMapRaw)}`, indexFile);
  }
  const weightMap = new Map<string, string>();
  const files: string[] = [];
  for (const [name, shard] of Object.entries(weightMapRaw)) {
    if (typeof shard !== 'string' || !isPlainRelative(shard)) {
      throw new ModelFormatError(`${indexFile}: 'weight_map.${name}' expected a shard file name inside ${dir}, got ${describeValue(shard)}`, indexFile);
    }
    const path = join(dir, shard);
    if (!files.includes(path)) files.push(path);
    weightMap.set(name, path);
  }
  for (const path of files) {
    if (!(await isFile(path))) {
      const user = [...weightMap].find(([, f]) => f === path)?.[0];
      throw new ModelFormatError(`${indexFile}: names shard ${path} (for tensor '${user}'), but that file does not exist`, indexFile);
    }
  }
  return { listing: indexFile, files, weightMap };
}

async function findWeights(dir: string): Promise<WeightSource> {
  // The index wins when both exist: a directory re-written from single-file to shards (or back by
  // create-test-model) keeps working, since only the index names exactly the current shards.
  const indexFile = join(dir, INDEX_FILE);
  if (await isFile(indexFile)) return readIndex(dir, indexFile);
  const single = join(dir, SINGLE_FILE);
  if (await isFile(single)) return { listing: single, files: [single], weightMap: null };
  throw new ModelFormatError(`${dir}: has config.json but no weights: expected ${SINGLE_FILE} or ${INDEX_FILE} (${MODEL_DIR_CONTENTS})`, dir);
}

/** Opens a model directory: config, shard headers, and every tensor's dtype/shape/offsets checked. */
export async function openCheckpoint(dir: string): Promise<Checkpoint> {
  const config = await readModelConfig(dir);
  const source = await findWeights(dir);
  const headers = new Map<string, SafetensorsHeader>();
  await Promise.all(source.files.map(async (f) => headers.set(f, await readSafetensorsHeader(f))));

  const expected = expectedTensors(config);
  const tensors = new Map<string, TensorInfo>();
  let totalBytes = 0;
  for (const want of expected) {
    const file = source.weightMap ? source.weightMap.get(want.name) : source.files[0];
    if (file === undefined) {
      throw new ModelFormatError(`${source.listing}: missing tensor '${want.name}': expected ${describeExpected(want)}, got nothing (the weight_map does not list it)`, source.listing);
    }
    const found = headers.get(file)?.tensors.get(want.name);
    if (found === undefined) {
      const why = source.weightMap ? `${INDEX_FILE} maps it to this file, but the file has no such tensor` : 'the file has no such tensor';
      throw new ModelFormatError(`${file}: missing tensor '${want.name}': expected ${describeExpected(want)}, got nothing (${why})`, file);
    }
    const shapeOk = found.shape.length === want.shape.length && found.shape.every((n, i) => n === want.shape[i]);
    if (!want.dtypes.includes(found.dtype) || !shapeOk) {
      throw new ModelFormatError(`${file}: tensor '${want.name}' expected ${describeExpected(want)}, got ${found.dtype} [${found.shape.join(', ')}]`, file);
    }
    tensors.set(want.name, { ...found, file });
    totalBytes += found.byteLength;
  }
  const known = new Set(expected.map((t) => t.name));
  const onDisk = source.weightMap ? [...source.weightMap.keys()] : [...(headers.get(source.files[0])?.tensors.keys() ?? [])];
  const unknownTensors = onDisk.filter((name) => !known.has(name));
  return { dir, config, tensors, totalBytes, files: source.files, unknownTensors };
}

export interface ReadChunksOptions {
  /** Bytes per read (default 16 MiB). Chunk k covers tensor bytes [k·chunkBytes, …). Keep it a multiple of 4 for writeBuffer. */
  readonly chunkBytes?: number;
  readonly signal?: AbortSignal;
  /** Called after each chunk with that chunk's byte count (a delta: sum it across tensors for a progress bar). */
  readonly onProgress?: (bytesRead: number) => void;
  /**
   * A scratch buffer to reuse across calls (e.g. one per model load); chunks are then at most
   * min(chunkBytes, buffer.byteLength) bytes. Default: one buffer of min(chunkBytes, byteLength) per call.
   */
  readonly buffer?: Uint8Array;
}

/**
 * Streams one tensor from disk in order, through one reusable buffer. `bytes` is a view of that
 * buffer, valid only until onChunk returns (or its promise resolves): copy it out (queue.writeBuffer
 * copies) before then. A file shorter than its header promised (truncated, or shrunk since it was
 * opened) is a ModelFormatError; an aborted signal rejects with the signal's reason.
 */
export async function readTensorChunks(
  t: TensorInfo,
  onChunk: (bytes: Uint8Array, byteOffsetInTensor: number) => void | Promise<void>,
  opts: ReadChunksOptions = {},
): Promise<void> {
  const chunkBytes = opts.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes <= 0) {
    throw new RangeError(`readTensorChunks: chunkBytes expected a positive integer, got ${chunkBytes}`);
  }
  opts.signal?.throwIfAborted();
  if (t.byteLength === 0) return;
  const buffer = opts.buffer ?? new Uint8Array(Math.min(chunkBytes, t.byteLength));
  const step = Math.min(chunkBytes, buffer.byteLength);
  if (step <= 0) throw new RangeError('readTensorChunks: the scratch buffer is empty');
  const handle = await open(t.file, 'r');
  try {
    for (let done = 0; done < t.byteLength; ) {
      opts.signal?.throwIfAborted();
      const want = Math.min(step, t.byteLength - done);
      let got = 0;
      while (got < want) {
        const { bytesRead } = await handle.read(buffer, got, want - got, t.dataOffset + done + got);
        if (bytesRead === 0) {
          const now = (await handle.stat()).size;
          throw new ModelFormatError(
            `${t.file}: tensor '${t.name}' needs bytes [${t.dataOffset}, ${t.dataOffset + t.byteLength}) but the file ` +
              `ends at byte ${now}: it is truncated, or shrank after it was opened`,
            t.file,
          );
        }
        got += bytesRead;
      }
      await onChunk(buffer.subarray(0, want), done);
      done += want;
      opts.onProgress?.(want);
    }
  } finally {
    await handle.close();
  }
}
