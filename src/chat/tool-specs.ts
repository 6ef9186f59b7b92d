// Function tools declared in a chat config: what the model sees (name, description, JSON-schema
// parameters, rendered into the developer message as the `functions` namespace) and how to run it:
//   "command": ["node", "calc.mjs"] or "node calc.mjs"   a process; the arguments JSON on stdin, the result on stdout
//   "module":  "time.mjs"                                  an ES module; its default (or `run`) export is called
//                                                          with the arguments object and returns the result

import { ConfigError } from '../errors.js';
import type { JsonValue, ToolDescription } from '../harmony/types.js';

export interface ToolSpec extends ToolDescription {
  /** argv (no shell), already split. */
  readonly command?: readonly string[];
  /** Absolute path of an ES module. */
  readonly module?: string;
  /** Working directory of a command (the config file's folder). */
  readonly cwd: string;
  /** Per-tool time limit; the session's toolTimeoutMs when absent. */
  readonly timeoutMs?: number;
}

const TOOL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TOOL_KEYS = ['name', 'description', 'parameters', 'command', 'module', 'timeoutMs'];
const MAX_TOOL_TIMEOUT_MS = 600_000;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Splits a command line on spaces, honouring simple "double" and 'single' quotes. */
export function splitCommand(line: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (const match of line.matchAll(re)) out.push(match[1] ?? match[2] ?? match[3]);
  return out;
}

export function parseToolSpecs(value: JsonValue | undefined, who: string, baseDir: string): ToolSpec[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new ConfigError(`${who}: 'tools' expected an array of tool declarations`);
  const names = new Set<string>();
  return value.map((raw, toolIdx) => {
    const at = `tools[${toolIdx}]`;
    if (!isRecord(raw)) throw new ConfigError(`${who}: '${at}' expected an object`);
    for (const key of Object.keys(raw)) {
      if (!TOOL_KEYS.includes(key)) throw new ConfigError(`${who}: unknown key '${at}.${key}' (allowed: ${TOOL_KEYS.join(', ')})`);
    }
    const name = raw['name'];
    if (typeof name !== 'string' || !TOOL_NAME.test(name)) {
      throw new ConfigError(`${who}: '${at}.name' expected an identifier (letters, digits, _), got ${JSON.stringify(name)}`);
    }
    if (names.has(name)) throw new ConfigError(`${who}: '${at}.name' '${name}' is declared twice`);
    names.add(name);
    const description = raw['description'] ?? '';
    if (typeof description !== 'string') throw new ConfigError(`${who}: '${at}.description' expected a string`);
    const parameters = raw['parameters'];
    if (parameters !== undefined && (!isRecord(parameters) || parameters['type'] !== 'object')) {
      throw new ConfigError(`${who}: '${at}.parameters' expected a JSON schema with "type": "object"`);
    }
    const command = raw['command'];
    const module = raw['module'];
    if ((command === undefined) === (module === undefined)) {
      throw new ConfigError(`${who}: '${at}' needs exactly one of 'command' (argv array or string) and 'module' (path)`);
    }
    let argv: string[] | undefined;
    if (command !== undefined) {
      argv = typeof command === 'string' ? splitCommand(command) : Array.isArray(command) && command.every((c) => typeof c === 'string') ? [...(command as string[])] : undefined;
      if (argv === undefined || argv.length === 0) throw new ConfigError(`${who}: '${at}.command' expected a non-empty argv array or command string`);
    }
    if (module !== undefined && (typeof module !== 'string' || module.length === 0)) throw new ConfigError(`${who}: '${at}.module' expected a file path`);
    const timeoutMs = raw['timeoutMs'];
    if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_TOOL_TIMEOUT_MS)) {
      throw new ConfigError(`${who}: '${at}.timeoutMs' expected an integer in [1, ${MAX_TOOL_TIMEOUT_MS}], got ${JSON.stringify(timeoutMs)}`);
    }
    return {
      name,
      description,
      ...(parameters !== undefined ? { parameters: parameters as JsonValue } : {}),
      ...(argv !== undefined ? { command: argv } : {}),
      ...(typeof module === 'string' ? { module: resolvePath(module, baseDir) } : {}),
      cwd: baseDir,
      ...(typeof timeoutMs === 'number' ? { timeoutMs } : {}),
    };
  });
}

function resolvePath(path: string, baseDir: string): string {
  return path.startsWith('/') ? path : `${baseDir}/${path}`;
}
