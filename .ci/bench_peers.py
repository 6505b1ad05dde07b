"""The update-step benchmark's peers: the lab's policy-gradient + Adam update written with numpy
(forward and backward by hand) and with PyTorch (autograd, CPU), on the shapes `creditlab bench
--update-step` reports, timed the same way (median of the timed updates after warm-up).

The update, as in core/src/train/ (loss.rs, adam.rs): per model m (one per agent), rows x [B, O],
  h = tanh(x W1 + b1), logits = h W2 + b2, logp = log_softmax(logits),
  loss = -sum_m sum_b weight[b] * adv[m, b] * logp[m, b, chosen[m, b]]   (weight = 1 / B),
then each model's squared gradient norm (the lab reports it) and one Adam step
(lr 0.003, betas 0.9 / 0.999, eps 1e-8, bias-corrected).

Reads one JSON object per line on stdin ({"rows", "models", "input", "hidden", "actions",
"updates"}) and prints one JSON object per line: the same fields plus numpy_ms and torch_ms
(null where the package is missing) and torch_threads.
"""

import json
import statistics
import sys
import time

LR, B1, B2, EPS = 0.003, 0.9, 0.999, 1e-8
WARMUP = 3


def timed(step, updates):
    for _ in range(WARMUP):
        step()
    times = []
    for _ in range(updates):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def numpy_case(case):
    import numpy as np

    rng = np.random.default_rng(1)
    m, b, o, h, a = (case[k] for k in ("models", "rows", "input", "hidden", "actions"))
    f32 = np.float32
    params = [
        (rng.standard_normal((m, o, h)) * (1 / np.sqrt(o))).astype(f32),
        np.zeros((m, 1, h), f32),
        (rng.standard_normal((m, h, a)) * (1 / np.sqrt(h))).astype(f32),
        np.zeros((m, 1, a), f32),
    ]
    first = [np.zeros_like(p) for p in params]
    second = [np.zeros_like(p) for p in params]
    x = rng.random((m, b, o)).astype(f32)
    chosen = np.eye(a, dtype=f32)[rng.integers(0, a, (m, b))]
    adv = rng.standard_normal((m, b, 1)).astype(f32)
    weight = np.full((m, b, 1), 1 / b, f32)
    state = {"t": 0}

    def step():
        w1, b1, w2, b2 = params
        hid = np.tanh(x @ w1 + b1)
        logits = hid @ w2 + b2
        logits = logits - logits.max(axis=2, keepdims=True)
        logp = logits - np.log(np.exp(logits).sum(axis=2, keepdims=True))
        g_logp = -(weight * adv) * chosen
        d_logits = g_logp - np.exp(logp) * g_logp.sum(axis=2, keepdims=True)
        grads = [None, None, hid.transpose(0, 2, 1) @ d_logits, d_logits.sum(axis=1, keepdims=True)]
        d_pre = (d_logits @ w2.transpose(0, 2, 1)) * (1 - hid * hid)
        grads[0] = x.transpose(0, 2, 1) @ d_pre
        grads[1] = d_pre.sum(axis=1, keepdims=True)
        _norms = sum((g * g).sum(axis=(1, 2)) for g in grads)
        state["t"] += 1
        t = state["t"]
        size = LR / (1 - B1**t)
        for i, g in enumerate(grads):
            first[i] = B1 * first[i] + (1 - B1) * g
            second[i] = B2 * second[i] + (1 - B2) * g * g
            params[i] = params[i] - size * first[i] / (np.sqrt(second[i]) / np.sqrt(1 - B2**t) + EPS)

    return timed(step, case["updates"])


def torch_case(case):
    import torch

    torch.manual_seed(1)
    m, b, o, h, a = (case[k] for k in ("models", "rows", "input", "hidden", "actions"))
    params = [
        (torch.randn(m, o, h) / o**0.5).requires_grad_(),
        torch.zeros(m, 1, h, requires_grad=True),
        (torch.randn(m, h, a) / h**0.5).requires_grad_(),
        torch.zeros(m, 1, a, requires_grad=True),
    ]
    optimizer = torch.optim.Adam(params, lr=LR, betas=(B1, B2), eps=EPS)
    x = torch.rand(m, b, o)
    chosen = torch.nn.functional.one_hot(torch.randint(0, a, (m, b)), a).float()
    adv = torch.randn(m, b, 1)
    weight = torch.full((m, b, 1), 1 / b)

    def step():
        w1, b1, w2, b2 = params
        logp = torch.log_softmax(torch.tanh(x @ w1 + b1) @ w2 + b2, dim=2)
        loss = -((logp * chosen).sum(dim=2, keepdim=True) * adv * weight).sum()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        with torch.no_grad():
            _norms = sum((p.grad * p.grad).sum(dim=(1, 2)) for p in params)
        optimizer.step()

    return timed(step, case["updates"]), torch.get_num_threads()


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        case = json.loads(line)
        out = dict(case)
        try:
            out["numpy_ms"] = numpy_case(case)
        except ImportError:
            out["numpy_ms"] = None
        try:
            out["torch_ms"], out["torch_threads"] = torch_case(case)
        except ImportError:
            out["torch_ms"], out["torch_threads"] = None, None
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
