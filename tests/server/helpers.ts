// In-process `wgh serve` for protocol tests: the real Fastify server and routes over a replayed
// engine (no GPU). ReplayClient (src/chat/replay-client.ts) streams scripted Harmony completions
// token by token through the real tokenizer and parser, so the mapping layer sees exactly what a
// model's tokens produce; ReplayGenerator does the same for the raw routes.
//
//   const t = await startReplayServer(['<|channel|>final<|message|>Hi!<|return|>']);
//   const openai = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: 'x', maxRetries: 0 });

import { ReplayClient } from '../../src/chat/replay-client.js';
import type { GenerateParams, Generation, GenerationResult, GenerateOptions, TokenEvent, TokenGenerator } from '../../src/generate/types.js';
import { HarmonyEncoding } from '../../src/harmony/encoding.js';
import { createServer, type CreateServerOptions, type WghServer } from '../../src/server/create-server.js';
import { ServerEngine, type EngineBackend, type ModelInfo } from '../../src/server/engine.js';
import { MemoryLogger } from '../../src/server/log.js';

export const TEST_MODEL = 'test-model';
export const TEST_CONTEXT = 4096;

export const TEST_INFO: ModelInfo = Object.freeze({ id: TEST_MODEL, family: 'gpt-oss', contextLength: TEST_CONTEXT, quantization: 'MXFP4', createdS: 1_700_000_000 });

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A TokenGenerator that replays fixed ids (raw routes), honouring maxTokens, stop tokens and cancellation. */
export class ReplayGenerator implements TokenGenerator {
  readonly vocabSize = 201088;
  calls = 0;
  constructor(
    private readonly ids: readonly number[],
    private readonly tokenDelayMs = 0,
  ) {}

  generate(promptIds: readonly number[], params: GenerateParams, opts: GenerateOptions = {}): Generation {
    this.calls++;
    const events: TokenEvent[] = [];
    const ids = this.ids;
    const delay = this.tokenDelayMs;
    let resolveResult!: (r: GenerationResult) => void;
    const result = new Promise<GenerationResult>((resolve) => (resolveResult = resolve));
    async function* run(): AsyncGenerator<TokenEvent> {
      const tokens: number[] = [];
      let stop: GenerationResult['stopReason'] = { kind: 'max_tokens' };
      for (const id of ids) {
        if (opts.signal?.aborted === true) {
          stop = { kind: 'cancelled' };
          break;
        }
        if (tokens.length >= params.maxTokens) break;
        if (delay > 0) await sleep(delay);
        tokens.push(id);
        const ev = { index: tokens.length - 1, id, timeMs: 0, ...(params.logprobs === true ? { logprob: -1, topLogprobs: [{ id, logprob: -1 }] } : {}) };
        events.push(ev);
        yield ev;
        if ((params.stopTokens ?? []).includes(id)) {
          stop = { kind: 'stop_token', id };
          break;
        }
      }
      const finishReason = stop.kind === 'cancelled' ? 'cancelled' : stop.kind === 'stop_token' ? 'stop' : 'length';
      resolveResult({
        tokens, finishReason, stopReason: stop,
        metrics: {
          promptTokens: promptIds.length, cachedTokens: 0, completionTokens: tokens.length, prefillSeconds: 0, ttftSeconds: 0, decodeSeconds: 0, decodeTokensPerSecond: 0,
          kvLength: promptIds.length + tokens.length, maxKvSize: 0, loopDetection: 'off', finishReason, stopReason: stop.kind, prefixAction: 'extend', seed: params.seed ?? 0, queueSeconds: 0,
        },
      });
    }
    const iterator = run();
    return { result, [Symbol.asyncIterator]: () => iterator };
  }
}

export interface ReplayServerOptions extends Partial<Omit<CreateServerOptions, 'engine' | 'info'>> {
  readonly tokenDelayMs?: number;
  /** Raw routes replay this text (specials allowed). */
  readonly rawText?: string;
  /** Resolve the backend only when this promise does (tests of the loading state). */
  readonly loadGate?: Promise<void>;
}

export interface ReplayServer {
  readonly url: string;
  readonly server: WghServer;
  readonly client: ReplayClient;
  readonly generator: ReplayGenerator;
  readonly logger: MemoryLogger;
  close(): Promise<void>;
}

export async function replayBackend(completions: readonly string[], tokenDelayMs = 0, rawText = ' once upon a time<|return|>'): Promise<{ backend: EngineBackend; client: ReplayClient; generator: ReplayGenerator }> {
  const encoding = await HarmonyEncoding.load();
  const client = new ReplayClient({ completions, tokenDelayMs }, encoding, 'replayed completions (test double)', TEST_CONTEXT);
  const generator = new ReplayGenerator(encoding.tokenizer.encodeWithSpecials(rawText), tokenDelayMs);
  return { backend: { client, generator, encoding, info: TEST_INFO, close: async () => undefined }, client, generator };
}

export async function startReplayServer(completions: readonly string[], opts: ReplayServerOptions = {}): Promise<ReplayServer> {
  const { backend, client, generator } = await replayBackend(completions, opts.tokenDelayMs, opts.rawText);
  const logger = new MemoryLogger();
  const engine = new ServerEngine(opts.loadGate !== undefined ? opts.loadGate.then(() => backend) : backend);
  const server = await createServer({ logger, ...opts, engine, info: TEST_INFO, artifacts: opts.artifacts ?? null });
  const url = await server.listen('127.0.0.1', 0);
  return { url, server, client, generator, logger, close: () => server.close() };
}

/** POST JSON with fetch; returns status, headers and the parsed body. */
export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; json: unknown }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: response.status, headers: response.headers, json };
}
