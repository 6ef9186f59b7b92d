"""The demo model's checkpoint in the Hugging Face gpt-oss layout (spec gpt-oss.md §3.1), numpy only.

Canonical weights (what the exporter takes and what spec_forward.py computes with) are float32
arrays under the HF tensor names, with the experts as matrices in the forward orientation
[out, in]:
  model.layers.L.mlp.experts.gate_up_proj   [E, 2I, C]  (row 2i = gate_i, row 2i+1 = up_i)
  model.layers.L.mlp.experts.down_proj      [E, C, I]
and the embedding / output head restricted to the vocabulary the model was trained on:
  model.embed_tokens.weight, lm_head.weight [U, C], with vocab_ids [U] giving their full ids.
The exported file has every other row exactly zero, the experts as MXFP4 *_blocks / *_scales, and
every other tensor in bf16.
"""
from __future__ import annotations

import json
import os
import struct
import tarfile
from dataclasses import dataclass

import numpy as np

from mxfp4 import bf16_bits_to_f32, dequantize_mxfp4, f32_to_bf16_bits, quantize_mxfp4

O200K_HARMONY_VOCAB = 201088
BOS_TOKEN_ID = 199998
PAD_TOKEN_ID = 199999
RETURN_TOKEN_ID = 200002
CALL_TOKEN_ID = 200012
SAFETENSORS_ALIGN = 8
EXPERT_MATRICES = ('gate_up_proj', 'down_proj')


@dataclass(frozen=True)
class ModelShape:
    """The demo model's shape (the defaults); small enough for lavapipe CI and a few-MB package."""
    hidden: int = 128
    layers: int = 4
    heads: int = 8
    kv_heads: int = 2
    head_dim: int = 64
    experts: int = 8
    experts_per_token: int = 4
    intermediate: int = 256
    sliding_window: int = 64
    vocab: int = O200K_HARMONY_VOCAB


def config_json(shape: ModelShape, vocab_size: int | None = None) -> dict:
    """config.json as openai/gpt-oss-20b ships it, with this shape (vocab_size overridable for training)."""
    return {
        'architectures': ['GptOssForCausalLM'],
        'attention_bias': True,
        'attention_dropout': 0.0,
        'eos_token_id': RETURN_TOKEN_ID,
        'experts_per_token': shape.experts_per_token,
        'head_dim': shape.head_dim,
        'hidden_act': 'silu',
        'hidden_size': shape.hidden,
        'initial_context_length': 4096,
        'initializer_range': 0.02,
        'intermediate_size': shape.intermediate,
        'layer_types': ['sliding_attention' if layer % 2 == 0 else 'full_attention' for layer in range(shape.layers)],
        'max_position_embeddings': 131072,
        'model_type': 'gpt_oss',
        'num_attention_heads': shape.heads,
        'num_experts_per_tok': shape.experts_per_token,
        'num_hidden_layers': shape.layers,
        'num_key_value_heads': shape.kv_heads,
        'num_local_experts': shape.experts,
        'output_router_logits': False,
        'pad_token_id': PAD_TOKEN_ID,
        'quantization_config': {
            'modules_to_not_convert': ['model.layers.*.self_attn', 'model.layers.*.mlp.router', 'model.embed_tokens', 'lm_head'],
            'quant_method': 'mxfp4',
        },
        'rms_norm_eps': 1e-05,
        'rope_scaling': {'beta_fast': 32.0, 'beta_slow': 1.0, 'factor': 32.0, 'original_max_position_embeddings': 4096,
                         'rope_type': 'yarn', 'truncate': False},
        'rope_theta': 150000,
        'router_aux_loss_coef': 0.9,
        'sliding_window': shape.sliding_window,
        'swiglu_limit': 7.0,
        'tie_word_embeddings': False,
        'transformers_version': '5.17.0',
        'use_cache': True,
        'vocab_size': shape.vocab if vocab_size is None else vocab_size,
    }


def generation_config_json() -> dict:
    return {'bos_token_id': BOS_TOKEN_ID, 'do_sample': True, 'eos_token_id': [RETURN_TOKEN_ID, PAD_TOKEN_ID, CALL_TOKEN_ID],
            'pad_token_id': PAD_TOKEN_ID}


def canonical_names(shape: ModelShape) -> list[str]:
    names = ['model.embed_tokens.weight', 'model.norm.weight', 'lm_head.weight']
    for layer in range(shape.layers):
        p = f'model.layers.{layer}.'
        names += [p + 'input_layernorm.weight', p + 'post_attention_layernorm.weight', p + 'self_attn.sinks',
                  p + 'mlp.router.weight', p + 'mlp.router.bias']
        for proj in ('q_proj', 'k_proj', 'v_proj', 'o_proj'):
            names += [p + f'self_attn.{proj}.weight', p + f'self_attn.{proj}.bias']
        for matrix in EXPERT_MATRICES:
            names += [p + f'mlp.experts.{matrix}', p + f'mlp.experts.{matrix}_bias']
    return names


def canonical_shapes(shape: ModelShape, vocab_rows: int) -> dict[str, tuple[int, ...]]:
    c, hq, hkv, dh, e, i = shape.hidden, shape.heads, shape.kv_heads, shape.head_dim, shape.experts, shape.intermediate
    out: dict[str, tuple[int, ...]] = {'model.embed_tokens.weight': (vocab_rows, c), 'model.norm.weight': (c,), 'lm_head.weight': (vocab_rows, c)}
    for layer in range(shape.layers):
        p = f'model.layers.{layer}.'
        out.update({
            p + 'input_layernorm.weight': (c,), p + 'post_attention_layernorm.weight': (c,), p + 'self_attn.sinks': (hq,),
            p + 'self_attn.q_proj.weight': (hq * dh, c), p + 'self_attn.q_proj.bias': (hq * dh,),
            p + 'self_attn.k_proj.weight': (hkv * dh, c), p + 'self_attn.k_proj.bias': (hkv * dh,),
            p + 'self_attn.v_proj.weight': (hkv * dh, c), p + 'self_attn.v_proj.bias': (hkv * dh,),
            p + 'self_attn.o_proj.weight': (c, hq * dh), p + 'self_attn.o_proj.bias': (c,),
            p + 'mlp.router.weight': (e, c), p + 'mlp.router.bias': (e,),
            p + 'mlp.experts.gate_up_proj': (e, 2 * i, c), p + 'mlp.experts.gate_up_proj_bias': (e, 2 * i),
            p + 'mlp.experts.down_proj': (e, c, i), p + 'mlp.experts.down_proj_bias': (e, c),
        })
    return out


def check_canonical(shape: ModelShape, weights: dict[str, np.ndarray], vocab_rows: int) -> None:
    want = canonical_shapes(shape, vocab_rows)
    missing = sorted(set(want) - set(weights))
    extra = sorted(set(weights) - set(want))
    if missing or extra:
        raise ValueError(f'canonical weights: missing {missing[:5]}, unexpected {extra[:5]}')
    for name, dims in want.items():
        if tuple(weights[name].shape) != dims:
            raise ValueError(f'canonical weights: {name} expected shape {dims}, got {tuple(weights[name].shape)}')
        if not np.all(np.isfinite(weights[name])):
            raise ValueError(f'canonical weights: {name} has non-finite values')


def write_safetensors(path: str, tensors: list[tuple[str, str, tuple[int, ...], bytes]]) -> None:
    """tensors: (name, dtype 'BF16'|'U8'|'F32', shape, raw little-endian bytes), written in this order."""
    header: dict = {'__metadata__': {'format': 'pt'}}
    offset = 0
    for name, dtype, dims, data in tensors:
        header[name] = {'dtype': dtype, 'shape': list(dims), 'data_offsets': [offset, offset + len(data)]}
        offset += len(data)
    raw = json.dumps(header, separators=(',', ':')).encode('utf-8')
    raw += b' ' * ((-len(raw)) % SAFETENSORS_ALIGN)
    tmp = path + '.partial'
    with open(tmp, 'wb') as f:
        f.write(struct.pack('<Q', len(raw)))
        f.write(raw)
        for _, _, _, data in tensors:
            f.write(data)
    os.replace(tmp, path)


def read_safetensors(path: str) -> dict[str, np.ndarray]:
    """name -> array (BF16 as float32, U8 as uint8, F32 as float32)."""
    with open(path, 'rb') as f:
        raw = f.read()
    n = struct.unpack('<Q', raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    base = 8 + n
    out: dict[str, np.ndarray] = {}
    for name, info in header.items():
        if name == '__metadata__':
            continue
        begin, end = info['data_offsets']
        buf = raw[base + begin: base + end]
        if info['dtype'] == 'BF16':
            arr = bf16_bits_to_f32(np.frombuffer(buf, '<u2'))
        elif info['dtype'] == 'U8':
            arr = np.frombuffer(buf, np.uint8)
        elif info['dtype'] == 'F32':
            arr = np.frombuffer(buf, '<f4').astype(np.float32)
        else:
            raise ValueError(f'{path}: {name} has unsupported dtype {info["dtype"]}')
        out[name] = arr.reshape(info['shape'])
    return out


def bf16_bytes(x: np.ndarray) -> bytes:
    return f32_to_bf16_bits(np.asarray(x, dtype=np.float32)).astype('<u2').tobytes()


def export_checkpoint(out_dir: str, shape: ModelShape, weights: dict[str, np.ndarray], vocab_ids: np.ndarray) -> dict:
    """Writes config.json, generation_config.json and model.safetensors; returns size statistics."""
    vocab_ids = np.asarray(vocab_ids, dtype=np.int64)
    if vocab_ids.ndim != 1 or np.any(np.diff(vocab_ids) <= 0) or vocab_ids[0] < 0 or vocab_ids[-1] >= shape.vocab:
        raise ValueError('export: vocab_ids must be strictly increasing ids in [0, V)')
    check_canonical(shape, weights, len(vocab_ids))
    os.makedirs(out_dir, exist_ok=True)
    tensors: list[tuple[str, str, tuple[int, ...], bytes]] = []
    for name in sorted(weights):
        w = np.asarray(weights[name], dtype=np.float32)
        if name in ('model.embed_tokens.weight', 'lm_head.weight'):
            full = np.zeros((shape.vocab, shape.hidden), dtype=np.float32)
            full[vocab_ids] = w
            tensors.append((name, 'BF16', full.shape, bf16_bytes(full)))
        elif name.endswith(EXPERT_MATRICES):
            blocks, scales = quantize_mxfp4(w)
            tensors.append((name + '_blocks', 'U8', blocks.shape, blocks.tobytes()))
            tensors.append((name + '_scales', 'U8', scales.shape, scales.tobytes()))
        else:
            tensors.append((name, 'BF16', w.shape, bf16_bytes(w)))
    tensors.sort(key=lambda t: t[0])
    write_safetensors(os.path.join(out_dir, 'model.safetensors'), tensors)
    with open(os.path.join(out_dir, 'generation_config.json'), 'w') as f:
        json.dump(generation_config_json(), f, indent=2)
        f.write('\n')
    # config.json last: it is what makes the directory look like a model.
    with open(os.path.join(out_dir, 'config.json'), 'w') as f:
        json.dump(config_json(shape), f, indent=2)
        f.write('\n')
    nonzero_rows = len(vocab_ids)
    return {
        'safetensors_bytes': os.path.getsize(os.path.join(out_dir, 'model.safetensors')),
        'tensors': len(tensors),
        'nonzero_vocab_rows': nonzero_rows,
    }


def load_checkpoint(model_dir: str) -> tuple[dict, dict[str, np.ndarray]]:
    """(config, weights): every tensor as float32, experts dequantised to [E, out, in] under the canonical names."""
    with open(os.path.join(model_dir, 'config.json')) as f:
        config = json.load(f)
    raw = read_safetensors(os.path.join(model_dir, 'model.safetensors'))
    weights: dict[str, np.ndarray] = {}
    for name, arr in raw.items():
        if name.endswith('_scales'):
            continue
        if name.endswith('_blocks'):
            base = name[: -len('_blocks')]
            weights[base] = dequantize_mxfp4(arr, raw[base + '_scales'])
        else:
            weights[name] = arr.astype(np.float32)
    return config, weights


def shape_from_config(config: dict) -> ModelShape:
    return ModelShape(hidden=config['hidden_size'], layers=config['num_hidden_layers'], heads=config['num_attention_heads'],
                      kv_heads=config['num_key_value_heads'], head_dim=config['head_dim'], experts=config['num_local_experts'],
                      experts_per_token=config['num_experts_per_tok'], intermediate=config['intermediate_size'],
                      sliding_window=config['sliding_window'], vocab=config['vocab_size'])


PACKAGE_MEMBERS = ('config.json', 'generation_config.json', 'model.safetensors')


def package(export_dir: str, tar_path: str) -> int:
    """The exported checkpoint as one .tar.gz (the zero rows compress away); returns its size."""
    with tarfile.open(tar_path, 'w:gz', compresslevel=9) as tar:
        for name in PACKAGE_MEMBERS:
            tar.add(os.path.join(export_dir, name), arcname=name)
    return os.path.getsize(tar_path)
