#!/usr/bin/env python3
"""The language agents' update step: the lab (`creditlab bench --language-step`, native release)
against the same two models and the same update written in PyTorch, in one run.

Reads the lab's JSON lines on stdin (one per batch size: the shapes it trained and its median
update-step time) and times the PyTorch update on the same shapes: the solver's and the
verifier's tiny causal transformers (token + position embeddings, pre-norm blocks of attention
and a gelu MLP of width 2d, a final layer norm, an output head), the logits divided by τ with the
agent's illegal tokens masked, each response's per-token log-probs and entropies gathered at its
own positions, the token-mean REINFORCE loss with the given advantages minus the entropy bonus,
one backward pass per agent, each agent's squared gradient norm read back, and Adam. Prints the
BENCHMARKS.md section "Language agents: update step" (`--write` also writes it there).
"""
import json
import pathlib
import re
import statistics
import sys
import time

import torch
from torch import nn

torch.set_num_threads(2)
torch.manual_seed(0)


class Tiny(nn.Module):
    def __init__(self, vocab, positions, width, heads, blocks):
        super().__init__()
        self.tok = nn.Embedding(vocab, width)
        self.pos = nn.Embedding(positions, width)
        layer = nn.TransformerEncoderLayer(width, heads, 2 * width, dropout=0.0, activation="gelu", batch_first=True, norm_first=True)
        self.enc = nn.TransformerEncoder(layer, blocks, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, vocab)

    def forward(self, x):
        length = x.shape[1]
        mask = nn.Transformer.generate_square_subsequent_mask(length)
        h = self.tok(x) + self.pos(torch.arange(length))
        return self.head(self.norm(self.enc(h, mask=mask, is_causal=True)))


def agent_step(model, optim, rows, vocab, temperature, entropy_coef):
    tokens, positions, targets, mask, adv, bias = rows
    optim.zero_grad(set_to_none=True)
    log_p = torch.log_softmax(model(tokens) / temperature + bias, dim=2)
    picked = log_p.gather(1, positions.unsqueeze(2).expand(-1, -1, vocab))
    chosen = picked.gather(2, targets.unsqueeze(2)).squeeze(2) * mask
    entropy = -(picked.exp() * picked).sum(2) * mask
    count = mask.sum().clamp_min(1.0)
    loss = -(adv * chosen).sum() / count - entropy_coef * entropy.sum() / count
    loss.backward()
    norm_sq = sum(float(p.grad.square().sum()) for p in model.parameters() if p.grad is not None)
    optim.step()
    return norm_sq


def rows_for(n, length, response, vocab, legal):
    tokens = torch.randint(0, vocab - 1, (n, length))
    start = length - response
    positions = (start - 1 + torch.arange(response)).expand(n, -1).contiguous()
    targets = tokens[:, start:start + response].clone()
    mask = torch.ones(n, response)
    adv = torch.randn(n, 1)
    bias = torch.tensor([0.0 if ok else -1e9 for ok in legal]).view(1, 1, vocab)
    return tokens, positions, targets, mask, adv, bias


def peer_ms(case, updates=50, warmup=5):
    vocab, positions = case["vocab"], case["positions"]
    models, optims, rows = [], [], []
    for k in range(2):
        m = Tiny(vocab, positions, case["widths"][k], case["heads"][k], case["blocks"][k])
        models.append(m)
        optims.append(torch.optim.Adam(m.parameters(), lr=case["learning_rate"], betas=(0.9, 0.999), eps=1e-8))
        legal = [True] * (vocab - 1) + [False]
        rows.append(rows_for(case["rows"][k], case["length"][k], case["response"][k], vocab, legal))
    times = []
    for i in range(warmup + updates):
        start = time.perf_counter()
        for k in range(2):
            if case["rows"][k]:
                agent_step(models[k], optims[k], rows[k], vocab, case["temperature"], case["entropy_coef"])
        if i >= warmup:
            times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def main():
    cases = [json.loads(line) for line in sys.stdin if line.strip()]
    table = ["| episodes per update | responses (solver / verifier) | lab ms | PyTorch ms | lab ÷ PyTorch | lab whole updates/s |",
             "|---|---|---|---|---|---|"]
    for case in cases:
        torch_ms = peer_ms(case)
        case["torch_ms"] = torch_ms
        table.append(f"| {case['episodes']} | {case['rows'][0]} / {case['rows'][1]} | {case['lab_ms']:.2f} | {torch_ms:.2f} | "
                     f"{case['lab_ms'] / torch_ms:.2f}× | {case['updates_per_second']:.1f} |")
    first = cases[0] if cases else {}
    text = f"""## Language agents: update step (`.ci/bench_language.py`)

Measured {time.strftime('%Y-%m-%d', time.gmtime())} on {__import__('os').cpu_count()} cores, natively. The arithmetic game's two
language agents with the page's defaults (solver width {first.get('widths', ['?'])[0]}, verifier width
{first.get('widths', ['?', '?'])[1]}, one pre-norm block each, vocabulary {first.get('vocab', '?')}, up to {first.get('positions', '?')}
positions; token-mean, entropy bonus {first.get('entropy_coef', '?')}, Adam): the lab's update step
(`creditlab bench --language-step`, release: both agents' rows packed, the loss, one backward pass
per agent, each agent's gradient norm and entropy read back, burn's Adam; the median of 30 updates
after 3) against the same models and update in PyTorch {torch.__version__} (2 threads, the median of
50 updates after 5, on rows of the same shapes). *Whole updates/s*: the lab's updates per second
with sampling the responses token by token and the estimator included.

{chr(10).join(table)}
"""
    if "--write" in sys.argv:
        path = pathlib.Path(__file__).resolve().parents[1] / "BENCHMARKS.md"
        doc = path.read_text()
        pattern = re.compile(r"^## Language agents: update step.*?(?=^## |\Z)", re.S | re.M)
        doc = pattern.sub(lambda _: text + "\n", doc) if pattern.search(doc) else doc.rstrip() + "\n\n" + text
        path.write_text(doc)
    print(text)
    print(json.dumps(cases), file=sys.stderr)


if __name__ == "__main__":
    main()
