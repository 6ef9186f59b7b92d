// Gpu.open when Dawn's native module cannot be loaded (a missing libvulkan, a broken install): an
// UnsupportedDeviceError that carries the loader's message (and the error as its cause). The module is loaded lazily, so the
// failure surfaces here and nowhere earlier.
import { afterEach, describe, expect, it, vi } from 'vitest';

afterEach(() => {
  vi.doUnmock('webgpu');
  vi.resetModules();
});

describe('Gpu.open without a loadable Dawn module', () => {
  it('rejects with UnsupportedDeviceError naming the package and the loader error', async () => {
    vi.resetModules();
    vi.doMock('webgpu', () => {
      throw new Error('libvulkan.so.1: cannot open shared object file: No such file or directory');
    });
    const { Gpu } = await import('../../src/gpu/device.js');
    const { UnsupportedDeviceError } = await import('../../src/errors.js');
    const err = await Gpu.open().then(
      () => expect.unreachable('Gpu.open resolved'),
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(UnsupportedDeviceError);
    // vitest wraps a mock factory's throw in its own error; whatever the import threw is passed on.
    const loaderError = err.cause as Error;
    expect(loaderError).toBeInstanceOf(Error);
    expect(err.message).toBe(`could not load Dawn's Node module (npm package 'webgpu'): ${loaderError.message}`);
  });

  it('importing the module does not load Dawn', async () => {
    vi.resetModules();
    const factory = vi.fn(() => ({}));
    vi.doMock('webgpu', factory);
    await import('../../src/gpu/device.js');
    await import('../../src/cli/main.js');
    expect(factory).not.toHaveBeenCalled();
  });
});
