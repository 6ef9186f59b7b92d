import { describe, expect, it } from 'vitest';
import { findRepetition, findRepetitionByChannel } from '../../src/chat/repetition.js';

const PROSE =
  'The sea covers most of the planet. Its colour depends on the sky above it, on what floats in the water, and on the depth. ' +
  'Near coasts it often looks green because of algae; far out it is a deep blue. Storms churn it grey. Sailors learned to read ' +
  'these colours long before anyone could explain them, and many still trust their eyes over their instruments when the weather turns. ' +
  'Rivers carry silt that tints estuaries brown for miles, while glaciers grind rock into a milky flour that turns fjords turquoise.';

describe('findRepetition', () => {
  it('finds a periodic tail and ignores punctuation runs and normal prose', () => {
    expect(findRepetition(`Sure. ${'I think so. '.repeat(8)}`)).toMatchObject({ kind: 'periodic-tail', unit: ' I think so.', repeats: 8 });
    expect(findRepetition('ha'.repeat(40))).toMatchObject({ kind: 'periodic-tail' });
    expect(findRepetition(`Title\n${'-'.repeat(80)}`)).toBeNull();
    expect(findRepetition(PROSE)).toBeNull();
    expect(findRepetition('I think so. I think so. I think so.')).toBeNull(); // too short to matter
  });

  it('finds low n-gram diversity with small changes between repeats', () => {
    const text = Array.from({ length: 20 }, (_, i) => `Step ${i}: we add the next number to the running total, then we check the total again and write it down.`).join(' ');
    expect(findRepetition(text)).toMatchObject({ kind: 'low-diversity' });
  });

  it('checks each channel separately and skips tool-call arguments', () => {
    const found = findRepetitionByChannel([
      { role: 'assistant', channel: 'analysis', content: 'hmm '.repeat(30) },
      { role: 'assistant', channel: 'commentary', recipient: 'functions.x', content: 'aaaa '.repeat(30) },
      { role: 'assistant', channel: 'final', content: PROSE },
    ]);
    expect(found.map((f) => f.channel)).toEqual(['analysis']);
  });
});
