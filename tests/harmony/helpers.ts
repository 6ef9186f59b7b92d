// Shared by the Harmony tests: the bundled tokenizer and the fixtures in tests/fixtures/harmony.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/cli.js';
import { Tokenizer } from '../../src/tokenizer/index.js';
import type { HarmonyMessageJson } from '../../src/harmony/index.js';

export const FIXTURE_DIR = join(REPO_ROOT, 'tests', 'fixtures', 'harmony');

/** The bundled o200k_harmony tokenizer (cached per process). */
export function loadTokenizer(): Promise<Tokenizer> {
  return Tokenizer.load();
}

/** A fixture file, trailing whitespace removed like harmony's tests do (`rstrip()`). */
export function readFixture(name: string): string {
  return readFileSync(join(FIXTURE_DIR, name), 'utf8').replace(/\r\n/g, '\n').trimEnd();
}

export interface RenderCase {
  readonly fixture: string;
  readonly kind: 'render';
  /** What openai/harmony's test compares; ours compare both. */
  readonly harmony_compares: readonly ('tokens' | 'text')[];
  readonly input: unknown;
}

export interface ParseCase {
  readonly fixture: string;
  readonly kind: 'parse';
  readonly input: 'tokens' | 'text';
  readonly role: 'assistant' | 'none';
  readonly expected: readonly HarmonyMessageJson[];
}

export type FixtureCase = RenderCase | ParseCase;

export function fixtureCases(): FixtureCase[] {
  return JSON.parse(readFileSync(join(FIXTURE_DIR, 'cases.json'), 'utf8')) as FixtureCase[];
}

export function renderCases(): RenderCase[] {
  return fixtureCases().filter((c): c is RenderCase => c.kind === 'render');
}

export function parseCases(): ParseCase[] {
  return fixtureCases().filter((c): c is ParseCase => c.kind === 'parse');
}

/** Whitespace-separated ids of a completion fixture. */
export function readTokenFixture(name: string): number[] {
  return readFixture(name).split(/\s+/).map(Number);
}
