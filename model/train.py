"""Trains the bundled tiny byte-level causal transformer on model/corpus.py's dialogues and exports
it to ONNX with a KV cache (model/export.py: the decoder-with-past layout of optimum exports).

  apt-get install python3-torch python3-onnx libopenblas0-pthread
  /usr/bin/python3 model/train.py   (CPU; without OpenBLAS, Debian torch falls back to the
                                    reference BLAS and trains ~20x slower)

Writes model/tiny-clarify.onnx, model/tiny-clarify.json (what the scorer needs to know) and
model/train-log.txt. Deterministic for a seed on one machine (torch's CPU kernels may differ
across machines in the last bits).
"""
import argparse
import math
import os
import random
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import corpus  # noqa: E402

VOCAB = 256
MAX_LEN = 256


class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))
        self.heads = heads

    def forward(self, x, causal):
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
        shape = (b, t, self.heads, d // self.heads)
        q, k, v = (z.view(shape).transpose(1, 2) for z in (q, k, v))
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(d // self.heads))
        att = att.masked_fill(causal[:t, :t] == 0, float("-inf")).softmax(-1)
        x = x + self.proj((att @ v).transpose(1, 2).reshape(b, t, d))
        return x + self.mlp(self.ln2(x))


class TinyLM(nn.Module):
    def __init__(self, d=96, layers=3, heads=4):
        super().__init__()
        self.tok, self.pos = nn.Embedding(VOCAB, d), nn.Embedding(MAX_LEN, d)
        self.blocks = nn.ModuleList(Block(d, heads) for _ in range(layers))
        self.ln = nn.LayerNorm(d)
        self.register_buffer("causal", torch.tril(torch.ones(MAX_LEN, MAX_LEN, dtype=torch.uint8)))
        for m in self.modules():  # GPT-2 style small init: N(0,1) embeddings would make tied logits huge
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=0.02)
            if isinstance(m, nn.Linear) and m.bias is not None:
                nn.init.zeros_(m.bias)

    def forward(self, input_ids):
        t = input_ids.shape[1]
        x = self.tok(input_ids) + self.pos(torch.arange(t, device=input_ids.device))[None]
        for blk in self.blocks:
            x = blk(x, self.causal)
        return self.ln(x) @ self.tok.weight.T  # tied output embedding


def batch_of(texts):
    seqs = [list(t.encode("utf-8"))[:MAX_LEN] for t in texts]
    n = max(len(s) for s in seqs)
    ids = torch.zeros(len(seqs), n, dtype=torch.long)
    mask = torch.zeros(len(seqs), n)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = torch.tensor(s)
        mask[i, : len(s)] = 1
    return ids, mask


def loss_of(model, ids, mask):
    logits = model(ids[:, :-1])
    ce = F.cross_entropy(logits.reshape(-1, VOCAB), ids[:, 1:].reshape(-1), reduction="none")
    m = mask[:, 1:].reshape(-1)
    return (ce * m).sum() / m.sum()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=20261126)
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--batch", type=int, default=48)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "tiny-clarify"))
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = random.Random(args.seed)
    model = TinyLM()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01, betas=(0.9, 0.98))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=args.steps, pct_start=0.1)
    held_out = [corpus.text_of(*corpus.dialogue(rng, *corpus.random_case(rng))[:3]) for _ in range(256)]
    log = open(args.out.replace("tiny-clarify", "train-log") + ".txt", "w")

    def say(line):
        print(line)
        log.write(line + "\n")
        log.flush()

    params = sum(p.numel() for p in model.parameters())
    say(f"seed {args.seed}; steps {args.steps}; batch {args.batch}; params {params}; torch {torch.__version__}")
    start = time.time()
    for step in range(1, args.steps + 1):
        texts = [corpus.text_of(*corpus.dialogue(rng, *corpus.random_case(rng))[:3]) for _ in range(args.batch)]
        loss = loss_of(model, *batch_of(texts))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        if step % 100 == 0 or step == 1:
            with torch.no_grad():
                model.eval()
                val = loss_of(model, *batch_of(held_out)).item()
                model.train()
            say(f"step {step:5d}  train {loss.item():.4f}  held-out {val:.4f} nats/byte  {time.time() - start:.0f}s")

    from export import export  # noqa: E402 (export.py imports this file)

    export(model, args.out, {"seed": args.seed, "steps": args.steps, "parameters": params})
    say(f"exported {args.out}.onnx ({os.path.getsize(args.out + '.onnx')} bytes)")


if __name__ == "__main__":
    main()
