// The engine's commands end to end through the built CLI: info, forward, generate, and their errors.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const ORACLE = join(import.meta.dirname, '../fixtures/gpt-oss-tiny-a');
const oracle = JSON.parse(readFileSync(join(ORACLE, 'oracle.json'), 'utf8')) as { input_ids: number[]; greedy_continuation: number[] };

describe('wgh info / forward / generate', () => {
  it('info --json reports adapter, features and limits', async () => {
    const r = await runCli(['info', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout) as { adapter: { backend: string }; features: string[]; limits: Record<string, number> };
    expect(info.adapter.backend).toBe('vulkan');
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
    const out = JSON.parse(r.stdout) as { tokens: number[]; finishReason: string };
    expect(out.tokens).toEqual(oracle.greedy_continuation);
    expect(out.finishReason).toBe('length');
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
