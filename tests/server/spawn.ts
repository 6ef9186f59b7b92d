// Starts the built `wgh serve` (dist/src/cli/main.js; `npm run build` first) as a child process and
// waits for its `listening on URL` line; `ready()` waits for the model (the `ready:` line).
//
//   const srv = await spawnServe(['--model', dir, '--port', '0']);
//   await srv.ready();  … srv.url …  srv.stderr() (the request log) …  await srv.stop();

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CLI_ENTRY, REPO_ROOT } from '../helpers/cli.js';

export interface ServeProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything written to stderr so far (the request log). */
  stderr(): string;
  stdout(): string;
  /** Resolves at the `ready:` line; rejects if the process exits first. */
  ready(): Promise<void>;
  stop(): Promise<void>;
}

// The demo model warms up (compiles its pipelines) in 30–40 s on two busy lavapipe cores.
const START_TIMEOUT_MS = 180_000;

export function spawnServe(args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<ServeProcess> {
  if (!existsSync(CLI_ENTRY)) return Promise.reject(new Error(`spawnServe: ${CLI_ENTRY} does not exist; run \`npm run build\` first`));
  const child = spawn(process.execPath, [CLI_ENTRY, 'serve', ...args], { cwd: REPO_ROOT, env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const exited = new Promise<never>((_, reject) => child.on('exit', (code) => reject(new Error(`wgh serve exited with ${code}:\n${err}`))));
  exited.catch(() => undefined);
  const waitFor = (pattern: RegExp) =>
    Promise.race([
      exited,
      new Promise<RegExpMatchArray>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`wgh serve: no ${pattern} within ${START_TIMEOUT_MS} ms:\n${out}\n${err}`)), START_TIMEOUT_MS);
        const check = () => {
          const match = pattern.exec(out);
          if (match === null) return;
          clearTimeout(timer);
          child.stdout?.off('data', check);
          resolve(match);
        };
        child.stdout?.on('data', check);
        check();
      }),
    ]);
  return waitFor(/listening on (http:\/\/\S+)\n/).then((match) => ({
    url: match[1],
    child,
    stderr: () => err,
    stdout: () => out,
    ready: () => waitFor(/ready: .*\n/).then(() => undefined),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  }));
}
