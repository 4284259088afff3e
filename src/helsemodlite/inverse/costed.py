"""The cheapest plan: several levers with relative costs, year by year (docs/solve.md).

Per group, the plan minimises the cost of the levers subject to the gap being at least the target
in every year from the target year to ``until``, with each inflow lever changing by at most
``max_step`` from one year to the next (from 0 the year before ``start_year``), and never below
the reference (the plan only adds).

Why a linear programme is exact: with P and E fixed, supply is linear in the inflows - every
extra graduate, immigrant or study place adds a cohort that then ages, leaves and works by the
same rates whatever its size - so the gap in year s is the reference gap plus Σ_t R[s, t]·v_t,
where R[s, t] is the effect in year s of one unit of the lever in year t alone. R is projected
exactly (one impulse scenario per lever and year, all groups at once: groups have no flows
between them, except the moves by further education — where the inflow levers link two chosen
groups, they are planned one after the other, each destination before its origins, with the
plans made before in every scenario) and the programme solved with HiGHS (scipy's ``linprog``).

Where linearity does not hold: ``stillingsprosent`` (the 100 % cap on the cell average) and
``avgangsalder`` (the shift of the P and E age profiles) act non-linearly in their value and
change R (more working time makes every extra graduate worth more). They are one constant value
per group from ``start_year``, searched on a grid that is refined around the cheapest point
(three rounds of nine values for one such lever, two rounds of seven per axis for two); at every
grid point R is projected again with that value in place, so each point's programme is exact
and only the non-linear lever's value is as fine as the grid (to 1/729 of its range for one).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
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
from ..scenarios.files import Scenario
from .constant import LEVERS, TOLERANCE, _reference_flows, _solve_order

LINEAR = ("graduates", "immigrants", "study_places")
"""Levers the gap is linear in: a value per group and year."""
NONLINEAR = ("stillingsprosent", "avgangsalder")
"""Levers it is not linear in: one constant value per group from the start year."""
DEFAULT_MAX_STEP = 0.05
"""An inflow lever changes by at most 5 percentage points of the reference inflow a year (for
study places: 5 % of the group's graduates in places) - a judgement: education capacity and
recruitment grow in steps a budget can follow."""
PLACES_UNIT = 1000.0
"""Study places in an impulse (the response is linear; any unit gives the same R)."""
MAX_COST_RATIO = 1e6
"""Relative costs further apart than this are refused (the programme's numbers would span more
than its solver resolves)."""
MARGIN = 0.5
"""The programme asks for target + 0.5 årsverk, so rounding the plan never misses the target."""
COST_UNITS = {
    "graduates": "per ekstra nyutdannet",
    "immigrants": "per ekstra innvandrer",
    "study_places": "per studieplass per år",
    "stillingsprosent": "per prosent økt stillingsprosent per år",
    "avgangsalder": "per år senere avgang per år",
}
"""What a cost is counted in, per lever (docs/solve.md)."""


@dataclass(frozen=True)
class CostedSolution:
    """The cheapest plan: the scenario, the plan year by year, costs and the gap paths."""

    scenario: Scenario
    levers: tuple[str, ...]
    costs: dict[str, float]
    plan: pd.DataFrame
    """``group, lever, year, value, amount, cost``: the lever's value (a relative change, study
    places or years), the amount (persons, places or per cent) and its cost in that year."""
    total_cost: dict[str, float]
    gaps: pd.DataFrame
    """year × group: the gap with the plan (årsverk)."""
    reference: pd.DataFrame
    target_year: int
    until: int
    target_gap: float
    start_year: int
    max_step: float | None

    def describe(self, group: str) -> list[str]:
        """Norwegian lines: each lever's change over the years, and the cost."""
        rows = self.plan[self.plan.group == group]
        out = []
        for lever in self.levers:
            r = rows[rows.lever == lever]
            if r.empty or not (r.value != 0).any():
                out.append(f"{LEVERS[lever].label}: ingen endring")
                continue
            if lever in NONLINEAR:
                v = float(r.value.iloc[0])
                pct = lever == "stillingsprosent"
                what = (
                    f"{plain(v * 100, 1, sign=True)} %" if pct else f"{plain(v, 2, sign=True)} år"
                )
                out.append(f"{LEVERS[lever].label} {what} fra {self.start_year}")
                continue
            first = int(r[r.value != 0].year.min())
            top = r.loc[r.amount.idxmax()]
            unit = "studieplasser" if lever == "study_places" else "personer"
            out.append(
                f"{LEVERS[lever].label}: fra {first}, høyest {plain(top.amount, sign=True)} "
                f"{unit} i {int(top.year)}; i alt {plain(r.amount.sum(), sign=True)} {unit} "
                f"{self.start_year}–{self.until}"
            )
        out.append(f"kostnad i alt {plain(self.total_cost[group])} (relative enheter)")
        return out


def _check_costs(levers: list[str], costs: Any) -> dict[str, float]:
    if not isinstance(costs, dict):
        raise ConfigError(f"solve: costs must be a mapping lever -> relative cost, got {costs!r}")
    problems = [
        f"solve: costs: {k!r} is not one of the levers ({', '.join(levers)})"
        for k in costs
        if k not in levers
    ]
    for lever in levers:
        v = costs.get(lever)
        if v is None:
            problems.append(f"solve: costs: no cost for {lever!r} ({COST_UNITS[lever]})")
        elif isinstance(v, bool) or not isinstance(v, int | float) or not np.isfinite(v) or v <= 0:
            problems.append(f"solve: costs: {lever} must be a number > 0, got {v!r}")
    if problems:
        raise ConfigError(problems)
    out = {k: float(costs[k]) for k in levers}
    if max(out.values()) > MAX_COST_RATIO * min(out.values()):
        raise ConfigError(
            f"solve: costs: the relative costs differ by more than a factor of "
            f"{MAX_COST_RATIO:g} ({', '.join(f'{k}={v:g}' for k, v in out.items())}); a lever "
            "that much dearer is one not to use: leave it out"
        )
    return out


def _check(
    inputs: Inputs,
    levers: list[str],
    groups: list[str],
    target_year: int,
    start_year: int | None,
    until: int | None,
    max_step: float | None,
) -> tuple[int, int]:
    problems = []
    unknown_levers = [lv for lv in levers if lv not in LEVERS]
    if not levers or unknown_levers:
        problems.append(
            f"solve: unknown lever(s) {', '.join(map(repr, unknown_levers)) or '(none given)'} "
            f"(expected some of {', '.join(LEVERS)})"
        )
    if len(set(levers)) < len(levers):
        problems.append(f"solve: a lever is given twice ({', '.join(levers)})")
    if {"graduates", "study_places"} <= set(levers):
        problems.append(
            "solve: graduates and study_places are two ways of setting the same education "
            "capacity ([utdanningskapasitet]); choose one"
        )
    unknown = [g for g in groups if g not in inputs.groups]
    if not groups or unknown:
        problems.append(
            f"solve: unknown group(s) {', '.join(map(repr, unknown)) or '(none given)'} "
            f"(expected some of {', '.join(dims.in_publication_order(inputs.groups))})"
        )
    years = inputs.years
    if target_year not in years[1:]:
        problems.append(
            f"solve: target year {target_year} is not a projection year ({years[1]}–{years[-1]})"
        )
    start = years[1] if start_year is None else start_year
    if not years[1] <= start <= target_year:
        problems.append(
            f"solve: start year {start} must lie between {years[1]} and the target year "
            f"{target_year}"
        )
    end = min(max(target_year, 2040), years[-1]) if until is None else until
    if not target_year <= end <= years[-1]:
        problems.append(
            f"solve: until {end} must lie between the target year {target_year} and {years[-1]}"
        )
    if max_step is not None and (
        isinstance(max_step, bool) or not isinstance(max_step, int | float) or not 0 < max_step <= 2
    ):
        problems.append(
            f"solve: max_step must be a fraction in (0, 2] (0.05 = 5 percentage points a year) "
            f"or None, got {max_step!r}"
        )
    if problems:
        raise ConfigError(problems)
    return start, end


def _path(values: dict[int, float]) -> dict[str, float]:
    return {str(y): v for y, v in sorted(values.items())}


def _scenario(
    fixed: dict[str, dict[str, float]],
    paths: dict[str, dict[str, dict[int, float]]],
    start: int,
    name: str,
    title: str,
) -> Scenario:
    """Constant values (non-linear levers, from ``start``) and year paths (inflow levers)."""
    d: dict[str, Any] = {"title": title}

    def add(lever: str, tables: dict[str, dict[str, Any]]) -> None:
        if tables:
            d.setdefault(LEVERS[lever].hook, {"grupper": {}})["grupper"].update(tables)

    for lever, per_group in fixed.items():
        key = LEVERS[lever].key
        add(lever, {g: {key: float(v), "start_year": start} for g, v in per_group.items() if v})
    for lever, group_paths in paths.items():
        key = LEVERS[lever].key
        add(lever, {g: {key: _path(p)} for g, p in group_paths.items() if any(p.values())})
    return Scenario.from_dict(d, name=name)


def _gaps(inputs: Inputs, scenarios: list[Scenario]) -> np.ndarray:
    """(scenario, year, group) gaps of one batch."""
    path, plan, names, adjust = scenario_paths(inputs, scenarios)
    return np.asarray(run(inputs, path, plan, names, detail=False, adjust=adjust).gap)


@dataclass(frozen=True)
class _Problem:
    inputs: Inputs
    linear: list[str]
    nonlinear: list[str]
    groups: list[str]
    gi: list[int]
    start: int
    until: int
    target_year: int
    target_gap: float
    costs: dict[str, float]
    max_step: float | None
    before: tuple[dict[str, dict[str, float]], dict[str, dict[str, dict[int, float]]]] = ({}, {})
    """The plans of groups solved before these (constant values, year paths), in every
    scenario of this problem (groups linked by further education, :func:`solve_costed`)."""

    def scenario(
        self,
        fixed: dict[str, dict[str, float]],
        paths: dict[str, dict[str, dict[int, float]]],
        name: str,
    ) -> Scenario:
        """A scenario of this problem's values with the earlier groups' plans in place."""
        fx0, paths0 = self.before
        fx = {lv: {**fx0.get(lv, {}), **fixed.get(lv, {})} for lv in {*fx0, *fixed}}
        ps = {lv: {**paths0.get(lv, {}), **paths.get(lv, {})} for lv in {*paths0, *paths}}
        return _scenario(fx, ps, self.start, name, name)

    @property
    def decision_years(self) -> list[int]:
        return list(range(self.start, self.until + 1))

    @property
    def constrained(self) -> list[int]:
        years = self.inputs.years
        return [years.index(y) for y in range(self.target_year, self.until + 1)]

    def per_unit(self, lever: str) -> np.ndarray:
        """(group,) persons (graduates, immigrants) or places per unit of the lever's value."""
        if lever == "study_places":
            return np.ones(len(self.groups))
        flows = _reference_flows(self.inputs, lever, self.groups) or {}
        return np.array([flows[g] for g in self.groups])

    def upper(self, lever: str) -> np.ndarray:
        return np.array([LEVERS[lever].group_bounds(self.inputs, g)[1] for g in self.groups])

    def step(self, lever: str) -> np.ndarray | None:
        if self.max_step is None:
            return None
        if lever != "study_places":
            return np.full(len(self.groups), float(self.max_step))
        grads = _reference_flows(self.inputs, "graduates", self.groups) or {}
        comp = [max(float(self.inputs.completion_rate[i]), 1e-9) for i in self.gi]
        per = [self.max_step * grads[g] / c for g, c in zip(self.groups, comp, strict=True)]
        return np.array(per)

    def responses(self, fixed: dict[str, np.ndarray]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """With the non-linear levers at ``fixed`` (lever → (group,)): the gap (year, group)
        and per inflow lever R (group, year s, decision year t) per unit of the value."""
        fx = {lv: dict(zip(self.groups, map(float, v), strict=True)) for lv, v in fixed.items()}
        last = self.inputs.years[-1]
        scs = [self.scenario(fx, {}, "b")]
        for lever in self.linear:
            unit = PLACES_UNIT if lever == "study_places" else 1.0
            for t in self.decision_years:
                impulse = {t: unit, t + 1: 0.0} if t < last else {t: unit}
                paths = {lever: {g: impulse for g in self.groups}}
                scs.append(self.scenario(fx, paths, f"i{t}"))
        gaps = _gaps(self.inputs, scs)[:, :, self.gi]
        base = gaps[0]
        out, at, n_t = {}, 1, len(self.decision_years)
        for lever in self.linear:
            unit = PLACES_UNIT if lever == "study_places" else 1.0
            block = (gaps[at : at + n_t] - base[None]) / unit  # (t, s, group)
            out[lever] = np.transpose(block, (2, 1, 0))
            at += n_t
        return base, out

    def fixed_cost(self, fixed: dict[str, np.ndarray]) -> np.ndarray:
        """(group,) cost of the non-linear levers' constant values over the plan's years."""
        years = len(self.decision_years)
        total = np.zeros(len(self.groups))
        for lever, v in fixed.items():
            per = v * 100.0 if lever == "stillingsprosent" else v
            total += self.costs[lever] * per * years
        return total

    def solve_group(
        self, j: int, base: np.ndarray, resp: dict[str, np.ndarray]
    ) -> tuple[float, np.ndarray] | None:
        """The cheapest inflow plan of group j: (cost, values (lever, t)), None if infeasible."""
        from scipy.optimize import linprog  # only here: the runtime path stays scipy-free

        rows = self.constrained
        n_t, n_l = len(self.decision_years), len(self.linear)
        need = self.target_gap + MARGIN - base[rows, j]  # (s,)
        if n_l == 0:
            return (0.0, np.zeros((0, n_t))) if (need <= 0).all() else None
        a = np.concatenate([resp[lv][j][rows] for lv in self.linear], axis=1)  # (s, l·t)
        c = np.concatenate(
            [np.full(n_t, self.costs[lv] * self.per_unit(lv)[j]) for lv in self.linear]
        )
        scale = float(np.abs(c).max()) or 1.0  # HiGHS works best with costs near 1
        a_ub, b_ub = [-a], [-need]
        for k, lever in enumerate(self.linear):
            step = self.step(lever)
            if step is None:
                continue
            diff = np.zeros((n_t, n_l * n_t))
            for t in range(n_t):
                diff[t, k * n_t + t] = 1.0
                if t:
                    diff[t, k * n_t + t - 1] = -1.0
            a_ub += [diff, -diff]
            b_ub += [np.full(n_t, step[j]), np.full(n_t, step[j])]
        bounds = [(0.0, float(self.upper(lv)[j])) for lv in self.linear for _ in range(n_t)]
        res = linprog(
            c / scale,
            A_ub=np.vstack(a_ub),
            b_ub=np.concatenate(b_ub),
            bounds=bounds,
            method="highs",
        )
        if res.status == 2:  # infeasible
            return None
        if res.status != 0:  # pragma: no cover - HiGHS's numerical trouble
            raise ConfigError(f"solve: the linear programme failed ({res.message})")
        return float(res.fun) * scale, np.asarray(res.x).reshape(n_l, n_t)

    def best_possible(self, base: np.ndarray, resp: dict[str, np.ndarray], j: int) -> np.ndarray:
        """Group j's gap (year) with every inflow lever as high as the bounds allow."""
        n_t = len(self.decision_years)
        gap = base[:, j].copy()
        for lever in self.linear:
            hi = float(self.upper(lever)[j])
            step = self.step(lever)
            ramp = np.arange(1, n_t + 1)
            v = np.full(n_t, hi) if step is None else np.minimum(hi, step[j] * ramp)
            gap += resp[lever][j] @ v
        return gap


def solve_costed(
    inputs: Inputs,
    levers: list[str],
    groups: list[str],
    target_year: int,
    target_gap: float = 0.0,
    start_year: int | None = None,
    *,
    costs: Any,
    max_step: float | None = DEFAULT_MAX_STEP,
    until: int | None = None,
) -> CostedSolution:
    """The cheapest plan (see the module docstring)."""
    start, end = _check(inputs, levers, groups, target_year, start_year, until, max_step)
    cost = _check_costs(levers, costs)
    if not np.isfinite(target_gap):
        raise ConfigError(f"solve: target gap must be a finite number, got {target_gap!r}")

    def problem(part: list[str], before: Any = ({}, {})) -> _Problem:
        return _Problem(
            inputs,
            [lv for lv in levers if lv in LINEAR],
            [lv for lv in levers if lv in NONLINEAR],
            part,
            [inputs.groups.index(g) for g in part],
            start,
            end,
            target_year,
            float(target_gap),
            cost,
            max_step,
            before,
        )

    pb = problem(groups)
    fx: dict[str, dict[str, float]] = {lv: {} for lv in pb.nonlinear}
    paths: dict[str, dict[str, dict[int, float]]] = {lv: {} for lv in pb.linear}
    for part in _solve_order(inputs, [lv for lv in levers if lv in LINEAR], groups):
        sub = problem(part, (fx, paths))  # the groups solved before it are in place
        best = _search(sub)
        for j, g in enumerate(part):
            for lv in sub.nonlinear:
                fx[lv][g] = round(float(best[j][1][lv]), 6)
            for k, lever in enumerate(sub.linear):
                digits = 1 if lever == "study_places" else 6
                row = best[j][2][k]
                paths[lever][g] = {
                    t: round(float(row[i]), digits) for i, t in enumerate(sub.decision_years)
                }
    paths = {lv: {g: paths[lv][g] for g in groups} for lv in pb.linear}
    fx = {lv: {g: fx[lv][g] for g in groups} for lv in pb.nonlinear}
    names = "+".join(levers)
    sc = _scenario(
        fx,
        paths,
        start,
        f"solve_{names.replace('+', '_')}_{target_year}",
        f"Løst med kostnader: {', '.join(LEVERS[lv].label for lv in levers)} slik at gapet er "
        f"minst {plain(target_gap)} årsverk hvert år {target_year}–{end}",
    )
    gaps, ref = _check_result(pb, sc)
    plan = _plan_frame(pb, paths, fx)
    total = plan.groupby("group", sort=False)["cost"].sum().reindex(groups).fillna(0.0)
    return CostedSolution(
        scenario=sc,
        levers=tuple(levers),
        costs=cost,
        plan=plan,
        total_cost={g: float(total[g]) for g in groups},
        gaps=gaps,
        reference=ref,
        target_year=target_year,
        until=end,
        target_gap=float(target_gap),
        start_year=start,
        max_step=max_step,
    )


def _search(pb: _Problem) -> list[tuple[float, dict[str, float], np.ndarray]]:
    """Per group (cost, non-linear values, inflow plan (lever, t)): the grid search over the
    non-linear levers, an exact programme at every point."""
    n_g = len(pb.groups)
    m = len(pb.nonlinear)
    size, rounds = {0: (1, 1), 1: (9, 3), 2: (7, 2)}[m]
    lo = {lv: np.zeros(n_g) for lv in pb.nonlinear}
    hi = {lv: pb.upper(lv) for lv in pb.nonlinear}
    best: list[tuple[float, dict[str, float], np.ndarray] | None] = [None] * n_g
    widest: dict[int, np.ndarray] = {}
    for r in range(rounds):
        grids = {lv: np.linspace(lo[lv], hi[lv], size) for lv in pb.nonlinear}  # (k, group)
        picks: dict[int, tuple[int, ...]] = {}
        for combo in itertools.product(range(size), repeat=m):
            fixed = {lv: grids[lv][k] for lv, k in zip(pb.nonlinear, combo, strict=True)}
            base, resp = pb.responses(fixed)
            extra = pb.fixed_cost(fixed)
            for j in range(n_g):
                if r == 0 and all(k == size - 1 for k in combo):
                    widest[j] = pb.best_possible(base, resp, j)
                got = pb.solve_group(j, base, resp)
                if got is None:
                    continue
                total = got[0] + float(extra[j])
                if best[j] is None or total < best[j][0] - 1e-9:  # type: ignore[index]
                    best[j] = (total, {lv: float(fixed[lv][j]) for lv in fixed}, got[1])
                    picks[j] = combo
        if r == 0:
            _refuse_infeasible(pb, best, widest)
        for j, combo in picks.items():  # narrow around the cheapest point
            for lv, k in zip(pb.nonlinear, combo, strict=True):
                g = grids[lv][:, j]
                lo[lv][j], hi[lv][j] = g[max(k - 1, 0)], g[min(k + 1, size - 1)]
    return [b for b in best if b is not None]


def _refuse_infeasible(pb: _Problem, best: list[Any], widest: dict[int, np.ndarray]) -> None:
    bad = [j for j, b in enumerate(best) if b is None]
    if not bad:
        return
    msgs = []
    years = pb.inputs.years
    for j in bad:
        gap = widest[j]
        rows = pb.constrained
        worst = rows[int(np.argmin(gap[rows]))]
        ranges = []
        for lv in [*pb.linear, *pb.nonlinear]:
            top = float(pb.upper(lv)[j])
            shown = {
                "stillingsprosent": f"{top * 100:+.0f} %",
                "avgangsalder": f"{top:+.0f} years",
                "study_places": f"{plain(top, sign=True)} study places a year",
            }.get(lv, f"{top * 100:+.0f} %")
            ranges.append(f"{lv} {shown}")
        step = (
            ""
            if pb.max_step is None
            else f", rising by at most {pb.max_step * 100:g} percentage points a year"
        )
        msgs.append(
            f"solve: not reachable: even {', '.join(ranges)} (the largest values allowed{step}) "
            f"from {pb.start} leave {dims.group_label(pb.groups[j])} with a gap of "
            f"{plain(gap[worst])} årsverk in {years[worst]}, short of the target "
            f"{plain(pb.target_gap)}"
        )
    raise ConfigError(msgs)


def _check_result(pb: _Problem, sc: Scenario) -> tuple[pd.DataFrame, pd.DataFrame]:
    inputs = pb.inputs
    got = _gaps(inputs, [sc])[0][:, pb.gi]
    rows = pb.constrained
    miss = pb.target_gap - got[rows].min(axis=0)
    if (miss > TOLERANCE).any():  # pragma: no cover - would be a defect of the programme
        raise ConfigError(
            f"solve: the plan misses the target by {miss.max():.0f} årsverk; please report this"
        )
    ref = run(inputs, ReferencePath(inputs), reference_demand_plan(inputs), ("r",), detail=False)
    years = list(inputs.years)
    return (
        pd.DataFrame(got, index=years, columns=pb.groups),
        pd.DataFrame(ref.gap[0][:, pb.gi], index=years, columns=pb.groups),
    )


def _plan_frame(
    pb: _Problem,
    paths: dict[str, dict[str, dict[int, float]]],
    fixed: dict[str, dict[str, float]],
) -> pd.DataFrame:
    rows = []
    for lever, group_paths in paths.items():
        unit = pb.per_unit(lever)
        for j, g in enumerate(pb.groups):
            for t, v in group_paths[g].items():
                amount = v * unit[j]
                rows.append((g, lever, t, v, amount, pb.costs[lever] * amount))
    for lever, per_group in fixed.items():
        for g, v in per_group.items():
            amount = v * 100.0 if lever == "stillingsprosent" else v
            for t in pb.decision_years:
                rows.append((g, lever, t, v, amount, pb.costs[lever] * amount))
    return pd.DataFrame(rows, columns=["group", "lever", "year", "value", "amount", "cost"])
