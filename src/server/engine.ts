// What the routes run on: the backend (a GenerationClient for Harmony chats, the TokenGenerator of
// the same engine for raw completions, the tokenizer, model facts) and its load state. The server
// listens before the model is loaded: /v1/health answers 503 `loading` until the backend is ready
// (loaded and warmed up), every model route answers 503 with Retry-After meanwhile.

import type { GenerationClient } from '../client/types.js';
import type { TokenEvent, TokenGenerator } from '../generate/types.js';
import type { HarmonyEncoding } from '../harmony/encoding.js';
import { ApiError, loading } from './errors.js';

export interface ModelInfo {
  /** The name clients use (`model` field). */
  readonly id: string;
  readonly dir?: string;
  /** KV cache positions: prompt + completion at most. */
  readonly contextLength: number;
  readonly family: string;
  readonly numLayers?: number;
  readonly numExperts?: number;
  readonly hiddenSize?: number;
  readonly vocabSize?: number;
  readonly parameterCount?: number;
  readonly quantization: string;
  readonly sizeBytes?: number;
  readonly adapter?: string;
  readonly backend?: string;
  readonly loadSeconds?: number;
  readonly warmupSeconds?: number;
  /** Seconds since the epoch, for `created` / `modified_at`. */
  readonly createdS: number;
}

export interface EngineBackend {
  readonly client: GenerationClient;
  /** Raw token generation on the same engine (/v1/completions, /api/generate raw); absent: those routes answer 501. */
  readonly generator?: TokenGenerator;
  readonly encoding: HarmonyEncoding;
  readonly info: ModelInfo;
  /** The running generation's token event of an index, when it has logprobs (logprob-tap.ts). */
  readonly tokenLogprobs?: (index: number) => TokenEvent | undefined;
  close(): Promise<void>;
}

export type EngineState =
  | { readonly state: 'loading'; readonly sinceMs: number; readonly detail: string }
  | { readonly state: 'ready'; readonly backend: EngineBackend }
  | { readonly state: 'failed'; readonly error: Error };

/** Seconds a client is told to wait while the model loads. */
const LOADING_RETRY_AFTER_S = 2;

export class ServerEngine {
  private current: EngineState;

  constructor(backend: EngineBackend | Promise<EngineBackend>, clock: () => number = Date.now) {
    if (backend instanceof Promise) {
      this.current = { state: 'loading', sinceMs: clock(), detail: 'loading the model' };
      backend.then(
        (ready) => (this.current = { state: 'ready', backend: ready }),
        (error: unknown) => (this.current = { state: 'failed', error: error instanceof Error ? error : new Error(String(error)) }),
      );
    } else this.current = { state: 'ready', backend };
  }

  get state(): EngineState {
    return this.current;
  }

  /** Progress text while loading (shown by /v1/health). */
  setDetail(detail: string): void {
    if (this.current.state === 'loading') this.current = { ...this.current, detail };
  }

  /** The backend, or an ApiError 503 while loading / after a failed load. */
  ready(): EngineBackend {
    const s = this.current;
    if (s.state === 'ready') return s.backend;
    if (s.state === 'loading') throw loading(LOADING_RETRY_AFTER_S);
    throw new ApiError(503, 'service_unavailable_error', `The model failed to load: ${s.error.message}`, 'model_load_failed');
  }

  async close(): Promise<void> {
    if (this.current.state === 'ready') await this.current.backend.close();
  }
}
