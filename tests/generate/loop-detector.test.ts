// Loop detection as a pure function of the completion's ids (src/generate/loop-detector.ts).
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { LOOP_DETECTION_PRESETS, LoopDetector, findRepeatingTail } from '../../src/generate/loop-detector.js';
import { seeded } from '../helpers/random.js';

const SEED = 31337;
const { cheap, full } = LOOP_DETECTION_PRESETS;

/** `prefix` random ids, then `unit` repeated to `span` ids (the last copy may be partial). */
function withTail(prefix: number, unit: readonly number[], span: number, seed = SEED): number[] {
  const rand = seeded(seed);
  const out = Array.from({ length: prefix }, () => 1000 + Math.floor(rand() * 50_000));
  for (let idx = 0; idx < span; idx++) out.push(unit[idx % unit.length]);
  return out;
}

function randomIds(length: number, seed: number, alphabet = 200_000): number[] {
  const rand = seeded(seed);
  return Array.from({ length }, () => Math.floor(rand() * alphabet));
}

describe('findRepeatingTail', () => {
  it.each([
    ['one token', [7], 64],
    ['a 3-token phrase', [5, 6, 7], 66],
    ['a 16-token line', Array.from({ length: 16 }, (_, i) => 100 + i), 64],
    ['a 64-token paragraph, 4 times', Array.from({ length: 64 }, (_, i) => 300 + i), 256],
  ])('finds %s repeating at the end', (_, unit, span) => {
    const ids = withTail(40, unit, span);
    expect(findRepeatingTail(ids, ids.length, cheap)).toEqual({ period: unit.length, span: expect.any(Number) as number });
    expect(findRepeatingTail(ids, ids.length, cheap)!.span).toBeGreaterThanOrEqual(span);
  });

  it('reports the shortest period (a unit that is itself periodic)', () => {
    const ids = withTail(10, [1, 2, 1, 2, 1, 2], 80);
    expect(findRepeatingTail(ids, ids.length, cheap)?.period).toBe(2);
  });

  it('needs minSpanTokens and minRepeats: short or few repetitions are text, not loops', () => {
    const short = withTail(100, [9, 8, 7], cheap.minSpanTokens - 2);
    expect(findRepeatingTail(short, short.length, cheap)).toBeNull();
    // A 40-token unit twice (80 >= minSpan) is not 4 repetitions.
    const twice = withTail(100, Array.from({ length: 40 }, (_, i) => 500 + i), 80);
    expect(findRepeatingTail(twice, twice.length, cheap)).toBeNull();
    // ... and 'full' wants 3 repetitions of up to 512 tokens.
    const thrice = withTail(100, Array.from({ length: 200 }, (_, i) => 900 + i), 600);
    expect(findRepeatingTail(thrice, thrice.length, cheap)).toBeNull();
    expect(findRepeatingTail(thrice, thrice.length, full)).toEqual({ period: 200, span: 600 });
  });

  it('only the tail counts: a loop that ended is not reported', () => {
    const ids = [...withTail(10, [4, 4], 100), ...randomIds(20, SEED + 1)];
    expect(findRepeatingTail(ids, ids.length, cheap)).toBeNull();
    // `end` selects a prefix of the array (the completion so far).
    expect(findRepeatingTail(ids, 110, cheap)?.period).toBe(1);
  });

  it('no false positives on 200 random sequences (large and small alphabets)', () => {
    for (let trial = 0; trial < 200; trial++) {
      const ids = randomIds(2048, SEED + trial, trial % 2 ? 200_000 : 50);
      expect(findRepeatingTail(ids, ids.length, full), `trial ${trial}`).toBeNull();
    }
  });
});

describe('LoopDetector', () => {
  it('checks every checkEvery tokens; off never reports', () => {
    const ids = withTail(0, [3], 200);
    const det = new LoopDetector('cheap');
    const hits: number[] = [];
    for (let len = 1; len <= ids.length; len++) if (det.check(ids, len)) hits.push(len);
    expect(hits[0]).toBe(cheap.minSpanTokens); // 64 = 4 * checkEvery
    expect(hits.every((len) => len % cheap.checkEvery === 0)).toBe(true);
    const off = new LoopDetector('off');
    for (let len = 1; len <= ids.length; len++) expect(off.check(ids, len)).toBeNull();
  });

  it('rejects unknown modes with a ConfigError', () => {
    expect(() => new LoopDetector('fast' as 'cheap')).toThrow(ConfigError);
  });
});
