// Runs the built `wgh` CLI (dist/src/cli/main.js; `npm run build` first) as a child process.
//
//   const { code, stdout, stderr } = await runCli(['harmony', 'render', '--input', '-'], { input: json });

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI_ENTRY = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');

export interface RunCliOptions {
  /** Written to the child's stdin, which is then closed (stdin is closed at once without it). */
  readonly input?: string | Uint8Array;
  /** Extra environment variables, on top of this process's environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Working directory; default the repository root. */
  readonly cwd?: string;
  /** Kill the child after this long (SIGKILL; code is then null). Default 60 s. */
  readonly timeoutMs?: number;
}

export interface CliResult {
  /** Exit code, or null when the process was killed by a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runCli(args: readonly string[], options: RunCliOptions = {}): Promise<CliResult> {
  if (!existsSync(CLI_ENTRY)) {
    return Promise.reject(new Error(`runCli: ${CLI_ENTRY} does not exist; run \`npm run build\` first`));
  }
  return runCommand(process.execPath, [CLI_ENTRY, ...args], options);
}

/** Runs any program the way runCli runs the CLI (same options, same result). */
export function runCommand(command: string, args: readonly string[], options: RunCliOptions = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? REPO_ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    let settled = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(afterExit);
      resolvePromise({ code, signal, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') });
    };
    // 'close' waits for the pipes too; a grandchild that kept them open must not hold the test.
    let afterExit: NodeJS.Timeout | undefined;
    child.on('exit', (code, signal) => {
      afterExit = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        finish(code, signal);
      }, 5000);
    });
    child.on('error', (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => finish(code, signal));
    child.stdin.on('error', () => {
      // The child may exit before reading its input (e.g. on a usage error); that is not our failure.
    });
    child.stdin.end(options.input);
  });
}
