// Run artifacts (DESIGN.md "Run directory"), the same for every front end:
//   runs/<YYYYmmdd-HHMMSS>-<id>/logs/<fe>/prompt.full.<turn>.<attempt>.txt      prompt as text, specials as <|…|>
//                                         prompt.tokens.<turn>.<attempt>.json    prompt ids
//                                         completion.tokens.<turn>.<attempt>.json generated ids
//                                         completion.raw.<turn>.<attempt>.txt    generated text, specials as <|…|>
//                                         completion.cleaned.<turn>.<attempt>.txt the answer (final channel)
//                                         parse.channels.<turn>.<attempt>.json   messages, text per channel, tool calls, warnings
//                                         retry.decision.<turn>.<attempt>.json   the retry policy's decision and why
//                              metrics/<fe>/timing.csv (one row per attempt), report.md, *.svg (at finish())
// <fe> is the front end: `cli` or `server`.
//
// Decoding never waits for disk: recordAttempt() is called between attempts, formats the files
// (a few ms, measured per attempt in timing.csv's artifact_ms) and queues the writes, which run on
// libuv's thread pool while the next attempt decodes. flush() waits for them (end of a turn).

import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { GenerationMetrics } from '../generate/types.js';
import type { ClientGenerationParams, Usage } from '../client/types.js';
import { writeReport, type ReportFiles } from './report.js';
import type { RetryDecision } from './retry.js';

export type FrontEnd = 'cli' | 'server';

export const TIMING_COLUMNS = [
  'turn', 'attempt', 'action', 'reason', 'prompt_tokens', 'cached_tokens', 'completion_tokens', 'prefill_s', 'ttft_s',
  'decode_s', 'decode_tps', 'kv_len', 'max_kv_size', 'finish_reason', 'stop_reason', 'loop_detection_mode', 'max_tokens',
  'wall_s', 'artifact_ms',
] as const;

export type TimingRow = Record<(typeof TIMING_COLUMNS)[number], string | number>;

/** The parse.channels.<turn>.<attempt>.json document. */
export interface ParseArtifact {
  readonly messages: readonly unknown[];
  readonly channels: Readonly<Record<string, string>>;
  readonly toolCalls: readonly unknown[];
  readonly warnings: readonly unknown[];
  readonly repetition: readonly unknown[];
}

export interface AttemptArtifact {
  readonly turn: number;
  readonly attempt: number;
  /** How this attempt began: first, retry, resume, or after tool results. */
  readonly kind: string;
  /** The prompt as text; a function is called inside the measured formatting time. */
  readonly promptText: string | (() => string);
  readonly promptIds?: readonly number[];
  readonly completionIds?: readonly number[];
  readonly rawCompletion: string;
  readonly cleaned: string;
  readonly parse: ParseArtifact;
  readonly decision: RetryDecision;
  readonly params: ClientGenerationParams;
  readonly metrics: GenerationMetrics;
  readonly usage: Usage;
  readonly wallSeconds: number;
}

/** What artifact names look like; tests and tools rely on these. */
export const ATTEMPT_FILES = ['prompt.full', 'prompt.tokens', 'completion.tokens', 'completion.raw', 'completion.cleaned', 'parse.channels', 'retry.decision'] as const;
const EXTENSION: Record<(typeof ATTEMPT_FILES)[number], string> = {
  'prompt.full': 'txt', 'prompt.tokens': 'json', 'completion.tokens': 'json', 'completion.raw': 'txt',
  'completion.cleaned': 'txt', 'parse.channels': 'json', 'retry.decision': 'json',
};

export function attemptFileName(kind: (typeof ATTEMPT_FILES)[number], turn: number, attempt: number): string {
  return `${kind}.${turn}.${attempt}.${EXTENSION[kind]}`;
}

const PAD2 = (n: number) => String(n).padStart(2, '0');
const RUN_ID_BYTES = 3;
const DECIMALS = 4;

/** `YYYYmmdd-HHMMSS-<6 hex>` (local time). */
export function makeRunId(date: Date, random: () => Buffer = () => randomBytes(RUN_ID_BYTES)): string {
  const stamp = `${date.getFullYear()}${PAD2(date.getMonth() + 1)}${PAD2(date.getDate())}-${PAD2(date.getHours())}${PAD2(date.getMinutes())}${PAD2(date.getSeconds())}`;
  return `${stamp}-${random().toString('hex')}`;
}

function csvField(value: string | number): string {
  const text = typeof value === 'number' ? (Number.isInteger(value) ? String(value) : value.toFixed(DECIMALS)) : value;
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(values: readonly (string | number)[]): string {
  return `${values.map(csvField).join(',')}\n`;
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export interface RunArtifactsOptions {
  readonly runsDir: string;
  readonly frontEnd: FrontEnd;
  /** Default: makeRunId(now). */
  readonly runId?: string;
  readonly now?: () => Date;
  /** Called when a queued write fails (the run goes on; default: one line on stderr). */
  readonly onError?: (err: unknown) => void;
}

export class RunArtifacts {
  readonly runDir: string;
  readonly logsDir: string;
  readonly metricsDir: string;
  readonly timingFile: string;
  private readonly rows: TimingRow[] = [];
  private queue: Promise<void> = Promise.resolve();
  private formatMs = 0;

  private constructor(
    readonly frontEnd: FrontEnd,
    runDir: string,
    private readonly onError: (err: unknown) => void,
  ) {
    this.runDir = runDir;
    this.logsDir = join(runDir, 'logs', frontEnd);
    this.metricsDir = join(runDir, 'metrics', frontEnd);
    this.timingFile = join(this.metricsDir, 'timing.csv');
  }

  /** Creates the run directory and timing.csv with its header. */
  static async create(opts: RunArtifactsOptions): Promise<RunArtifacts> {
    const runId = opts.runId ?? makeRunId((opts.now ?? (() => new Date()))());
    const onError = opts.onError ?? ((err: unknown) => process.stderr.write(`wgh: artifact write failed: ${(err as Error).message}\n`));
    const run = new RunArtifacts(opts.frontEnd, resolve(opts.runsDir, runId), onError);
    await mkdir(run.logsDir, { recursive: true });
    await mkdir(run.metricsDir, { recursive: true });
    await writeFile(run.timingFile, csvLine(TIMING_COLUMNS));
    return run;
  }

  get timingRows(): readonly TimingRow[] {
    return this.rows;
  }

  /** Milliseconds spent formatting artifacts on the calling thread, in total. */
  get totalFormatMs(): number {
    return this.formatMs;
  }

  /** Formats one attempt's files and queues their writes; returns at once. */
  recordAttempt(a: AttemptArtifact): void {
    const start = performance.now();
    const name = (kind: (typeof ATTEMPT_FILES)[number]) => join(this.logsDir, attemptFileName(kind, a.turn, a.attempt));
    const files: [string, string][] = [
      [name('prompt.full'), typeof a.promptText === 'string' ? a.promptText : a.promptText()],
      [name('prompt.tokens'), json(a.promptIds ?? null)],
      [name('completion.tokens'), json(a.completionIds ?? null)],
      [name('completion.raw'), a.rawCompletion],
      [name('completion.cleaned'), a.cleaned],
      [name('parse.channels'), json(a.parse)],
      [name('retry.decision'), json({ turn: a.turn, ...a.decision, attempt: a.attempt, replyAttempt: a.decision.attempt, attemptKind: a.kind, params: paramsJson(a.params), finishReason: a.metrics.finishReason, stopReason: a.metrics.stopReason })],
    ];
    const m = a.metrics;
    const artifactMs = performance.now() - start;
    this.formatMs += artifactMs;
    const row: TimingRow = {
      turn: a.turn, attempt: a.attempt, action: a.decision.action, reason: a.decision.reason ?? '',
      prompt_tokens: a.usage.promptTokens, cached_tokens: a.usage.cachedTokens, completion_tokens: a.usage.completionTokens,
      prefill_s: m.prefillSeconds, ttft_s: m.ttftSeconds, decode_s: m.decodeSeconds, decode_tps: m.decodeTokensPerSecond,
      kv_len: m.kvLength, max_kv_size: m.maxKvSize, finish_reason: m.finishReason, stop_reason: m.stopReason,
      loop_detection_mode: m.loopDetection, max_tokens: a.params.maxTokens, wall_s: a.wallSeconds, artifact_ms: artifactMs,
    };
    this.rows.push(row);
    const line = csvLine(TIMING_COLUMNS.map((column) => row[column]));
    this.enqueue(async () => {
      await Promise.all(files.map(([path, text]) => writeFile(path, text)));
      await appendFile(this.timingFile, line);
    });
  }

  /**
   * An attempt that produced no result (the client failed): its prompt and the decision, so every
   * decision has its retry.decision file. No timing row (nothing was generated).
   */
  recordFailedAttempt(a: Pick<AttemptArtifact, 'turn' | 'attempt' | 'kind' | 'promptText' | 'decision' | 'params'> & { readonly error: string }): void {
    const name = (kind: (typeof ATTEMPT_FILES)[number]) => join(this.logsDir, attemptFileName(kind, a.turn, a.attempt));
    const files: [string, string][] = [
      [name('prompt.full'), typeof a.promptText === 'string' ? a.promptText : a.promptText()],
      [name('retry.decision'), json({ turn: a.turn, ...a.decision, attempt: a.attempt, replyAttempt: a.decision.attempt, attemptKind: a.kind, params: paramsJson(a.params), error: a.error })],
    ];
    this.enqueue(async () => {
      await Promise.all(files.map(([path, text]) => writeFile(path, text)));
    });
  }

  private enqueue(task: () => Promise<void>): void {
    this.queue = this.queue.then(task).catch((err: unknown) => this.onError(err));
  }

  /** Waits for queued writes. */
  flush(): Promise<void> {
    return this.queue;
  }

  /** Flushes, then writes report.md and the SVG plots into metrics/<fe>/. */
  async finish(): Promise<ReportFiles> {
    await this.flush();
    return writeReport(this.metricsDir, this.rows, { frontEnd: this.frontEnd, runDir: this.runDir, artifactFormatMs: this.formatMs });
  }
}

function paramsJson(p: ClientGenerationParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(p)) out[key] = value instanceof Map ? Object.fromEntries(value) : value;
  return out;
}
