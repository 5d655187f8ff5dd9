"""The PyTorch side of training-bench: the same BERT-for-classification shapes and training step
(forward, cross-entropy, backward, clip_grad_norm_, AdamW) written with plain torch.nn, so it needs only
Debian's python3-torch. Run through run.sh, which pins BLAS and thread counts for both sides.

    python3 pytorch_reference.py [--sizes base,small,minilm] [--threads 2] [--batch 8] [--seq 128] [--steps 5] [--warmup 2]
                                 [--device cpu|cuda] [--bf16] [--adamw default|foreach|fused]

--adamw picks PyTorch's AdamW implementation (default: its own choice, the per-tensor loop on the CPU and
foreach on CUDA; fused: one kernel for all tensors, CUDA, PyTorch >= 2.0) and, for foreach/fused, the
foreach clip_grad_norm_ (PyTorch >= 2.0): the GPU comparison of issue 16 is against the fastest of them.
"""
import argparse
import math
import time

import torch
from torch import nn


class Layer(nn.Module):
    def __init__(self, hidden, heads, intermediate):
        super().__init__()
        self.heads = heads
        self.query, self.key, self.value = (nn.Linear(hidden, hidden) for _ in range(3))
        self.attention_output, self.attention_norm = nn.Linear(hidden, hidden), nn.LayerNorm(hidden, eps=1e-12)
        self.intermediate, self.output = nn.Linear(hidden, intermediate), nn.Linear(intermediate, hidden)
        self.output_norm = nn.LayerNorm(hidden, eps=1e-12)
        self.dropout = nn.Dropout(0.1)

    def split(self, x):
        b, s, h = x.shape
        return x.view(b, s, self.heads, h // self.heads).transpose(1, 2)

    def forward(self, x, additive_mask):
        q, k, v = self.split(self.query(x)), self.split(self.key(x)), self.split(self.value(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]) + additive_mask
        context = (self.dropout(scores.softmax(-1)) @ v).transpose(1, 2).reshape(x.shape)
        x = self.attention_norm(self.dropout(self.attention_output(context)) + x)
        return self.output_norm(self.dropout(self.output(nn.functional.gelu(self.intermediate(x)))) + x)


class Classifier(nn.Module):
    def __init__(self, layers, hidden, heads):
        super().__init__()
        self.words, self.positions, self.types = nn.Embedding(30522, hidden), nn.Embedding(512, hidden), nn.Embedding(2, hidden)
        self.norm, self.dropout = nn.LayerNorm(hidden, eps=1e-12), nn.Dropout(0.1)
        self.layers = nn.ModuleList(Layer(hidden, heads, 4 * hidden) for _ in range(layers))
        self.pooler, self.classifier = nn.Linear(hidden, hidden), nn.Linear(hidden, 2)

    def forward(self, ids, mask):
        positions = torch.arange(ids.shape[1], device=ids.device).unsqueeze(0)
        x = self.dropout(self.norm(self.words(ids) + self.positions(positions) + self.types(torch.zeros_like(ids))))
        additive = (1 - mask[:, None, None, :].float()) * -1e9
        for layer in self.layers:
            x = layer(x, additive)
        return self.classifier(self.dropout(torch.tanh(self.pooler(x[:, 0]))))


def seconds(run, a):
    """Mean seconds of one call after the warm-up, waiting for the GPU to finish."""
    for _ in range(a.warmup):
        run()
    if a.device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(a.steps):
        run()
    if a.device == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / a.steps


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", default="base,small")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--seq", type=int, default=128)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--bf16", action="store_true", help="autocast to bfloat16 (the GPU comparison for our mixed precision)")
    p.add_argument("--adamw", default="default", choices=["default", "foreach", "fused"])
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    where = torch.cuda.get_device_name() if a.device == "cuda" else f"{torch.get_num_threads()} threads"
    print(f"PyTorch {torch.__version__}, {where}, AdamW {a.adamw}{', bf16 autocast' if a.bf16 else ''}, batch {a.batch}, seq {a.seq}, {a.steps} timed steps after {a.warmup} warm-up")
    print("size   layers hidden  params(M)  s/step  samples/s")
    for size in a.sizes.split(","):
        # minilm: the encoder shape of sentence-transformers/all-MiniLM-L6-v2 and snowflake-arctic-embed-xs.
        layers, hidden, heads = {"base": (12, 768, 12), "small": (4, 256, 4), "minilm": (6, 384, 12)}[size]
        torch.manual_seed(0)
        model = Classifier(layers, hidden, heads).to(a.device).train()
        choice = {"default": {}, "foreach": {"foreach": True}, "fused": {"fused": True}}[a.adamw]
        optimizer = torch.optim.AdamW(model.parameters(), lr=2e-5, **choice)
        clip = {"foreach": True} if a.adamw != "default" else {}
        ids = torch.randint(1000, 30000, (a.batch, a.seq), device=a.device)
        mask = torch.ones(a.batch, a.seq, dtype=torch.long, device=a.device)
        labels = torch.randint(0, 2, (a.batch,), device=a.device)

        def forward_backward():
            with torch.autocast(a.device, dtype=torch.bfloat16, enabled=a.bf16):
                logits = model(ids, mask)
            nn.functional.cross_entropy(logits.float(), labels).backward()

        def step():
            forward_backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0, **clip)
            optimizer.step()
            optimizer.zero_grad()

        def without_optimizer():
            forward_backward()
            optimizer.zero_grad()

        per_step = seconds(step, a)
        without_optimizer = seconds(without_optimizer, a)
        params = sum(p.numel() for p in model.parameters()) / 1e6
        print(f"{size:<6} {layers:6} {hidden:6} {params:10.1f} {per_step:7.3f} {a.batch / per_step:10.2f}"
              f"   forward+backward alone {without_optimizer:.4f} s ({without_optimizer / per_step:.0%} of the step)")


if __name__ == "__main__":
    main()
