// webgpu-harmony library entry. Layers (DESIGN.md): gpu -> kernels -> model -> kvcache/generate ->
// harmony/tokenizer -> chat -> client/server -> cli.
export * from './errors.js';
export { Gpu, type GpuOpenOptions } from './gpu/device.js';
export { loadModel, LoadedModel, type LoadModelOptions } from './model/load.js';
export { ModelRunner, type RunnerOptions, type LogitsMode } from './model/runner.js';
export { openCheckpoint, readTensorChunks, type Checkpoint, type TensorInfo } from './model/checkpoint.js';
export { parseModelConfig, readModelConfig } from './model/config.js';
export { createTestModel } from './model/create-test-model.js';
export type { ModelConfig } from './model/shapes.js';
export { Tokenizer } from './tokenizer/index.js';
export * as harmony from './harmony/index.js';
export { createGenerator, Generator } from './generate/generator.js';
export type { GenerateParams, Generation, GenerationResult, GenerationMetrics, TokenEvent, TokenGenerator } from './generate/types.js';
export { resolveSamplingParams, type SamplingParamsInput } from './generate/sampling-params.js';
export { ChatSession } from './chat/session.js';
export { runTurn, type TurnInput, type TurnResult, type TurnEvent } from './chat/turn.js';
export type { GenerationClient, ChatRequest, ChatResult, ChatStream, ClientEvent } from './client/types.js';
export { LocalClient } from './client/local.js';
export { OpenAIHttpClient } from './client/openai-http.js';
export { OllamaHttpClient } from './client/ollama-http.js';
export { FallbackClient } from './client/fallback.js';
export { createServer, ServerEngine, type CreateServerOptions, type WghServer } from './server/index.js';
export { ensureDemoModel } from './model/demo-model.js';
