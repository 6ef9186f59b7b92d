// Rebuilds Harmony-level ClientEvents and a ChatResult from a standard streamed reply (OpenAI
// deltas or Ollama chunks), for servers that send no `wgh` extension:
//   reasoning text → an `analysis` message · content → a `final` message ·
//   a tool call → a `commentary` message `to=functions.NAME` `<|constrain|>json` whose content is
//   the arguments (streamed as deltas), then a 'tool-call' event with the server's call id.
// Metrics are measured here (time to the first delta, decode rate over the usage counts); token
// ids, prompt text and the raw completion are unknown and left out of the result, so such a reply
// cut by maxTokens cannot be continued (the clients' `canContinue` is false): the turn restarts it.

import type { FinishReason, GenerationMetrics, LoopDetectionMode, StopReason } from '../generate/types.js';
import { extractToolCalls } from '../harmony/tool-calls.js';
import type { MessageHeader, TextMessage } from '../harmony/types.js';
import { SPECIAL_TOKENS } from '../tokenizer/special-tokens.js';
import type { ChatResult, ClientEvent, Usage } from './types.js';

const MS_PER_S = 1000;

interface OpenMessage {
  readonly header: MessageHeader;
  content: string;
  /** Index of the server's tool call (OpenAI `tool_calls[].index`), for tool-call messages. */
  readonly toolIdx?: number;
  readonly callId?: string;
}

export class ReplyAssembler {
  readonly messages: TextMessage[] = [];
  private readonly callIds: string[] = [];
  private open: OpenMessage | null = null;
  private firstMs = Number.NaN;
  private lastMs = Number.NaN;
  private numDeltas = 0;

  constructor(
    private readonly emit: (event: ClientEvent) => void,
    private readonly clock: () => number,
    private readonly startMs: number,
  ) {}

  reasoning(text: string): void {
    if (text.length === 0) return;
    if (this.open?.header.channel !== 'analysis' || this.open.toolIdx !== undefined) this.begin({ role: 'assistant', channel: 'analysis' });
    this.delta(text);
  }

  content(text: string): void {
    if (text.length === 0) return;
    if (this.open?.header.channel !== 'final') this.begin({ role: 'assistant', channel: 'final' });
    this.delta(text);
  }

  /** An OpenAI tool-call delta (the first one of an index names the function) or a whole Ollama call. */
  toolCall(toolIdx: number, id: string | undefined, name: string | undefined, argumentsDelta: string): void {
    if (this.open?.toolIdx !== toolIdx) {
      const header: MessageHeader = { role: 'assistant', channel: 'commentary', recipient: `functions.${name ?? 'unknown'}`, contentType: '<|constrain|>json' };
      this.begin(header, toolIdx, id ?? `call_${toolIdx}`);
    }
    if (argumentsDelta.length > 0) this.delta(argumentsDelta);
  }

  /** Ends the open message; call once the stream is over. */
  end(): void {
    const open = this.open;
    if (open === null) return;
    this.open = null;
    const message: TextMessage = { ...open.header, content: open.content };
    this.messages.push(message);
    this.emit({ type: 'message-end', message });
    if (open.callId !== undefined) {
      this.callIds.push(open.callId);
      const callId = open.callId;
      for (const extracted of extractToolCalls([message], { makeId: () => callId })) {
        this.emit({ type: 'tool-call', call: extracted.call, recipient: extracted.recipient, ...(extracted.channel !== undefined ? { channel: extracted.channel } : {}) });
      }
    }
  }

  result(opts: {
    readonly serverFinish: string | null;
    readonly usage: Partial<Usage>;
    readonly loopDetection: LoopDetectionMode;
    readonly seed: number;
    readonly cancelled: boolean;
  }): ChatResult {
    this.end();
    const toolCalls = extractToolCalls(this.messages, { makeId: (callIdx) => this.callIds[callIdx] ?? `call_${callIdx}` });
    const finishReason: FinishReason = opts.cancelled ? 'cancelled' : opts.serverFinish === 'length' ? 'length' : 'stop';
    const stopReason: StopReason =
      finishReason === 'cancelled' ? { kind: 'cancelled' } : finishReason === 'length' ? { kind: 'max_tokens' } : { kind: 'stop_token', id: toolCalls.length > 0 ? SPECIAL_TOKENS.CALL : SPECIAL_TOKENS.RETURN };
    const completionTokens = opts.usage.completionTokens ?? this.numDeltas;
    const promptTokens = opts.usage.promptTokens ?? 0;
    const ttftMs = Number.isNaN(this.firstMs) ? 0 : this.firstMs - this.startMs;
    const decodeSeconds = Number.isNaN(this.firstMs) ? 0 : (this.lastMs - this.firstMs) / MS_PER_S;
    const metrics: GenerationMetrics = {
      promptTokens, cachedTokens: opts.usage.cachedTokens ?? 0, completionTokens, prefillSeconds: ttftMs / MS_PER_S, ttftSeconds: ttftMs / MS_PER_S,
      decodeSeconds, decodeTokensPerSecond: completionTokens > 1 && decodeSeconds > 0 ? (completionTokens - 1) / decodeSeconds : 0,
      kvLength: promptTokens + completionTokens, maxKvSize: 0, loopDetection: opts.loopDetection, finishReason,
      stopReason: stopReason.kind === 'stop_token' ? `stop_token:${stopReason.id}` : stopReason.kind, prefixAction: 'reprefill', seed: opts.seed, queueSeconds: 0,
    };
    return {
      messages: [...this.messages], toolCalls, finishReason, stopReason, metrics, parseWarnings: [],
      usage: { promptTokens, completionTokens, cachedTokens: opts.usage.cachedTokens ?? 0 },
    };
  }

  private begin(header: MessageHeader, toolIdx?: number, callId?: string): void {
    this.end();
    this.open = { header, content: '', ...(toolIdx !== undefined ? { toolIdx } : {}), ...(callId !== undefined ? { callId } : {}) };
    this.emit({ type: 'message-start', header });
  }

  private delta(text: string): void {
    const open = this.open as OpenMessage;
    open.content += text;
    this.lastMs = this.clock();
    if (Number.isNaN(this.firstMs)) this.firstMs = this.lastMs;
    this.numDeltas++;
    const { channel, recipient } = open.header;
    this.emit({ type: 'delta', channel, ...(recipient !== undefined ? { recipient } : {}), text });
  }
}
