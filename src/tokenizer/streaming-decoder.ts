// Incremental, UTF-8-safe detokenization. A token is a run of bytes that may end in the middle of
// a character (o200k splits emoji and CJK across tokens: id 9552 is the bytes [0x20, 0xF0, 0x9F]).
// push(id) returns only text that is complete; incomplete trailing bytes wait for the next token.
// Invalid sequences become U+FFFD using the WHATWG "maximal subpart" rule (one U+FFFD per maximal
// invalid subpart), which is also what Rust's from_utf8_lossy and openai/harmony's parser produce.

/** What the decoder needs from a tokenizer: the bytes of one id (undefined for an unknown id). */
export interface TokenBytesSource {
  tokenBytes(id: number): Uint8Array | undefined;
}

export const REPLACEMENT_CHARACTER = '\uFFFD';

export class StreamingDecoder {
  private utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

  constructor(private readonly source: TokenBytesSource) {}

  /**
   * Feeds one token id; returns the text completed by it ('' while a character is still open).
   * An id with no bytes (outside 0..201088) flushes any open character as U+FFFD and adds one U+FFFD.
   */
  push(id: number): string {
    const bytes = this.source.tokenBytes(id);
    if (bytes === undefined) return this.flush() + REPLACEMENT_CHARACTER;
    return this.pushBytes(bytes);
  }

  /** Feeds raw bytes (for callers that already hold bytes). */
  pushBytes(bytes: Uint8Array): string {
    return this.utf8.decode(bytes, { stream: true });
  }

  /** Ends the stream: an open (incomplete) character becomes U+FFFD. The decoder is reusable after. */
  flush(): string {
    return this.utf8.decode();
  }

  /** Drops any open character without emitting it. */
  reset(): void {
    this.utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
  }
}
