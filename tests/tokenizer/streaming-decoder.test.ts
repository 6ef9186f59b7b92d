// The incremental decoder: never half a character, U+FFFD for invalid sequences, and for any text
// and any way of splitting its tokens the pieces concatenate to the text.

import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { StreamingDecoder, Tokenizer } from '../../src/tokenizer/index.js';

const SEED = 20250807;
let tok: Tokenizer;
beforeAll(async () => {
  tok = await Tokenizer.load();
});

describe('StreamingDecoder', () => {
  it('waits for the second token of a split emoji', () => {
    const ids = tok.encodeOrdinary('💖');
    expect(ids.length).toBeGreaterThanOrEqual(2);
    const decoder = tok.createDecoder();
    expect(decoder.push(ids[0] as number)).toBe('');
    expect(decoder.push(ids[1] as number)).toBe('💖');
    expect(decoder.flush()).toBe('');
  });

  it('flushes an unfinished character as U+FFFD and is reusable', () => {
    const decoder = tok.createDecoder();
    expect(decoder.push(9552)).toBe(' ');
    expect(decoder.flush()).toBe('\uFFFD');
    expect(decoder.push(24912)).toBe('hello');
  });

  it('replaces an invalid sequence followed by valid text (harmony: " \\uFFFDXY")', () => {
    const decoder = tok.createDecoder();
    const ids = [9552, ...tok.encodeOrdinary('XY')];
    expect(ids.map((id) => decoder.push(id)).join('') + decoder.flush()).toBe(' \uFFFDXY');
  });

  it('turns an unknown id into U+FFFD after flushing an open character', () => {
    const decoder = tok.createDecoder();
    expect(decoder.push(9552)).toBe(' ');
    expect(decoder.push(4294967295)).toBe('\uFFFD\uFFFD');
  });

  it('reset drops an open character', () => {
    const decoder = tok.createDecoder();
    decoder.push(9552);
    decoder.reset();
    expect(decoder.flush()).toBe('');
  });

  it('decodes raw bytes split anywhere', () => {
    const decoder = new StreamingDecoder({ tokenBytes: () => undefined });
    const bytes = new TextEncoder().encode('aé😊');
    const out = [...bytes].map((byte) => decoder.pushBytes(Uint8Array.of(byte))).join('');
    expect(out + decoder.flush()).toBe('aé😊');
  });

  it('property: for any text, token-by-token decoding equals the text, never splitting a character', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (text) => {
        const decoder = tok.createDecoder();
        const pieces = tok.encodeOrdinary(text).map((id) => decoder.push(id));
        for (const piece of pieces) expect(piece.includes('\uFFFD')).toBe(false);
        expect(pieces.join('') + decoder.flush()).toBe(text);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('property: streaming any defined ids equals a WHATWG lossy decode of their bytes', () => {
    const anyId = fc.oneof(fc.integer({ min: 0, max: 201088 }), fc.integer({ min: 9540, max: 9560 }));
    const lossy = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
    fc.assert(
      fc.property(fc.array(anyId, { maxLength: 30 }), (ids) => {
        const decoder = tok.createDecoder();
        const streamed = ids.map((id) => decoder.push(id)).join('') + decoder.flush();
        expect(streamed).toBe(lossy.decode(tok.decodeBytes(ids)));
        expect(tok.decode(ids)).toBe(streamed);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});
