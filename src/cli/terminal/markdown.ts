// Markdown for the terminal, streamed. Text arrives in small deltas; it is cut into blocks
// (paragraphs, lists, tables: separated by a blank line; fenced code: up to its closing fence) and
// each finished block is rendered with marked + marked-terminal. On a TTY the block being written
// is shown raw as it streams and replaced by its rendering once it is finished (cursor up, clear);
// elsewhere (pipes, --prompts into a file) only rendered blocks are written.

import { Marked } from 'marked';
import { markedTerminal } from 'marked-terminal';
import { countRows } from './width.js';

const FENCE = /^\s{0,3}(```|~~~)/;
const CURSOR_UP = (rows: number) => (rows > 0 ? `\x1b[${rows}A` : '');
const CLEAR_TO_END = '\x1b[J';
/** Keep the raw preview instead of replacing it when it is this close to the screen height. */
const SCREEN_MARGIN_ROWS = 2;

export interface MarkdownRendererOptions {
  readonly columns: number;
}

/** Renders one Markdown block to terminal text (no trailing newline). */
export function createMarkdownRenderer(opts: MarkdownRendererOptions): (markdown: string) => string {
  const marked = new Marked().use(markedTerminal({ width: opts.columns, reflowText: true, tab: 2, showSectionPrefix: false }));
  return (markdown) => {
    const out = marked.parse(markdown, { async: false });
    return (typeof out === 'string' ? out : markdown).replace(/\n+$/, '');
  };
}

export interface TerminalSink {
  write(text: string): void;
  readonly live: boolean;
  readonly columns: number;
  readonly rows: number;
}

export class MarkdownStream {
  private pending = '';
  private shown = '';
  private blocks = 0;

  constructor(
    private readonly sink: TerminalSink,
    private readonly render: (markdown: string) => string,
  ) {}

  push(text: string): void {
    this.pending += text;
    for (let cut = this.blockEnd(); cut > 0; cut = this.blockEnd()) {
      const block = this.pending.slice(0, cut);
      this.pending = this.pending.slice(cut).replace(/^\n+/, '');
      this.emit(block);
    }
    if (this.sink.live && this.pending.length > this.shown.length) {
      const fresh = this.pending.slice(this.shown.length);
      if (this.shown.length === 0) this.separate();
      this.sink.write(fresh);
      this.shown = this.pending;
    }
  }

  /** Renders what is left. */
  end(): void {
    if (this.pending.trim().length > 0) this.emit(this.pending);
    else this.erasePreview();
    this.pending = '';
    this.shown = '';
  }

  /** Index just past a finished block at the start of `pending`, or 0. */
  private blockEnd(): number {
    let inFence = false;
    let hasContent = false;
    let lineStart = 0;
    for (let nl = this.pending.indexOf('\n'); nl >= 0; nl = this.pending.indexOf('\n', lineStart)) {
      const line = this.pending.slice(lineStart, nl);
      lineStart = nl + 1;
      if (FENCE.test(line)) {
        if (inFence) return lineStart; // a closed code fence is a block of its own
        if (hasContent) return nl - line.length; // text before a fence ends there
        inFence = true;
      } else if (!inFence && line.trim().length === 0 && hasContent) return lineStart;
      if (line.trim().length > 0) hasContent = true;
    }
    return 0;
  }

  private separate(): void {
    if (this.blocks > 0) this.sink.write('\n');
  }

  private erasePreview(): void {
    if (!this.sink.live || this.shown.length === 0) return;
    const rows = countRows(this.shown, this.sink.columns);
    if (rows >= this.sink.rows - SCREEN_MARGIN_ROWS) {
      this.sink.write('\n'); // scrolled past the top: leave the raw text
    } else this.sink.write(`\r${CURSOR_UP(rows - 1)}${CLEAR_TO_END}`);
  }

  private emit(block: string): void {
    const previewed = this.shown.length > 0;
    const tooTall = previewed && countRows(this.shown, this.sink.columns) >= this.sink.rows - SCREEN_MARGIN_ROWS;
    this.erasePreview();
    this.shown = '';
    if (!previewed) this.separate();
    if (!tooTall) this.sink.write(`${this.render(block)}\n`);
    this.blocks++;
  }
}
