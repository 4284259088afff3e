"""Supply and demand paths for a batch of draws: the reference, and scenarios applied to it.

A path turns the inputs and each draw's hook settings into the parameters in force in each year,
with a leading draw axis; the kernels in :mod:`helsemodlite.engine` only read them. Every hook is
vectorised over draws, so a batch of 1 000 scenarios costs little more than one. The semantics of
each hook are documented in docs/scenarios.md; in short, for a phase weight w(t) in [0, 1]:

- stillingsprosent: E → E + w·(min(E·(1+r), max(E, cap)) − E) in the chosen groups and ages;
- avgangsalder: P and E at ages ≥ from_age taken from age a − years (exit postponed);
- sykefravær: ab → ab·(1 + r·w); supply × (1 − ab_t)/(1 − ab_0);
- seniordeltakelse: P → P + w·(min(P·(1+r) or P+Δ, 1) − P) at ages ≥ min_age;
- utdanningskapasitet / innvandring: graduates / immigrants × a factor per year and group;
- standardvekst, produktivitet, friskere aldring, befolkning, tidstyver and oppgavedeling act on
  demand (:class:`DemandAdjustments`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .engine import DemandPlan, Drivers
from .errors import ConfigError
from .inputs import Inputs

OUTSIDE = "utenfor"

# Time-thieves column for the three outside categories (the groups' columns are in
# scenario.TIME_THIEVES_COLUMN). A documented design choice (docs/scenarios.md).
OUTSIDE_TIME_THIEVES_COLUMN = {
    "annen_helseutdanning": "andre_kortere",
    "administrasjon_service": "adm_hoyere",
    "uten_relevant_helseutdanning": "adm_kortere",
}


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

    def stock_groups(self) -> np.ndarray:
        return np.zeros(self.n_draws, dtype=np.int64)


def reference_demand_plan(inputs: Inputs, n_draws: int = 1) -> DemandPlan:
    rate = np.full(len(inputs.years), inputs.parameters["standard_growth"])
    rate[0] = 0.0
    growth = np.cumprod(1.0 + rate)  # (1 + r)^t, computed as the scenario hook computes it
    t = np.arange(len(inputs.years))
    return DemandPlan(
        alternative=np.full(n_draws, inputs.alternative_index),
        healthy_ageing=np.ones(n_draws),
        growth_index=np.broadcast_to(growth, (n_draws, len(t))).copy(),
    )


# ------------------------------------------------------------------------------------------------
# Scenario batches


def _years(inputs: Inputs) -> np.ndarray:
    return np.asarray(inputs.years, dtype=float)


def _group_mask(inputs: Inputs, groups: Sequence[str]) -> np.ndarray:
    return np.array([g in groups for g in inputs.groups])


def _blend(base: np.ndarray, full: np.ndarray, w: np.ndarray) -> np.ndarray:
    """base + w·(full − base), with one temporary (phase-in between base and full effect)."""
    out = np.subtract(full, base)
    out *= w
    out += base
    return out


def _age_shift(
    values: np.ndarray, shift: np.ndarray, from_age: np.ndarray, ages: np.ndarray
) -> np.ndarray:
    """Age profile read at a − shift from ``from_age`` on (linear interpolation, clamped).

    ``values``: (group, sex, age); ``shift``, ``from_age``: (draw,). Returns (draw, g, s, a).
    """
    a = ages.astype(float)
    src = a[None, :] - np.where(a[None, :] >= from_age[:, None], shift[:, None], 0.0)
    pos = np.clip(src - a[0], 0.0, len(a) - 1.0)  # (draw, age) as index
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, len(a) - 1)
    frac = (pos - lo)[:, None, None, :]
    return (
        values[:, :, lo].transpose(2, 0, 1, 3) * (1 - frac)
        + values[:, :, hi].transpose(2, 0, 1, 3) * frac
    )


@dataclass
class ScenarioPath:
    """Supply path of a batch of scenarios (one draw each). Implements ``SupplyPath``."""

    inputs: Inputs
    n_draws: int
    # Full-effect arrays and phase weights, built by :func:`scenario_paths`.
    exit_shift_p: np.ndarray | None = None  # (draw, g, s, a) P read at a − years
    exit_shift_e: np.ndarray | None = None
    w_exit: np.ndarray | None = None  # (draw, year, group)
    pos_rel: np.ndarray | None = None  # (draw,)
    pos_abs: np.ndarray | None = None
    pos_cap: np.ndarray | None = None
    pos_mask: np.ndarray | None = None  # (draw, g, 1, a) bool
    w_pos: np.ndarray | None = None  # (draw, year)
    sen_rel: np.ndarray | None = None
    sen_abs: np.ndarray | None = None
    sen_mask: np.ndarray | None = None  # (draw, g, 1, a)
    w_sen: np.ndarray | None = None
    sick_rel: np.ndarray | None = None  # (draw, year, group): r·w
    grad_factor: np.ndarray | None = None  # (draw, year, group)
    imm_factor: np.ndarray | None = None  # (draw, year, group)
    _last_key: bytes | None = field(default=None, init=False, repr=False)
    _last: Drivers | None = field(default=None, init=False, repr=False)

    def _year_key(self, i: int) -> bytes:
        """Everything that varies by year; equal keys give identical drivers."""
        parts = (
            self.w_exit,
            self.w_pos,
            self.w_sen,
            self.sick_rel,
            self.grad_factor,
            self.imm_factor,
        )
        return b"|".join(
            b"-" if a is None else np.ascontiguousarray(a[:, i]).tobytes() for a in parts
        )

    def stock_groups(self) -> np.ndarray:
        """(draw,) labels: draws with equal labels have the same inflows in every year."""
        parts = [
            a.reshape(self.n_draws, -1)
            for a in (self.grad_factor, self.imm_factor)
            if a is not None
        ]
        if not parts:
            return np.zeros(self.n_draws, dtype=np.int64)
        _, labels = np.unique(np.concatenate(parts, axis=1), axis=0, return_inverse=True)
        return np.asarray(labels, dtype=np.int64).ravel()

    def at(self, i: int) -> Drivers:
        """Drivers of year index i; the same object as the previous year's when no phase
        weight changed (most years of most scenarios), so the kernel reuses its products."""
        key = self._year_key(i)
        if key == self._last_key and self._last is not None:
            return self._last
        reference = self._is_reference_year(i)
        drv = ReferencePath(self.inputs).at(i) if reference else self._compute(i)
        self._last_key, self._last = key, drv
        return drv

    def _is_reference_year(self, i: int) -> bool:
        """No hook has any effect in year i (e.g. the base year): reference drivers."""
        zero = (self.w_exit, self.w_pos, self.w_sen, self.sick_rel)
        one = (self.grad_factor, self.imm_factor)
        return all(a is None or not a[:, i].any() for a in zero) and all(
            a is None or bool((a[:, i] == 1.0).all()) for a in one
        )

    def _compute(self, i: int) -> Drivers:
        inp = self.inputs
        cal = inp.calibration.inflow_factor
        p = inp.p_work[None]
        e = inp.fte[None]
        if self.w_exit is not None:
            assert self.exit_shift_p is not None and self.exit_shift_e is not None
            w = self.w_exit[:, i, :, None, None]
            p = _blend(p, self.exit_shift_p, w)
            e = _blend(e, self.exit_shift_e, w)
        if self.w_sen is not None:
            assert self.sen_rel is not None and self.sen_abs is not None
            assert self.sen_mask is not None
            full = p * (1 + self.sen_rel[:, None, None, None])
            full += self.sen_abs[:, None, None, None]
            np.clip(full, 0.0, 1.0, out=full)
            full = np.where(self.sen_mask, full, p)
            p = _blend(p, full, self.w_sen[:, i, None, None, None])
        if self.w_pos is not None:
            assert self.pos_rel is not None and self.pos_abs is not None
            assert self.pos_cap is not None and self.pos_mask is not None
            cap = self.pos_cap[:, None, None, None]
            new = e * (1 + self.pos_rel[:, None, None, None])
            new += self.pos_abs[:, None, None, None]
            # Raising never pushes a cell above the cap, and never lowers a cell already above
            # it; a negative change is not capped.
            full = np.where(new >= e, np.maximum(e, np.minimum(new, cap)), np.maximum(new, 0.0))
            full = np.where(self.pos_mask, full, e)
            e = _blend(e, full, self.w_pos[:, i, None, None, None])
        grads = inp.graduates * cal[:, None, None]
        imms = inp.immigrants * cal[:, None, None]
        g = (
            grads[None]
            if self.grad_factor is None
            else (grads[None] * self.grad_factor[:, i, :, None, None])
        )
        im = (
            imms[None]
            if self.imm_factor is None
            else (imms[None] * self.imm_factor[:, i, :, None, None])
        )
        if self.sick_rel is None:
            absence = np.ones((1, 1, 1, 1))
        else:
            # (1 − ab)/(1 − ab0) with ab = min(ab0·(1 + r), 1) equals max(1 − r·ab0/(1 − ab0), 0)
            ab0 = inp.sick_leave
            k = ab0 / np.maximum(1 - ab0, 1e-12)
            absence = 1.0 - self.sick_rel[:, i, :, None, None] * k[None]
            np.maximum(absence, 0.0, out=absence)
        return Drivers(p_work=p, fte=e, graduates=g, immigrants=im, absence_factor=absence)


@dataclass
class DemandAdjustments:
    """Demand hooks applied to the (draw, year, service, category) cells, in this order:
    produktivitet and tidstyver (multiplicative reductions), then oppgavedeling (moves)."""

    factor: np.ndarray | None = None  # (draw, year, service, category) multiplicative
    shifts: list[list[dict[str, Any]]] = field(default_factory=list)  # per draw
    notes: list[tuple[int, str]] = field(default_factory=list)
    """(draw, text) for every shift that asked for more than the group has (capped)."""

    def apply(self, cells: np.ndarray) -> np.ndarray:
        if self.factor is not None:
            cells = cells * self.factor
        self.notes = []
        for d, shifts in enumerate(self.shifts):
            for s in shifts:
                sel = s["services"]  # index array
                w = s["weight"]  # (year,)
                total = cells[d, :, :, s["from"]][:, sel]  # (year, service)
                if s["share"] is not None:
                    share = np.full(total.shape[0], s["share"])
                else:
                    ref = total[s["full_index"]].sum()
                    if s["arsverk"] > ref:
                        self.notes.append(
                            (
                                d,
                                f"oppgavedeling from {s['from_id']}: asked to move "
                                f"{s['arsverk']:.0f} årsverk, but the group has only {ref:.0f} "
                                f"in the service area(s) in {s['full_year']}; capped at all of it",
                            )
                        )
                    share = np.full(
                        total.shape[0], min(1.0, s["arsverk"] / ref) if ref > 1e-9 else 0.0
                    )
                moved = total * (w * share)[:, None]
                for j, k in enumerate(sel):
                    cells[d, :, k, s["from"]] -= moved[:, j]
                    if s["to"] is not None:
                        cells[d, :, k, s["to"]] += s["conversion"] * moved[:, j]
        return cells


def _as_scenario(obj: Any) -> Any:
    from .scenario import Scenario, load_scenario

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
    from .scenario import TIME_THIEVES_COLUMN, TIME_THIEVES_SHARE

    scs = [_as_scenario(s) for s in scenarios]
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
