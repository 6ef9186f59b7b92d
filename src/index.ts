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
