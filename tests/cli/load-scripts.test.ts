// bench/load/profile-cli.sh and profile-server.sh (needs `npm run build`): the same two prompts on
// the demo model through the CLI and through the server; each leaves run directories with the same
// report, plots and timing columns, and greedy decoding gives the same replies both ways.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCommand } from '../helpers/cli.js';

const METRIC_FILES = ['report.md', 'timing.csv', 'decode_tps.svg', 'prompt_tokens.svg', 'ttft.svg'];
const PROMPTS = ['What is 47 + 38?', 'Reverse the word garden.'];

async function runScript(script: string, args: readonly string[]): Promise<{ code: number | null; out: string }> {
  const r = await runCommand('bash', [join(REPO_ROOT, 'bench', 'load', script), ...args], { timeoutMs: 240_000 });
  return { code: r.code, out: r.stdout + r.stderr };
}

/** The run directories under `runs` that have `metrics/<side>`. */
function runsWith(runs: string, side: 'cli' | 'server'): string[] {
  return readdirSync(runs)
    .map((name) => join(runs, name))
    .filter((dir) => existsSync(join(dir, 'metrics', side)));
}

function expectRun(dir: string, side: 'cli' | 'server'): string[] {
  for (const file of METRIC_FILES) expect(existsSync(join(dir, 'metrics', side, file)), `${dir}/metrics/${side}/${file}`).toBe(true);
  for (const svg of METRIC_FILES.filter((f) => f.endsWith('.svg'))) expect(readFileSync(join(dir, 'metrics', side, svg), 'utf8')).toMatch(/^<svg/);
  const rows = readFileSync(join(dir, 'metrics', side, 'timing.csv'), 'utf8').trim().split('\n');
  expect(rows).toHaveLength(1 + PROMPTS.length); // header + one accepted attempt per turn
  return rows;
}

const cleaned = (dir: string, side: 'cli' | 'server', turn: number) => readFileSync(join(dir, 'logs', side, `completion.cleaned.${turn}.1.txt`), 'utf8');

describe('bench/load scripts on the demo model', () => {
  const work = mkdtempSync(join(tmpdir(), 'wgh-load-'));
  const prompts = join(work, 'prompts.txt');
  writeFileSync(prompts, PROMPTS.join('\n') + '\n');
  const flags = ['--prompts', prompts, '--temperature', '0', '--quiet'];
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('profile-cli.sh and profile-server.sh leave the same artifacts and the same greedy replies', async () => {
    const cliRuns = join(work, 'cli');
    const cli = await runScript('profile-cli.sh', [...flags, '--runs-dir', cliRuns]);
    expect(cli.code, cli.out).toBe(0);
    const [cliRun] = runsWith(cliRuns, 'cli');
    expect(cli.out).toContain(`run directory: ${cliRun}/`);
    const cliRows = expectRun(cliRun, 'cli');

    const serverRuns = join(work, 'server');
    const server = await runScript('profile-server.sh', [...flags, '--runs-dir', serverRuns]);
    expect(server.code, server.out).toBe(0);
    const [serverRun] = runsWith(serverRuns, 'server');
    const [clientRun] = runsWith(serverRuns, 'cli');
    expect(server.out).toContain(`server run: ${serverRun} `);
    const serverRows = expectRun(serverRun, 'server');
    expectRun(clientRun, 'cli');

    expect(serverRows[0]).toBe(cliRows[0]); // the same timing columns on both sides
    for (let turn = 1; turn <= PROMPTS.length; turn++) {
      expect(cleaned(serverRun, 'server', turn)).toBe(cleaned(cliRun, 'cli', turn));
      expect(cleaned(clientRun, 'cli', turn)).toBe(cleaned(cliRun, 'cli', turn));
    }
    expect(cleaned(cliRun, 'cli', 1)).toMatch(/85/); // the demo model adds two-digit numbers
  });
});
