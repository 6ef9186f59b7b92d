// o200k_harmony: the BPE of o200k_base (ids 0..199997, through @huggingface/tokenizers) plus
// Harmony's special tokens (ids 199998..201088, from ./special-tokens.ts).
//
// Encoding. `encodeOrdinary` never produces a special id: the Hugging Face tokenizer is built with
// no added tokens, so `<|start|>` typed by a user is plain text ([27, 91, 5236, 91, 29]), exactly
// like tiktoken's encode_ordinary that Harmony's renderer uses for every text piece.
// `encodeWithSpecials` splits the text at special-token texts (tiktoken allowed_special="all") and
// encodes the pieces in between ordinarily.
//
// Decoding. Each id maps to bytes: BPE tokens through the byte-level alphabet of tokenizer.json,
// special ids to their UTF-8 text (so 200006 decodes to "<|start|>" and 200500 to
// "<|reserved_200500|>"). `decode` is lossy (U+FFFD for invalid UTF-8 and unknown ids),
// `decodeUtf8` throws, and `createDecoder()` streams token by token without splitting a character.

import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { HarmonyParseError, ModelFormatError } from '../errors.js';
import { byteLevelToBytes } from './byte-level.js';
import { TokenizerCache, readTokenizerJson, resolveTokenizerPath, type TokenizerJson } from './load.js';
import {
  FIRST_SPECIAL_ID,
  MODEL_VOCAB_SIZE,
  NUM_DEFINED_IDS,
  SPECIAL_TOKENS,
  isSpecialId,
  specialTokenId,
  specialTokenText,
} from './special-tokens.js';
import { REPLACEMENT_CHARACTER, StreamingDecoder } from './streaming-decoder.js';

export interface TokenizerLoadOptions {
  /** Where parsed tokenizers are kept; `null` always re-reads. Default: one cache per process. */
  readonly cache?: TokenizerCache<Tokenizer> | null;
}

/** Special-token texts as tiktoken's regex would find them: `<|name|>`. */
const SPECIAL_TEXT_PATTERN = /<\|[A-Za-z0-9_]+\|>/g;

const DEFAULT_CACHE = new TokenizerCache<Tokenizer>();

export class Tokenizer {
  /** The 9 Harmony special ids (START 200006, END 200007, MESSAGE 200008, ...). */
  static readonly specialTokens = SPECIAL_TOKENS;
  readonly specialTokens = SPECIAL_TOKENS;
  /** Rows of the model's embedding / output head (V = 201088). */
  readonly vocabSize = MODEL_VOCAB_SIZE;
  /** Ids that decode: 0..201088 (harmony also names 201088 `<|reserved_201088|>`). */
  readonly numDefined = NUM_DEFINED_IDS;

  private readonly bpe: HfTokenizer;
  private readonly idToToken: (id: number) => string | undefined;
  private readonly bytesById: Array<Uint8Array | undefined> = [];
  private readonly utf8Encoder = new TextEncoder();

  /**
   * Builds a tokenizer from a parsed tokenizer.json (see `checkTokenizerJson`). Prefer `load()`,
   * which finds the file and caches the result.
   * @param source the file it came from, for messages
   */
  constructor(
    json: TokenizerJson,
    readonly source: string,
  ) {
    try {
      // No added tokens: the HF splitter would otherwise turn special-looking user text into ids.
      this.bpe = new HfTokenizer({ ...json, added_tokens: [] }, {});
    } catch (err) {
      throw new ModelFormatError(`tokenizer: '${source}' could not be built`, source, { cause: err });
    }
    const bpe = this.bpe;
    this.idToToken = (id) => bpe.id_to_token(id);
  }

  /**
   * Loads o200k_harmony from `modelDir/tokenizer.json` (or `.json.gz`), falling back to the bundled
   * copy when the directory has none or no directory is given.
   * @throws ConfigError when modelDir does not exist; ModelFormatError for an unusable file
   */
  static async load(modelDir?: string, options: TokenizerLoadOptions = {}): Promise<Tokenizer> {
    const path = resolveTokenizerPath(modelDir);
    const build = async (file: string): Promise<Tokenizer> => new Tokenizer(await readTokenizerJson(file), file);
    const cache = options.cache === undefined ? DEFAULT_CACHE : options.cache;
    return cache === null ? build(path) : cache.get(path, build);
  }

  /** Encodes text with every special-looking substring treated as plain text (tiktoken encode_ordinary). */
  encodeOrdinary(text: string): number[] {
    if (text.length === 0) return [];
    return this.bpe.encode(text, { add_special_tokens: false }).ids;
  }

  /**
   * Encodes text, turning special-token texts into their ids (`<|start|>` → 200006).
   * @param allowed which special texts to recognise: 'all' (default) or a set of texts; others stay text
   */
  encodeWithSpecials(text: string, allowed: 'all' | ReadonlySet<string> = 'all'): number[] {
    const ids: number[] = [];
    let textStart = 0;
    for (const match of text.matchAll(SPECIAL_TEXT_PATTERN)) {
      const id = specialTokenId(match[0]);
      if (id === undefined || (allowed !== 'all' && !allowed.has(match[0]))) continue;
      const matchIdx = match.index;
      if (matchIdx > textStart) pushAll(ids, this.encodeOrdinary(text.slice(textStart, matchIdx)));
      ids.push(id);
      textStart = matchIdx + match[0].length;
    }
    if (textStart < text.length) pushAll(ids, this.encodeOrdinary(text.slice(textStart)));
    return ids;
  }

  /** Decodes ids to text; invalid UTF-8 and unknown ids become U+FFFD. Never throws. */
  decode(ids: Iterable<number>): string {
    const decoder = this.createDecoder();
    let text = '';
    for (const id of ids) text += decoder.push(id);
    return text + decoder.flush();
  }

  /**
   * Decodes ids to text, failing on unknown ids and on bytes that are not valid UTF-8.
   * @throws HarmonyParseError
   */
  decodeUtf8(ids: Iterable<number>): string {
    const idList = [...ids];
    const bytes = this.decodeBytes(idList);
    try {
      return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    } catch (err) {
      throw new HarmonyParseError(`tokenizer: Invalid utf-8 in the decoded bytes of [${idList.join(', ')}]`, {
        cause: err,
      });
    }
  }

  /** Same as decodeUtf8: strict decoding that throws on invalid input. */
  decodeStrict(ids: Iterable<number>): string {
    return this.decodeUtf8(ids);
  }

  /**
   * The concatenated bytes of ids.
   * @throws HarmonyParseError for an id outside 0..201088
   */
  decodeBytes(ids: Iterable<number>): Uint8Array {
    const parts: Uint8Array[] = [];
    let numBytes = 0;
    for (const id of ids) {
      const bytes = this.tokenBytes(id);
      if (bytes === undefined) throw new HarmonyParseError(`tokenizer: Invalid token for decoding: ${id}`);
      parts.push(bytes);
      numBytes += bytes.length;
    }
    const out = new Uint8Array(numBytes);
    let offset = 0;
    for (const part of parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }

  /** The bytes of one id, or undefined for an id that is not defined. Do not modify the result. */
  tokenBytes(id: number): Uint8Array | undefined {
    if (!this.isDefined(id)) return undefined;
    let bytes = this.bytesById[id];
    if (bytes === undefined) {
      if (isSpecialId(id)) {
        bytes = this.utf8Encoder.encode(specialTokenText(id) as string);
      } else {
        const token = this.idToToken(id);
        bytes = token === undefined ? undefined : byteLevelToBytes(token);
        if (bytes === undefined) return undefined;
      }
      this.bytesById[id] = bytes;
    }
    return bytes;
  }

  /** The text of one id: a special token's `<|...|>` text, else its (lossy) decoded bytes. */
  tokenText(id: number): string {
    const special = specialTokenText(id);
    if (special !== undefined) return special;
    const bytes = this.tokenBytes(id);
    return bytes === undefined ? REPLACEMENT_CHARACTER : new TextDecoder().decode(bytes);
  }

  /** The id of a special token's text (`<|call|>` → 200012), or undefined. */
  specialTokenId(text: string): number | undefined {
    return specialTokenId(text);
  }

  /** True for ids 199998..201088. */
  isSpecial(id: number): boolean {
    return isSpecialId(id);
  }

  /** True for ids that decode: a BPE rank of tokenizer.json below 199998, or a special id. */
  isDefined(id: number): boolean {
    if (!Number.isInteger(id) || id < 0) return false;
    if (id >= FIRST_SPECIAL_ID) return id < NUM_DEFINED_IDS;
    return this.bytesById[id] !== undefined || this.idToToken(id) !== undefined;
  }

  /** A fresh incremental decoder (see StreamingDecoder). */
  createDecoder(): StreamingDecoder {
    return new StreamingDecoder(this);
  }
}

function pushAll(into: number[], values: readonly number[]): void {
  for (const value of values) into.push(value);
}
