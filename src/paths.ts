import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (the folder holding package.json, shaders/ and assets/), from src/ or dist/src/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 6; depth++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'shaders'))) return dir;
    dir = dirname(dir);
  }
  throw new Error(`webgpu-harmony: cannot find the package root above ${fileURLToPath(import.meta.url)}`);
}

export function shaderPath(file: string): string {
  return join(packageRoot(), 'shaders', file);
}

export function assetPath(file: string): string {
  return join(packageRoot(), 'assets', file);
}
