#!/usr/bin/env python3
"""Trains the webgpu-harmony demo model: a tiny gpt-oss (transformers' GptOssForCausalLM) on the
synthetic Harmony conversations of generate-data.ts, then exports it in the checkpoint format our
engine reads (bf16 dense tensors, MXFP4 experts, zero rows for every token never seen).

  python3 tools/demo-model/train.py --data DATA_DIR --out OUT_DIR [--time-budget 300] [--deadline UNIX_TIME]
  python3 tools/demo-model/train.py --data DATA_DIR --out OUT_DIR --dry-run      # numpy only, no torch

1. Vocabulary: the U ids occurring in the training split (a few thousand of V = 201,088). The model
   is trained with an embedding and output head of U rows. That is exactly the full model with the
   other rows frozen at zero (their gradients masked): an unseen id embeds to zero and its logit is
   exactly 0, so every softmax adds V - U logits of 0 to its normaliser,
   logsumexp over V = logaddexp(logsumexp over U, log(V - U)), which the loss includes.
2. The in-memory layout of transformers' experts is measured against spec_forward.py (torch_bridge.py).
3. AdamW on the cross-entropy of the tokens the assistant writes (the data's mask), bf16 autocast,
   a fixed time budget with warm-up and cosine decay, a small router load-balancing loss; the last
   20% of the time with fake-quantised (MXFP4) experts, so the exported model is robust to it.
4. Export (checkpoint_io.py) and checks (verify.py): the exported file through spec_forward vs the
   trained model; transformers' own reading of the MXFP4 file vs ours; the engine test's fixture;
   a quick greedy evaluation with transformers.
Writes to OUT_DIR: demo-model.tar.gz, fixture.json, fixture.f32, summary.json, train-log.txt and
compact-weights.npz (the raw trained weights, to redo the export offline if needed).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import tempfile
import time
import traceback
from dataclasses import asdict

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checkpoint_io import O200K_HARMONY_VOCAB, config_json, export_checkpoint, package  # noqa: E402
from common import SHAPE, elapsed, log, set_log_file, write_json  # noqa: E402
from data import Split, Vocab, check_eval_vocab, load_manifest, load_split, make_batch, plan_batches  # noqa: E402

TOKENS_PER_BATCH = 65536       # padded tokens per optimiser step
PEAK_LR = 2e-3
MIN_LR_FRACTION = 0.05
WARMUP_STEPS = 200
WEIGHT_DECAY = 0.05
ADAM_BETAS = (0.9, 0.95)
GRAD_CLIP = 1.0
ROUTER_AUX_COEF = 0.01
QAT_START_FRACTION = 0.8       # the last 20% of the training time with fake-quantised experts
EVAL_EVERY_SECONDS = 45.0
EVAL_BATCHES_DURING_TRAINING = 12
PREFLIGHT_TOKENS = 8192
LOG_EVERY_STEPS = 50
SNAPSHOT_EVERY_STEPS = 400
MAX_BAD_STEPS = 8
PROBE_SEQUENCE_TOKENS = 96     # > sliding window: the full-forward check covers both layer types
SEED = 1234
RESERVE_SECONDS = 120.0        # kept before the deadline for evaluation, export and checks


def guarded(what: str, summary: dict, fn) -> bool:
    """Runs one phase; a failure is logged and recorded, and the run goes on to the next phase."""
    try:
        fn()
        return True
    except Exception:
        log(f'{what} failed:\n{traceback.format_exc()}')
        summary.setdefault('errors', {})[what] = traceback.format_exc()
        return False


def main_torch(args: argparse.Namespace) -> None:
    import torch
    import torch.nn.functional as F
    import transformers
    from transformers import GptOssConfig, GptOssForCausalLM

    from torch_bridge import (QatSwap, assumed_layout, canonical_weights, check_param_names, choose_eager_experts, detect_layout,
                              force_spec_rope, full_forward_check, init_weights, patch_moe_forward, save_raw)
    from verify import compare_reloaded_weights, export_vs_trained, make_fixture, quick_eval, reload_exported

    deadline = args.deadline if args.deadline > 0 else time.time() + args.time_budget + RESERVE_SECONDS + 120
    tokens_per_batch = args.tokens_per_batch
    summary: dict = {
        'versions': {'torch': torch.__version__, 'transformers': transformers.__version__, 'numpy': np.__version__, 'python': sys.version.split()[0]},
        'shape': asdict(SHAPE),
        'hyper': {'tokens_per_batch': tokens_per_batch, 'peak_lr': PEAK_LR, 'min_lr_fraction': MIN_LR_FRACTION, 'warmup_steps': WARMUP_STEPS,
                  'weight_decay': WEIGHT_DECAY, 'grad_clip': GRAD_CLIP, 'router_aux_coef': ROUTER_AUX_COEF, 'qat_start': QAT_START_FRACTION},
    }
    summary_path = os.path.join(args.out, 'summary.json')
    device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    log(f'torch {torch.__version__}, transformers {transformers.__version__}, device {device}'
        f'{" (" + torch.cuda.get_device_name(0) + ")" if device.type == "cuda" else ""}; deadline in {deadline - time.time():.0f} s')
    torch.manual_seed(SEED)
    if device.type == 'cuda':
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True

    # ---- data -----------------------------------------------------------------------------------
    manifest = load_manifest(args.data)
    train = load_split(args.data, 'train')
    valid = load_split(args.data, 'valid')
    vocab = Vocab(train.ids, O200K_HARMONY_VOCAB)
    kinds = manifest['kinds']
    summary['data'] = {'seed': manifest['seed'], 'train_sequences': train.num_sequences, 'train_tokens': int(len(train.ids)),
                       'train_loss_tokens': int(train.mask.sum()), 'valid_sequences': valid.num_sequences, 'vocab_rows': len(vocab),
                       'valid_oov_ids': int(len(vocab.oov(valid.ids))), 'manifest': manifest}
    summary['eval_prompt_oov'] = check_eval_vocab(args.data, vocab)
    log(f'data: {train.num_sequences} train sequences, {len(train.ids) / 1e6:.1f}M tokens ({train.mask.sum() / 1e6:.1f}M trained), '
        f'{valid.num_sequences} valid; vocabulary U={len(vocab)}')
    log_unseen = torch.tensor(math.log(O200K_HARMONY_VOCAB - len(vocab)), device=device)

    # ---- model ----------------------------------------------------------------------------------
    cfg_dict = config_json(SHAPE, vocab_size=len(vocab))
    cfg_dict.pop('quantization_config')  # trained in float; quantised only at export
    # pad/eos ids index the full vocabulary: with U rows, nn.Embedding(U, C, padding_idx=199999) would
    # refuse to build. Training needs neither (right padding has zero loss weight and cannot affect
    # earlier positions under the causal mask); the exported config.json has the real ids.
    cfg_dict.update({'use_cache': False, 'router_aux_loss_coef': 0.0, 'pad_token_id': None, 'eos_token_id': None})
    config = GptOssConfig.from_dict(cfg_dict)
    model = None
    for kwargs in ({'attn_implementation': 'eager', 'experts_implementation': 'eager'}, {'attn_implementation': 'eager'}):
        try:
            model = GptOssForCausalLM._from_config(config, **kwargs)
            break
        except Exception as err:
            log(f'_from_config({kwargs}) failed: {err!r}')
    if model is None:
        config._attn_implementation = 'eager'
        model = GptOssForCausalLM(config)
    choose_eager_experts(model)
    model = model.to(device=device, dtype=torch.float32)
    init_weights(model, SHAPE.layers)
    params = dict(model.named_parameters())
    num_params = sum(p.numel() for p in params.values())
    summary['params'] = {'trained': num_params, 'exported_total': num_params + 2 * (O200K_HARMONY_VOCAB - len(vocab)) * SHAPE.hidden,
                         'embedding_and_head_rows': len(vocab)}
    log(f'model: {num_params / 1e6:.2f}M trained parameters ({summary["params"]["exported_total"] / 1e6:.1f}M in the exported checkpoint, '
        f'mostly zero rows); attention {getattr(model.config, "_attn_implementation", "?")}, experts '
        f'{getattr(model.config, "_experts_implementation", "n/a")}')
    for name, p in params.items():
        if '.layers.' not in name or '.layers.0.' in name:
            log(f'  {name} {tuple(p.shape)} {p.dtype}')
    summary['param_names_ok'] = check_param_names(params)
    layout = None
    try:
        layout, summary['layout_probe'] = detect_layout(model, params, device)
    except Exception:
        log(f'layout probe failed:\n{traceback.format_exc()}')
        summary['layout_probe'] = {'error': traceback.format_exc()}
    if layout is None:
        # The library's MoE could not be matched to the spec (or not run at all): train the spec's MoE
        # on the same parameters instead, in the documented layout, so that the export is right.
        try:
            layout = assumed_layout(params)
            returns_tuple = bool(summary['layout_probe'].get('mlp_returns_tuple', True))
            patch_moe_forward(model, layout, returns_tuple)
            summary['moe_patched'] = {'layout': asdict(layout), 'returns_tuple': returns_tuple, 'why': 'no layout matched the spec'}
            log(f'patched every MLP with the spec MoE loop: {json.dumps(summary["moe_patched"])}')
        except Exception:
            layout = None
            log(f'cannot patch the MoE either (the export will be skipped):\n{traceback.format_exc()}')
    probe_ids = [int(i) for i in vocab.compact(valid.sequence(0)[0][:PROBE_SEQUENCE_TOKENS])]
    rope_forced = False
    if layout is not None:
        guarded('full forward check (init)', summary,
                lambda: summary.__setitem__('full_forward_check_init', full_forward_check(model, params, layout, probe_ids)))
        if not summary.get('full_forward_check_init', {}).get('ok', True):
            # Most likely a different reading of rope_scaling: use the spec's YaRN tables and look again.
            rope_forced = force_spec_rope(model) > 0
            log(f'forced the spec YaRN tables into {rope_forced and "the rotary embedding" or "nothing"}')
            guarded('full forward check (spec rope)', summary,
                    lambda: summary.__setitem__('full_forward_check_spec_rope', full_forward_check(model, params, layout, probe_ids)))
    summary['rope_forced'] = rope_forced
    write_json(summary_path, summary)

    # ---- optimiser, losses ------------------------------------------------------------------------
    decay = [p for n, p in params.items() if p.ndim >= 2 and 'embed_tokens' not in n and 'lm_head' not in n]
    no_decay = [p for n, p in params.items() if not (p.ndim >= 2 and 'embed_tokens' not in n and 'lm_head' not in n)]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': WEIGHT_DECAY}, {'params': no_decay, 'weight_decay': 0.0}],
                            lr=PEAK_LR, betas=ADAM_BETAS, eps=1e-8, **({'fused': True} if device.type == 'cuda' else {}))
    routed: list = []  # MoE inputs of this forward pass (outputs of each post_attention_layernorm)
    hooks = [layer.post_attention_layernorm.register_forward_hook(lambda _m, _i, out: routed.append(out)) for layer in model.model.layers]
    routers = [layer.mlp.router for layer in model.model.layers]

    def router_aux() -> torch.Tensor:
        """Switch-style load balancing: E * sum_e (share of top-k slots) * (mean router probability)."""
        total = torch.zeros((), device=device)
        for h, router in zip(routed, routers):
            logits = F.linear(h.reshape(-1, SHAPE.hidden).float(), router.weight.float(), router.bias.float())
            top = logits.topk(SHAPE.experts_per_token, -1).indices
            share = F.one_hot(top, SHAPE.experts).sum(1).float().mean(0) / SHAPE.experts_per_token
            total = total + SHAPE.experts * (share * logits.softmax(-1).mean(0)).sum()
        return total / max(1, len(routed))

    def batch_nll(inputs, targets, weights, autocast: bool) -> torch.Tensor:
        """Negative log-likelihood (full-vocabulary softmax) of every trained target token, flattened."""
        routed.clear()
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=autocast):
            out = model.model(input_ids=inputs, use_cache=False)
            hidden = out.last_hidden_state if hasattr(out, 'last_hidden_state') else out[0]
            sel = weights.reshape(-1) > 0
            logits = model.lm_head(hidden.reshape(-1, hidden.shape[-1])[sel]).float()
        lse = torch.logaddexp(torch.logsumexp(logits, -1), log_unseen)
        return lse - logits.gather(1, targets.reshape(-1)[sel][:, None]).squeeze(1)

    def on_device(arrays):
        return [torch.from_numpy(a).to(device, non_blocking=True) for a in arrays]

    qat = QatSwap(params, layout)
    rng = np.random.default_rng(SEED)

    # ---- preflight: bf16 autocast where it works, else float32; the spec MoE loop as a last resort --
    small = plan_batches(train.lengths, PREFLIGHT_TOKENS, rng)[0]

    def preflight() -> str | None:
        for attempt in (['autocast'] if device.type == 'cuda' else []) + ['fp32']:
            try:
                model.train()
                nll = batch_nll(*on_device(make_batch(train, vocab, small)), autocast=attempt == 'autocast')
                (nll.mean() + ROUTER_AUX_COEF * router_aux()).backward()
                with qat:
                    batch_nll(*on_device(make_batch(train, vocab, small)), autocast=attempt == 'autocast').mean().backward()
                opt.zero_grad(set_to_none=True)
                log(f'preflight ok with {attempt}: loss {float(nll.mean()):.3f} (ln V = {math.log(O200K_HARMONY_VOCAB):.2f})')
                return attempt
            except Exception:
                opt.zero_grad(set_to_none=True)
                log(f'preflight with {attempt} failed:\n{traceback.format_exc()}')
        return None

    mode = preflight()
    if mode is None and layout is not None:
        patch_layout = layout
        probed_tuple = summary.get('layout_probe', {}).get('mlp_returns_tuple')
        for returns_tuple in ([probed_tuple] if probed_tuple is not None else [True, False]):
            log(f'patching every MLP with the spec MoE loop (layout {asdict(patch_layout)}, returns a tuple: {returns_tuple})')
            patch_moe_forward(model, patch_layout, returns_tuple)
            summary['moe_patched'] = {'layout': asdict(patch_layout), 'returns_tuple': returns_tuple}
            mode = preflight()
            if mode is not None:
                break
    if mode is None:
        raise RuntimeError('no way to run a training step (see the preflight errors above)')
    use_autocast = mode == 'autocast'
    summary['autocast_bf16'] = use_autocast

    def evaluate(split: Split, max_batches: int | None, quantized: bool) -> dict:
        """Mean loss per trained token, overall and per task kind of the sequence."""
        was_training = model.training
        model.eval()
        sums = np.zeros(len(kinds))
        counts = np.zeros(len(kinds))
        eval_batches = plan_batches(split.lengths, tokens_per_batch, np.random.default_rng(7))[:max_batches]
        with torch.no_grad():
            for seq_indices in eval_batches:
                inputs, targets, weights = make_batch(split, vocab, seq_indices)
                if quantized:
                    with qat:
                        nll = batch_nll(*on_device((inputs, targets, weights)), autocast=use_autocast)
                else:
                    nll = batch_nll(*on_device((inputs, targets, weights)), autocast=use_autocast)
                row = np.repeat(np.arange(len(seq_indices)), (weights > 0).sum(1))
                kind = split.kinds[seq_indices][row]
                np.add.at(sums, kind, nll.float().cpu().numpy())
                np.add.at(counts, kind, 1)
        model.train(was_training)
        return {'loss': round(float(sums.sum() / max(1, counts.sum())), 4), 'tokens': int(counts.sum()),
                'by_kind': {kinds[k]: round(float(sums[k] / counts[k]), 4) for k in range(len(kinds)) if counts[k] > 0}}

    # ---- training ---------------------------------------------------------------------------------
    train_seconds = max(20.0, min(args.time_budget, deadline - time.time() - RESERVE_SECONDS))
    log(f'training for {train_seconds:.0f} s ({tokens_per_batch} padded tokens per step, bf16 autocast {use_autocast})')
    model.train()
    step = epoch = tokens_seen = bad_steps = 0
    lr_scale = 1.0
    history: list = []
    snapshot = {k: v.detach().clone() for k, v in model.state_dict().items()}
    batches = plan_batches(train.lengths, tokens_per_batch, rng)
    batch_pos = 0
    t_start = last_eval = last_log = time.time()
    loss_acc = loss_count = 0.0
    aux = torch.zeros(())
    while True:
        frac = (time.time() - t_start) / train_seconds
        if frac >= 1.0:
            break
        lr = PEAK_LR * lr_scale * min(1.0, (step + 1) / WARMUP_STEPS) * (MIN_LR_FRACTION + (1 - MIN_LR_FRACTION) * 0.5 * (1 + math.cos(math.pi * frac)))
        for group in opt.param_groups:
            group['lr'] = lr
        if batch_pos >= len(batches):
            epoch += 1
            batches, batch_pos = plan_batches(train.lengths, tokens_per_batch, rng), 0
        inputs, targets, weights = on_device(make_batch(train, vocab, batches[batch_pos]))
        batch_pos += 1
        in_qat = frac >= QAT_START_FRACTION
        if in_qat:
            qat.__enter__()
        try:
            loss = batch_nll(inputs, targets, weights, autocast=use_autocast).mean()
            aux = router_aux()
            (loss + ROUTER_AUX_COEF * aux).backward()
        finally:
            if in_qat:
                qat.__exit__(None, None, None)
        grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), GRAD_CLIP)
        if not (bool(torch.isfinite(loss)) and bool(torch.isfinite(grad_norm))):
            opt.zero_grad(set_to_none=True)
            bad_steps += 1
            log(f'step {step}: non-finite loss or gradient ({bad_steps} in a row), step skipped')
            if bad_steps >= MAX_BAD_STEPS:
                model.load_state_dict(snapshot)
                lr_scale, bad_steps = lr_scale * 0.5, 0
                log(f'restored the last snapshot; learning-rate scale now {lr_scale}')
            continue
        bad_steps = 0
        opt.step()
        opt.zero_grad(set_to_none=True)
        step += 1
        tokens_seen += int(inputs.numel())
        loss_acc += float(loss.detach())
        loss_count += 1
        if step % SNAPSHOT_EVERY_STEPS == 0:
            snapshot = {k: v.detach().clone() for k, v in model.state_dict().items()}
        if step % LOG_EVERY_STEPS == 0:
            now = time.time()
            log(f'step {step} epoch {epoch} lr {lr:.2e} loss {loss_acc / loss_count:.4f} aux {float(aux):.3f}{" QAT" if in_qat else ""} '
                f'{tokens_seen / (now - t_start) / 1e3:.0f}k tok/s ({(now - last_log) / LOG_EVERY_STEPS * 1e3:.0f} ms/step)')
            history.append({'step': step, 'seconds': round(now - t_start, 1), 'loss': round(loss_acc / loss_count, 4), 'lr': lr})
            loss_acc, loss_count, last_log = 0.0, 0.0, now
        if time.time() - last_eval >= EVAL_EVERY_SECONDS:
            ev = evaluate(valid, EVAL_BATCHES_DURING_TRAINING, quantized=in_qat)
            log(f'valid loss {ev["loss"]:.4f}{" (MXFP4 experts)" if in_qat else ""} {json.dumps(ev["by_kind"])}')
            history.append({'step': step, 'seconds': round(time.time() - t_start, 1), 'valid': ev})
            last_eval = time.time()
    for hook in hooks:
        hook.remove()
    routed.clear()
    summary['training'] = {'steps': step, 'epochs': round(epoch + batch_pos / max(1, len(batches)), 2), 'seconds': round(time.time() - t_start, 1),
                           'padded_tokens_seen': tokens_seen, 'history': history}
    log(f'trained {step} steps ({summary["training"]["epochs"]} epochs, {tokens_seen / 1e6:.1f}M padded tokens) in {time.time() - t_start:.0f} s')

    # ---- evaluation, raw weights, export, checks --------------------------------------------------
    model.eval()
    summary['valid_loss_float'] = evaluate(valid, None, quantized=False)
    summary['valid_loss_mxfp4'] = final = evaluate(valid, None, quantized=True)
    log(f'FINAL valid loss {summary["valid_loss_float"]["loss"]:.4f} (float experts), {final["loss"]:.4f} (MXFP4 experts)')
    log(f'FINAL valid loss by kind (MXFP4 experts): {json.dumps(final["by_kind"])}')
    write_json(summary_path, summary)
    guarded('save raw weights', summary, lambda: summary.__setitem__(
        'raw_weights_bytes', save_raw(model, vocab, layout, os.path.join(args.out, 'compact-weights.npz'))))
    export_dir = os.path.join(args.work, 'export')

    def export_phase() -> None:
        if layout is None:
            raise RuntimeError('no expert layout matched the spec (see layout_probe): not exporting')
        summary['layout_probe_after_training'] = detect_layout(model, params, device)[1]
        summary['full_forward_check_trained'] = full_forward_check(model, params, layout, probe_ids)
        summary['export'] = export_checkpoint(export_dir, SHAPE, canonical_weights(params, layout), vocab.ids)
        summary['tar_gz_bytes'] = package(export_dir, os.path.join(args.out, 'demo-model.tar.gz'))
        log(f'exported {json.dumps(summary["export"])}; demo-model.tar.gz {summary["tar_gz_bytes"] / 1e6:.2f} MB')
        summary['export_vs_trained'] = export_vs_trained(model, vocab, export_dir, valid)

    exported = guarded('export', summary, export_phase)
    write_json(summary_path, summary)
    state: dict = {}

    def reload_phase() -> None:
        state['model'], summary['reload'] = reload_exported(GptOssForCausalLM, GptOssConfig, export_dir, layout, device)
        ref = state['model']
        choose_eager_experts(ref)
        if rope_forced:
            force_spec_rope(ref)
        try:
            with torch.no_grad():
                ref(input_ids=torch.tensor([[0, 1, 2]], device=device), use_cache=False)
        except Exception:
            log(f'the reloaded model cannot run here; patching its MLPs with the spec MoE loop:\n{traceback.format_exc()}')
            returns_tuple = summary.get('moe_patched', {}).get('returns_tuple', summary.get('layout_probe', {}).get('mlp_returns_tuple', True))
            patch_moe_forward(ref, layout, bool(returns_tuple))
            summary['reload_moe_patched'] = True
        summary['reload_weight_check'] = compare_reloaded_weights(state['model'], export_dir, layout)

    if exported and guarded('reload', summary, reload_phase):
        guarded('fixture', summary, lambda: summary.__setitem__('fixture', make_fixture(state['model'], export_dir, args.data, args.out, vocab, deadline)))
        write_json(summary_path, summary)
        guarded('quick eval', summary, lambda: summary.__setitem__('quick_eval', quick_eval(state['model'], args.data, deadline, args.quick_eval_items)))
    summary['total_seconds'] = round(elapsed(), 1)
    write_json(summary_path, summary)
    log(f'done in {summary["total_seconds"]} s; FINAL valid loss {final["loss"]:.4f} (MXFP4 experts)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--data', required=True, help='directory written by generate-data.ts')
    parser.add_argument('--out', required=True, help='results directory (e.g. $OUT on the GPU machine)')
    parser.add_argument('--work', default=None, help='scratch directory for the uncompressed export (default: a new temp dir)')
    parser.add_argument('--time-budget', type=float, default=300.0, help='most seconds of training (less if the deadline needs it)')
    parser.add_argument('--deadline', type=float, default=0.0, help='UNIX time by which every output must be written')
    parser.add_argument('--dry-run', action='store_true', help='numpy parts only: data, batches, export, spec forward, packaging')
    parser.add_argument('--tokens-per-batch', type=int, default=TOKENS_PER_BATCH, help='padded tokens per step (smaller for CPU tests)')
    parser.add_argument('--quick-eval-items', type=int, default=0, help='held-out items per set for the transformers quick eval (0: all)')
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    own_work = args.work is None
    args.work = args.work or tempfile.mkdtemp(prefix='demo-model-')
    os.makedirs(args.work, exist_ok=True)
    log_file = open(os.path.join(args.out, 'train-log.txt'), 'a')
    set_log_file(log_file)
    log(f'args: {vars(args)}')
    try:
        if args.dry_run:
            from dry_run import dry_run
            dry_run(args)
        else:
            main_torch(args)
    finally:
        set_log_file(None)
        log_file.close()
        if own_work and not args.dry_run:
            shutil.rmtree(args.work, ignore_errors=True)


if __name__ == '__main__':
    main()
