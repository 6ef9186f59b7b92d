// Upload/readback helpers for kernel tests.
import type { Gpu } from '../../src/gpu/device.js';
import { readTensor, uploadTensor, createTensor, type GpuTensor } from '../../src/gpu/tensor.js';

export function f32Tensor(gpu: Gpu, name: string, shape: number[], data?: Float32Array | ArrayLike<number>): GpuTensor {
  if (!data) return createTensor(gpu, name, 'f32', shape);
  return uploadTensor(gpu, name, 'f32', shape, data instanceof Float32Array ? data : Float32Array.from(data));
}

export function bf16Tensor(gpu: Gpu, name: string, shape: number[], bits: Uint16Array, maxChunkBytes?: number): GpuTensor {
  return uploadTensor(gpu, name, 'bf16', shape, bits, { maxChunkBytes });
}

export function u32Tensor(gpu: Gpu, name: string, shape: number[], data: ArrayLike<number>): GpuTensor {
  return uploadTensor(gpu, name, 'u32', shape, Uint32Array.from(data));
}

export function u8Tensor(gpu: Gpu, name: string, shape: number[], data: Uint8Array, maxChunkBytes?: number): GpuTensor {
  return uploadTensor(gpu, name, 'u8', shape, data, { maxChunkBytes });
}

export async function readF32(gpu: Gpu, t: GpuTensor): Promise<Float32Array> {
  return new Float32Array(await readTensor(gpu, t));
}

export async function readU32(gpu: Gpu, t: GpuTensor): Promise<Uint32Array> {
  return new Uint32Array(await readTensor(gpu, t));
}
