"""Compiling scenarios to parameter paths: each hook's semantics, vectorised over draws.

:func:`scenario_paths` turns a batch of scenarios into the :class:`~helsemodlite.model.paths.
ScenarioPath`, :class:`~helsemodlite.model.engine.DemandPlan` and
:class:`~helsemodlite.model.paths.DemandAdjustments` the kernels read. The semantics of each hook
are documented in docs/scenarios.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..embedded import scenarios_dir
from ..errors import ConfigError
from ..model.engine import DemandPlan
from ..model.inputs import Inputs
from ..model.paths import (
    OUTSIDE,
    OUTSIDE_TIME_THIEVES_COLUMN,
    DemandAdjustments,
    ScenarioPath,
    _group_mask,
    _years,
    reference_demand_plan,
)
from .check import MAX_NAME_BYTES, _suggest
from .declarations import tables
from .files import Scenario, load_scenario
from .measures import (
    REFERENCE_NAME,
    TIME_THIEVES_COLUMN,
    TIME_THIEVES_SHARE,
    Measure,
    Rule,
    YearPath,
)


def as_scenario(obj: object) -> Scenario:
    if isinstance(obj, str) and obj == REFERENCE_NAME and not Path(obj).exists():
        return Scenario.reference()
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
    row per draw), memoised group masks, and the problems found."""

    inputs: Inputs
    n_draws: int
    path: ScenarioPath
    plan: DemandPlan
    adjust: DemandAdjustments
    problems: list[str] = field(default_factory=list)
    _masks: dict[tuple[str, ...], np.ndarray] = field(default_factory=dict)
    _rules: dict[Measure, list[tuple[Rule, np.ndarray, np.ndarray]]] = field(default_factory=dict)
    _effects: dict[tuple[Rule, str], tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    touched: set[str] = field(default_factory=set)
    """The supply path's arrays :meth:`zeros` handed out since the set was last cleared."""

    def __post_init__(self) -> None:
        inp = self.inputs
        self.years = _years(inp)
        self.ages = np.asarray(inp.ages)
        self.categories = list(inp.groups) + list(inp.outside)
        self.pop_total = inp.population.sum(axis=(2, 3))  # (alternative, year)

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.n_draws, len(self.inputs.years), len(self.inputs.groups)

    def group_mask(self, groups: Sequence[str]) -> np.ndarray:
        key = tuple(groups)
        if key not in self._masks:
            self._masks[key] = _group_mask(self.inputs, groups)
        return self._masks[key]

    def rules(self, m: Measure) -> list[tuple[Rule, np.ndarray, np.ndarray]]:
        """(rule, group mask (group,), category mask (category,)) of every rule of a measure:
        the outside categories follow a table-level rule given for all groups (a rule for some
        groups leaves the outside staff alone). Memoised: a batch of variants shares few."""
        if m not in self._rules:
            outside, out = self.inputs.outside, []
            for rule, groups, everyone in m.rules():
                cats = [c in groups or (everyone and c in outside) for c in self.categories]
                out.append((rule, self.group_mask(groups), np.array(cats)))
            self._rules[m] = out
        return self._rules[m]

    def effect(self, rule: Rule, key: str) -> tuple[np.ndarray, np.ndarray]:
        """(value, weight) per year of a rule's key (see :meth:`Rule.effect`): fresh copies of
        memoised arrays."""
        if (rule, key) not in self._effects:
            self._effects[rule, key] = rule.effect(key, self.years)
        v, w = self._effects[rule, key]
        return v.copy(), w.copy()

    def zeros(self, name: str, fill: Any = 0.0, shape: tuple[int, ...] | None = None) -> Any:
        """The path array ``name``, created (filled with ``fill``) on first use."""
        self.touched.add(name)
        if getattr(self.path, name) is None:
            setattr(self.path, name, np.full(shape or self.shape, fill))
        return getattr(self.path, name)

    def demand_factor(self) -> np.ndarray:
        """(draw, year, service, category) multiplicative demand factor, created on first use."""
        if self.adjust.factor is None:
            n_d, n_y, _ = self.shape
            shape = (n_d, n_y, len(self.inputs.services), len(self.categories))
            self.adjust.factor = np.ones(shape)
        return self.adjust.factor

    def service_index(
        self, sc: Scenario, table: str, ids: Sequence[str] | None, key: str = "services"
    ) -> np.ndarray:
        services = self.inputs.services
        if ids is None:
            return np.arange(len(services))
        for s in [s for s in ids if s not in services]:
            self.problems.append(
                f"{_label(sc)}: {table} {key}: unknown service '{s}' (known: {', '.join(services)})"
            )
        return np.array([services.index(s) for s in ids if s in services], dtype=np.int64)


def _label(sc: Scenario) -> str:
    if sc.source is None:
        return sc.name
    if Path(sc.source).parent == scenarios_dir():  # not the path inside the installed package
        return f"{Path(sc.source).stem} (shipped scenario)"
    return str(sc.source)


# -- one compile function per hook: (batch, draw, measure, scenario) -----------------------------


def _population(b: _Batch, d: int, m: Measure, sc: Scenario) -> None:
    alts = b.inputs.alternatives
    if m.alternative in alts:
        b.plan.alternative[d] = alts.index(m.alternative)
    else:
        hint = _suggest(str(m.alternative), alts, quote='"')
        b.problems.append(
            f"{_label(sc)}: [befolkning] alternative: '{m.alternative}' is not an alternative of "
            f"the inputs ({', '.join(alts)}){hint}"
        )


def _healthy_ageing(b: _Batch, d: int, m: Measure, sc: Scenario) -> None:
    rule = m.table_rule()
    if not rule.enabled:
        b.plan.healthy_ageing[d] = 0.0
        return
    v, w = b.effect(rule, "strength")
    b.plan.healthy_ageing[d] = 1.0 + w * (v - 1.0) if isinstance(rule.strength, YearPath) else v


def _standard_growth(b: _Batch, d: int, m: Measure, sc: Scenario) -> None:
    r_ref = b.inputs.parameters["standard_growth"]
    for rule, _, cats in b.rules(m):
        v, w = b.effect(rule, "annual_rate")
        r = r_ref + w * (v - r_ref)
        r[0] = 0.0
        index = np.cumprod(1.0 + r)
        if cats.all():  # all staff of every service
            b.plan.growth_index[d] = index
        else:  # only the chosen groups' demand grows at the new rate
            ratio = index / b.plan.growth_index[d]
            b.demand_factor()[d][:, :, np.flatnonzero(cats)] *= ratio[:, None, None]


def _exit_age(b: _Batch, d: int, m: Measure, sc: Scenario) -> None:
    path = b.path
    w_exit = b.zeros("w_exit")
    shift = b.zeros("exit_years")
    from_age = b.zeros("exit_from", float(b.ages[-1] + 1), b.shape[::2])
    for rule, gm, _ in b.rules(m):
        v, w = b.effect(rule, "years")
        w_exit[d][:, gm] = w[:, None]
        shift[d][:, gm] = v[:, None]
        from_age[d, gm] = rule.from_age
    path.exit_years, path.exit_from = shift, from_age


def _relative_or_absolute(b: _Batch, d: int, rule: Rule, gm: np.ndarray, name: str) -> None:
    """The value in force and weight of a hook with ``relative_change`` or ``absolute_change``
    into the path arrays ``w_<name>``, ``<name>_rel`` and ``<name>_abs`` for the rule's groups."""
    key = "relative_change" if rule.relative_change is not None else "absolute_change"
    v, w = b.effect(rule, key)
    b.zeros(f"w_{name}")[d][:, gm] = w[:, None]
    b.zeros(f"{name}_rel" if key == "relative_change" else f"{name}_abs")[d][:, gm] = v[:, None]
    b.zeros(f"{name}_abs" if key == "relative_change" else f"{name}_rel")  # both exist


def _position_share(b: _Batch, d: int, m: Measure, sc: Scenario) -> None:
    ages = b.ages
    cap = b.zeros("pos_cap", 1.0, b.shape[::2])
    person = b.zeros("pos_person", 0.0, b.shape[::2])
    mask = b.zeros("pos_mask", False, (b.n_draws, b.shape[2], 1, len(ages)))
    for rule, gm, _ in b.rules(m):
        _relative_or_absolute(b, d, rule, gm, "pos")
        cap[d, gm] = rule.cap
        person[d, gm] = float(bool(rule.per_person))
        lo, hi = rule.ages if rule.ages is not None else (ages[0], ages[-1])
        mask[d, gm] = ((ages >= lo) & (ages <= hi))[None, :]


def _senior_participation(b: _Batch, d: int, m: Measure, sc: Scenario) -> None:
    ages = b.ages
    mask = b.zeros("sen_mask", False, (b.n_draws, b.shape[2], 1, len(ages)))
    for rule, gm, _ in b.rules(m):
        _relative_or_absolute(b, d, rule, gm, "sen")
        mask[d, gm] = (ages >= rule.min_age)[None, :]


def _sick_leave(b: _Batch, d: int, m: Measure, sc: Scenario) -> None:
    sick = b.zeros("sick_rel")
    for rule, gm, _ in b.rules(m):
        v, w = b.effect(rule, "relative_change")
        sick[d][:, gm] = (v * w)[:, None]


def _education_capacity(b: _Batch, d: int, m: Measure, sc: Scenario) -> None:
    inp = b.inputs
    factor = b.zeros("grad_factor", 1.0)
    grads = inp.graduates.sum(axis=(1, 2)) * inp.calibration.graduates_factor
    pop = b.pop_total[b.plan.alternative[d]]
    for rule, gm, _ in b.rules(m):
        if rule.fixed_graduates is not None:
            v, w = b.effect(rule, "fixed_graduates")
            for gi in np.flatnonzero(gm):
                if not grads[gi] >= MIN_GRADUATES:  # nothing to scale: no sex and age profile
                    b.adjust.notes.append((d, _no_graduates_note(inp.groups[gi], v)))
                    continue
                factor[d, :, gi] = 1.0 + w * (v / grads[gi] - 1.0)
        elif rule.study_places is not None:
            v, w = b.effect(rule, "study_places")
            for gi in np.flatnonzero(gm):
                if not grads[gi] >= MIN_GRADUATES:
                    b.adjust.notes.append(
                        (d, _no_graduates_note(inp.groups[gi], v, "study_places"))
                    )
                    continue
                extra = _after(v * w, float(inp.programme_years[gi])) * inp.completion_rate[gi]
                factor[d, :, gi] = np.maximum(1.0 + extra / grads[gi], 0.0)
        elif rule.follow_population:
            start = rule.timing(b.years)[0]
            first = inp.years.index(min(max(start, inp.years[1]), inp.years[-1]))
            ratio = pop / pop[first - 1]
            factor[d][:, gm] = (1.0 + rule.phase(b.years) * (ratio - 1.0))[:, None]
        else:
            v, w = b.effect(rule, "relative_change")
            factor[d][:, gm] = (1.0 + w * v)[:, None]


def _no_graduates_note(group: str, v: np.ndarray, key: str = "fixed_graduates") -> str:
    return (
        f"utdanningskapasitet: {group} has no graduates in the inputs, so {key} = "
        f"{float(np.abs(v).max()):g} cannot be spread over sex and age; graduates left unchanged"
    )


def _after(intake: np.ndarray, years: float) -> np.ndarray:
    """The intake of every year, ``years`` later (graduates by year of graduation): a shift
    along the year axis, linear between whole years for a non-whole programme length."""
    n = len(intake)
    t = np.arange(n, dtype=float) - years
    return np.interp(t, np.arange(n, dtype=float), intake, left=0.0, right=float(intake[-1]))


MIN_GRADUATES = 1e-6
"""Reference graduates a year below which a group has no profile to scale (persons)."""


def _immigration(b: _Batch, d: int, m: Measure, sc: Scenario) -> None:
    factor = b.zeros("imm_factor", 1.0)
    for rule, gm, _ in b.rules(m):
        v, w = b.effect(rule, "relative_change")
        factor[d][:, gm] = (1.0 + v * w)[:, None]


def _productivity(b: _Batch, d: int, m: Measure, sc: Scenario) -> None:
    for rule, _, cats in b.rules(m):
        k = b.service_index(sc, "[produktivitet]", rule.services)
        v, w = b.effect(rule, "annual_rate")
        w[0] = 0.0
        cum = np.cumprod(1.0 - v * w)  # (year,)
        cols = np.flatnonzero(cats)
        b.demand_factor()[d][:, k[:, None], cols[None, :]] *= cum[:, None, None]


def _time_thieves_share(c: str, level: str) -> float:
    if c in TIME_THIEVES_COLUMN:
        return TIME_THIEVES_SHARE[TIME_THIEVES_COLUMN[c]][level]
    if c in OUTSIDE_TIME_THIEVES_COLUMN:
        return TIME_THIEVES_SHARE[OUTSIDE_TIME_THIEVES_COLUMN[c]][level]
    return 0.0


def _time_thieves(b: _Batch, d: int, m: Measure, sc: Scenario) -> None:
    for rule, _, cats in b.rules(m):
        k = b.service_index(sc, "[tidstyver]", rule.services)
        v, w = b.effect(rule, "realised_share")
        level = np.array([_time_thieves_share(c, rule.level) for c in b.categories]) * cats
        red = 1.0 - w[:, None] * (level[None, :] * v[:, None])  # (year, category)
        b.demand_factor()[d][:, k, :] *= red[:, None, :]


def _task_shifts(b: _Batch, d: int, shifts: tuple[Measure, ...], sc: Scenario) -> None:
    inp, cats = b.inputs, b.categories
    for m in shifts:
        ts = m.table_rule()
        src, dst = ts.get("from"), ts.to
        if src not in inp.groups:
            b.problems.append(
                f"{_label(sc)}: [[oppgavedeling]] from: '{src}' is not a group of the inputs"
            )
            continue
        if dst != OUTSIDE and dst not in cats:
            b.problems.append(
                f"{_label(sc)}: [[oppgavedeling]] to: '{dst}' is not a group "
                "or category of the inputs"
            )
            continue
        key = "share" if ts.share is not None else "arsverk"
        value = ts.get(key)
        last = value.last_year if isinstance(value, YearPath) else ts.timing(b.years)[1]
        full_year = min(last, inp.years[-1])
        v, w = b.effect(ts, key)
        b.adjust.shifts[d].append(
            {
                "from": cats.index(src),
                "to": None if dst == OUTSIDE else cats.index(dst),
                "services": b.service_index(
                    sc,
                    "[[oppgavedeling]]",
                    None if ts.service is None else [ts.service],
                    key="service",
                ),
                "weight": w,
                "share": v if key == "share" else None,
                "arsverk": v if key == "arsverk" else None,
                "full_index": inp.years.index(full_year),
                "full_year": full_year,
                "from_id": src,
                "conversion": ts.conversion,
            }
        )


Compiler = Callable[[_Batch, int, Any, Scenario], None]
"""(batch, draw, measure — a tuple of measures for an array hook —, scenario) → None."""

COMPILERS: dict[str, Compiler] = {
    # Table → compile function, in the order they are applied (befolkning first: utdanning
    # følger befolkningen reads the chosen alternative).
    "befolkning": _population,
    "friskere_aldring": _healthy_ageing,
    "standardvekst": _standard_growth,
    "avgangsalder": _exit_age,
    "stillingsprosent": _position_share,
    "seniordeltakelse": _senior_participation,
    "sykefravaer": _sick_leave,
    "utdanningskapasitet": _education_capacity,
    "innvandring": _immigration,
    "produktivitet": _productivity,
    "tidstyver": _time_thieves,
    "oppgavedeling": _task_shifts,
}
_ALWAYS = frozenset({"befolkning", "friskere_aldring", "standardvekst", "oppgavedeling"})
"""Hooks compiled even when neutral (their neutral form still sets the plan's value)."""
_ROW_HOOKS = frozenset(
    {"avgangsalder", "stillingsprosent", "seniordeltakelse", "sykefravaer", "innvandring"}
)
"""Hooks whose compiled rows depend on the measure alone and sit only in supply-path arrays
taken through :meth:`_Batch.zeros` (no plan, no demand factor, no notes): a measure seen
earlier in the batch is copied from the first draw that had it (a grid of variants shares few
measures; docs/performance.md). Tested: a batch equals its single runs."""


def _years_outside(inputs: Inputs, sc: Scenario) -> list[str]:
    """Every year a scenario names (timing, year paths) that is not a projection year of the
    inputs, one message each, naming the horizon."""
    first, last = inputs.years[1], inputs.years[-1]
    out = []
    for table, value in sc.hooks().items():
        entries = value if isinstance(value, tuple) else (value,)
        for i, m in enumerate(entries):
            where = f"[[{table}]] #{i + 1}" if isinstance(value, tuple) else f"[{table}]"
            for label, year in _named_years(m):
                if not first <= year <= last:
                    out.append(
                        f"{_label(sc)}: {where} {label}: {year} is not a projection year of the "
                        f"inputs ({first}–{last}; base year {inputs.years[0]})"
                    )
    return out


def _named_years(m: Measure) -> list[tuple[str, int]]:
    """(where, year) of every year a measure names: its timing, its groups' timing, the years
    of its year paths."""
    out: list[tuple[str, int]] = []

    def add(prefix: str, values: Any, start: int | None, full: int | None) -> None:
        for key, year in (("start_year", start), ("full_effect_year", full)):
            if year is not None and not (key == "full_effect_year" and year == start):
                out.append((prefix + key, year))
        for key, v in values:
            if isinstance(v, YearPath):
                ends = sorted({v.first_year, v.last_year})
                out.extend((f"{prefix}{key} (path)", y) for y in ends)

    add("", m.values, m.start_year, m.full_effect_year)
    for g in m.per_group:
        add(f"grupper.{g.group}.", g.values, g.start_year, g.full_effect_year)
    return out


def _compile(b: _Batch, scs: Sequence[Scenario]) -> None:
    """Every hook of every scenario into the batch's rows, in :data:`COMPILERS` order; a
    measure of a :data:`_ROW_HOOKS` hook seen in an earlier draw is copied from it."""
    neutral: dict[Any, bool] = {}
    first: dict[tuple[str, Any], tuple[int, frozenset[str]]] = {}  # (table, measure) → row
    for d, sc in enumerate(scs):
        hooks = sc.hooks()
        for table, compile_hook in COMPILERS.items():
            measure = hooks.get(table)
            if measure is None:
                continue
            if measure not in neutral:
                entries = measure if isinstance(measure, tuple) else (measure,)
                neutral[measure] = all(e.is_neutral for e in entries)
            if table not in _ALWAYS and neutral[measure]:
                continue
            seen = first.get((table, measure)) if table in _ROW_HOOKS else None
            if seen is not None:
                row, names = seen
                for name in names:
                    array = getattr(b.path, name)
                    array[d] = array[row]
                continue
            b.touched.clear()
            compile_hook(b, d, measure, sc)
            if table in _ROW_HOOKS:
                first[table, measure] = (d, frozenset(b.touched))


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
    missing = [t for t in tables() if t not in COMPILERS]
    if missing:
        raise NotImplementedError(f"declared hooks without a compile function: {missing}")
    for sc in scs:
        b.problems.extend(_years_outside(inputs, sc))
    if b.problems:
        raise ConfigError(b.problems)
    _compile(b, scs)
    if b.problems:
        raise ConfigError(b.problems)
    return b.path, b.plan, distinct_names([sc.name for sc in scs]), b.adjust
