import { defineConfig } from 'vitest/config';

// GPU tests share one lavapipe device per file; files run in parallel forks.
// CI has two cores, so keep the fork count at two.
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // A worker whose event loop is blocked for minutes is killed with the test's name (see the file).
    setupFiles: ['tests/setup/watchdog.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    env: { XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
  },
});
