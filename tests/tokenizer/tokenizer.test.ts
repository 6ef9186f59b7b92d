// o200k_harmony facts from openai/harmony's tests (src/tests.rs, tests/test_harmony.py) and the spec.

import { beforeAll, describe, expect, it } from 'vitest';
import { HarmonyParseError } from '../../src/errors.js';
import {
  LAST_SPECIAL_ID,
  MODEL_VOCAB_SIZE,
  NUM_DEFINED_IDS,
  SPECIAL_TOKENS,
  STOP_TOKENS,
  STOP_TOKENS_FOR_ASSISTANT_ACTIONS,
  Tokenizer,
  allSpecialTokenTexts,
} from '../../src/tokenizer/index.js';

let tok: Tokenizer;
beforeAll(async () => {
  tok = await Tokenizer.load();
});

describe('o200k_harmony encoding', () => {
  it('encodes "hello world" to [24912, 2375] and round-trips', () => {
    expect(tok.encodeOrdinary('hello world')).toEqual([24912, 2375]);
    expect(tok.decodeUtf8([24912, 2375])).toBe('hello world');
    expect(tok.decode([24912, 2375])).toBe('hello world');
  });

  it('never makes special ids from ordinary text: a user typing <|start|> gets [27, 91, 5236, 91, 29]', () => {
    expect(tok.encodeOrdinary('<|start|>')).toEqual([27, 91, 5236, 91, 29]);
    expect(tok.encodeOrdinary('<|start|>user<|message|>hi<|end|>')).not.toContain(SPECIAL_TOKENS.START);
    expect(tok.decode(tok.encodeOrdinary('<|call|><|reserved_200500|>'))).toBe('<|call|><|reserved_200500|>');
  });

  it('encodes special-token texts when specials are allowed', () => {
    expect(tok.encodeWithSpecials('<|start|>')).toEqual([200006]);
    expect(tok.encodeWithSpecials('<|start|>user<|message|>hi<|end|>')).toEqual([200006, 1428, 200008, 3686, 200007]);
    expect(tok.encodeWithSpecials('<|reserved_200500|>')).toEqual([200500]);
    expect(tok.encodeWithSpecials('<|start|>', new Set(['<|end|>']))).toEqual([27, 91, 5236, 91, 29]);
    expect(tok.encodeWithSpecials('x<|start|>', new Set(['<|start|>']))).toEqual([...tok.encodeOrdinary('x'), 200006]);
    // Not special in o200k_harmony: stays text.
    expect(tok.encodeWithSpecials('<|endofprompt|><|foo|>')).toEqual(tok.encodeOrdinary('<|endofprompt|><|foo|>'));
  });

  it('encodes the role words as ordinary tokens', () => {
    expect(tok.encodeOrdinary('system')).toEqual([17360]);
    expect(tok.encodeOrdinary('user')).toEqual([1428]);
    expect(tok.encodeOrdinary('assistant')).toEqual([173781]);
  });

  it('agrees with harmony-produced ids of a completion (test_simple_reasoning_response)', () => {
    expect(tok.encodeOrdinary('User asks: "What is 2 + 2?" Simple arithmetic. Provide answer.')).toEqual([
      1844, 31064, 25, 392, 4827, 382, 220, 17, 659, 220, 17, 16842, 12295, 81645, 13, 51441, 6052, 13,
    ]);
    expect(tok.encodeOrdinary('2 + 2 = 4.')).toEqual([17, 659, 220, 17, 314, 220, 19, 13]);
  });

  it('round-trips multilingual and emoji text', () => {
    const text = 'Hello Müller, Γειά σου, Привет, שלום, مرحبا, नमस्ते, こんにちは, 안녕하세요, 你好. 😊👋🏾👨‍👩‍👧‍👦🇺🇸\r\n\ttabs';
    expect(tok.decodeUtf8(tok.encodeOrdinary(text))).toBe(text);
    expect(tok.encodeOrdinary('')).toEqual([]);
  });
});

describe('special tokens', () => {
  it('has the 9 Harmony ids', () => {
    expect(SPECIAL_TOKENS).toEqual({
      START_OF_TEXT: 199998,
      END_OF_TEXT: 199999,
      RETURN: 200002,
      CONSTRAIN: 200003,
      CHANNEL: 200005,
      START: 200006,
      END: 200007,
      MESSAGE: 200008,
      CALL: 200012,
    });
    expect(Tokenizer.specialTokens).toBe(SPECIAL_TOKENS);
    for (const [name, id] of Object.entries(SPECIAL_TOKENS)) {
      expect(tok.encodeWithSpecials(tok.tokenText(id)), name).toEqual([id]);
      expect(tok.isSpecial(id)).toBe(true);
    }
    expect(tok.tokenText(200006)).toBe('<|start|>');
    expect(tok.specialTokenId('<|call|>')).toBe(200012);
    expect(tok.isSpecial(24912)).toBe(false);
  });

  it('decodes the reserved ids as <|reserved_N|>, up to 201088 inclusive', () => {
    expect(tok.decodeUtf8([200014])).toBe('<|reserved_200014|>');
    expect(tok.decodeUtf8([201088])).toBe('<|reserved_201088|>');
    expect(tok.decodeUtf8([200000, 200001, 200004, 200013])).toBe(
      '<|reserved_200000|><|reserved_200001|><|reserved_200004|><|reserved_200013|>',
    );
    // tokenizer.json calls 200018 <|endofprompt|>; harmony reserves it.
    expect(tok.decodeUtf8([200018])).toBe('<|reserved_200018|>');
    for (let id = 200019; id <= 201088; id++) expect(tok.tokenText(id)).toBe(`<|reserved_${id}|>`);
    expect(allSpecialTokenTexts()).toHaveLength(LAST_SPECIAL_ID - 199998 + 1);
  });

  it('defines ids 0..201088; the model has 201088 rows', () => {
    expect(tok.vocabSize).toBe(MODEL_VOCAB_SIZE);
    expect(tok.numDefined).toBe(NUM_DEFINED_IDS);
    expect(tok.numDefined).toBe(201089);
    expect(tok.isDefined(0)).toBe(true);
    expect(tok.isDefined(199997)).toBe(true);
    expect(tok.isDefined(201088)).toBe(true);
    expect(tok.isDefined(201089)).toBe(false);
    expect(tok.isDefined(-1)).toBe(false);
    expect(tok.isDefined(1.5)).toBe(false);
  });

  it('lists the stop tokens', () => {
    expect([...STOP_TOKENS].sort()).toEqual([200002, 200007, 200012]);
    expect([...STOP_TOKENS_FOR_ASSISTANT_ACTIONS].sort()).toEqual([200002, 200012]);
  });
});

describe('decoding', () => {
  it('decodeUtf8 throws on invalid UTF-8; decode is lossy and keeps the rest ("Chicken")', () => {
    expect(() => tok.decodeUtf8([132990, 9552])).toThrow(HarmonyParseError);
    expect(() => tok.decodeUtf8([132990, 9552])).toThrow(/Invalid utf-8/);
    expect(() => tok.decodeStrict([9552, 9552])).toThrow(HarmonyParseError);
    expect(tok.decode([132990, 9552])).toContain('Chicken');
    expect(tok.decode([132990, 9552]).endsWith('\uFFFD')).toBe(true);
  });

  it('decodeUtf8 throws on unknown ids; decode gives U+FFFD', () => {
    expect(() => tok.decodeUtf8([99999999])).toThrow(/Invalid token for decoding: 99999999/);
    expect(() => tok.decodeBytes([201089])).toThrow(HarmonyParseError);
    expect(tok.decode([24912, 99999999, 2375])).toBe('hello\uFFFD world');
  });

  it('token 9552 is the bytes [0x20, 0xF0, 0x9F] (half an emoji)', () => {
    expect([...(tok.tokenBytes(9552) ?? [])]).toEqual([0x20, 0xf0, 0x9f]);
    expect(tok.decode([9552, 9552, ...tok.encodeOrdinary('worked')])).toBe(' \uFFFD \uFFFDworked');
    expect(tok.tokenText(9552)).toBe(' \uFFFD');
    expect(tok.tokenBytes(-5)).toBeUndefined();
  });
});
