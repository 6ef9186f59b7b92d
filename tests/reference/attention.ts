// float64 reference for attention with sinks (spec §2.3), over explicit per-position k and v.

export interface RefAttentionInput {
  /** q for the batch: [T, Hq, Dh]. */
  readonly q: ArrayLike<number>;
  /** k and v of every position 0 .. pos0+T-1: [P, Hkv, Dh]. */
  readonly k: ArrayLike<number>;
  readonly v: ArrayLike<number>;
  readonly sinks: ArrayLike<number>; // [Hq]
  readonly pos0: number;
  readonly numTokens: number;
  readonly numQHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  readonly smScale: number;
  /** Which key positions query position p may see. */
  readonly visible: (keyPos: number, queryPos: number) => boolean;
}

export function refAttention(a: RefAttentionInput): Float64Array {
  const { numTokens: T, numQHeads: Hq, numKvHeads: Hkv, headDim: Dh } = a;
  const out = new Float64Array(T * Hq * Dh);
  const group = Hq / Hkv;
  for (let t = 0; t < T; t++) {
    const p = a.pos0 + t;
    for (let h = 0; h < Hq; h++) {
      const kvh = Math.floor(h / group);
      const keys: number[] = [];
      const scores: number[] = [];
      for (let j = 0; j <= p; j++) {
        if (!a.visible(j, p)) continue;
        let dot = 0;
        for (let d = 0; d < Dh; d++) dot += a.q[(t * Hq + h) * Dh + d] * a.k[(j * Hkv + kvh) * Dh + d];
        keys.push(j);
        scores.push(dot * a.smScale);
      }
      const m = Math.max(a.sinks[h], ...scores);
      let denom = Math.exp(a.sinks[h] - m);
      const weights = scores.map((s) => Math.exp(s - m));
      for (const w of weights) denom += w;
      for (let d = 0; d < Dh; d++) {
        let acc = 0;
        keys.forEach((j, idx) => {
          acc += weights[idx] * a.v[(j * Hkv + kvh) * Dh + d];
        });
        out[(t * Hq + h) * Dh + d] = acc / denom;
      }
    }
  }
  return out;
}

/** Visibility for window W (0 = none) and a cache keeping the first `keep` plus a ring of S - keep. */
export function visibility(window: number, keep: number, capacity: number): (j: number, p: number) => boolean {
  return (j, p) => {
    if (window > 0 && j <= p - window) return false;
    return j < keep || j > p - (capacity - keep);
  };
}
