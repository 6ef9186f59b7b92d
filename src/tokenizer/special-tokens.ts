// The special tokens of o200k_harmony, as openai/harmony defines them (src/tiktoken_ext/
// public_encodings.rs): 16 named ids 199998..200013 and `<|reserved_N|>` for every id N in
// 200014..201088 INCLUSIVE (one past the model's V = 201088 embedding rows; harmony's own test
// decodes [201088]). The Hugging Face tokenizer.json of gpt-oss names 200018 `<|endofprompt|>`;
// harmony calls it `<|reserved_200018|>` and so do we: this table, not tokenizer.json, is the
// authority for ids >= 199998.

/** Ids of the 9 Harmony special tokens (gpt-oss `docs/format.md`). */
export const SPECIAL_TOKENS = Object.freeze({
  START_OF_TEXT: 199998, // <|startoftext|>  BOS, unused by Harmony rendering
  END_OF_TEXT: 199999, // <|endoftext|>    pad
  RETURN: 200002, // <|return|>   end of the final answer; stop token
  CONSTRAIN: 200003, // <|constrain|> content-type marker in a header (" <|constrain|>json")
  CHANNEL: 200005, // <|channel|>  channel marker in a header
  START: 200006, // <|start|>    message start
  END: 200007, // <|end|>      message end
  MESSAGE: 200008, // <|message|>  header → content
  CALL: 200012, // <|call|>     end of a tool call; stop token
} as const);

export type SpecialTokenName = keyof typeof SPECIAL_TOKENS;

/** First id past the BPE ranks (o200k_base has 199,998 mergeable ranks, ids 0..199997). */
export const FIRST_SPECIAL_ID = 199998;
/** Last id harmony defines (`<|reserved_201088|>`). */
export const LAST_SPECIAL_ID = 201088;
/** Number of ids that decode to something: 0..201088. */
export const NUM_DEFINED_IDS = LAST_SPECIAL_ID + 1;
/** Embedding rows of gpt-oss (V in the legend); id 201088 decodes but the model never samples it. */
export const MODEL_VOCAB_SIZE = 201088;

/** Stop tokens while sampling (harmony `stop_tokens()`): <|return|>, <|call|>, <|end|>. */
export const STOP_TOKENS: readonly number[] = Object.freeze([
  SPECIAL_TOKENS.RETURN,
  SPECIAL_TOKENS.CALL,
  SPECIAL_TOKENS.END,
]);
/** Tokens that hand control back to the caller (harmony `stop_tokens_for_assistant_actions()`). */
export const STOP_TOKENS_FOR_ASSISTANT_ACTIONS: readonly number[] = Object.freeze([
  SPECIAL_TOKENS.RETURN,
  SPECIAL_TOKENS.CALL,
]);

const NAMED: ReadonlyMap<number, string> = new Map([
  [199998, '<|startoftext|>'],
  [199999, '<|endoftext|>'],
  [200002, '<|return|>'],
  [200003, '<|constrain|>'],
  [200005, '<|channel|>'],
  [200006, '<|start|>'],
  [200007, '<|end|>'],
  [200008, '<|message|>'],
  [200012, '<|call|>'],
]);

/** True for every id in 199998..201088 (named or reserved). */
export function isSpecialId(id: number): boolean {
  return Number.isInteger(id) && id >= FIRST_SPECIAL_ID && id <= LAST_SPECIAL_ID;
}

/** The text of a special id (`<|start|>`, `<|reserved_200014|>`), or undefined for other ids. */
export function specialTokenText(id: number): string | undefined {
  if (!isSpecialId(id)) return undefined;
  return NAMED.get(id) ?? `<|reserved_${id}|>`;
}

/** The id of a special token's text, or undefined when the text names no special token. */
export function specialTokenId(text: string): number | undefined {
  for (const [id, name] of NAMED) if (name === text) return id;
  const match = /^<\|reserved_(\d{6})\|>$/.exec(text);
  if (match === null) return undefined;
  const id = Number(match[1]);
  return isSpecialId(id) && !NAMED.has(id) ? id : undefined;
}

/** All special token texts in id order (1091 entries). */
export function allSpecialTokenTexts(): string[] {
  const texts: string[] = [];
  for (let id = FIRST_SPECIAL_ID; id <= LAST_SPECIAL_ID; id++) texts.push(specialTokenText(id) as string);
  return texts;
}

/**
 * The first id after <|call|> (200012): 200013..201087 are reserved ids o200k_harmony never uses
 * (200013..200018 are placeholders in tokenizer.json, 200019.. are not defined there at all). A model
 * must never produce them, so samplers mask [RESERVED_FROM, vocabSize).
 */
export const FIRST_UNUSED_RESERVED_ID = 200013;

/** The id range a sampler masks for a model of `vocabSize` rows, or undefined when it has none. */
export function unusedIdRange(vocabSize: number): { readonly from: number; readonly to: number } | undefined {
  return vocabSize > FIRST_UNUSED_RESERVED_ID ? { from: FIRST_UNUSED_RESERVED_ID, to: vocabSize } : undefined;
}
