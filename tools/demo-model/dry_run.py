"""train.py --dry-run: everything that needs no torch, on real generated data and random weights of
the demo shape: shards, vocabulary, batches and their loss weights, the export (MXFP4 experts, zero
rows), reading it back, the spec forward of the full-vocabulary file vs the compact weights, and the
packaged size."""
from __future__ import annotations

import argparse
import math
import os

import numpy as np

import spec_forward
from checkpoint_io import O200K_HARMONY_VOCAB, ModelShape, canonical_shapes, export_checkpoint, load_checkpoint, package
from common import SHAPE, log, write_json
from data import Vocab, check_eval_vocab, load_manifest, load_split, make_batch, plan_batches
from mxfp4 import fake_quantize_mxfp4


def random_canonical(shape: ModelShape, vocab_rows: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    weights: dict[str, np.ndarray] = {}
    for name, dims in canonical_shapes(shape, vocab_rows).items():
        if name.endswith('norm.weight'):
            weights[name] = 1 + 0.1 * rng.standard_normal(dims)
        elif name.endswith(('bias', 'sinks')):
            weights[name] = 0.1 * rng.standard_normal(dims)
        else:
            weights[name] = rng.standard_normal(dims) / math.sqrt(dims[-1])
    return {k: v.astype(np.float32) for k, v in weights.items()}


def dry_run(args: argparse.Namespace) -> None:
    manifest = load_manifest(args.data)
    train = load_split(args.data, 'train')
    valid = load_split(args.data, 'valid')
    vocab = Vocab(train.ids, O200K_HARMONY_VOCAB)
    log(f'data: {train.num_sequences} train sequences, {len(train.ids)} tokens ({int(train.mask.sum())} trained); '
        f'{valid.num_sequences} valid; vocabulary U={len(vocab)}; valid OOV ids {len(vocab.oov(valid.ids))}')
    rng = np.random.default_rng(1)
    batches = plan_batches(train.lengths, args.tokens_per_batch, rng)
    inputs, targets, weights = make_batch(train, vocab, batches[0])
    padded = sum(len(b) * int(train.lengths[b].max()) for b in batches)
    log(f'batches: {len(batches)} per epoch, first {inputs.shape}, {int(weights.sum())} loss tokens; padding {1 - len(train.ids) / padded:.1%}')
    seq = int(batches[0][0])
    ids, mask = train.sequence(seq)
    assert np.array_equal(weights[0, : len(ids) - 1] > 0, mask[1:] == 1), 'loss weights must mark the next token written by the model'
    assert np.array_equal(vocab.ids[targets[0, : len(ids) - 1]], ids[1:]), 'targets must be the next tokens'
    assert np.array_equal(vocab.ids[inputs[0, : len(ids)]], ids), 'inputs must be the tokens'
    check_eval_vocab(args.data, vocab)

    canon = random_canonical(SHAPE, len(vocab), rng)
    export_dir = os.path.join(args.work, 'export')
    stats = export_checkpoint(export_dir, SHAPE, canon, vocab.ids)
    config, exported = load_checkpoint(export_dir)
    prompt = valid.sequence(0)[0][:80].astype(np.int64)
    got = spec_forward.forward(config, exported, prompt)
    compact = dict(exported)
    compact['model.embed_tokens.weight'] = exported['model.embed_tokens.weight'][vocab.ids]
    compact['lm_head.weight'] = exported['lm_head.weight'][vocab.ids]
    want = spec_forward.forward(config, compact, vocab.compact(prompt))
    diff = float(np.abs(got[:, vocab.ids] - want).max())
    unseen_zero = bool(np.all(np.delete(got, vocab.ids, axis=1) == 0))
    log(f'export: {stats}; full-vocabulary vs compact spec forward max diff {diff:.2e}; unseen logits all zero: {unseen_zero}')
    assert diff < 1e-9 and unseen_zero
    err = float(np.abs(fake_quantize_mxfp4(canon['model.layers.0.mlp.experts.gate_up_proj']) - canon['model.layers.0.mlp.experts.gate_up_proj']).mean())
    log(f'MXFP4 mean |error| on a random N(0, 1/C) matrix: {err:.4f}')
    size = package(export_dir, os.path.join(args.out, 'demo-model.tar.gz'))
    log(f'packaged (random weights, same vocabulary): {size / 1e6:.2f} MB')
    write_json(os.path.join(args.out, 'summary.json'), {'dry_run': True, 'vocab_rows': len(vocab), 'export': stats, 'tar_gz_bytes': size,
                                                        'export_dir': export_dir, 'manifest': manifest})
