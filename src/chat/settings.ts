// Chat settings: one flat record of every sampling and chat parameter, one registry that knows each
// key's type, range, config-file path and command-line flag. Layers, later wins:
//   DEFAULT_CHAT_SETTINGS ← config file ← profile (--profile or the file's "profile") ← flags ← \set
// Every value is validated here; errors are ConfigError naming the key and the value.

import { ConfigError } from '../errors.js';
import type { LoopDetectionMode } from '../generate/types.js';
import { MAX_ADDITIVE_PENALTY, MAX_REPETITION_PENALTY, MAX_TEMPERATURE, MAX_TOP_K, resolveSamplingParams } from '../generate/sampling-params.js';
import { REASONING_EFFORTS, type ReasoningEffort } from '../harmony/types.js';

export interface ChatSettings {
  readonly temperature: number;
  readonly topP: number;
  readonly topK: number;
  readonly minP: number;
  readonly repetitionPenalty: number;
  readonly presencePenalty: number;
  readonly frequencyPenalty: number;
  readonly penaltyWindow: number;
  readonly seed: number;
  readonly maxTokens: number;
  readonly reasoningEffort: ReasoningEffort;
  /** Developer message instructions ('' = none). */
  readonly instructions: string;
  /** The system message's model identity ('' = Harmony's default). */
  readonly system: string;
  readonly maxContextTokens: number;
  /** Kept free below maxContextTokens (rendering differences, the `<|start|>assistant` tail). */
  readonly contextMarginTokens: number;
  /** Earlier turns kept at most (0 = as many as fit). */
  readonly maxHistoryTurns: number;
  /** Rotating KV window of the full-attention layers (0 = off). */
  readonly maxKvSize: number;
  readonly loopDetection: LoopDetectionMode;
  readonly maxAttempts: number;
  readonly resumeOnLength: boolean;
  readonly maxToolRounds: number;
  readonly toolTimeoutMs: number;
  readonly showReasoning: boolean;
  readonly artifacts: boolean;
  readonly runsDir: string;
}

export type SettingKey = keyof ChatSettings;
type Kind = 'number' | 'int' | 'bool' | 'string' | 'enum';

export interface SettingSpec {
  readonly key: SettingKey;
  readonly kind: Kind;
  readonly min?: number;
  readonly max?: number;
  readonly values?: readonly string[];
  /** Where it sits in a config file (`sampling.temperature`). */
  readonly path: readonly string[];
  readonly help: string;
  /** Fixed for a session (not changeable by \set). */
  readonly startupOnly?: boolean;
}

export const LOOP_DETECTION_MODES: readonly LoopDetectionMode[] = Object.freeze(['off', 'cheap', 'full']);
const INT32_MAX = 2 ** 31 - 1;
/** Largest maxAttempts a user may ask for: every attempt costs a full generation. */
export const MAX_ATTEMPTS_LIMIT = 10;
const MAX_TOOL_ROUNDS_LIMIT = 64;
const MAX_TOOL_TIMEOUT_MS = 600_000;

const sampling = (key: SettingKey, kind: Kind, min: number, max: number, help: string): SettingSpec => ({ key, kind, min, max, path: ['sampling', key], help });
const top = (key: SettingKey, kind: Kind, help: string, extra: Partial<SettingSpec> = {}): SettingSpec => ({ key, kind, path: [key], help, ...extra });

export const SETTING_SPECS: readonly SettingSpec[] = Object.freeze([
  sampling('temperature', 'number', 0, MAX_TEMPERATURE, 'sampling temperature (0 = greedy)'),
  sampling('topP', 'number', 0, 1, 'nucleus sampling mass'),
  sampling('topK', 'int', 0, MAX_TOP_K, 'keep the k most likely tokens (0 = off)'),
  sampling('minP', 'number', 0, 1, 'drop tokens below minP × the top probability'),
  sampling('repetitionPenalty', 'number', 0, MAX_REPETITION_PENALTY, 'multiplicative repetition penalty (1 = off)'),
  sampling('presencePenalty', 'number', -MAX_ADDITIVE_PENALTY, MAX_ADDITIVE_PENALTY, 'OpenAI presence penalty'),
  sampling('frequencyPenalty', 'number', -MAX_ADDITIVE_PENALTY, MAX_ADDITIVE_PENALTY, 'OpenAI frequency penalty'),
  sampling('penaltyWindow', 'int', 0, INT32_MAX, 'tokens the penalties look back'),
  sampling('seed', 'int', 0, Number.MAX_SAFE_INTEGER, 'sampling seed'),
  top('maxTokens', 'int', 'most tokens per reply', { min: 1, max: INT32_MAX }),
  top('reasoningEffort', 'enum', 'Reasoning: low | medium | high', { values: REASONING_EFFORTS }),
  top('instructions', 'string', 'developer message instructions'),
  top('system', 'string', 'model identity line of the system message'),
  top('maxContextTokens', 'int', 'context budget: prompt + reply stay below this', { min: 64, max: INT32_MAX }),
  top('contextMarginTokens', 'int', 'safety margin kept free in the context budget', { min: 0, max: INT32_MAX }),
  top('maxHistoryTurns', 'int', 'earlier turns kept at most (0 = all that fit)', { min: 0, max: INT32_MAX }),
  top('maxKvSize', 'int', 'rotating KV window for full-attention layers (0 = off)', { min: 0, max: INT32_MAX, startupOnly: true }),
  top('loopDetection', 'enum', 'loop detection: off | cheap | full', { values: LOOP_DETECTION_MODES }),
  { key: 'maxAttempts', kind: 'int', min: 1, max: MAX_ATTEMPTS_LIMIT, path: ['retry', 'maxAttempts'], help: 'generations per reply at most (retries + resumes + 1)' },
  { key: 'resumeOnLength', kind: 'bool', path: ['retry', 'resumeOnLength'], help: 'continue a reply cut by maxTokens instead of restarting' },
  top('maxToolRounds', 'int', 'tool calls answered per turn at most', { min: 0, max: MAX_TOOL_ROUNDS_LIMIT }),
  top('toolTimeoutMs', 'int', 'time limit of one tool call (ms)', { min: 1, max: MAX_TOOL_TIMEOUT_MS }),
  top('showReasoning', 'bool', 'show the analysis channel (dimmed)'),
  { key: 'artifacts', kind: 'bool', path: ['artifacts', 'enabled'], help: 'write run artifacts', startupOnly: true },
  { key: 'runsDir', kind: 'string', path: ['artifacts', 'dir'], help: 'where run directories go', startupOnly: true },
]);

const SPEC_BY_KEY: ReadonlyMap<string, SettingSpec> = new Map(SETTING_SPECS.map((spec) => [spec.key, spec]));

export const DEFAULT_CHAT_SETTINGS: ChatSettings = Object.freeze({
  temperature: 1,
  topP: 1,
  topK: 0,
  minP: 0,
  repetitionPenalty: 1,
  presencePenalty: 0,
  frequencyPenalty: 0,
  penaltyWindow: 64,
  seed: 0,
  maxTokens: 1024,
  reasoningEffort: 'medium',
  instructions: '',
  system: '',
  maxContextTokens: 8192,
  contextMarginTokens: 64,
  maxHistoryTurns: 0,
  maxKvSize: 0,
  loopDetection: 'cheap',
  maxAttempts: 3,
  resumeOnLength: true,
  maxToolRounds: 8,
  toolTimeoutMs: 10_000,
  showReasoning: true,
  artifacts: true,
  runsDir: 'runs',
});

/** Accepts camelCase, snake_case and kebab-case spellings (`max_tokens`, `max-tokens`). */
export function normalizeKey(name: string): string {
  return name.trim().replace(/[-_]+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());
}

export function settingSpec(name: string, who: string): SettingSpec {
  const spec = SPEC_BY_KEY.get(normalizeKey(name));
  if (spec !== undefined) return spec;
  const hint = closest(normalizeKey(name), [...SPEC_BY_KEY.keys()]);
  throw new ConfigError(`${who}: unknown setting '${name}'${hint !== undefined ? ` (did you mean '${hint}'?)` : ''}; \\show lists them`);
}

function describe(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : JSON.stringify(value) ?? String(value);
}

/** Checks a typed value (from JSON) for `spec`; returns it. */
export function checkSettingValue(spec: SettingSpec, value: unknown, who: string, label: string = spec.path.join('.')): ChatSettings[SettingKey] {
  const bad = (expected: string): never => {
    throw new ConfigError(`${who}: '${label}' expected ${expected}, got ${describe(value)}`);
  };
  switch (spec.kind) {
    case 'bool':
      return typeof value === 'boolean' ? value : bad('true or false');
    case 'string':
      return typeof value === 'string' ? value : bad('a string');
    case 'enum':
      return typeof value === 'string' && (spec.values ?? []).includes(value) ? (value as ChatSettings[SettingKey]) : bad(`one of ${(spec.values ?? []).join(' | ')}`);
    default: {
      const integer = spec.kind === 'int';
      const range = `${integer ? 'an integer' : 'a number'} in [${spec.min}, ${spec.max}]`;
      if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) return bad(range);
      if (value < (spec.min ?? -Infinity) || value > (spec.max ?? Infinity)) return bad(range);
      return value;
    }
  }
}

/** Parses a typed-in value (`\set`, flags) for `spec`. */
export function parseSettingText(spec: SettingSpec, text: string, who: string): ChatSettings[SettingKey] {
  const trimmed = text.trim();
  let value: unknown = text;
  if (spec.kind === 'bool') value = ({ true: true, on: true, yes: true, '1': true, false: false, off: false, no: false, '0': false } as Record<string, boolean>)[trimmed.toLowerCase()] ?? trimmed;
  else if (spec.kind === 'number' || spec.kind === 'int') value = trimmed === '' ? trimmed : Number(trimmed);
  else if (spec.kind === 'enum') value = trimmed;
  if (typeof value === 'number' && Number.isNaN(value)) value = trimmed;
  return checkSettingValue(spec, value, who, spec.key);
}

/** Cross-field checks (the sampler's rules, e.g. topP > 0, temperature 0 or ≥ 1e-4). */
export function validateSettings(settings: ChatSettings, who: string): ChatSettings {
  try {
    resolveSamplingParams(samplingOf(settings));
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`${who}: ${err.message}`, { cause: err });
    throw err;
  }
  return settings;
}

export type SettingsPatch = Partial<Record<SettingKey, ChatSettings[SettingKey]>>;

export function applyPatch(settings: ChatSettings, patch: SettingsPatch): ChatSettings {
  return { ...settings, ...patch } as ChatSettings;
}

/** The sampling part, in the generator's terms. */
export function samplingOf(s: ChatSettings) {
  return {
    temperature: s.temperature,
    topP: s.topP,
    topK: s.topK,
    minP: s.minP,
    repetitionPenalty: s.repetitionPenalty,
    presencePenalty: s.presencePenalty,
    frequencyPenalty: s.frequencyPenalty,
    penaltyWindow: s.penaltyWindow,
    seed: s.seed,
  };
}

/** The nearest known name within edit distance 3, for "did you mean". */
export function closest(name: string, known: readonly string[]): string | undefined {
  const MAX_DISTANCE = 3;
  let best: string | undefined;
  let bestDistance = MAX_DISTANCE + 1;
  for (const candidate of known) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}
