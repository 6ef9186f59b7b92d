// A terminal progress bar for long byte-counting operations (model load, create-test-model):
//   loading  [##########··········]  48%  6.20/12.9 GB  2.41 GB/s  ETA 3s
// On a TTY it redraws one line in place, at most every `minIntervalMs` (10 Hz by default). When the
// stream is not a TTY (CI logs, pipes) it writes a plain line every `plainIntervalMs` (or nothing,
// with `plainIntervalMs: Infinity`) and one at the end, so logs stay short.

/** The slice of a writable stream we use (process.stderr in practice; fakes in tests). */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface ProgressBarOptions {
  /** Shown before the bar, e.g. "loading". */
  readonly label: string;
  /** Total bytes; 0 or less shows no percentage/ETA. */
  readonly totalBytes: number;
  readonly stream?: ProgressStream;
  /** Clock in milliseconds (injected in tests). Default performance.now. */
  readonly now?: () => number;
  /** Least time between TTY redraws. Default 100 ms (10 Hz). */
  readonly minIntervalMs?: number;
  /** Least time between plain lines when not a TTY. Default 10 s; Infinity = only the final line. */
  readonly plainIntervalMs?: number;
}

const DEFAULT_MIN_INTERVAL_MS = 100;
const DEFAULT_PLAIN_INTERVAL_MS = 10_000;
const BAR_WIDTH = 20;
/** Below this terminal width the bar itself is dropped and only the numbers are shown. */
const MIN_COLUMNS_FOR_BAR = 70;
const MS_PER_S = 1000;
const PERCENT = 100;
const CLEAR_TO_END_OF_LINE = '\x1b[K';
const UNITS: readonly [number, string][] = [
  [1e9, 'GB'],
  [1e6, 'MB'],
  [1e3, 'kB'],
];

/** 1234567 → "1.23 MB" (SI units, like the GB/s figures printed next to it). */
export function formatBytes(bytes: number): string {
  for (const [size, unit] of UNITS) {
    if (Math.abs(bytes) >= size) return `${(bytes / size).toFixed(2)} ${unit}`;
  }
  return `${Math.round(bytes)} B`;
}

const SECONDS_PER_MINUTE = 60;
const SECONDS_PER_HOUR = 3600;

/** 75 → "1m15s". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < SECONDS_PER_MINUTE) return `${s}s`;
  if (s < SECONDS_PER_HOUR) return `${Math.floor(s / SECONDS_PER_MINUTE)}m${String(s % SECONDS_PER_MINUTE).padStart(2, '0')}s`;
  return `${Math.floor(s / SECONDS_PER_HOUR)}h${String(Math.floor((s % SECONDS_PER_HOUR) / SECONDS_PER_MINUTE)).padStart(2, '0')}m`;
}

export class ProgressBar {
  private readonly stream: ProgressStream;
  private readonly now: () => number;
  private readonly startMs: number;
  private readonly tty: boolean;
  private readonly minIntervalMs: number;
  private readonly plainIntervalMs: number;
  private lastDrawMs = Number.NEGATIVE_INFINITY;
  private doneBytes = 0;
  private finished = false;

  constructor(private readonly opts: ProgressBarOptions) {
    this.stream = opts.stream ?? process.stderr;
    this.now = opts.now ?? (() => performance.now());
    this.startMs = this.now();
    this.tty = this.stream.isTTY === true;
    this.minIntervalMs = opts.minIntervalMs ?? DEFAULT_MIN_INTERVAL_MS;
    this.plainIntervalMs = opts.plainIntervalMs ?? DEFAULT_PLAIN_INTERVAL_MS;
    if (!this.tty) this.lastDrawMs = this.startMs; // no line at 0%
  }

  /** Reports bytes done so far (absolute, not a delta). Cheap to call often: drawing is throttled. */
  update(doneBytes: number): void {
    if (this.finished) return;
    this.doneBytes = doneBytes;
    const nowMs = this.now();
    const interval = this.tty ? this.minIntervalMs : this.plainIntervalMs;
    if (nowMs - this.lastDrawMs < interval) return;
    this.lastDrawMs = nowMs;
    this.draw(nowMs);
  }

  /** Draws the final state and ends the line. Idempotent. */
  finish(doneBytes = this.doneBytes): void {
    if (this.finished) return;
    this.doneBytes = doneBytes;
    this.draw(this.now());
    if (this.tty) this.stream.write('\n');
    this.finished = true;
  }

  /** The status text for the current state (no control characters). */
  render(nowMs = this.now()): string {
    const { label, totalBytes } = this.opts;
    const elapsedS = Math.max(nowMs - this.startMs, 0) / MS_PER_S;
    const rate = elapsedS > 0 ? this.doneBytes / elapsedS : 0;
    const parts = [label];
    if (totalBytes > 0) {
      const fraction = Math.min(Math.max(this.doneBytes / totalBytes, 0), 1);
      const wide = !this.tty || (this.stream.columns ?? MIN_COLUMNS_FOR_BAR) >= MIN_COLUMNS_FOR_BAR;
      if (this.tty && wide) {
        const filled = Math.round(fraction * BAR_WIDTH);
        parts.push(`[${'#'.repeat(filled)}${'·'.repeat(BAR_WIDTH - filled)}]`);
      }
      parts.push(`${Math.floor(fraction * PERCENT)}%`.padStart(4), `${formatBytes(this.doneBytes)}/${formatBytes(totalBytes)}`);
    } else {
      parts.push(formatBytes(this.doneBytes));
    }
    parts.push(`${formatBytes(rate)}/s`);
    if (totalBytes > 0 && this.doneBytes < totalBytes) {
      parts.push(`ETA ${rate > 0 ? formatDuration((totalBytes - this.doneBytes) / rate) : '?'}`);
    } else {
      parts.push(`in ${formatDuration(elapsedS)}`);
    }
    return parts.join('  ');
  }

  private draw(nowMs: number): void {
    const text = this.render(nowMs);
    this.stream.write(this.tty ? `\r${text}${CLEAR_TO_END_OF_LINE}` : `${text}\n`);
  }
}
