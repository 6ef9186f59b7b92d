#!/usr/bin/env python3
"""Checks of the numpy half of the demo-model pipeline; needs numpy only (no torch, no GPU).

  python3 tools/demo-model/selftest.py [--write-vectors tests/fixtures/demo-model/mxfp4-vectors.json]

- MXFP4 quantiser: representable values round-trip exactly, ties go to the even code, the scale
  is the smallest that fits, the error is at most half a step; bf16 rounding is round-to-nearest-even.
- spec_forward.py against the transformers oracle (tests/fixtures/gpt-oss-tiny-a): logits to 2e-3.
- export_checkpoint / load_checkpoint round trip on random weights of the demo shape.
--write-vectors writes inputs and the quantiser's bytes for the TypeScript cross-check
(tests/demo/mxfp4-export.test.ts ports the same rule and decodes with our MXFP4 reference).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checkpoint_io import ModelShape, canonical_shapes, export_checkpoint, load_checkpoint, read_safetensors  # noqa: E402
from mxfp4 import (FP4_MAGNITUDES, FP4_VALUES, bf16_bits_to_f32, dequantize_mxfp4, f32_to_bf16_bits,  # noqa: E402
                   quantize_mxfp4, scale_exponents)
import spec_forward  # noqa: E402

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
ORACLE_DIR = os.path.join(REPO_ROOT, 'tests', 'fixtures', 'gpt-oss-tiny-a')
ORACLE_TOL = 2e-3


def vector_rows() -> np.ndarray:
    """Rows of 64 float32 values (2 groups each) that exercise every branch of the quantiser."""
    rng = np.random.default_rng(2026)
    rows = []
    rows.append(np.zeros(64))                                           # all-zero groups
    exact = np.concatenate([FP4_VALUES, FP4_VALUES]).astype(np.float64)
    rows.append(np.concatenate([exact * 2.0 ** -3, exact * 2.0 ** 5]))   # representable: exact round trip
    mids = np.array([0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0, 6.0])        # ties at every midpoint (amax 6)
    tie_group = np.concatenate([mids, -mids, mids * 0.5, -mids * 0.5])
    rows.append(np.concatenate([tie_group * 2.0 ** -4, tie_group]))
    boundary = np.full(32, 0.01)
    boundary[0] = 6.0 * 2.0 ** -2                                      # amax exactly 6 * 2^e
    above = np.full(32, -0.01)
    above[7] = np.nextafter(np.float32(6.0 * 2.0 ** -2), np.float32(1))  # just above: next exponent
    rows.append(np.concatenate([boundary, above]))
    rows.append(np.concatenate([np.full(32, 1e-30), np.full(32, -3e-39)]))  # tiny values, scale clamp
    rows.append(np.concatenate([np.full(31, 0.0), [-0.0], [-1e-3], np.zeros(31)]))
    for scale in (1e-3, 0.02, 0.3, 4.0, 100.0):
        rows.append(rng.standard_normal(64) * scale)
    rows.append(rng.uniform(-1, 1, 64) ** 5)                           # wide dynamic range in a group
    return np.stack(rows).astype(np.float32)


def check_quantiser() -> None:
    rows = vector_rows()
    blocks, scales = quantize_mxfp4(rows)
    back = dequantize_mxfp4(blocks, scales)
    groups = rows.reshape(len(rows), -1, 32).astype(np.float64)
    e = scales.astype(np.float64) - 127
    amax = np.abs(groups).max(-1)
    fits = amax <= 6 * np.exp2(e)
    smallest = (amax == 0) | (amax > 6 * np.exp2(e - 1)) | (e == -126)
    assert np.all(fits | (e == 127)) and np.all(smallest), 'scale is not the smallest that fits'
    err = np.abs(back.reshape(groups.shape) - groups)
    half_step = np.exp2(e)[..., None] * 1.0  # largest gap between FP4 magnitudes is 2 (4 -> 6): half is 1 * scale
    assert np.all(err <= half_step + 1e-45), 'error above half a step'
    # Nearest value, ties to the even code, by brute force over the 8 magnitudes.
    scaled = np.abs(groups) / np.exp2(e)[..., None]
    dist = np.abs(scaled[..., None] - FP4_MAGNITUDES)
    best = dist.min(-1, keepdims=True)
    candidates = dist == best
    even_choice = np.where(candidates[..., 0::2].any(-1), np.argmax(candidates * (np.arange(8) % 2 == 0), -1), np.argmax(candidates, -1))
    codes = np.stack([blocks & 15, blocks >> 4], -1).reshape(groups.shape) & 7
    assert np.array_equal(codes, even_choice), 'not nearest-even'
    assert np.array_equal(back[1], rows[1]), 'representable values must round-trip exactly'
    # Scale exponents near powers of two (log2 rounding).
    for k in range(-20, 20):
        v = 6.0 * 2.0 ** k
        assert scale_exponents(np.array([v]))[0] == k and scale_exponents(np.array([np.nextafter(v, 1e9)]))[0] == k + 1
    print(f'quantiser: {len(rows)} rows ok; mean |error| on N(0, 0.02): '
          f'{np.abs(back[7] - rows[7]).mean():.2e}')


def check_bf16() -> None:
    x = np.array([1.0, 1 + 2 ** -8, 1 + 2 ** -7 + 2 ** -8, 1 + 3 * 2 ** -8, -2.5, 3.0e38, 1e-40], dtype=np.float32)
    bits = f32_to_bf16_bits(x)
    want = np.array([0x3F80, 0x3F80, 0x3F82, 0x3F82, 0xC020, 0x7F62, 0x0001], dtype=np.uint16)
    assert np.array_equal(bits, want), f'bf16 rounding: {bits} vs {want}'
    assert np.array_equal(bf16_bits_to_f32(bits[:1]), np.array([1.0], np.float32))
    print('bf16: ok')


def check_spec_forward() -> None:
    if not os.path.isdir(ORACLE_DIR):
        print(f'spec forward: {ORACLE_DIR} missing, skipped')
        return
    config, weights = load_checkpoint(ORACLE_DIR)
    with open(os.path.join(ORACLE_DIR, 'oracle.json')) as f:
        oracle = json.load(f)
    ids = oracle['input_ids']
    got = spec_forward.forward(config, weights, ids)
    ref = np.fromfile(os.path.join(ORACLE_DIR, 'logits.f32'), '<f4').reshape(oracle['logits_shape'])
    diff = float(np.abs(got - ref).max())
    assert diff < ORACLE_TOL and np.array_equal(got.argmax(-1), ref.argmax(-1)), f'spec forward vs oracle: {diff}'
    print(f'spec forward vs transformers oracle: max |diff| {diff:.2e} on logits up to {np.abs(ref).max():.1f}; argmax equal')


def check_export() -> None:
    shape = ModelShape(hidden=64, layers=2, heads=4, kv_heads=2, experts=4, experts_per_token=2, intermediate=96, sliding_window=8)
    rng = np.random.default_rng(3)
    vocab_ids = np.sort(rng.choice(shape.vocab, 50, replace=False))
    weights = {name: (rng.standard_normal(dims) / np.sqrt(dims[-1])).astype(np.float32)
               for name, dims in canonical_shapes(shape, len(vocab_ids)).items()}
    with tempfile.TemporaryDirectory() as tmp:
        export_checkpoint(tmp, shape, weights, vocab_ids)
        raw = read_safetensors(os.path.join(tmp, 'model.safetensors'))
        config, loaded = load_checkpoint(tmp)
    emb = raw['model.embed_tokens.weight']
    assert emb.shape == (shape.vocab, shape.hidden)
    assert np.count_nonzero(np.abs(emb).sum(1)) == len(vocab_ids) and np.all(emb[np.setdiff1d(np.arange(shape.vocab), vocab_ids)] == 0)
    assert raw['model.layers.0.mlp.experts.gate_up_proj_blocks'].shape == (4, 192, 2, 16)
    assert raw['model.layers.0.mlp.experts.down_proj_scales'].shape == (4, 64, 3)
    for name, w in weights.items():
        got = loaded[name][vocab_ids] if name in ('model.embed_tokens.weight', 'lm_head.weight') else loaded[name]
        tol = 0.5 * np.abs(w).max() if name.endswith('proj') and 'experts' in name else 1e-2 * max(1.0, np.abs(w).max())
        assert got.shape == w.shape and np.abs(got - w).max() <= tol, name
    assert config['vocab_size'] == shape.vocab and config['quantization_config']['quant_method'] == 'mxfp4'
    print('export / load round trip: ok')


def write_vectors(path: str) -> None:
    rows = vector_rows()
    blocks, scales = quantize_mxfp4(rows)
    out = {
        'note': 'written by tools/demo-model/selftest.py --write-vectors: float32 inputs [rows, 64] as u32 bits, '
                'and quantize_mxfp4 output: blocks [rows, 2, 16], scales [rows, 2]',
        'rows': int(rows.shape[0]),
        'cols': int(rows.shape[1]),
        'input_f32_bits': rows.view(np.uint32).reshape(-1).tolist(),
        'blocks': blocks.reshape(-1).tolist(),
        'scales': scales.reshape(-1).tolist(),
    }
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(out, f)
        f.write('\n')
    print(f'wrote {path}')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--write-vectors', help='write MXFP4 test vectors (JSON) for the TypeScript test')
    args = parser.parse_args()
    check_quantiser()
    check_bf16()
    check_spec_forward()
    check_export()
    if args.write_vectors:
        write_vectors(args.write_vectors)
    print('selftest: all checks passed')


if __name__ == '__main__':
    main()
