"""A projection's arrays (numpy only): supply, demand and gap per draw, year and group.

Tables of it (pandas) are :class:`helsemodlite.io.tables.Projection`, the class users get.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..checks import whole
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

    def _check_draw(self, draw: int) -> int:
        """``draw`` as an index of this projection's draws (0.0 and np.int64(0) are 0)."""
        index = whole(draw, "draw")
        if not 0 <= index < self.n_draws:
            raise ConfigError(
                f"draw {draw!r} is out of range: this projection has draws 0..{self.n_draws - 1}"
            )
        return index

    def unmatched_notes(self) -> list[str]:
        """A note per scenario and group where further education found no one to move at
        some ages (:attr:`.engine.SupplyResult.unmatched_moves`): the destination's graduates
        beyond the origin's persons count as new persons there."""
        left = self.supply_result.unmatched_moves
        if left is None:
            return []
        t = self.inputs.moves
        out = []
        for d, g in zip(*np.nonzero(left > 0.5), strict=True):
            group = self.inputs.groups[int(g)]
            into = ", ".join(self.inputs.groups[int(k)] for k in np.flatnonzero(t[g] > 0))
            out.append(
                f"{self.scenarios[int(d)]}: the graduates of {into} come from the stock of "
                f"{group} (model/transitions.csv), but at some ages {group} had no one left; "
                f"{f'{left[d, g]:,.0f}'.replace(',', ' ')} of them over the years could not be "
                "moved and count as new persons (lower those graduates if that is not meant)"
            )
        return out

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
