// float64 reference for shaders/topk.wgsl (spec §2.4): per token, the K largest logits in descending
// order (equal logits: lower expert index first, like numpy's stable argsort of -logits), then a
// softmax over those K logits only.
export function refRouterTopK(
  logits: ArrayLike<number>,
  numTokens: number,
  numExperts: number,
  numExpertsPerToken: number,
): { ids: Uint32Array; weights: Float64Array } {
  const ids = new Uint32Array(numTokens * numExpertsPerToken);
  const weights = new Float64Array(numTokens * numExpertsPerToken);
  for (let t = 0; t < numTokens; t++) {
    const row = (e: number) => logits[t * numExperts + e];
    const order = Array.from({ length: numExperts }, (_, e) => e).sort((a, b) => row(b) - row(a) || a - b);
    const chosen = order.slice(0, numExpertsPerToken);
    const max = row(chosen[0]);
    const exps = chosen.map((e) => Math.exp(row(e) - max));
    const sum = exps.reduce((a, b) => a + b, 0);
    chosen.forEach((e, k) => {
      ids[t * numExpertsPerToken + k] = e;
      weights[t * numExpertsPerToken + k] = exps[k] / sum;
    });
  }
  return { ids, weights };
}
