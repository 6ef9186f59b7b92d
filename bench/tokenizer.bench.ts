// Tokenizer throughput: encode 100 KB of mixed text (English prose, TypeScript, JSON tool arguments,
// some CJK / Cyrillic / emoji) with o200k_harmony, then decode it back.
//   npx tsx bench/tokenizer.bench.ts [--runs N] [--no-write]
// Writes bench/results/tokenizer-<YYYY-MM-DD>.json (date, machine, tokens/s). Never asserts.
//
// Napkin math: 100 KB of English is ~25k tokens; the target is >= 200k tokens/s, i.e. <= 125 ms per
// pass. The BPE of @huggingface/tokenizers keeps an LRU cache of 10k pre-tokenized words, so
// steady-state text (words repeat) is much faster than the first pass; both are reported, plus a
// cache-hostile corpus of random letter strings as the worst case.

import { writeFileSync, mkdirSync } from 'node:fs';
import { cpus, totalmem, platform, arch, release } from 'node:os';
import { join } from 'node:path';
import { Tokenizer } from '../src/tokenizer/index.js';
import { packageRoot } from '../src/paths.js';

const CORPUS_BYTES = 100 * 1024;
const SEED = 0x5eed;

/** mulberry32: small, seeded, good enough for text generation. */
function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  'the of and to in is that for it as with was on be by this are from at or an have not which but all they ' +
  'model token tokens layer attention weights cache kernel shader buffer device memory throughput latency ' +
  'user assistant message channel analysis final answer reasoning tool function call result browser search ' +
  'weather location temperature city country capital largest world question simple arithmetic provide ' +
  'however therefore because although while during before after between through against without within ' +
  'people time year way day thing man world life hand part child eye woman place work week case point ' +
  'government company number group problem fact system program question during important information'
).split(' ');
const CODE = [
  'const result = await tokenizer.encodeOrdinary(text);',
  'for (let idx = 0; idx < numTokens; idx++) sum += logits[idx] * scale;',
  'export function renderMessage(tok: Tokenizer, message: Message): number[] {',
  'if (header.recipient?.startsWith("functions.")) return { kind: "function" };',
  '  // q: f32 [T, Hq, Dh] row-major; kv: f32 [L, 2, S, Hkv, Dh]',
  'throw new ShapeError(`rmsnorm: expected [T=${numTokens}, C=${hidden}], got ${shape}`);',
];
const OTHER = ['東京の天気は晴れです。', 'Привет, как дела?', 'नमस्ते दुनिया', '😊👋🏾 🇺🇸', 'naïve café déjà vu', '你好，世界。'];

function mixedCorpus(random: () => number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  let text = '';
  while (Buffer.byteLength(text) < CORPUS_BYTES) {
    const kind = random();
    if (kind < 0.6) {
      const numWords = 8 + Math.floor(random() * 20);
      const words = Array.from({ length: numWords }, () => pick(WORDS));
      words[0] = (words[0] as string).charAt(0).toUpperCase() + (words[0] as string).slice(1);
      text += `${words.join(' ')}${random() < 0.2 ? ` ${Math.floor(random() * 10000)}` : ''}. `;
      if (random() < 0.15) text += '\n\n';
    } else if (kind < 0.85) {
      text += `\n${pick(CODE)}\n`;
    } else if (kind < 0.95) {
      text += JSON.stringify({ location: pick(WORDS), days: Math.floor(random() * 14), units: random() < 0.5 ? 'celsius' : 'fahrenheit' });
    } else {
      text += ` ${pick(OTHER)} `;
    }
  }
  return text;
}

function randomLettersCorpus(random: () => number): string {
  let text = '';
  while (text.length < CORPUS_BYTES) {
    const length = 3 + Math.floor(random() * 9);
    for (let charIdx = 0; charIdx < length; charIdx++) text += String.fromCharCode(97 + Math.floor(random() * 26));
    text += ' ';
  }
  return text;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

interface Measure {
  readonly numTokens: number;
  readonly firstMs: number;
  readonly medianMs: number;
  readonly tokensPerSec: number;
}

function measure(numRuns: number, run: () => number): Measure {
  let start = performance.now();
  const numTokens = run();
  const firstMs = performance.now() - start;
  const times: number[] = [];
  for (let runIdx = 0; runIdx < numRuns; runIdx++) {
    start = performance.now();
    run();
    times.push(performance.now() - start);
  }
  const medianMs = median(times);
  return { numTokens, firstMs, medianMs, tokensPerSec: Math.round(numTokens / (medianMs / 1000)) };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const runsIdx = args.indexOf('--runs');
  const numRuns = runsIdx >= 0 ? Number(args[runsIdx + 1]) : 20;
  const write = !args.includes('--no-write');

  const loadStart = performance.now();
  const tok = await Tokenizer.load(undefined, { cache: null });
  const loadMs = performance.now() - loadStart;

  const mixed = mixedCorpus(rng(SEED));
  const letters = randomLettersCorpus(rng(SEED + 1));
  const mixedIds = tok.encodeOrdinary(mixed);

  const encodeMixed = measure(numRuns, () => tok.encodeOrdinary(mixed).length);
  const encodeLetters = measure(numRuns, () => tok.encodeOrdinary(letters).length);
  const encodeSpecials = measure(numRuns, () => tok.encodeWithSpecials(mixed).length);
  const decode = measure(numRuns, () => (tok.decode(mixedIds), mixedIds.length));
  const streaming = measure(numRuns, () => {
    const decoder = tok.createDecoder();
    for (const id of mixedIds) decoder.push(id);
    decoder.flush();
    return mixedIds.length;
  });

  const cpu = cpus()[0]?.model ?? 'unknown cpu';
  const result = {
    benchmark: 'tokenizer',
    date: new Date().toISOString(),
    machine: {
      cpu,
      numCores: cpus().length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      os: `${platform()} ${release()} ${arch()}`,
      node: process.version,
    },
    tokenizer: { source: tok.source.replace(packageRoot(), '.'), loadMs: Math.round(loadMs) },
    corpus: { bytes: Buffer.byteLength(mixed), numTokens: mixedIds.length, seed: SEED, numRuns },
    encodeOrdinaryTokensPerSec: encodeMixed.tokensPerSec,
    results: {
      encodeOrdinary_mixed: encodeMixed,
      encodeOrdinary_randomLetters: encodeLetters,
      encodeWithSpecials_mixed: encodeSpecials,
      decode_mixed: decode,
      streamingDecode_mixed: streaming,
    },
  };

  console.log(`tokenizer bench on ${cpu} (${cpus().length} cores), node ${process.version}; load ${Math.round(loadMs)} ms`);
  console.log(`corpus: ${result.corpus.bytes} bytes, ${mixedIds.length} tokens; median of ${numRuns} runs after one cold run`);
  for (const [name, m] of Object.entries(result.results)) {
    console.log(
      `${name.padEnd(30)} ${String(m.numTokens).padStart(7)} tok  first ${m.firstMs.toFixed(1).padStart(7)} ms  ` +
        `median ${m.medianMs.toFixed(1).padStart(7)} ms  ${m.tokensPerSec.toLocaleString('en-US').padStart(11)} tok/s`,
    );
  }
  if (write) {
    const dir = join(packageRoot(), 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `tokenizer-${result.date.slice(0, 10)}.json`);
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`wrote ${file}`);
  }
}

await main();
