// A small seeded PRNG for the synthetic data (sfc32, seeded through splitmix32). Every conversation
// gets its own generator from (seed, split, index), so the data does not depend on how the work is
// split into shards or processes.

const UINT32_RANGE = 4294967296;

/** splitmix32 step: a well-mixed 32-bit hash of a 32-bit state. */
function splitmix32(state: number): number {
  let z = (state + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** Mixes integers (seed, stream, index, …) into one 32-bit seed. */
export function mixSeed(...parts: readonly number[]): number {
  let h = 0x12345678;
  for (const part of parts) h = splitmix32((h ^ Math.imul(part | 0, 0x27d4eb2d)) >>> 0);
  return h;
}

/** A string's 32-bit FNV-1a hash (for stable per-name streams). */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let charIdx = 0; charIdx < text.length; charIdx++) {
    h ^= text.charCodeAt(charIdx);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = splitmix32(seed);
    this.b = splitmix32(this.a);
    this.c = splitmix32(this.b);
    this.d = 1;
    for (let warmup = 0; warmup < 12; warmup++) this.nextU32();
  }

  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / UINT32_RANGE;
  }

  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Rng.pick: empty list');
    return items[Math.floor(this.next() * items.length)];
  }

  /** Picks by weight: `[[item, weight], …]`. */
  weighted<T>(entries: readonly (readonly [T, number])[]): T {
    const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
    let r = this.next() * total;
    for (const [item, weight] of entries) {
      r -= weight;
      if (r < 0) return item;
    }
    return entries[entries.length - 1][0];
  }

  /** A new shuffled copy. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let idx = out.length - 1; idx > 0; idx--) {
      const other = Math.floor(this.next() * (idx + 1));
      [out[idx], out[other]] = [out[other], out[idx]];
    }
    return out;
  }

  /** `count` distinct items, in random order. */
  sample<T>(items: readonly T[], count: number): T[] {
    return this.shuffle(items).slice(0, count);
  }
}
