// Every shader file with a `struct Args` and the launcher layout that owns it. The layouts test
// (tests/kernels/layouts.test.ts) parses each shader's struct and checks it against the layout.
import type { UniformLayout, ScalarType } from '../gpu/uniforms.js';
import { RMSNORM_ARGS, RMSNORM_FILE } from './rmsnorm.js';

export interface KernelLayoutEntry {
  readonly file: string;
  readonly struct: string;
  readonly layout: UniformLayout<Readonly<Record<string, ScalarType>>>;
}

export const KERNEL_LAYOUTS: readonly KernelLayoutEntry[] = [
  { file: RMSNORM_FILE, struct: 'Args', layout: RMSNORM_ARGS },
];
