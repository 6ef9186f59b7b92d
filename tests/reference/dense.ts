// float64 references for the dense kernels: embedding, matmul, rope, argmax.

export function refEmbedding(ids: ArrayLike<number>, table: ArrayLike<number>, numChannels: number): Float64Array {
  const out = new Float64Array(ids.length * numChannels);
  for (let t = 0; t < ids.length; t++) {
    for (let c = 0; c < numChannels; c++) out[t * numChannels + c] = table[ids[t] * numChannels + c];
  }
  return out;
}

/** y[t, o] = sum_c W[o, c] x[t, c] + b[o] (+ y0[t, o]). W [OUT, IN] row-major. */
export function refMatmul(
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  b: ArrayLike<number> | null,
  numTokens: number,
  inFeatures: number,
  outFeatures: number,
  y0?: ArrayLike<number>,
): Float64Array {
  const y = new Float64Array(numTokens * outFeatures);
  for (let t = 0; t < numTokens; t++) {
    for (let o = 0; o < outFeatures; o++) {
      let acc = b ? b[o] : 0;
      for (let c = 0; c < inFeatures; c++) acc += w[o * inFeatures + c] * x[t * inFeatures + c];
      y[t * outFeatures + o] = acc + (y0 ? y0[t * outFeatures + o] : 0);
    }
  }
  return y;
}

/** Half-split rotation of every q and k head of qkv [T, (Hq+2Hkv) Dh] by rope [T, Dh/2, 2]. */
export function refRope(qkv: ArrayLike<number>, rope: ArrayLike<number>, numTokens: number, numQHeads: number, numKvHeads: number, headDim: number): Float64Array {
  const out = Float64Array.from(qkv);
  const half = headDim / 2;
  const stride = (numQHeads + 2 * numKvHeads) * headDim;
  for (let t = 0; t < numTokens; t++) {
    for (let h = 0; h < numQHeads + numKvHeads; h++) {
      for (let i = 0; i < half; i++) {
        const cos = rope[(t * half + i) * 2];
        const sin = rope[(t * half + i) * 2 + 1];
        const at = t * stride + h * headDim + i;
        const x1 = qkv[at];
        const x2 = qkv[at + half];
        out[at] = x1 * cos - x2 * sin;
        out[at + half] = x2 * cos + x1 * sin;
      }
    }
  }
  return out;
}

export function refArgmax(logits: ArrayLike<number>, numTokens: number, vocabSize: number): number[] {
  const out: number[] = [];
  for (let t = 0; t < numTokens; t++) {
    let best = 0;
    for (let v = 1; v < vocabSize; v++) if (logits[t * vocabSize + v] > logits[t * vocabSize + best]) best = v;
    out.push(best);
  }
  return out;
}
