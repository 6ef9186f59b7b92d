// Public API of src/model: config, checkpoint reading, test checkpoints. (The forward pass and
// weight layouts are exported here too as they land.)

export * from './shapes.js';
export { parseModelConfig, readModelConfig, MXFP4_GROUP_SIZE, CONFIG_FILE } from './config.js';
export {
  readSafetensorsHeader,
  parseSafetensorsHeader,
  encodeSafetensorsHeader,
  TENSOR_DTYPE_BYTES,
  type TensorDType,
  type SafetensorsHeader,
  type SafetensorsTensor,
  type TensorSpec,
} from './safetensors.js';
export {
  openCheckpoint,
  expectedTensors,
  describeExpected,
  readTensorChunks,
  DEFAULT_CHUNK_BYTES,
  INDEX_FILE,
  SINGLE_FILE,
  type Checkpoint,
  type TensorInfo,
  type ExpectedTensor,
  type ReadChunksOptions,
} from './checkpoint.js';
export { createTestModel, type CreateTestModelOptions, type TestModelSummary, type WrittenFile } from './create-test-model.js';
export { planTestModel, TEST_MODEL_PRESETS, type TestModelPreset, type TestModelPlan, type PlannedTensor, type PlannedShard } from './test-model-plan.js';
export { f32ToBf16, bf16ToF32 } from './test-model-random.js';
