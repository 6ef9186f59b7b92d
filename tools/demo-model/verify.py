"""After training: checks of the exported checkpoint, transformers' own reading of it, the logits
fixture for the engine test, and a quick greedy evaluation with transformers."""
from __future__ import annotations

import json
import os
import re
import time
import traceback

import numpy as np
import torch

import spec_forward
from checkpoint_io import O200K_HARMONY_VOCAB, canonical_names, load_checkpoint
from common import CALL_ID, PAD_ID, RETURN_ID, SHAPE, TextDecoder, log, write_json
from data import Split, Vocab
from torch_bridge import Layout, down_to_canonical, gate_up_to_canonical, state_from_canonical

FIXTURE_LOGIT_SEQUENCES = 2       # sequences whose logits are kept (one arithmetic, one tool prompt)
FIXTURE_POSITIONS = 96            # last positions of each of them
FIXTURE_TOP = 32                  # per position: the top columns by transformers' logit ...
FIXTURE_PROBE_COLUMNS = 16        # ... and fixed probe columns (half seen, half never-seen ids)
FIXTURE_GREEDY = {'arithmetic': 10, 'tools': 3}
FIXTURE_MAX_NEW_TOKENS = 200
QUICK_EVAL_MAX_NEW_TOKENS = 240
QUICK_EVAL_BATCH = 64
DEADLINE_MARGIN_SECONDS = 20.0
FIXTURE_DEADLINE_MARGIN_SECONDS = 60.0


def export_vs_trained(model: torch.nn.Module, vocab: Vocab, export_dir: str, valid: Split) -> dict:
    """Spec forward of the exported file (MXFP4, bf16, full vocabulary) vs the trained float32 model."""
    config, exported = load_checkpoint(export_dir)
    device = next(model.parameters()).device
    results = []
    for seq in range(3):
        ids_full = valid.sequence(seq)[0][:160].astype(np.int64)
        got = spec_forward.forward(config, exported, ids_full)
        with torch.no_grad():
            compact = torch.from_numpy(vocab.compact(ids_full)[None]).to(device)
            ref = model(input_ids=compact, use_cache=False).logits[0].float().cpu().numpy()
        seen = got[:, vocab.ids]
        results.append({'tokens': len(ids_full), 'max_abs_diff': float(np.abs(seen - ref).max()),
                        'argmax_agreement': float((seen.argmax(-1) == ref.argmax(-1)).mean()),
                        'unseen_logits_max_abs': float(np.abs(np.delete(got, vocab.ids, axis=1)).max())})
    log(f'exported (spec forward, MXFP4) vs trained (float32): {json.dumps(results)}')
    return {'sequences': results}


def reload_exported(GptOssForCausalLM, GptOssConfig, export_dir: str, layout: Layout, device: torch.device):
    """transformers' own reading of the exported checkpoint (MXFP4 dequantised), in float32."""
    try:
        from transformers import Mxfp4Config
        model = GptOssForCausalLM.from_pretrained(export_dir, quantization_config=Mxfp4Config(dequantize=True),
                                                  attn_implementation='eager')
        how = 'transformers from_pretrained with Mxfp4Config(dequantize=True)'
    except Exception:
        log(f'from_pretrained with MXFP4 dequantisation failed; loading our dequantisation instead:\n{traceback.format_exc()}')
        with open(os.path.join(export_dir, 'config.json')) as f:
            cfg = json.load(f)
        cfg.pop('quantization_config')
        config = GptOssConfig.from_dict(cfg)
        config._attn_implementation = 'eager'
        model = GptOssForCausalLM(config)
        model.load_state_dict(state_from_canonical(load_checkpoint(export_dir)[1], layout))
        how = 'fallback: our numpy dequantisation loaded into GptOssForCausalLM'
    model = model.to(device=device, dtype=torch.float32).eval()
    log(f'reloaded the export: {how}')
    return model, how


def compare_reloaded_weights(ref_model: torch.nn.Module, export_dir: str, layout: Layout) -> dict:
    """transformers' dequantised tensors vs ours: identical (FP4 x 2^k and bf16 are exact in float32)."""
    _, weights = load_checkpoint(export_dir)
    params = dict(ref_model.named_parameters())
    worst = 0.0
    compared = 0
    for name in canonical_names(SHAPE):
        if name not in params or name.endswith('experts.gate_up_proj_bias'):
            continue
        got = params[name].detach().float().cpu().numpy()
        if name.endswith('experts.gate_up_proj'):
            got, bias = gate_up_to_canonical(got, params[name + '_bias'].detach().float().cpu().numpy(), layout)
            worst = max(worst, float(np.abs(bias - weights[name + '_bias']).max()))
        elif name.endswith('experts.down_proj'):
            got = down_to_canonical(got, layout)
        worst = max(worst, float(np.abs(got - weights[name]).max()))
        compared += 1
    result = {'tensors_compared': compared, 'max_abs_diff': worst, 'identical': worst == 0.0}
    log(f'transformers-dequantised weights vs ours: {json.dumps(result)}')
    return result


def greedy(model: torch.nn.Module, ids: list[int], max_new: int) -> tuple[list[int], list[float]]:
    """Plain greedy decoding (whole sequence each step, no cache); returns ids and top-1 minus top-2 margins."""
    device = next(model.parameters()).device
    out: list[int] = []
    margins: list[float] = []
    seq = list(ids)
    with torch.no_grad():
        for _ in range(max_new):
            hidden = model.model(input_ids=torch.tensor([seq], device=device), use_cache=False).last_hidden_state[0, -1]
            logits = model.lm_head(hidden).float()
            top = torch.topk(logits, 2)
            nxt = int(top.indices[0])
            out.append(nxt)
            margins.append(float(top.values[0] - top.values[1]))
            seq.append(nxt)
            if nxt in (RETURN_ID, CALL_ID):
                break
    return out, margins


def judge(set_name: str, item: dict, text: str) -> bool:
    """The rules of lib/judge.ts on decoded text (a quick read; eval.ts uses the real parser)."""
    if set_name == 'arithmetic':
        parts = text.rsplit('<|channel|>final<|message|>', 1)
        if len(parts) < 2 or not text.endswith('<|return|>'):
            return False
        numbers = re.findall(r'-?\d+', re.sub(r'(\d),(?=\d{3}\b)', r'\1', parts[1]))
        return bool(numbers) and int(numbers[-1]) == item['expected']['answer']
    m = re.search(r'to=functions\.([A-Za-z0-9_]+)<\|channel\|>commentary <\|constrain\|>json<\|message\|>(.*)<\|call\|>$', text, re.S)
    if m is None or m.group(1) != item['expected']['tool']:
        return False
    try:
        args = json.loads(m.group(2))
    except json.JSONDecodeError:
        return False
    if not isinstance(args, dict):
        return False
    values = [(v if isinstance(v, str) else json.dumps(v)).lower() for v in args.values()]
    return all(any(str(e).lower() in v for v in values) for e in item['expected']['entities'])


def load_eval(data_dir: str) -> tuple[dict, dict]:
    with open(os.path.join(data_dir, 'eval', 'prompt-ids.json')) as f:
        prompt_ids = json.load(f)
    items = {}
    for set_name in ('arithmetic', 'tools', 'format'):
        with open(os.path.join(data_dir, 'eval', f'{set_name}.json')) as f:
            items[set_name] = json.load(f)
    return prompt_ids, items


def make_fixture(ref_model: torch.nn.Module, export_dir: str, data_dir: str, out_dir: str, vocab: Vocab, deadline: float) -> dict:
    """fixture.json + fixture.f32 for the engine test (tests/fixtures/demo-model/):
    - greedy: 10 held-out arithmetic and 3 tool prompts (low effort, one turn) with transformers'
      greedy continuation and its top-1 margins: the engine must pick the same tokens;
    - logits: for the first arithmetic and tool sequence (prompt + continuation), the last 96
      positions' logits at the 32 best columns and 16 fixed probe columns, the argmax and the
      logsumexp over all 201,088 columns."""
    prompt_ids, items = load_eval(data_dir)
    decoder = TextDecoder()
    greedy_records = []
    for set_name, count in FIXTURE_GREEDY.items():
        picked = [k for k, item in enumerate(items[set_name]) if item['effort'] == 'low' and item['turns'] == 1][:count]
        for n, k in enumerate(picked):
            if n > 0 and time.time() > deadline - FIXTURE_DEADLINE_MARGIN_SECONDS:
                log(f'fixture: out of time after {n} {set_name} items')
                break
            item = items[set_name][k]
            continuation, margins = greedy(ref_model, prompt_ids[set_name][k], FIXTURE_MAX_NEW_TOKENS)
            ok = judge(set_name, item, decoder.decode(continuation))
            greedy_records.append({'set': set_name, 'item': item['id'], 'expected': item['expected'], 'prompt': prompt_ids[set_name][k],
                                   'continuation': continuation, 'min_margin': min(margins) if margins else None, 'correct_by_transformers': ok,
                                   'text': decoder.decode(continuation)})
    rng = np.random.default_rng(5)
    unseen = np.setdiff1d(np.arange(O200K_HARMONY_VOCAB), vocab.ids)
    probe = np.concatenate([rng.choice(vocab.ids, FIXTURE_PROBE_COLUMNS // 2, replace=False),
                            rng.choice(unseen, FIXTURE_PROBE_COLUMNS // 2, replace=False)]).astype(np.int64)
    device = next(ref_model.parameters()).device
    logit_records, blocks, offset = [], [], 0
    width = FIXTURE_TOP + FIXTURE_PROBE_COLUMNS
    for set_name in FIXTURE_GREEDY:
        rec = next(r for r in greedy_records if r['set'] == set_name)
        seq = rec['prompt'] + rec['continuation'][:-1]
        with torch.no_grad():
            logits = ref_model(input_ids=torch.tensor([seq], device=device), use_cache=False).logits[0].float().cpu().numpy()
        positions = list(range(max(0, len(seq) - FIXTURE_POSITIONS), len(seq)))
        cols, vals, argmax, lse = [], [], [], []
        for pos in positions:
            row = logits[pos].astype(np.float64)
            order = np.argsort(-row, kind='stable')
            chosen = list(order[:FIXTURE_TOP]) + [int(c) for c in probe if c not in set(order[:FIXTURE_TOP].tolist())]
            chosen += [int(c) for c in order[FIXTURE_TOP:FIXTURE_TOP + width] if int(c) not in set(chosen)]
            chosen = [int(c) for c in chosen[:width]]
            cols.append(chosen)
            vals.append(logits[pos][chosen].astype(np.float32))
            argmax.append(int(order[0]))
            lse.append(float(row.max() + np.log(np.exp(row - row.max()).sum())))
        block = np.stack(vals)
        blocks.append(block)
        logit_records.append({'item': rec['item'], 'ids': [int(i) for i in seq], 'positions': positions, 'columns': cols,
                              'argmax': argmax, 'logsumexp': lse, 'offset_floats': offset, 'shape': list(block.shape)})
        offset += block.size
    np.concatenate([b.reshape(-1) for b in blocks]).astype('<f4').tofile(os.path.join(out_dir, 'fixture.f32'))
    write_json(os.path.join(out_dir, 'fixture.json'), {
        'format': 'webgpu-harmony demo-model fixture v1',
        'reference': 'transformers GptOssForCausalLM reading the exported checkpoint (MXFP4 dequantised), float32, eager attention',
        'logits_file': 'fixture.f32', 'greedy': greedy_records, 'logits': logit_records})
    # The spec forward of the exported file must agree with transformers at the same columns.
    config, exported = load_checkpoint(export_dir)
    worst = 0.0
    for rec, block in zip(logit_records, blocks):
        spec = spec_forward.forward(config, exported, rec['ids'])
        for k, pos in enumerate(rec['positions']):
            worst = max(worst, float(np.abs(spec[pos][rec['columns'][k]] - block[k]).max()))
    result = {'greedy_correct': sum(r['correct_by_transformers'] for r in greedy_records), 'greedy_items': len(greedy_records),
              'min_margin': min((r['min_margin'] for r in greedy_records if r['min_margin'] is not None), default=None),
              'spec_vs_transformers_max_abs_diff': worst}
    log(f'fixture: {json.dumps(result)}')
    return result


def generate_batch(model: torch.nn.Module, prompts: list[list[int]], max_new: int) -> list[list[int]]:
    """Greedy continuations of left-padded prompts with transformers' generate (KV cache), cut after the stop token."""
    device = next(model.parameters()).device
    width = max(len(p) for p in prompts)
    input_ids = torch.full((len(prompts), width), PAD_ID, dtype=torch.long)
    attention_mask = torch.zeros((len(prompts), width), dtype=torch.long)
    for row, p in enumerate(prompts):
        input_ids[row, width - len(p):] = torch.tensor(p)
        attention_mask[row, width - len(p):] = 1
    with torch.no_grad():
        out = model.generate(input_ids=input_ids.to(device), attention_mask=attention_mask.to(device), max_new_tokens=max_new,
                             do_sample=False, eos_token_id=[RETURN_ID, CALL_ID], pad_token_id=PAD_ID)
    results = []
    for row in out[:, width:].tolist():
        cut = next((k for k, t in enumerate(row) if t in (RETURN_ID, CALL_ID)), len(row) - 1)
        results.append(row[: cut + 1])
    return results


def quick_eval(ref_model: torch.nn.Module, data_dir: str, deadline: float, max_items: int) -> dict:
    """Greedy transformers decoding of the held-out arithmetic and tool prompts: an early read (the
    real evaluation is eval.ts on our engine)."""
    decoder = TextDecoder()
    prompt_ids, items = load_eval(data_dir)
    results: dict = {}
    samples = []
    for set_name in ('arithmetic', 'tools'):
        prompts = prompt_ids[set_name][: max_items or None]
        completions: list[list[int]] = []
        how = 'generate (batched, left padding, KV cache)'
        try:
            for first in range(0, len(prompts), QUICK_EVAL_BATCH):
                if time.time() > deadline - DEADLINE_MARGIN_SECONDS:
                    break
                completions += generate_batch(ref_model, prompts[first: first + QUICK_EVAL_BATCH], QUICK_EVAL_MAX_NEW_TOKENS)
            if completions:  # batched generation must agree with plain greedy decoding
                plain, _ = greedy(ref_model, prompts[0], QUICK_EVAL_MAX_NEW_TOKENS)
                if plain != completions[0]:
                    raise RuntimeError(f'batched generate differs from plain greedy on {items[set_name][0]["id"]}')
        except Exception as err:
            log(f'quick eval: {err!r}; plain greedy decoding instead (slower, maybe fewer items)')
            how = 'plain greedy (no cache)'
            completions = []
            for prompt in prompts:
                if time.time() > deadline - DEADLINE_MARGIN_SECONDS:
                    break
                completions.append(greedy(ref_model, prompt, QUICK_EVAL_MAX_NEW_TOKENS)[0])
        right = 0
        for item, completion in zip(items[set_name], completions):
            text = decoder.decode(completion)
            ok = judge(set_name, item, text)
            right += ok
            if len(samples) < 16 and (len([s for s in samples if s['item'].startswith(set_name[:4])]) < 2 or not ok):
                samples.append({'item': item['id'], 'ok': ok, 'completion': text})
        results[set_name] = {'evaluated': len(completions), 'correct': right, 'accuracy': round(right / max(1, len(completions)), 4), 'how': how}
        log(f'quick eval (transformers, greedy) {set_name}: {right}/{len(completions)} via {how}')
    results['samples'] = samples
    for sample in samples[:8]:
        log(f'sample {sample["item"]} ok={sample["ok"]}: {sample["completion"][:500]!r}')
    return results
