import { expect } from 'vitest';

export interface Tolerance {
  readonly atol: number;
  readonly rtol: number;
}

/**
 * Elementwise |got - ref| <= atol + rtol*|ref|. On failure, lists the first 10 mismatches with
 * coordinates from `where(i)` in legend terms, then fails.
 */
export function expectClose(
  got: ArrayLike<number>,
  ref: ArrayLike<number>,
  tol: Tolerance,
  where: (i: number) => string = (i) => `element ${i}`,
): { maxAbsDiff: number } {
  expect(got.length, 'length').toBe(ref.length);
  const bad: string[] = [];
  let numBad = 0;
  let maxAbsDiff = 0;
  for (let i = 0; i < ref.length; i++) {
    const diff = Math.abs(got[i] - ref[i]);
    if (!(diff <= tol.atol + tol.rtol * Math.abs(ref[i]))) {
      numBad++;
      if (bad.length < 10) {
        bad.push(`${where(i)}: got ${got[i]} ref ${ref[i]} diff ${diff.toExponential(2)} tol ${(tol.atol + tol.rtol * Math.abs(ref[i])).toExponential(2)}`);
      }
    }
    if (Number.isFinite(diff)) maxAbsDiff = Math.max(maxAbsDiff, diff);
  }
  if (numBad) expect.fail(`${numBad} of ${ref.length} elements out of tolerance:\n${bad.join('\n')}`);
  return { maxAbsDiff };
}

/** Bit-exact comparison (Object.is on every element), for exact ops. */
export function expectExact(got: ArrayLike<number>, ref: ArrayLike<number>, where: (i: number) => string = (i) => `element ${i}`): void {
  expect(got.length, 'length').toBe(ref.length);
  const bad: string[] = [];
  let numBad = 0;
  for (let i = 0; i < ref.length; i++) {
    if (!Object.is(got[i], ref[i])) {
      numBad++;
      if (bad.length < 10) bad.push(`${where(i)}: got ${got[i]} ref ${ref[i]}`);
    }
  }
  if (numBad) expect.fail(`${numBad} of ${ref.length} elements differ:\n${bad.join('\n')}`);
}
