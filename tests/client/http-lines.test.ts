// The line reader and SSE parser: the same lines whatever the network chunking (every split point
// of a body with CRLF and multi-byte UTF-8), bounded lines, and an idle timeout instead of a hang.

import { describe, expect, it } from 'vitest';
import { HttpStreamError } from '../../src/client/http-errors.js';
import { LineReaderStats, readLines } from '../../src/client/http-lines.js';
import { parseSse } from '../../src/client/http-sse.js';

const SOURCE = { provider: 'test', url: 'http://test' };
const OPTS = { source: SOURCE, idleTimeoutMs: 1000, maxLineBytes: 1024 };

function streamOf(chunks: readonly Uint8Array[]): ReadableStream<Uint8Array> {
  let idx = 0;
  return new ReadableStream({ pull: (controller) => (idx < chunks.length ? controller.enqueue(chunks[idx++]) : controller.close()) });
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('readLines', () => {
  const body = Buffer.from('data: héllo 👋\r\n\r\n: keep-alive\ndata: {"a":"日本"}\n\nlast line without LF', 'utf8');
  const expected = ['data: héllo 👋', '', ': keep-alive', 'data: {"a":"日本"}', '', 'last line without LF'];

  it('gives the same lines at every split point (two pieces) and one byte at a time', async () => {
    for (let split = 0; split <= body.length; split++) {
      expect(await collect(readLines(streamOf([body.subarray(0, split), body.subarray(split)]), OPTS))).toEqual(expected);
    }
    const bytes = [...body].map((b) => Uint8Array.of(b));
    const stats = new LineReaderStats();
    expect(await collect(readLines(streamOf(bytes), OPTS, stats))).toEqual(expected);
    expect(stats.bytesRead).toBe(body.length);
    expect(stats.peakBufferedBytes).toBeLessThanOrEqual(Buffer.byteLength('last line without LF'));
  });

  it('refuses a line over the limit', async () => {
    const long = new Uint8Array(2000).fill(0x61);
    await expect(collect(readLines(streamOf([long.subarray(0, 900), long.subarray(900)]), OPTS))).rejects.toMatchObject({ failure: 'line-too-long' });
  });

  it('gives up after idleTimeoutMs without data (a stalled server is an error, never a hang)', async () => {
    const stalled = new ReadableStream<Uint8Array>({ start: (c) => c.enqueue(Buffer.from('data: 1\n')) });
    const lines: string[] = [];
    const err = await (async () => {
      for await (const line of readLines(stalled, { ...OPTS, idleTimeoutMs: 50 })) lines.push(line);
    })().catch((e: unknown) => e);
    expect(lines).toEqual(['data: 1']);
    expect(err).toBeInstanceOf(HttpStreamError);
    expect((err as HttpStreamError).failure).toBe('idle-timeout');
  });

  it('reports a broken connection as interrupted', async () => {
    let sent = false;
    const broken = new ReadableStream<Uint8Array>({
      pull: (c) => {
        if (!sent) {
          sent = true;
          c.enqueue(Buffer.from('data: 1\n'));
        } else c.error(new TypeError('terminated', { cause: { code: 'ECONNRESET' } }));
      },
    });
    await expect(collect(readLines(broken, OPTS))).rejects.toMatchObject({ failure: 'interrupted', message: expect.stringMatching(/ECONNRESET/) });
  });
});

describe('parseSse', () => {
  async function* linesOf(text: string): AsyncGenerator<string> {
    for (const line of text.split('\n')) yield line;
  }

  it('joins data lines, names events, skips comments, dispatches a last event without a blank line', async () => {
    const events = await collect(parseSse(linesOf(': hi\ndata: a\ndata: b\n\nevent: error\ndata: {"x":1}\n\ndata:[DONE]'), SOURCE, 100));
    expect(events).toEqual([
      { event: 'message', data: 'a\nb' },
      { event: 'error', data: '{"x":1}' },
      { event: 'message', data: '[DONE]' },
    ]);
  });

  it('bounds the data of one event', async () => {
    await expect(collect(parseSse(linesOf(`data: ${'x'.repeat(60)}\ndata: ${'y'.repeat(60)}\n\n`), SOURCE, 100))).rejects.toMatchObject({ failure: 'line-too-long' });
  });
});
