"""Exports the bundled tiny model to ONNX in the decoder-with-past layout of Hugging Face optimum /
onnx-community exports:

  input_ids [batch, sequence_length] int64, attention_mask [batch, total_sequence_length] int64,
  position_ids [batch, sequence_length] int64, past_key_values.N.key / .value [batch, 4, past, 24]
  -> logits [batch, sequence_length, 256] float32, present.N.key / .value [batch, 4, total, 24]

A first step feeds a past of length 0. train.py calls export() after training; run alone, this
re-exports the weights of an existing ONNX file (the plain layout train.py used to write, or this
one) without retraining:

  /usr/bin/python3 model/export.py [--from model/tiny-clarify.onnx] [--out model/tiny-clarify]

Needs Debian's python3-torch and python3-onnx.
"""
import argparse
import json
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(__file__))
from train import MAX_LEN, VOCAB, TinyLM  # noqa: E402


class WithPast(nn.Module):
    """TinyLM's forward over new tokens after cached keys and values (positions from position_ids)."""

    def __init__(self, lm):
        super().__init__()
        self.lm = lm

    def forward(self, input_ids, attention_mask, position_ids, *past):
        lm = self.lm
        x = lm.tok(input_ids) + lm.pos(position_ids)
        new, total = input_ids.shape[1], attention_mask.shape[1]
        # causal in cache positions, and the attention mask (left-padded pasts are masked out)
        query_at = torch.arange(new) + (total - new)
        allowed = (torch.arange(total)[None, :] <= query_at[:, None])[None, None] & (attention_mask[:, None, None, :] > 0)
        bias = torch.zeros(allowed.shape).masked_fill(~allowed, torch.finfo(torch.float32).min)
        presents = []
        for i, blk in enumerate(lm.blocks):
            b, t, d = x.shape
            q, k, v = blk.qkv(blk.ln1(x)).split(d, dim=2)
            shape = (b, t, blk.heads, d // blk.heads)
            q, k, v = (z.view(shape).transpose(1, 2) for z in (q, k, v))
            k = torch.cat([past[2 * i], k], dim=2)
            v = torch.cat([past[2 * i + 1], v], dim=2)
            presents += [k, v]
            att = (q @ k.transpose(-2, -1)) * (1.0 / (d // blk.heads) ** 0.5) + bias
            x = x + blk.proj((att.softmax(-1) @ v).transpose(1, 2).reshape(b, t, d))
            x = x + blk.mlp(blk.ln2(x))
        return (lm.ln(x) @ lm.tok.weight.T, *presents)  # tied output embedding


def export(lm, out, meta):
    lm.eval()
    layers, heads = len(lm.blocks), lm.blocks[0].heads
    head_dim = lm.tok.weight.shape[1] // heads
    past_len, new = 3, 2
    past = [torch.zeros(1, heads, past_len, head_dim) for _ in range(2 * layers)]
    example = (torch.zeros(1, new, dtype=torch.long), torch.ones(1, past_len + new, dtype=torch.long),
               torch.arange(past_len, past_len + new)[None], *past)
    past_names = [f"past_key_values.{i}.{kv}" for i in range(layers) for kv in ("key", "value")]
    present_names = [f"present.{i}.{kv}" for i in range(layers) for kv in ("key", "value")]
    axes = {"input_ids": {0: "batch_size", 1: "sequence_length"},
            "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
            "position_ids": {0: "batch_size", 1: "sequence_length"},
            "logits": {0: "batch_size", 1: "sequence_length"}}
    axes.update({n: {0: "batch_size", 2: "past_sequence_length"} for n in past_names})
    axes.update({n: {0: "batch_size", 2: "total_sequence_length"} for n in present_names})
    with torch.no_grad():
        torch.onnx.export(
            WithPast(lm), example, out + ".onnx",
            input_names=["input_ids", "attention_mask", "position_ids", *past_names],
            output_names=["logits", *present_names], dynamic_axes=axes, opset_version=17, do_constant_folding=True,
        )
    with open(out + ".json", "w") as f:
        json.dump({"name": "tiny-clarify", "tokenizer": "bytes", "vocab": VOCAB, "maxLength": MAX_LEN,
                   "layout": "past", "layers": layers, "kvHeads": heads, "headDim": head_dim, **meta}, f, indent=2)
        f.write("\n")


def from_onnx(path):
    """TinyLM with the weights of an ONNX export of it (plain or with past). Named initializers load
    by name; the Linear weights torch stored transposed under generated names load in graph order
    (qkv, proj, mlp.0, mlp.2 of each block), checked by shape; the output projection must be the
    tied embedding."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(path).graph
    weights = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in graph.initializer}
    lm = TinyLM()
    state = lm.state_dict()
    named = {k: weights[k] for k in state if k in weights}
    linear = [k for k, v in state.items() if k.endswith(".weight") and v.dim() == 2 and k not in ("tok.weight", "pos.weight")]
    stored = [weights[n.input[1]] for n in graph.node if n.op_type == "MatMul" and n.input[1] in weights]
    head, stored = stored[-1], stored[:-1]
    if len(stored) != len(linear):
        raise SystemExit(f"{path}: {len(stored)} weight matrices for {len(linear)} Linear layers")
    for key, w in zip(linear, stored):
        if tuple(w.T.shape) != tuple(state[key].shape):
            raise SystemExit(f"{path}: {key} is {tuple(state[key].shape)} but the next stored matrix is {tuple(w.T.shape)}")
        named[key] = w.T.contiguous()
    missing = [k for k in state if k not in named and k != "causal"]
    if missing:
        raise SystemExit(f"{path}: no weights for {missing}")
    state.update(named)
    lm.load_state_dict(state)
    if not torch.equal(head.T, lm.tok.weight):
        raise SystemExit(f"{path}: the output projection is not the tied embedding")
    return lm


def check(lm):
    """The with-past forward, fed in two steps, gives the plain forward's logits."""
    ids = torch.randint(0, VOCAB, (2, 9))
    with torch.no_grad():
        want = lm(ids)
        layers, heads = len(lm.blocks), lm.blocks[0].heads
        empty = [torch.zeros(2, heads, 0, lm.tok.weight.shape[1] // heads) for _ in range(2 * layers)]
        wp = WithPast(lm)
        first = wp(ids[:, :5], torch.ones(2, 5, dtype=torch.long), torch.arange(5)[None].repeat(2, 1), *empty)
        second = wp(ids[:, 5:], torch.ones(2, 9, dtype=torch.long), torch.arange(5, 9)[None].repeat(2, 1), *first[1:])
    got = torch.cat([first[0], second[0]], dim=1)
    err = (got - want).abs().max().item()
    if err > 1e-4:
        raise SystemExit(f"the with-past forward differs from the plain one by {err}")


def main():
    here = os.path.dirname(__file__)
    ap = argparse.ArgumentParser()
    ap.add_argument("--from", dest="source", default=os.path.join(here, "tiny-clarify.onnx"))
    ap.add_argument("--out", default=os.path.join(here, "tiny-clarify"))
    args = ap.parse_args()
    with open(os.path.join(here, "tiny-clarify.json")) as f:
        old = json.load(f)
    lm = from_onnx(args.source)
    check(lm)
    meta = {k: old[k] for k in ("seed", "steps", "parameters") if k in old}
    export(lm, args.out, meta)
    print(f"exported {args.out}.onnx ({os.path.getsize(args.out + '.onnx')} bytes)")


if __name__ == "__main__":
    main()
