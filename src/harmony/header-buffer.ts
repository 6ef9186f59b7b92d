// Collects the tokens of a message header as pieces (decoded text, <|channel|>, <|constrain|>) for
// ./header.ts. Text is decoded incrementally so a character split across tokens stays whole.

import { StreamingDecoder, type TokenBytesSource } from '../tokenizer/streaming-decoder.js';
import type { HeaderPiece } from './header.js';

const ASCII_WHITESPACE_BYTES = new Set([0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20]);

/** True when the bytes are all ASCII whitespace (or empty). */
export function isWhitespaceBytes(bytes: Uint8Array): boolean {
  for (const byte of bytes) if (!ASCII_WHITESPACE_BYTES.has(byte)) return false;
  return true;
}

export class HeaderBuffer {
  private readonly done: HeaderPiece[] = [];
  private text = '';
  private readonly decoder: StreamingDecoder;

  constructor(source: TokenBytesSource) {
    this.decoder = new StreamingDecoder(source);
  }

  pushText(id: number): void {
    this.text += this.decoder.push(id);
  }

  pushMarker(kind: 'channel' | 'constrain'): void {
    this.closeText();
    this.done.push({ kind });
  }

  /** The pieces so far (an open character is flushed as U+FFFD). */
  pieces(): HeaderPiece[] {
    this.closeText();
    return [...this.done];
  }

  private closeText(): void {
    const text = this.text + this.decoder.flush();
    this.text = '';
    if (text.length > 0) this.done.push({ kind: 'text', text });
  }
}

/** True when the pieces hold nothing but whitespace. */
export function isBlankHeader(pieces: readonly HeaderPiece[]): boolean {
  return pieces.every((piece) => piece.kind === 'text' && piece.text.trim().length === 0);
}
