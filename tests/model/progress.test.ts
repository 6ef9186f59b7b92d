// src/cli/progress.ts: the byte progress bar used by model loading and create-test-model.
import { describe, expect, it } from 'vitest';
import { ProgressBar, formatBytes, formatDuration } from '../../src/cli/progress.js';

function fakeStream(isTTY: boolean, columns = 120) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, columns, write: (s: string) => writes.push(s) } };
}

describe('ProgressBar', () => {
  it('on a TTY redraws one line in place, at most every 100 ms, and ends it on finish', () => {
    let nowMs = 0;
    const { writes, stream } = fakeStream(true);
    const bar = new ProgressBar({ label: 'loading', totalBytes: 4e9, stream, now: () => nowMs });
    bar.update(0);
    nowMs = 50;
    bar.update(1e8); // throttled
    nowMs = 1000;
    bar.update(1e9);
    expect(writes).toHaveLength(2);
    expect(writes[1]).toMatch(/^\rloading {2}\[#####·{15}\] {2} 25% {2}1\.00 GB\/4\.00 GB {2}1\.00 GB\/s {2}ETA 3s\x1b\[K$/);
    nowMs = 2000;
    bar.finish(4e9);
    expect(writes.at(-2)).toMatch(/100%.*4\.00 GB\/4\.00 GB.*in 2s/);
    expect(writes.at(-1)).toBe('\n');
    bar.update(5);
    bar.finish();
    expect(writes).toHaveLength(4);
  });

  it('drops the bar on a narrow terminal', () => {
    const { writes, stream } = fakeStream(true, 40);
    new ProgressBar({ label: 'x', totalBytes: 100, stream, now: () => 1 }).update(50);
    expect(writes[0]).not.toMatch(/[#·]/);
    expect(writes[0]).toContain(' 50%');
  });

  it('off a TTY prints plain lines only every plainIntervalMs, and a final line', () => {
    let nowMs = 0;
    const { writes, stream } = fakeStream(false);
    const bar = new ProgressBar({ label: 'create-test-model 20b', totalBytes: 1e10, stream, now: () => nowMs, plainIntervalMs: 10_000 });
    for (nowMs = 0; nowMs < 25_000; nowMs += 500) bar.update(nowMs * 1e5);
    expect(writes).toHaveLength(2);
    expect(writes.every((w) => w.endsWith('\n') && !w.includes('\r') && !w.includes('\x1b'))).toBe(true);
    bar.finish(1e10);
    expect(writes.at(-1)).toMatch(/^create-test-model 20b {2}100% {2}10\.00 GB\/10\.00 GB .* in 25s\n$/);
  });

  it('can stay silent off a TTY until the end', () => {
    let nowMs = 0;
    const { writes, stream } = fakeStream(false);
    const bar = new ProgressBar({ label: 'x', totalBytes: 10, stream, now: () => nowMs, plainIntervalMs: Infinity });
    for (; nowMs < 100_000; nowMs += 1000) bar.update(nowMs / 10_000);
    expect(writes).toHaveLength(0);
    bar.finish(10);
    expect(writes).toHaveLength(1);
  });

  it('without a total shows bytes and speed only', () => {
    const { writes, stream } = fakeStream(true);
    let nowMs = 0;
    const bar = new ProgressBar({ label: 'reading', totalBytes: 0, stream, now: () => nowMs });
    nowMs = 2000;
    bar.update(3e6);
    expect(writes[0]).toBe('\rreading  3.00 MB  1.50 MB/s  in 2s\x1b[K');
  });
});

describe('formatting', () => {
  it.each([
    [0, '0 B'],
    [999, '999 B'],
    [1500, '1.50 kB'],
    [13_761_264_768, '13.76 GB'],
  ])('formatBytes(%d) = %s', (n, s) => expect(formatBytes(n)).toBe(s));

  it.each([
    [0.4, '0s'],
    [59, '59s'],
    [75, '1m15s'],
    [3725, '1h02m'],
    [Infinity, '?'],
  ])('formatDuration(%d) = %s', (n, s) => expect(formatDuration(n)).toBe(s));
});
