import os
from typing import Any, Iterator, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

ESTIMATORS: Tuple[str, ...]
BATCH_ESTIMATORS: Tuple[str, ...]

def advantages(
    estimator: str,
    *,
    group: npt.ArrayLike,
    episode: npt.ArrayLike,
    agent: npt.ArrayLike,
    reward: npt.ArrayLike,
    turn: Optional[npt.ArrayLike] = ...,
    anchor: Optional[Sequence[Optional[str]]] = ...,
    ledger: bool = ...,
    eps: float = ...,
    mean_only: bool = ...,
    rloo_scope: str = ...,
    gamma: float = ...,
    omega: float = ...,
    gigpo_mean_std: bool = ...,
    gigpo_agent_wise: bool = ...,
    gigpo_own_steps: bool = ...,
    rloo_first_sample: bool = ...,
    mars_padded_unique: bool = ...,
) -> Tuple[npt.NDArray[np.float32], Optional[dict]]: ...
def inspect(
    batch: Union[str, "os.PathLike[str]", bytes, Mapping[str, Any]],
    advantages: Optional[npt.ArrayLike] = ...,
    *,
    expect: Optional[str] = ...,
    expect_mean_only: bool = ...,
) -> dict: ...
def train(config: Mapping[str, Any]) -> dict: ...

class Trainer:
    def __init__(self, config: Mapping[str, Any]) -> None: ...
    @property
    def backend(self) -> dict: ...
    def step(self) -> dict: ...
    def __iter__(self) -> Iterator[dict]: ...
    def __next__(self) -> dict: ...

def eval_kuhn(policy: Union[str, Mapping[str, Sequence[float]]]) -> dict: ...
