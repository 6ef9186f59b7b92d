"""The gpt-oss forward pass of ../../../shared/spec/gpt-oss.md §2 in vectorised numpy (float64):
whole sequence, no KV cache. Used to check that trained weights are exported in the layout our
engine reads, and by selftest.py against the transformers oracle (gpt-oss-tiny-a).

Weights are canonical (see checkpoint_io.py): HF names, experts as [E, out, in] matrices. `ids`
index the rows of model.embed_tokens.weight / lm_head.weight as given (compact or full vocab).
"""
from __future__ import annotations

import math

import numpy as np

SWIGLU_ALPHA = 1.702


def yarn_cos_sin(config: dict, num_positions: int) -> tuple[np.ndarray, np.ndarray]:
    """cos, sin [T, Dh/2] with the YaRN concentration folded in (spec §2.2)."""
    head_dim = config['head_dim']
    half = head_dim // 2
    base = float(config['rope_theta'])
    rope = config.get('rope_scaling') or config.get('rope_parameters') or {}
    freq = base ** (np.arange(half) * 2 / head_dim)
    if rope.get('rope_type', rope.get('type', 'default')) == 'yarn':
        factor = float(rope['factor'])
        original = float(rope['original_max_position_embeddings'])
        beta_fast = float(rope.get('beta_fast', 32.0))
        beta_slow = float(rope.get('beta_slow', 1.0))
        low = half * math.log(original / (beta_fast * 2 * math.pi)) / math.log(base)
        high = half * math.log(original / (beta_slow * 2 * math.pi)) / math.log(base)
        if rope.get('truncate', True):
            low, high = math.floor(low), math.ceil(high)
        ramp = np.clip((np.arange(half) - low) / (high - low), 0, 1)
        extrapolation = 1 - ramp
        inv_freq = (1 / (factor * freq)) * (1 - extrapolation) + (1 / freq) * extrapolation
        concentration = 0.1 * math.log(factor) + 1
    else:
        inv_freq = 1 / freq
        concentration = 1.0
    theta = np.arange(num_positions)[:, None] * inv_freq[None]
    return np.cos(theta) * concentration, np.sin(theta) * concentration


def rms_norm(x: np.ndarray, gain: np.ndarray, eps: float) -> np.ndarray:
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * gain


def attention(config: dict, w: dict[str, np.ndarray], prefix: str, h: np.ndarray, cos: np.ndarray, sin: np.ndarray,
              sliding: bool) -> np.ndarray:
    num_tokens = h.shape[0]
    hq, hkv, dh = config['num_attention_heads'], config['num_key_value_heads'], config['head_dim']
    half = dh // 2
    q = (h @ w[prefix + 'q_proj.weight'].T + w[prefix + 'q_proj.bias']).reshape(num_tokens, hq, dh)
    k = (h @ w[prefix + 'k_proj.weight'].T + w[prefix + 'k_proj.bias']).reshape(num_tokens, hkv, dh)
    v = (h @ w[prefix + 'v_proj.weight'].T + w[prefix + 'v_proj.bias']).reshape(num_tokens, hkv, dh)

    def rope(x: np.ndarray) -> np.ndarray:
        x1, x2 = x[..., :half], x[..., half:]
        c, s = cos[:, None], sin[:, None]
        return np.concatenate([x1 * c - x2 * s, x2 * c + x1 * s], -1)

    q, k = rope(q), rope(k)
    group = hq // hkv
    k_rep = np.repeat(k, group, axis=1)  # q head h uses kv head h // group
    v_rep = np.repeat(v, group, axis=1)
    scores = np.einsum('thd,shd->hts', q, k_rep) / math.sqrt(dh)
    query_pos = np.arange(num_tokens)[:, None]
    key_pos = np.arange(num_tokens)[None, :]
    allowed = key_pos <= query_pos
    if sliding:
        allowed &= key_pos > query_pos - config['sliding_window']
    scores = np.where(allowed[None], scores, -np.inf)
    sinks = w[prefix + 'sinks'].astype(np.float64)
    m = np.maximum(scores.max(-1), sinks[:, None])
    e = np.exp(scores - m[..., None])
    denom = e.sum(-1) + np.exp(sinks[:, None] - m)
    out = np.einsum('hts,shd->thd', e / denom[..., None], v_rep).reshape(num_tokens, hq * dh)
    return out @ w[prefix + 'o_proj.weight'].T + w[prefix + 'o_proj.bias']


def moe(config: dict, w: dict[str, np.ndarray], prefix: str, h: np.ndarray) -> np.ndarray:
    top_k, limit = config['num_experts_per_tok'], config['swiglu_limit']
    router = h @ w[prefix + 'router.weight'].T + w[prefix + 'router.bias']
    idx = np.argsort(-router, axis=-1, kind='stable')[:, :top_k]
    vals = np.take_along_axis(router, idx, -1)
    weights = np.exp(vals - vals.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    gate_up, gate_up_bias = w[prefix + 'experts.gate_up_proj'], w[prefix + 'experts.gate_up_proj_bias']
    down, down_bias = w[prefix + 'experts.down_proj'], w[prefix + 'experts.down_proj_bias']
    y = np.zeros_like(h)
    for expert in range(gate_up.shape[0]):
        tok, slot = np.nonzero(idx == expert)
        if len(tok) == 0:
            continue
        u = h[tok] @ gate_up[expert].T + gate_up_bias[expert]
        gate = np.minimum(u[:, 0::2], limit)
        up = np.clip(u[:, 1::2], -limit, limit)
        s = gate / (1 + np.exp(-SWIGLU_ALPHA * gate)) * (up + 1)
        out = s @ down[expert].T + down_bias[expert]
        np.add.at(y, tok, weights[tok, slot][:, None] * out)
    return y


def forward(config: dict, w: dict[str, np.ndarray], ids: list[int] | np.ndarray, *, hidden_states: bool = False):
    """Logits [T, rows of lm_head] (float64); with hidden_states, also the residual stream per layer."""
    w = {name: np.asarray(arr, dtype=np.float64) for name, arr in w.items()}
    ids = np.asarray(ids, dtype=np.int64)
    eps = config['rms_norm_eps']
    layer_types = config.get('layer_types') or ['sliding_attention' if l % 2 == 0 else 'full_attention' for l in range(config['num_hidden_layers'])]
    cos, sin = yarn_cos_sin(config, len(ids))
    x = w['model.embed_tokens.weight'][ids]
    states = [x.copy()]
    for layer in range(config['num_hidden_layers']):
        p = f'model.layers.{layer}.'
        h = rms_norm(x, w[p + 'input_layernorm.weight'], eps)
        x = x + attention(config, w, p + 'self_attn.', h, cos, sin, layer_types[layer] == 'sliding_attention')
        h = rms_norm(x, w[p + 'post_attention_layernorm.weight'], eps)
        x = x + moe(config, w, p + 'mlp.', h)
        states.append(x.copy())
    x = rms_norm(x, w['model.norm.weight'], eps)
    logits = x @ w['lm_head.weight'].T
    return (logits, states) if hidden_states else logits
