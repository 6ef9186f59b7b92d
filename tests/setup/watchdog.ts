// A watchdog for every test worker (vitest runs each file in a forked process).
//
// vitest's test and hook timeouts are timers on the worker's event loop: they cannot fire while the
// loop is blocked in a synchronous call that never returns (a wedged GPU driver inside a native
// Dawn call, a child-process call without a time limit). One such call would hang the whole run.
// The watchdog is a second thread that watches a heartbeat the event loop writes every second; when
// the loop has not turned for WGH_TEST_WATCHDOG_S seconds (default 300) it prints which test was
// running and kills the worker, so the run goes on and ends with a failure that names the test.

import { Worker } from 'node:worker_threads';
import { beforeEach } from 'vitest';

const LIMIT_S = Number(process.env.WGH_TEST_WATCHDOG_S ?? 300);
const NAME_BYTES = 2048;

// [0]: a heartbeat counter (a counter, not a clock: a test's fake timers may freeze Date); then the
// running test's name, NUL-padded.
const shared = new SharedArrayBuffer(8 + NAME_BYTES);
const heartbeat = new Int32Array(shared, 0, 1);
const name = new Uint8Array(shared, 8, NAME_BYTES);

function setName(text: string): void {
  const bytes = new TextEncoder().encode(text).subarray(0, NAME_BYTES);
  name.fill(0);
  name.set(bytes);
}

if (Number.isFinite(LIMIT_S) && LIMIT_S > 0) {
  setInterval(() => Atomics.add(heartbeat, 0, 1), 1000).unref();

  const watcher = `
    const { workerData } = require('node:worker_threads');
    const { writeSync } = require('node:fs');
    const heartbeat = new Int32Array(workerData.shared, 0, 1);
    const name = new Uint8Array(workerData.shared, 8, workerData.nameBytes);
    let seen = Atomics.load(heartbeat, 0);
    let since = Date.now();
    setInterval(() => {
      const now = Atomics.load(heartbeat, 0);
      if (now !== seen) {
        seen = now;
        since = Date.now();
        return;
      }
      const stalled = (Date.now() - since) / 1000;
      if (stalled < workerData.limitS) return;
      const end = name.indexOf(0);
      const test = Buffer.from(name.subarray(0, end < 0 ? name.length : end)).toString('utf8');
      writeSync(2, '\\n[test watchdog] the event loop of pid ' + process.pid + ' has been blocked for ' + Math.round(stalled) +
        ' s (a synchronous call that does not return) in: ' + (test || '(no test started yet)') + '; killing the worker.\\n');
      process.kill(process.pid, 'SIGKILL');
    }, 2000);
  `;
  const worker = new Worker(watcher, { eval: true, workerData: { shared, limitS: LIMIT_S, nameBytes: NAME_BYTES } });
  worker.unref();
}

beforeEach((ctx) => {
  setName(ctx.task.fullName); // "tests/…/file.test.ts > describe > test"
});
