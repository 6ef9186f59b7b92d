// marked-terminal 7 ships no TypeScript types; this is the part we use.
declare module 'marked-terminal' {
  import type { MarkedExtension } from 'marked';
  export function markedTerminal(options?: Readonly<Record<string, unknown>>, highlightOptions?: Readonly<Record<string, unknown>>): MarkedExtension;
}
