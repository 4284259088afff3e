"""The one cohort step: survive, leave, age by one year, add inflows.

Every year loop of helsemodlite steps a stock by single years of age with this function: the
personnel stocks of the runtime model (:func:`.engine.run_supply`), the 2015→2024 roll-forward
of the personnel stocks in the data build (:mod:`..data.supply_stock`) and the population
projection of the build (:mod:`..data.population`). The age axis is the last; any leading axes
(draw, group, sex, alternative) broadcast.

For a stock N on 1 January, death probability q and other-exit probability x during the year:

    deaths    = N · q
    exits     = N · min(x, 1 − q)                 (no one leaves twice: survivors ≥ 0)
    survivors = N − deaths − exits                 (at their age on 1 January)
    N'[a + 1] = survivors[a]                        (one year older)
    N'[a0]    = 0                                    (the youngest age starts empty)
    oldest age: with ``open_top`` the survivors stay in it (an open age group, the population);
                without, they leave the stock (``aged_out``: the personnel at 80)
    N'       += inflows, in the order given         (graduates, immigrants, minus the moves
                                                      to other groups; net migration)

Pure numpy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class CohortStep:
    """One year of a cohort step: the new stock and the flows of the year (same shape as the
    stock; ``aged_out`` without the age axis)."""

    stock: np.ndarray
    deaths: np.ndarray
    exits: np.ndarray | None
    survivors: np.ndarray
    aged_out: np.ndarray


def cohort_step(
    stock: np.ndarray,
    q: np.ndarray,
    x: np.ndarray | None = None,
    inflows: Sequence[np.ndarray] = (),
    *,
    open_top: bool = False,
) -> CohortStep:
    """Step ``stock`` one year (see the module docstring); ``q``, ``x`` and each inflow
    broadcast to the stock's shape."""
    deaths = stock * q
    exits = None
    if x is None:
        survivors = stock - deaths
    else:
        xm = np.minimum(x, 1.0 - q)
        exits = stock * xm
        # the survival factor, floored (q + x = 1 may leave −1e-17): linear in the stock, so a
        # component run whose cells go negative (outflows without a stock) stays exact
        survivors = stock * np.maximum(1.0 - q - xm, 0.0)
    new = np.empty(np.broadcast_shapes(survivors.shape, *(np.shape(f) for f in inflows)))
    new[..., 1:] = survivors[..., :-1]
    new[..., 0] = 0.0
    if open_top:
        new[..., -1] += survivors[..., -1]
        aged_out = np.zeros(survivors.shape[:-1])
    else:
        aged_out = survivors[..., -1]
    for inflow in inflows:
        new += inflow
    return CohortStep(new, deaths, exits, survivors, aged_out)
