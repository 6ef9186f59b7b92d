// Synthetic training data for the demo model, rendered with the project's Harmony renderer.
//
//   node node_modules/tsx/dist/cli.mjs tools/demo-model/generate-data.ts --out DIR [--seed S]
//        [--train N] [--valid M] [--shards K --shard k] [--max-length L]
//
// Writes DIR/train-k.{ids.u32,mask.u8,offsets.u64,kinds.u8,meta.json} (see lib/shard-writer.ts)
// for the conversations [k·N/K, (k+1)·N/K); shard 0 also writes DIR/valid.*, DIR/manifest.json and
// DIR/eval/{arithmetic,tools,format}.json (+ prompt-ids.json). Every conversation is drawn from its
// own seeded generator (seed, stream, index), so the data is the same however it is sharded: run K
// processes with --shard 0..K-1 in parallel.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { renderRequestFromJson } from '../../src/harmony/json.js';
import { renderConversationForCompletion, type RenderTokenizer } from '../../src/harmony/render.js';
import { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { sampleConversation } from './lib/conversation.js';
import { DEFAULT_SEED, NUM_FORMAT_EVAL, NUM_TOOL_EVAL, STREAMS, buildEvalSets, buildHeldOut, trainingOptions, type EvalItem } from './lib/heldout.js';
import { renderExample } from './lib/render-example.js';
import { Rng, mixSeed } from './lib/rng.js';
import { ShardWriter, type ShardMeta } from './lib/shard-writer.js';
import { KINDS } from './lib/types.js';

const DEFAULT_TRAIN = 160_000;
const DEFAULT_VALID = 2_000;
const DEFAULT_MAX_LENGTH = 1024;
/** Texts at least this long (system and developer contents) are encoded once and cached. */
const CACHE_MIN_CHARS = 120;
const CACHE_MAX_ENTRIES = 20_000;
const PROGRESS_EVERY = 20_000;

/** encodeOrdinary with a cache for long, repeated texts (system / developer contents). */
export function cachingTokenizer(tok: Tokenizer): RenderTokenizer {
  const cache = new Map<string, number[]>();
  return {
    encodeOrdinary(text: string): number[] {
      if (text.length < CACHE_MIN_CHARS) return tok.encodeOrdinary(text);
      let ids = cache.get(text);
      if (ids === undefined) {
        ids = tok.encodeOrdinary(text);
        if (cache.size >= CACHE_MAX_ENTRIES) cache.clear();
        cache.set(text, ids);
      }
      return ids;
    },
  };
}

function positiveInt(name: string, value: string | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`generate-data: --${name} expected an integer ≥ ${min}, got '${value}'`);
  return n;
}

function promptIds(tok: RenderTokenizer, item: EvalItem): number[] {
  const { messages, dropAnalysis } = renderRequestFromJson(item.request);
  return renderConversationForCompletion(tok, messages, 'assistant', { dropAnalysis });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      seed: { type: 'string' },
      train: { type: 'string' },
      valid: { type: 'string' },
      shards: { type: 'string' },
      shard: { type: 'string' },
      'max-length': { type: 'string' },
    },
  });
  if (values.out === undefined) throw new Error('generate-data: --out DIR is required');
  const outDir = values.out;
  const seed = positiveInt('seed', values.seed, DEFAULT_SEED, 0);
  const numTrain = positiveInt('train', values.train, DEFAULT_TRAIN);
  const numValid = positiveInt('valid', values.valid, DEFAULT_VALID);
  const numShards = positiveInt('shards', values.shards, 1);
  const shardIdx = positiveInt('shard', values.shard, 0, 0);
  const maxLength = positiveInt('max-length', values['max-length'], DEFAULT_MAX_LENGTH);
  if (shardIdx >= numShards) throw new Error(`generate-data: --shard ${shardIdx} outside 0..${numShards - 1}`);
  mkdirSync(outDir, { recursive: true });

  const startMs = performance.now();
  const tok = cachingTokenizer(await Tokenizer.load());
  const heldOut = buildHeldOut(seed);
  const evalSets = buildEvalSets(seed, heldOut);
  const options = trainingOptions(heldOut, evalSets.toolSignatures);

  const generate = (name: string, stream: number, first: number, end: number): ShardMeta => {
    const writer = new ShardWriter(outDir, name, maxLength);
    for (let convIdx = first; convIdx < end; convIdx++) {
      const plan = sampleConversation(new Rng(mixSeed(seed, stream, convIdx)), options);
      const { ids, mask } = renderExample(tok, plan);
      writer.add(ids, mask, plan.kind);
      if ((convIdx - first + 1) % PROGRESS_EVERY === 0) {
        console.log(`[generate-data] ${name}: ${convIdx - first + 1}/${end - first} (${((performance.now() - startMs) / 1000).toFixed(1)} s)`);
      }
    }
    return writer.close();
  };

  const first = Math.floor((shardIdx * numTrain) / numShards);
  const end = Math.floor(((shardIdx + 1) * numTrain) / numShards);
  const metas: ShardMeta[] = [generate(`train-${String(shardIdx).padStart(2, '0')}`, STREAMS.train, first, end)];

  if (shardIdx === 0) {
    metas.push(generate('valid', STREAMS.valid, 0, numValid));
    const evalDir = join(outDir, 'eval');
    mkdirSync(evalDir, { recursive: true });
    const sets = { arithmetic: evalSets.arithmetic, tools: evalSets.tools, format: evalSets.format };
    const ids: Record<string, number[][]> = {};
    for (const [name, items] of Object.entries(sets)) {
      writeFileSync(join(evalDir, `${name}.json`), JSON.stringify(items, null, 1) + '\n');
      ids[name] = items.map((item) => promptIds(tok, item));
    }
    writeFileSync(join(evalDir, 'prompt-ids.json'), JSON.stringify(ids) + '\n');
    const manifest = {
      format: 'webgpu-harmony demo-model data v1',
      seed,
      train: { conversations: numTrain, shards: numShards },
      valid: { conversations: numValid },
      maxLength,
      kinds: KINDS,
      heldOut: {
        arithmetic: heldOut.arithProblems.length,
        tools: NUM_TOOL_EVAL,
        format: NUM_FORMAT_EVAL,
        cities: Object.fromEntries([...heldOut.cities].map(([family, cities]) => [family, [...cities]])),
      },
    };
    writeFileSync(join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  }
  const seconds = (performance.now() - startMs) / 1000;
  for (const meta of metas) {
    console.log(
      `[generate-data] ${meta.name}: ${meta.sequences} sequences, ${meta.tokens} tokens (${meta.lossTokens} trained), ` +
        `length p50 ${meta.lengthPercentiles.p50} p99 ${meta.lengthPercentiles.p99} max ${meta.maxLength}, dropped ${meta.dropped}; ${seconds.toFixed(1)} s`,
    );
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
