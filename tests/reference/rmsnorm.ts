// float64 reference for shaders/rmsnorm.wgsl (spec §2.1).
export function refRmsNorm(x: ArrayLike<number>, w: ArrayLike<number>, numTokens: number, numChannels: number, eps: number): Float64Array {
  const y = new Float64Array(numTokens * numChannels);
  for (let t = 0; t < numTokens; t++) {
    let sumSq = 0;
    for (let c = 0; c < numChannels; c++) sumSq += x[t * numChannels + c] ** 2;
    const scale = 1 / Math.sqrt(sumSq / numChannels + eps);
    for (let c = 0; c < numChannels; c++) y[t * numChannels + c] = x[t * numChannels + c] * scale * w[c];
  }
  return y;
}
