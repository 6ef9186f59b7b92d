// Display width of terminal text (columns), for wrapping arithmetic: wide East Asian characters and
// most emoji take two columns, combining marks and zero-width characters none, ANSI escapes none,
// and a tab advances to the next multiple of TAB_STOP.

const TAB_STOP = 8;
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07/g;
const ZERO_WIDTH = /[\u0300-\u036f\u200b-\u200f\u2060\ufe00-\ufe0f\u20d0-\u20ff]/u;
const WIDE_RANGES: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f], [0x2e80, 0xa4cf], [0xac00, 0xd7a3], [0xf900, 0xfaff], [0xfe30, 0xfe4f], [0xff00, 0xff60],
  [0xffe0, 0xffe6], [0x1f300, 0x1f64f], [0x1f900, 0x1f9ff], [0x20000, 0x3fffd],
];

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

export function charWidth(ch: string): number {
  const code = ch.codePointAt(0) ?? 0;
  if (code < 0x20 || ZERO_WIDTH.test(ch)) return 0;
  return WIDE_RANGES.some(([lo, hi]) => code >= lo && code <= hi) ? 2 : 1;
}

/** Columns one line (no newline) takes when printed from column 0. */
export function lineWidth(line: string): number {
  let col = 0;
  for (const ch of stripAnsi(line)) col = ch === '\t' ? (Math.floor(col / TAB_STOP) + 1) * TAB_STOP : col + charWidth(ch);
  return col;
}

/** Terminal rows that `text`, printed from column 0, occupies (the cursor's row included). */
export function countRows(text: string, columns: number): number {
  return text.split('\n').reduce((rows, line) => rows + Math.max(1, Math.ceil(lineWidth(line) / Math.max(columns, 1))), 0);
}
