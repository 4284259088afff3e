"""The public entry points: load the inputs once, build the paths, run the kernels."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from . import engine
from .errors import ConfigError
from .hooks import ReferencePath, reference_demand_plan, scenario_paths
from .inputs import Inputs, default_inputs_dir, load_inputs
from .projection import Projection

InputsLike = Inputs | str | Path | None


@lru_cache(maxsize=8)
def _cached_inputs(directory: str, stamp: tuple[float, ...]) -> Inputs:
    return load_inputs(directory)


def _file_stamp(directory: Path) -> tuple[float, ...]:
    return tuple(p.stat().st_mtime for p in sorted(directory.glob("*/*.csv")) if p.is_file())


def resolve_inputs(inputs: InputsLike = None) -> Inputs:
    """An :class:`Inputs` from an object, a directory, or the default data set (cached per
    directory; reloaded when a file changes)."""
    if isinstance(inputs, Inputs):
        return inputs
    directory = Path(inputs) if inputs is not None else default_inputs_dir()
    return _cached_inputs(str(directory.resolve()), _file_stamp(directory))


def personnel_mortality(inputs: Inputs) -> np.ndarray:
    """(alternative, year, sex, age): death probabilities at the personnel ages."""
    ages = np.asarray(inputs.ages)
    return inputs.mortality[..., ages[0] : ages[-1] + 1]


def run(
    inputs: Inputs,
    path: Any,
    plan: engine.DemandPlan,
    names: tuple[str, ...],
    *,
    detail: bool,
    adjust: Any = None,
) -> Projection:
    """Run the kernels for prepared paths (shared by :func:`project` and batches)."""
    q = personnel_mortality(inputs)
    supply = engine.run_supply(inputs, path, q, plan.alternative, detail=detail)
    base_supply = (inputs.stock * inputs.p_work * inputs.fte).sum(axis=(-2, -1))
    cells = engine.demand_cells(inputs, plan, base_supply)
    notes: list[str] = []
    if adjust is not None:
        cells = adjust.apply(cells)
        notes = [f"{names[d]}: {text}" for d, text in adjust.notes]
    observed, total = engine.group_demand(inputs, cells)
    proj = Projection(
        inputs=inputs,
        scenarios=names,
        supply_result=supply,
        demand_observed=observed,
        demand=total,
        demand_cells=cells,
        meta={"notes": notes},
    )
    proj.check_finite()
    return proj


def project(scenario: Any = None, *, inputs: InputsLike = None, detail: bool = True) -> Projection:
    """Project supply, demand and gap from the base year to the horizon.

    ``scenario``: None (the reference), a :class:`~helsemodlite.Scenario`, a path to a scenario
    TOML file, or a dict with the keys of such a file. ``inputs``: an :class:`Inputs`, an inputs
    directory, or None for the embedded default data set.
    """
    inp = resolve_inputs(inputs)
    if scenario is None:
        return run(
            inp, ReferencePath(inp), reference_demand_plan(inp), ("referanse",), detail=detail
        )
    path, plan, names, adjust = scenario_paths(inp, [scenario])
    return run(inp, path, plan, names, detail=detail, adjust=adjust)


def project_batch(scenarios: Sequence[Any], *, inputs: InputsLike = None) -> Projection:
    """Project many scenarios as one vectorised batch (one draw per scenario).

    Returns one :class:`Projection` whose ``summary()`` has a leading ``scenario`` column and
    equals, row for row, the single runs. Cell detail is not kept (totals only).
    """
    inp = resolve_inputs(inputs)
    path, plan, names, adjust = scenario_paths(inp, scenario_list(scenarios, "project_batch"))
    return run(inp, path, plan, names, detail=False, adjust=adjust)


def scenario_list(scenarios: object, what: str) -> list[Any]:
    """A non-empty list of scenarios from an iterable; a single scenario (a path, a dict or a
    :class:`~helsemodlite.Scenario`) given where a list belongs is an error, not iterated."""
    from .scenario import Scenario

    if isinstance(scenarios, str | bytes | Path | Mapping | Scenario):
        raise ConfigError(
            f"{what}() takes a list of scenarios, got a single {type(scenarios).__name__}; "
            f"write {what}([...])"
        )
    if not isinstance(scenarios, Iterable):
        raise ConfigError(f"{what}() takes a list of scenarios, got {type(scenarios).__name__}")
    items = list(scenarios)
    if not items:
        raise ConfigError(f"{what}(): no scenarios given")
    return items
