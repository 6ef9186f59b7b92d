// Drives a program in a real terminal: a private tmux server (its own socket, so tests never touch
// anyone else's tmux) with one window of a fixed size. Keys go in with send-keys; the screen (and
// its scroll-back) comes out with capture-pane, optionally with colour escapes.
// The program runs under `sh`, which prints `[exit N]` when it ends: tmux 3.3 sometimes leaves an
// exited pane process unreaped (a zombie, pane not marked dead), so the marker is what we wait for.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const POLL_MS = 100;
const EXIT_MARKER = '[exit ';
const TMUX = process.env.TMUX_BIN ?? 'tmux';
/** tmux calls are synchronous: one that wedges must fail the test, not block the worker for ever. */
const TMUX_CALL_TIMEOUT_MS = 20_000;

export interface TmuxOptions {
  readonly cwd: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly width?: number;
  readonly height?: number;
}

export class TmuxSession {
  private constructor(private readonly socket: string) {}

  /** Starts `argv` in a new detached session (the pane stays after the program exits). */
  static start(argv: readonly string[], opts: TmuxOptions): TmuxSession {
    const dir = mkdtempSync(join(tmpdir(), 'wgh-tmux-'));
    const conf = join(dir, 'tmux.conf');
    writeFileSync(conf, 'set -g remain-on-exit on\nset -g history-limit 20000\nset -g status off\n');
    const socket = `wgh-test-${process.pid}-${Math.floor(Math.random() * 1e9)}`;
    const env = Object.entries({ TERM: 'xterm-256color', ...opts.env }).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    // The pane is a user's terminal: CI markers of the machine running the tests (CI=true turns chalk's
    // colours off) and colour overrides are not passed on.
    const wrapped = ['env', '-u', 'CI', '-u', 'FORCE_COLOR', '-u', 'NO_COLOR', 'sh', '-c', `"$@"; status=$?; echo; echo "${EXIT_MARKER}$status]"`, 'sh', ...argv];
    execFileSync(TMUX, ['-L', socket, '-f', conf, 'new-session', '-d', '-s', 'main', '-x', String(opts.width ?? 100), '-y', String(opts.height ?? 40), '-c', opts.cwd, ...env, '--', ...wrapped], { timeout: TMUX_CALL_TIMEOUT_MS, killSignal: 'SIGKILL' });
    return new TmuxSession(socket);
  }

  private tmux(args: readonly string[]): string {
    return execFileSync(TMUX, ['-L', this.socket, ...args], { encoding: 'utf8', timeout: TMUX_CALL_TIMEOUT_MS, killSignal: 'SIGKILL' });
  }

  /** Types text literally (no key names). */
  type(text: string): void {
    this.tmux(['send-keys', '-t', 'main', '-l', text]);
  }

  /** Sends key names: 'Enter', 'C-c', 'C-d', … */
  keys(...names: string[]): void {
    this.tmux(['send-keys', '-t', 'main', ...names]);
  }

  /** Types a line and presses Enter. */
  line(text: string): void {
    this.type(text);
    this.keys('Enter');
  }

  /** The whole scroll-back and screen; with `escapes`, SGR colour codes are kept. */
  capture(escapes = false): string {
    return this.tmux(['capture-pane', '-p', '-J', '-t', 'main', '-S', '-', ...(escapes ? ['-e'] : [])]);
  }

  /** The program's exit status once it has ended (128 + n when killed by signal n), else null. */
  exitStatus(): number | null {
    const match = /^\[exit (\d+)\]$/m.exec(this.capture());
    return match === null ? null : Number(match[1]);
  }

  /** Waits until the screen matches; returns the capture. Throws with the screen on timeout. */
  async waitFor(pattern: RegExp | string, timeoutMs = 30_000, count = 1): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = this.capture();
      const matches = typeof pattern === 'string' ? screen.split(pattern).length - 1 : (screen.match(new RegExp(pattern.source, `${pattern.flags.replace('g', '')}g`)) ?? []).length;
      if (matches >= count) return screen;
      if (Date.now() > deadline) throw new Error(`tmux: timed out waiting for ${String(pattern)} (×${count}); screen:\n${screen}`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  async waitForExit(timeoutMs = 30_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = this.exitStatus();
      if (status !== null) return status;
      if (Date.now() > deadline) throw new Error(`tmux: the program did not exit; screen:\n${this.capture()}`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /** Ends this test's tmux server (only ours: it has its own socket). */
  kill(): void {
    try {
      this.tmux(['kill-server']);
    } catch {
      // already gone
    }
  }
}
