// GPU timestamps through the `timestamp-query` feature. WebGPU writes them per compute pass
// (`timestampWrites` in beginComputePass: one query when the pass begins, one when it ends); Dawn
// converts the device's ticks to nanoseconds. This pool owns the query sets, the resolve buffer and
// the readback buffer, and hands out the begin/end query pair of pass i (queries 2i and 2i+1).
//
// Dawn quantizes timestamps unless its toggle `timestamp_quantization` is disabled
// (TIMESTAMP_TOGGLES_OFF, passed by `wgh profile` and `wgh bench` when they open the device).
//
// The optional Dawn feature `chromium-experimental-timestamp-query-inside-passes` (behind the
// toggle `allow_unsafe_apis`) also allows writeTimestamp between dispatches of one pass; see
// `writeTimestampInside`. Gpu.open does not request it today, so profiles use one pass per dispatch
// unless the device has it.

import { UnsupportedDeviceError } from '../errors.js';
import type { Gpu } from './device.js';

/** WebGPU's limit on the number of queries in one query set. */
export const MAX_QUERIES_PER_SET = 4096;
const QUERIES_PER_PASS = 2;
const TIMESTAMP_BYTES = 8;
/** resolveQuerySet's destination offset must be a multiple of this. */
const RESOLVE_ALIGN = 256;
export const NS_PER_US = 1000;

/** Dawn toggles to disable so timestamps keep full resolution. */
export const TIMESTAMP_TOGGLES_OFF: readonly string[] = ['timestamp_quantization'];
/** The Dawn feature that allows timestamps between dispatches inside one compute pass. */
export const INSIDE_PASS_FEATURE = 'chromium-experimental-timestamp-query-inside-passes';

/** A compute pass encoder of a device with INSIDE_PASS_FEATURE (absent from @webgpu/types). */
interface PassWithTimestamps extends GPUComputePassEncoder {
  writeTimestamp(querySet: GPUQuerySet, queryIndex: number): void;
}

function hasWriteTimestamp(pass: GPUComputePassEncoder): pass is PassWithTimestamps {
  return typeof (pass as Partial<PassWithTimestamps>).writeTimestamp === 'function';
}

export class TimestampQueries {
  private readonly sets: GPUQuerySet[] = [];
  private readonly resolveBuffer: GPUBuffer;
  private readonly readback: GPUBuffer;
  private readonly queriesPerSet: number;
  private destroyed = false;

  /** Room for `maxPasses` passes (2 queries each) per submit-and-read cycle. */
  constructor(
    private readonly gpu: Gpu,
    readonly maxPasses: number,
  ) {
    if (!gpu.caps.timestampQuery) {
      throw new UnsupportedDeviceError(`GPU timestamps need the 'timestamp-query' feature, which this device lacks`);
    }
    if (!Number.isInteger(maxPasses) || maxPasses < 1) throw new RangeError(`TimestampQueries: maxPasses must be a positive integer, got ${maxPasses}`);
    this.queriesPerSet = MAX_QUERIES_PER_SET;
    const numQueries = maxPasses * QUERIES_PER_PASS;
    for (let first = 0; first < numQueries; first += this.queriesPerSet) {
      const count = Math.min(this.queriesPerSet, numQueries - first);
      this.sets.push(gpu.device.createQuerySet({ label: `timestamps[${first}+${count}]`, type: 'timestamp', count }));
    }
    const bytes = this.sets.length * this.queriesPerSet * TIMESTAMP_BYTES;
    this.resolveBuffer = gpu.createBuffer('timestamps:resolve', bytes, GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC);
    this.readback = gpu.createBuffer('timestamps:readback', bytes, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
  }

  /** The query set and index of query `queryIdx` (pass i: 2i begin, 2i + 1 end). */
  private slot(queryIdx: number): { set: GPUQuerySet; index: number } {
    if (queryIdx < 0 || queryIdx >= this.maxPasses * QUERIES_PER_PASS) {
      throw new RangeError(`TimestampQueries: query ${queryIdx} outside 0..${this.maxPasses * QUERIES_PER_PASS - 1}`);
    }
    return { set: this.sets[Math.floor(queryIdx / this.queriesPerSet)], index: queryIdx % this.queriesPerSet };
  }

  /** `timestampWrites` for pass `passIdx`: its begin and end land in queries 2i and 2i + 1. */
  passWrites(passIdx: number): GPUComputePassTimestampWrites {
    const begin = this.slot(passIdx * QUERIES_PER_PASS);
    const end = this.slot(passIdx * QUERIES_PER_PASS + 1);
    // Pairs never straddle two sets: queriesPerSet is even.
    return { querySet: begin.set, beginningOfPassWriteIndex: begin.index, endOfPassWriteIndex: end.index };
  }

  /**
   * Write query `queryIdx` between dispatches of an open pass (INSIDE_PASS_FEATURE only). Returns
   * false when the pass encoder has no writeTimestamp (the caller falls back to one pass per dispatch).
   */
  writeTimestampInside(pass: GPUComputePassEncoder, queryIdx: number): boolean {
    if (!hasWriteTimestamp(pass)) return false;
    const { set, index } = this.slot(queryIdx);
    pass.writeTimestamp(set, index);
    return true;
  }

  /** After the passes, in the same encoder: resolve the first `numPasses` passes' queries for `read`. */
  resolve(enc: GPUCommandEncoder, numPasses: number): void {
    const numQueries = numPasses * QUERIES_PER_PASS;
    this.sets.forEach((set, setIdx) => {
      const first = setIdx * this.queriesPerSet;
      const count = Math.min(this.queriesPerSet, numQueries - first);
      if (count <= 0) return;
      const offset = first * TIMESTAMP_BYTES;
      if (offset % RESOLVE_ALIGN !== 0) throw new RangeError(`TimestampQueries: resolve offset ${offset} not ${RESOLVE_ALIGN}-aligned`);
      enc.resolveQuerySet(set, 0, count, this.resolveBuffer, offset);
    });
    enc.copyBufferToBuffer(this.resolveBuffer, 0, this.readback, 0, numQueries * TIMESTAMP_BYTES);
  }

  /** After submitting the encoder that called `resolve`: the 2·numPasses timestamps in ns. */
  async read(numPasses: number): Promise<BigUint64Array> {
    const bytes = numPasses * QUERIES_PER_PASS * TIMESTAMP_BYTES;
    await this.readback.mapAsync(GPUMapMode.READ, 0, bytes);
    try {
      return new BigUint64Array(this.readback.getMappedRange(0, bytes).slice(0));
    } finally {
      this.readback.unmap();
      this.gpu.throwIfFailed();
    }
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const set of this.sets) set.destroy();
    this.gpu.destroyBuffer(this.resolveBuffer);
    this.gpu.destroyBuffer(this.readback);
  }
}

/** Nanoseconds between two timestamps as microseconds (negative when the clock went backwards). */
export function nsDiffToUs(later: bigint, earlier: bigint): number {
  return Number(later - earlier) / NS_PER_US;
}
