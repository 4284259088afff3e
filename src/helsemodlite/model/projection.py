"""A projection's arrays (numpy only): supply, demand and gap per draw, year and group.

Tables of it (pandas) are :class:`helsemodlite.io.tables.Projection`, the class users get.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import ConfigError, ResultError
from .engine import SupplyResult
from .inputs import Inputs


@dataclass
class ProjectionData:
    """Supply, demand and gap of one or more draws (scenarios), year by year.

    Arrays have dims (draw, year, group) unless stated. ``gap = supply − demand``; negative is a
    shortage, as in the publication.
    """

    inputs: Inputs
    scenarios: tuple[str, ...]
    supply_result: SupplyResult
    demand_observed: np.ndarray
    """Observed-composition demand (with the calibrated trend), excluding the base shortage."""
    demand: np.ndarray
    """Demand including the base-year shortage."""
    demand_cells: np.ndarray
    """(draw, year, service, category): demand by service area and staffing category."""
    meta: dict[str, object] = field(default_factory=dict)

    @property
    def years(self) -> tuple[int, ...]:
        return self.inputs.years

    @property
    def supply(self) -> np.ndarray:
        return self.supply_result.arsverk

    @property
    def gap(self) -> np.ndarray:
        return self.supply - self.demand

    @property
    def notes(self) -> list[str]:
        """Things a user must know about this run (e.g. a task shift capped at what a group
        has); the CLI prints them on stderr and run.json records them."""
        notes = self.meta.get("notes", [])
        return [str(n) for n in notes] if isinstance(notes, list) else []

    @property
    def n_draws(self) -> int:
        return len(self.scenarios)

    def _check_draw(self, draw: int) -> None:
        if (
            isinstance(draw, bool)
            or not isinstance(draw, int | np.integer)
            or not 0 <= draw < self.n_draws
        ):
            raise ConfigError(
                f"draw {draw!r} is out of range: this projection has draws 0..{self.n_draws - 1}"
            )

    def check_stock(self) -> None:
        """Raise :class:`ConfigError` when further education moves more persons out of a group
        than its stock holds at some age (graduates of a destination far above what the origin
        can give; ``transitions.csv``): a negative stock is never served."""
        low = self.supply_result.low_stock
        if low is None or not (low < -1e-6).any():
            return
        t = self.inputs.moves
        problems = []
        for d, g in zip(*np.nonzero(low < -1e-6), strict=True):
            group = self.inputs.groups[int(g)]
            into = [self.inputs.groups[int(k)] for k in np.flatnonzero(t[g] > 0)]
            problems.append(
                f"scenario {self.scenarios[int(d)]}: the graduates of {', '.join(into)} come "
                f"from the stock of {group} (model/transitions.csv), and there are more of them "
                f"than {group} has persons at some age (lowest cell {low[d, g]:.1f} persons); "
                "lower those graduates or the share in transitions.csv"
            )
        raise ConfigError(problems, title="the projection's stock would go below zero")

    def check_finite(self) -> None:
        """Raise :class:`ResultError` naming the first cells where supply or demand is NaN or
        infinite (a projection is never served with such numbers)."""
        problems = []
        for what, arr in (("supply", self.supply), ("demand", self.demand)):
            bad = ~np.isfinite(arr)
            if bad.any():
                d, y, g = (int(i[0]) for i in np.nonzero(bad))
                problems.append(
                    f"{what} is not a finite number in {int(bad.sum())} cell(s), first: scenario "
                    f"{self.scenarios[d]}, {self.years[y]}, group {self.inputs.groups[g]}"
                )
        if problems:
            raise ResultError(
                problems,
                title="the projection produced non-finite values; the inputs are implausible "
                "(check the base-year drivers, stocks and rates with `helsemodlite inputs check`)",
            )
