// A fallback chain of GenerationClients: each request goes to the first provider that answers.
// A provider is skipped when its health probe fails (probed on first use and again after it
// failed) or when its request fails before the first event; once a provider has streamed an event
// the request stays with it (a half-shown reply is never restarted elsewhere) and its errors go
// to the caller.
//
//   const client = new FallbackClient([new OpenAIHttpClient({ baseUrl: a }), new OllamaHttpClient({ baseUrl: b })]);

import { ChatError } from '../errors.js';
import { PushStream } from './local.js';
import type { HealthReport } from './openai-http.js';
import type { ChatOptions, ChatRequest, ChatResult, ChatStream, ClientEvent, GenerationClient } from './types.js';

/** A client that can be probed (the HTTP clients). */
export interface ProbeableClient extends GenerationClient {
  health?(signal?: AbortSignal): Promise<HealthReport>;
}

export interface FallbackOptions {
  /** Probe a provider before its first use and after a failure. Default true. */
  readonly probe?: boolean;
  /** Told when a provider is skipped. */
  readonly onFallback?: (info: { readonly provider: string; readonly reason: string }) => void;
}

export class FallbackClient implements GenerationClient {
  readonly kind = 'fallback';
  readonly description: string;
  /** Which provider served the last request (index into providers). */
  lastProviderIdx = -1;
  private readonly needsProbe: boolean[];

  constructor(
    readonly providers: readonly ProbeableClient[],
    private readonly opts: FallbackOptions = {},
  ) {
    if (providers.length === 0) throw new ChatError('fallback client: give at least one provider');
    this.description = providers.map((p) => p.description).join(' → ');
    this.needsProbe = providers.map(() => opts.probe ?? true);
  }

  get contextLength(): number | undefined {
    return this.providers[Math.max(this.lastProviderIdx, 0)].contextLength;
  }

  /**
   * Whether the provider that served the last request continues a cut-off reply. A continuation
   * that lands on a provider that cannot continue fails before its first event (the HTTP clients
   * refuse it), so the chain moves on to the next provider.
   */
  get canContinue(): boolean {
    return this.lastProviderIdx >= 0 && this.providers[this.lastProviderIdx].canContinue;
  }

  chat(request: ChatRequest, options: ChatOptions = {}): ChatStream {
    const stream = new PushStream<ClientEvent, ChatResult>();
    this.run(request, options, stream).catch((err: unknown) => stream.fail(err));
    return stream;
  }

  private async run(request: ChatRequest, options: ChatOptions, stream: PushStream<ClientEvent, ChatResult>): Promise<void> {
    const failures: string[] = [];
    const skip = (providerIdx: number, reason: string) => {
      this.needsProbe[providerIdx] = this.opts.probe ?? true;
      failures.push(`${this.providers[providerIdx].description}: ${reason}`);
      this.opts.onFallback?.({ provider: this.providers[providerIdx].description, reason });
    };
    for (let providerIdx = 0; providerIdx < this.providers.length; providerIdx++) {
      const provider = this.providers[providerIdx];
      if (this.needsProbe[providerIdx] && provider.health !== undefined) {
        const report = await provider.health(options.signal);
        if (options.signal?.aborted === true) throw options.signal.reason;
        if (!report.ok) {
          skip(providerIdx, `health probe failed (${report.detail})`);
          continue;
        }
      }
      this.needsProbe[providerIdx] = false;
      const inner = provider.chat(request, options);
      let numEvents = 0;
      try {
        for await (const event of inner) {
          numEvents++;
          stream.push(event);
        }
        const result = await inner.result;
        this.lastProviderIdx = providerIdx;
        return stream.end(result);
      } catch (err) {
        if (numEvents > 0 || options.signal?.aborted === true) throw err;
        skip(providerIdx, (err as Error).message);
      }
    }
    throw new ChatError(`fallback client: every provider failed:\n  ${failures.join('\n  ')}`);
  }

  async close(): Promise<void> {
    await Promise.all(this.providers.map((p) => p.close()));
  }
}
