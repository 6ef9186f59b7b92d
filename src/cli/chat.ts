// `wgh chat`: chat with gpt-oss in the terminal. With no --model it runs the built-in demo model.
//
//   wgh chat [--model DIR | --replay FILE] [--config FILE] [--profile NAME] [--prompts FILE]
//            [--resume FILE] [--max-tokens N] [--temperature T] [--seed S] [--max-attempts N] …
//            (every chat setting has a flag: `wgh chat --help`)
//
// Settings: defaults ← config file ← profile ← flags ← \set in the session. Output: the answer as
// Markdown on stdout; banner, load progress and the artifact summary on stderr. Artifacts go to
// runs/<run-id>/ (DESIGN.md) unless --no-artifacts.

import { randomInt } from 'node:crypto';
import type { Command } from 'commander';
import { RunArtifacts } from '../chat/artifacts.js';
import { EMPTY_CONFIG, loadChatConfig, resolveChatSettings } from '../chat/config.js';
import { ChatSession } from '../chat/session.js';
import { applyPatch, DEFAULT_CHAT_SETTINGS, type SettingsPatch } from '../chat/settings.js';
import { ToolRunner } from '../chat/tools.js';
import { openChatClient } from './chat-client.js';
import { addSettingFlags, checkExclusive, settingsFromFlags } from './chat-options.js';
import { ChatDriver, runInteractive, runPromptFile } from './chat-repl.js';
import { addGpuOptions, type GpuFlags } from './options.js';
import { createMarkdownRenderer, type TerminalSink } from './terminal/markdown.js';

interface ChatFlags extends GpuFlags {
  readonly model?: string;
  readonly server?: string;
  readonly provider?: string;
  readonly fallback?: string[];
  readonly apiKey?: string;
  readonly replay?: string;
  readonly prompts?: string;
  readonly config?: string;
  readonly profile?: string;
  readonly resume?: string;
  readonly quiet?: boolean;
}

/**
 * The demo model (src/model/demo-model.ts) was trained on replies of ≤ ~400 tokens and samples well-formed
 * Harmony at temperature 0.7 (tools/demo-model/README.md); it ignores retry guidance, so one attempt.
 */
export const DEMO_SETTINGS: SettingsPatch = Object.freeze({ maxTokens: 512, maxAttempts: 1, temperature: 0.7 });
/** Random default seeds stay below 2^31 so they are easy to type back with --seed. */
const RANDOM_SEED_LIMIT = 2 ** 31;
const DEFAULT_COLUMNS = 80;
const DEFAULT_ROWS = 24;
const REAL_MODEL_HINT = 'wgh chat --model ~/models/gpt-oss-20b';

export function registerChatCommand(program: Command): void {
  const cmd = program
    .command('chat')
    .description('chat with gpt-oss in the terminal (without --model: the built-in demo model)')
    .option('--model <dir>', 'model directory (Hugging Face layout)')
    .option('--server <url>', 'a wgh serve / OpenAI-compatible server instead of a local model')
    .option('--provider <name>', 'protocol of --server: openai | ollama', 'openai')
    .option('--fallback <url...>', 'more servers to try, in order, when --server fails')
    .option('--api-key <key>', 'API key for --server (or WGH_API_KEY)')
    .option('--replay <file>', 'replay scripted Harmony completions instead of a model (demos, tests)')
    .option('--prompts <file>', 'run these prompts (one per line, or a JSON array) and exit')
    .option('--config <file>', 'JSON config: model, sampling, chat parameters, tools, profiles')
    .option('--profile <name>', 'named preset: performance, deterministic, thorough, or the config file\'s')
    .option('--resume <file>', 'continue a conversation saved with \\save')
    .option('--quiet', 'no banner or progress bar');
  addSettingFlags(addGpuOptions(cmd)).action(async (flags: ChatFlags, command: Command) => runChat(flags, command));
}

function stdoutSink(): TerminalSink {
  const out = process.stdout;
  return {
    write: (text) => void out.write(text),
    live: out.isTTY === true,
    get columns() {
      return out.columns ?? DEFAULT_COLUMNS;
    },
    get rows() {
      return out.rows ?? DEFAULT_ROWS;
    },
  };
}

async function runChat(flags: ChatFlags, command: Command): Promise<void> {
  const config = flags.config !== undefined ? loadChatConfig(flags.config) : EMPTY_CONFIG;
  const flagPatch = settingsFromFlags(command);
  checkExclusive(flags as Record<string, unknown>, ['model', 'server', 'replay']);
  const model = flags.model ?? (flags.server === undefined && flags.replay === undefined ? config.model : undefined);
  const isDemo = model === undefined && flags.server === undefined && flags.replay === undefined;
  // Like `wgh generate`, no seed means a random one; it is shown by \show and kept in the artifacts.
  const base = applyPatch(isDemo ? applyPatch(DEFAULT_CHAT_SETTINGS, DEMO_SETTINGS) : DEFAULT_CHAT_SETTINGS, { seed: randomInt(RANDOM_SEED_LIMIT) });
  const resolved = resolveChatSettings(config, flags.profile, flagPatch, base);
  const log = (line: string) => {
    if (flags.quiet !== true) process.stderr.write(`${line}\n`);
  };

  const opened = await openChatClient({ ...flags, ...(model !== undefined ? { model } : {}) }, resolved.settings, log);
  let artifacts: RunArtifacts | null = null;
  try {
    artifacts = resolved.settings.artifacts ? await RunArtifacts.create({ runsDir: resolved.settings.runsDir, frontEnd: 'cli' }) : null;
    let session: ChatSession | null = null;
    const tools = config.tools.length > 0 ? new ToolRunner(config.tools, { defaultTimeoutMs: () => session?.settings.toolTimeoutMs ?? resolved.settings.toolTimeoutMs }) : null;
    session = new ChatSession({
      client: opened.client, encoding: opened.encoding, tools, artifacts,
      layers: { base, config: config.settings, profile: resolved.profilePatch, flags: flagPatch, ...(resolved.profile !== undefined ? { profileName: resolved.profile } : {}) },
    });
    if (flags.resume !== undefined) await session.load(flags.resume);

    log(`wgh chat · ${opened.about.join(' · ')}`);
    if (opened.isDemo) log(`The demo model is tiny: it adds, subtracts and multiplies two-digit numbers, converts units, spells and reverses words and calls declared tools, and knows nothing else. For real answers: ${REAL_MODEL_HINT}`);
    if (flags.resume !== undefined) log(`resumed ${session.messages.length} messages from ${flags.resume}`);
    log(`${artifacts !== null ? `artifacts: ${artifacts.runDir}` : 'artifacts: off'}${tools !== null ? ` · tools: ${tools.descriptions.map((t) => t.name).join(', ')}` : ''}${resolved.profile !== undefined ? ` · profile: ${resolved.profile}` : ''}`);
    log('\\help lists the commands · Ctrl-C stops a reply · Ctrl-C twice or \\quit leaves');

    const sink = stdoutSink();
    const driver = new ChatDriver(session, sink, createMarkdownRenderer({ columns: Math.min(sink.columns, 120) }));
    if (flags.prompts !== undefined) {
      if ((await runPromptFile(driver, flags.prompts, sink)) === 'interrupted') {
        log('interrupted: the remaining prompts were not sent');
        // Set, not process.exit(): the finally below still writes report.md and the queued artifacts.
        process.exitCode = INTERRUPTED_EXIT_CODE;
      }
    } else await runInteractive(driver, process.stdin, process.stdout, process.stdin.isTTY === true && process.stdout.isTTY === true);
  } finally {
    if (artifacts !== null) {
      const finished = artifacts;
      const files = await whileHoldingCtrlC(() => finished.finish(), () => log(`writing the run artifacts to ${finished.runDir}; Ctrl-C again to leave without them`));
      log(`run artifacts: ${artifacts.runDir} (report: ${files.report})`);
    }
    await opened.client.close();
  }
}

/** 128 + SIGINT, what a shell reports for a program stopped by Ctrl-C. */
const INTERRUPTED_EXIT_CODE = 130;

/**
 * Runs `work` with Ctrl-C held: the first press only calls `onFirst` (Node's default would kill
 * the process with the work half done, e.g. report.md unwritten); a second one exits with 130.
 */
async function whileHoldingCtrlC<T>(work: () => Promise<T>, onFirst: () => void): Promise<T> {
  let presses = 0;
  const onSigint = () => {
    if (++presses > 1) process.exit(INTERRUPTED_EXIT_CODE);
    onFirst();
  };
  process.on('SIGINT', onSigint);
  try {
    return await work();
  } finally {
    process.off('SIGINT', onSigint);
  }
}
