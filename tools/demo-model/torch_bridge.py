"""Between transformers' GptOssForCausalLM (torch) and the canonical numpy weights of checkpoint_io.py:
the in-memory layout of the experts (measured, not assumed), conversion, initialisation, the MXFP4
fake quantisation used for quantisation-aware training, and saving the raw weights."""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass

import numpy as np
import torch

import spec_forward
from checkpoint_io import canonical_names, config_json
from common import SHAPE, log
from data import Vocab
from mxfp4 import E8M0_BIAS, FP4_MAGNITUDES, FP4_MAX, FP4_MIDPOINTS, GROUP_SIZE, MAX_SCALE_EXP, MIN_SCALE_EXP, f32_to_bf16_bits

INIT_STD = 0.02
LAYOUT_REL_TOL = 1e-4          # float32 torch vs float64 numpy on the same weights
FULL_FORWARD_REL_TOL = 2e-3
PROBE_TOKENS = 24
RAW_WEIGHTS_LIMIT_BYTES = 15_500_000  # what comes back from the GPU machine: < 16 MB a file


@dataclass
class Layout:
    gate_up_transposed: bool   # parameter is [E, C, 2I] (used as x @ W) rather than [E, 2I, C]
    gate_up_interleaved: bool  # gate/up in alternating columns (gpt-oss) rather than two halves
    down_transposed: bool      # parameter is [E, I, C] rather than [E, C, I]


def layout_from_shapes(gate_up_shape: tuple, down_shape: tuple, interleaved: bool) -> Layout:
    """Orientation from the shapes (C != I and C != 2I in the demo shape), interleave as given."""
    c, i = SHAPE.hidden, SHAPE.intermediate
    if tuple(gate_up_shape[1:]) == (c, 2 * i):
        gate_up_transposed = True
    elif tuple(gate_up_shape[1:]) == (2 * i, c):
        gate_up_transposed = False
    else:
        raise ValueError(f'gate_up_proj has shape {gate_up_shape}, expected [E, {c}, {2 * i}] or [E, {2 * i}, {c}]')
    if tuple(down_shape[1:]) == (i, c):
        down_transposed = True
    elif tuple(down_shape[1:]) == (c, i):
        down_transposed = False
    else:
        raise ValueError(f'down_proj has shape {down_shape}, expected [E, {i}, {c}] or [E, {c}, {i}]')
    return Layout(gate_up_transposed, interleaved, down_transposed)


def gate_up_to_canonical(mem: np.ndarray, bias: np.ndarray, layout: Layout) -> tuple[np.ndarray, np.ndarray]:
    w = np.swapaxes(mem, 1, 2) if layout.gate_up_transposed else mem  # [E, 2I, C], rows in memory order
    if layout.gate_up_interleaved:
        return np.ascontiguousarray(w), bias
    half = w.shape[1] // 2
    cw = np.empty_like(w)
    cb = np.empty_like(bias)
    cw[:, 0::2], cw[:, 1::2] = w[:, :half], w[:, half:]
    cb[:, 0::2], cb[:, 1::2] = bias[:, :half], bias[:, half:]
    return cw, cb


def gate_up_from_canonical(cw: np.ndarray, cb: np.ndarray, layout: Layout) -> tuple[np.ndarray, np.ndarray]:
    if layout.gate_up_interleaved:
        w, b = cw, cb
    else:
        w = np.concatenate([cw[:, 0::2], cw[:, 1::2]], axis=1)
        b = np.concatenate([cb[:, 0::2], cb[:, 1::2]], axis=1)
    return np.ascontiguousarray(np.swapaxes(w, 1, 2) if layout.gate_up_transposed else w), np.ascontiguousarray(b)


def down_to_canonical(mem: np.ndarray, layout: Layout) -> np.ndarray:
    return np.ascontiguousarray(np.swapaxes(mem, 1, 2) if layout.down_transposed else mem)


def down_from_canonical(cw: np.ndarray, layout: Layout) -> np.ndarray:
    return np.ascontiguousarray(np.swapaxes(cw, 1, 2) if layout.down_transposed else cw)


def canonical_weights(params: dict, layout: Layout) -> dict[str, np.ndarray]:
    """Named parameters (any subset) -> canonical float32 numpy arrays."""
    with torch.no_grad():
        arrays = {name: p.detach().float().cpu().numpy() for name, p in params.items()}
    out: dict[str, np.ndarray] = {}
    for name, arr in arrays.items():
        if name.endswith('experts.gate_up_proj'):
            out[name], out[name + '_bias'] = gate_up_to_canonical(arr, arrays[name + '_bias'], layout)
        elif name.endswith('experts.gate_up_proj_bias'):
            continue
        elif name.endswith('experts.down_proj'):
            out[name] = down_to_canonical(arr, layout)
        else:
            out[name] = arr
    return out


def state_from_canonical(weights: dict[str, np.ndarray], layout: Layout) -> dict[str, torch.Tensor]:
    """Canonical numpy weights -> a state dict in the model's in-memory layout."""
    state: dict[str, torch.Tensor] = {}
    for name, arr in weights.items():
        if name.endswith('experts.gate_up_proj'):
            w, b = gate_up_from_canonical(arr, weights[name + '_bias'], layout)
            state[name], state[name + '_bias'] = torch.from_numpy(w), torch.from_numpy(b)
        elif name.endswith('experts.gate_up_proj_bias'):
            continue
        elif name.endswith('experts.down_proj'):
            state[name] = torch.from_numpy(down_from_canonical(arr, layout))
        else:
            state[name] = torch.from_numpy(np.ascontiguousarray(arr))
    return state


def check_param_names(params: dict) -> bool:
    want, have = set(canonical_names(SHAPE)), set(params)
    missing, extra = sorted(want - have), sorted(have - want)
    if missing or extra:
        log(f'WARNING: transformers parameter names differ from the checkpoint names: missing {missing[:6]}, extra {extra[:6]}; '
            'training goes on, the export will fail and the raw weights are saved')
    return not missing and not extra


def init_weights(model: torch.nn.Module, num_layers: int) -> None:
    """Explicit initialisation (independent of the library's _init_weights): N(0, 0.02), the two
    projections writing into the residual stream scaled by 1/sqrt(2L), norms 1, biases and sinks 0."""
    resid_std = INIT_STD / (2 * num_layers) ** 0.5
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith('norm.weight'):
                p.fill_(1.0)
            elif name.endswith(('bias', 'sinks')):
                p.zero_()
            elif 'o_proj.weight' in name or name.endswith('experts.down_proj'):
                p.normal_(0.0, resid_std)
            else:
                p.normal_(0.0, INIT_STD)


def detect_layout(model: torch.nn.Module, params: dict, device: torch.device) -> tuple[Layout | None, dict]:
    """Random activations through layer 0's MLP vs the spec MoE (spec_forward.moe) per hypothesis."""
    gu = params['model.layers.0.mlp.experts.gate_up_proj']
    dn = params['model.layers.0.mlp.experts.down_proj']
    report: dict = {'gate_up_shape': list(gu.shape), 'down_shape': list(dn.shape)}
    cfg = config_json(SHAPE)
    x = torch.randn(1, PROBE_TOKENS, SHAPE.hidden, generator=torch.Generator().manual_seed(99))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            out = model.model.layers[0].mlp(x.to(device))
            report['mlp_returns_tuple'] = isinstance(out, tuple)
            out = out[0] if isinstance(out, tuple) else out
            got = out.reshape(-1, SHAPE.hidden).float().cpu().numpy().astype(np.float64)
    finally:
        model.train(was_training)
    layer0 = {k: v for k, v in params.items() if k.startswith('model.layers.0.mlp.')}
    best: Layout | None = None
    for interleaved in (True, False):
        try:
            layout = layout_from_shapes(tuple(gu.shape), tuple(dn.shape), interleaved)
        except ValueError as err:
            report['error'] = str(err)
            break
        want = spec_forward.moe(cfg, canonical_weights(layer0, layout), 'model.layers.0.mlp.', x.reshape(-1, SHAPE.hidden).numpy().astype(np.float64))
        rel = float(np.abs(got - want).max() / max(1e-30, np.abs(want).max()))
        report[f'interleaved={interleaved}'] = rel
        if rel < LAYOUT_REL_TOL and best is None:
            best = layout
    report['layout'] = asdict(best) if best else None
    log(f'expert layout probe: {json.dumps(report)}')
    return best, report


def full_forward_check(model: torch.nn.Module, params: dict, layout: Layout, ids: list[int]) -> dict:
    """transformers' forward (float32) vs spec_forward on the same compact-vocabulary weights."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    with torch.no_grad():
        got = model(input_ids=torch.tensor([ids], device=device), use_cache=False).logits[0].float().cpu().numpy().astype(np.float64)
    model.train(was_training)
    want = spec_forward.forward(config_json(SHAPE, vocab_size=got.shape[-1]), canonical_weights(params, layout), ids)
    rel = float(np.abs(got - want).max() / max(1e-30, np.abs(want).max()))
    result = {'tokens': len(ids), 'max_abs_diff': float(np.abs(got - want).max()), 'max_abs_logit': float(np.abs(want).max()),
              'rel': rel, 'argmax_equal': float((got.argmax(-1) == want.argmax(-1)).mean()), 'ok': rel < FULL_FORWARD_REL_TOL}
    log(f'transformers vs spec forward (same weights): {json.dumps(result)}')
    return result


def fake_quant_torch(w: torch.Tensor, in_dim: int) -> torch.Tensor:
    """mxfp4.quantize_mxfp4 then dequantize, in torch: groups of 32 along dim `in_dim` (1 or 2) of [E, a, b]."""
    x = w.float() if in_dim == 2 else w.float().transpose(1, 2)
    g = x.reshape(*x.shape[:-1], x.shape[-1] // GROUP_SIZE, GROUP_SIZE)
    amax = g.abs().amax(-1)
    e = torch.ceil(torch.log2(torch.where(amax > 0, amax, torch.ones_like(amax)) / FP4_MAX))
    e = torch.where(amax > FP4_MAX * torch.exp2(e), e + 1, e)
    e = torch.where(amax <= FP4_MAX * torch.exp2(e - 1), e - 1, e)
    e = torch.where(amax > 0, e, torch.zeros_like(e)).clamp(MIN_SCALE_EXP, MAX_SCALE_EXP)
    scale = torch.exp2(e)[..., None]
    mag = (g / scale).abs().contiguous()
    mids = torch.tensor(FP4_MIDPOINTS, dtype=torch.float32, device=w.device)
    mags = torch.tensor(FP4_MAGNITUDES, dtype=torch.float32, device=w.device)
    code = torch.bucketize(mag, mids, right=False)  # mids[code-1] < mag <= mids[code]: ties to the lower code
    tie = (code < len(mids)) & (mag == mids[code.clamp(max=len(mids) - 1)])
    code = torch.where(tie & (code % 2 == 1), code + 1, code)
    q = (mags[code] * torch.sign(g) * scale).reshape(x.shape)
    return (q if in_dim == 2 else q.transpose(1, 2)).to(w.dtype)


class QatSwap:
    """While active, the expert matrices hold their MXFP4 round trip; gradients computed with them are
    applied to the float weights after they are restored (a straight-through estimator). Enter it
    before the forward pass and leave it after the backward pass, before the optimiser step."""

    def __init__(self, params: dict, layout: Layout | None):
        names = sorted(n for n in params if n.endswith(('experts.gate_up_proj', 'experts.down_proj')))
        self.params = [params[n] for n in names]
        self.in_dims = []
        for n in names:
            transposed = True if layout is None else (layout.gate_up_transposed if n.endswith('gate_up_proj') else layout.down_transposed)
            self.in_dims.append(1 if transposed else 2)
        self.saved: list[torch.Tensor] = []

    def __enter__(self) -> 'QatSwap':
        with torch.no_grad():
            self.saved = [p.data.clone() for p in self.params]
            for p, in_dim in zip(self.params, self.in_dims):
                p.data.copy_(fake_quant_torch(p.data, in_dim))
        return self

    def __exit__(self, *exc) -> bool:
        with torch.no_grad():
            for p, s in zip(self.params, self.saved):
                p.data.copy_(s)
        self.saved = []
        return False


def save_raw(model: torch.nn.Module, vocab: Vocab, layout: Layout | None, path: str) -> int:
    """The trained parameters as they are in memory (bf16 bits), the vocabulary and the layout: enough
    to redo the export offline. Removed (returns 0) if it would not come back from the GPU machine."""
    arrays = {f'bf16:{name}': f32_to_bf16_bits(p.detach().float().cpu().numpy()) for name, p in model.named_parameters()}
    arrays['vocab_ids'] = vocab.ids.astype(np.int64)
    meta = {'shape': asdict(SHAPE), 'layout': asdict(layout) if layout else None, 'e8m0_bias': E8M0_BIAS,
            'note': 'transformers in-memory parameters as bf16 bit patterns (uint16); compact vocabulary rows'}
    arrays['meta_json'] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez_compressed(path, **arrays)
    size = os.path.getsize(path)
    log(f'saved raw weights {path}: {size / 1e6:.2f} MB')
    if size > RAW_WEIGHTS_LIMIT_BYTES:
        os.remove(path)
        log('raw weights over the return limit: removed')
        return 0
    return size


def spec_rope_tables() -> tuple[np.ndarray, float]:
    """inv_freq [Dh/2] and the YaRN concentration of spec §2.2 for the demo config."""
    cfg = config_json(SHAPE)
    cos, sin = spec_forward.yarn_cos_sin(cfg, 2)  # position 1: theta = inv_freq
    concentration = float(np.hypot(cos[0], sin[0])[0])
    inv_freq = np.arctan2(sin[1], cos[1])
    return inv_freq, concentration


def force_spec_rope(model: torch.nn.Module) -> int:
    """Sets every rotary-embedding module's inv_freq / attention_scaling to the spec's values (a
    fallback for a library whose reading of rope_scaling differs); returns how many were changed."""
    inv_freq, concentration = spec_rope_tables()
    changed = 0
    for module in model.modules():
        if 'rotary' in type(module).__name__.lower() and hasattr(module, 'inv_freq'):
            with torch.no_grad():
                module.inv_freq.copy_(torch.from_numpy(inv_freq).to(module.inv_freq))
            if hasattr(module, 'original_inv_freq'):
                module.original_inv_freq = module.inv_freq
            if hasattr(module, 'attention_scaling'):
                module.attention_scaling = concentration
            changed += 1
    return changed


def assumed_layout(params: dict) -> Layout:
    """transformers' documented layout (is_transposed=True, gate/up interleaved), where the shapes allow it."""
    return layout_from_shapes(tuple(params['model.layers.0.mlp.experts.gate_up_proj'].shape),
                              tuple(params['model.layers.0.mlp.experts.down_proj'].shape), True)


def patch_moe_forward(model: torch.nn.Module, layout: Layout, returns_tuple: bool) -> None:
    """Last resort when the library's expert kernels cannot train here: every layer's MLP computes the
    spec's MoE (router top-k, softmax over the k, clamped SwiGLU, weighted sum) with the same
    parameters in `layout`, in a plain loop over experts."""
    top_k, limit, alpha = SHAPE.experts_per_token, 7.0, spec_forward.SWIGLU_ALPHA
    inter = SHAPE.intermediate

    for layer in model.model.layers:
        mlp = layer.mlp

        def forward(hidden_states: torch.Tensor, *_args, _mlp=mlp, **_kwargs):
            shape = hidden_states.shape
            x = hidden_states.reshape(-1, shape[-1])
            logits = torch.nn.functional.linear(x, _mlp.router.weight, _mlp.router.bias)
            vals, idx = logits.topk(top_k, -1)
            weights = vals.softmax(-1)
            experts = _mlp.experts
            y = torch.zeros_like(x)
            for e in range(experts.gate_up_proj.shape[0]):
                tok, slot = torch.where(idx == e)
                if tok.numel() == 0:
                    continue
                w1 = experts.gate_up_proj[e] if layout.gate_up_transposed else experts.gate_up_proj[e].t()
                u = x[tok] @ w1 + experts.gate_up_proj_bias[e]
                gate, up = (u[:, 0::2], u[:, 1::2]) if layout.gate_up_interleaved else (u[:, :inter], u[:, inter:])
                gate, up = gate.clamp(max=limit), up.clamp(-limit, limit)
                w2 = experts.down_proj[e] if layout.down_transposed else experts.down_proj[e].t()
                out = (gate * torch.sigmoid(alpha * gate) * (up + 1)) @ w2 + experts.down_proj_bias[e]
                y = y.index_add(0, tok, (out * weights[tok, slot][:, None]).to(y.dtype))
            y = y.reshape(shape)
            return (y, logits) if returns_tuple else y

        mlp.forward = forward


def choose_eager_experts(model: torch.nn.Module) -> str:
    """Selects transformers' plain per-expert loop for the experts (its grouped/batched kernels are
    for inference: bf16 only, or one weight copy per token). Returns what the config then says."""
    for how in ('set_experts_implementation', 'config'):
        try:
            if how == 'set_experts_implementation' and hasattr(model, how):
                model.set_experts_implementation('eager')
            elif how == 'config' and hasattr(model.config, '_experts_implementation'):
                model.config._experts_implementation = 'eager'
        except Exception as err:
            log(f'choosing eager experts via {how} failed: {err!r}')
    chosen = str(getattr(model.config, '_experts_implementation', 'n/a (library without the option)'))
    log(f'experts implementation: {chosen}')
    return chosen
