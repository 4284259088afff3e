"""Compiling scenarios to parameter paths: each hook's semantics, vectorised over draws.

:func:`scenario_paths` turns a batch of scenarios into the :class:`~helsemodlite.model.paths.
ScenarioPath`, :class:`~helsemodlite.model.engine.DemandPlan` and
:class:`~helsemodlite.model.paths.DemandAdjustments` the kernels read. The semantics of each hook
are documented in docs/scenarios.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..model.engine import DemandPlan
from ..model.inputs import Inputs
from ..model.paths import (
    OUTSIDE,
    OUTSIDE_TIME_THIEVES_COLUMN,
    DemandAdjustments,
    ScenarioPath,
    _age_shift,
    _group_mask,
    _years,
    reference_demand_plan,
)


def as_scenario(obj: Any) -> Any:
    from .files import Scenario, load_scenario

    if isinstance(obj, Scenario):
        return obj.validated()
    if isinstance(obj, str | Path):
        return load_scenario(obj)
    if isinstance(obj, dict):
        return Scenario.from_dict(obj)
    raise ConfigError(
        f"a scenario must be a Scenario, a path, a shipped name or a dict, not {type(obj).__name__}"
    )


def scenario_list(scenarios: object, what: str) -> list[Any]:
    """A non-empty list of scenarios from an iterable; a single scenario (a path, a dict or a
    :class:`~helsemodlite.Scenario`) given where a list belongs is an error, not iterated."""
    from .files import Scenario

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


def distinct_names(names: Sequence[str]) -> tuple[str, ...]:
    """Names made distinct within a batch: the first of a repeated name keeps it, later ones get
    the first free ``_2``, ``_3``, … that no scenario of the batch is called (so a label never
    moves to another scenario), shortened to stay a valid name."""
    from .check import MAX_NAME_BYTES

    taken = set(names)
    seen: set[str] = set()
    out: list[str] = []
    for name in names:
        candidate, k = name, 1
        while candidate in seen or (candidate != name and candidate in taken):
            k += 1
            suffix = f"_{k}"
            base = name
            while len((base + suffix).encode("utf-8")) > MAX_NAME_BYTES:
                base = base[:-1]
            candidate = base + suffix
        seen.add(candidate)
        out.append(candidate)
    return tuple(out)


@dataclass
class _Batch:
    """What the compile functions of one batch share: the inputs, the paths being filled (one
    row per draw), memoised phase weights and group masks, and the problems found."""

    inputs: Inputs
    n_draws: int
    path: ScenarioPath
    plan: DemandPlan
    adjust: DemandAdjustments
    problems: list[str] = field(default_factory=list)
    _phases: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)
    _masks: dict[tuple[str, ...], np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        inp = self.inputs
        self.years = _years(inp)
        self.ages = np.asarray(inp.ages)
        self.categories = list(inp.groups) + list(inp.outside)
        self.pop_total = inp.population.sum(axis=(2, 3))  # (alternative, year)
        self.exit_years = np.zeros(self.n_draws)  # avgangsalder: shifted profiles built once
        self.exit_from = np.full(self.n_draws, float(self.ages[-1] + 1))

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.n_draws, len(self.inputs.years), len(self.inputs.groups)

    def weight(self, hook: Any) -> np.ndarray:
        key = (hook.start_year, hook.full_effect_year)
        if key not in self._phases:
            self._phases[key] = hook.phase(self.years)
        return self._phases[key].copy()

    def group_mask(self, groups: Sequence[str]) -> np.ndarray:
        key = tuple(groups)
        if key not in self._masks:
            self._masks[key] = _group_mask(self.inputs, groups)
        return self._masks[key]

    def affected(self, groups: Sequence[str]) -> np.ndarray:
        """(category,) bool: the chosen groups, plus the outside categories when the hook
        applies to all groups (a hook limited to some groups leaves the outside staff alone)."""
        everyone = set(groups) >= set(self.inputs.groups)
        outside = self.inputs.outside
        return np.array([c in groups or (everyone and c in outside) for c in self.categories])

    def demand_factor(self) -> np.ndarray:
        """(draw, year, service, category) multiplicative demand factor, created on first use."""
        if self.adjust.factor is None:
            n_d, n_y, _ = self.shape
            shape = (n_d, n_y, len(self.inputs.services), len(self.categories))
            self.adjust.factor = np.ones(shape)
        return self.adjust.factor

    def service_index(
        self, sc: Any, table: str, ids: Sequence[str] | None, key: str = "services"
    ) -> np.ndarray:
        services = self.inputs.services
        if ids is None:
            return np.arange(len(services))
        for s in [s for s in ids if s not in services]:
            self.problems.append(
                f"{_label(sc)}: {table} {key}: unknown service '{s}' (known: {', '.join(services)})"
            )
        return np.array([services.index(s) for s in ids if s in services], dtype=np.int64)


def _label(sc: Any) -> str:
    return str(sc.source) if sc.source is not None else sc.name


# -- one compile function per hook: (batch, draw, hook, scenario) --------------------------------


def _population(b: _Batch, d: int, h: Any, sc: Any) -> None:
    if h.alternative in b.inputs.alternatives:
        b.plan.alternative[d] = b.inputs.alternatives.index(h.alternative)
    else:
        b.problems.append(
            f"{_label(sc)}: [befolkning] alternative: '{h.alternative}' not in the inputs"
        )


def _healthy_ageing(b: _Batch, d: int, h: Any, sc: Any) -> None:
    b.plan.healthy_ageing[d] = h.strength if h.enabled else 0.0


def _standard_growth(b: _Batch, d: int, h: Any, sc: Any) -> None:
    r_ref = b.inputs.parameters["standard_growth"]
    r = r_ref + b.weight(h) * (h.annual_rate - r_ref)
    r[0] = 0.0
    index = np.cumprod(1.0 + r)
    if set(h.groups) >= set(b.inputs.groups):  # all staff of every service
        b.plan.growth_index[d] = index
    else:  # only the chosen groups' demand grows at the new rate
        cols = np.flatnonzero(b.affected(h.groups))
        ratio = index / b.plan.growth_index[d]
        b.demand_factor()[d][:, :, cols] *= ratio[:, None, None]


def _exit_age(b: _Batch, d: int, h: Any, sc: Any) -> None:
    path = b.path
    if path.w_exit is None:
        path.w_exit = np.zeros(b.shape)
    path.w_exit[d] = b.weight(h)[:, None] * b.group_mask(h.groups)[None, :]
    b.exit_years[d], b.exit_from[d] = h.years, h.from_age


def _position_share(b: _Batch, d: int, h: Any, sc: Any) -> None:
    path, ages = b.path, b.ages
    n_d, n_y, n_g = b.shape
    if path.w_pos is None:
        path.w_pos = np.zeros((n_d, n_y))
        path.pos_rel, path.pos_abs = np.zeros(n_d), np.zeros(n_d)
        path.pos_cap = np.ones(n_d)
        path.pos_mask = np.zeros((n_d, n_g, 1, len(ages)), dtype=bool)
    assert path.pos_rel is not None and path.pos_abs is not None
    assert path.pos_cap is not None and path.pos_mask is not None
    path.w_pos[d] = b.weight(h)
    path.pos_rel[d] = h.relative_change or 0.0
    path.pos_abs[d] = h.absolute_change or 0.0
    path.pos_cap[d] = h.cap
    lo, hi = h.ages if h.ages is not None else (ages[0], ages[-1])
    in_ages = (ages >= lo) & (ages <= hi)
    path.pos_mask[d] = b.group_mask(h.groups)[:, None, None] & in_ages[None, None, :]


def _senior_participation(b: _Batch, d: int, h: Any, sc: Any) -> None:
    path, ages = b.path, b.ages
    n_d, n_y, n_g = b.shape
    if path.w_sen is None:
        path.w_sen = np.zeros((n_d, n_y))
        path.sen_rel, path.sen_abs = np.zeros(n_d), np.zeros(n_d)
        path.sen_mask = np.zeros((n_d, n_g, 1, len(ages)), dtype=bool)
    assert path.sen_rel is not None and path.sen_abs is not None
    assert path.sen_mask is not None
    path.w_sen[d] = b.weight(h)
    path.sen_rel[d] = h.relative_change or 0.0
    path.sen_abs[d] = h.absolute_change or 0.0
    path.sen_mask[d] = b.group_mask(h.groups)[:, None, None] & (ages >= h.min_age)[None, None, :]


def _sick_leave(b: _Batch, d: int, h: Any, sc: Any) -> None:
    if b.path.sick_rel is None:
        b.path.sick_rel = np.zeros(b.shape)
    b.path.sick_rel[d] = h.relative_change * b.weight(h)[:, None] * b.group_mask(h.groups)[None]


def _education_capacity(b: _Batch, d: int, h: Any, sc: Any) -> None:
    inp, path = b.inputs, b.path
    if path.grad_factor is None:
        path.grad_factor = np.ones(b.shape)
    grads = inp.graduates.sum(axis=(1, 2)) * inp.calibration.inflow_factor
    pop = b.pop_total[b.plan.alternative[d]]
    for gi, g in enumerate(inp.groups):
        rule = h.rule_for(g)
        if rule is None:
            continue
        w = b.weight(rule)
        if getattr(rule, "fixed_graduates", None) is not None:
            if not grads[gi] >= MIN_GRADUATES:  # nothing to scale: no sex and age profile
                b.adjust.notes.append(
                    (
                        d,
                        f"utdanningskapasitet: {g} has no graduates in the inputs, so "
                        f"fixed_graduates = {rule.fixed_graduates:g} cannot be spread over sex "
                        "and age; graduates left unchanged",
                    )
                )
                continue
            target = rule.fixed_graduates / grads[gi]
            path.grad_factor[d, :, gi] = 1.0 + w * (target - 1.0)
        elif getattr(rule, "follow_population", False):
            first = inp.years.index(min(max(rule.start_year, inp.years[1]), inp.years[-1]))
            ratio = pop / pop[first - 1]
            path.grad_factor[d, :, gi] = 1.0 + w * (ratio - 1.0)
        else:
            path.grad_factor[d, :, gi] = 1.0 + w * (rule.relative_change or 0.0)


MIN_GRADUATES = 1e-6
"""Reference graduates a year below which a group has no profile to scale (persons)."""


def _immigration(b: _Batch, d: int, h: Any, sc: Any) -> None:
    if b.path.imm_factor is None:
        b.path.imm_factor = np.ones(b.shape)
    b.path.imm_factor[d] = (
        1.0 + h.relative_change * b.weight(h)[:, None] * b.group_mask(h.groups)[None, :]
    )


def _productivity(b: _Batch, d: int, h: Any, sc: Any) -> None:
    k = b.service_index(sc, "[produktivitet]", h.services)
    w = b.weight(h)
    w[0] = 0.0
    cum = np.cumprod(1.0 - h.annual_rate * w)  # (year,)
    cols = np.flatnonzero(b.affected(h.groups))
    b.demand_factor()[d][:, k[:, None], cols[None, :]] *= cum[:, None, None]


def _time_thieves(b: _Batch, d: int, h: Any, sc: Any) -> None:
    from .measures import TIME_THIEVES_COLUMN, TIME_THIEVES_SHARE

    def share(c: str) -> float:
        if c in TIME_THIEVES_COLUMN:
            return float(h.share(c))
        if c in OUTSIDE_TIME_THIEVES_COLUMN:
            column = OUTSIDE_TIME_THIEVES_COLUMN[c]
            return float(TIME_THIEVES_SHARE[column][h.level] * h.realised_share)
        return 0.0

    k = b.service_index(sc, "[tidstyver]", h.services)
    shares = np.array([share(c) for c in b.categories]) * b.affected(h.groups)
    red = 1.0 - b.weight(h)[:, None] * shares[None, :]  # (year, category)
    b.demand_factor()[d][:, k, :] *= red[:, None, :]


def _task_shifts(b: _Batch, d: int, shifts: Any, sc: Any) -> None:
    inp, cats = b.inputs, b.categories
    for ts in shifts:
        if ts.from_group not in inp.groups:
            b.problems.append(
                f"{_label(sc)}: [[oppgavedeling]] from: '{ts.from_group}' is "
                "not a group of the inputs"
            )
            continue
        if ts.to != OUTSIDE and ts.to not in cats:
            b.problems.append(
                f"{_label(sc)}: [[oppgavedeling]] to: '{ts.to}' is not a group "
                "or category of the inputs"
            )
            continue
        full_year = min(ts.full_effect_year, inp.years[-1])
        b.adjust.shifts[d].append(
            {
                "from": cats.index(ts.from_group),
                "to": None if ts.to == OUTSIDE else cats.index(ts.to),
                "services": b.service_index(
                    sc,
                    "[[oppgavedeling]]",
                    None if ts.service is None else [ts.service],
                    key="service",
                ),
                "weight": b.weight(ts),
                "share": ts.share,
                "arsverk": ts.arsverk,
                "full_index": inp.years.index(full_year),
                "full_year": full_year,
                "from_id": ts.from_group,
                "conversion": ts.conversion,
            }
        )


COMPILERS: dict[str, Any] = {
    # Scenario attribute → compile function, in the order they are applied (befolkning first:
    # utdanning følger befolkningen reads the chosen alternative).
    "population": _population,
    "healthy_ageing": _healthy_ageing,
    "standard_growth": _standard_growth,
    "exit_age": _exit_age,
    "position_share": _position_share,
    "senior_participation": _senior_participation,
    "sick_leave": _sick_leave,
    "education_capacity": _education_capacity,
    "immigration": _immigration,
    "productivity": _productivity,
    "time_thieves": _time_thieves,
    "task_shifts": _task_shifts,
}
_ALWAYS = frozenset({"population", "healthy_ageing", "standard_growth", "task_shifts"})
"""Hooks compiled even when neutral (their neutral form still sets the plan's value)."""


def scenario_paths(
    inputs: Inputs, scenarios: Sequence[Any]
) -> tuple[ScenarioPath, DemandPlan, tuple[str, ...], DemandAdjustments]:
    """Build the batch paths for scenarios (Scenario objects, paths or dicts), one draw each."""
    scs = [as_scenario(s) for s in scenarios]
    n_d = len(scs)
    b = _Batch(
        inputs,
        n_d,
        ScenarioPath(inputs, n_d),
        reference_demand_plan(inputs, n_d),
        DemandAdjustments(shifts=[[] for _ in range(n_d)]),
    )
    for d, sc in enumerate(scs):
        for attr, compile_hook in COMPILERS.items():
            hook = getattr(sc, attr)
            if hook is None or (attr not in _ALWAYS and hook.is_neutral):
                continue
            compile_hook(b, d, hook, sc)
    if b.path.w_exit is not None:
        b.path.exit_shift_p = _age_shift(inputs.p_work, b.exit_years, b.exit_from, b.ages)
        b.path.exit_shift_e = _age_shift(inputs.fte, b.exit_years, b.exit_from, b.ages)
    if b.problems:
        raise ConfigError(b.problems)
    return b.path, b.plan, distinct_names([sc.name for sc in scs]), b.adjust
