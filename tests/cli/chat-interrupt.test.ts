// `wgh chat --replay FILE --prompts FILE` stopped by Ctrl-C (SIGINT to the child) in the middle of
// the run: the first Ctrl-C stops the reply being generated, a second one stops the run. The
// process still writes its run artifacts (report.md, the charts, every queued log file and the
// timing rows of the turns done) and exits with 130, like a program stopped by Ctrl-C.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ATTEMPT_FILES, attemptFileName } from '../../src/chat/artifacts.js';
import { CLI_ENTRY } from '../helpers/cli.js';

const short = (text: string) => `<|channel|>final<|message|>${text}<|return|>`;
/** ~320 tokens at TOKEN_DELAY_MS each: several seconds, so the Ctrl-Cs land while it streams. */
const LONG = short('Counting sheep slowly, one after another. '.repeat(40));
const TOKEN_DELAY_MS = 20;
const PROMPTS = ['First question.', 'Second question.', 'Third, a long one.', 'Fourth question.', 'Fifth question.'];
/** After the third prompt is echoed: its reply is streaming by then. */
const FIRST_INTERRUPT_AFTER_MS = 300;
/** Well inside SECOND_INTERRUPT_WINDOW_MS (src/cli/chat-repl.ts), and long enough not to merge with the first signal. */
const SECOND_INTERRUPT_AFTER_MS = 100;
const CHILD_TIMEOUT_MS = 60_000;

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'wgh-chat-interrupt-'));
});

function csvRows(file: string): Record<string, string>[] {
  const [header, ...lines] = readFileSync(file, 'utf8').trim().split('\n');
  const columns = header.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [columns[i], v])));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Interrupted {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `wgh chat` with the args; once stdout shows `waitFor`, sends SIGINT twice (see the constants). */
function runAndInterrupt(args: readonly string[], waitFor: string): Promise<Interrupted> {
  if (!existsSync(CLI_ENTRY)) return Promise.reject(new Error(`${CLI_ENTRY} does not exist; run \`npm run build\` first`));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_ENTRY, 'chat', ...args], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
      if (sent || !stdout.includes(waitFor)) return;
      sent = true;
      void (async () => {
        await sleep(FIRST_INTERRUPT_AFTER_MS);
        child.kill('SIGINT');
        await sleep(SECOND_INTERRUPT_AFTER_MS);
        child.kill('SIGINT');
      })();
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

describe('wgh chat --prompts, stopped by Ctrl-C', () => {
  it('exits with 130 after writing report.md, the charts and the artifacts of the turns done', async () => {
    const script = join(work, 'replay.json');
    writeFileSync(script, JSON.stringify({ tokenDelayMs: TOKEN_DELAY_MS, completions: [short('One.'), short('Two.'), LONG] }));
    const prompts = join(work, 'prompts.txt');
    writeFileSync(prompts, PROMPTS.join('\n'));
    const runs = join(work, 'runs');
    const r = await runAndInterrupt(['--replay', script, '--prompts', prompts, '--runs-dir', runs, '--seed', '7'], `› ${PROMPTS[2]}`);

    expect(r.signal, r.stderr).toBeNull();
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toContain('interrupted: the remaining prompts were not sent');
    expect(r.stdout).toContain('One.');
    expect(r.stdout).toContain('Two.');
    expect(r.stdout).not.toContain(`› ${PROMPTS[4]}`);

    const dirs = readdirSync(runs);
    expect(dirs).toHaveLength(1);
    const runDir = join(runs, dirs[0]);
    expect(r.stderr).toContain(`run artifacts: ${runDir}`);
    const metrics = join(runDir, 'metrics', 'cli');
    for (const name of ['report.md', 'decode_tps.svg', 'prompt_tokens.svg', 'ttft.svg']) expect(existsSync(join(metrics, name)), name).toBe(true);

    // The completed turns have their rows and every log file; the stopped reply is a cancelled row.
    const rows = csvRows(join(metrics, 'timing.csv'));
    expect(rows.filter((row) => Number(row.turn) <= 2).map((row) => [row.turn, row.attempt, row.action, row.finish_reason])).toEqual([
      ['1', '1', 'accept', 'stop'],
      ['2', '1', 'accept', 'stop'],
    ]);
    expect(rows.find((row) => row.turn === '3')?.finish_reason).toBe('cancelled');
    expect(rows.some((row) => row.turn === '5')).toBe(false);
    const logs = join(runDir, 'logs', 'cli');
    for (const turn of [1, 2]) for (const kind of ATTEMPT_FILES) expect(existsSync(join(logs, attemptFileName(kind, turn, 1))), `${kind} ${turn}.1`).toBe(true);
    expect(readFileSync(join(logs, attemptFileName('completion.cleaned', 2, 1)), 'utf8')).toBe('Two.');
    expect(readFileSync(join(metrics, 'report.md'), 'utf8')).toMatch(/\| 2 \| 1 \| accept \|/);
  });
});
