// Shows a chat turn in the terminal as its events arrive: the final answer (and commentary
// preambles) as streamed Markdown, the reasoning dimmed (or collapsed to one line), tool calls and
// their results, retries and resumes as one dim line each. Also prints command output blocks.

import chalk from 'chalk';
import type { OutputBlock } from '../../chat/commands.js';
import type { TurnEvent } from '../../chat/turn.js';
import type { TurnResult } from '../../chat/turn.js';
import type { ClientEvent } from '../../client/types.js';
import { MarkdownStream, type TerminalSink } from './markdown.js';

const MAX_TOOL_OUTPUT_SHOWN = 300;
type Sink = { kind: 'markdown'; stream: MarkdownStream } | { kind: 'reasoning'; chars: number } | { kind: 'hidden'; chars: number } | { kind: 'none' };

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

export interface TurnRendererOptions {
  readonly sink: TerminalSink;
  readonly renderMarkdown: (markdown: string) => string;
  readonly showReasoning: boolean;
}

export class TurnRenderer {
  private current: Sink = { kind: 'none' };
  /** Newlines at the end of what was written (the turn starts on a fresh line). */
  private trailingNewlines = 1;
  private wroteSomething = false;

  constructor(private readonly opts: TurnRendererOptions) {}

  private get atLineStart(): boolean {
    return this.trailingNewlines > 0;
  }

  private write(text: string): void {
    if (text.length === 0) return;
    this.opts.sink.write(text);
    this.wroteSomething = true;
    const trailing = text.length - text.replace(/\n+$/, '').length;
    this.trailingNewlines = trailing === text.length ? this.trailingNewlines + trailing : trailing;
  }

  private line(text: string): void {
    if (!this.atLineStart) this.write('\n');
    this.write(`${text}\n`);
  }

  /** An empty line before what follows, unless nothing was written in this turn yet. */
  private blankLine(): void {
    if (!this.wroteSomething) return;
    while (this.trailingNewlines < 2) this.write('\n');
  }

  onEvent(event: TurnEvent): void {
    switch (event.type) {
      case 'attempt-start':
        if (event.attempt === 1 && event.droppedTurns > 0) this.line(chalk.dim(`(${event.droppedTurns} earlier turn(s) left out to fit the context budget)`));
        if (event.kind === 'retry') this.line(chalk.yellow(`↻ retry (attempt ${event.attempt}): ${event.detail ?? ''}`));
        if (event.kind === 'resume') this.line(chalk.dim(`↪ continuing the reply (attempt ${event.attempt})`));
        return;
      case 'client':
        return this.onClient(event.event);
      case 'tool-result': {
        const text = event.outcome.output.replace(/\s+/g, ' ');
        return this.line(event.outcome.ok ? chalk.dim(`  ↳ ${clip(text, MAX_TOOL_OUTPUT_SHOWN)}`) : chalk.red(`  ↳ ${clip(text, MAX_TOOL_OUTPUT_SHOWN)}`));
      }
      case 'error-retry':
        return this.line(chalk.yellow(`⚠ ${event.message}; retrying in ${event.delayMs} ms`));
      case 'decision':
        if (event.decision.action === 'give-up') this.line(chalk.yellow(`⚠ ${event.decision.detail}`));
        return;
      default:
        return;
    }
  }

  private onClient(event: ClientEvent): void {
    if (event.type === 'message-start') {
      this.endMessage();
      const { channel, recipient } = event.header;
      if (recipient !== undefined) this.current = { kind: 'none' }; // a tool call: shown whole at 'tool-call'
      else if (channel === 'analysis') {
        if (this.opts.showReasoning) {
          this.blankLine();
          this.line(chalk.dim.italic('thinking…'));
          this.current = { kind: 'reasoning', chars: 0 };
        } else this.current = { kind: 'hidden', chars: 0 };
      } else {
        this.blankLine();
        this.current = { kind: 'markdown', stream: new MarkdownStream({ ...this.opts.sink, write: (t) => this.write(t) }, this.opts.renderMarkdown) };
      }
    } else if (event.type === 'delta') {
      const cur = this.current;
      if (cur.kind === 'markdown') cur.stream.push(event.text);
      else if (cur.kind === 'reasoning') {
        cur.chars += event.text.length;
        this.write(chalk.dim(event.text));
      } else if (cur.kind === 'hidden') cur.chars += event.text.length;
    } else if (event.type === 'message-end') this.endMessage();
    else if (event.type === 'tool-call') {
      const call = event.call;
      const args = call.type === 'function' ? call.function.arguments : call.builtin.arguments;
      this.line(chalk.cyan(`⚙ ${event.recipient}(${clip(args.replace(/\s+/g, ' '), MAX_TOOL_OUTPUT_SHOWN)})`));
    }
  }

  private endMessage(): void {
    const cur = this.current;
    if (cur.kind === 'markdown') cur.stream.end();
    else if (cur.kind === 'reasoning' && !this.atLineStart) this.write('\n');
    else if (cur.kind === 'hidden' && cur.chars > 0) this.line(chalk.dim(`▸ reasoning hidden (${cur.chars} characters; \\reasoning on shows it)`));
    this.current = { kind: 'none' };
  }

  /** Closes the turn: flushes the open message and prints how it ended. */
  finish(result: TurnResult | null): void {
    this.endMessage();
    if (result?.cancelled === true) this.line(chalk.yellow('⏹ stopped'));
    else if (result !== null && result.finalText.length === 0 && !result.messages.some((m) => m.role === 'assistant' && m.channel === undefined)) {
      this.line(chalk.dim('(no answer in the final channel)'));
    }
    if (!this.atLineStart) this.write('\n');
  }

  /** Command output. */
  printBlocks(blocks: readonly OutputBlock[]): void {
    for (const block of blocks) {
      if (block.style === 'markdown') this.line(this.opts.renderMarkdown(block.text));
      else if (block.style === 'error') this.line(chalk.red(`error: ${block.text}`));
      else if (block.style === 'user') this.line(chalk.bold.cyan(block.text));
      else if (block.style === 'reasoning') this.line(chalk.dim(block.text));
      else if (block.style === 'tool') this.line(chalk.cyan(block.text));
      else if (block.style === 'dim') this.line(chalk.dim(block.text));
      else this.line(block.text);
    }
  }
}
