// The napkin model (src/model/napkin.ts) against hand-written formulas for gpt-oss-20b/120b shapes,
// and the mapping of profiled kernel labels to its rows.
import { describe, expect, it } from 'vitest';
import { mxfp4MatrixBytes, napkinDecode, napkinForward, napkinKeyOf, napkinPrefill, type NapkinForward, type NapkinKey } from '../../src/model/napkin.js';
import { planTestModel } from '../../src/model/test-model-plan.js';

const cfg20 = planTestModel('20b').config;
const cfg120 = planTestModel('120b').config;
const C = 2880;
const V = 201088;
const W = 128;
const KV_ROW_BYTES = 8 * 64 * 2 * 4; // Hkv · Dh · (K and V) · f32

const bytesOf = (n: NapkinForward, key: NapkinKey) => n.rows.find((r) => r.key === key)!.bytes;

describe('napkin model', () => {
  it('20b decode at depth 0: dense bf16 weights, MXFP4 experts at 4.25 bits per weight, lm_head', () => {
    const n = napkinDecode(cfg20, 0);
    expect(bytesOf(n, 'qkv')).toBe(24 * (5120 * C * 2 + 5120 * 2 + (5120 + C) * 4));
    expect(bytesOf(n, 'out')).toBe(24 * (C * 4096 * 2 + C * 2 + (C + 4096) * 4) + 24 * C * 4);
    const gateUpWeights = 4 * (5760 * C * 4.25) / 8 + 4 * 5760 * 2; // 4 experts, weights + bf16 bias
    expect(bytesOf(n, 'moe_gate_up')).toBe(24 * (gateUpWeights + C * 4 + 4 * C * 4));
    expect(bytesOf(n, 'lm_head')).toBe(V * C * 2 + (C + V) * 4);
    expect(n.bytes).toBe(n.rows.reduce((a, r) => a + r.bytes, 0));
    // ≈ 3.72 GB per token: the roofline at 4.1 TB/s is ~1100 tok/s.
    expect(n.bytes / 1e9).toBeCloseTo(3.718, 2);
  });

  it('120b differs by layers (36) and the router (E = 128); experts touched stay K = 4', () => {
    const a = napkinDecode(cfg20, 0);
    const b = napkinDecode(cfg120, 0);
    expect(bytesOf(b, 'moe_down') / bytesOf(a, 'moe_down')).toBeCloseTo(36 / 24, 12);
    expect(bytesOf(b, 'router')).toBe(36 * (128 * C * 2 + 128 * 2 + (128 + C) * 4));
    expect(bytesOf(b, 'lm_head')).toBe(bytesOf(a, 'lm_head'));
  });

  it('K/V reads grow with depth on full layers and stop at the window on sliding layers', () => {
    const at = (depth: number) => napkinDecode(cfg20, depth);
    expect(bytesOf(at(1024), 'sdpa_full') - bytesOf(at(0), 'sdpa_full')).toBe(12 * 1024 * KV_ROW_BYTES);
    expect(bytesOf(at(4096), 'sdpa_sliding')).toBe(bytesOf(at(W), 'sdpa_sliding'));
    expect(bytesOf(at(W - 1), 'sdpa_sliding')).toBe(bytesOf(at(W), 'sdpa_sliding'));
    expect(bytesOf(at(W - 2), 'sdpa_sliding')).toBeLessThan(bytesOf(at(W), 'sdpa_sliding'));
    // An f16 cache halves the K/V part.
    const f16 = napkinDecode(cfg20, 1024, 2);
    expect(bytesOf(at(1024), 'sdpa_full') - bytesOf(f16, 'sdpa_full')).toBe(12 * 1025 * KV_ROW_BYTES / 2);
  });

  it('prefill sums its chunks: weights once per chunk, all experts once T·K ≥ E, logits for the last token only', () => {
    const p = napkinPrefill(cfg20, 512, 256);
    const chunk = napkinForward(cfg20, { numTokens: 256, depth: 0, logits: 'none' });
    expect(bytesOf(p, 'router')).toBe(2 * bytesOf(chunk, 'router'));
    expect(p.rows.find((r) => r.key === 'lm_head')!.calls).toBe(1);
    expect(p.rows.find((r) => r.key === 'argmax')).toBeUndefined();
    // T·K = 32 touches all E = 32 experts, T·K = 28 only 28 (one more token: its activations too).
    const all = bytesOf(napkinForward(cfg20, { numTokens: 8, depth: 0 }), 'moe_down');
    const fewer = bytesOf(napkinForward(cfg20, { numTokens: 7, depth: 0 }), 'moe_down');
    expect(all - fewer).toBe(24 * (4 * mxfp4MatrixBytes(C, 2880) + 4 * 2880 * 4 + 2 * C * 4));
  });

  it('maps profiled kernel labels to napkin keys', () => {
    expect(napkinKeyOf('f32_bf16w_matmul[LANES=32,ROWS=8]', 'qkv')).toBe('qkv');
    expect(napkinKeyOf('f32_bf16w_matmul[LANES=32,ROWS=8]', 'lm_head')).toBe('lm_head');
    expect(napkinKeyOf('f32_sdpa_sink[WG_SIZE=64]', 'sliding')).toBe('sdpa_sliding');
    expect(napkinKeyOf('f32_sdpa_sink[WG_SIZE=64]', 'full')).toBe('sdpa_full');
    expect(napkinKeyOf('f32_mxfp4w_moe_swiglu[LANES=32,OUTS_PER_WG=8]', 'experts 0..15')).toBe('moe_gate_up');
    expect(napkinKeyOf('f32_argmax[WG_SIZE=256]', '')).toBe('argmax');
    expect(napkinKeyOf('u32_stream_read[WG_SIZE=256]', '')).toBeNull();
  });
});
