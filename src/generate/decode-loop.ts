// The decode loop: queue steps on the GPU, read the sampled ids back in batches, stop on a stop
// token, a loop, the token budget or an abort, and leave the runner's cache consistent.
//
// Step k samples token k: step 0 is the sampler on the prefill's last logits ('head'), step k >= 1
// feeds token k-1 (the id step k-1 left in ids[0], never seen by the CPU) at position prompt + k - 1
// and samples token k ('decode'). The sampler also writes each id to its history ring
// (history[k % N]); the last step of a batch copies the batch's slots to a mappable staging buffer.
//
// Schedule: batch 0 is step 0 alone, read at once (time to first token); later batches are
// `stepsPerRead` steps. Two batches are in flight: while the CPU waits for one, the GPU runs the next,
// so it never idles on a read-back. Cost of the look-ahead: up to 2 * stepsPerRead - 1 steps past a
// stop, discarded: their ids are never shown and their positions are left out of runner.tokens (the
// runner remembers how far they wrote; src/kvcache/prefix.ts accounts for what they overwrote).
//
// Per step on the CPU: the runner's two small writeBuffers (pos0, one rope row), one command encoder,
// one compute pass re-encoding the recorded plan, one submit; no JS allocation of ours. Per batch:
// one mapAsync and a copy of `stepsPerRead` ids (+ the logprob records when asked: one more read).

import type { Gpu } from '../gpu/device.js';
import type { Plan } from '../gpu/recorder.js';
import type { SamplerState, StepLogprobs } from '../kernels/sampler-state.js';
import type { ModelRunner, StepTail } from '../model/runner.js';
import type { LoopDetector } from './loop-detector.js';
import type { StopReason } from './types.js';

/** Batches in flight: one being read back while the next runs. */
const BATCHES_IN_FLIGHT = 2;
const U32_BYTES = 4;

/** Mappable copies of the sampler's history slots, one per batch in flight (allocated once). */
class HistoryReader {
  private readonly staging: GPUBuffer[] = [];
  private readonly host: Uint32Array[] = [];

  constructor(
    private readonly gpu: Gpu,
    private readonly sampler: SamplerState,
    maxSteps: number,
  ) {
    for (let slot = 0; slot < BATCHES_IN_FLIGHT; slot++) {
      this.staging.push(gpu.createBuffer(`history readback ${slot}`, maxSteps * U32_BYTES, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST));
      this.host.push(new Uint32Array(maxSteps));
    }
  }

  /** Copy the history entries of steps [first, first + count) into staging `slot` (may wrap the ring). */
  encodeCopy(enc: GPUCommandEncoder, slot: number, first: number, count: number): void {
    const N = this.sampler.historyWindow;
    const historyBase = N * U32_BYTES; // rings: penalty window [N], then history [N]
    const start = first % N;
    const head = Math.min(count, N - start);
    enc.copyBufferToBuffer(this.sampler.rings, historyBase + start * U32_BYTES, this.staging[slot], 0, head * U32_BYTES);
    if (head < count) enc.copyBufferToBuffer(this.sampler.rings, historyBase, this.staging[slot], head * U32_BYTES, (count - head) * U32_BYTES);
  }

  map(slot: number, count: number): Promise<void> {
    return this.staging[slot].mapAsync(GPUMapMode.READ, 0, count * U32_BYTES);
  }

  /** The mapped ids (a view reused by the next read of this slot); unmaps. */
  take(slot: number, count: number): Uint32Array {
    const buffer = this.staging[slot];
    this.host[slot].set(new Uint32Array(buffer.getMappedRange(0, count * U32_BYTES)));
    buffer.unmap();
    return this.host[slot];
  }

  /** Unmap a slot whose ids nobody needs. */
  release(slot: number): void {
    this.staging[slot].unmap();
  }

  destroy(): void {
    for (const b of this.staging) this.gpu.destroyBuffer(b);
  }
}

export interface DecodeRequest {
  readonly maxTokens: number;
  /** Steps the cache has positions for (< maxTokens: ending there is `context_full`). */
  readonly budget: number;
  readonly stopTokens: ReadonlySet<number>;
  readonly loop: LoopDetector;
  /** Top-N logprobs to read per token, or null for none. */
  readonly topLogprobs: number | null;
  readonly signal: AbortSignal;
  /** Called for each token in order, when its id reaches the CPU. */
  readonly onToken: (index: number, id: number, logprobs: StepLogprobs | undefined) => void;
}

const ABORTED = Symbol('aborted');

export class DecodeLoop {
  readonly stepsPerRead: number;
  private readonly reader: HistoryReader;
  private readonly batchFirst = new Array<number>(BATCHES_IN_FLIGHT).fill(0);
  private readonly batchCount = new Array<number>(BATCHES_IN_FLIGHT).fill(0);
  private readonly mapped: (Promise<void> | null)[] = new Array<Promise<void> | null>(BATCHES_IN_FLIGHT).fill(null);
  private readonly copyFns: ((enc: GPUCommandEncoder) => void)[] = [];

  constructor(
    private readonly runner: ModelRunner,
    private readonly sampler: SamplerState,
    private readonly tail: StepTail,
    stepsPerRead: number,
  ) {
    this.stepsPerRead = stepsPerRead;
    this.reader = new HistoryReader(runner.gpu, sampler, stepsPerRead);
    for (let slot = 0; slot < BATCHES_IN_FLIGHT; slot++) {
      this.copyFns.push((enc) => this.reader.encodeCopy(enc, slot, this.batchFirst[slot], this.batchCount[slot]));
    }
  }

  /**
   * Generate into `completion` (ids in order; also what the loop detector reads). Returns why it
   * stopped; the runner then holds the prompt and every emitted id that a submitted step fed.
   * Call `drain()` before the runner or this loop is used again.
   */
  async run(req: DecodeRequest, completion: number[]): Promise<StopReason> {
    const runner = this.runner;
    const plans: Record<'head' | 'decode', Plan> = { head: runner.stepPlan('head', this.tail), decode: runner.stepPlan('decode', this.tail) };
    let submitted = 0;
    let accepted = 0;
    let inFlight = 0;
    let oldest = 0;
    let stop: StopReason | null = null;
    // Ids fed by a submitted step join runner.tokens, in order (token j is fed by step j + 1).
    const acceptFed = () => {
      while (accepted < completion.length && accepted < submitted - 1) runner.acceptDecoded(completion[accepted++]);
    };
    let onAbort: (() => void) | null = null;
    const aborted = new Promise<typeof ABORTED>((resolve) => {
      onAbort = () => resolve(ABORTED);
      req.signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      for (;;) {
        while (stop === null && inFlight < BATCHES_IN_FLIGHT && submitted < req.budget && !req.signal.aborted) {
          const slot = (oldest + inFlight) % BATCHES_IN_FLIGHT;
          const count = submitted === 0 ? 1 : Math.min(this.stepsPerRead, req.budget - submitted);
          this.batchFirst[slot] = submitted;
          this.batchCount[slot] = count;
          for (let k = 0; k < count; k++) {
            const kind = submitted + k === 0 ? 'head' : 'decode';
            runner.submitStep(kind, plans[kind], k === count - 1 ? this.copyFns[slot] : undefined);
          }
          submitted += count;
          const mapped = this.reader.map(slot, count);
          mapped.catch(() => undefined); // awaited below or in drain(); a lost device must not go unhandled meanwhile
          this.mapped[slot] = mapped;
          inFlight++;
        }
        acceptFed();
        if (req.signal.aborted) stop = { kind: 'cancelled' };
        if (stop !== null || inFlight === 0) break;
        const slot = oldest;
        if ((await Promise.race([this.mapped[slot], aborted])) === ABORTED) {
          stop = { kind: 'cancelled' };
          break;
        }
        this.mapped[slot] = null;
        oldest = (oldest + 1) % BATCHES_IN_FLIGHT;
        inFlight--;
        const first = this.batchFirst[slot];
        const count = this.batchCount[slot];
        const ids = this.reader.take(slot, count);
        const logprobs = req.topLogprobs !== null ? await this.sampler.readLogprobs(first, count, req.topLogprobs) : null;
        for (let idx = 0; idx < count && stop === null; idx++) {
          const id = ids[idx];
          completion.push(id);
          req.onToken(first + idx, id, logprobs?.[idx]);
          const numTokens = completion.length;
          const loop = req.loop.check(completion, numTokens);
          if (req.stopTokens.has(id)) stop = { kind: 'stop_token', id };
          else if (loop) stop = { kind: 'loop_detected', period: loop.period, span: loop.span };
          else if (numTokens >= req.maxTokens) stop = { kind: 'max_tokens' };
          else if (numTokens >= req.budget) stop = { kind: 'context_full' };
        }
        if (stop !== null) break;
      }
      acceptFed();
      return stop ?? { kind: 'max_tokens' };
    } finally {
      if (onAbort) req.signal.removeEventListener('abort', onAbort);
      runner.discardQueued();
    }
  }

  /** Wait for the batches still in flight (steps past a stop, or after an abort) and release them. */
  async drain(): Promise<void> {
    for (let slot = 0; slot < BATCHES_IN_FLIGHT; slot++) {
      const pending = this.mapped[slot];
      if (!pending) continue;
      this.mapped[slot] = null;
      try {
        await pending;
        this.reader.release(slot);
      } catch {
        // A failed map means a lost device; the generation that owned it already reported the error.
      }
    }
  }

  destroy(): void {
    this.runner.releasePlans(this.tail);
    this.reader.destroy();
  }
}
