// float64 references for shaders/moe_swiglu.wgsl and shaders/moe_down.wgsl (spec §2.5), following
// the numpy reference line by line:
//   u = W1[e] @ h[t] + b1[e]; gate, up = min(u[0::2], lim), clip(u[1::2], -lim, lim)
//   s = gate / (1 + exp(-alpha*gate)) * (up + 1);  y[t] += w[j] * (W2[e] @ s + b2[e])
// Weights are dequantised one row at a time (exactly, as f32 values) and each row is applied to every
// slot routed to its expert, so gpt-oss-sized tests only touch the experts they route to.
import { MXFP4_GROUP_SIZE, dequantRowInto } from './mxfp4.js';

/** MXFP4 experts as uploaded: blocks u8 [E, N, G, 16], scales u8 [E, N, G], bias values [E, N] (bf16-exact). */
export interface RefMxfp4Experts {
  readonly blocks: Uint8Array;
  readonly scales: Uint8Array;
  readonly bias: ArrayLike<number>;
}

export interface RefMoeParams {
  readonly numTokens: number; // T
  readonly hiddenSize: number; // C
  readonly intermediateSize: number; // I
  readonly numExperts: number; // E
  readonly numExpertsPerToken: number; // K
}

/** Slot indices (t*K + k) per expert, for t < T. */
function slotsByExpert(ids: ArrayLike<number>, p: RefMoeParams): Map<number, number[]> {
  const byExpert = new Map<number, number[]>();
  for (let slot = 0; slot < p.numTokens * p.numExpertsPerToken; slot++) {
    const e = ids[slot];
    if (e >= p.numExperts) throw new Error(`refMoe: slot ${slot} routes to expert ${e} >= E=${p.numExperts}`);
    const list = byExpert.get(e) ?? [];
    list.push(slot);
    byExpert.set(e, list);
  }
  return byExpert;
}

function dot(row: Float64Array, x: ArrayLike<number>, at: number): number {
  let sum = 0;
  for (let c = 0; c < row.length; c++) sum += row[c] * x[at + c];
  return sum;
}

/**
 * out[t,k,i] for the gate_up projection + clamped SwiGLU. Also counts how many (slot, i) had the gate
 * above the limit and the up value outside ±limit, so tests can show the clamp was exercised.
 */
export function refMoeGateUpSwiglu(
  h: ArrayLike<number>,
  ids: ArrayLike<number>,
  w: RefMxfp4Experts,
  p: RefMoeParams & { readonly swigluLimit: number; readonly swigluAlpha: number },
): { out: Float64Array; gateClamped: number; upClamped: number } {
  const { hiddenSize: C, intermediateSize: I, numExpertsPerToken: K, swigluLimit: limit, swigluAlpha: alpha } = p;
  const G = C / MXFP4_GROUP_SIZE;
  const out = new Float64Array(p.numTokens * K * I);
  const gateRow = new Float64Array(C);
  const upRow = new Float64Array(C);
  let gateClamped = 0;
  let upClamped = 0;
  for (const [e, slots] of slotsByExpert(ids, p)) {
    for (let i = 0; i < I; i++) {
      const row = e * 2 * I + 2 * i;
      dequantRowInto(w.blocks, w.scales, row, G, gateRow);
      dequantRowInto(w.blocks, w.scales, row + 1, G, upRow);
      for (const slot of slots) {
        const t = Math.floor(slot / K);
        const gateRaw = dot(gateRow, h, t * C) + w.bias[row];
        const upRaw = dot(upRow, h, t * C) + w.bias[row + 1];
        if (gateRaw > limit) gateClamped++;
        if (Math.abs(upRaw) > limit) upClamped++;
        const gate = Math.min(gateRaw, limit);
        const up = Math.min(Math.max(upRaw, -limit), limit);
        out[slot * I + i] = (gate / (1 + Math.exp(-alpha * gate))) * (up + 1);
      }
    }
  }
  return { out, gateClamped, upClamped };
}

/** x[t,c] + Σ_k weights[t,k] * ((W2[e] s[t,k])[c] + b2[e][c]) as a new [T, C] array. */
export function refMoeDownAccumulate(
  x: ArrayLike<number>,
  s: ArrayLike<number>,
  ids: ArrayLike<number>,
  weights: ArrayLike<number>,
  w: RefMxfp4Experts,
  p: RefMoeParams,
): Float64Array {
  const { hiddenSize: C, intermediateSize: I, numExpertsPerToken: K } = p;
  const G = I / MXFP4_GROUP_SIZE;
  const y = Float64Array.from({ length: p.numTokens * C }, (_, i) => x[i]);
  const delta = new Float64Array(p.numTokens * C);
  const row = new Float64Array(I);
  for (const [e, slots] of slotsByExpert(ids, p)) {
    for (let c = 0; c < C; c++) {
      dequantRowInto(w.blocks, w.scales, e * C + c, G, row);
      for (const slot of slots) {
        const t = Math.floor(slot / K);
        delta[t * C + c] += weights[slot] * (dot(row, s, slot * I) + w.bias[e * C + c]);
      }
    }
  }
  for (let i = 0; i < y.length; i++) y[i] += delta[i];
  return y;
}
