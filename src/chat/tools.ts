// The tool runner: executes a model's function call with a time limit and returns text for the tool
// message that goes back to the model. Failures (unknown tool, bad JSON arguments, a missing
// required argument, a crash, a timeout) are returned as `{"error": "…"}` text, never thrown, so
// the model can read them and the turn goes on.

import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import type { ToolCall } from '../harmony/tool-calls.js';
import type { ToolDescription } from '../harmony/types.js';
import type { ToolSpec } from './tool-specs.js';

export interface ToolOutcome {
  readonly ok: boolean;
  /** What the model reads (the tool's output, or an `{"error": …}` object). */
  readonly output: string;
  readonly ms: number;
}

export interface ToolExecutor {
  /** What the developer message declares. */
  readonly descriptions: readonly ToolDescription[];
  run(call: ToolCall, options?: { readonly signal?: AbortSignal }): Promise<ToolOutcome>;
}

/** Longest tool output handed back to the model. */
export const MAX_TOOL_OUTPUT_CHARS = 16_384;

type ToolFunction = (args: Record<string, unknown>, context: { signal: AbortSignal }) => unknown;

export interface ToolRunnerOptions {
  /** Time limit of a tool without its own `timeoutMs`; a function to follow a setting that may change. */
  readonly defaultTimeoutMs: number | (() => number);
  readonly now?: () => number;
}

export function toolError(message: string): string {
  return JSON.stringify({ error: message });
}

function clip(text: string): string {
  return text.length > MAX_TOOL_OUTPUT_CHARS ? `${text.slice(0, MAX_TOOL_OUTPUT_CHARS)}\n[… ${text.length - MAX_TOOL_OUTPUT_CHARS} characters cut]` : text;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses the model's argument text and checks the schema's required keys. Returns an error text or the object. */
export function parseToolArguments(spec: ToolDescription, text: string): Record<string, unknown> | string {
  let args: unknown;
  try {
    args = text.trim() === '' ? {} : JSON.parse(text);
  } catch (err) {
    return `arguments are not valid JSON (${(err as Error).message})`;
  }
  if (!isRecord(args)) return 'arguments must be a JSON object';
  const schema = spec.parameters;
  const required = isRecord(schema) && Array.isArray(schema['required']) ? (schema['required'] as unknown[]) : [];
  const missing = required.filter((key): key is string => typeof key === 'string' && !(key in args));
  if (missing.length > 0) return `missing required argument(s): ${missing.join(', ')}`;
  return args;
}

export class ToolRunner implements ToolExecutor {
  readonly descriptions: readonly ToolDescription[];
  private readonly byName: ReadonlyMap<string, ToolSpec>;
  private readonly modules = new Map<string, Promise<ToolFunction>>();
  private readonly now: () => number;

  constructor(
    specs: readonly ToolSpec[],
    private readonly opts: ToolRunnerOptions,
  ) {
    this.byName = new Map(specs.map((spec) => [spec.name, spec]));
    this.descriptions = specs.map(({ name, description, parameters }) => ({ name, description, ...(parameters !== undefined ? { parameters } : {}) }));
    this.now = opts.now ?? (() => performance.now());
  }

  async run(call: ToolCall, options: { readonly signal?: AbortSignal } = {}): Promise<ToolOutcome> {
    const start = this.now();
    const done = (ok: boolean, output: string): ToolOutcome => ({ ok, output: clip(output), ms: this.now() - start });
    if (call.type !== 'function') return done(false, toolError(`builtin tool ${call.builtin.namespace} is not available in this chat`));
    const spec = this.byName.get(call.function.name);
    if (spec === undefined) {
      const known = [...this.byName.keys()].join(', ') || 'none';
      return done(false, toolError(`unknown tool '${call.function.name}' (available: ${known})`));
    }
    const args = parseToolArguments(spec, call.function.arguments);
    if (typeof args === 'string') return done(false, toolError(args));
    const fallback = this.opts.defaultTimeoutMs;
    const timeoutMs = spec.timeoutMs ?? (typeof fallback === 'number' ? fallback : fallback());
    const controller = new AbortController();
    const onAbort = () => controller.abort(new Error('cancelled'));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => controller.abort(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    try {
      const output = spec.command !== undefined ? await runCommand(spec, args, controller.signal) : await this.runModule(spec, args, controller.signal);
      return done(true, output);
    } catch (err) {
      const reason = controller.signal.aborted ? (controller.signal.reason as Error).message : (err as Error).message;
      return done(false, toolError(`${spec.name}: ${reason}`));
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  private async runModule(spec: ToolSpec, args: Record<string, unknown>, signal: AbortSignal): Promise<string> {
    const path = spec.module as string;
    let loaded = this.modules.get(path);
    if (loaded === undefined) {
      loaded = import(pathToFileURL(path).href).then((mod: Record<string, unknown>) => {
        const fn = mod['default'] ?? mod['run'];
        if (typeof fn !== 'function') throw new Error(`module ${path} exports no default or run function`);
        return fn as ToolFunction;
      });
      this.modules.set(path, loaded);
    }
    const fn = await loaded;
    const aborted = new Promise<never>((_, reject) => {
      if (signal.aborted) reject(signal.reason);
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
    const value = await Promise.race([Promise.resolve(fn(args, { signal })), aborted]);
    return typeof value === 'string' ? value : JSON.stringify(value ?? null);
  }
}

/** Runs a command tool: arguments JSON on stdin, the result on stdout; killed on abort. */
function runCommand(spec: ToolSpec, args: Record<string, unknown>, signal: AbortSignal): Promise<string> {
  const argv = spec.command as readonly string[];
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const child = spawn(argv[0], argv.slice(1), { cwd: spec.cwd, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, WGH_TOOL_NAME: spec.name } });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let outBytes = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes <= MAX_TOOL_OUTPUT_CHARS * 4) stdout.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    const kill = () => child.kill('SIGKILL');
    signal.addEventListener('abort', kill, { once: true });
    child.on('error', (err) => {
      signal.removeEventListener('abort', kill);
      reject(new Error(`cannot start '${argv[0]}': ${err.message}`));
    });
    child.on('close', (code, killedBy) => {
      signal.removeEventListener('abort', kill);
      if (signal.aborted) return reject(signal.reason);
      const out = Buffer.concat(stdout).toString('utf8').trim();
      if (code === 0) return resolve(out);
      const err = Buffer.concat(stderr).toString('utf8').trim().split('\n').slice(-3).join(' ');
      reject(new Error(`exited with ${code ?? killedBy}${err ? `: ${err}` : ''}`));
    });
    child.stdin.on('error', () => undefined); // the tool may exit before reading its input
    child.stdin.end(JSON.stringify(args));
  });
}
