// GPU errors name the kernel (src/gpu/pipelines.ts, src/gpu/device.ts): a WGSL or pipeline error
// caught by the pipeline cache's error scopes, a validation error at submit reported through the
// uncaptured-error path, and use after destroy() or device loss. The shaders here are test-only,
// served by the cache's source loader; every failure is read back in the test that causes it, so
// no error leaks into the next test.
import { describe, expect, it } from 'vitest';
import { DeviceLostError, GpuValidationError } from '../../src/errors.js';
import { Gpu } from '../../src/gpu/device.js';
import { Recorder } from '../../src/gpu/recorder.js';
import { loadShaderSource } from '../../src/gpu/wgsl.js';
import { useGpu } from '../helpers/gpu.js';

/** Line 3 assigns an abstract float to a u32: a WGSL type error the compiler reports with its position. */
const BAD_WGSL = `// test-only: does not compile
@group(0) @binding(0) var<storage, read_write> y: array<u32>;
@compute @workgroup_size(1) fn u32_bad_convert() { let v: u32 = 1.5; y[0] = v; }
`;
const BAD_WGSL_LINE = 3;

/** y: f32 [64], a fixed-size array, so Dawn requires a binding of at least FIXED_BYTES at dispatch. */
const FIXED_WGSL = `// test-only: y[i] += 1 over a fixed 64-element array; one workgroup of 64 threads.
@group(0) @binding(0) var<storage, read_write> y: array<f32, 64>;
@compute @workgroup_size(64) fn f32_fixed64_add_one(@builtin(local_invocation_index) tid: u32) { y[tid] = y[tid] + 1.0; }
`;
const FIXED_LEN = 64;
const FIXED_BYTES = FIXED_LEN * 4;

const TEST_SHADERS: Readonly<Record<string, string>> = {
  'test_bad.wgsl': BAD_WGSL,
  'test_fixed.wgsl': FIXED_WGSL,
};

function useTestShaders(gpu: () => Gpu): () => Gpu {
  let installed = false;
  return () => {
    const g = gpu();
    if (!installed) {
      g.pipelines.setSourceLoader((file) => TEST_SHADERS[file] ?? loadShaderSource(file));
      installed = true;
    }
    return g;
  };
}

/** The rejection of `promise` (fails the test if it resolves). */
async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => expect.unreachable('expected a rejection'),
    (err: unknown) => err as Error,
  );
}

describe('pipeline creation errors name the kernel and its file', () => {
  const gpu = useTestShaders(useGpu());

  it('invalid WGSL: compile() rejects with GpuValidationError naming the kernel, file and line', async () => {
    const err = await rejectionOf(gpu().pipelines.compile({ file: 'test_bad.wgsl', entry: 'u32_bad_convert' }));
    expect(err).toBeInstanceOf(GpuValidationError);
    expect((err as GpuValidationError).kernel).toBe('u32_bad_convert');
    expect(err.message).toMatch(/^u32_bad_convert \(test_bad\.wgsl\): WGSL compilation failed/);
    expect(err.message).toContain(`test_bad.wgsl:${BAD_WGSL_LINE}:`);
    expect(err.message).not.toContain("'webgpu-harmony'");
  });

  it('a later get() of the failed kernel throws the same error synchronously', () => {
    expect(() => gpu().pipelines.get({ file: 'test_bad.wgsl', entry: 'u32_bad_convert' })).toThrow(/u32_bad_convert \(test_bad\.wgsl\)/);
  });

  it('invalid WGSL through get() (as launchers record) surfaces at gpu.sync(), with overrides in the name', async () => {
    const g = gpu();
    const ref = { file: 'test_bad.wgsl', entry: 'u32_bad_convert', overrides: { UNUSED: 1 } };
    expect(() => g.pipelines.get(ref)).not.toThrow(); // the verdict is asynchronous
    const err = await rejectionOf(g.sync());
    expect(err).toBeInstanceOf(GpuValidationError);
    expect((err as GpuValidationError).kernel).toBe('u32_bad_convert[UNUSED=1]');
    expect(err.message).toContain('u32_bad_convert[UNUSED=1] (test_bad.wgsl)');
    await expect(g.sync()).resolves.toBeUndefined(); // reported once
  });

  it('a missing entry point: pipeline creation failed, naming the kernel and including Dawn\'s message', async () => {
    const err = await rejectionOf(gpu().pipelines.compile({ file: 'test_fixed.wgsl', entry: 'f32_no_such_entry' }));
    expect(err).toBeInstanceOf(GpuValidationError);
    expect((err as GpuValidationError).kernel).toBe('f32_no_such_entry');
    expect(err.message).toMatch(/^f32_no_such_entry \(test_fixed\.wgsl\): pipeline creation failed: /);
    expect(err.message).toContain('f32_no_such_entry'); // Dawn names the missing entry point
    expect(err.message.split('\n').length).toBeLessThanOrEqual(10);
  });

  it('a valid kernel compiles', async () => {
    const kernel = await gpu().pipelines.compile({ file: 'test_fixed.wgsl', entry: 'f32_fixed64_add_one' });
    expect(kernel.label).toBe('f32_fixed64_add_one');
  });
});

describe('validation errors at submit name the kernel', () => {
  const gpu = useTestShaders(useGpu());
  const REF = { file: 'test_fixed.wgsl', entry: 'f32_fixed64_add_one' };

  it('a correctly sized binding runs (control)', async () => {
    const g = gpu();
    const y = g.createStorage('y', FIXED_BYTES);
    const rec = new Recorder(g, 'fixed ok');
    rec.dispatch(rec.kernel(REF), null, [y], [1]);
    const plan = rec.finish();
    plan.submit();
    const got = new Float32Array(await g.read(y));
    plan.destroy();
    g.destroyBuffer(y);
    expect(Array.from(got)).toEqual(new Array<number>(FIXED_LEN).fill(1));
  });

  it('a binding smaller than the fixed array: GpuValidationError names the kernel, not the buffer or device', async () => {
    const g = gpu();
    const small = g.createStorage('y too small', FIXED_BYTES / 4);
    const rec = new Recorder(g, 'fixed plan');
    rec.dispatch(rec.kernel(REF), null, [small], [1], { tag: 'L3.test' });
    const plan = rec.finish();
    plan.submit();
    const err = await rejectionOf(g.sync());
    plan.destroy();
    g.destroyBuffer(small);
    expect(err).toBeInstanceOf(GpuValidationError);
    expect((err as GpuValidationError).kernel).toBe('f32_fixed64_add_one');
    // Dawn's message starts with [Buffer "y too small"] and ends with the device; the pipeline wins.
    expect(err.message).toMatch(/^GPU error in 'f32_fixed64_add_one' \(test_fixed\.wgsl\)/);
    expect(err.message).toContain('y too small');
  });

  it('a buffer without STORAGE usage: the bind group error names the kernel and the dispatch tag', async () => {
    const g = gpu();
    const uniformOnly = g.createBuffer('uniform only', FIXED_BYTES, GPUBufferUsage.UNIFORM);
    const rec = new Recorder(g, 'bad usage plan');
    rec.dispatch(rec.kernel(REF), null, [uniformOnly], [1], { tag: 'L7.usage' });
    const plan = rec.finish();
    plan.submit();
    const err = await rejectionOf(g.sync());
    plan.destroy();
    g.destroyBuffer(uniformOnly);
    expect(err).toBeInstanceOf(GpuValidationError);
    expect((err as GpuValidationError).kernel).toBe('f32_fixed64_add_one');
    expect(err.message).toMatch(/^GPU error in 'f32_fixed64_add_one \(L7\.usage\)' \(test_fixed\.wgsl\)/);
  });

  it('Gpu.scoped turns an error of its calls into GpuValidationError naming what it was told', async () => {
    const g = gpu();
    // MAP_READ and MAP_WRITE together are invalid.
    const err = await rejectionOf(g.scoped('bad staging', () => g.createBuffer('bad staging', 4, GPUBufferUsage.MAP_READ | GPUBufferUsage.MAP_WRITE)));
    expect(err).toBeInstanceOf(GpuValidationError);
    expect((err as GpuValidationError).kernel).toBe('bad staging');
    await expect(g.sync()).resolves.toBeUndefined(); // the scope caught it; nothing was left uncaptured
  });
});

describe('use after destroy() or device loss', () => {
  async function openWithPlan(): Promise<{ g: Gpu; y: GPUBuffer; submitPlan: () => void }> {
    const g = await Gpu.open({ backend: process.env.WGH_BACKEND });
    g.pipelines.setSourceLoader((file) => TEST_SHADERS[file] ?? loadShaderSource(file));
    const y = g.createStorage('y', FIXED_BYTES);
    const rec = new Recorder(g, 'before loss');
    rec.dispatch(rec.kernel({ file: 'test_fixed.wgsl', entry: 'f32_fixed64_add_one' }), null, [y], [1]);
    const plan = rec.finish();
    return { g, y, submitPlan: () => plan.submit() };
  }

  it('after gpu.destroy(): buffers, pipelines, plans, reads and sync throw DeviceLostError', async () => {
    const { g, y, submitPlan } = await openWithPlan();
    g.destroy();
    expect(() => g.createStorage('late', 16)).toThrow(DeviceLostError);
    expect(() => g.pipelines.get({ file: 'test_fixed.wgsl', entry: 'f32_late_entry' })).toThrow(DeviceLostError);
    expect(submitPlan).toThrow(DeviceLostError);
    expect(() => new Recorder(g, 'late').finish()).toThrow(DeviceLostError);
    expect(await rejectionOf(g.read(y))).toBeInstanceOf(DeviceLostError);
    expect(await rejectionOf(g.sync())).toBeInstanceOf(DeviceLostError);
    expect(g.holdsDawn).toBe(false);
  });

  it('after the device is lost (destroyed under the Gpu): DeviceLostError with Dawn\'s reason', async () => {
    const { g, submitPlan } = await openWithPlan();
    try {
      g.device.destroy();
      await g.device.lost;
      const err = await rejectionOf(g.sync());
      expect(err).toBeInstanceOf(DeviceLostError);
      expect(err.message).toMatch(/^GPU device lost \(destroyed\)/);
      expect(submitPlan).toThrow(DeviceLostError);
      expect(() => g.createStorage('late', 16)).toThrow(DeviceLostError);
    } finally {
      g.destroy();
    }
  });
});
