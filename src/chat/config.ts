// `wgh chat --config FILE`: a JSON file with the model, sampling defaults, chat parameters, tools
// and named profiles. Unknown keys and bad values are ConfigErrors that name the key.
//
//   {
//     "model": "~/models/gpt-oss-20b",
//     "profile": "performance",                       // default profile (--profile overrides)
//     "sampling": { "temperature": 0.7, "topP": 0.95, "seed": 1 },
//     "maxTokens": 1024, "reasoningEffort": "low", "instructions": "Be brief.", "system": "You are …",
//     "maxContextTokens": 8192, "contextMarginTokens": 64, "maxHistoryTurns": 0, "maxKvSize": 0,
//     "loopDetection": "cheap", "showReasoning": true, "maxToolRounds": 8, "toolTimeoutMs": 10000,
//     "retry": { "maxAttempts": 3, "resumeOnLength": true },
//     "artifacts": { "enabled": true, "dir": "runs" },
//     "tools": [ { "name": "calculator", "description": "…", "parameters": { JSON schema },
//                  "command": ["node", "tools/calc.mjs"] | "module": "tools/time.mjs", "timeoutMs": 5000 } ],
//     "profiles": { "mine": { …any of the setting keys above… } }
//   }
// Relative paths (model, tool commands' scripts, modules) are resolved against the file's folder.

import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import type { JsonValue } from '../harmony/types.js';
import { checkSettingValue, closest, DEFAULT_CHAT_SETTINGS, SETTING_SPECS, validateSettings, type ChatSettings, type SettingsPatch } from './settings.js';
import { parseToolSpecs, type ToolSpec } from './tool-specs.js';

export interface ChatConfig {
  readonly file?: string;
  readonly model?: string;
  readonly profile?: string;
  readonly settings: SettingsPatch;
  readonly profiles: Readonly<Record<string, SettingsPatch>>;
  readonly tools: readonly ToolSpec[];
}

/** Named presets; a config file's `profiles` add to (or replace) these. */
export const BUILTIN_PROFILES: Readonly<Record<string, SettingsPatch>> = Object.freeze({
  /** Fast turns on small machines: short replies, few kept turns, a rotating KV window. */
  performance: { maxTokens: 256, maxHistoryTurns: 4, maxContextTokens: 4096, maxKvSize: 2048, reasoningEffort: 'low', maxAttempts: 2 },
  /** Reproducible output: greedy decoding. */
  deterministic: { temperature: 0, seed: 0 },
  /** Long, careful answers. */
  thorough: { maxTokens: 4096, reasoningEffort: 'high', maxAttempts: 4, loopDetection: 'full' },
});

const GROUPS = new Set(['sampling', 'retry', 'artifacts']);
const TOP_ONLY = ['$schema', '$comment', 'model', 'profile', 'profiles', 'tools'];

type JsonRecord = Record<string, unknown>;

function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function knownPaths(): string[] {
  return SETTING_SPECS.map((spec) => spec.path.join('.'));
}

/** Reads the setting keys of one object (the file's top level or a profile). */
export function parseSettingsObject(object: JsonRecord, who: string, prefix: string, skip: readonly string[] = []): SettingsPatch {
  const patch: Record<string, unknown> = {};
  const visit = (obj: JsonRecord, path: string[]): void => {
    for (const [key, value] of Object.entries(obj)) {
      if (path.length === 0 && skip.includes(key)) continue;
      const full = [...path, key];
      if (path.length === 0 && GROUPS.has(key)) {
        if (!isRecord(value)) throw new ConfigError(`${who}: '${prefix}${key}' must be an object, got ${JSON.stringify(value)}`);
        visit(value, full);
        continue;
      }
      const spec = SETTING_SPECS.find((s) => s.path.join('.') === full.join('.'));
      if (spec === undefined) {
        const hint = closest(full.join('.'), [...knownPaths(), ...(path.length === 0 ? TOP_ONLY : [])]);
        throw new ConfigError(`${who}: unknown key '${prefix}${full.join('.')}'${hint !== undefined ? ` (did you mean '${hint}'?)` : ''}`);
      }
      patch[spec.key] = checkSettingValue(spec, value, who, `${prefix}${full.join('.')}`);
    }
  };
  visit(object, []);
  return patch as SettingsPatch;
}

function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? resolve(homedir(), path.slice(2)) : path;
}

/** Resolves a path from a config file against its folder (and `~`). */
export function resolveConfigPath(path: string, baseDir: string): string {
  const expanded = expandHome(path);
  return isAbsolute(expanded) ? expanded : resolve(baseDir, expanded);
}

/** Parses a config object (already JSON-parsed). */
export function parseChatConfig(json: unknown, who: string, baseDir: string): ChatConfig {
  if (!isRecord(json)) throw new ConfigError(`${who}: expected a JSON object at the top, got ${JSON.stringify(json)?.slice(0, 40)}`);
  const settings = parseSettingsObject(json, who, '', TOP_ONLY);
  const model = json['model'];
  if (model !== undefined && typeof model !== 'string') throw new ConfigError(`${who}: 'model' expected a directory path, got ${JSON.stringify(model)}`);
  const profile = json['profile'];
  if (profile !== undefined && typeof profile !== 'string') throw new ConfigError(`${who}: 'profile' expected a profile name, got ${JSON.stringify(profile)}`);
  const rawProfiles = json['profiles'] ?? {};
  if (!isRecord(rawProfiles)) throw new ConfigError(`${who}: 'profiles' expected an object of name → settings`);
  const profiles: Record<string, SettingsPatch> = {};
  for (const [name, body] of Object.entries(rawProfiles)) {
    if (!isRecord(body)) throw new ConfigError(`${who}: 'profiles.${name}' expected an object of settings`);
    profiles[name] = parseSettingsObject(body, who, `profiles.${name}.`);
  }
  const tools = parseToolSpecs(json['tools'] as JsonValue | undefined, who, baseDir);
  return {
    file: who,
    ...(model !== undefined ? { model: resolveConfigPath(model, baseDir) } : {}),
    ...(profile !== undefined ? { profile } : {}),
    settings,
    profiles,
    tools,
  };
}

/** Reads and parses a config file. */
export function loadChatConfig(file: string): ChatConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`--config: cannot read '${file}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config ${file}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
  return parseChatConfig(json, `config ${file}`, dirname(resolve(file)));
}

export const EMPTY_CONFIG: ChatConfig = Object.freeze({ settings: {}, profiles: {}, tools: [] });

export interface ResolvedSettings {
  readonly settings: ChatSettings;
  readonly profile?: string;
  /** The profile's own settings ({} without a profile). */
  readonly profilePatch: SettingsPatch;
}

/** defaults ← config ← profile ← flags; the profile comes from `profileName` or the config's "profile". */
export function resolveChatSettings(config: ChatConfig, profileName: string | undefined, flags: SettingsPatch, base: ChatSettings = DEFAULT_CHAT_SETTINGS): ResolvedSettings {
  const name = profileName ?? config.profile;
  let profilePatch: SettingsPatch = {};
  if (name !== undefined) {
    const all = { ...BUILTIN_PROFILES, ...config.profiles };
    const found = all[name];
    if (found === undefined) {
      throw new ConfigError(`--profile: unknown profile '${name}' (known: ${Object.keys(all).sort().join(', ')})`);
    }
    profilePatch = found;
  }
  const settings = { ...base, ...config.settings, ...profilePatch, ...flags } as ChatSettings;
  validateSettings(settings, config.file ?? 'settings');
  return { settings, profilePatch, ...(name !== undefined ? { profile: name } : {}) };
}
