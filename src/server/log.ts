// The server's log: one line per event on stderr (`wgh serve: req#3 …`), injectable for tests.

export interface ServerLogger {
  info(line: string): void;
  warn(line: string): void;
}

export function stderrLogger(prefix = 'wgh serve'): ServerLogger {
  return {
    info: (line) => process.stderr.write(`${prefix}: ${line}\n`),
    warn: (line) => process.stderr.write(`${prefix}: warning: ${line}\n`),
  };
}

export const silentLogger: ServerLogger = { info: () => undefined, warn: () => undefined };

/** Keeps every line (tests). */
export class MemoryLogger implements ServerLogger {
  readonly lines: string[] = [];
  info(line: string): void {
    this.lines.push(line);
  }
  warn(line: string): void {
    this.lines.push(`warning: ${line}`);
  }
}
