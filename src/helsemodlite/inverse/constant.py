"""The inverse question: what lever value meets a gap target (docs/solve.md)?

``solve`` finds, per group, the one constant value of a lever (from a start year on) at which
the group's gap in the target year equals the target, and returns it as a :class:`Scenario`
that reproduces it exactly (``to_toml``). Groups are independent on the supply side except for
the moves by further education (a nurse's graduates may come from the helsefagarbeidere), so
groups the chosen lever links are solved one after the other, destinations first
(:func:`_solve_order`); all others are solved in the same batches: each round
projects a grid of candidate values for all groups at once (``project_batch`` on the draw axis)
and narrows each group's bracket; the gap is monotone in each lever. A target the lever cannot
reach within its declared range is reported with what the range's end gives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import dims
from ..errors import ConfigError
from ..model.inputs import Inputs
from ..model.paths import ReferencePath, reference_demand_plan
from ..model.run import run
from ..numformat import plain
from ..scenarios.compile import scenario_paths
from ..scenarios.declarations import hook
from ..scenarios.files import Scenario


@dataclass(frozen=True)
class Lever:
    hook: str
    key: str
    label: str
    """Norwegian, for messages: what the value changes."""
    unit: str
    """"relative" (a fraction shown in per cent), "years" or "places" (study places a year)."""

    @property
    def bounds(self) -> tuple[float, float]:
        """The key's declared range (the hook declarations, docs/scenarios.md)."""
        return hook(self.hook).key(self.key).bounds

    def group_bounds(self, inputs: Inputs, group: str) -> tuple[float, float]:
        """The range searched for one group: the declared range; for study places, from none
        of the group's graduates to five times as many (within the declared range)."""
        lo, hi = self.bounds
        if self.unit != "places":
            return lo, hi
        grads = (_reference_flows(inputs, "graduates", [group]) or {})[group]
        per_place = max(float(inputs.completion_rate[inputs.groups.index(group)]), 1e-9)
        return max(lo, -grads / per_place), min(hi, 4.0 * grads / per_place)


LEVERS: dict[str, Lever] = {
    "graduates": Lever("utdanningskapasitet", "relative_change", "nyutdannede", "relative"),
    "immigrants": Lever("innvandring", "relative_change", "innvandrere", "relative"),
    "stillingsprosent": Lever(
        "stillingsprosent", "relative_change", "stillingsprosent", "relative"
    ),
    "avgangsalder": Lever("avgangsalder", "years", "avgangsalder", "years"),
    "study_places": Lever("utdanningskapasitet", "study_places", "studieplasser", "places"),
}
"""The levers ``solve`` can move: a hook key each (its range is the declared one)."""

TOLERANCE = 50.0
"""The solved gap meets the target within this many årsverk (in practice far closer)."""
GRID = 21
ROUNDS = 4
"""Rounds of GRID candidates each: the bracket shrinks 20-fold per round (to 1e-5 of the range
after four), then linear interpolation inside it."""


@dataclass(frozen=True)
class Solution:
    """A solved lever: the scenario, the value per group and the gap paths."""

    scenario: Scenario
    lever: str
    values: dict[str, float]
    target_year: int
    target_gap: float
    gaps: pd.DataFrame
    """year × group: the gap of the solved scenario (årsverk)."""
    reference: pd.DataFrame
    """year × group: the gap without it."""

    reference_flow: dict[str, float] | None = None
    """Per group: the lever's reference flow a year (graduates or immigrants, persons), where
    the lever is one; the change in persons is ``value × flow``."""
    completion: dict[str, float] | None = None
    """study_places: per group the share of an intake that graduates."""
    first_graduates: dict[str, int] = field(default_factory=dict)
    """study_places: per group the first year with extra graduates."""

    def describe(self, group: str) -> str:
        """Norwegian: the change, e.g. "nyutdannede +37,9 % (om lag +1 660 personer i året)"."""
        lev = LEVERS[self.lever]
        v = self.values[group]
        if lev.unit == "places":
            extra = v * (self.completion or {}).get(group, 0.0)
            return (
                f"{lev.label} {plain(v, sign=True)} i året (om lag {plain(extra, sign=True)} "
                f"nyutdannede i året fra {self.first_graduates[group]})"
            )
        what = (
            f"{plain(v * 100, 1, sign=True)} %"
            if lev.unit == "relative"
            else f"{plain(v, 2, sign=True)} år"
        )
        flow = (self.reference_flow or {}).get(group)
        if flow:
            what += f" (om lag {plain(v * flow, sign=True)} personer i året)"
        return f"{lev.label} {what}"


def _scenario(
    lever: Lever, values: dict[str, float], start_year: int | None, name: str, title: str
) -> Scenario:
    tables: dict[str, Any] = {}
    for g, v in values.items():
        t: dict[str, Any] = {lever.key: float(v)}
        if start_year is not None:
            t["start_year"] = start_year
        tables[g] = t
    return Scenario.from_dict({"title": title, lever.hook: {"grupper": tables}}, name=name)


def _gaps(inputs: Inputs, scenarios: list[Scenario], year: int) -> np.ndarray:
    """(scenario, group) gap in ``year``, one batch."""
    path, plan, names, adjust = scenario_paths(inputs, scenarios)
    proj = run(inputs, path, plan, names, detail=False, adjust=adjust)
    return np.asarray(proj.gap[:, inputs.years.index(year), :])


def solve(
    inputs: Inputs,
    lever: str,
    groups: list[str],
    target_year: int,
    target_gap: float = 0.0,
    start_year: int | None = None,
) -> Solution:
    """Solve ``lever`` for every group in ``groups`` (see the module docstring)."""
    if lever not in LEVERS:
        raise ConfigError(f"solve: unknown lever {lever!r} (expected {', '.join(LEVERS)})")
    lev = LEVERS[lever]
    unknown = [g for g in groups if g not in inputs.groups]
    if not groups or unknown:
        raise ConfigError(
            f"solve: unknown group(s) {', '.join(map(repr, unknown)) or '(none given)'} "
            f"(expected some of {', '.join(dims.in_publication_order(inputs.groups))})"
        )
    if target_year not in inputs.years[1:]:
        raise ConfigError(
            f"solve: target year {target_year} is not a projection year "
            f"({inputs.years[1]}–{inputs.years[-1]})"
        )
    if start_year is not None and not inputs.years[1] <= start_year <= target_year:
        raise ConfigError(
            f"solve: start year {start_year} must lie between {inputs.years[1]} and the target "
            f"year {target_year}"
        )
    if not np.isfinite(target_gap):
        raise ConfigError(f"solve: target gap must be a finite number, got {target_gap!r}")
    gi = [inputs.groups.index(g) for g in groups]
    lo = np.array([lev.group_bounds(inputs, g)[0] for g in groups])
    hi = np.array([lev.group_bounds(inputs, g)[1] for g in groups])

    def candidates(grid: np.ndarray) -> list[Scenario]:
        # grid: (candidate, group) → one scenario per candidate, all groups at once
        return [
            _scenario(lev, dict(zip(groups, row, strict=True)), start_year, f"c{k}", "c")
            for k, row in enumerate(grid)
        ]

    _refuse(inputs, lev, lever, groups, (lo, hi), target_year, target_gap, start_year, candidates)
    values: dict[str, float] = {}
    for batch in _solve_order(inputs, lever, groups):  # all at once, unless moves link them
        j = [groups.index(g) for g in batch]
        found = _bracket(
            inputs, lev, batch, values, (lo[j], hi[j]), target_year, target_gap, start_year
        )
        values.update(found)
    values = {g: values[g] for g in groups}
    target_txt = plain(target_gap)
    sc = _scenario(
        lev,
        values,
        start_year,
        f"solve_{lever}_{target_year}",
        f"Løst: {lev.label} slik at gapet i {target_year} blir {target_txt} årsverk",
    )
    path, plan, names, adjust = scenario_paths(inputs, [sc])
    proj = run(inputs, path, plan, names, detail=False, adjust=adjust)
    ref = run(inputs, ReferencePath(inputs), reference_demand_plan(inputs), ("r",), detail=False)
    got = proj.gap[0, inputs.years.index(target_year), gi]
    miss = np.abs(got - target_gap)
    if (miss > TOLERANCE).any():  # pragma: no cover - a non-monotone lever
        raise ConfigError(
            f"solve: could not meet the target within ±{TOLERANCE:.0f} årsverk (missed by "
            f"{miss.max():.0f}); the gap is not monotone in {lever} here"
        )
    frame = pd.DataFrame(proj.gap[0][:, gi], index=list(inputs.years), columns=groups)
    before = pd.DataFrame(ref.gap[0][:, gi], index=list(inputs.years), columns=groups)
    flow = _reference_flows(inputs, lever, groups)
    completion, first = _pipeline(inputs, lev, groups, start_year)
    return Solution(
        sc, lever, values, target_year, float(target_gap), frame, before, flow, completion, first
    )


def _solve_order(inputs: Inputs, lever: str | list[str], groups: list[str]) -> list[list[str]]:
    """Batches of groups to solve together: all at once, except where further education links
    two of them and the lever changes graduates (more nurses take more helsefagarbeidere,
    model/transitions.csv): then one group at a time, each destination before its origins, so
    that an origin is solved with its destinations' values already in place."""
    t = inputs.moves
    idx = {g: inputs.groups.index(g) for g in groups}
    levers = [lever] if isinstance(lever, str) else lever
    linked = bool({"graduates", "study_places"} & set(levers)) and any(
        t[idx[o], idx[d]] > 0 for o in groups for d in groups
    )
    if not linked:
        return [list(groups)]
    order: list[str] = []
    left = list(groups)
    while left:  # destinations first; the moves form no cycle (checked on reading)
        # g's gap moves with the graduates of its destinations d (t[g, d] > 0): those first
        ready = [g for g in left if not any(t[idx[g], idx[d]] > 0 for d in left if d != g)]
        pick = ready[0] if ready else left[0]
        order.append(pick)
        left.remove(pick)
    return [[g] for g in order]


def _bracket(
    inputs: Inputs,
    lev: Lever,
    groups: list[str],
    fixed: dict[str, float],
    bounds: tuple[np.ndarray, np.ndarray],
    target_year: int,
    target_gap: float,
    start_year: int | None,
) -> dict[str, float]:
    """The values of ``groups`` (each its own bracket, narrowed on a grid in batches, then
    interpolated) with the groups of ``fixed`` held at their values."""
    gi = [inputs.groups.index(g) for g in groups]
    lo, hi = (np.array(b, dtype=float) for b in bounds)

    def candidates(grid: np.ndarray) -> list[Scenario]:
        return [
            _scenario(lev, {**fixed, **dict(zip(groups, row, strict=True))}, start_year, "c", "c")
            for row in grid
        ]

    for _ in range(ROUNDS):
        grid = lo[None, :] + (hi - lo)[None, :] * np.linspace(0.0, 1.0, GRID)[:, None]
        gaps = _gaps(inputs, candidates(grid), target_year)[:, gi]  # (candidate, group)
        for j in range(len(groups)):
            above = np.flatnonzero(gaps[:, j] >= target_gap)
            k = int(above[0]) if above.size else GRID - 1
            k = max(k, 1)
            lo[j], hi[j] = grid[k - 1, j], grid[k, j]
    # linear interpolation inside the last bracket
    g_lo = _gaps(inputs, candidates(np.stack([lo, hi])), target_year)[:, gi]
    span = np.where(g_lo[1] - g_lo[0] != 0, g_lo[1] - g_lo[0], 1.0)
    value = np.round(lo + (hi - lo) * np.clip((target_gap - g_lo[0]) / span, 0.0, 1.0), 6)
    return dict(zip(groups, (float(v) for v in value), strict=True))


def _refuse(
    inputs: Inputs,
    lev: Lever,
    lever: str,
    groups: list[str],
    ends_of: tuple[np.ndarray, np.ndarray],
    target_year: int,
    target_gap: float,
    start_year: int | None,
    candidates: Any,
) -> None:
    """Every group whose target the lever's range cannot reach, or meets at its lowest end
    (one message each), and study places whose graduates come after the target year."""
    late = [g for g in groups if _late(inputs, lev, g, start_year, target_year)]
    if late:
        raise ConfigError(
            [
                f"solve: {dims.group_label(g)}: study places from {start_year or inputs.years[1]}"
                f" give graduates from {_pipeline(inputs, lev, [g], start_year)[1][g]}, after "
                f"the target year {target_year}; choose a later target year"
                for g in late
            ]
        )
    lo, hi = ends_of
    gi = [inputs.groups.index(g) for g in groups]
    ends = _gaps(inputs, candidates(np.stack([lo, hi])), target_year)[:, gi]
    problems = []
    for k, g in enumerate(groups):
        if ends[1, k] < target_gap - 1e-9:
            end = float(hi[k])
            shown = {"relative": f"{end * 100:+.0f} %", "years": f"{end:+.0f} years"}.get(
                lev.unit, f"{plain(end, sign=True)} study places a year (five times the graduates)"
            )
            problems.append(
                f"solve: not reachable with {lever}: even {shown} (the largest value allowed) "
                f"from {start_year or inputs.years[1]} leaves {dims.group_label(g)} with a gap "
                f"of {plain(ends[1, k])} årsverk in {target_year}, short of the target "
                f"{plain(target_gap)}" + _first_graduates_hint(inputs, lev, g, start_year)
            )
        elif ends[0, k] > target_gap + 1e-9:
            problems.append(
                f"solve: {dims.group_label(g)} meets the target {plain(target_gap)} in "
                f"{target_year} even at the lowest value of {lever} allowed; nothing to solve"
            )
    if problems:
        raise ConfigError(problems)


def _late(inputs: Inputs, lev: Lever, group: str, start: int | None, target: int) -> bool:
    """Study places whose first graduates come after the target year."""
    return lev.unit == "places" and _pipeline(inputs, lev, [group], start)[1][group] > target


def _first_graduates_hint(inputs: Inputs, lev: Lever, group: str, start: int | None) -> str:
    if lev.unit != "places":
        return ""
    first = _pipeline(inputs, lev, [group], start)[1][group]
    return f" (study places from {start or inputs.years[1]} give graduates from {first})"


def _pipeline(
    inputs: Inputs, lev: Lever, groups: list[str], start_year: int | None
) -> tuple[dict[str, float] | None, dict[str, int]]:
    """study_places: per group the completion rate and the first year with extra graduates."""
    if lev.unit != "places":
        return None, {}
    start = start_year if start_year is not None else inputs.years[1]
    idx = {g: inputs.groups.index(g) for g in groups}
    completion = {g: float(inputs.completion_rate[i]) for g, i in idx.items()}
    first = {g: start + int(np.ceil(inputs.programme_years[i])) for g, i in idx.items()}
    return completion, first


def _reference_flows(inputs: Inputs, lever: str, groups: list[str]) -> dict[str, float] | None:
    """Graduates or immigrants a year per group (calibrated reference), for inflow levers."""
    cal = inputs.calibration
    flows = {
        "graduates": inputs.graduates * cal.graduates_factor[:, None, None],
        "immigrants": inputs.immigrants * cal.immigrants_factor[:, None, None],
    }
    if lever not in flows:
        return None
    per_group = flows[lever].sum(axis=(1, 2))
    return {g: float(per_group[inputs.groups.index(g)]) for g in groups}
