// Line reader for streamed HTTP bodies (SSE and NDJSON), in constant memory: only the bytes of the
// line being assembled are kept (at most maxLineBytes), so a response of any size is read with a
// flat footprint. Lines end at LF; a CR before it is dropped. Each line is decoded as a whole, so a
// UTF-8 character split across network chunks is intact.
//
// Failures are HttpStreamError: the connection cut mid-body (`interrupted`), no bytes for
// idleTimeoutMs (`idle-timeout`, the slow-server case: the body is cancelled, never a hang), a line
// over the limit (`line-too-long`). Aborting the caller's signal ends the read with the abort reason.
//
//   for await (const line of readLines(response.body, { source, idleTimeoutMs: 30_000, maxLineBytes: 1 << 20 })) …

import { HttpStreamError, type HttpErrorSource } from './http-errors.js';

const LF = 0x0a;
const CR = 0x0d;

export interface LineReaderOptions {
  readonly source: HttpErrorSource;
  /** Longest gap between two reads before the stream is given up. */
  readonly idleTimeoutMs: number;
  readonly maxLineBytes: number;
  readonly signal?: AbortSignal;
}

/** Counters a caller (or a memory test) can watch while lines flow. */
export class LineReaderStats {
  bytesRead = 0;
  lines = 0;
  /** The most bytes held at once for an unfinished line. */
  peakBufferedBytes = 0;
}

function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** reader.read() that gives up after `ms` without data (and cancels the body). */
async function readWithIdleTimeout(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  opts: LineReaderOptions,
): Promise<Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']>>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new HttpStreamError(opts.source, 'idle-timeout', `no data for ${opts.idleTimeoutMs} ms`));
      reader.cancel().catch(() => undefined);
    }, opts.idleTimeoutMs);
  });
  try {
    return await Promise.race([reader.read(), timeout]);
  } catch (err) {
    if (err instanceof HttpStreamError) throw err;
    if (opts.signal?.aborted === true) throw opts.signal.reason;
    throw new HttpStreamError(opts.source, 'interrupted', `the connection broke mid-response (${causeText(err)})`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
}

function causeText(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  const cause = e.cause?.code ?? e.cause?.message;
  return cause !== undefined ? `${e.message ?? String(err)}: ${cause}` : (e.message ?? String(err));
}

/** Yields the body's lines (without the line break); the last one may lack its LF. */
export async function* readLines(
  body: ReadableStream<Uint8Array>,
  opts: LineReaderOptions,
  stats: LineReaderStats = new LineReaderStats(),
): AsyncGenerator<string, void, undefined> {
  const reader = body.getReader();
  const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let finished = false;
  const lineOf = (bytes: Uint8Array): string => {
    const end = bytes.length > 0 && bytes[bytes.length - 1] === CR ? bytes.length - 1 : bytes.length;
    stats.lines++;
    return decoder.decode(bytes.subarray(0, end));
  };
  const tooLong = () =>
    new HttpStreamError(opts.source, 'line-too-long', `a line is longer than ${opts.maxLineBytes} bytes (a stream must send one event per line)`);
  try {
    for (;;) {
      if (opts.signal?.aborted === true) throw opts.signal.reason;
      const { done, value } = await readWithIdleTimeout(reader, opts);
      if (done) break;
      stats.bytesRead += value.length;
      let start = 0;
      for (let idx = value.indexOf(LF); idx >= 0; idx = value.indexOf(LF, start)) {
        const piece = value.subarray(start, idx);
        if (pendingBytes + piece.length > opts.maxLineBytes) throw tooLong();
        const line = pending.length === 0 ? piece : concat([...pending, piece], pendingBytes + piece.length);
        pending = [];
        pendingBytes = 0;
        start = idx + 1;
        yield lineOf(line);
      }
      if (start < value.length) {
        // Copy the tail: a view would pin the whole network chunk.
        const tail = value.slice(start);
        pendingBytes += tail.length;
        if (pendingBytes > opts.maxLineBytes) throw tooLong();
        pending.push(tail);
        stats.peakBufferedBytes = Math.max(stats.peakBufferedBytes, pendingBytes);
      }
    }
    finished = true;
    if (pendingBytes > 0) yield lineOf(concat(pending, pendingBytes));
  } finally {
    if (!finished) reader.cancel().catch(() => undefined);
    else reader.releaseLock();
  }
}
