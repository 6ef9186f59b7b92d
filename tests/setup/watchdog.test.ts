// The test watchdog (watchdog.ts beside this file) on a worker that blocks its event loop: the
// nested vitest run must end in seconds, name the test, and count it as an error.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/cli.js';

it('kills a worker whose event loop is blocked and names the test', async () => {
  const vitest = join(REPO_ROOT, 'node_modules', 'vitest', 'vitest.mjs');
  const config = join(REPO_ROOT, 'tests', 'fixtures', 'watchdog', 'vitest.config.ts');
  const started = Date.now();
  const child = spawn(process.execPath, [vitest, 'run', '--config', config], {
    cwd: REPO_ROOT,
    env: { ...process.env, WGH_TEST_WATCHDOG_S: '3', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(Date.now() - started).toBeLessThan(45_000);
  expect(code).not.toBe(0);
  expect(out).toMatch(/\[test watchdog\] the event loop of pid \d+ has been blocked for \d+ s .* in: blocks\.check\.ts > blocks the event loop; killing the worker\./);
});
