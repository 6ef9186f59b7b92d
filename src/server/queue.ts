// One GPU, many clients: a FIFO of requests with a bounded number of waiters. One request runs at
// a time (the engine has one KV cache). A full queue answers 429 with Retry-After (an estimate
// from the recent service time); a waiter whose client goes away leaves the queue at once; every
// change of position is logged (`req#12 queued at position 2 (1 running)`).
//
//   const slot = await queue.acquire(requestId, signal);   // throws ApiError 429 when full
//   try { … generate … } finally { slot.release(); }

import { ApiError } from './errors.js';
import type { ServerLogger } from './log.js';

export interface Slot {
  /** Seconds spent waiting. */
  readonly waitedSeconds: number;
  release(): void;
}

interface Waiter {
  readonly requestId: number;
  readonly enqueuedMs: number;
  readonly grant: () => void;
}

const MS_PER_S = 1000;
/** Weight of the newest service time in the running average. */
const SERVICE_EMA = 0.3;
const DEFAULT_SERVICE_S = 5;

export class GpuQueue {
  private readonly waiters: Waiter[] = [];
  private runningId: number | null = null;
  private serviceSeconds = DEFAULT_SERVICE_S;

  constructor(
    /** Requests allowed to wait behind the running one. */
    readonly maxWaiting: number,
    private readonly logger: ServerLogger,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  get waiting(): number {
    return this.waiters.length;
  }

  get running(): number | null {
    return this.runningId;
  }

  /** Throws the 429 that acquire() would give now (checked before a stream opens). */
  checkCapacity(requestLabel = 'a request'): void {
    if (this.runningId === null && this.waiters.length === 0) return;
    if (this.waiters.length >= this.maxWaiting) throw this.fullError(requestLabel);
  }

  /** Waits for the GPU. Rejects with the abort reason when `signal` aborts first. */
  acquire(requestId: number, signal?: AbortSignal): Promise<Slot> {
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    const enqueuedMs = this.clock();
    if (this.runningId === null && this.waiters.length === 0) return Promise.resolve(this.start(requestId, enqueuedMs));
    if (this.waiters.length >= this.maxWaiting) return Promise.reject(this.fullError(`req#${requestId}`));
    return new Promise<Slot>((resolve, reject) => {
      const onAbort = () => {
        const idx = this.waiters.indexOf(waiter);
        if (idx >= 0) {
          this.waiters.splice(idx, 1);
          this.logger.info(`req#${requestId} left the queue (client gone) from position ${idx + 1}`);
          this.logPositions(idx);
        }
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        requestId,
        enqueuedMs,
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.start(requestId, enqueuedMs));
        },
      };
      this.waiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.logger.info(`req#${requestId} queued at position ${this.waiters.length} (req#${this.runningId} running)`);
    });
  }

  private fullError(label: string): ApiError {
    const retryAfterS = Math.max(1, Math.ceil(this.serviceSeconds * (this.waiters.length + 1)));
    this.logger.info(`${label} rejected: queue full (${this.waiters.length} waiting, limit ${this.maxWaiting}); Retry-After ${retryAfterS} s`);
    return new ApiError(429, 'rate_limit_error', `The server is busy: ${this.waiters.length} requests are waiting for the GPU (limit ${this.maxWaiting}). Retry after ${retryAfterS} s.`, 'queue_full', null, retryAfterS);
  }

  private start(requestId: number, enqueuedMs: number): Slot {
    this.runningId = requestId;
    const startMs = this.clock();
    const waitedSeconds = (startMs - enqueuedMs) / MS_PER_S;
    if (waitedSeconds > 0.001) this.logger.info(`req#${requestId} got the GPU after ${waitedSeconds.toFixed(2)} s in the queue`);
    let released = false;
    return {
      waitedSeconds,
      release: () => {
        if (released) return;
        released = true;
        const seconds = (this.clock() - startMs) / MS_PER_S;
        this.serviceSeconds = SERVICE_EMA * seconds + (1 - SERVICE_EMA) * this.serviceSeconds;
        this.runningId = null;
        const next = this.waiters.shift();
        if (next !== undefined) {
          next.grant();
          this.logPositions(0);
        }
      },
    };
  }

  /** Logs the new position of every waiter from `fromIdx` on. */
  private logPositions(fromIdx: number): void {
    for (let idx = fromIdx; idx < this.waiters.length; idx++) this.logger.info(`req#${this.waiters[idx].requestId} now at position ${idx + 1}`);
  }
}
