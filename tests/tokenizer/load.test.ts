// Loading: a model directory's tokenizer.json wins, the bundled copy is the fallback, bad files and
// directories are typed errors, and parsed tokenizers are cached per file.

import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, ModelFormatError } from '../../src/errors.js';
import { assetPath } from '../../src/paths.js';
import { BUNDLED_TOKENIZER_FILE, Tokenizer, TokenizerCache, resolveTokenizerPath } from '../../src/tokenizer/index.js';

let workDir: string;
let bundledJson: Record<string, unknown>;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'wgh-tokenizer-'));
  bundledJson = JSON.parse(gunzipSync(await readFile(assetPath(BUNDLED_TOKENIZER_FILE))).toString('utf8')) as Record<string, unknown>;
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function modelDir(name: string, tokenizerJson?: unknown): string {
  const dir = join(workDir, name);
  mkdirSync(dir, { recursive: true });
  if (tokenizerJson !== undefined) writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson));
  return dir;
}

describe('Tokenizer.load', () => {
  it('uses the bundled copy without a directory, and for a directory without tokenizer.json', async () => {
    const dir = modelDir('no-tokenizer');
    expect(resolveTokenizerPath()).toBe(assetPath(BUNDLED_TOKENIZER_FILE));
    expect(resolveTokenizerPath(dir)).toBe(assetPath(BUNDLED_TOKENIZER_FILE));
    const tok = await Tokenizer.load(dir);
    expect(tok.source).toBe(assetPath(BUNDLED_TOKENIZER_FILE));
    expect(tok.encodeOrdinary('hello world')).toEqual([24912, 2375]);
  });

  it("prefers the model directory's tokenizer.json", async () => {
    const dir = modelDir('with-tokenizer', bundledJson);
    const tok = await Tokenizer.load(dir, { cache: null });
    expect(tok.source).toBe(join(dir, 'tokenizer.json'));
    expect(tok.encodeOrdinary('hello world')).toEqual([24912, 2375]);
    expect(tok.decodeUtf8([200006, 1428])).toBe('<|start|>user');
  });

  it('caches per file: the same instance twice, a fresh one with cache null', async () => {
    const cache = new TokenizerCache<Tokenizer>();
    const [first, second] = await Promise.all([Tokenizer.load(undefined, { cache }), Tokenizer.load(undefined, { cache })]);
    expect(first).toBe(second);
    expect(cache.size).toBe(1);
    expect(await Tokenizer.load()).toBe(await Tokenizer.load());
    expect(await Tokenizer.load(undefined, { cache: null })).not.toBe(first);
  });

  it('rejects a missing model directory with ConfigError', async () => {
    await expect(Tokenizer.load(join(workDir, 'does-not-exist'))).rejects.toThrow(ConfigError);
  });

  it.each([
    ['not JSON', '{', /not valid \(gzipped\) JSON/],
    ['not a BPE', { model: { type: 'WordPiece', vocab: {} }, decoder: { type: 'ByteLevel' }, added_tokens: [] }, /expected model.type "BPE"/],
    ['not byte-level', { ...{ model: { type: 'BPE', vocab: {}, merges: [] } }, decoder: { type: 'WordPiece' }, added_tokens: [] }, /ByteLevel decoder/],
  ])('rejects a tokenizer.json that is %s with ModelFormatError', async (name, content, message) => {
    const dir = modelDir(`bad-${name.replace(/\W/g, '-')}`);
    writeFileSync(join(dir, 'tokenizer.json'), typeof content === 'string' ? content : JSON.stringify(content));
    const load = Tokenizer.load(dir, { cache: null });
    await expect(load).rejects.toThrow(ModelFormatError);
    await expect(Tokenizer.load(dir, { cache: null })).rejects.toThrow(message);
  });

  it('rejects added tokens that move a Harmony special token', async () => {
    const addedTokens = [{ id: 200007, content: '<|start|>', special: true }];
    const dir = modelDir('moved-special', { ...bundledJson, added_tokens: addedTokens });
    await expect(Tokenizer.load(dir, { cache: null })).rejects.toThrow(/defines <\|start\|> as id 200007/);
  });
});
