// JSON schema → TypeScript, rule by rule (openai/harmony json_schema_to_typescript). The fixture
// test_render_functions_with_parameters covers the common shapes; these pin the odd corners.

import { describe, expect, it } from 'vitest';
import { jsonSchemaToTypeScript, renderToolsSection, type JsonValue } from '../../src/harmony/index.js';

const ts = (schema: JsonValue, indent = ''): string => jsonSchemaToTypeScript(schema, indent);

describe('jsonSchemaToTypeScript: scalars', () => {
  it.each<[string, JsonValue, string]>([
    ['string', { type: 'string' }, 'string'],
    ['string enum', { type: 'string', enum: ['a', 'b'] }, '"a" | "b"'],
    ['enum without strings', { type: 'string', enum: [1, 2] }, 'string'],
    ['number', { type: 'number' }, 'number'],
    ['integer', { type: 'integer' }, 'number'],
    ['number enum (ignored)', { type: 'number', enum: [1, 2] }, 'number'],
    ['boolean', { type: 'boolean' }, 'boolean'],
    ['null', { type: 'null' }, 'any'],
    ['type array', { type: ['integer', 'string', 'null'] }, 'number | string | null'],
    ['empty type array', { type: [] }, 'any'],
    ['array of strings', { type: 'array', items: { type: 'string' } }, 'string[]'],
    ['array without items', { type: 'array' }, 'Array<any>'],
    ['no type', {}, 'any'],
    ['not an object', true, 'any'],
  ])('%s', (_, schema, expected) => {
    expect(ts(schema)).toBe(expected);
  });
});

describe('jsonSchemaToTypeScript: objects', () => {
  it('prints properties at the given indent, nested ones 4 spaces deeper (closing brace too)', () => {
    const schema: JsonValue = {
      type: 'object',
      properties: {
        outer: {
          type: 'object',
          description: 'nested',
          properties: { inner: { type: 'string', description: 'deep' }, n: { type: 'integer', default: 3 } },
          required: ['inner'],
        },
        list: { type: 'array', items: { type: 'object', properties: { a: { type: 'boolean' } } } },
        anything: {},
        multi: { type: ['integer', 'null'], nullable: true },
      },
    };
    expect(ts(schema)).toBe(
      '{\n' +
        '// nested\n' +
        'outer?:     // nested\n{\n    // deep\n    inner: string,\n    n?: number, // default: 3\n    },\n' +
        'list?: {\n    a?: boolean,\n    }[],\n' +
        'anything?: any,\n' +
        'multi?: number | null,\n' +
        '}',
    );
  });

  it('keeps the property order of the JSON object', () => {
    expect(ts({ type: 'object', properties: { zeta: { type: 'string' }, alpha: { type: 'string' } } })).toBe(
      '{\nzeta?: string,\nalpha?: string,\n}',
    );
  });

  it('renders titles, string examples only, and defaults of each kind', () => {
    const schema: JsonValue = {
      type: 'object',
      properties: {
        x: { type: 'string', title: 'T', examples: ['a', 1] },
        s: { type: 'string', default: 'q' },
        e: { type: 'string', enum: ['on', 'off'], default: 'off' },
        b: { type: 'boolean', default: false },
        o: { type: 'object', default: { a: 1 } },
        l: { type: 'array', items: { type: 'number' }, default: [1, 2] },
        n: { type: 'string', nullable: true },
      },
      required: ['x'],
    };
    expect(ts(schema)).toBe(
      '{\n// T\n//\n// Examples:\n// - "a"\nx: string,\n' +
        's?: string, // default: "q"\n' +
        'e?: "on" | "off", // default: off\n' +
        'b?: boolean, // default: false\n' +
        'o?: {\n    }, // default: {"a":1}\n' +
        'l?: number[], // default: [1,2]\n' +
        'n?: string | null,\n}',
    );
  });

  it('skips the property description when it equals the first oneOf variant description', () => {
    const schema: JsonValue = {
      type: 'object',
      properties: {
        p: {
          oneOf: [
            { type: 'string', description: 'same' },
            { type: 'integer', description: 'other', default: 5 },
            { type: 'string', enum: ['a'], default: 'a', nullable: true },
          ],
          description: 'same',
        },
      },
      required: ['p'],
    };
    expect(ts(schema)).toBe('{\np:\n | string\n | number // other default: 5\n | "a" | null // default: a\n,\n}');
  });

  it('renders a top-level oneOf with variant comments (enum string defaults quoted there)', () => {
    const schema: JsonValue = {
      oneOf: [
        { type: 'string', description: 'a name', default: 'x' },
        { type: 'object', properties: { id: { type: 'number' } }, nullable: true },
        { type: 'string', enum: ['k'], default: 'k' },
      ],
    };
    expect(ts(schema)).toBe('\n | string // a name default: "x"\n | {\n   id?: number,\n   } | null\n | "k" // default: "k"');
  });
});

describe('renderToolsSection', () => {
  it('sorts namespaces by name, keeps the last of a name, prints namespaces without tools verbatim', () => {
    const text = renderToolsSection([
      { name: 'zeta', description: 'Z line 1\n\nZ line 3\n', tools: [] },
      { name: 'alpha', description: 'old', tools: [] },
      { name: 'alpha', description: 'A tools\r\nsecond', tools: [{ name: 'f', description: '' }, { name: 'g', description: 'G', parameters: { type: 'object', properties: {} } }] },
    ]);
    expect(text).toBe(
      '# Tools\n\n## alpha\n\n// A tools\n// second\nnamespace alpha {\n\ntype f = () => any;\n\n// G\ntype g = (_: {\n}) => any;\n\n} // namespace alpha' +
        '\n\n## zeta\n\nZ line 1\n\nZ line 3',
    );
  });
});
