// Which GenerationClient `wgh chat` talks to: the local engine on --model DIR (or the config's
// model, or the built-in demo model), or scripted replies (--replay FILE). The HTTP clients
// (--server URL) plug in here.

import { basename } from 'node:path';
import { ConfigError } from '../errors.js';
import { createGenerator } from '../generate/generator.js';
import { unusedIdRange } from '../tokenizer/special-tokens.js';
import { HarmonyEncoding } from '../harmony/encoding.js';
import { LocalClient } from '../client/local.js';
import { createRemoteClient, PROVIDERS, type Provider } from '../client/http-remote.js';
import type { GenerationClient } from '../client/types.js';
import { loadReplayScript, ReplayClient } from '../chat/replay-client.js';
import type { ChatSettings } from '../chat/settings.js';
import { DEMO_MODEL_DESCRIPTION, ensureDemoModel } from '../model/demo-model.js';
import { loadModelWithProgress } from './load-progress.js';
import { gpuOptionsFrom, type GpuFlags } from './options.js';

export interface ChatClientChoice extends GpuFlags {
  readonly model?: string;
  readonly replay?: string;
  readonly server?: string;
  readonly provider?: string;
  readonly fallback?: readonly string[];
  readonly apiKey?: string;
  readonly quiet?: boolean;
}

export interface OpenedClient {
  readonly client: GenerationClient;
  readonly encoding: HarmonyEncoding;
  readonly isDemo: boolean;
  /** Lines for the banner (adapter, model). */
  readonly about: readonly string[];
}

export async function openChatClient(choice: ChatClientChoice, settings: ChatSettings, log: (line: string) => void): Promise<OpenedClient> {
  if (choice.server !== undefined) {
    const provider = (choice.provider ?? 'openai') as Provider;
    if (!PROVIDERS.includes(provider)) throw new ConfigError(`chat: --provider expected openai | ollama, got '${choice.provider}'`);
    const apiKey = choice.apiKey ?? process.env['WGH_API_KEY'];
    const client = createRemoteClient({
      url: choice.server, provider, fallback: choice.fallback ?? [], ...(apiKey !== undefined ? { apiKey } : {}),
      onRetry: ({ retry, delayMs, error }) => log(`retry ${retry} in ${delayMs} ms: ${error.message}`),
      onFallback: ({ provider: from, reason }) => log(`falling back from ${from}: ${reason}`),
    });
    return { client, encoding: await HarmonyEncoding.load(), isDemo: false, about: [`server: ${client.description}`] };
  }
  if (choice.replay !== undefined) {
    const script = loadReplayScript(choice.replay);
    const encoding = await HarmonyEncoding.load();
    const client = new ReplayClient(script, encoding, `scripted replies from ${basename(choice.replay)} (--replay)`, settings.maxContextTokens);
    return { client, encoding, isDemo: false, about: [`model: ${client.description}`] };
  }
  const isDemo = choice.model === undefined;
  const dir =
    choice.model ??
    (await ensureDemoModel({
      onCreate: (target) => log(`creating the demo model in ${target} (first use)…`),
      onRebuild: (target, problems) => log(`the cached demo model in ${target} is damaged (${problems.join('; ')}): unpacking it again…`),
    }));
  const model = await loadModelWithProgress(
    dir,
    { gpuOptions: gpuOptionsFrom(choice), contextLength: settings.maxContextTokens, ...(settings.maxKvSize > 0 ? { maxKvSize: settings.maxKvSize } : {}) },
    choice.quiet === true,
  );
  try {
    const generator = createGenerator(model, { maskRange: unusedIdRange(model.config.vocabSize) });
    const encoding = await HarmonyEncoding.load(dir);
    const description = isDemo ? DEMO_MODEL_DESCRIPTION : `${basename(dir)} (${model.config.numLayers} layers)`;
    const client = new LocalClient({
      generator, encoding, description, contextLength: settings.maxContextTokens,
      onClose: async () => {
        await generator.close();
        model.destroy();
      },
    });
    const adapter = model.gpu.adapter;
    return { client, encoding, isDemo, about: [`model: ${description}`, `GPU: ${adapter.description || adapter.device} (${adapter.backend})`] };
  } catch (err) {
    model.destroy();
    throw err;
  }
}
