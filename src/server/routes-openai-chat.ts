// POST /v1/chat/completions, streamed (SSE `chat.completion.chunk`, token by token, `[DONE]`,
// `stream_options.include_usage`) or whole (`chat.completion`). Reasoning goes to
// `reasoning_content` (and its alias `reasoning`), never into `content`; tool calls stream as
// `tool_calls` deltas (id and name first, then argument pieces) and end with
// finish_reason "tool_calls". Mapping rules: map-openai.ts.

import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { TokenEvent } from '../generate/types.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { driveChat, type ReplyFormatter, type WghChunk } from './chat-driver.js';
import type { ServerContext } from './context.js';
import { openAIErrorBody, type ApiError } from './errors.js';
import { mapChatCompletions, type ChatCompletionsBody } from './map-openai.js';
import type { ServedReply } from './serve-chat.js';

const MS_PER_S = 1000;

export function openAIUsage(reply: ServedReply): Record<string, unknown> {
  const u = reply.result.usage;
  return {
    prompt_tokens: u.promptTokens,
    completion_tokens: u.completionTokens,
    total_tokens: u.promptTokens + u.completionTokens,
    prompt_tokens_details: { cached_tokens: u.cachedTokens },
  };
}

function finishOf(reply: ServedReply): string {
  return reply.finishReason === 'cancelled' ? 'stop' : reply.finishReason;
}

/** OpenAI's `logprobs.content` entries. */
export function logprobContent(tokenizer: Tokenizer, tokens: readonly TokenEvent[]): Record<string, unknown>[] {
  const entry = (id: number, logprob: number) => ({ token: tokenizer.decode([id]), logprob, bytes: [...(tokenizer.tokenBytes(id) ?? [])] });
  return tokens.map((t) => ({ ...entry(t.id, t.logprob ?? 0), top_logprobs: (t.topLogprobs ?? []).map((top) => entry(top.id, top.logprob)) }));
}

function chatFormatter(ctx: ServerContext, model: string, includeUsage: boolean, tokenizer: Tokenizer | null): ReplyFormatter {
  const id = `chatcmpl-${randomBytes(12).toString('hex')}`;
  const created = Math.floor(Date.now() / MS_PER_S);
  const fingerprint = `wgh-${ctx.version}`;
  const logprobsOf = (tokens: readonly TokenEvent[] | undefined) => (tokenizer !== null && tokens !== undefined ? { content: logprobContent(tokenizer, tokens) } : null);
  const chunk = (delta: Record<string, unknown>, finish: string | null, wgh: WghChunk | undefined, extra: Record<string, unknown> = {}, tokens?: readonly TokenEvent[]) => ({
    id, object: 'chat.completion.chunk', created, model, system_fingerprint: fingerprint,
    choices: [{ index: 0, delta, logprobs: logprobsOf(tokens), finish_reason: finish }],
    ...extra,
    ...(wgh !== undefined ? { wgh } : {}),
  });
  return {
    kind: 'sse',
    opening: () => [chunk({ role: 'assistant', content: '' }, null, undefined)],
    chunk: (event, wgh) => {
      switch (event.type) {
        case 'reasoning':
          return chunk({ reasoning_content: event.text, reasoning: event.text }, null, wgh);
        case 'content':
          return chunk({ content: event.text }, null, wgh, {}, event.logprobs ?? (tokenizer !== null ? [] : undefined));
        case 'tool-call':
          return chunk({ tool_calls: [{ index: event.index, id: event.id, type: 'function', function: { name: event.name, arguments: '' } }] }, null, wgh);
        case 'tool-args':
          return chunk({ tool_calls: [{ index: event.index, function: { arguments: event.text } }] }, null, wgh);
        case 'tool-call-end':
          return undefined;
      }
    },
    closing: (reply, wgh) => {
      const out: unknown[] = [chunk({}, finishOf(reply), includeUsage ? undefined : wgh)];
      if (includeUsage) out.push({ id, object: 'chat.completion.chunk', created, model, system_fingerprint: fingerprint, choices: [], usage: openAIUsage(reply), ...(wgh !== undefined ? { wgh } : {}) });
      return out;
    },
    streamError: (err: ApiError) => openAIErrorBody(err),
    body: (reply, wgh) => ({
      id, object: 'chat.completion', created, model, system_fingerprint: fingerprint,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: reply.content.length > 0 || reply.toolCalls.length === 0 ? reply.content : null,
            ...(reply.reasoning.length > 0 ? { reasoning_content: reply.reasoning, reasoning: reply.reasoning } : {}),
            ...(reply.toolCalls.length > 0 ? { tool_calls: reply.toolCalls } : {}),
          },
          logprobs: logprobsOf(reply.contentLogprobs),
          finish_reason: finishOf(reply),
        },
      ],
      usage: openAIUsage(reply),
      ...(wgh !== undefined ? { wgh } : {}),
    }),
  };
}

export function registerOpenAIChatRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.post('/v1/chat/completions', async (req, reply) => {
    ctx.validation.checkRequest({ route: 'chat.completions', body: req.body });
    const body = req.body as ChatCompletionsBody;
    const mapped = mapChatCompletions(body, ctx);
    const stream = body.stream === true;
    await driveChat(ctx, reply, {
      route: 'chat.completions', mapped, stream, label: `POST /v1/chat/completions${body.user !== undefined ? ` user ${body.user}` : ''}`,
      formatter: chatFormatter(ctx, body.model, body.stream_options?.include_usage === true, body.logprobs === true ? ctx.engine.ready().encoding.tokenizer : null),
    });
  });
}
