export { Gpu, type GpuOpenOptions, type GpuCaps, type GpuAdapterSummary } from './device.js';
export { PipelineCache, type Kernel, type KernelRef, type SourceLoader } from './pipelines.js';
export { Recorder, Plan, runOnce, type BufferArg, type DispatchMeta, type PlannedDispatch } from './recorder.js';
export { GpuTensor, TensorWriter, createTensor, uploadTensor, readTensor, type TensorChunk } from './tensor.js';
export { uniformLayout, type UniformLayout, type ScalarType } from './uniforms.js';
export { loadShaderSource, parseBindings, parseStruct, type WgslBinding } from './wgsl.js';
