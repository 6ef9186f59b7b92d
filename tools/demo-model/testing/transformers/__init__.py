"""A stand-in for the parts of Hugging Face transformers that train.py uses, for testing train.py on
a CPU machine without transformers (PYTHONPATH=tools/demo-model/testing). Written from the spec
(shared/spec/gpt-oss.md §2) with transformers' parameter names and, by default, its in-memory
expert layout (gate_up_proj [E, C, 2I] with gate/up in alternating columns, down_proj [E, I, C]).
FAKE_EXPERTS_LAYOUT=halves stores gate | up as two halves and the matrices untransposed instead,
so the layout probe of train.py is exercised on a layout it must detect.
NOT transformers: only a test double. The GPU machine runs the real library.
"""
from __future__ import annotations

import json
import math
import os
import sys
from types import SimpleNamespace

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

__version__ = 'fake-0.1'
LAYOUT = os.environ.get('FAKE_EXPERTS_LAYOUT', 'transformers')


class GptOssConfig(SimpleNamespace):
    @classmethod
    def from_dict(cls, d: dict) -> 'GptOssConfig':
        cfg = cls(**d)
        cfg._attn_implementation = 'sdpa'
        cfg._experts_implementation = 'grouped_mm'
        return cfg


class Mxfp4Config(SimpleNamespace):
    def __init__(self, dequantize: bool = False):
        super().__init__(dequantize=dequantize)


def yarn(cfg, positions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    half = cfg.head_dim // 2
    base = float(cfg.rope_theta)
    rs = cfg.rope_scaling
    freq = base ** (torch.arange(half, dtype=torch.float64) * 2 / cfg.head_dim)
    low = half * math.log(rs['original_max_position_embeddings'] / (rs['beta_fast'] * 2 * math.pi)) / math.log(base)
    high = half * math.log(rs['original_max_position_embeddings'] / (rs['beta_slow'] * 2 * math.pi)) / math.log(base)
    ramp = ((torch.arange(half, dtype=torch.float64) - low) / (high - low)).clamp(0, 1)
    inv = (1 / (rs['factor'] * freq)) * ramp + (1 / freq) * (1 - ramp)
    conc = 0.1 * math.log(rs['factor']) + 1
    theta = positions.double()[..., None] * inv
    return (theta.cos() * conc).float(), (theta.sin() * conc).float()


class Attention(nn.Module):
    def __init__(self, cfg, layer: int):
        super().__init__()
        self.cfg, self.sliding = cfg, cfg.layer_types[layer] == 'sliding_attention'
        hq, hkv, dh, c = cfg.num_attention_heads, cfg.num_key_value_heads, cfg.head_dim, cfg.hidden_size
        self.q_proj, self.k_proj = nn.Linear(c, hq * dh), nn.Linear(c, hkv * dh)
        self.v_proj, self.o_proj = nn.Linear(c, hkv * dh), nn.Linear(hq * dh, c)
        self.sinks = nn.Parameter(torch.empty(hq))

    def forward(self, h, cos, sin, allowed):
        b, t, _ = h.shape
        hq, hkv, dh = self.cfg.num_attention_heads, self.cfg.num_key_value_heads, self.cfg.head_dim
        q = self.q_proj(h).view(b, t, hq, dh).transpose(1, 2)
        k = self.k_proj(h).view(b, t, hkv, dh).transpose(1, 2)
        v = self.v_proj(h).view(b, t, hkv, dh).transpose(1, 2)

        def rope(x):
            x1, x2 = x[..., : dh // 2], x[..., dh // 2:]
            c, s = cos[:, None].to(x.dtype), sin[:, None].to(x.dtype)
            return torch.cat([x1 * c - x2 * s, x2 * c + x1 * s], -1)

        q, k = rope(q), rope(k)
        k = k.repeat_interleave(hq // hkv, 1)
        v = v.repeat_interleave(hq // hkv, 1)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(dh)
        mask = allowed[self.sliding]
        scores = scores.masked_fill(~mask[:, None], float('-inf'))
        sinks = self.sinks.view(1, -1, 1, 1).expand(b, -1, t, 1)
        combined = torch.cat([scores, sinks.to(scores.dtype)], -1)
        probs = (combined - combined.max(-1, keepdim=True).values).softmax(-1)[..., :-1]
        out = (probs.to(v.dtype) @ v).transpose(1, 2).reshape(b, t, hq * dh)
        return self.o_proj(out)


class Router(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.k = cfg.num_experts_per_tok
        self.weight = nn.Parameter(torch.empty(cfg.num_local_experts, cfg.hidden_size))
        self.bias = nn.Parameter(torch.empty(cfg.num_local_experts))

    def forward(self, h):
        logits = F.linear(h.reshape(-1, h.shape[-1]), self.weight, self.bias)
        vals, idx = logits.topk(self.k, -1)
        return vals.softmax(-1), idx


class Experts(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        e, c, i = cfg.num_local_experts, cfg.hidden_size, cfg.intermediate_size
        self.i = i
        self.gate_up_proj = nn.Parameter(torch.empty((e, c, 2 * i) if LAYOUT == 'transformers' else (e, 2 * i, c)))
        self.gate_up_proj_bias = nn.Parameter(torch.empty(e, 2 * i))
        self.down_proj = nn.Parameter(torch.empty((e, i, c) if LAYOUT == 'transformers' else (e, c, i)))
        self.down_proj_bias = nn.Parameter(torch.empty(e, c))

    def forward(self, x, weights, idx):
        broken = os.environ.get('FAKE_EXPERTS_BROKEN')  # 'train': cannot train; 'all': cannot run at all
        if broken == 'all' or (broken == 'train' and self.training):
            raise RuntimeError('fake: these expert kernels cannot train (like grouped_mm with float32 weights)')
        y = torch.zeros_like(x)
        for e in range(self.gate_up_proj.shape[0]):
            tok, slot = torch.where(idx == e)
            if len(tok) == 0:
                continue
            w1 = self.gate_up_proj[e] if LAYOUT == 'transformers' else self.gate_up_proj[e].t()
            w2 = self.down_proj[e] if LAYOUT == 'transformers' else self.down_proj[e].t()
            u = x[tok] @ w1 + self.gate_up_proj_bias[e]
            gate, up = (u[:, 0::2], u[:, 1::2]) if LAYOUT == 'transformers' else (u[:, : self.i], u[:, self.i:])
            gate, up = gate.clamp(max=7.0), up.clamp(-7.0, 7.0)
            s = gate * torch.sigmoid(1.702 * gate) * (up + 1)
            o = s @ w2 + self.down_proj_bias[e]
            y = y.index_add(0, tok, (o * weights[tok, slot][:, None]).to(y.dtype))
        return y


class Mlp(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.router, self.experts = Router(cfg), Experts(cfg)

    def forward(self, h):
        shape = h.shape
        x = h.reshape(-1, shape[-1])
        weights, idx = self.router(x)
        return self.experts(x, weights, idx).reshape(shape), weights


class RmsNorm(nn.Module):
    def __init__(self, c, eps):
        super().__init__()
        self.weight, self.eps = nn.Parameter(torch.ones(c)), eps

    def forward(self, x):
        xf = x.float()
        return (self.weight * (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps))).to(x.dtype)


class Layer(nn.Module):
    def __init__(self, cfg, layer):
        super().__init__()
        self.input_layernorm = RmsNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.self_attn = Attention(cfg, layer)
        self.post_attention_layernorm = RmsNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.mlp = Mlp(cfg)


class Model(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        # Like transformers: the pad id must be a row of the table (nn.Embedding checks padding_idx).
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.hidden_size, getattr(cfg, 'pad_token_id', None))
        self.layers = nn.ModuleList([Layer(cfg, l) for l in range(cfg.num_hidden_layers)])
        self.norm = RmsNorm(cfg.hidden_size, cfg.rms_norm_eps)

    def forward(self, input_ids, attention_mask=None, use_cache=False, **_):
        b, t = input_ids.shape
        valid = torch.ones(b, t, dtype=torch.bool, device=input_ids.device) if attention_mask is None else attention_mask.bool()
        positions = (valid.long().cumsum(-1) - 1).clamp(min=0)
        cos, sin = yarn(self.cfg, positions)
        qp, kp = positions[:, :, None], positions[:, None, :]
        causal = (kp <= qp) & valid[:, None, :] & valid[:, :, None] | torch.eye(t, dtype=torch.bool, device=input_ids.device)
        allowed = {False: causal, True: causal & (kp > qp - self.cfg.sliding_window)}
        x = self.embed_tokens(input_ids)
        for layer in self.layers:
            x = x + layer.self_attn(layer.input_layernorm(x), cos, sin, allowed)
            out, _ = layer.mlp(layer.post_attention_layernorm(x))
            x = x + out
        return SimpleNamespace(last_hidden_state=self.norm(x))


class GptOssForCausalLM(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.config = cfg
        self.model = Model(cfg)
        self.lm_head = nn.Linear(cfg.hidden_size, cfg.vocab_size, bias=False)
        for p in self.parameters():
            nn.init.normal_(p, 0, 0.02)

    @classmethod
    def _from_config(cls, cfg, attn_implementation=None):
        cfg._attn_implementation = attn_implementation or cfg._attn_implementation
        return cls(cfg)

    def forward(self, input_ids, attention_mask=None, use_cache=False, **_):
        return SimpleNamespace(logits=self.lm_head(self.model(input_ids, attention_mask).last_hidden_state))

    @classmethod
    def from_pretrained(cls, model_dir, quantization_config=None, attn_implementation=None):
        sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
        from checkpoint_io import load_checkpoint
        with open(os.path.join(model_dir, 'config.json')) as f:
            cfg = GptOssConfig.from_dict(json.load(f))
        model = cls._from_config(cfg, attn_implementation)
        _, w = load_checkpoint(model_dir)
        state = {}
        for name, arr in w.items():
            if name.endswith('experts.gate_up_proj'):
                b = w[name + '_bias']
                if LAYOUT == 'transformers':
                    arr = np.swapaxes(arr, 1, 2)
                else:
                    arr, b = np.concatenate([arr[:, 0::2], arr[:, 1::2]], 1), np.concatenate([b[:, 0::2], b[:, 1::2]], 1)
                state[name + '_bias'] = torch.from_numpy(np.ascontiguousarray(b))
            elif name.endswith('experts.gate_up_proj_bias'):
                continue
            elif name.endswith('experts.down_proj') and LAYOUT == 'transformers':
                arr = np.swapaxes(arr, 1, 2)
            state[name] = torch.from_numpy(np.ascontiguousarray(arr)).to(torch.bfloat16)
        model.load_state_dict(state)
        return model

    def generate(self, input_ids, attention_mask, max_new_tokens, do_sample, eos_token_id, pad_token_id):
        ids, mask = input_ids, attention_mask
        done = torch.zeros(ids.shape[0], dtype=torch.bool, device=ids.device)
        for _ in range(max_new_tokens):
            nxt = self(ids, attention_mask=mask).logits[:, -1].argmax(-1)
            nxt = torch.where(done, torch.full_like(nxt, pad_token_id), nxt)
            done |= torch.isin(nxt, torch.tensor(eos_token_id, device=ids.device))
            ids = torch.cat([ids, nxt[:, None]], 1)
            mask = torch.cat([mask, torch.ones_like(nxt[:, None])], 1)
            if bool(done.all()):
                break
        return ids
