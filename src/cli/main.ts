#!/usr/bin/env node
// The `wgh` command: one module per command, each exporting registerXCommand(program).
// Errors from the project's tree (WghError) print as one line on stderr with exit code 1;
// anything else is a bug and keeps its stack trace.

import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { WghError } from '../errors.js';
import { packageRoot } from '../paths.js';
import { registerBenchCommand } from './bench.js';
import { registerChatCommand } from './chat.js';
import { registerCreateTestModelCommand } from './create-test-model.js';
import { registerForwardCommand } from './forward.js';
import { registerGenerateCommand } from './generate.js';
import { registerHarmonyCommand } from './harmony.js';
import { registerInfoCommand } from './info.js';
import { registerProfileCommand } from './profile.js';
import { registerServeCommand } from './serve.js';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
}

export function buildProgram(): Command {
  const program = new Command();
  program.name('wgh').description('gpt-oss on WebGPU: chat, serve, generate, benchmark').version(packageVersion());
  registerCreateTestModelCommand(program);
  registerHarmonyCommand(program);
  registerInfoCommand(program);
  registerForwardCommand(program);
  registerGenerateCommand(program);
  registerChatCommand(program);
  registerBenchCommand(program);
  registerProfileCommand(program);
  registerServeCommand(program);
  return program;
}

export async function main(argv: readonly string[] = process.argv): Promise<void> {
  try {
    await buildProgram().parseAsync([...argv]);
  } catch (err) {
    if (err instanceof WghError) {
      process.stderr.write(`wgh: ${err.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw err;
  }
}

/** True when this file is the program being run (not imported, e.g. by a test). */
function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) await main();
