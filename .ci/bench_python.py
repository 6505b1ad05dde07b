"""The Python package's benchmark (run by .ci/bench in the venv that holds creditlab[sweep]; or
alone: `python .ci/bench_python.py [--write]`). Prints BENCHMARKS.md's "Python package" section:

1. a sweep of 200 short bandit runs on a local Ray with the machine's cores, against the same
   200 runs in a plain loop in one process (creditlab.train one after the other): Ray's start,
   its time for the runs, and the ratio;
2. creditlab.advantages("agent-wise") on 1 M samples against a plain numpy implementation of the
   same estimator (REFERENCE.md 2 with its edge conventions), both checked to give the same values.
"""
import json
import os
import pathlib
import platform
import re
import statistics
import sys
import tempfile
import time

import numpy as np

import creditlab
from creditlab import sweep

RUNS = 200
SPEC = {
    "name": "bench",
    "base": {"updates": 20, "groups": 4, "group_size": 8, "game": {"kind": "bandit"}},
    "grid": {"estimators": ["grpo-global", "global-step", "agent-wise", "rloo"]},
    "seeds": RUNS // 4,
}


def sweep_figures():
    runs = sweep.plan(SPEC)
    assert len(runs) == RUNS, len(runs)
    t0 = time.perf_counter()
    for r in runs:
        creditlab.train(r.config)
    loop = time.perf_counter() - t0
    import ray

    t0 = time.perf_counter()
    ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False)
    start = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        result = sweep.run(SPEC, out, progress=False)
        total = time.perf_counter() - t0
        runs_s, report_s = result.timings["runs_s"], result.timings["report_s"]
        assert result.ran == RUNS and not result.failed
        # The same sweep again: every run is skipped (the resume's cost alone).
        t0 = time.perf_counter()
        again = sweep.run(SPEC, out, progress=False)
        resume = time.perf_counter() - t0
        assert again.skipped == RUNS
    ray.shutdown()
    return {"runs": RUNS, "loop_s": loop, "ray_start_s": start, "ray_s": total, "runs_s": runs_s, "report_s": report_s, "resume_s": resume,
            "cores": os.cpu_count(), "updates": SPEC["base"]["updates"]}


def numpy_agent_wise(group, agent, reward, eps=1e-6):
    """Agent-wise (Dr. MAS) in plain numpy: per (group, agent) key, (r - μ_k) / (σ_k + ε) with
    the sample std; a key of one member has μ = 0, σ = 1 (its raw reward)."""
    key = group * (int(agent.max()) + 1) + agent
    _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    mean = np.bincount(inverse, weights=reward) / counts
    centred = reward - mean[inverse]
    var = np.bincount(inverse, weights=centred * centred) / np.maximum(counts - 1, 1)
    std = np.sqrt(var)
    single = counts == 1
    mean[single], std[single] = 0.0, 1.0
    return ((reward - mean[inverse]) / (std[inverse] + eps)).astype(np.float32)


def numpy_figures(samples=1_000_000, repeats=5):
    rng = np.random.default_rng(3)
    # 1 M samples: groups of 8 episodes, 4 agents acting once each, rewards on their own scales.
    episode = np.arange(samples) // 4
    group = episode // 8
    agent = np.arange(samples) % 4
    reward = rng.normal(0.5, 0.2, samples) * (10.0 ** agent)
    lab, bare, numpy = [], [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        a, _ = creditlab.advantages("agent-wise", group=group, episode=episode, agent=agent, reward=reward)
        lab.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        c, _ = creditlab.advantages("agent-wise", group=group, episode=episode, agent=agent, reward=reward, ledger=False)
        bare.append(time.perf_counter() - t0)
        assert np.array_equal(a, c)
        t0 = time.perf_counter()
        b = numpy_agent_wise(group, agent, reward)
        numpy.append(time.perf_counter() - t0)
    worst = float(np.max(np.abs(a - b) / (1 + np.abs(b))))
    assert worst < 1e-4, f"the lab and numpy differ by {worst}"
    return {"samples": samples, "lab_s": statistics.median(lab), "bare_s": statistics.median(bare),
            "numpy_s": statistics.median(numpy), "max_rel_diff": worst}


def section(s, n):
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), platform.processor())
    per_run_loop = s["loop_s"] / s["runs"]
    ideal = s["loop_s"] / s["cores"]
    return f"""## Python package (`.ci/bench_python.py`)

Measured {time.strftime('%Y-%m-%d', time.gmtime())} on {s['cores']} cores ({cpu}), Python {platform.python_version()}, creditlab from `pip install ./python[sweep]` (release build).

### A sweep on Ray against a plain loop

{s['runs']} bandit runs of {s['updates']} updates (4 estimators × {s['runs'] // 4} seeds, 4 groups of 8), each a Ray task on a local Ray with {s['cores']} workers, its table, records, summary and report written; the peer is the same {s['runs']} configs trained one after the other with `creditlab.train` in one process.

| | time | runs/s |
|---|---|---|
| plain loop, one process | {s['loop_s']:.2f} s | {s['runs'] / s['loop_s']:.1f} |
| Ray sweep ({s['cores']} workers), start-up excluded | {s['ray_s']:.2f} s | {s['runs'] / s['ray_s']:.1f} |
| — of which the runs, streamed into the table and records | {s['runs_s']:.2f} s | {s['runs'] / s['runs_s']:.1f} |
| — of which the summary, plots and report (once per sweep) | {s['report_s']:.2f} s | |
| Ray's start (`ray.init`) | {s['ray_start_s']:.2f} s | |
| the same sweep again (every run skipped) | {s['resume_s']:.2f} s | |

- Ray sweep ÷ plain loop: **{s['ray_s'] / s['loop_s']:.2f}×** the time (with Ray's start {(s['ray_s'] + s['ray_start_s']) / s['loop_s']:.2f}×; the runs alone {s['runs_s'] / s['loop_s']:.2f}×). The loop split perfectly over {s['cores']} cores would take {ideal:.2f} s, so the overhead per run — Ray's scheduling, moving each record (JSON) to the driver, writing its Parquet file and record — is {(s['runs_s'] - ideal) / s['runs'] * 1000:.1f} ms against {per_run_loop * 1000:.1f} ms of training per run: at runs this short it eats most of what the second core gains; a longer run amortises it (the loop writes no table, records or report, cannot resume, and stays on one machine).

### The numpy API against plain numpy

`creditlab.advantages("agent-wise", …)` on {n['samples']:,} samples (groups of 8 episodes, 4 agents on reward scales 1–1000), median of 5, against the same estimator written in numpy (`np.unique` + `np.bincount`; the same values within {n['max_rel_diff']:.1e} relative):

| | time | samples/s |
|---|---|---|
| creditlab, with the ledger (the default: a key, its size, mean, std per sample) | {n['lab_s'] * 1000:.0f} ms | {n['samples'] / n['lab_s'] / 1e6:.1f} M |
| creditlab, `ledger=False` | {n['bare_s'] * 1000:.0f} ms | {n['samples'] / n['bare_s'] / 1e6:.1f} M |
| plain numpy | {n['numpy_s'] * 1000:.0f} ms | {n['samples'] / n['numpy_s'] / 1e6:.1f} M |

- creditlab ÷ numpy: **{n['lab_s'] / n['numpy_s']:.2f}×** the time with the ledger, **{n['bare_s'] / n['numpy_s']:.2f}×** without. Both check every array (dtype, length, finite values, ids in range) and copy the batch into the core's samples; the estimator is the one the trainer and the CLI use.
"""


def main():
    n = numpy_figures()
    s = sweep_figures()
    text = section(s, n)
    if "--write" in sys.argv:
        path = pathlib.Path(__file__).resolve().parents[1] / "BENCHMARKS.md"
        doc = path.read_text()
        pattern = re.compile(r"^## Python package.*?(?=^## |\Z)", re.S | re.M)
        doc = pattern.sub(lambda _: text + "\n", doc) if pattern.search(doc) else doc.rstrip() + "\n\n" + text
        path.write_text(doc)
    print(text)
    print(json.dumps({"sweep": s, "numpy": n}), file=sys.stderr)


if __name__ == "__main__":
    main()
