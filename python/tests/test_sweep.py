"""Sweeps on a local Ray: the plan of a grid, its errors naming the field, a tiny sweep (2 configs ×
2 seeds) that completes, resumes without redoing finished runs and whose table holds every
(config, seed, update, agent) once, with records equal to ``creditlab.train``'s."""
import csv
import json
import os
import subprocess
import sys

import pytest

import creditlab
from creditlab import sweep

ray = pytest.importorskip("ray")
pa_ds = pytest.importorskip("pyarrow.dataset")

SPEC = {
    "name": "tiny",
    "base": {"updates": 4, "groups": 2, "group_size": 4, "game": {"kind": "bandit"}},
    "grid": {"estimators": ["global-step", "agent-wise"]},
    "seeds": [1, 2],
}


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def test_a_grid_plans_every_variant_estimator_and_seed_once():
    spec = {
        "base": {"updates": 3},
        "grid": {"game.agents.2.scale": [100, 1000], "learning_rate": [0.003, 0.01]},
        "runs": [{"estimators": ["rloo", "agent-wise"]}, {"estimator": "mars", "hidden": 8}],
        "seeds": 3,
    }
    runs = sweep.plan(spec)
    # (2 estimators + 1) × 4 grid points × 3 seeds.
    assert len(runs) == 3 * 4 * 3
    assert len({r.id for r in runs}) == len(runs)
    assert {r.seed for r in runs} == {1, 2, 3}
    scaled = [r for r in runs if r.overrides["game.agents.2.scale"] == 1000]
    assert all(r.config["game"]["agents"][2]["scale"] == 1000 for r in scaled)
    assert all(r.config["game"]["agents"][0]["scale"] == 1 for r in scaled)
    assert all(r.config["estimators"] == [r.estimator] and r.config["seeds"] == [r.seed] for r in runs)
    assert {r.config["hidden"] for r in runs if r.estimator == "mars"} == {8}
    # A run's id is its whole config's: the same plan twice names the same runs.
    assert [r.id for r in sweep.plan(spec)] == [r.id for r in runs]
    assert "game.agents.2.scale=1000" in scaled[0].label


@pytest.mark.parametrize("spec, message", [
    ({"base": {"updates": 0}}, r"^base: config field `updates`"),
    ({"grid": {"game.agents.7.scale": [1, 2]}}, r"^grid.game.agents.7.scale: "),
    ({"grid": {"learning_rate": []}}, r"^grid.learning_rate: a non-empty list"),
    ({"grid": {"learning_rate": [-1]}}, r"^grid \(learning_rate=-1\): config field `learning_rate`: -1 is out of range"),
    ({"seeds": [1, 1]}, r"^seeds: a seed is listed twice"),
    ({"seeds": ["a"]}, r"^seeds\[0\]: "),
    ({"runs": [{"estimators": ["nope"]}]}, r"^runs\[0\] \(base\), estimator nope, seed 1: .*nope"),
    ({"grid": {"estimators": [3]}}, r"^grid.estimators: one estimator's name or a list"),
    ({"gird": {}}, r"^gird: not a sweep field"),
    ({"base": {"seeds": [1]}}, r"^base.seeds: "),
])
def test_a_bad_sweep_names_the_field(spec, message):
    with pytest.raises(ValueError, match=message):
        sweep.plan(spec)


def test_a_tiny_sweep_completes_resumes_and_holds_every_row_once(local_ray, tmp_path):
    out = tmp_path / "tiny"
    result = sweep.run(SPEC, out, progress=False)
    assert (result.ran, result.skipped, result.failed) == (4, 0, {})
    table = pa_ds.dataset(str(out / "updates"), format="parquet").to_table().to_pylist()
    keys = [(r["estimator"], r["seed"], r["update"], r["agent"]) for r in table]
    assert len(keys) == len(set(keys)) == 2 * 2 * 4 * 3
    assert {k[2] for k in keys} == {1, 2, 3, 4}
    # Each record is the one creditlab.train gives for the run's config (wall times aside).
    for r in result.runs:
        record = json.loads((out / "records" / f"{r.id}.json").read_text())
        direct = creditlab.train(r.config)
        for a, b in zip(record["reports"], direct["reports"]):
            a.pop("wall_ms"), b.pop("wall_ms")
        assert record["reports"] == direct["reports"]
        rows = [x for x in table if x["run"] == r.id and x["agent"] == 1]
        assert [x["grad_norm"] for x in rows] == pytest.approx(
            [rep["runs"][0]["agents"][1]["grad_norm"] for rep in direct["reports"]])
    # The summary: one row per estimator and agent, over both seeds, with an interval.
    with open(out / "summary.csv") as f:
        summary = list(csv.DictReader(f))
    assert len(summary) == 2 * 3
    assert all(row["seeds"] == "2" for row in summary)
    assert all(float(row["final_reward_lo"]) <= float(row["final_reward_mean"]) <= float(row["final_reward_hi"]) for row in summary)
    report = (out / "report.html").read_text()
    assert "plots/variant-0.png" in report and (out / "plots" / "variant-0.png").stat().st_size > 5000
    page = json.loads((out / "sweep.json").read_text())
    assert page["format"] == "creditlab-sweep" and len(page["runs"]) == 4
    assert all((out / run["record"]).is_file() for run in page["runs"])
    # Run again: nothing is redone.
    stamps = {p: p.stat().st_mtime_ns for p in (out / "records").iterdir()}
    again = sweep.run(SPEC, out, progress=False)
    assert (again.ran, again.skipped) == (0, 4)
    assert {p: p.stat().st_mtime_ns for p in (out / "records").iterdir()} == stamps
    # One more seed: only its runs are run; the table still holds each row once.
    grown = dict(SPEC, seeds=[1, 2, 3])
    more = sweep.run(grown, out, progress=False)
    assert (more.ran, more.skipped) == (2, 4)
    table = pa_ds.dataset(str(out / "updates"), format="parquet").to_table().to_pylist()
    keys = [(r["estimator"], r["seed"], r["update"], r["agent"]) for r in table]
    assert len(keys) == len(set(keys)) == 2 * 3 * 4 * 3


def test_the_command_line_runs_a_yaml_sweep_and_refuses_a_bad_one(tmp_path):
    good = tmp_path / "s.yaml"
    good.write_text("name: cli\nbase: {updates: 2, groups: 1, group_size: 4}\ngrid:\n  estimators: [agent-wise]\nseeds: 2\n")
    env = dict(os.environ, RAY_ENABLE_UV_RUN_RUNTIME_ENV="0")
    done = subprocess.run([sys.executable, "-m", "creditlab.sweep", str(good), "--out", str(tmp_path / "out"), "--num-cpus", "2"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "2 ran, 0 skipped, 0 failed" in done.stderr
    assert (tmp_path / "out" / "summary.csv").is_file()
    bad = tmp_path / "bad.yaml"
    bad.write_text("base: {updates: 2}\ngrid:\n  game.agents.9.scale: [1]\n")
    done = subprocess.run([sys.executable, "-m", "creditlab.sweep", str(bad), "--dry-run"], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 2
    assert "grid.game.agents.9.scale" in done.stderr


def test_the_summary_figures_by_hand():
    import pyarrow as pa

    # One run, one agent, 20 updates: the last tenth's reward is (1 + 3) / 2; the norm is 1 but
    # for one spike of 10 (above 5× the median); its 95th percentile (numpy's linear reading)
    # is 1 + 0.05 · 9 over a median of 1.
    table = pa.table({
        "run": ["a"] * 20, "agent": [0] * 20, "update": list(range(1, 21)),
        "reward_mean": [0.0] * 18 + [1.0, 3.0], "reward_score": [0.5] * 20, "grad_norm": [1.0] * 19 + [10.0],
    })
    figures = sweep._per_run(table)[("a", 0)]
    assert figures["final_reward"] == 2.0 and figures["final_score"] == 0.5
    assert figures["grad_norm_median"] == 1.0
    assert figures["grad_norm_spikes"] == 1.0
    assert figures["grad_norm_spread"] == pytest.approx(1.45)
    # Student's t at 2 degrees of freedom: 4.303 · 1 / √3 either side of the mean.
    mean, lo, hi = sweep.interval([1.0, 2.0, 3.0])
    assert (mean, lo, hi) == pytest.approx((2.0, 2.0 - 4.303 / 3 ** 0.5, 2.0 + 4.303 / 3 ** 0.5))
    assert sweep.interval([5.0])[0] == 5.0 and all(x != x for x in sweep.interval([5.0])[1:])
