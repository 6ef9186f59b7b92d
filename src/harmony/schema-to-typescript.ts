// JSON schema (OpenAPI flavour) → the TypeScript-like type Harmony shows the model for a function's
// parameters. The output must be byte-identical to openai/harmony's `json_schema_to_typescript`
// (src/encoding.rs), because gpt-oss was trained on that rendering. Its rules, including the odd
// ones, reproduced on purpose:
//   - properties are printed at the CALLER's indent; a nested object's properties get indent + 4
//     spaces and its closing brace too (so the top level, indent "", has unindented properties);
//   - an object's own description goes on a `// …` line before its `{`, at its indent;
//   - per property: title (`// T` + `//`), description (unless the property has oneOf), string
//     examples (`// Examples:` + `// - "x"`), then `key?: type,` plus ` // default: …`;
//   - default comments quote non-enum strings, print enum strings bare, other values as compact JSON;
//   - a property with oneOf prints its description and default above `key?:`, then one
//     ` | variant // comments` line per variant (indent + 3 spaces inside variants), then `,`;
//   - a top-level oneOf is "\n{indent} | a\n{indent} | b"; `type` arrays join with " | "
//     ("integer" → "number"); arrays are `T[]` (no items: `Array<any>`); anything else is `any`.
// Property order is the JSON object's key order (serde_json with preserve_order).

import type { JsonObject, JsonValue } from './types.js';

const NESTED_INDENT = '    ';
const VARIANT_INDENT = '   ';

function field(schema: JsonValue | undefined, key: string): JsonValue | undefined {
  return isObject(schema) ? schema[key] : undefined;
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringField(schema: JsonValue | undefined, key: string): string | undefined {
  const value = field(schema, key);
  return typeof value === 'string' ? value : undefined;
}

function isEnum(schema: JsonValue | undefined): boolean {
  const values = field(schema, 'enum');
  return Array.isArray(values) && values.length > 0;
}

function isNullable(schema: JsonValue | undefined): boolean {
  return field(schema, 'nullable') === true;
}

/** serde_json's Display of a value: compact JSON. */
function compactJson(value: JsonValue): string {
  return JSON.stringify(value);
}

/** `default: …` for property and property-oneOf positions: strings quoted unless the schema is an enum. */
function defaultComment(schema: JsonValue | undefined, value: JsonValue): string {
  if (typeof value === 'string') return isEnum(schema) ? `default: ${value}` : `default: "${value}"`;
  return `default: ${compactJson(value)}`;
}

function withNull(typeText: string, schema: JsonValue | undefined): string {
  return isNullable(schema) && !typeText.includes('null') ? `${typeText} | null` : typeText;
}

/** The TypeScript type for `schema`, with nested lines at `indent`. */
export function jsonSchemaToTypeScript(schema: JsonValue, indent = ''): string {
  const oneOf = field(schema, 'oneOf');
  if (Array.isArray(oneOf)) return renderTopLevelOneOf(oneOf, indent);

  const type = field(schema, 'type');
  if (Array.isArray(type)) {
    const names = type.filter((t): t is string => typeof t === 'string').map((t) => (t === 'integer' ? 'number' : t));
    if (names.length > 0) return names.join(' | ');
  }
  if (typeof type !== 'string') return 'any';
  switch (type) {
    case 'object':
      return renderObject(schema as JsonObject, indent);
    case 'string': {
      const values = field(schema, 'enum');
      const strings = Array.isArray(values) ? values.filter((v): v is string => typeof v === 'string') : [];
      return strings.length > 0 ? strings.map((v) => `"${v}"`).join(' | ') : 'string';
    }
    case 'number':
    case 'integer':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'array': {
      const items = field(schema, 'items');
      return items === undefined ? 'Array<any>' : `${jsonSchemaToTypeScript(items, indent)}[]`;
    }
    default:
      return 'any';
  }
}

function renderTopLevelOneOf(variants: readonly JsonValue[], indent: string): string {
  let out = '';
  for (const variant of variants) {
    out += `\n${indent} | ${withNull(jsonSchemaToTypeScript(variant, indent + VARIANT_INDENT), variant)}`;
    const comments: string[] = [];
    const description = stringField(variant, 'description');
    if (description !== undefined) comments.push(description);
    const value = field(variant, 'default');
    if (value !== undefined) {
      // Unlike property defaults, an enum string default here is printed as JSON (quoted).
      comments.push(typeof value === 'string' && !isEnum(variant) ? `default: "${value}"` : `default: ${compactJson(value)}`);
    }
    if (comments.length > 0) out += ` // ${comments.join(' ')}`;
  }
  return out;
}

function renderObject(schema: JsonObject, indent: string): string {
  let out = '';
  const description = stringField(schema, 'description');
  if (description !== undefined) out += `${indent}// ${description}\n`;
  out += '{\n';
  const properties = field(schema, 'properties');
  if (isObject(properties)) {
    const requiredList = field(schema, 'required');
    const required = new Set(Array.isArray(requiredList) ? requiredList.filter((r) => typeof r === 'string') : []);
    for (const [key, property] of Object.entries(properties)) {
      out += renderProperty(key, property, required.has(key), indent);
    }
  }
  return `${out}${indent}}`;
}

function renderProperty(key: string, property: JsonValue, isRequired: boolean, indent: string): string {
  let out = '';
  const optional = isRequired ? '' : '?';
  const title = stringField(property, 'title');
  if (title !== undefined) out += `${indent}// ${title}\n${indent}//\n`;
  const hasOneOf = field(property, 'oneOf') !== undefined;
  const description = stringField(property, 'description');
  if (!hasOneOf && description !== undefined) out += `${indent}// ${description}\n`;
  const examples = field(property, 'examples');
  if (Array.isArray(examples) && examples.length > 0) {
    out += `${indent}// Examples:\n`;
    for (const example of examples) if (typeof example === 'string') out += `${indent}// - "${example}"\n`;
  }

  const oneOf = field(property, 'oneOf');
  if (Array.isArray(oneOf)) return out + renderPropertyOneOf(key, optional, property, oneOf, indent);

  out += `${indent}${key}${optional}: `;
  out += withNull(jsonSchemaToTypeScript(property, indent + NESTED_INDENT), property);
  out += ',';
  const value = field(property, 'default');
  if (!hasOneOf && value !== undefined) out += ` // ${defaultComment(property, value)}`;
  return `${out}\n`;
}

function renderPropertyOneOf(
  key: string,
  optional: string,
  property: JsonValue,
  variants: readonly JsonValue[],
  indent: string,
): string {
  let out = '';
  const description = stringField(property, 'description');
  const firstVariantDescription = stringField(variants[0], 'description');
  const printedAbove = description !== undefined && description !== firstVariantDescription;
  if (printedAbove) out += `${indent}// ${description}\n`;
  const value = field(property, 'default');
  if (value !== undefined) out += `${indent}// ${defaultComment(property, value)}\n`;
  out += `${indent}${key}${optional}:\n`;
  variants.forEach((variant, variantIdx) => {
    out += `${indent} | ${withNull(jsonSchemaToTypeScript(variant, indent + VARIANT_INDENT), variant)}`;
    const comments: string[] = [];
    const variantDescription = stringField(variant, 'description');
    const skipDescription = variantIdx === 0 && printedAbove;
    if (!skipDescription && variantDescription !== undefined && variantDescription !== description) {
      comments.push(variantDescription);
    }
    const variantDefault = field(variant, 'default');
    if (variantDefault !== undefined) comments.push(defaultComment(variant, variantDefault));
    if (comments.length > 0) out += ` // ${comments.join(' ')}`;
    out += '\n';
  });
  return `${out}${indent},\n`;
}
