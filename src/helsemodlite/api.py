"""The public entry points: load the inputs once, build the paths, run the kernels."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import engine
from .errors import ConfigError, InputError
from .hooks import ReferencePath, reference_demand_plan, scenario_paths
from .inputs import Inputs, default_inputs_dir, load_inputs
from .projection import Projection
from .schema import SCHEMAS

InputsLike = Inputs | str | Path | None


CACHE_SIZE = 8
"""Inputs directories kept loaded per process."""


@dataclass
class _Cached:
    stamp: tuple[object, ...]
    inputs: Inputs


_CACHE: OrderedDict[str, _Cached] = OrderedDict()


def _input_files(directory: Path) -> list[Path]:
    return [directory / s.folder / s.name for s in SCHEMAS]


def _file_stamp(directory: Path) -> tuple[object, ...]:
    """Identity of every file the loader reads: inode, size, mtime_ns and ctime_ns (ctime changes
    on every write, even one that restores the mtime, as ``cp -p``, ``rsync -a``, ``tar x`` do)."""
    out: list[object] = []
    for path in _input_files(directory):
        try:
            st = path.stat()
        except OSError:
            out.append(None)
            continue
        out.append((st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns))
    return tuple(out)


def _content_hashes(directory: Path) -> dict[str, str] | None:
    hashes = {}
    for path in _input_files(directory):
        try:
            hashes[path.relative_to(directory).as_posix()] = hashlib.sha256(
                path.read_bytes()
            ).hexdigest()
        except OSError:
            return None
    return hashes


def resolve_inputs(inputs: InputsLike = None) -> Inputs:
    """An :class:`Inputs` from an object, a directory, or the default data set.

    Loaded directories are cached per process. A cached entry is served while no input file's
    inode, size, mtime or ctime changed; when one did, the files are hashed and the entry is
    reused only if their content is unchanged, else the directory is reloaded. (Hashing on every
    call would cost as much as a projection.) Cached inputs are read-only.
    """
    if isinstance(inputs, Inputs):
        return inputs
    directory = Path(inputs) if inputs is not None else default_inputs_dir()
    try:
        key = str(directory.resolve())
    except (OSError, RuntimeError) as exc:
        raise InputError(f"{directory}: cannot use this inputs path ({exc})") from exc
    stamp = _file_stamp(directory)
    hit = _CACHE.get(key)
    if hit is not None and hit.stamp != stamp:
        hashes = _content_hashes(directory)
        hit = hit if hashes is not None and hashes == hit.inputs.file_hashes else None
        if hit is not None:
            hit.stamp = stamp
    if hit is None:
        hit = _Cached(stamp, load_inputs(directory))
        _CACHE[key] = hit
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    _CACHE.move_to_end(key)
    return hit.inputs


def clear_cache() -> None:
    """Forget every loaded inputs directory."""
    _CACHE.clear()


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
    # Implausible inputs that pass the checks can still give NaN or inf: the result check below
    # refuses them with a clear message, so numpy's warnings would only be noise.
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
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
