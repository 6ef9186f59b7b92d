// POST /v1/completions: a raw prompt (text with special tokens allowed, or token ids), no chat
// template. Streamed as `text_completion` chunks + `[DONE]`, or whole. `logprobs: N` returns the
// legacy {tokens, token_logprobs, top_logprobs, text_offset} for every generated token.

import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { TokenEvent } from '../generate/types.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { goneOr } from './chat-driver.js';
import type { ServerContext } from './context.js';
import { apiErrorOf, badRequest, openAIErrorBody } from './errors.js';
import { checkModel, generationParamsOf, stopList } from './map-common.js';
import type { OpenAISamplingBody } from './map-openai.js';
import { checkRawPrompt, serveRaw } from './serve-raw.js';
import { disconnectMessage, disconnectSignal, StreamWriter } from './stream-writer.js';

interface CompletionsBody extends OpenAISamplingBody {
  readonly prompt: string | readonly string[] | readonly number[];
  readonly logprobs?: number | null;
  readonly echo?: boolean | null;
  readonly suffix?: string | null;
}

const MS_PER_S = 1000;
/** The completions default of OpenAI's API. */
const DEFAULT_COMPLETION_TOKENS = 16;

function legacyLogprobs(tokenizer: Tokenizer, tokens: readonly TokenEvent[], offset: number): Record<string, unknown> {
  const texts = tokens.map((t) => tokenizer.decode([t.id]));
  const offsets: number[] = [];
  let at = offset;
  for (const text of texts) {
    offsets.push(at);
    at += text.length;
  }
  return {
    tokens: texts,
    token_logprobs: tokens.map((t) => t.logprob ?? null),
    top_logprobs: tokens.map((t) => Object.fromEntries((t.topLogprobs ?? []).map((lp) => [tokenizer.decode([lp.id]), lp.logprob]))),
    text_offset: offsets,
  };
}

export function registerCompletionsRoute(app: FastifyInstance, ctx: ServerContext): void {
  app.post('/v1/completions', async (req, reply) => {
    ctx.validation.checkRequest({ route: 'completions', body: req.body });
    const body = req.body as CompletionsBody;
    checkModel(body.model, ctx.modelId);
    if ((body.n ?? 1) !== 1) throw badRequest(`n=${body.n} is not supported: one choice per request.`, 'n', 'unsupported_value');
    if (body.echo === true) throw badRequest('echo is not supported.', 'echo', 'unsupported_value');
    if (body.suffix !== undefined && body.suffix !== null && body.suffix.length > 0) throw badRequest('suffix is not supported.', 'suffix', 'unsupported_value');
    const backend = ctx.engine.ready();
    const { tokenizer } = backend.encoding;
    const prompt = body.prompt;
    const promptIds = typeof prompt === 'string' ? tokenizer.encodeWithSpecials(prompt) : typeof prompt[0] === 'number' ? (prompt as number[]) : tokenizer.encodeWithSpecials(prompt[0] as string);
    const topLogprobs = body.logprobs ?? 0;
    const sampling = generationParamsOf(
      ctx,
      {
        temperature: body.temperature ?? undefined, topP: body.top_p ?? undefined, topK: body.top_k ?? undefined, minP: body.min_p ?? undefined, seed: body.seed ?? undefined,
        presencePenalty: body.presence_penalty ?? undefined, frequencyPenalty: body.frequency_penalty ?? undefined, repetitionPenalty: body.repetition_penalty ?? undefined,
        logitBias: body.logit_bias ?? undefined, ...(body.logprobs !== undefined && body.logprobs !== null ? { logprobs: true, topLogprobs } : {}),
      },
      body.max_tokens ?? DEFAULT_COMPLETION_TOKENS,
    );
    const maxTokens = checkRawPrompt(promptIds, sampling.maxTokens, backend.info.contextLength);
    ctx.queue.checkCapacity();
    const requestId = ctx.nextRequestId();
    ctx.logger.info(`req#${requestId} POST /v1/completions: ${promptIds.length} prompt tokens, max_tokens ${maxTokens}, stream ${body.stream === true}`);
    const disconnect = disconnectSignal(reply.raw, () => ctx.logger.info(disconnectMessage(requestId)));
    const job = { requestId, promptIds, params: { ...sampling, maxTokens }, stop: stopList(body.stop), stopTokens: ctx.defaults.stopTokens ?? [], signal: disconnect.signal };
    const deps = { backend, queue: ctx.queue, validation: ctx.validation, artifacts: ctx.artifacts, logger: ctx.logger };
    const id = `cmpl-${randomBytes(12).toString('hex')}`;
    const created = Math.floor(Date.now() / MS_PER_S);
    const base = { id, object: 'text_completion', created, model: body.model, system_fingerprint: `wgh-${ctx.version}` };
    const wantLogprobs = body.logprobs !== undefined && body.logprobs !== null;
    const usageOf = (u: { promptTokens: number; completionTokens: number; cachedTokens: number }) => ({
      prompt_tokens: u.promptTokens, completion_tokens: u.completionTokens, total_tokens: u.promptTokens + u.completionTokens, prompt_tokens_details: { cached_tokens: u.cachedTokens },
    });

    if (body.stream !== true) {
      const served = await serveRaw(job, deps, () => undefined).catch(goneOr(disconnect.signal));
      if (served === undefined || served.finishReason === 'cancelled') return void reply.hijack(); // the client is gone
      const logprobs = wantLogprobs ? legacyLogprobs(tokenizer, served.tokens, 0) : null;
      return reply.send({ ...base, choices: [{ index: 0, text: served.text, logprobs, finish_reason: served.finishReason }], usage: usageOf(served.usage) });
    }
    reply.hijack();
    const writer = new StreamWriter(reply.raw, 'sse');
    let offset = 0;
    try {
      const served = await serveRaw(job, deps, (piece) => {
        const logprobs = wantLogprobs ? legacyLogprobs(tokenizer, piece.tokens, offset) : null;
        offset += piece.text.length;
        writer.write({ ...base, choices: [{ index: 0, text: piece.text, logprobs, finish_reason: null }] });
      });
      writer.write({ ...base, choices: [{ index: 0, text: '', logprobs: null, finish_reason: served.finishReason === 'cancelled' ? 'stop' : served.finishReason }] });
      if (body.stream_options?.include_usage === true) writer.write({ ...base, choices: [], usage: usageOf(served.usage) });
      ctx.logger.info(`req#${requestId} done: finish ${served.finishReason}, ${served.usage.completionTokens} tokens`);
    } catch (err) {
      if (!disconnect.signal.aborted) writer.write(openAIErrorBody(apiErrorOf(err)));
    } finally {
      writer.end();
    }
  });
}
