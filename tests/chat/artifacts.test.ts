// Artifact names and contents from the writer alone, for both front ends; the report and its plots.
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { attemptFileName, csvLine, makeRunId, RunArtifacts, TIMING_COLUMNS, type AttemptArtifact } from '../../src/chat/artifacts.js';
import { median, summarizeTurns } from '../../src/chat/report.js';
import type { GenerationMetrics } from '../../src/generate/types.js';

const METRICS: GenerationMetrics = {
  promptTokens: 120, cachedTokens: 100, completionTokens: 33, prefillSeconds: 0.05, ttftSeconds: 0.06, decodeSeconds: 1.6, decodeTokensPerSecond: 20,
  kvLength: 153, maxKvSize: 0, loopDetection: 'cheap', finishReason: 'stop', stopReason: 'stop_token:200002', prefixAction: 'extend', seed: 1, queueSeconds: 0,
};

function attempt(turn: number, attemptNo: number, over: Partial<GenerationMetrics> = {}): AttemptArtifact {
  const metrics = { ...METRICS, ...over };
  return {
    turn, attempt: attemptNo, kind: attemptNo === 1 ? 'first' : 'retry', promptText: () => '<|start|>system<|message|>…', promptIds: [200006, 17360],
    completionIds: [1, 2, 200002], rawCompletion: '<|channel|>final<|message|>Hi, "you"<|return|>', cleaned: 'Hi, "you"',
    parse: { messages: [], channels: { final: 'Hi' }, toolCalls: [], warnings: [], repetition: [] },
    decision: { action: 'accept', reason: null, detail: 'complete reply', attempt: attemptNo, maxAttempts: 3, overrides: {}, delayMs: 0 },
    params: { maxTokens: 64, temperature: 1, logitBias: new Map([[5, -1]]) }, metrics,
    usage: { promptTokens: metrics.promptTokens, completionTokens: metrics.completionTokens, cachedTokens: metrics.cachedTokens }, wallSeconds: 1.7,
  };
}

describe('RunArtifacts', () => {
  it('run ids are <YYYYmmdd-HHMMSS>-<hex>', () => {
    expect(makeRunId(new Date(2025, 0, 2, 3, 4, 5), () => Buffer.from([0xab, 0xcd, 0xef]))).toBe('20250102-030405-abcdef');
    expect(makeRunId(new Date())).toMatch(/^\d{8}-\d{6}-[0-9a-f]{6}$/);
  });

  it.each(['cli', 'server'] as const)('writes the documented layout for the %s front end', async (frontEnd) => {
    const runs = mkdtempSync(join(tmpdir(), 'wgh-art-'));
    const art = await RunArtifacts.create({ runsDir: runs, frontEnd, runId: 'run1' });
    art.recordAttempt(attempt(1, 1));
    art.recordAttempt(attempt(1, 2, { ttftSeconds: 0.2 }));
    art.recordAttempt(attempt(2, 1, { decodeTokensPerSecond: 30, promptTokens: 200 }));
    const files = await art.finish();
    expect(art.logsDir).toBe(join(runs, 'run1', 'logs', frontEnd));
    const logs = readdirSync(art.logsDir);
    expect(logs).toHaveLength(21);
    expect(logs).toContain(attemptFileName('retry.decision', 1, 2));
    expect(attemptFileName('prompt.full', 3, 4)).toBe('prompt.full.3.4.txt');
    expect(JSON.parse(readFileSync(join(art.logsDir, 'retry.decision.1.1.json'), 'utf8'))).toMatchObject({ action: 'accept', params: { logitBias: { 5: -1 } } });
    expect(readFileSync(join(art.logsDir, 'prompt.full.1.1.txt'), 'utf8')).toBe('<|start|>system<|message|>…');
    const csv = readFileSync(join(runs, 'run1', 'metrics', frontEnd, 'timing.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe(TIMING_COLUMNS.join(','));
    expect(csv).toHaveLength(4);
    for (const line of csv.slice(1)) expect(line.split(',')).toHaveLength(TIMING_COLUMNS.length);
    for (const name of ['report.md', 'decode_tps.svg', 'prompt_tokens.svg', 'ttft.svg']) expect(existsSync(join(art.metricsDir, name)), name).toBe(true);
    expect(files.plots).toHaveLength(3);
    const svg = readFileSync(join(art.metricsDir, 'decode_tps.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('Decode tokens/s per turn');
    const report = readFileSync(files.report, 'utf8');
    expect(report).toContain('| 1 | 2 | accept → accept | 120 | 100 | 66 |');
    expect(report).toMatch(/## Totals/);
    expect(report).toMatch(/## Medians/);
    expect(report).toContain('![decode_tps.svg](decode_tps.svg)');
  });

  it('summaries and CSV quoting', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(csvLine(['a,b', 'say "hi"', 1.5, 2])).toBe('"a,b","say ""hi""",1.5000,2\n');
    expect(summarizeTurns([])).toEqual([]);
  });
});
