// The error tree of webgpu-harmony. Every thrown error is one of these; messages say who, which
// input, what was expected and what was received, in the legend's names (src/model/shapes.ts).
//
//   WghError
//   ├─ EngineError
//   │   ├─ ShapeError              a tensor's dtype or shape is not what a kernel or loader expects
//   │   ├─ UnsupportedDeviceError  no adapter, a missing feature or limit
//   │   ├─ GpuValidationError      a WebGPU validation / out-of-memory error, tagged with the kernel
//   │   ├─ DeviceLostError         the device was lost
//   │   ├─ ModelFormatError        config.json, safetensors, shards, tensors on disk
//   │   └─ ContextOverflowError    a sequence longer than the KV cache can hold
//   ├─ HarmonyParseError           a Harmony token stream the parser cannot accept (strict mode only)
//   ├─ ConfigError                 a bad option, flag, config file key or value
//   └─ ChatError
//       └─ RetryableError

export class WghError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class EngineError extends WghError {}
export class ShapeError extends EngineError {}
export class UnsupportedDeviceError extends EngineError {}
export class GpuValidationError extends EngineError {
  constructor(
    message: string,
    readonly kernel: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
export class DeviceLostError extends EngineError {}
export class ModelFormatError extends EngineError {
  constructor(
    message: string,
    readonly file?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
export class ContextOverflowError extends EngineError {}
export class HarmonyParseError extends WghError {}
export class ConfigError extends WghError {}
export class ChatError extends WghError {}
export class RetryableError extends ChatError {}
