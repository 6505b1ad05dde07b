"""The compiled core behind `creditlab` (checked inputs only; use the package's functions)."""
from typing import List, Optional, Tuple

import numpy as np
import numpy.typing as npt

ESTIMATORS: List[str]

def advantages(
    estimator: str,
    group: npt.NDArray[np.int64],
    episode: npt.NDArray[np.int64],
    agent: npt.NDArray[np.int64],
    reward: npt.NDArray[np.float64],
    turn: npt.NDArray[np.int64],
    anchor: Optional[List[Optional[str]]],
    options: str,
    with_ledger: bool = ...,
) -> Tuple[npt.NDArray[np.float32], Optional[dict]]: ...
def inspect_json(path: Optional[str], data: Optional[bytes], expect: Optional[str], expect_mean_only: bool) -> str: ...
def train_json(config: str) -> str: ...
def resolve_config(config: str) -> str: ...
def eval_kuhn_json(policy: str) -> str: ...

class TrainerCore:
    def __init__(self, config: str) -> None: ...
    def step(self) -> str: ...
    def backend(self) -> str: ...
