// The server's public surface (re-exported by src/index.ts as `createServer` and friends).
export { createServer, DEFAULT_MAX_QUEUE, type CreateServerOptions, type WghServer } from './create-server.js';
export { ServerEngine, type EngineBackend, type EngineState, type ModelInfo } from './engine.js';
export { ApiError, badRequest } from './errors.js';
export { MemoryLogger, silentLogger, stderrLogger, type ServerLogger } from './log.js';
export { DEFAULT_SERVER_DEFAULTS, type ServerDefaults } from './map-common.js';
export { GpuQueue } from './queue.js';
export { ValidationStage, DEFAULT_LIMITS, type RequestHook, type ResponseHook, type RequestLimits, type ResponseVerdict } from './validation.js';
