// The engine's commands end to end through the built CLI: info, forward, generate, and their errors.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestModel } from '../../src/model/create-test-model.js';
import { Tokenizer } from '../../src/tokenizer/index.js';
import { runCli } from '../helpers/cli.js';

const ORACLE = join(import.meta.dirname, '../fixtures/gpt-oss-tiny-a');
const oracle = JSON.parse(readFileSync(join(ORACLE, 'oracle.json'), 'utf8')) as { input_ids: number[]; greedy_continuation: number[] };

describe('wgh info / forward / generate', () => {
  it('info --json reports adapter, features and limits', async () => {
    const r = await runCli(['info', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout) as { adapter: { backend: string; backendSource: string }; features: string[]; limits: Record<string, number> };
    // What Dawn reports for the opened adapter, not a guess from the platform.
    expect(info.adapter).toMatchObject({ backend: 'vulkan', backendSource: 'dawn' });
    expect(info.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
    expect(Array.isArray(info.features)).toBe(true);
  });

  it('forward writes float32 [T, V] logits equal to the oracle within 2e-2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wgh-forward-'));
    const idsFile = join(dir, 'ids.json');
    writeFileSync(idsFile, JSON.stringify(oracle.input_ids));
    const out = join(dir, 'logits.f32');
    const r = await runCli(['forward', '--model', ORACLE, '--ids', `@${idsFile}`, '--logits', out, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const got = new Float32Array(readFileSync(out).buffer.slice(0));
    const ref = new Float32Array(readFileSync(join(ORACLE, 'logits.f32')).buffer.slice(0));
    expect(got.length).toBe(ref.length);
    let maxDiff = 0;
    for (let i = 0; i < ref.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i] - ref[i]));
    expect(maxDiff).toBeLessThan(2e-2);
  });

  it('generate --json reproduces the oracle greedy continuation', async () => {
    const r = await runCli(['generate', '--model', ORACLE, '--ids', oracle.input_ids.join(','), '--max-tokens', '24', '--temperature', '0', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { tokens: number[]; finishReason: string; stopReason: unknown; metrics: Record<string, unknown> };
    expect(out.tokens).toEqual(oracle.greedy_continuation);
    expect(out.finishReason).toBe('length');
    expect(out.stopReason).toEqual({ kind: 'max_tokens' });
    expect(out.metrics).toMatchObject({ promptTokens: 40, completionTokens: 24, loopDetection: 'cheap', maxKvSize: 0 });
  });

  it('generate --stop ends at a stop id; --max-kv-size sets the cache policy', async () => {
    const stopId = oracle.greedy_continuation[4];
    const r = await runCli(['generate', '--model', ORACLE, '--ids', oracle.input_ids.join(','), '--max-tokens', '24', '--temperature', '0', '--stop', String(stopId), '--max-kv-size', '80', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { tokens: number[]; finishReason: string; stopReason: unknown; metrics: { maxKvSize: number } };
    expect(out.finishReason).toBe('stop');
    expect(out.stopReason).toEqual({ kind: 'stop_token', id: stopId });
    expect(out.tokens[out.tokens.length - 1]).toBe(stopId);
    expect(out.tokens).toEqual(oracle.greedy_continuation.slice(0, 5)); // 80 > 40 + 24: nothing rotates out
    expect(out.metrics.maxKvSize).toBe(80);
  });

  it('no Vulkan driver: a clear error that says how to install one', async () => {
    const r = await runCli(['info'], { env: { VK_DRIVER_FILES: '/nonexistent/icd.json', VK_ICD_FILENAMES: '/nonexistent/icd.json' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/No WebGPU adapter is available/);
    expect(r.stderr).toMatch(/mesa-vulkan-drivers/);
  });

  it('an unknown adapter name lists the adapters', async () => {
    const r = await runCli(['info', '--adapter', 'no-such-gpu']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no GPU adapter matches --adapter 'no-such-gpu'/);
    expect(r.stderr).toMatch(/Available adapters/);
  });

  it('bad ids and a directory that is not a model give one clear line', async () => {
    const bad = await runCli(['generate', '--model', ORACLE, '--ids', '1,x,3']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--ids: item 1 is "x"/);
    const outOfVocab = await runCli(['generate', '--model', ORACLE, '--ids', '5,1024', '--quiet']);
    expect(outOfVocab.code).toBe(1);
    expect(outOfVocab.stderr).toMatch(/token id 1024 outside the vocabulary \[0, 1024\)/);
    const notModel = await runCli(['generate', '--model', tmpdir(), '--ids', '1']);
    expect(notModel.code).toBe(1);
    expect(notModel.stderr).toMatch(/config\.json/);
  });
});

describe('wgh generate --prompt and sampling flags (tiny preset, real tokenizer)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wgh-cli-tiny-'));
    await createTestModel({ outDir: dir, preset: 'tiny', seed: 3 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--prompt goes through the tokenizer; the same --seed gives the same tokens', async () => {
    const prompt = '<|start|>user<|message|>Say hello.<|end|><|start|>assistant';
    const flags = ['generate', '--model', dir, '--prompt', prompt, '--max-tokens', '6', '--temperature', '0.9', '--top-p', '0.95', '--top-k', '50', '--min-p', '0.01', '--repetition-penalty', '1.1', '--presence-penalty', '0.2', '--frequency-penalty', '0.1', '--seed', '7', '--loop-detection', 'full', '--json'];
    const [a, b] = [await runCli(flags), await runCli(flags)];
    expect(a.code, a.stderr).toBe(0);
    const outA = JSON.parse(a.stdout) as { tokens: number[]; text: string; metrics: { promptTokens: number; seed: number; loopDetection: string } };
    const outB = JSON.parse(b.stdout) as { tokens: number[] };
    expect(outA.tokens).toHaveLength(6);
    expect(outB.tokens).toEqual(outA.tokens);
    const tok = await Tokenizer.load(dir);
    expect(outA.metrics).toMatchObject({ promptTokens: tok.encodeWithSpecials(prompt).length, seed: 7, loopDetection: 'full' });
    expect(outA.text).toBe(tok.decode(outA.tokens));
  });

  it('bad sampling flags give one clear line', async () => {
    const r = await runCli(['generate', '--model', dir, '--prompt', 'hi', '--loop-detection', 'sometimes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--loop-detection: expected off, cheap, full/);
    const both = await runCli(['generate', '--model', dir, '--prompt', 'hi', '--ids', '1']);
    expect(both.stderr).toMatch(/exactly one of --prompt TEXT or --ids IDS/);
    const temp = await runCli(['generate', '--model', dir, '--prompt', 'hi', '--temperature', '-1', '--quiet']);
    expect(temp.code).toBe(1);
    expect(temp.stderr).toMatch(/temperature/);
  });
});
