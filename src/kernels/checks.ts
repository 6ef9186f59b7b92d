// Checks and grid helpers shared by the launchers in src/kernels/.
import { ShapeError } from '../errors.js';
import type { Recorder } from '../gpu/recorder.js';
import type { GpuTensor } from '../gpu/tensor.js';
import type { DType } from '../model/shapes.js';

/**
 * A per-token buffer: dtype `dtype`, shape [rows ≥ T, ...inner] where `inner` lists the trailing
 * dims in legend names, e.g. expectTokenRows('moe', 'out', out, 'f32', T, { K: 4, I: 2880 }).
 */
export function expectTokenRows(
  who: string,
  what: string,
  t: GpuTensor,
  dtype: DType,
  numTokens: number,
  inner: Readonly<Record<string, number>>,
): void {
  const names = Object.keys(inner);
  const ok =
    t.dtype === dtype &&
    t.shape.length === names.length + 1 &&
    t.shape[0] >= numTokens &&
    names.every((name, i) => t.shape[i + 1] === inner[name]);
  if (!ok) {
    const want = `${dtype} [T≥${numTokens}, ${names.map((n) => `${n}=${inner[n]}`).join(', ')}]`;
    throw new ShapeError(`${who}: '${what}' expected ${want}, got ${t.dtype} [${t.shape.join(', ')}]`);
  }
}

/** An f32 activation buffer [rows ≥ T, C]. */
export function expectRows(who: string, what: string, t: GpuTensor, numTokens: number, numChannels: number): void {
  expectTokenRows(who, what, t, 'f32', numTokens, { C: numChannels });
}

/**
 * Workgroup grid for `count` workgroups of a 1-D problem: [x, y] with x ≤ the device's
 * maxComputeWorkgroupsPerDimension; kernels take `wg.y * num_workgroups.x + wg.x` and return when it
 * is ≥ count (the last row of the grid may be partial).
 */
export function foldWorkgroups(rec: Recorder, who: string, count: number): [number, number] {
  const maxPerDim = rec.device.limits.maxComputeWorkgroupsPerDimension;
  if (count <= maxPerDim) return [count, 1];
  const y = Math.ceil(count / maxPerDim);
  if (y > maxPerDim) throw new ShapeError(`${who}: ${count} workgroups exceed ${maxPerDim}² (maxComputeWorkgroupsPerDimension)`);
  return [maxPerDim, y];
}
