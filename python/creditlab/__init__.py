"""Credit Lab from Python: the core's advantage estimators over numpy arrays, the check of a
logged run's advantages, the trainer and Kuhn poker's exact evaluation.

Every function checks its input and raises ``ValueError`` naming the field, as the CLI does::

    import numpy as np, creditlab
    adv, ledger = creditlab.advantages("agent-wise", group=g, episode=e, agent=a, reward=r)
    analysis = creditlab.inspect("run.jsonl")          # or bytes, or a dict of arrays
    record = creditlab.train({"updates": 50, "seeds": [1, 2]})
    for report in creditlab.Trainer({"updates": 5}): ...
    creditlab.eval_kuhn("uniform")["nash_conv"]        # 11/12
"""
from __future__ import annotations

import json
import os
from typing import Any, Iterator, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import _creditlab

__all__ = ["advantages", "inspect", "train", "Trainer", "eval_kuhn", "ESTIMATORS", "BATCH_ESTIMATORS"]

#: Every estimator's name, as the CLI and configs spell it.
ESTIMATORS: Tuple[str, ...] = tuple(_creditlab.ESTIMATORS)
#: The estimators that need only the batch (the others need a game's exact payoff).
BATCH_ESTIMATORS: Tuple[str, ...] = ("grpo-global", "agent-wise", "global-step", "trajectory-per-agent", "rloo", "mars", "gigpo")

# The CLI's option names in snake case → the core's fields (``gamma`` and ``omega`` as the CLI has them).
_OPTIONS = {
    "eps", "mean_only", "rloo_scope", "gamma", "omega", "gigpo_mean_std", "gigpo_agent_wise",
    "gigpo_own_steps", "rloo_first_sample", "mars_padded_unique",
}


def _ids(name: str, values: Any, length: Optional[int]) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name}: must be a 1-D array, got {array.ndim} dimensions")
    if length is not None and len(array) != length:
        raise ValueError(f"{name}: has {len(array)} values where reward has {length}")
    if array.dtype.kind not in "iu":
        if array.dtype.kind == "f" and np.all(np.isfinite(array)) and np.all(array == np.round(array)):
            array = array.astype(np.int64)
        else:
            raise ValueError(f"{name}: must hold integers (ids), got dtype {array.dtype}")
    if len(array) and (array.min() < 0 or array.max() >= 2**32):
        bad = int(np.argmax((array < 0) | (array >= 2**32)))
        raise ValueError(f"{name}[{bad}]: {array[bad]} is not an integer in 0..2^32")
    return np.ascontiguousarray(array, dtype=np.int64)


def _turns(episode: np.ndarray) -> np.ndarray:
    """Each sample's order within its episode (the default turn)."""
    n = len(episode)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    # Sort by episode (stably, so each episode's samples keep their order); a sample's turn is
    # its place after the start of its episode's run.
    order = np.argsort(episode, kind="stable")
    ordered = episode[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    lengths = np.diff(np.r_[starts, n])
    turns = np.empty(n, dtype=np.int64)
    turns[order] = np.arange(n) - np.repeat(starts, lengths)
    return turns


def _rewards(values: Any) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"reward: must be a 1-D array, got {array.ndim} dimensions")
    if array.dtype.kind not in "iuf":
        raise ValueError(f"reward: must hold numbers, got dtype {array.dtype}")
    array = np.ascontiguousarray(array, dtype=np.float64)
    if len(array) and not np.all(np.isfinite(array)):
        bad = int(np.argmax(~np.isfinite(array)))
        raise ValueError(f"reward[{bad}]: {array[bad]} is not a finite number")
    if len(array) and np.max(np.abs(array)) > np.finfo(np.float32).max:
        raise ValueError("reward: a value is beyond float32's range")
    return array


def advantages(
    estimator: str,
    *,
    group: Any,
    episode: Any,
    agent: Any,
    reward: Any,
    turn: Any = None,
    anchor: Optional[Sequence[Optional[str]]] = None,
    ledger: bool = True,
    **options: Any,
) -> Tuple[np.ndarray, Optional[dict]]:
    """One batch estimator's advantages and ledger, the same values as ``creditlab advantages``.

    ``group``, ``episode``, ``agent`` (and ``turn``: by default each sample's order in its
    episode) are integer arrays, ``reward`` a float array, all of one length; ``anchor`` an
    optional sequence of strings (GiGPO's anchor states). Options as the CLI's, in snake case:
    ``eps``, ``mean_only``, ``rloo_scope`` ("episode", "agent", "group"), ``gamma``, ``omega``,
    ``gigpo_mean_std``, ``gigpo_agent_wise``, ``gigpo_own_steps``, ``rloo_first_sample``,
    ``mars_padded_unique``.

    Returns ``(advantages, ledger)``: a float32 array, and the ledger as columns (``key``,
    ``key_size``, ``mean``, ``std``, ``value``, ``advantage``, ``note``), one entry per sample;
    ``ledger=False`` returns ``(advantages, None)`` without building it (inside a training loop).
    """
    if not isinstance(estimator, str):
        raise ValueError(f"estimator: must be a name (one of {', '.join(ESTIMATORS)})")
    reward = _rewards(reward)
    n = len(reward)
    group = _ids("group", group, n)
    episode = _ids("episode", episode, n)
    agent = _ids("agent", agent, n)
    turn = _turns(episode) if turn is None else _ids("turn", turn, n)
    if anchor is not None:
        anchor = list(anchor)
        if len(anchor) != n:
            raise ValueError(f"anchor: has {len(anchor)} values where reward has {n}")
        for i, a in enumerate(anchor):
            if a is not None and not isinstance(a, str):
                raise ValueError(f"anchor[{i}]: must be a string or None, got {type(a).__name__}")
    unknown = sorted(set(options) - _OPTIONS)
    if unknown:
        raise ValueError(f"{unknown[0]}: unknown option (options: {', '.join(sorted(_OPTIONS))})")
    core: dict = {}
    for key, value in options.items():
        if key == "gamma":
            core["mars_gamma"] = core["gigpo_gamma"] = value
        elif key == "omega":
            core["gigpo_omega"] = value
        else:
            core[key] = value
    for key in ("eps", "mars_gamma", "gigpo_gamma", "gigpo_omega"):
        if key in core and (not isinstance(core[key], (int, float)) or not np.isfinite(core[key])):
            raise ValueError(f"{key}: must be a finite number, got {core[key]!r}")
    if "eps" in core and not 0 <= core["eps"] <= 1:
        raise ValueError(f"eps: {core['eps']} must be between 0 and 1")
    for key in ("mars_gamma", "gigpo_gamma"):
        if key in core and not 0 <= core[key] <= 1:
            raise ValueError(f"gamma: {core[key]} must be between 0 and 1")
    if not isinstance(ledger, bool):
        raise ValueError(f"ledger: True or False, got {ledger!r}")
    return _creditlab.advantages(estimator, group, episode, agent, reward, turn, anchor, json.dumps(core), ledger)


_Source = Union[str, "os.PathLike[str]", bytes, Mapping[str, Any]]


def inspect(
    batch: _Source,
    advantages: Any = None,
    *,
    expect: Optional[str] = None,
    expect_mean_only: bool = False,
) -> dict:
    """The analysis of a logged run and the conformance verdict of its advantages, as
    ``creditlab inspect --json`` gives them.

    ``batch`` is a file's path (JSONL, JSON or CSV; README, "Your own run"), its content as
    bytes, or a mapping of arrays with the format's fields (``group``, ``episode``, ``agent``,
    ``reward``, optionally ``turn``, ``step``, ``tokens``). ``advantages``, where given, are the
    framework's own, one per sample (for a mapping). ``expect`` names the estimator the training
    was set up to compute. ``result["verdict"]["verdict"]`` is ``"matches"``,
    ``"no-advantages"``, ``"deviates"`` or ``"unrecognised"``.
    """
    if isinstance(batch, Mapping):
        data = _jsonl(batch, advantages)
        return json.loads(_creditlab.inspect_json(None, data, expect, expect_mean_only))
    if advantages is not None:
        raise ValueError("advantages: give them inside a mapping batch (a file carries its own)")
    if isinstance(batch, (bytes, bytearray)):
        return json.loads(_creditlab.inspect_json(None, bytes(batch), expect, expect_mean_only))
    if isinstance(batch, (str, os.PathLike)):
        return json.loads(_creditlab.inspect_json(os.fspath(batch), None, expect, expect_mean_only))
    raise ValueError(f"batch: a path, bytes or a mapping of arrays, got {type(batch).__name__}")


def _jsonl(batch: Mapping[str, Any], advantages: Any) -> bytes:
    for field in ("group", "episode", "agent", "reward"):
        if field not in batch:
            raise ValueError(f"{field}: is missing from the batch")
    reward = _rewards(batch["reward"])
    n = len(reward)
    columns = {"reward": reward.tolist()}
    for field in ("group", "episode", "agent", "turn", "step", "tokens"):
        if field in batch and batch[field] is not None:
            columns[field] = _ids(field, batch[field], n).tolist()
    if advantages is not None:
        adv = _rewards(advantages)
        if len(adv) != n:
            raise ValueError(f"advantages: has {len(adv)} values where reward has {n}")
        columns["advantage"] = adv.tolist()
    names = list(columns)
    lines = (json.dumps(dict(zip(names, row))) for row in zip(*(columns[k] for k in names)))
    return ("\n".join(lines) + "\n").encode()


def train(config: Mapping[str, Any]) -> dict:
    """Trains every (estimator, seed) run of ``config`` (the fields of ``creditlab train
    --help``) on the CPU to its last update; the run record as a dict (config, backend, one
    report per update)."""
    return json.loads(_creditlab.train_json(_config(config)))


class Trainer:
    """Steps a config's runs one update at a time: iterating yields each update's report."""

    def __init__(self, config: Mapping[str, Any]):
        self._core = _creditlab.TrainerCore(_config(config))

    @property
    def backend(self) -> dict:
        """The backend and why it was chosen."""
        return json.loads(self._core.backend())

    def step(self) -> dict:
        """One update of every run; its report (raises ``StopIteration`` when done)."""
        return json.loads(self._core.step())

    def __iter__(self) -> Iterator[dict]:
        return self

    def __next__(self) -> dict:
        return self.step()


def _config(config: Mapping[str, Any]) -> str:
    if not isinstance(config, Mapping):
        raise ValueError(f"config: must be a mapping of config fields, got {type(config).__name__}")
    try:
        return json.dumps(dict(config))
    except TypeError as e:
        raise ValueError(f"config: {e}") from None


def eval_kuhn(policy: Union[str, Mapping[str, Sequence[float]]]) -> dict:
    """Kuhn poker's exact evaluation of a policy: ``"uniform"``, ``"first-action"`` or the 12
    information sets' [pass, bet] (``{"J": [0.8, 0.2], ..., "Kb": [0, 1]}``). Returns
    ``nash_conv`` (0 at an equilibrium), ``exploitability``, ``p1_value`` and both best
    responses."""
    if isinstance(policy, str):
        if policy not in ("uniform", "first-action"):
            raise ValueError(f"policy: \"{policy}\" is not uniform or first-action (or give the 12 information sets)")
        return json.loads(_creditlab.eval_kuhn_json(json.dumps(policy)))
    if not isinstance(policy, Mapping):
        raise ValueError(f"policy: a name or a mapping of information sets, got {type(policy).__name__}")
    return json.loads(_creditlab.eval_kuhn_json(json.dumps({k: list(map(float, v)) for k, v in policy.items()})))
