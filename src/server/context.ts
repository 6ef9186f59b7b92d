// What every route gets: the engine and its queue, the validation stage, artifacts, the log, the
// server's defaults and identity. Built once by createServer().

import type { RunArtifacts } from '../chat/artifacts.js';
import type { ModelInfo, ServerEngine } from './engine.js';
import type { ServerLogger } from './log.js';
import type { MapContext, ServerDefaults } from './map-common.js';
import type { GpuQueue } from './queue.js';
import type { ValidationStage } from './validation.js';

export interface ServerContext extends MapContext {
  readonly engine: ServerEngine;
  readonly queue: GpuQueue;
  readonly validation: ValidationStage;
  readonly artifacts: RunArtifacts | null;
  readonly logger: ServerLogger;
  readonly defaults: ServerDefaults;
  readonly modelId: string;
  /** webgpu-harmony's version (Ollama /api/version, system_fingerprint). */
  readonly version: string;
  /** Date.now() at start-up. */
  readonly startedMs: number;
  /** What is known of the model (from config.json before the load ends; the backend's after). */
  info(): ModelInfo;
  /** 1, 2, 3, … (log lines `req#N`, artifact turn numbers). */
  nextRequestId(): number;
}
