// A minimal reader for the (gunzipped) tar that train.py writes: POSIX ustar with PAX extended
// headers (Python's tarfile default). Only regular files are returned; a PAX `path=` record
// overrides the next entry's name. Enough for demo-model.tar.gz; not a general tar implementation.

const BLOCK_BYTES = 512;
const NAME = { offset: 0, length: 100 };
const SIZE = { offset: 124, length: 12 };
const TYPE_OFFSET = 156;
const MAGIC = { offset: 257, length: 6 };
const PREFIX = { offset: 345, length: 155 };
const REGULAR_TYPES = new Set(['0', '\0']);
const PAX_LOCAL = 'x';
const OCTAL = 8;

export interface TarEntry {
  readonly name: string;
  readonly data: Uint8Array;
}

function field(block: Uint8Array, f: { offset: number; length: number }): string {
  const bytes = block.subarray(f.offset, f.offset + f.length);
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
}

/** PAX records: "<len> <key>=<value>\n" repeated. */
function paxRecords(data: Uint8Array): Map<string, string> {
  const text = new TextDecoder().decode(data);
  const records = new Map<string, string>();
  for (let pos = 0; pos < text.length; ) {
    const space = text.indexOf(' ', pos);
    const length = Number(text.slice(pos, space));
    if (space < 0 || !Number.isSafeInteger(length) || length <= 0) throw new Error(`ustar: bad PAX record at byte ${pos}`);
    const record = text.slice(space + 1, pos + length - 1);
    const eq = record.indexOf('=');
    records.set(record.slice(0, eq), record.slice(eq + 1));
    pos += length;
  }
  return records;
}

export function readTar(tar: Uint8Array): TarEntry[] {
  const entries: TarEntry[] = [];
  let paxPath: string | undefined;
  for (let pos = 0; pos + BLOCK_BYTES <= tar.length; ) {
    const header = tar.subarray(pos, pos + BLOCK_BYTES);
    if (header.every((b) => b === 0)) break; // end-of-archive marker
    const magic = field(header, MAGIC);
    if (!magic.startsWith('ustar')) throw new Error(`ustar: no ustar magic in the header at byte ${pos} (got '${magic}')`);
    const size = parseInt(field(header, SIZE).trim(), OCTAL);
    if (!Number.isSafeInteger(size) || size < 0) throw new Error(`ustar: bad size field at byte ${pos}`);
    const type = String.fromCharCode(header[TYPE_OFFSET]);
    const data = tar.subarray(pos + BLOCK_BYTES, pos + BLOCK_BYTES + size);
    if (data.length !== size) throw new Error(`ustar: entry at byte ${pos} is truncated (${data.length} of ${size} bytes)`);
    if (type === PAX_LOCAL) {
      paxPath = paxRecords(data).get('path');
    } else {
      if (REGULAR_TYPES.has(type)) {
        const prefix = field(header, PREFIX);
        const name = paxPath ?? (prefix.length > 0 ? `${prefix}/${field(header, NAME)}` : field(header, NAME));
        entries.push({ name, data });
      }
      paxPath = undefined;
    }
    pos += BLOCK_BYTES + Math.ceil(size / BLOCK_BYTES) * BLOCK_BYTES;
  }
  return entries;
}
