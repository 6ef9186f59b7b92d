// Uniform layouts: the host-side owner of each kernel's `struct Args`. Every field is a 4-byte scalar
// (u32, i32 or f32), so the WGSL layout is simply consecutive 4-byte slots, padded to 16 bytes.
// tests/kernels/layouts.test.ts checks each layout against the struct parsed from its shader.

export type ScalarType = 'u32' | 'i32' | 'f32';

export interface UniformLayout<F extends Readonly<Record<string, ScalarType>>> {
  readonly fields: readonly (keyof F & string)[];
  readonly types: F;
  /** Size in bytes of the packed struct (multiple of 16, as uniform buffers require). */
  readonly byteSize: number;
  pack(values: { readonly [K in keyof F]: number }): Uint8Array;
  /** Pack into an existing buffer (no allocation; for hot loops). */
  packInto(values: { readonly [K in keyof F]: number }, out: DataView, byteOffset: number): void;
}

/** The shape-only view of any layout (for registries and layout tests). */
export interface UniformLayoutInfo {
  readonly fields: readonly string[];
  readonly types: Readonly<Record<string, ScalarType>>;
  readonly byteSize: number;
}

export function uniformLayout<const F extends Readonly<Record<string, ScalarType>>>(types: F): UniformLayout<F> {
  const fields = Object.keys(types) as (keyof F & string)[];
  const byteSize = Math.max(16, Math.ceil((fields.length * 4) / 16) * 16);
  const packInto = (values: { readonly [K in keyof F]: number }, view: DataView, base: number): void => {
    fields.forEach((name, idx) => {
      const v = values[name];
      if (typeof v !== 'number' || Number.isNaN(v)) {
        throw new TypeError(`uniform field '${name}' must be a number, got ${String(v)}`);
      }
      const at = base + idx * 4;
      switch (types[name]) {
        case 'u32':
          if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`uniform '${name}' = ${v} is not a u32`);
          view.setUint32(at, v, true);
          break;
        case 'i32':
          if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) throw new RangeError(`uniform '${name}' = ${v} is not an i32`);
          view.setInt32(at, v, true);
          break;
        case 'f32':
          view.setFloat32(at, v, true);
          break;
      }
    });
  };
  return {
    fields,
    types,
    byteSize,
    packInto,
    pack(values) {
      const out = new Uint8Array(byteSize);
      packInto(values, new DataView(out.buffer), 0);
      return out;
    },
  };
}
