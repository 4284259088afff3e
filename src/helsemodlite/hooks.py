"""Supply and demand paths for a batch of draws: the reference, and scenarios applied to it.

A path turns the inputs (and, for scenarios, their hook settings) into the parameters in force in
each year, with a leading draw axis. The kernels in :mod:`helsemodlite.engine` only read them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .engine import DemandPlan, Drivers
from .inputs import Inputs


@dataclass
class ReferencePath:
    """The reference supply path: every parameter held at its base-year level.

    The calibrated inflow factor of each group scales graduates and immigrants.
    """

    inputs: Inputs
    n_draws: int = 1

    def __post_init__(self) -> None:
        f = self.inputs.calibration.inflow_factor[:, None, None]
        self._drivers = Drivers(
            p_work=self.inputs.p_work[None],
            fte=self.inputs.fte[None],
            graduates=(self.inputs.graduates * f)[None],
            immigrants=(self.inputs.immigrants * f)[None],
            absence_factor=np.ones((1, 1, 1, 1)),
        )

    def at(self, i: int) -> Drivers:
        return self._drivers


def reference_demand_plan(inputs: Inputs, n_draws: int = 1) -> DemandPlan:
    t = np.arange(len(inputs.years), dtype=float)
    growth = (1.0 + inputs.parameters["standard_growth"]) ** t
    return DemandPlan(
        alternative=np.full(n_draws, inputs.alternative_index),
        healthy_ageing=np.ones(n_draws, dtype=bool),
        growth_index=np.broadcast_to(growth, (n_draws, len(t))).copy(),
    )
