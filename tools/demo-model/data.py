"""Reads the shards of generate-data.ts (see lib/shard-writer.ts) and makes padded batches; numpy only.

A split is the concatenation of its shards: ids u32 [N], mask u8 [N] (1 = the model writes this
token), offsets u64 [S+1], kinds u8 [S]. Training maps ids to a compact vocabulary (the ids that
occur in the training split, sorted), so the embedding and output head only have rows for tokens
the model ever sees; every other row of the exported checkpoint is zero.
"""
from __future__ import annotations

import glob
import json
import os
from dataclasses import dataclass

import numpy as np


@dataclass
class Split:
    ids: np.ndarray       # uint32 [N]
    mask: np.ndarray      # uint8 [N]
    offsets: np.ndarray   # int64 [S+1]
    kinds: np.ndarray     # uint8 [S]
    compact: np.ndarray | None = None  # int32 [N]: ids as compact vocabulary rows (-1 outside), once computed

    @property
    def num_sequences(self) -> int:
        return len(self.kinds)

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def sequence(self, seq_idx: int) -> tuple[np.ndarray, np.ndarray]:
        begin, end = self.offsets[seq_idx], self.offsets[seq_idx + 1]
        return self.ids[begin:end], self.mask[begin:end]


def load_shard(base: str) -> Split:
    return Split(
        ids=np.fromfile(base + '.ids.u32', dtype='<u4'),
        mask=np.fromfile(base + '.mask.u8', dtype=np.uint8),
        offsets=np.fromfile(base + '.offsets.u64', dtype='<u8').astype(np.int64),
        kinds=np.fromfile(base + '.kinds.u8', dtype=np.uint8),
    )


def concat(splits: list[Split]) -> Split:
    offsets = [np.zeros(1, dtype=np.int64)]
    base = 0
    for s in splits:
        offsets.append(s.offsets[1:] + base)
        base += int(s.offsets[-1])
    return Split(ids=np.concatenate([s.ids for s in splits]), mask=np.concatenate([s.mask for s in splits]),
                 offsets=np.concatenate(offsets), kinds=np.concatenate([s.kinds for s in splits]))


def load_split(data_dir: str, name: str) -> Split:
    """name 'train' reads every train-KK shard in order; 'valid' reads valid."""
    if name == 'train':
        bases = sorted(p[: -len('.meta.json')] for p in glob.glob(os.path.join(data_dir, 'train-*.meta.json')))
    else:
        bases = [os.path.join(data_dir, name)]
    if not bases:
        raise FileNotFoundError(f'no {name} shards in {data_dir}')
    split = concat([load_shard(b) for b in bases])
    if len(split.ids) != len(split.mask) or split.offsets[-1] != len(split.ids):
        raise ValueError(f'{data_dir}/{name}: ids, mask and offsets disagree')
    return split


def load_manifest(data_dir: str) -> dict:
    with open(os.path.join(data_dir, 'manifest.json')) as f:
        return json.load(f)


class Vocab:
    """Full o200k ids <-> compact rows (the sorted ids seen in training)."""

    def __init__(self, full_ids: np.ndarray, full_size: int):
        self.ids = np.unique(full_ids).astype(np.int64)
        self.full_size = full_size
        self.to_compact = np.full(full_size + 1, -1, dtype=np.int64)
        self.to_compact[self.ids] = np.arange(len(self.ids))

    def __len__(self) -> int:
        return len(self.ids)

    def compact(self, full_ids: np.ndarray) -> np.ndarray:
        """Compact rows; -1 for ids outside the training vocabulary."""
        return self.to_compact[np.asarray(full_ids, dtype=np.int64)]

    def oov(self, full_ids: np.ndarray) -> np.ndarray:
        return np.setdiff1d(np.unique(np.asarray(full_ids, dtype=np.int64)), self.ids)


def plan_batches(lengths: np.ndarray, tokens_per_batch: int, rng: np.random.Generator, max_batch: int = 1024) -> list[np.ndarray]:
    """Groups sequences of similar length (sorted with random jitter) so that B * max_len <= tokens_per_batch; shuffled."""
    jitter = rng.uniform(0, 8, size=len(lengths))
    order = np.argsort(lengths + jitter, kind='stable')
    batches: list[np.ndarray] = []
    start = 0
    while start < len(order):
        end = start
        longest = 0
        while end < len(order) and end - start < max_batch:
            longest_if = max(longest, int(lengths[order[end]]))
            if (end - start + 1) * longest_if > tokens_per_batch and end > start:
                break
            longest = longest_if
            end += 1
        batches.append(order[start:end])
        start = end
    rng.shuffle(batches)
    return batches


def make_batch(split: Split, vocab: Vocab, seq_indices: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(inputs [B, L] compact ids, targets [B, L] compact ids of the next token, weights [B, L] float32).

    weights[b, t] = 1 where token t+1 of sequence b is written by the model (and is in the vocabulary);
    right padding (compact id 0) has weight 0 and, being after the sequence, cannot affect it (causal).
    """
    lengths = split.lengths[seq_indices]
    width = int(lengths.max())
    inputs = np.zeros((len(seq_indices), width), dtype=np.int64)
    targets = np.zeros((len(seq_indices), width), dtype=np.int64)
    weights = np.zeros((len(seq_indices), width), dtype=np.float32)
    if split.compact is None:
        split.compact = vocab.compact(split.ids).astype(np.int32)
    for row, seq_idx in enumerate(seq_indices):
        begin, end = int(split.offsets[seq_idx]), int(split.offsets[seq_idx + 1])
        compact, mask = split.compact[begin:end], split.mask[begin:end]
        n = end - begin
        inputs[row, :n] = np.maximum(compact, 0)
        targets[row, : n - 1] = np.maximum(compact[1:], 0)
        weights[row, : n - 1] = (mask[1:] == 1) & (compact[1:] >= 0)
    return inputs, targets, weights


def check_eval_vocab(data_dir: str, vocab: Vocab) -> dict:
    """Ids of the evaluation prompts (eval/prompt-ids.json) that training never saw (their rows are zero)."""
    path = os.path.join(data_dir, 'eval', 'prompt-ids.json')
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        prompts = json.load(f)
    out = {}
    for name, lists in prompts.items():
        oov = vocab.oov(np.concatenate([np.asarray(p, dtype=np.int64) for p in lists]))
        out[name] = {'prompts': len(lists), 'num_oov': int(len(oov)), 'oov_ids': [int(i) for i in oov[:20]]}
    print(f'[data] evaluation prompts vs the training vocabulary: {json.dumps(out)}', flush=True)
    return out
