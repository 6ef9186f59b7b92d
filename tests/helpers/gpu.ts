// One GPU device per test file (lavapipe on machines without a GPU). Call at the top of a test file
// or describe block: `const gpu = useGpu();` then `gpu()` inside tests.
import { afterAll, beforeAll } from 'vitest';
import { Gpu } from '../../src/gpu/device.js';

export function useGpu(): () => Gpu {
  let gpu: Gpu | null = null;
  beforeAll(async () => {
    gpu = await Gpu.open({ backend: process.env.WGH_BACKEND });
  });
  afterAll(() => {
    gpu?.destroy();
    gpu = null;
  });
  return () => {
    if (!gpu) throw new Error('useGpu(): the GPU is not open (call gpu() inside tests only)');
    return gpu;
  };
}
