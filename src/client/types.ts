// The GenerationClient boundary: what the chat layer (src/chat/, `runTurn`) sends to a model and
// what it gets back, whoever runs the model. Implementations:
//   local   src/client/local.ts         in-process: tokenizer + Harmony render + TokenGenerator + StreamableParser
//   openai  src/client/openai-http.ts   HTTP + SSE to an OpenAI-compatible server (`wgh serve`, vLLM, LM Studio…)
//   ollama  src/client/ollama-http.ts   HTTP + NDJSON to an Ollama server (or `wgh serve`'s Ollama routes)
//
//   const stream = client.chat(request, { signal });
//   for await (const ev of stream) { … ev.type: 'delta' (channel text), 'tool-call', 'token', … }
//   const result = await stream.result;     // messages, tool calls, finish/stop reason, usage, metrics
//
// The request is Harmony-level: the system message's settings (reasoning effort, identity, builtin
// tools), the developer message (instructions, function tools), the conversation messages ALREADY
// selected by the chat layer (context budget applied, analysis of finished turns dropped; a client
// renders them as given, never dropping more), and the generation parameters. `continuation` asks
// the client to continue a cut-off assistant reply instead of starting a new one (only clients
// whose `canContinue` is true take it).
//
// Token ids and raw text in the result are optional, because only some clients know them; `wgh
// serve` returns them in an extension field so a remote chat writes the same artifacts as a local one.

import type { SamplingParamsInput } from '../generate/sampling-params.js';
import type { FinishReason, GenerationMetrics, LoopDetectionMode, StopReason } from '../generate/types.js';
import { developerMessage, systemMessage, type BuiltinToolName } from '../harmony/content.js';
import type { ParseWarning } from '../harmony/parser.js';
import type { ExtractedToolCall, ToolCall } from '../harmony/tool-calls.js';
import type { Message, MessageHeader, ReasoningEffort, TextMessage, ToolDescription } from '../harmony/types.js';

/** The system message: Harmony's SystemContent fields a caller may set. */
export interface SystemSpec {
  readonly reasoningEffort: ReasoningEffort;
  /** Replaces "You are ChatGPT, a large language model trained by OpenAI." when set. */
  readonly modelIdentity?: string;
  readonly knowledgeCutoff?: string;
  /** `Current date: …` line (YYYY-MM-DD). */
  readonly conversationStartDate?: string;
  readonly builtinTools?: readonly BuiltinToolName[];
}

/** The developer message ("system prompt" in OpenAI terms) and the function tools. */
export interface DeveloperSpec {
  readonly instructions?: string;
  /** Rendered as the `functions` namespace. */
  readonly tools?: readonly ToolDescription[];
}

/** Sampling (every field of SamplingParamsInput) plus the generation limits. */
export interface ClientGenerationParams extends SamplingParamsInput {
  /** Most tokens to generate in this request (the stop token counts). */
  readonly maxTokens: number;
  readonly loopDetection?: LoopDetectionMode;
  /** Rotate the full-attention KV cache beyond this many positions (0 = off). */
  readonly maxKvSize?: number;
}

/** An assistant reply cut off earlier (finish reason `length`), to be continued, not restarted. */
export interface Continuation {
  /** The completion so far as raw Harmony text, starting right after the prompt's `<|start|>assistant`. */
  readonly text: string;
  /** The same as token ids, where known (the local client uses them so the KV cache is reused exactly). */
  readonly tokenIds?: readonly number[];
}

export interface ChatRequest {
  readonly system: SystemSpec;
  /** Absent or empty: no developer message. */
  readonly developer?: DeveloperSpec;
  /** user / assistant / tool messages, rendered as given. */
  readonly messages: readonly TextMessage[];
  readonly params: ClientGenerationParams;
  readonly continuation?: Continuation;
}

/** Streaming events of one request, in order. */
export type ClientEvent =
  /** A sampled token (clients that know ids); index counts from 0 in this request. */
  | { readonly type: 'token'; readonly index: number; readonly id: number; readonly timeMs: number }
  /** A new assistant message began (its channel and recipient are known). */
  | { readonly type: 'message-start'; readonly header: MessageHeader }
  /** Text of the current message; `channel` is analysis | commentary | final (undefined if none was given). */
  | { readonly type: 'delta'; readonly channel: string | undefined; readonly recipient?: string; readonly text: string }
  | { readonly type: 'message-end'; readonly message: TextMessage }
  /** A complete tool call (after its message ended). */
  | { readonly type: 'tool-call'; readonly call: ToolCall; readonly recipient: string; readonly channel?: string }
  | { readonly type: 'warning'; readonly warning: ParseWarning };

export interface Usage {
  /** Tokens of the prompt, continuation included. */
  readonly promptTokens: number;
  /** Tokens generated by this request (a continuation's earlier tokens not included). */
  readonly completionTokens: number;
  /** Prompt tokens whose KV was reused from the cache. */
  readonly cachedTokens: number;
}

export interface ChatResult {
  /** The parsed assistant messages of the whole reply (a continuation's earlier part included). */
  readonly messages: readonly TextMessage[];
  readonly toolCalls: readonly ExtractedToolCall[];
  readonly finishReason: FinishReason;
  readonly stopReason: StopReason;
  readonly usage: Usage;
  readonly metrics: GenerationMetrics;
  readonly parseWarnings: readonly ParseWarning[];
  /** Artifacts, where the client knows them. */
  readonly promptTokenIds?: readonly number[];
  /** This request's generated ids (not the continuation's). */
  readonly completionTokenIds?: readonly number[];
  /** This request's generated tokens as text, special tokens as `<|…|>`. */
  readonly rawCompletionText?: string;
}

export interface ChatStream extends AsyncIterable<ClientEvent> {
  /** Settles after the last event; it settles even if nobody iterates the events. */
  readonly result: Promise<ChatResult>;
}

export interface ChatOptions {
  /** Stops the generation; the result then has finishReason 'cancelled'. */
  readonly signal?: AbortSignal;
}

export interface GenerationClient {
  /** 'local', 'openai', 'ollama', 'replay', … */
  readonly kind: string;
  /** One line for banners: what model, where. */
  readonly description: string;
  /** Largest prompt + completion the client's model can hold, when known. */
  readonly contextLength?: number;
  /**
   * Whether the client continues a cut-off reply: it honours `request.continuation` (raw Harmony
   * text appended to the prompt) and returns `rawCompletionText`, which the next continuation is
   * built from. True for the local client and a wgh server (the `wgh` extension carries both);
   * false for plain OpenAI-compatible and Ollama servers, which take and return chat messages only.
   * When false, the retry policy restarts a reply cut by maxTokens (with more max tokens) instead
   * of resuming it. HTTP clients know it once a request has been made (the health probe).
   */
  readonly canContinue: boolean;
  chat(request: ChatRequest, options?: ChatOptions): ChatStream;
  /** Releases the model or connection. Idempotent. */
  close(): Promise<void>;
}

/** The Harmony messages a request stands for: system, developer (if any), then its messages. */
export function harmonyMessagesOf(request: ChatRequest): Message[] {
  const { system, developer } = request;
  const out: Message[] = [
    systemMessage({
      reasoningEffort: system.reasoningEffort,
      ...(system.modelIdentity !== undefined && system.modelIdentity.length > 0 ? { modelIdentity: system.modelIdentity } : {}),
      ...(system.knowledgeCutoff !== undefined ? { knowledgeCutoff: system.knowledgeCutoff } : {}),
      ...(system.conversationStartDate !== undefined ? { conversationStartDate: system.conversationStartDate } : {}),
      ...(system.builtinTools !== undefined ? { builtinTools: system.builtinTools } : {}),
    }),
  ];
  const instructions = developer?.instructions ?? '';
  const tools = developer?.tools ?? [];
  if (instructions.length > 0 || tools.length > 0) {
    out.push(developerMessage({ ...(instructions.length > 0 ? { instructions } : {}), functionTools: tools }));
  }
  for (const message of request.messages) out.push(message);
  return out;
}
