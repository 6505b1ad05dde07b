"""Sweeps on Ray: a grid or a list of config overrides × seeds, each run a Ray task.

A sweep is a YAML file (or the same as a dict)::

    name: scales                      # optional; the output folder's default name
    base:                             # a config (the fields of ``creditlab train --help``)
      updates: 60
      game: {kind: bandit}
    grid:                             # every combination of these overrides …
      estimators: [global-step, agent-wise]
      game.agents.2.scale: [100, 1000]
    runs:                             # … and/or a list of overrides (each crossed with the grid)
      - {learning_rate: 0.003}
      - {learning_rate: 0.01, hidden: 64}
    seeds: [1, 2, 3]                  # or a count: 3 means seeds 1, 2, 3

Keys are config fields; a dotted key reaches into the config (``game.agents.2.scale`` is the
third agent's reward scale; the page's links spell them the same way). ``estimators`` may be one
name or a list: every estimator of a variant is a run of its own, as is every seed. A run is
named by a hash of its whole config, so a sweep run again — or grown by more seeds or values —
skips the runs it has already finished.

Run it with ``python -m creditlab.sweep SWEEP.yaml [--out DIR] [--address ADDR]`` or
:func:`run`. Ray starts locally (``ray.init()``) unless an address names a cluster, where
every node needs ``pip install creditlab`` (this package). The output folder holds:

- ``updates/RUN.parquet``: one row per update and agent of each run, a Parquet dataset read
  as one table by ``pyarrow.dataset.dataset(out / "updates")`` or ``pandas.read_parquet``;
  written as each run finishes;
- ``records/RUN.json``: each run's record, which the page opens like any run record;
- ``runs.parquet`` and ``runs.csv``: one row per run (its variant, estimator, seed, final
  figures, wall time, error);
- ``summary.csv``: per variant, estimator and agent: the final reward and score, the gradient
  norm's median, spread and spikes, each as the mean over seeds and its 95 % interval;
- ``report.html`` with the summary and one PNG per variant (``plots/``);
- ``sweep.json``: the runs and the summary, which the page opens ("Your run", "Open a sweep").
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import html
import itertools
import json
import math
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from . import _creditlab

__all__ = ["run", "load", "plan", "SweepResult", "Run", "main"]

#: The figures of ``updates/*.parquet``, per update and agent, from the run record.
AGENT_FIELDS = (
    "reward_mean", "reward_std", "reward_score", "advantage_mean", "advantage_std", "advantage_min",
    "advantage_max", "grad_norm", "entropy", "update_norm", "predicted_inflation",
)
#: A gradient norm above this many times its run's median is a spike.
SPIKE_FACTOR = 5.0
#: The plots' floor for gradient norms (an agent whose rewards are all equal has a zero gradient).
GRAD_FLOOR = 1e-3


@dataclass(frozen=True)
class Run:
    """One run of a sweep: a variant (its overrides), an estimator and a seed."""

    id: str
    variant: int
    label: str
    overrides: Mapping[str, Any]
    estimator: str
    seed: int
    config: Mapping[str, Any]


@dataclass
class SweepResult:
    """What :func:`run` did and where it wrote."""

    out: Path
    runs: List[Run]
    ran: int = 0
    skipped: int = 0
    failed: Dict[str, str] = field(default_factory=dict)
    #: Seconds spent on the runs (Ray's tasks and the table) and on the summary and report.
    timings: Dict[str, float] = field(default_factory=dict)

    @property
    def summary_csv(self) -> Path:
        return self.out / "summary.csv"

    @property
    def report(self) -> Path:
        return self.out / "report.html"

    @property
    def table(self) -> Path:
        """The per-update, per-agent Parquet dataset."""
        return self.out / "updates"


# ---------------------------------------------------------------------------------------------
# The spec and its runs


def load(path: Union[str, "os.PathLike[str]"]) -> dict:
    """A sweep spec read from YAML (or JSON, which is YAML)."""
    import yaml

    try:
        text = Path(path).read_text()
    except OSError as e:
        raise ValueError(f"sweep: cannot read {path}: {e.strerror}") from None
    try:
        spec = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ValueError(f"sweep: {path} is not YAML: {e}") from None
    if not isinstance(spec, dict):
        raise ValueError(f"sweep: {path} must hold a mapping (base, grid, runs, seeds), got {type(spec).__name__}")
    return spec


def _resolve(config: Mapping[str, Any], where: str) -> dict:
    """The config with every default filled in, checked by the core (errors name the field)."""
    try:
        return json.loads(_creditlab.resolve_config(json.dumps(config)))
    except ValueError as e:
        raise ValueError(f"{where}: {str(e).removeprefix('config: ')}") from None
    except TypeError as e:
        raise ValueError(f"{where}: {e}") from None


def _set(config: dict, key: str, value: Any, where: str) -> dict:
    """``config`` with the dotted ``key`` set to ``value``; a path through defaults the config
    does not spell out (``game.agents.2.scale``) is read against the resolved config."""
    parts = key.split(".")
    if any(p == "" for p in parts):
        raise ValueError(f"{where}: `{key}` is not a config field")
    # First against the config as written (a missing mapping on the way is created), then
    # against the resolved one, where lists of defaults (the bandit's agents) are spelt out.
    for resolved in (False, True):
        target = _resolve(config, where) if resolved else json.loads(json.dumps(config))
        node: Any = target
        ok = True
        for i, part in enumerate(parts[:-1]):
            nxt = parts[i + 1]
            if isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            elif isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, dict) and not nxt.isdigit():
                node[part] = {}
                node = node[part]
            else:
                ok = False
                break
        if ok:
            last = parts[-1]
            if isinstance(node, list) and last.isdigit() and int(last) < len(node):
                node[int(last)] = value
                return target
            if isinstance(node, dict):
                node[last] = value
                return target
    raise ValueError(f"{where}: `{key}` does not name a field of this config (its path ends before `{key}`)")


def _seeds(spec: Mapping[str, Any]) -> List[int]:
    seeds = spec.get("seeds", [1])
    if isinstance(seeds, bool):
        raise ValueError("seeds: a list of seeds or a count, got a boolean")
    if isinstance(seeds, int):
        if not 1 <= seeds <= 100_000:
            raise ValueError(f"seeds: a count of 1..100000, got {seeds}")
        return list(range(1, seeds + 1))
    if not isinstance(seeds, list) or not seeds:
        raise ValueError("seeds: a non-empty list of seeds or a count")
    for i, s in enumerate(seeds):
        if isinstance(s, bool) or not isinstance(s, int) or not 0 <= s < 2**63:
            raise ValueError(f"seeds[{i}]: {s!r} is not a non-negative integer")
    if len(set(seeds)) != len(seeds):
        raise ValueError("seeds: a seed is listed twice")
    return list(seeds)


def _variants(spec: Mapping[str, Any]) -> List[Tuple[str, dict]]:
    """Each variant's override set (list entries crossed with the grid), with where it came from."""
    grid = spec.get("grid") or {}
    if not isinstance(grid, Mapping):
        raise ValueError(f"grid: a mapping of config fields to lists of values, got {type(grid).__name__}")
    axes = []
    for key, values in grid.items():
        if not isinstance(values, list) or not values:
            raise ValueError(f"grid.{key}: a non-empty list of values, got {values!r}")
        axes.append([(key, v) for v in values])
    listed = spec.get("runs")
    if listed is None:
        listed = [{}]
    if not isinstance(listed, list) or not listed:
        raise ValueError("runs: a non-empty list of overrides (mappings of config fields)")
    for i, entry in enumerate(listed):
        if not isinstance(entry, Mapping):
            raise ValueError(f"runs[{i}]: a mapping of config fields, got {type(entry).__name__}")
    out = []
    for i, entry in enumerate(listed):
        for combo in itertools.product(*axes):
            overrides = dict(entry)
            overrides.update(dict(combo))
            where = f"runs[{i}]" if len(listed) > 1 or spec.get("runs") else "grid"
            out.append((where, overrides))
    return out


def _label(overrides: Mapping[str, Any]) -> str:
    shown = {k: v for k, v in overrides.items() if k not in ("estimators", "estimator")}
    if not shown:
        return "base"
    return ", ".join(f"{k}={json.dumps(v) if not isinstance(v, str) else v}" for k, v in shown.items())


def plan(spec: Mapping[str, Any]) -> List[Run]:
    """Every run of ``spec``, each config checked by the core; raises ``ValueError`` naming the
    field (``grid.game.agents.7.scale: …``) before anything runs."""
    if not isinstance(spec, Mapping):
        raise ValueError(f"sweep: a mapping (base, grid, runs, seeds), got {type(spec).__name__}")
    unknown = sorted(set(spec) - {"name", "base", "grid", "runs", "seeds", "address"})
    if unknown:
        raise ValueError(f"{unknown[0]}: not a sweep field (name, base, grid, runs, seeds, address)")
    base = spec.get("base") or {}
    if not isinstance(base, Mapping):
        raise ValueError(f"base: a config (mapping), got {type(base).__name__}")
    base = dict(base)
    for key in ("seeds",):
        if key in base:
            raise ValueError("base.seeds: give the seeds at the sweep's top level (seeds: [1, 2, 3])")
    _resolve(base, "base")
    seeds = _seeds(spec)
    runs: List[Run] = []
    seen = set()
    # A variant is a set of overrides apart from the estimators: its runs compare estimators.
    variant_of: Dict[str, int] = {}
    for where, overrides in _variants(spec):
        variant = variant_of.setdefault(_label(overrides), len(variant_of))
        config = dict(base)
        estimators = None
        for key, value in overrides.items():
            if key in ("estimator", "estimators"):
                estimators = [value] if isinstance(value, str) else value
                continue
            if key == "seeds":
                raise ValueError(f"{where}.seeds: give the seeds at the sweep's top level")
            config = _set(config, key, value, f"{where}.{key}")
        named = f"{where} ({_label(overrides)})"
        if estimators is None:
            estimators = _resolve(config, named)["estimators"]
        if not isinstance(estimators, list) or not estimators or not all(isinstance(e, str) for e in estimators):
            raise ValueError(f"{where}.estimators: one estimator's name or a list of names, got {estimators!r}")
        for estimator in estimators:
            for seed in seeds:
                one = dict(config)
                one["estimators"] = [estimator]
                one["seeds"] = [seed]
                resolved = _resolve(one, f"{named}, estimator {estimator}, seed {seed}")
                key = json.dumps(resolved, sort_keys=True)
                run_id = hashlib.sha256(key.encode()).hexdigest()[:16]
                if run_id in seen:
                    continue
                seen.add(run_id)
                runs.append(Run(run_id, variant, _label(overrides), dict(overrides), estimator, seed, resolved))
    return runs


# ---------------------------------------------------------------------------------------------
# Running


def _train(config_json: str) -> Tuple[str, float]:
    """One run, in a Ray worker: its record (JSON text) and its wall time."""
    from creditlab import _creditlab as core

    t0 = time.perf_counter()
    record = core.train_json(config_json)
    return record, time.perf_counter() - t0


def _atomic_write(path: Path, data: Union[bytes, str]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    if isinstance(data, str):
        tmp.write_text(data)
    else:
        tmp.write_bytes(data)
    os.replace(tmp, path)


def _rows(run: Run, record: Mapping[str, Any]) -> List[dict]:
    rows = []
    for report in record["reports"]:
        r = report["runs"][0]
        for k, agent in enumerate(r["agents"]):
            row = {
                "run": run.id, "variant": run.variant, "label": run.label, "estimator": run.estimator,
                "seed": run.seed, "update": report["update"], "agent": k,
                "team_reward_mean": r.get("team_reward_mean"), "run_grad_norm": r.get("grad_norm"),
                "diverged": r.get("diverged") is not None,
            }
            for f in AGENT_FIELDS:
                v = agent.get(f)
                row[f] = None if v is None else float(v)
            rows.append(row)
    return rows


def _write_updates(path: Path, rows: List[dict]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema(
        [("run", pa.string()), ("variant", pa.int32()), ("label", pa.string()), ("estimator", pa.string()),
         ("seed", pa.int64()), ("update", pa.int32()), ("agent", pa.int32()),
         ("team_reward_mean", pa.float32()), ("run_grad_norm", pa.float32()), ("diverged", pa.bool_())]
        + [(f, pa.float32()) for f in AGENT_FIELDS]
    )
    table = pa.Table.from_pylist(rows, schema=schema)
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def _init_ray(address: Optional[str], num_cpus: Optional[int]):
    import ray

    if not ray.is_initialized():
        kwargs: Dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
        if address:
            kwargs["address"] = address
        elif num_cpus:
            kwargs["num_cpus"] = num_cpus
        ray.init(**kwargs)
    return ray


def run(
    spec: Union[Mapping[str, Any], str, "os.PathLike[str]"],
    out: Union[str, "os.PathLike[str]", None] = None,
    *,
    address: Optional[str] = None,
    resume: bool = True,
    progress: bool = True,
    num_cpus: Optional[int] = None,
) -> SweepResult:
    """Runs a sweep on Ray and writes its table, records, summary and report into ``out``
    (default ``sweeps/NAME``). Finished runs in ``out`` are skipped unless ``resume=False``.
    ``address`` names a Ray cluster (default: the spec's ``address``, else a local Ray);
    ``num_cpus`` caps a local Ray's workers."""
    if not isinstance(spec, Mapping):
        spec = load(spec)
    runs = plan(spec)
    name = str(spec.get("name") or "sweep")
    out = Path(out) if out is not None else Path("sweeps") / name
    for sub in ("updates", "records", "plots"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    result = SweepResult(out, runs)
    todo = []
    for r in runs:
        done = (out / "records" / f"{r.id}.json").is_file() and (out / "updates" / f"{r.id}.parquet").is_file()
        if done and resume:
            result.skipped += 1
        else:
            todo.append(r)
    say = (lambda m: print(m, file=sys.stderr, flush=True)) if progress else (lambda m: None)
    say(f"sweep {name}: {len(runs)} runs, {result.skipped} already finished, {len(todo)} to run -> {out}")
    walls: Dict[str, float] = {}
    phase = time.perf_counter()
    errors_path = out / "errors.json"
    failed = json.loads(errors_path.read_text()) if errors_path.is_file() and resume else {}
    if todo:
        ray = _init_ray(address or spec.get("address"), num_cpus)
        remote = ray.remote(num_cpus=1, max_retries=1)(_train)
        pending = {remote.remote(json.dumps(r.config)): r for r in todo}
        started = time.perf_counter()
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            r = pending.pop(ready[0])
            try:
                text, wall = ray.get(ready[0])
            except Exception as e:  # a run that fails is reported; the others go on
                message = str(getattr(e, "cause", None) or e).strip().splitlines()[-1]
                failed[r.id] = message
                say(f"[{len(todo) - len(pending)}/{len(todo)}] {r.label} {r.estimator} seed {r.seed}: failed: {message}")
                continue
            record = json.loads(text)
            _write_updates(out / "updates" / f"{r.id}.parquet", _rows(r, record))
            _atomic_write(out / "records" / f"{r.id}.json", text)
            failed.pop(r.id, None)
            walls[r.id] = wall
            result.ran += 1
            done = len(todo) - len(pending)
            rate = done / max(time.perf_counter() - started, 1e-9)
            last = record["reports"][-1]["runs"][0]
            say(f"[{done}/{len(todo)}] {r.label} {r.estimator} seed {r.seed}: team reward {last['team_reward_mean']:.3f}"
                f" ({wall:.2f} s; {rate:.1f} runs/s, {len(pending) / max(rate, 1e-9):.0f} s left)")
    _atomic_write(errors_path, json.dumps(failed, indent=1))
    ids = {r.id for r in runs}
    result.failed = {k: v for k, v in failed.items() if k in ids}
    result.timings["runs_s"] = time.perf_counter() - phase
    phase = time.perf_counter()
    _finish(spec, name, out, runs, walls, result.failed)
    result.timings["report_s"] = time.perf_counter() - phase
    say(f"sweep {name}: {result.ran} ran, {result.skipped} skipped, {len(result.failed)} failed; report {out / 'report.html'}")
    return result


# ---------------------------------------------------------------------------------------------
# Summary, report


#: Two-sided 95 % quantiles of Student's t for 1..30 degrees of freedom (then 1.96).
_T95 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042)


def interval(values: Sequence[float]) -> Tuple[float, float, float]:
    """Mean and the 95 % interval of the mean (Student's t) of ``values``; one value has no
    interval (NaN bounds)."""
    xs = [v for v in values if v is not None and math.isfinite(v)]
    n = len(xs)
    if n == 0:
        return (math.nan, math.nan, math.nan)
    mean = sum(xs) / n
    if n == 1:
        return (mean, math.nan, math.nan)
    sd = math.sqrt(sum((x - mean) ** 2 for x in xs) / (n - 1))
    t = _T95[n - 2] if n - 1 <= len(_T95) else 1.96
    half = t * sd / math.sqrt(n)
    return (mean, mean - half, mean + half)


def _per_run(table) -> Dict[Tuple[str, int], dict]:
    """Per run and agent: final reward and score (mean of the last tenth of the updates), and
    the gradient norm's median, spread (95th percentile over the median: how far the large
    norms reach above the typical one; a ratio to the 5th percentile would blow up as a
    converged agent's norm falls to 0) and spikes."""
    import numpy as np

    out: Dict[Tuple[str, int], dict] = {}
    cols = {c: table.column(c).to_numpy(zero_copy_only=False) for c in ("run", "agent", "update", "reward_mean", "reward_score", "grad_norm")}
    order = np.lexsort((cols["update"], cols["agent"], cols["run"]))
    keys = list(zip(cols["run"][order], cols["agent"][order]))
    start = 0
    while start < len(keys):
        end = start
        while end < len(keys) and keys[end] == keys[start]:
            end += 1
        idx = order[start:end]
        tail = max(1, len(idx) // 10)
        reward = cols["reward_mean"][idx].astype(float)
        score = cols["reward_score"][idx].astype(float)
        norms = np.array([v for v in cols["grad_norm"][idx] if v is not None and np.isfinite(v)], dtype=float)
        entry = {
            "final_reward": float(np.mean(reward[-tail:])),
            "final_score": float(np.mean(score[-tail:])),
            "grad_norm_median": math.nan, "grad_norm_spread": math.nan, "grad_norm_spikes": math.nan,
        }
        if len(norms):
            median = float(np.median(norms))
            entry["grad_norm_median"] = median
            p95 = float(np.percentile(norms, 95))
            entry["grad_norm_spread"] = p95 / median if median > 0 else math.nan
            entry["grad_norm_spikes"] = float(np.sum(norms > SPIKE_FACTOR * median)) if median > 0 else 0.0
        out[(str(keys[start][0]), int(keys[start][1]))] = entry
        start = end
    return out


_FIGURES = ("final_reward", "final_score", "grad_norm_median", "grad_norm_spread", "grad_norm_spikes")


def _finish(spec, name: str, out: Path, runs: List[Run], walls: Dict[str, float], failed: Mapping[str, str]) -> None:
    import pyarrow as pa
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    finished = [r for r in runs if (out / "updates" / f"{r.id}.parquet").is_file() and (out / "records" / f"{r.id}.json").is_file()]
    done = {r.id for r in finished}
    files = [str(out / "updates" / f"{r.id}.parquet") for r in finished]
    table = ds.dataset(files, format="parquet").to_table() if files else None
    per_run = _per_run(table) if table is not None and table.num_rows else {}
    # One row per run.
    run_rows = []
    agents_of: Dict[str, int] = {}
    for (rid, agent) in per_run:
        agents_of[rid] = max(agents_of.get(rid, 0), agent + 1)
    for r in runs:
        row = {"run": r.id, "variant": r.variant, "label": r.label, "overrides": json.dumps(r.overrides),
               "estimator": r.estimator, "seed": r.seed, "updates": int(r.config.get("updates", 0)),
               "finished": r.id in done, "error": failed.get(r.id), "wall_s": walls.get(r.id),
               "record": f"records/{r.id}.json" if r.id in done else None}
        for k in range(agents_of.get(r.id, 0)):
            for f in ("final_reward", "final_score"):
                row[f"{f}_{k}"] = per_run[(r.id, k)][f]
        run_rows.append(row)
    if run_rows:
        pq.write_table(pa.Table.from_pylist(run_rows), out / "runs.parquet")
        fields = list(dict.fromkeys(k for row in run_rows for k in row))
        with open(out / "runs.csv", "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=fields)
            w.writeheader()
            w.writerows(run_rows)
    # Per variant, estimator and agent, over seeds.
    summary = []
    groups: Dict[Tuple[int, str, int], List[str]] = {}
    for r in finished:
        for k in range(agents_of.get(r.id, 0)):
            groups.setdefault((r.variant, r.estimator, k), []).append(r.id)
    labels = {r.variant: r.label for r in runs}
    for (variant, estimator, agent), ids in sorted(groups.items()):
        row: Dict[str, Any] = {"variant": variant, "label": labels[variant], "estimator": estimator, "agent": agent, "seeds": len(ids)}
        for f in _FIGURES:
            mean, lo, hi = interval([per_run[(i, agent)][f] for i in ids])
            row[f"{f}_mean"], row[f"{f}_lo"], row[f"{f}_hi"] = mean, lo, hi
        summary.append(row)
    header = ["variant", "label", "estimator", "agent", "seeds"] + [f"{f}_{s}" for f in _FIGURES for s in ("mean", "lo", "hi")]
    with open(out / "summary.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=header)
        w.writeheader()
        w.writerows(summary)
    plots = _plots(out, table, runs) if table is not None and table.num_rows else []
    _report(out, name, spec, summary, run_rows, plots)
    clean = lambda v: None if isinstance(v, float) and not math.isfinite(v) else v
    _atomic_write(out / "sweep.json", json.dumps({
        "format": "creditlab-sweep", "version": 1, "name": name, "spec": spec,
        "runs": [{k: clean(v) for k, v in row.items() if k != "overrides"} | {"overrides": json.loads(row["overrides"])} for row in run_rows],
        "summary": [{k: clean(v) for k, v in row.items()} for row in summary],
    }, indent=1, default=str))


def _plots(out: Path, table, runs: List[Run]) -> List[Tuple[str, str]]:
    """One PNG per variant: reward score and gradient norm over updates, each estimator and
    agent's mean over seeds with its 95 % band."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    import pyarrow as pa
    import pyarrow.compute as pc

    # Per variant, estimator, agent and update, over the seeds: the score's mean and sample std,
    # the gradient norm's median and range (floored for the log axis).
    floored = pc.max_element_wise(table.column("grad_norm"), pa.scalar(GRAD_FLOOR, pa.float32()))
    stats = (
        table.select(["variant", "estimator", "agent", "update", "reward_score"])
        .append_column("norm", floored)
        .group_by(["variant", "estimator", "agent", "update"])
        .aggregate([
            ("reward_score", "mean"), ("reward_score", "stddev", pc.VarianceOptions(ddof=1)), ("reward_score", "count"),
            ("norm", "approximate_median"), ("norm", "min"), ("norm", "max"),
        ])
        .sort_by([("variant", "ascending"), ("estimator", "ascending"), ("agent", "ascending"), ("update", "ascending")])
    )
    col = {name: stats.column(name).to_numpy(zero_copy_only=False) for name in stats.column_names}
    written = []
    labels = {r.variant: r.label for r in runs}
    for variant in sorted(set(int(v) for v in col["variant"])):
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4), dpi=90)
        in_variant = col["variant"] == variant
        estimators = sorted(set(col["estimator"][in_variant]))
        colours = plt.get_cmap("tab10")
        styles = ["-", "--", ":", "-."]
        for ei, estimator in enumerate(estimators):
            colour = colours(ei % 10)
            for agent in sorted(set(int(a) for a in col["agent"][in_variant & (col["estimator"] == estimator)])):
                rows = np.flatnonzero(in_variant & (col["estimator"] == estimator) & (col["agent"] == agent))
                updates = col["update"][rows]
                mean = col["reward_score_mean"][rows].astype(float)
                n = col["reward_score_count"][rows].astype(float)
                sd = np.nan_to_num(col["reward_score_stddev"][rows].astype(float))
                t = np.array([_T95[int(k) - 2] if 2 <= k <= len(_T95) + 1 else (1.96 if k > 1 else 0.0) for k in n])
                half = t * sd / np.sqrt(np.maximum(n, 1))
                style = styles[agent % len(styles)]
                ax1.plot(updates, mean, style, color=colour, lw=1.3, label=f"{estimator} · agent {agent}")
                ax1.fill_between(updates, mean - half, mean + half, color=colour, alpha=0.15, lw=0)
                ax2.plot(updates, col["norm_approximate_median"][rows], style, color=colour, lw=1.3)
                ax2.fill_between(updates, col["norm_min"][rows], col["norm_max"][rows], color=colour, alpha=0.15, lw=0)
        ax1.set_title("reward score (mean over seeds, 95 % band)")
        ax1.set_xlabel("update")
        ax2.set_title(f"gradient norm (median over seeds, their range; floor {GRAD_FLOOR:g})")
        ax2.set_xlabel("update")
        ax2.set_yscale("log")
        ax1.legend(fontsize=7, loc="best")
        fig.suptitle(labels.get(variant, str(variant)), fontsize=10)
        # Fixed margins: tight_layout measured every label and took longer than the plotting.
        fig.subplots_adjust(left=0.06, right=0.99, bottom=0.13, top=0.86, wspace=0.18)
        path = out / "plots" / f"variant-{variant}.png"
        fig.savefig(path)
        plt.close(fig)
        written.append((labels.get(variant, str(variant)), f"plots/variant-{variant}.png"))
    return written


def _report(out: Path, name: str, spec, summary: List[dict], run_rows: List[dict], plots) -> None:
    def cell(v):
        if isinstance(v, float):
            return "—" if not math.isfinite(v) else f"{v:.4g}"
        return html.escape(str(v))

    def ci(row, f):
        m, lo, hi = row[f"{f}_mean"], row[f"{f}_lo"], row[f"{f}_hi"]
        if not math.isfinite(m):
            return "—"
        return f"{m:.4g}" + (f" [{lo:.4g}, {hi:.4g}]" if math.isfinite(lo) else "")

    rows = "".join(
        "<tr>" + "".join(f"<td>{x}</td>" for x in (cell(r["label"]), cell(r["estimator"]), r["agent"], r["seeds"], *(ci(r, f) for f in _FIGURES))) + "</tr>"
        for r in summary
    )
    figures = "".join(f'<figure><img src="{p}" alt="{html.escape(label)}"><figcaption>{html.escape(label)}</figcaption></figure>' for label, p in plots)
    failed = [r for r in run_rows if r["error"]]
    failures = "".join(f"<li>{html.escape(r['label'])} {html.escape(r['estimator'])} seed {r['seed']}: {html.escape(r['error'])}</li>" for r in failed)
    text = f"""<!doctype html><meta charset="utf-8"><title>Credit Lab sweep {html.escape(name)}</title>
<style>body{{font:14px system-ui,sans-serif;margin:2em;max-width:80em}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.2em .5em;text-align:right}}td:first-child,td:nth-child(2){{text-align:left}}img{{max-width:100%}}</style>
<h1>Sweep {html.escape(name)}</h1>
<p>{len(run_rows)} runs ({sum(1 for r in run_rows if r['finished'])} finished, {len(failed)} failed). Each figure is the mean over seeds and its 95 % interval (Student's t).
Final reward and score: the mean over each run's last tenth of updates. Gradient norm: each run's median, spread (95th percentile ÷ median) and spikes (updates above {SPIKE_FACTOR:g}× the median).
The table per update and agent: <code>updates/</code> (Parquet); per run: <code>runs.csv</code>; this summary: <code>summary.csv</code>; the page opens <code>sweep.json</code> with its <code>records/</code>.</p>
<table><thead><tr><th>variant</th><th>estimator</th><th>agent</th><th>seeds</th><th>final reward</th><th>final score</th><th>grad norm median</th><th>spread</th><th>spikes</th></tr></thead><tbody>{rows}</tbody></table>
{f'<h2>Failed runs</h2><ul>{failures}</ul>' if failures else ''}
{figures}
<h2>Spec</h2><pre>{html.escape(json.dumps(spec, indent=1, default=str))}</pre>
"""
    _atomic_write(out / "report.html", text)


# ---------------------------------------------------------------------------------------------
# Command line


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m creditlab.sweep", description=__doc__.split("\n\n")[0],
                                     epilog="The sweep file's fields: see the module's documentation (pydoc creditlab.sweep).")
    parser.add_argument("sweep", help="the sweep (YAML): base, grid and/or runs, seeds")
    parser.add_argument("--out", help="output folder (default sweeps/NAME)")
    parser.add_argument("--address", help="a Ray cluster's address (default: a local Ray)")
    parser.add_argument("--num-cpus", type=int, help="workers of a local Ray (default: every core)")
    parser.add_argument("--no-resume", action="store_true", help="run every run again, finished or not")
    parser.add_argument("--quiet", action="store_true", help="print no progress")
    parser.add_argument("--dry-run", action="store_true", help="list the runs and stop")
    args = parser.parse_args(argv)
    try:
        spec = load(args.sweep)
        if args.dry_run:
            for r in plan(spec):
                print(f"{r.id}  {r.label}  {r.estimator}  seed {r.seed}")
            return 0
        result = run(spec, args.out, address=args.address, resume=not args.no_resume, progress=not args.quiet, num_cpus=args.num_cpus)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 1 if result.failed else 0


if __name__ == "__main__":
    sys.exit(main())
