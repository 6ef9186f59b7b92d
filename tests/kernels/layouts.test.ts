import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadShaderSource, parseBindings, parseStruct } from '../../src/gpu/wgsl.js';
import { KERNEL_LAYOUTS } from '../../src/kernels/registry.js';
import { shaderPath } from '../../src/paths.js';

describe('uniform layouts match the shaders', () => {
  it.each(KERNEL_LAYOUTS.map((e) => [e.file, e] as const))('%s', (_file, entry) => {
    const source = loadShaderSource(entry.file);
    const fields = parseStruct(source, entry.struct);
    expect(fields, `struct ${entry.struct} in ${entry.file}`).not.toBeNull();
    expect(fields!.map((f) => f.name)).toEqual([...entry.layout.fields]);
    expect(fields!.map((f) => f.type)).toEqual(entry.layout.fields.map((f) => entry.layout.types[f]));
    expect(parseBindings(source).find((b) => b.name === 'args')?.kind).toBe('uniform');
  });

  it('every shader with struct Args is registered', () => {
    const files = readdirSync(shaderPath('')).filter((f) => f.endsWith('.wgsl'));
    const registered = new Set(KERNEL_LAYOUTS.map((e) => e.file));
    const missing = files.filter((f) => parseStruct(loadShaderSource(f), 'Args') && !registered.has(f));
    expect(missing).toEqual([]);
  });
});
