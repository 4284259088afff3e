"""Compiling scenarios to parameter paths: each hook's semantics, vectorised over draws.

:func:`scenario_paths` turns a batch of scenarios into the :class:`~helsemodlite.model.paths.
ScenarioPath`, :class:`~helsemodlite.model.engine.DemandPlan` and
:class:`~helsemodlite.model.paths.DemandAdjustments` the kernels read. The semantics of each hook
are documented in docs/scenarios.md.
"""

from __future__ import annotations

from collections.abc import Sequence
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
        return obj
    if isinstance(obj, str | Path):
        return load_scenario(obj)
    if isinstance(obj, dict):
        return Scenario.from_dict(obj)
    raise ConfigError(
        f"a scenario must be a Scenario, a path, a shipped name or a dict, not {type(obj).__name__}"
    )


def distinct_names(names: Sequence[str]) -> tuple[str, ...]:
    """Names made distinct within a batch: a repeated name gets ``_2``, ``_3``, … (in order)."""
    seen: set[str] = set()
    out: list[str] = []
    for name in names:
        candidate, k = name, 1
        while candidate in seen:
            k += 1
            candidate = f"{name}_{k}"
        seen.add(candidate)
        out.append(candidate)
    return tuple(out)


def scenario_paths(
    inputs: Inputs, scenarios: Sequence[Any]
) -> tuple[ScenarioPath, DemandPlan, tuple[str, ...], DemandAdjustments]:
    """Build the batch paths for scenarios (Scenario objects, paths or dicts), one draw each."""
    from .measures import TIME_THIEVES_COLUMN, TIME_THIEVES_SHARE

    scs = [as_scenario(s) for s in scenarios]
    n_d, n_y, n_g = len(scs), len(inputs.years), len(inputs.groups)
    years = _years(inputs)
    ages = np.asarray(inputs.ages)
    path = ScenarioPath(inputs, n_d)
    plan = reference_demand_plan(inputs, n_d)
    adjust = DemandAdjustments(shifts=[[] for _ in range(n_d)])
    problems: list[str] = []
    categories = list(inputs.groups) + list(inputs.outside)

    phase_cache: dict[tuple[int, int], np.ndarray] = {}
    mask_cache: dict[tuple[str, ...], np.ndarray] = {}

    def weight(hook: Any) -> np.ndarray:
        key = (hook.start_year, hook.full_effect_year)
        if key not in phase_cache:
            phase_cache[key] = hook.phase(years)
        return phase_cache[key].copy()

    def group_mask(groups: Sequence[str]) -> np.ndarray:
        key = tuple(groups)
        if key not in mask_cache:
            mask_cache[key] = _group_mask(inputs, groups)
        return mask_cache[key]

    def affected(groups: Sequence[str]) -> np.ndarray:
        """(category,) bool: the chosen groups, plus the outside categories when the hook
        applies to all groups (a hook limited to some groups leaves the outside staff alone)."""
        everyone = set(groups) >= set(inputs.groups)
        return np.array([c in groups or (everyone and c in inputs.outside) for c in categories])

    def label(sc: Any) -> str:
        return str(sc.source) if sc.source is not None else sc.name

    def service_index(sc: Any, table: str, ids: Sequence[str] | None) -> np.ndarray:
        if ids is None:
            return np.arange(len(inputs.services))
        bad = [s for s in ids if s not in inputs.services]
        for s in bad:
            problems.append(
                f"{label(sc)}: [{table}] services: unknown service '{s}' (known: "
                f"{', '.join(inputs.services)})"
            )
        return np.array(
            [inputs.services.index(s) for s in ids if s in inputs.services], dtype=np.int64
        )

    pop_total = inputs.population.sum(axis=(2, 3))  # (alternative, year)
    exit_years = np.zeros(n_d)  # avgangsalder, shifted profiles built once for all draws below
    exit_from = np.full(n_d, float(ages[-1] + 1))
    for d, sc in enumerate(scs):
        if sc.population is not None:
            if sc.population.alternative in inputs.alternatives:
                plan.alternative[d] = inputs.alternatives.index(sc.population.alternative)
            else:
                problems.append(
                    f"{label(sc)}: [befolkning] alternative: "
                    f"'{sc.population.alternative}' not in the inputs"
                )
        if sc.healthy_ageing is not None:
            plan.healthy_ageing[d] = (
                sc.healthy_ageing.strength if sc.healthy_ageing.enabled else 0.0
            )
        if sc.standard_growth is not None:
            h = sc.standard_growth
            r_ref = inputs.parameters["standard_growth"]
            r = r_ref + weight(h) * (h.annual_rate - r_ref)
            r[0] = 0.0
            index = np.cumprod(1.0 + r)
            if set(h.groups) >= set(inputs.groups):  # all staff of every service
                plan.growth_index[d] = index
            else:  # only the chosen groups' demand grows at the new rate
                if adjust.factor is None:
                    adjust.factor = np.ones((n_d, n_y, len(inputs.services), len(categories)))
                cols = np.flatnonzero(affected(h.groups))
                ratio = index / plan.growth_index[d]
                adjust.factor[d][:, :, cols] *= ratio[:, None, None]

        # -- supply hooks -------------------------------------------------------------------
        if sc.exit_age is not None and not sc.exit_age.is_neutral:
            h = sc.exit_age
            if path.w_exit is None:
                path.w_exit = np.zeros((n_d, n_y, n_g))
            path.w_exit[d] = weight(h)[:, None] * group_mask(h.groups)[None, :]
            exit_years[d], exit_from[d] = h.years, h.from_age
        if sc.position_share is not None and not sc.position_share.is_neutral:
            h = sc.position_share
            if path.w_pos is None:
                path.w_pos = np.zeros((n_d, n_y))
                path.pos_rel, path.pos_abs = np.zeros(n_d), np.zeros(n_d)
                path.pos_cap = np.ones(n_d)
                path.pos_mask = np.zeros((n_d, n_g, 1, len(ages)), dtype=bool)
            assert path.pos_rel is not None and path.pos_abs is not None
            assert path.pos_cap is not None and path.pos_mask is not None
            path.w_pos[d] = weight(h)
            path.pos_rel[d] = h.relative_change or 0.0
            path.pos_abs[d] = h.absolute_change or 0.0
            path.pos_cap[d] = h.cap
            lo, hi = h.ages if h.ages is not None else (ages[0], ages[-1])
            path.pos_mask[d] = (
                group_mask(h.groups)[:, None, None] & ((ages >= lo) & (ages <= hi))[None, None, :]
            )
        if sc.senior_participation is not None and not sc.senior_participation.is_neutral:
            h = sc.senior_participation
            if path.w_sen is None:
                path.w_sen = np.zeros((n_d, n_y))
                path.sen_rel, path.sen_abs = np.zeros(n_d), np.zeros(n_d)
                path.sen_mask = np.zeros((n_d, n_g, 1, len(ages)), dtype=bool)
            assert path.sen_rel is not None and path.sen_abs is not None
            assert path.sen_mask is not None
            path.w_sen[d] = weight(h)
            path.sen_rel[d] = h.relative_change or 0.0
            path.sen_abs[d] = h.absolute_change or 0.0
            path.sen_mask[d] = (
                group_mask(h.groups)[:, None, None] & (ages >= h.min_age)[None, None, :]
            )
        if sc.sick_leave is not None and not sc.sick_leave.is_neutral:
            h = sc.sick_leave
            if path.sick_rel is None:
                path.sick_rel = np.zeros((n_d, n_y, n_g))
            path.sick_rel[d] = (
                h.relative_change * weight(h)[:, None] * group_mask(h.groups)[None, :]
            )
        if sc.education_capacity is not None and not sc.education_capacity.is_neutral:
            h = sc.education_capacity
            if path.grad_factor is None:
                path.grad_factor = np.ones((n_d, n_y, n_g))
            grads = inputs.graduates.sum(axis=(1, 2)) * inputs.calibration.inflow_factor
            pop = pop_total[plan.alternative[d]]
            for gi, g in enumerate(inputs.groups):
                rule = h.rule_for(g)
                if rule is None:
                    continue
                w = weight(rule)
                if getattr(rule, "fixed_graduates", None) is not None:
                    target = rule.fixed_graduates / grads[gi] if grads[gi] > 0 else 1.0
                    path.grad_factor[d, :, gi] = 1.0 + w * (target - 1.0)
                elif getattr(rule, "follow_population", False):
                    first = inputs.years.index(
                        min(max(rule.start_year, inputs.years[1]), inputs.years[-1])
                    )
                    ratio = pop / pop[first - 1]
                    path.grad_factor[d, :, gi] = 1.0 + w * (ratio - 1.0)
                else:
                    path.grad_factor[d, :, gi] = 1.0 + w * (rule.relative_change or 0.0)
        if sc.immigration is not None and not sc.immigration.is_neutral:
            h = sc.immigration
            if path.imm_factor is None:
                path.imm_factor = np.ones((n_d, n_y, n_g))
            path.imm_factor[d] = (
                1.0 + h.relative_change * weight(h)[:, None] * group_mask(h.groups)[None, :]
            )

        # -- demand hooks -------------------------------------------------------------------
        if sc.productivity is not None and not sc.productivity.is_neutral:
            h = sc.productivity
            k = service_index(sc, "produktivitet", h.services)
            w = weight(h)
            w[0] = 0.0
            cum = np.cumprod(1.0 - h.annual_rate * w)  # (year,)
            if adjust.factor is None:
                adjust.factor = np.ones((n_d, n_y, len(inputs.services), len(categories)))
            cols = np.flatnonzero(affected(h.groups))
            adjust.factor[d][:, k[:, None], cols[None, :]] *= cum[:, None, None]
        if sc.time_thieves is not None and not sc.time_thieves.is_neutral:
            h = sc.time_thieves
            k = service_index(sc, "tidstyver", h.services)
            w = weight(h)
            shares = np.array(
                [
                    h.share(c)
                    if c in TIME_THIEVES_COLUMN
                    else TIME_THIEVES_SHARE[OUTSIDE_TIME_THIEVES_COLUMN[c]][h.level]
                    * h.realised_share
                    if c in OUTSIDE_TIME_THIEVES_COLUMN
                    else 0.0
                    for c in categories
                ]
            ) * affected(h.groups)
            if adjust.factor is None:
                adjust.factor = np.ones((n_d, n_y, len(inputs.services), len(categories)))
            red = 1.0 - w[:, None] * shares[None, :]  # (year, category)
            adjust.factor[d][:, k, :] *= red[:, None, :]
        for ts in sc.task_shifts or ():
            if ts.from_group not in inputs.groups:
                problems.append(
                    f"{label(sc)}: [[oppgavedeling]] from: '{ts.from_group}' is "
                    "not a group of the inputs"
                )
                continue
            if ts.to != OUTSIDE and ts.to not in categories:
                problems.append(
                    f"{label(sc)}: [[oppgavedeling]] to: '{ts.to}' is not a group "
                    "or category of the inputs"
                )
                continue
            k = service_index(sc, "oppgavedeling", None if ts.service is None else [ts.service])
            w = weight(ts)
            adjust.shifts[d].append(
                {
                    "from": categories.index(ts.from_group),
                    "to": None if ts.to == OUTSIDE else categories.index(ts.to),
                    "services": k,
                    "weight": w,
                    "share": ts.share,
                    "arsverk": ts.arsverk,
                    "full_index": inputs.years.index(min(ts.full_effect_year, inputs.years[-1])),
                    "full_year": min(ts.full_effect_year, inputs.years[-1]),
                    "from_id": ts.from_group,
                    "conversion": ts.conversion,
                }
            )
    if path.w_exit is not None:
        path.exit_shift_p = _age_shift(inputs.p_work, exit_years, exit_from, ages)
        path.exit_shift_e = _age_shift(inputs.fte, exit_years, exit_from, ages)
    if problems:
        raise ConfigError(problems)
    names = distinct_names([sc.name for sc in scs])
    return path, plan, names, adjust
