// The o200k_harmony tokenizer of gpt-oss.
//
//   const tok = await Tokenizer.load(modelDir);        // modelDir/tokenizer.json, else the bundled copy
//   tok.encodeOrdinary('<|start|>')                     // [27, 91, 5236, 91, 29]: never special
//   tok.encodeWithSpecials('<|start|>user')             // [200006, 1428]
//   tok.decode(ids)                                     // lossy: U+FFFD for invalid UTF-8 / unknown ids
//   tok.decodeUtf8(ids)                                 // strict: throws HarmonyParseError
//   tok.tokenText(200014)                               // '<|reserved_200014|>'
//   const dec = tok.createDecoder(); dec.push(id) ... dec.flush()   // UTF-8-safe streaming
//   Tokenizer.specialTokens.START                       // 200006 (also END, MESSAGE, CHANNEL, ...)
//
// Ids 0..199997 are BPE ranks; 199998..201088 are special (9 named, the rest `<|reserved_N|>`); the
// model's vocab V is 201088 rows. Stop tokens for sampling: STOP_TOKENS (<|return|>, <|call|>, <|end|>).

export { Tokenizer, type TokenizerLoadOptions } from './tokenizer.js';
export { StreamingDecoder, REPLACEMENT_CHARACTER, type TokenBytesSource } from './streaming-decoder.js';
export {
  SPECIAL_TOKENS,
  STOP_TOKENS,
  STOP_TOKENS_FOR_ASSISTANT_ACTIONS,
  FIRST_SPECIAL_ID,
  LAST_SPECIAL_ID,
  NUM_DEFINED_IDS,
  MODEL_VOCAB_SIZE,
  isSpecialId,
  specialTokenText,
  specialTokenId,
  allSpecialTokenTexts,
  type SpecialTokenName,
} from './special-tokens.js';
export {
  TokenizerCache,
  BUNDLED_TOKENIZER_FILE,
  resolveTokenizerPath,
  readTokenizerJson,
  checkTokenizerJson,
  type TokenizerJson,
} from './load.js';
