// The remote client `wgh chat --server URL [--provider openai|ollama] [--fallback URL…]` uses: one
// HTTP client per URL, in a FallbackClient when more than one is given (tried in order).
// OpenAI-style URLs get `/v1` appended when they have no path (`http://127.0.0.1:8000` →
// `http://127.0.0.1:8000/v1`); Ollama URLs are used as given.

import { ConfigError } from '../errors.js';
import { FallbackClient, type ProbeableClient } from './fallback.js';
import type { HttpTransportOptions } from './http-transport.js';
import { OllamaHttpClient } from './ollama-http.js';
import { OpenAIHttpClient } from './openai-http.js';

export type Provider = 'openai' | 'ollama';
export const PROVIDERS: readonly Provider[] = Object.freeze(['openai', 'ollama']);

export interface RemoteClientOptions extends Omit<HttpTransportOptions, 'baseUrl' | 'provider'> {
  readonly url: string;
  readonly provider?: Provider;
  /** More servers, tried in order after `url` (same provider). */
  readonly fallback?: readonly string[];
  readonly model?: string;
  readonly onFallback?: (info: { readonly provider: string; readonly reason: string }) => void;
}

export function normalizeServerUrl(url: string, provider: Provider): string {
  let parsed: URL;
  try {
    parsed = new URL(/^[a-z]+:\/\//i.test(url) ? url : `http://${url}`);
  } catch {
    throw new ConfigError(`--server: '${url}' is not a URL (e.g. http://127.0.0.1:8000)`);
  }
  const path = parsed.pathname.replace(/\/+$/, '');
  const base = `${parsed.protocol}//${parsed.host}${path}`;
  return provider === 'openai' && path.length === 0 ? `${base}/v1` : base;
}

export function createRemoteClient(opts: RemoteClientOptions): ProbeableClient {
  const provider = opts.provider ?? 'openai';
  if (!PROVIDERS.includes(provider)) throw new ConfigError(`--provider: expected openai | ollama, got '${String(provider)}'`);
  const { url, fallback, onFallback, ...rest } = opts;
  const make = (u: string): ProbeableClient => {
    const baseUrl = normalizeServerUrl(u, provider);
    return provider === 'openai' ? new OpenAIHttpClient({ ...rest, baseUrl }) : new OllamaHttpClient({ ...rest, baseUrl });
  };
  const clients = [url, ...(fallback ?? [])].map(make);
  return clients.length === 1 ? clients[0] : new FallbackClient(clients, onFallback !== undefined ? { onFallback } : {});
}
