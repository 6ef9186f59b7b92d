// Binary shards that train.py reads with numpy (little-endian, no header):
//   NAME.ids.u32      token ids of all sequences, concatenated          u32 [numTokens]
//   NAME.mask.u8      1 where the model writes the token (loss target)  u8  [numTokens]
//   NAME.offsets.u64  sequence k is [offsets[k], offsets[k+1])          u64 [numSequences + 1]
//   NAME.kinds.u8     task kind of each sequence (index into KINDS)     u8  [numSequences]
//   NAME.meta.json    counts and length statistics

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KINDS, kindCode, type Kind } from './types.js';

const INITIAL_CAPACITY = 1 << 20;

class GrowableU32 {
  data = new Uint32Array(INITIAL_CAPACITY);
  length = 0;
  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = new Uint32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }
  view(): Uint32Array {
    return this.data.subarray(0, this.length);
  }
}

class GrowableU8 {
  data = new Uint8Array(INITIAL_CAPACITY);
  length = 0;
  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = new Uint8Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }
  view(): Uint8Array {
    return this.data.subarray(0, this.length);
  }
}

export interface ShardMeta {
  readonly name: string;
  readonly sequences: number;
  readonly tokens: number;
  readonly lossTokens: number;
  readonly maxLength: number;
  readonly meanLength: number;
  /** Sequences longer than the cap, left out. */
  readonly dropped: number;
  readonly kinds: Record<string, number>;
  readonly lengthPercentiles: Record<string, number>;
}

export class ShardWriter {
  private readonly ids = new GrowableU32();
  private readonly mask = new GrowableU8();
  private readonly kinds = new GrowableU8();
  private readonly offsets: number[] = [0];
  private readonly lengths: number[] = [];
  private lossTokens = 0;
  private dropped = 0;

  constructor(
    private readonly dir: string,
    private readonly name: string,
    private readonly maxLength: number,
  ) {}

  /** Adds one sequence; returns false (and counts it) when it is longer than the cap. */
  add(ids: readonly number[], mask: readonly number[], kind: Kind): boolean {
    if (ids.length !== mask.length) throw new Error(`shard ${this.name}: ids and mask differ in length`);
    if (ids.length > this.maxLength) {
      this.dropped++;
      return false;
    }
    for (let idx = 0; idx < ids.length; idx++) {
      this.ids.push(ids[idx]);
      this.mask.push(mask[idx]);
      this.lossTokens += mask[idx];
    }
    this.kinds.push(kindCode(kind));
    this.offsets.push(this.ids.length);
    this.lengths.push(ids.length);
    return true;
  }

  close(): ShardMeta {
    const base = join(this.dir, this.name);
    writeFileSync(`${base}.ids.u32`, this.ids.view());
    writeFileSync(`${base}.mask.u8`, this.mask.view());
    writeFileSync(`${base}.kinds.u8`, this.kinds.view());
    writeFileSync(`${base}.offsets.u64`, BigUint64Array.from(this.offsets, (offset) => BigInt(offset)));
    const kinds: Record<string, number> = {};
    for (const code of this.kinds.view()) kinds[KINDS[code]] = (kinds[KINDS[code]] ?? 0) + 1;
    const sorted = [...this.lengths].sort((a, b) => a - b);
    const at = (q: number): number => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
    const meta: ShardMeta = {
      name: this.name,
      sequences: this.lengths.length,
      tokens: this.ids.length,
      lossTokens: this.lossTokens,
      maxLength: sorted.length === 0 ? 0 : sorted[sorted.length - 1],
      meanLength: this.lengths.length === 0 ? 0 : this.ids.length / this.lengths.length,
      dropped: this.dropped,
      kinds,
      lengthPercentiles: { p10: at(0.1), p50: at(0.5), p90: at(0.9), p99: at(0.99) },
    };
    writeFileSync(`${base}.meta.json`, JSON.stringify(meta, null, 2) + '\n');
    return meta;
  }
}
