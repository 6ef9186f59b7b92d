"""Shared by the demo-model Python scripts: the model shape, special token ids, logging, JSON output,
and a byte-level decoder of o200k_harmony ids to text (for logs and the quick evaluation)."""
from __future__ import annotations

import gzip
import io
import json
import os
import time

from checkpoint_io import ModelShape

SHAPE = ModelShape()
REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
TOKENIZER_ASSET = os.path.join(REPO_ROOT, 'assets', 'o200k_harmony.tokenizer.json.gz')

RETURN_ID = 200002
CALL_ID = 200012
PAD_ID = 199999
SPECIAL_TEXT = {199998: '<|startoftext|>', 199999: '<|endoftext|>', 200002: '<|return|>', 200003: '<|constrain|>',
                200005: '<|channel|>', 200006: '<|start|>', 200007: '<|end|>', 200008: '<|message|>', 200012: '<|call|>'}

_log_file: io.TextIOBase | None = None
_t0 = time.time()


def set_log_file(f: io.TextIOBase | None) -> None:
    global _log_file
    _log_file = f


def elapsed() -> float:
    return time.time() - _t0


def log(message: str) -> None:
    line = f'[train {elapsed():7.1f}s] {message}'
    print(line, flush=True)
    if _log_file is not None:
        _log_file.write(line + '\n')
        _log_file.flush()


def write_json(path: str, obj: object) -> None:
    tmp = path + '.partial'
    with open(tmp, 'w') as f:
        json.dump(obj, f, indent=2, default=lambda o: o.item() if hasattr(o, 'item') else str(o))
        f.write('\n')
    os.replace(tmp, path)


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's byte-level alphabet: byte -> the character tokenizer.json uses for it."""
    bs = list(range(ord('!'), ord('~') + 1)) + list(range(ord('¡'), ord('¬') + 1)) + list(range(ord('®'), ord('ÿ') + 1))
    cs = bs[:]
    extra = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + extra)
            extra += 1
    return dict(zip(bs, (chr(c) for c in cs)))


class TextDecoder:
    """ids -> text; special ids as their <|…|> text (lossy, for logs)."""

    def __init__(self, path: str = TOKENIZER_ASSET):
        with gzip.open(path, 'rt', encoding='utf-8') as f:
            vocab = json.load(f)['model']['vocab']
        byte_of = {ch: b for b, ch in _bytes_to_unicode().items()}
        self.pieces: dict[int, bytes] = {idx: bytes(byte_of[ch] for ch in token) for token, idx in vocab.items()}

    def decode(self, ids: list[int]) -> str:
        out = bytearray()
        for i in ids:
            out += self.pieces[i] if i in self.pieces else SPECIAL_TEXT.get(i, f'<|reserved_{i}|>').encode()
        return out.decode('utf-8', errors='replace')
