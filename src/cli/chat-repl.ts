// The input loops of `wgh chat`: the interactive terminal (readline) and --prompts FILE. Both feed
// the same InputAssembler and ChatDriver, so a prompts file can use commands, `\` continuations and
// `\\` blocks exactly like typed input. Ctrl-C stops the reply being generated; a second Ctrl-C
// (with nothing typed in between) quits. Quitting returns to the caller, which writes the run's
// artifacts (report.md, charts, queued logs); nothing here calls process.exit on the way.

import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import chalk from 'chalk';
import { WghError, ConfigError } from '../errors.js';
import { executeCommand } from '../chat/commands.js';
import { InputAssembler, parseCommandText, promptFileLines, type InputResult } from '../chat/input.js';
import type { ChatSession, SendOptions } from '../chat/session.js';
import type { TurnResult } from '../chat/turn.js';
import type { TerminalSink } from './terminal/markdown.js';
import { TurnRenderer } from './terminal/turn-renderer.js';

const PROMPTS = { normal: '› ', continuation: '… ', block: '│ ' } as const;

export class ChatDriver {
  private controller: AbortController | null = null;

  constructor(
    readonly session: ChatSession,
    private readonly sink: TerminalSink,
    private readonly renderMarkdown: (markdown: string) => string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  get busy(): boolean {
    return this.controller !== null;
  }

  /** Stops the reply being generated; false when none is. */
  abort(): boolean {
    if (this.controller === null) return false;
    this.controller.abort();
    return true;
  }

  private renderer(): TurnRenderer {
    return new TurnRenderer({ sink: this.sink, renderMarkdown: this.renderMarkdown, showReasoning: this.session.settings.showReasoning });
  }

  /** Handles one complete input. */
  async handle(input: InputResult): Promise<'quit' | 'continue'> {
    if (input.kind === 'message') await this.turn((opts) => this.session.send(input.text, opts));
    else if (input.kind === 'command') {
      const result = await executeCommand(this.session, input.name, input.args, this.now());
      if (result.kind === 'quit') return 'quit';
      if (result.kind === 'retry') await this.turn((opts) => this.session.retryLast(opts));
      else this.renderer().printBlocks(result.blocks);
    }
    return 'continue';
  }

  private async turn(run: (opts: SendOptions) => Promise<TurnResult>): Promise<void> {
    const renderer = this.renderer();
    this.controller = new AbortController();
    try {
      const result = await run({ signal: this.controller.signal, onEvent: (event) => renderer.onEvent(event) });
      renderer.finish(result);
    } catch (err) {
      renderer.finish(null);
      if (!(err instanceof WghError)) throw err;
      renderer.printBlocks([{ style: 'error', text: err.message }]);
    } finally {
      this.controller = null;
    }
  }
}

/** The interactive loop; returns when the user quits (\quit, Ctrl-D, Ctrl-C twice). */
export async function runInteractive(driver: ChatDriver, input: NodeJS.ReadableStream, output: NodeJS.WritableStream & { isTTY?: boolean }, terminal: boolean): Promise<void> {
  const rl = createInterface({ input, output, terminal, historySize: 500, prompt: PROMPTS.normal });
  const assembler = new InputAssembler();
  let armedQuit = false;
  let quitting = false;
  const prompt = () => {
    rl.setPrompt(PROMPTS[assembler.mode]);
    rl.prompt();
  };
  const quit = () => {
    quitting = true;
    driver.abort();
    rl.close();
  };
  rl.on('SIGINT', () => {
    if (driver.busy) {
      if (armedQuit) return quit();
      driver.abort();
      armedQuit = true;
      return;
    }
    if (rl.line.length > 0 || assembler.mode !== 'normal') {
      assembler.reset();
      rl.write(null, { ctrl: true, name: 'e' });
      rl.write(null, { ctrl: true, name: 'u' });
      output.write('^C\n');
      armedQuit = false;
      return prompt();
    }
    if (armedQuit) return quit();
    armedQuit = true;
    output.write(chalk.dim('\n(press Ctrl-C again to quit, or type \\quit)\n'));
    prompt();
  });
  prompt();
  for await (const line of rl) {
    armedQuit = false;
    const result = assembler.push(line);
    if (result.kind !== 'pending' && (await driver.handle(result)) === 'quit') break;
    if (quitting) break;
    prompt();
  }
  rl.close();
}

/** How a --prompts run ended: every input was handled (or \quit), or Ctrl-C stopped it. */
export type PromptFileEnd = 'done' | 'interrupted';

/** Ctrl-C presses after the one that stopped a --prompts run that leave at once (exit 130, no report). */
const FORCE_QUIT_INTERRUPTS = 2;
/**
 * A second Ctrl-C this soon after the first stops the run even if the first one's reply has ended
 * meanwhile: a double press means "quit", and would otherwise just stop the next reply.
 */
export const SECOND_INTERRUPT_WINDOW_MS = 2000;

/**
 * --prompts FILE: every input through the same path, echoed like a transcript; then returns.
 * Ctrl-C stops the reply being generated and the run goes on with the next input; a second Ctrl-C
 * (during that reply or within SECOND_INTERRUPT_WINDOW_MS), or one between replies, stops the run:
 * the loop ends and this returns 'interrupted', so the caller still writes the artifacts of the
 * turns done, then exits with 130. Only if the run does not stop (a client that ignores the abort)
 * do further presses exit at once. `nowMs`: a millisecond clock (tests inject one).
 */
export async function runPromptFile(driver: ChatDriver, file: string, sink: TerminalSink, nowMs: () => number = () => performance.now()): Promise<PromptFileEnd> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`--prompts: cannot read '${file}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  const { lines, json } = promptFileLines(text);
  const assembler = new InputAssembler();
  let interrupts = 0;
  let lastInterruptMs = Number.NEGATIVE_INFINITY;
  let stopped = false;
  let interruptsAfterStop = 0;
  const onSigint = () => {
    if (stopped) {
      // Last resort: exit at once, without the report.
      if (++interruptsAfterStop >= FORCE_QUIT_INTERRUPTS) process.exit(130);
      return;
    }
    const now = nowMs();
    const again = interrupts > 0 || now - lastInterruptMs <= SECOND_INTERRUPT_WINDOW_MS;
    [interrupts, lastInterruptMs] = [interrupts + 1, now];
    if (!driver.abort() || again) stopped = true;
  };
  process.on('SIGINT', onSigint);
  try {
    for (const line of lines) {
      if (stopped) break;
      sink.write(`${chalk.bold(PROMPTS[json ? 'normal' : assembler.mode])}${line}\n`);
      const command = json ? parseCommandText(line) : null;
      const result: InputResult = json ? (command !== null ? { kind: 'command', ...command } : { kind: 'message', text: line }) : assembler.push(line);
      if (result.kind === 'pending') continue;
      if ((await driver.handle(result)) === 'quit') return stopped ? 'interrupted' : 'done';
      interrupts = 0;
    }
    if (stopped) return 'interrupted';
    if (assembler.mode !== 'normal') sink.write(chalk.yellow(`warning: ${file} ends inside a ${assembler.mode === 'block' ? '\\\\ block' : 'continued line'}; that input was not sent\n`));
    return 'done';
  } finally {
    process.off('SIGINT', onSigint);
  }
}
