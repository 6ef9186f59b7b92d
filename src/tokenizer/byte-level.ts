// GPT-2 byte-level alphabet: tokenizer.json stores every BPE token as a string in which each byte
// 0..255 is one printable code point (`bytes_to_unicode` in GPT-2's encoder.py). Printable Latin-1
// bytes (33..126, 161..172, 174..255) stand for themselves; the other 68 bytes map, in order, to
// U+0100.. (so a space, 0x20, is 'Ġ' U+0120). Decoding a token = mapping its code points back.

const CODE_POINT_TO_BYTE: ReadonlyMap<number, number> = buildTable();

function buildTable(): Map<number, number> {
  const table = new Map<number, number>();
  let numShifted = 0;
  for (let byte = 0; byte < 256; byte++) {
    const printable = (byte >= 33 && byte <= 126) || (byte >= 161 && byte <= 172) || byte >= 174;
    if (printable) {
      table.set(byte, byte);
    } else {
      table.set(256 + numShifted, byte);
      numShifted++;
    }
  }
  return table;
}

/** Bytes of one byte-level token string, or undefined when it holds a code point outside the alphabet. */
export function byteLevelToBytes(token: string): Uint8Array | undefined {
  const bytes = new Uint8Array(token.length);
  let numBytes = 0;
  for (const char of token) {
    const byte = CODE_POINT_TO_BYTE.get(char.codePointAt(0) as number);
    if (byte === undefined) return undefined;
    bytes[numBytes++] = byte;
  }
  return bytes.subarray(0, numBytes);
}
