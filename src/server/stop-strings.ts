// `stop` strings on decoded answer text: the generation stops when the text contains one, and the
// text is cut before it. While streaming, the tail that could still become a stop string is held
// back (never sent and then retracted).
//
//   const matcher = new StopMatcher(['\n\n', 'END']);
//   const { emit, stopped } = matcher.push(delta);   // send `emit`; on `stopped`, cancel the generation
//   send(matcher.flush());                           // at the end: what was held back

export class StopMatcher {
  private held = '';
  private done = false;

  constructor(private readonly stops: readonly string[]) {}

  get active(): boolean {
    return this.stops.length > 0;
  }

  get stopped(): boolean {
    return this.done;
  }

  push(text: string): { readonly emit: string; readonly stopped: boolean } {
    if (this.done) return { emit: '', stopped: true };
    if (this.stops.length === 0) return { emit: text, stopped: false };
    const buffer = this.held + text;
    let cut = -1;
    for (const stop of this.stops) {
      const idx = buffer.indexOf(stop);
      if (idx >= 0 && (cut < 0 || idx < cut)) cut = idx;
    }
    if (cut >= 0) {
      this.done = true;
      this.held = '';
      return { emit: buffer.slice(0, cut), stopped: true };
    }
    const keep = this.partialTail(buffer);
    this.held = buffer.slice(buffer.length - keep);
    return { emit: buffer.slice(0, buffer.length - keep), stopped: false };
  }

  /** The held-back text (call when the generation ended without a stop string). */
  flush(): string {
    const out = this.held;
    this.held = '';
    return out;
  }

  /** Length of the longest suffix of `buffer` that is a proper prefix of a stop string. */
  private partialTail(buffer: string): number {
    let best = 0;
    for (const stop of this.stops) {
      for (let len = Math.min(stop.length - 1, buffer.length); len > best; len--) {
        if (buffer.endsWith(stop.slice(0, len))) {
          best = len;
          break;
        }
      }
    }
    return best;
  }
}
