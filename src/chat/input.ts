// Turning typed lines into messages and commands (the same path for the terminal and --prompts):
//   a line                    one message
//   a line ending in `\`      continues on the next line (the `\` is dropped, a newline kept)
//   a line `\\`               starts a block; the next `\\` line ends it (nothing inside is a command)
//   `\name args`              a command (`\help`), args may continue over `\` lines too

export type InputMode = 'normal' | 'continuation' | 'block';

export type InputResult =
  | { readonly kind: 'pending'; readonly mode: 'continuation' | 'block' }
  | { readonly kind: 'empty' }
  | { readonly kind: 'message'; readonly text: string }
  | { readonly kind: 'command'; readonly name: string; readonly args: string };

const BLOCK_MARKER = '\\\\';
const COMMAND = /^\\([A-Za-z][\w-]*)(?:\s+([\s\S]*))?$/;

export function parseCommandText(text: string): { name: string; args: string } | null {
  const match = COMMAND.exec(text.trim());
  return match === null ? null : { name: match[1].toLowerCase(), args: (match[2] ?? '').trim() };
}

export class InputAssembler {
  private lines: string[] = [];
  private state: InputMode = 'normal';

  get mode(): InputMode {
    return this.state;
  }

  reset(): void {
    this.lines = [];
    this.state = 'normal';
  }

  push(line: string): InputResult {
    const clean = line.replace(/\r$/, '');
    if (this.state === 'block') {
      if (clean.trim() === BLOCK_MARKER) return this.complete(false);
      this.lines.push(clean);
      return { kind: 'pending', mode: 'block' };
    }
    if (clean.trim() === BLOCK_MARKER) {
      this.state = 'block';
      return { kind: 'pending', mode: 'block' };
    }
    if (clean.endsWith('\\')) {
      this.lines.push(clean.slice(0, -1));
      this.state = 'continuation';
      return { kind: 'pending', mode: 'continuation' };
    }
    this.lines.push(clean);
    return this.complete(true);
  }

  private complete(commandsAllowed: boolean): InputResult {
    const text = this.lines.join('\n');
    this.reset();
    if (text.trim().length === 0) return { kind: 'empty' };
    const command = commandsAllowed ? parseCommandText(text) : null;
    return command !== null ? { kind: 'command', ...command } : { kind: 'message', text };
  }
}

/** The inputs of a --prompts file: a JSON array of strings, or one input per line (through InputAssembler rules). */
export function promptFileLines(text: string): { readonly lines: readonly string[]; readonly json: boolean } {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      return { lines: text.split('\n'), json: false };
    }
    if (Array.isArray(parsed) && parsed.every((item) => typeof item === 'string')) return { lines: parsed as string[], json: true };
  }
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return { lines, json: false };
}
