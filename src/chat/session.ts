// A chat session: the conversation, the layered settings, the client and the run's artifacts. The
// front ends (terminal, --prompts) drive it; it runs each turn through runTurn and appends the
// result. Errors (bad \set value, unreadable file, context overflow) leave the session unchanged.

import { ChatError } from '../errors.js';
import type { HarmonyEncoding } from '../harmony/encoding.js';
import type { Message, TextMessage } from '../harmony/types.js';
import type { GenerationClient } from '../client/types.js';
import type { RunArtifacts } from './artifacts.js';
import { loadConversation, saveConversation, type SavedConversation } from './conversation.js';
import { applyPatch, parseSettingText, settingSpec, validateSettings, type ChatSettings, type SettingKey, type SettingsPatch } from './settings.js';
import type { ToolExecutor } from './tools.js';
import { runTurn, type TurnDeps, type TurnEvent, type TurnResult } from './turn.js';

/** Where each setting's value came from, lowest first. */
export interface SettingsLayers {
  readonly base: ChatSettings;
  readonly config: SettingsPatch;
  readonly profile: SettingsPatch;
  readonly profileName?: string;
  readonly flags: SettingsPatch;
}

export type SettingSource = 'default' | 'config' | 'profile' | 'flag' | 'session';

export interface ChatSessionOptions {
  readonly client: GenerationClient;
  readonly encoding: HarmonyEncoding;
  readonly layers: SettingsLayers;
  readonly tools?: ToolExecutor | null;
  readonly artifacts?: RunArtifacts | null;
  /** Injected for tests: sleep, random, clock of runTurn. */
  readonly turnDeps?: Pick<TurnDeps, 'sleep' | 'random' | 'clock'>;
  readonly now?: () => Date;
}

export interface SendOptions {
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: TurnEvent) => void;
}

export class ChatSession {
  private sessionPatch: SettingsPatch = {};
  private conversation: TextMessage[] = [];
  private turns = 0;
  private last: TurnResult | null = null;
  private regenerations = 0;
  private readonly tokenCounts = new WeakMap<Message, number>();

  constructor(private readonly opts: ChatSessionOptions) {}

  get client(): GenerationClient {
    return this.opts.client;
  }
  get tools(): ToolExecutor | null {
    return this.opts.tools ?? null;
  }
  get artifacts(): RunArtifacts | null {
    return this.opts.artifacts ?? null;
  }
  get layers(): SettingsLayers {
    return this.opts.layers;
  }
  get messages(): readonly TextMessage[] {
    return this.conversation;
  }
  get lastTurn(): TurnResult | null {
    return this.last;
  }
  /** Turns run so far in this session (artifact numbering keeps growing across \new). */
  get turnCount(): number {
    return this.turns;
  }

  /** defaults ← config ← profile ← flags ← \set. */
  get settings(): ChatSettings {
    const { base, config, profile, flags } = this.opts.layers;
    return applyPatch(applyPatch(applyPatch(applyPatch(base, config), profile), flags), this.sessionPatch);
  }

  sourceOf(key: SettingKey): SettingSource {
    const { config, profile, flags } = this.opts.layers;
    if (key in this.sessionPatch) return 'session';
    if (key in flags) return 'flag';
    if (key in profile) return 'profile';
    return key in config ? 'config' : 'default';
  }

  /** `\set key=value`: validated; a bad value changes nothing. */
  set(name: string, valueText: string): { key: SettingKey; value: ChatSettings[SettingKey] } {
    const spec = settingSpec(name, '\\set');
    if (spec.startupOnly === true) throw new ChatError(`\\set: '${spec.key}' is fixed for the session; give it as a flag or in the config`);
    const value = parseSettingText(spec, valueText, '\\set');
    const patch = { ...this.sessionPatch, [spec.key]: value };
    validateSettings(applyPatch(this.settings, { [spec.key]: value }), '\\set');
    this.sessionPatch = patch;
    return { key: spec.key, value };
  }

  /** Sends a user message; the conversation grows only when the turn completes (or is cancelled). */
  async send(text: string, options: SendOptions = {}): Promise<TurnResult> {
    return this.run(text, options, 0);
  }

  private async run(text: string, options: SendOptions, seedOffset: number): Promise<TurnResult> {
    const turn = this.turns + 1;
    this.turns = turn;
    const settings = seedOffset === 0 ? this.settings : { ...this.settings, seed: this.settings.seed + seedOffset };
    const result = await runTurn(
      { turn, history: this.conversation, userMessage: text, settings },
      {
        client: this.opts.client,
        encoding: this.opts.encoding,
        artifacts: this.opts.artifacts ?? null,
        tools: this.opts.tools ?? null,
        tokenCounts: this.tokenCounts,
        ...this.opts.turnDeps,
        ...(options.signal !== undefined ? { signal: options.signal } : {}),
        ...(options.onEvent !== undefined ? { onEvent: options.onEvent } : {}),
      },
    );
    this.conversation = [...this.conversation, ...result.messages];
    this.last = result;
    return result;
  }

  /**
   * `\retry`: drops the last turn (from the last user message) and sends that message again, with
   * the seed moved on by the number of regenerations so far (else the same seed gives the same reply).
   */
  async retryLast(options: SendOptions = {}): Promise<TurnResult> {
    let lastUser = -1;
    for (let msgIdx = this.conversation.length - 1; msgIdx >= 0 && lastUser < 0; msgIdx--) if (this.conversation[msgIdx].role === 'user') lastUser = msgIdx;
    if (lastUser < 0) throw new ChatError('\\retry: there is no reply to regenerate yet');
    const kept = this.conversation;
    const text = kept[lastUser].content;
    this.conversation = kept.slice(0, lastUser);
    this.regenerations++;
    try {
      return await this.run(text, options, this.regenerations);
    } catch (err) {
      this.conversation = kept;
      throw err;
    }
  }

  /** `\new`: an empty conversation; settings stay. */
  reset(): void {
    this.conversation = [];
    this.last = null;
  }

  snapshot(): SavedConversation {
    const s = this.settings;
    return { settings: { reasoningEffort: s.reasoningEffort, system: s.system, instructions: s.instructions }, messages: this.conversation };
  }

  async save(file: string): Promise<void> {
    await saveConversation(file, this.snapshot(), (this.opts.now ?? (() => new Date()))());
  }

  /** Replaces the conversation (and its reasoning effort / system / instructions) with a file's. */
  async load(file: string): Promise<SavedConversation> {
    const saved = await loadConversation(file);
    this.restore(saved);
    return saved;
  }

  restore(saved: SavedConversation): void {
    const patch: SettingsPatch = { ...this.sessionPatch };
    for (const key of ['reasoningEffort', 'system', 'instructions'] as const) {
      const value = saved.settings[key];
      if (value !== undefined) Object.assign(patch, { [key]: value });
    }
    this.sessionPatch = patch;
    this.conversation = [...saved.messages];
    this.last = null;
  }
}
