// WGSL source handling: reading shader files (with a one-directive preprocessor), and reading a
// shader's resource bindings and `struct Args` so bind group layouts and uniform layouts are derived
// from the shader itself (and checked against the launchers in tests/kernels/layouts.test.ts).
//
// The only preprocessor directive is a whole line `//#include "file.wgsl"`, which inserts another file
// of shaders/ (shared helper functions such as bf16 and MXFP4 decoding). Kernel bodies are never
// built from strings.

import { readFileSync } from 'node:fs';
import { shaderPath } from '../paths.js';

const INCLUDE_RE = /^\s*\/\/#include\s+"([\w.-]+\.wgsl)"\s*$/;

/** Read shaders/<file> with its includes expanded (each file at most once). */
export function loadShaderSource(file: string, seen: Set<string> = new Set()): string {
  if (seen.has(file)) return `// (${file} already included)`;
  seen.add(file);
  const text = readFileSync(shaderPath(file), 'utf8');
  return text
    .split('\n')
    .map((line) => {
      const m = INCLUDE_RE.exec(line);
      return m ? `// ---- begin ${m[1]}\n${loadShaderSource(m[1], seen)}\n// ---- end ${m[1]}` : line;
    })
    .join('\n');
}

export type BindingKind = 'uniform' | 'read-only-storage' | 'storage';

export interface WgslBinding {
  readonly binding: number;
  readonly name: string;
  readonly kind: BindingKind;
}

const BINDING_RE = /@group\(\s*0\s*\)\s*@binding\(\s*(\d+)\s*\)\s*var\s*<\s*([\w\s,]+?)\s*>\s*(\w+)/g;

/** All `@group(0) @binding(n) var<…> name` declarations, sorted by binding number. */
export function parseBindings(source: string): WgslBinding[] {
  const out: WgslBinding[] = [];
  for (const m of stripComments(source).matchAll(BINDING_RE)) {
    const space = m[2].split(',').map((s) => s.trim());
    let kind: BindingKind;
    if (space[0] === 'uniform') kind = 'uniform';
    else if (space[0] === 'storage') kind = space[1] === 'read_write' ? 'storage' : 'read-only-storage';
    else throw new Error(`unsupported address space '${m[2]}' for binding '${m[3]}'`);
    out.push({ binding: Number(m[1]), name: m[3], kind });
  }
  return out.sort((a, b) => a.binding - b.binding);
}

export interface WgslStructField {
  readonly name: string;
  readonly type: string;
}

/** Fields of `struct <name> { … }` in declaration order, or null when absent. */
export function parseStruct(source: string, name: string): WgslStructField[] | null {
  const re = new RegExp(`struct\\s+${name}\\s*\\{([^}]*)\\}`);
  const m = re.exec(stripComments(source));
  if (!m) return null;
  return m[1]
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f.length > 0)
    .map((f) => {
      const [fname, ftype] = f.split(':').map((s) => s.trim());
      return { name: fname, type: ftype };
    });
}

function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/[^\n]*/g, '');
}
