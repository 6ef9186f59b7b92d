// GPU tensors. A tensor is one GPU buffer, or several when its bytes exceed the device's
// maxStorageBufferBindingSize (128 MiB on lavapipe, 2 GiB on NVIDIA): then it is split along its
// first (outermost) dimension into chunks of whole rows, and kernels that read it are dispatched
// once per chunk with the chunk's row range (see `TensorChunk`).
//
// Element layout is row-major; bf16 is stored as raw bits, two per u32 (element i is the low half of
// word i/2 when i is even); u8 four per u32, little-endian.

import { ShapeError } from '../errors.js';
import { DTYPE_BYTES, numElements, type DType } from '../model/shapes.js';
import type { Gpu } from './device.js';

export interface TensorChunk {
  readonly buffer: GPUBuffer;
  /** First row (index along dim 0) held by this chunk, and how many rows. */
  readonly rowStart: number;
  readonly numRows: number;
  /** Bytes of tensor data in the buffer (the buffer itself may be padded to 4 bytes). */
  readonly byteLength: number;
}

export class GpuTensor {
  constructor(
    readonly name: string,
    readonly dtype: DType,
    readonly shape: readonly number[],
    readonly chunks: readonly TensorChunk[],
  ) {}

  get numElements(): number {
    return numElements(this.shape);
  }

  get byteLength(): number {
    return this.numElements * DTYPE_BYTES[this.dtype];
  }

  /** Bytes of one row along dim 0. */
  get rowBytes(): number {
    return this.shape.length === 0 ? this.byteLength : this.byteLength / this.shape[0];
  }

  get isChunked(): boolean {
    return this.chunks.length > 1;
  }

  /** The single buffer of an unchunked tensor (kernels that cannot take chunks call this). */
  get buffer(): GPUBuffer {
    if (this.chunks.length !== 1) {
      throw new ShapeError(`tensor '${this.name}' is split into ${this.chunks.length} chunks; this kernel needs one buffer`);
    }
    return this.chunks[0].buffer;
  }

  /** The chunk holding row `rowIdx`. */
  chunkOf(rowIdx: number): TensorChunk {
    const chunk = this.chunks.find((c) => rowIdx >= c.rowStart && rowIdx < c.rowStart + c.numRows);
    if (!chunk) throw new ShapeError(`tensor '${this.name}': row ${rowIdx} out of range [0, ${this.shape[0]})`);
    return chunk;
  }

  destroy(gpu: Gpu): void {
    for (const c of this.chunks) gpu.destroyBuffer(c.buffer);
  }
}

export interface CreateTensorOptions {
  /** Largest chunk in bytes; defaults to the device's maxStorageBufferBindingSize. */
  readonly maxChunkBytes?: number;
}

/** Allocate a tensor (zero-filled), chunked along dim 0 when it is larger than one binding. */
export function createTensor(
  gpu: Gpu,
  name: string,
  dtype: DType,
  shape: readonly number[],
  opts: CreateTensorOptions = {},
): GpuTensor {
  const total = numElements(shape) * DTYPE_BYTES[dtype];
  const maxChunk = Math.min(opts.maxChunkBytes ?? gpu.maxBindingBytes, gpu.limits.maxBufferSize ?? Infinity);
  if (total <= maxChunk || shape.length === 0) {
    return new GpuTensor(name, dtype, shape, [
      { buffer: gpu.createStorage(name, total), rowStart: 0, numRows: shape[0] ?? 1, byteLength: total },
    ]);
  }
  const numRows = shape[0];
  const rowBytes = total / numRows;
  if (rowBytes % 4 !== 0) {
    throw new ShapeError(`tensor '${name}' ${dtype} [${shape.join(', ')}]: rows of ${rowBytes} bytes cannot be chunked (need a multiple of 4)`);
  }
  const rowsPerChunk = Math.floor(maxChunk / rowBytes);
  if (rowsPerChunk < 1) {
    throw new ShapeError(`tensor '${name}': one row is ${rowBytes} bytes, more than a binding can hold (${maxChunk})`);
  }
  const chunks: TensorChunk[] = [];
  for (let rowStart = 0; rowStart < numRows; rowStart += rowsPerChunk) {
    const rows = Math.min(rowsPerChunk, numRows - rowStart);
    chunks.push({
      buffer: gpu.createStorage(`${name}[${rowStart}:${rowStart + rows}]`, rows * rowBytes),
      rowStart,
      numRows: rows,
      byteLength: rows * rowBytes,
    });
  }
  return new GpuTensor(name, dtype, shape, chunks);
}

/**
 * Streaming writer: feed a tensor's bytes in order (any piece sizes) and they land in the right
 * chunks. Used by the checkpoint loader, which streams tensors from disk in bounded pieces.
 */
export class TensorWriter {
  private chunkIdx = 0;
  private offsetInChunk = 0;
  private written = 0;

  constructor(
    private readonly gpu: Gpu,
    readonly tensor: GpuTensor,
  ) {}

  get bytesWritten(): number {
    return this.written;
  }

  write(bytes: Uint8Array): void {
    let pos = 0;
    while (pos < bytes.byteLength) {
      const chunk = this.tensor.chunks[this.chunkIdx];
      if (!chunk) throw new ShapeError(`tensor '${this.tensor.name}': more bytes written than its ${this.tensor.byteLength}`);
      const take = Math.min(chunk.byteLength - this.offsetInChunk, bytes.byteLength - pos);
      const piece = bytes.subarray(pos, pos + take);
      if (this.offsetInChunk % 4 !== 0) throw new ShapeError(`tensor '${this.tensor.name}': unaligned streaming write`);
      this.gpu.write(chunk.buffer, this.offsetInChunk, piece);
      pos += take;
      this.offsetInChunk += take;
      this.written += take;
      if (this.offsetInChunk === chunk.byteLength) {
        this.chunkIdx++;
        this.offsetInChunk = 0;
      }
    }
  }

  /** Check every byte arrived. */
  finish(): void {
    if (this.written !== this.tensor.byteLength) {
      throw new ShapeError(`tensor '${this.tensor.name}': got ${this.written} bytes, expected ${this.tensor.byteLength}`);
    }
  }
}

/** Upload a whole host array (tests, small tensors). */
export function uploadTensor(
  gpu: Gpu,
  name: string,
  dtype: DType,
  shape: readonly number[],
  data: ArrayBufferView,
  opts: CreateTensorOptions = {},
): GpuTensor {
  const t = createTensor(gpu, name, dtype, shape, opts);
  if (data.byteLength !== t.byteLength) {
    throw new ShapeError(`upload '${name}': ${data.byteLength} bytes given for ${dtype} [${shape.join(', ')}] (${t.byteLength} bytes)`);
  }
  const w = new TensorWriter(gpu, t);
  w.write(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  w.finish();
  return t;
}

/** Read a whole tensor back into host memory (all chunks, in order). */
export async function readTensor(gpu: Gpu, t: GpuTensor): Promise<ArrayBuffer> {
  const out = new Uint8Array(t.byteLength);
  let at = 0;
  for (const c of t.chunks) {
    out.set(new Uint8Array(await gpu.read(c.buffer, 0, c.byteLength)), at);
    at += c.byteLength;
  }
  return out.buffer;
}
