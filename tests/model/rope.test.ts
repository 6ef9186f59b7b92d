import { describe, expect, it } from 'vitest';
import { fillRopeTable, yarnConcentration, yarnInvFreq } from '../../src/model/rope.js';

// gpt-oss rope parameters (spec §1, §2.2).
const GPT_OSS = {
  headDim: 64,
  ropeTheta: 150000,
  ropeScaling: { factor: 32, betaFast: 32, betaSlow: 1, originalMaxPositionEmbeddings: 4096, truncate: false },
};

describe('YaRN rope tables', () => {
  it('inv_freq matches the spec samples (transformers float32)', () => {
    const inv = yarnInvFreq(GPT_OSS);
    // Samples quoted in spec §2.2, printed by transformers to 7 significant digits.
    const samples: Array<[number, number]> = [
      [0, 1.0], [1, 0.6890443], [2, 0.4747821], [3, 0.3271459], [8, 5.081327e-2], [9, 3.17057e-2],
      [10, 1.9335e-2], [11, 1.159205e-2], [12, 6.794959e-3], [13, 3.860359e-3], [14, 2.093792e-3],
      [15, 1.052602e-3], [16, 4.564839e-4], [17, 1.293187e-4], [18, 3.830881e-5], [31, 3.023511e-7],
    ];
    // 7 significant digits: half a unit of the 7th digit, plus one f32 ulp.
    for (const [i, want] of samples) expect(Math.abs(inv[i] - want), `inv_freq[${i}] = ${inv[i]}`).toBeLessThanOrEqual(want * (5e-7 + 1.2e-7));
  });

  it('concentration is 0.1 ln(32) + 1', () => {
    expect(yarnConcentration(GPT_OSS)).toBeCloseTo(1.3465735902799727, 15);
  });

  it('table holds concentration-scaled cos/sin of f32 angles', () => {
    const inv = yarnInvFreq(GPT_OSS);
    const table = fillRopeTable(inv, yarnConcentration(GPT_OSS), 1000, 2, new Float32Array(2 * 32 * 2));
    const theta = Math.fround(1001 * inv[5]);
    expect(table[(32 + 5) * 2]).toBeCloseTo(Math.cos(theta) * 1.3465735902799727, 6);
    expect(table[(32 + 5) * 2 + 1]).toBeCloseTo(Math.sin(theta) * 1.3465735902799727, 6);
  });
});
