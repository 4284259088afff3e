"""A scenario's supply path and demand plan with the sampled inputs of a chunk of draws.

The scenario is compiled once (one draw); :class:`UncertainPath` replays its drivers for every
draw of the chunk with the draw's factors on top, so a measure and the uncertainty combine in
one vectorised run: graduates and immigrants times their factors, P and E times (1 + d·t) (P at
most 1), the sick-leave share times (1 + d·t), and the other-exit probability times its factor
(in the kernel, :func:`..model.engine.run_supply`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..model.engine import DemandPlan, Drivers
from ..model.inputs import Inputs
from ..model.paths import DemandAdjustments
from .draws import Draws


@dataclass
class UncertainPath:
    """Implements ``SupplyPath`` for a chunk of draws on top of a one-draw scenario path."""

    inputs: Inputs
    base: Any
    """The scenario's compiled supply path (one draw)."""
    draws: Draws
    n_draws: int = field(init=False)
    _last: tuple[int, Drivers] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.n_draws = self.draws.n

    def exit_factors(self) -> np.ndarray:
        """(draw, group): factor on the other-exit probability."""
        return self.draws.values["exits"]

    def stock_groups(self) -> np.ndarray:
        """Every draw has its own inflows and exits: its own stock path (unless all equal)."""
        v = self.draws.values
        keys = np.concatenate(
            [v["graduates"], v["immigrants"], v["exits"], self.draws.alternative[:, None]], axis=1
        )
        _, labels = np.unique(keys, axis=0, return_inverse=True)
        labels = np.asarray(labels, dtype=np.int64).ravel()
        if labels.max(initial=-1) + 1 == len(labels):  # all distinct: keep the draw order
            return np.arange(len(labels), dtype=np.int64)  # (no reordering copies per year)
        return labels

    def at(self, i: int) -> Drivers:
        if self._last is not None and self._last[0] == i:
            return self._last[1]
        base = self.base.at(i)
        v = self.draws.values
        t = float(i)
        p = base.p_work * (1.0 + v["p_drift"] * t)[:, :, None, None]
        np.minimum(p, 1.0, out=p)
        e = base.fte * (1.0 + v["e_drift"] * t)[:, :, None, None]
        absence = base.absence_factor
        sick = v["sick_leave_drift"]
        if i > 0 and sick.any():
            # ab = ab0·(1 + r·w)·(1 + d·t): the measure's share first, then the drift
            ab0 = self.inputs.sick_leave[None]
            rel = getattr(self.base, "sick_rel", None)
            r = 0.0 if rel is None else rel[:, i, :, None, None]
            ab = np.clip(ab0 * (1.0 + r) * (1.0 + sick * t)[:, :, None, None], 0.0, 1.0)
            absence = np.maximum(1.0 - ab, 0.0) / np.maximum(1.0 - ab0, 1e-12)
        none = np.zeros((1, 1, 1, 1))  # the base year has no inflows
        drv = Drivers(
            p_work=p,
            fte=e,
            graduates=base.graduates * v["graduates"][:, :, None, None] if i else none,
            immigrants=base.immigrants * v["immigrants"][:, :, None, None] if i else none,
            absence_factor=absence,
        )
        self._last = (i, drv)
        return drv


def uncertain_plan(
    inputs: Inputs, plan: DemandPlan, draws: Draws, fixed_alternative: bool = False
) -> DemandPlan:
    """The scenario's demand plan (one draw) for every draw of the chunk: the draw's population
    alternative (unless ``fixed_alternative``: the scenario sets one, or is the reference paired
    with such a scenario), standardvekst and strength of healthier ageing."""
    n = draws.n
    t = np.arange(len(inputs.years), dtype=float)
    r0 = float(inputs.parameters["standard_growth"])
    rate = draws.values["standardvekst"]
    # The scenario's growth index relative to the reference's, times the draw's own growth.
    ref = (1.0 + r0) ** t
    growth = plan.growth_index[0] / ref * (1.0 + rate[:, None]) ** t[None, :]
    alt = np.full(n, int(plan.alternative[0])) if fixed_alternative else draws.alternative
    return DemandPlan(
        alternative=alt,
        healthy_ageing=plan.healthy_ageing[0][None, :] * draws.values["friskere_aldring"][:, None],
        growth_index=growth,
    )


def uncertain_adjustments(adjust: DemandAdjustments, n: int) -> DemandAdjustments:
    """The scenario's demand-side measures (one draw) for every draw of the chunk."""
    return replace(adjust, shifts=[adjust.shifts[0]] * n if adjust.shifts else [], notes=[])
