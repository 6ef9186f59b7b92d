// The test watchdog (watchdog.ts beside this file) on a worker that blocks its event loop: the
// nested vitest run must end in seconds, name the test, and count it as an error.
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { REPO_ROOT, runCommand } from '../helpers/cli.js';

it('kills a worker whose event loop is blocked and names the test', async () => {
  const vitest = join(REPO_ROOT, 'node_modules', 'vitest', 'vitest.mjs');
  const config = join(REPO_ROOT, 'tests', 'fixtures', 'watchdog', 'vitest.config.ts');
  const started = Date.now();
  const r = await runCommand(process.execPath, [vitest, 'run', '--config', config], { env: { WGH_TEST_WATCHDOG_S: '3', NO_COLOR: '1' }, timeoutMs: 90_000 });
  expect(Date.now() - started).toBeLessThan(45_000);
  expect(r.code).not.toBe(0);
  expect(r.stdout + r.stderr).toMatch(/\[test watchdog\] the event loop of pid \d+ has been blocked for \d+ s .* in: blocks\.check\.ts > blocks the event loop; killing the worker\./);
});
