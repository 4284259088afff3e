"""Running the kernels for prepared paths: the one entry point to the year loop.

:func:`run` takes the inputs, a supply path, a demand plan and optional demand adjustments (all
with a leading draw axis) and returns a :class:`~helsemodlite.model.projection.ProjectionData`.
It refuses a result that is not finite.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..numformat import plain
from . import engine
from .inputs import Inputs
from .projection import ProjectionData


def personnel_mortality(inputs: Inputs) -> np.ndarray:
    """(alternative, year, sex, age): death probabilities at the personnel ages."""
    ages = np.asarray(inputs.ages)
    return inputs.mortality[..., ages[0] : ages[-1] + 1]


def _base_supply(inputs: Inputs) -> np.ndarray:
    return (inputs.stock * inputs.p_work * inputs.fte).sum(axis=(-2, -1))


def run_demand(
    inputs: Inputs, plan: engine.DemandPlan, adjust: Any = None, cache: dict[Any, Any] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The demand half of :func:`run`: cells (after the demand-side measures ``adjust``),
    observed-composition and total demand by group. ``cache``: see ``engine.demand_cells``."""
    cells = engine.demand_cells(inputs, plan, _base_supply(inputs), cache)
    if adjust is not None:
        cells = adjust.apply(cells)
    observed, total = engine.group_demand(inputs, cells)
    return cells, observed, total


def group_demand(
    inputs: Inputs, plan: engine.DemandPlan, adjust: Any = None, cache: dict[Any, Any] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Observed-composition and total demand by group (draw, year, group) as :func:`run_demand`
    gives them, without keeping the cells when no demand-side measure needs them (the Monte
    Carlo chunks: tested equal)."""
    if adjust is None or (adjust.factor is None and not any(adjust.shifts)):
        return engine.summed_demand(inputs, plan, _base_supply(inputs), cache)
    return run_demand(inputs, plan, adjust, cache)[1:]


def run(
    inputs: Inputs,
    path: Any,
    plan: engine.DemandPlan,
    names: tuple[str, ...],
    *,
    detail: bool,
    adjust: Any = None,
    component: bool = False,
) -> ProjectionData:
    """Run the kernels for prepared paths (shared by projections, batches and calibration).

    ``component``: the run holds only some of the stock's sources (the calibration's split),
    so the moves by further education are not limited to the persons in a cell (a part of a
    sum, linear in its sources)."""
    # Implausible inputs that pass the checks can still give NaN or inf: the result check below
    # refuses them with a clear message, so numpy's warnings would only be noise.
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        q = personnel_mortality(inputs)
        supply = engine.run_supply(
            inputs, path, q, plan.alternative, detail=detail, clamp_moves=not component
        )
        cells, observed, total = run_demand(inputs, plan, adjust)
        notes = [] if adjust is None else [f"{names[d]}: {text}" for d, text in adjust.notes]
    proj = ProjectionData(
        inputs=inputs,
        scenarios=names,
        supply_result=supply,
        demand_observed=observed,
        demand=total,
        demand_cells=cells,
        meta={"notes": notes, "path": path, "plan": plan},
    )
    proj.check_finite()
    notes += proj.unmatched_notes()
    if not component:
        notes += _negative_demand_notes(inputs, names, total)
    return proj


def _negative_demand_notes(inputs: Inputs, names: tuple[str, ...], demand: np.ndarray) -> list[str]:
    """A note per scenario and group whose demand falls below 0: demand-side measures (a task
    shift that moves all of it) left less observed demand than the group's base-year surplus,
    which is carried as a negative shortage."""
    out = []
    for d, g in zip(*np.nonzero((demand < -0.5).any(axis=1)), strict=True):
        first = int(np.argmax(demand[d, :, g] < -0.5))
        out.append(
            f"{names[d]}: demand for {inputs.groups[g]} is negative from {inputs.years[first]} "
            f"({plain(demand[d, first, g])} årsverk): the measures leave less observed demand "
            "than the group's base-year surplus, carried as a negative shortage"
        )
    return out
