"""The Python package against the CLI and the core's rules: every batch estimator gives the CLI's
values on random batches; bad arrays raise naming the field; inspect, train, Trainer, eval_kuhn."""
import json
import os
import pathlib
import re
import subprocess

import numpy as np
import pytest

import creditlab

REPO = pathlib.Path(__file__).resolve().parents[2]


def cli() -> str:
    path = os.environ.get("CREDITLAB_CLI")
    if path:
        return path
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    for profile in ("release", "debug"):
        if (target / profile / "creditlab").is_file():
            return str(target / profile / "creditlab")
    pytest.skip("the creditlab CLI is not built (set CREDITLAB_CLI)")


def random_batch(seed: int):
    rng = np.random.default_rng(seed)
    group, episode, agent, turn, reward, anchor = [], [], [], [], [], []
    e = 0
    for g in range(rng.integers(1, 4)):
        for _ in range(rng.integers(1, 5)):
            for t in range(rng.integers(1, 5)):
                group.append(g)
                episode.append(e)
                agent.append(int(rng.integers(0, 3)))
                turn.append(t)
                reward.append(float(rng.integers(0, 3)) if rng.random() < 0.4 else float(np.float32(rng.uniform(-5, 5))))
                anchor.append(f"s{rng.integers(0, 3)}" if rng.random() < 0.7 else None)
            e += 1
    return dict(group=np.array(group), episode=np.array(episode), agent=np.array(agent), turn=np.array(turn), reward=np.array(reward)), anchor


def cli_advantages(estimator, batch, anchor, *args):
    samples = [
        {"group": int(g), "episode": int(e), "agent": int(a), "turn": int(t), "reward": float(r), **({"anchor": s} if s is not None else {})}
        for g, e, a, t, r, s in zip(batch["group"], batch["episode"], batch["agent"], batch["turn"], batch["reward"], anchor)
    ]
    out = subprocess.run([cli(), "advantages", "--estimator", estimator, *args], input=json.dumps(samples), capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


@pytest.mark.parametrize("estimator", creditlab.BATCH_ESTIMATORS)
@pytest.mark.parametrize("seed", range(5))
def test_every_batch_estimator_gives_the_clis_values(estimator, seed):
    batch, anchor = random_batch(seed)
    values, ledger = creditlab.advantages(estimator, anchor=anchor, **batch)
    expected = cli_advantages(estimator, batch, anchor)
    np.testing.assert_array_equal(values, np.array(expected["advantages"], dtype=np.float32))
    assert ledger["key"] == [e["key"] for e in expected["ledger"]]
    np.testing.assert_array_equal(ledger["key_size"], [e["key_size"] for e in expected["ledger"]])


def test_options_are_the_clis_in_snake_case():
    batch, anchor = random_batch(11)
    values, _ = creditlab.advantages("rloo", anchor=anchor, rloo_scope="agent", **batch)
    expected = cli_advantages("rloo", batch, anchor, "--rloo-scope", "agent")
    np.testing.assert_array_equal(values, np.array(expected["advantages"], dtype=np.float32))
    values, _ = creditlab.advantages("gigpo", anchor=anchor, gamma=0.5, omega=2.0, gigpo_agent_wise=True, **batch)
    expected = cli_advantages("gigpo", batch, anchor, "--gamma", "0.5", "--omega", "2", "--gigpo-agent-wise")
    np.testing.assert_array_equal(values, np.array(expected["advantages"], dtype=np.float32))


def test_the_default_turn_is_the_order_in_the_episode():
    batch, _ = random_batch(3)
    with_turns, _ = creditlab.advantages("mars", **batch)
    without = {k: v for k, v in batch.items() if k != "turn"}
    default, _ = creditlab.advantages("mars", **without)
    np.testing.assert_array_equal(with_turns, default)
    # Without the ledger: the same values, no ledger.
    bare, none = creditlab.advantages("mars", ledger=False, **batch)
    assert none is None
    np.testing.assert_array_equal(bare, with_turns)
    # Interleaved episodes: each sample's place among its own episode's samples, in order.
    np.testing.assert_array_equal(creditlab._turns(np.array([3, 1, 3, 1, 1, 7])), [0, 0, 1, 1, 2, 0])
    np.testing.assert_array_equal(creditlab._turns(np.array([], dtype=np.int64)), [])


@pytest.mark.parametrize(
    "change, field",
    [
        (dict(reward=np.array([1.0, np.nan, 0.0])), "reward[1]"),
        (dict(reward=np.array(["a", "b", "c"])), "reward"),
        (dict(group=np.array([0, 0])), "group"),
        (dict(episode=np.array([0.5, 1, 2])), "episode"),
        (dict(agent=np.array([0, -1, 0])), "agent[1]"),
        (dict(agent=np.zeros((3, 1), dtype=int)), "agent"),
        (dict(turn=np.array([0, 1])), "turn"),
        (dict(anchor=["s0", 3, None]), "anchor[1]"),
        (dict(eps=-1.0), "eps"),
        (dict(temperature=1.0), "temperature"),
        (dict(rloo_scope="galaxy"), "options"),
    ],
)
def test_bad_input_raises_naming_the_field(change, field):
    args = dict(group=np.array([0, 0, 0]), episode=np.array([0, 1, 2]), agent=np.array([0, 1, 0]), reward=np.array([1.0, 0.0, 2.0]))
    args.update(change)
    with pytest.raises(ValueError, match="^" + re.escape(field)):
        creditlab.advantages("agent-wise", **args)


def test_unknown_and_game_estimators_are_refused_by_name():
    args = dict(group=[0, 0], episode=[0, 1], agent=[0, 0], reward=[1.0, 0.0])
    with pytest.raises(ValueError, match="^estimator: unknown"):
        creditlab.advantages("nope", **args)
    with pytest.raises(ValueError, match="^estimator: coma needs the game's exact payoff"):
        creditlab.advantages("coma", **args)


def test_inspect_gives_the_clis_verdicts():
    examples = REPO / "public" / "examples"
    assert creditlab.inspect(examples / "agent-wise.json")["verdict"]["reference"]["estimator"] == "agent-wise"
    bug = creditlab.inspect(examples / "solver-verifier.jsonl")
    assert bug["verdict"]["verdict"] == "deviates" and bug["verdict"]["deviation"] == "batch-wide"
    assert creditlab.inspect((examples / "bandit-grpo.csv").read_bytes())["verdict"]["reference"]["estimator"] == "grpo-global"
    ignored = creditlab.inspect(examples / "bandit-grpo.csv", expect="grpo-global", expect_mean_only=True)
    assert ignored["verdict"]["deviation"] == "std-not-skipped"
    # A mapping of arrays with the framework's advantages: the lab's own global step level.
    batch, _ = random_batch(5)
    values, _ = creditlab.advantages("global-step", **batch)
    verdict = creditlab.inspect(batch, advantages=values)["verdict"]
    assert verdict["verdict"] == "matches"
    assert verdict["reference"]["estimator"] == "global-step" or any(a.startswith("global-step") for a in verdict["also"])
    with pytest.raises(ValueError, match=r"line 1, field `reward`"):
        creditlab.inspect(b'{"group": 1, "episode": 1, "agent": 1, "reward": "x"}\n')
    with pytest.raises(ValueError, match="reward: is missing"):
        creditlab.inspect({"group": [0], "episode": [0], "agent": [0]})


def test_train_and_the_trainer():
    record = creditlab.train({"updates": 3, "seeds": [1, 2], "group_size": 4})
    assert record["format"] == "creditlab-run" and len(record["reports"]) == 3
    reports = list(creditlab.Trainer({"updates": 4, "seeds": [1], "group_size": 4}))
    assert [r["update"] for r in reports] == [1, 2, 3, 4]
    # Same seed, same build: the same reports.
    assert list(creditlab.Trainer({"updates": 4, "seeds": [1], "group_size": 4}))[3]["runs"] == reports[3]["runs"]
    with pytest.raises(ValueError, match="^config: .*learning_rate"):
        creditlab.train({"learning_rate": -1})


def test_eval_kuhn_knows_the_values():
    assert abs(creditlab.eval_kuhn("uniform")["nash_conv"] - 11 / 12) < 1e-9
    assert abs(creditlab.eval_kuhn("first-action")["nash_conv"] - 2) < 1e-9
    with pytest.raises(ValueError, match="^policy"):
        creditlab.eval_kuhn("random")
