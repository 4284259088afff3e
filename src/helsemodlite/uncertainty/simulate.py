"""Monte Carlo over the declared uncertainty, in chunks on the draw axis (docs/uncertainty.md).

:func:`simulate` samples every draw up front (:mod:`.draws`), compiles the scenario once and
runs the year loop for a chunk of draws at a time, so memory is bounded by the chunk whatever
the number of draws, and the result does not depend on the chunk size. With a scenario, every
chunk runs twice on the same draws — with and without the measures — so the effect of the
measures is paired (its spread is the spread of the effect, not of two levels).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import dims
from ..checks import whole
from ..errors import ConfigError, ResultError
from ..model.engine import run_supply
from ..model.inputs import Inputs
from ..model.paths import ReferencePath, reference_demand_plan
from ..model.run import group_demand, personnel_mortality
from ..numformat import number
from ..scenarios.compile import scenario_paths
from .draws import GROUP_INPUTS, SCALAR_INPUTS, Draws, sample
from .fast import components, fast_supply
from .path import UncertainPath, uncertain_adjustments, uncertain_plan
from .spec import INPUTS, UncertaintySpec

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
VARIABLES = ("supply", "demand", "gap")
DEFAULT_CHUNK = 1000
"""Draws per chunk: bounded memory (about 60 MB of driver arrays per 1 000 draws)."""


@dataclass
class _Compiled:
    """A scenario compiled once for all chunks, with its fast-path components."""

    base: Any
    plan: Any
    names: tuple[str, ...]
    adjust: Any
    comp: Any = None
    demand_cache: dict[Any, Any] = field(default_factory=dict)
    fixed_alternative: bool = False
    """The population alternative is the plan's in every draw (a befolkning scenario, and the
    reference it is paired with), not drawn."""


def _compile(inputs: Inputs, scenario: Any, fixed_alternative: bool = False) -> _Compiled:
    if scenario is None:
        return _Compiled(
            ReferencePath(inputs),
            reference_demand_plan(inputs),
            ("referanse",),
            None,
            fixed_alternative=fixed_alternative,
        )
    base, plan, names, adjust = scenario_paths(inputs, [scenario])
    own = scenario.hooks().get("befolkning") is not None
    return _Compiled(base, plan, names, adjust, fixed_alternative=own)


def _prepare(inputs: Inputs, c: _Compiled, alternatives: np.ndarray) -> None:
    """The fast path's component projections for the population alternatives drawn."""
    alts = (int(c.plan.alternative[0]),) if c.fixed_alternative else ()
    c.comp = components(inputs, c.base, alts or tuple(sorted({int(a) for a in alternatives})))


def _run_chunk(
    inputs: Inputs, ref: _Compiled, own: _Compiled | None, part: Draws, method: str
) -> tuple[np.ndarray, ...]:
    """One chunk: (supply, demand) of the reference, or of the scenario and its paired effect
    (supply, demand, effect on supply, effect on demand). A pure function of its arguments, so
    a chunk gives the same numbers in this process, in another or on a Dask worker."""
    ref_s, ref_d = _chunk_result(inputs, ref, part, method)
    if own is None:
        return ref_s, ref_d
    sc_s, sc_d = _chunk_result(inputs, own, part, method)
    return sc_s, sc_d, sc_s - ref_s, sc_d - ref_d


def _chunk_result(
    inputs: Inputs, c: _Compiled, draws: Draws, method: str
) -> tuple[np.ndarray, np.ndarray]:
    """(draw, year, group) supply and demand of one chunk for one compiled scenario."""
    n = draws.n
    uplan = uncertain_plan(inputs, c.plan, draws, c.fixed_alternative)
    draws = Draws(draws.values, np.asarray(uplan.alternative), draws.seed)
    uadj = None if c.adjust is None else uncertain_adjustments(c.adjust, n)
    if method == "loop":
        slow = np.ones(n, dtype=bool)
        supply = np.zeros((n, len(inputs.years), len(inputs.groups)))
    else:
        if c.comp is None:
            _prepare(inputs, c, uplan.alternative)
        supply, slow = fast_supply(c.comp, draws, tuple(inputs.years))
    if slow.any():
        rows = np.flatnonzero(slow)
        part = draws.take(rows)
        path: Any = UncertainPath(inputs, c.base, part)
        q = personnel_mortality(inputs)
        supply[rows] = run_supply(inputs, path, q, part.alternative).arsverk
    observed = group_demand(inputs, uplan, uadj, c.demand_cache)[0]
    # Staffing composition: the group's share of every service area's årsverk drifts by
    # (1 + d)^t; the outside categories take the difference, so the areas' totals are kept.
    t = np.arange(len(inputs.years), dtype=float)
    drift = (1.0 + draws.values["staffing_drift"][:, None, :]) ** t[None, :, None]
    shortage = inputs.calibration.initial_shortage[None, None, :]
    demand = observed * drift + draws.values["initial_shortage"][:, None, None] * shortage
    if not (np.isfinite(supply).all() and np.isfinite(demand).all()):
        raise ResultError("simulate: a draw gave a non-finite supply or demand")
    return supply, demand


@dataclass(frozen=True)
class Simulation:
    """Draws of a Monte Carlo run: arrays (draw, year, group) with the Sum as the last group."""

    years: tuple[int, ...]
    groups: tuple[str, ...]
    """The groups, then ``Sum``."""
    supply: np.ndarray
    demand: np.ndarray
    inputs_drawn: Draws
    spec: UncertaintySpec
    scenario: str
    alternatives: tuple[str, ...]
    """The inputs' population alternatives (``inputs_drawn.alternative`` indexes them)."""
    effect_supply: np.ndarray | None = None
    """Scenario minus reference on the same draws (None without a scenario)."""
    effect_demand: np.ndarray | None = None
    fixed_alternative: str | None = None
    """A population scenario's own alternative, used in every draw instead of the drawn one
    (its paired reference runs on the reference's alternative)."""

    @property
    def gap(self) -> np.ndarray:
        return self.supply - self.demand

    @property
    def n_draws(self) -> int:
        return int(self.supply.shape[0])

    def _tidy(self, arrays: dict[str, np.ndarray], q: tuple[float, ...]) -> pd.DataFrame:
        rows = []
        q, cols = _quantile_columns(q)
        for var, arr in arrays.items():
            qs = np.quantile(arr, q, axis=0)  # (q, year, group)
            for gi, g in enumerate(self.groups):
                block = pd.DataFrame(qs[:, :, gi].T, columns=cols)
                block.insert(0, "variable", var)
                block.insert(0, "group", g)
                block.insert(0, "year", list(self.years))
                rows.append(block)
        out = pd.concat(rows, ignore_index=True)
        # supply, demand, gap (as everywhere else), then year, then the groups' order
        order = {"group": {g: i for i, g in enumerate(self.groups)}}
        order["variable"] = {v: i for i, v in enumerate(arrays)}
        return out.sort_values(
            ["variable", "year", "group"],
            key=lambda s: s.map(order[str(s.name)]) if s.name in order else s,
            kind="mergesort",
        ).reset_index(drop=True)[["year", "group", "variable", *cols]]

    def quantiles(self, q: tuple[float, ...] = QUANTILES) -> pd.DataFrame:
        """``year, group, variable, q05, q25, q50, q75, q95`` (variable: supply, demand, gap)."""
        return self._tidy({"supply": self.supply, "demand": self.demand, "gap": self.gap}, q)

    def effect_quantiles(self, q: tuple[float, ...] = QUANTILES) -> pd.DataFrame:
        """The same columns for scenario − reference on the same draws (paired)."""
        if self.effect_supply is None or self.effect_demand is None:
            raise ConfigError("effect_quantiles: the simulation was run without a scenario")
        es, ed = self.effect_supply, self.effect_demand
        return self._tidy({"supply": es, "demand": ed, "gap": es - ed}, q)

    def prob_shortage(self, threshold: float = 0.0) -> pd.DataFrame:
        """``year, group, prob``: the share of draws whose gap is below ``threshold``."""
        if (
            isinstance(threshold, bool)
            or not isinstance(threshold, int | float)
            or not np.isfinite(threshold)
        ):
            raise ConfigError(
                f"prob_shortage: threshold must be a finite number of årsverk, got {threshold!r}"
            )
        p = (self.gap < threshold).mean(axis=0)  # (year, group)
        years, groups = np.meshgrid(self.years, self.groups, indexing="ij")
        return pd.DataFrame({"year": years.ravel(), "group": groups.ravel(), "prob": p.ravel()})

    def draws(self) -> pd.DataFrame:
        """``draw, year, group, supply, demand, gap`` for every draw (year × group level)."""
        n, n_y, n_g = self.supply.shape
        d, y, g = np.meshgrid(np.arange(n), self.years, self.groups, indexing="ij")
        return pd.DataFrame(
            {
                "draw": d.ravel(),
                "year": y.ravel(),
                "group": g.ravel(),
                "supply": self.supply.ravel(),
                "demand": self.demand.ravel(),
                "gap": self.gap.ravel(),
            }
        )

    def sampled(self) -> pd.DataFrame:
        """The sampled inputs: one row per draw, one column per input (and group where it
        varies by group), e.g. ``graduates.sykepleier``; ``befolkning`` as SSB's code."""
        cols: dict[str, Any] = {}
        v = self.inputs_drawn.values
        for name in GROUP_INPUTS:
            u = self.spec.inputs.get(name)
            if u is not None and u.by_group:
                for gi, g in enumerate(self.groups[:-1]):
                    cols[f"{name}.{g}"] = v[name][:, gi]
            else:
                cols[name] = v[name][:, 0]
        for name in SCALAR_INPUTS:
            cols[name] = v[name]
        cols["befolkning"] = (
            np.full(len(self.inputs_drawn.alternative), self.fixed_alternative, dtype=object)
            if self.fixed_alternative is not None
            else np.asarray(self.alternatives, dtype=object)[self.inputs_drawn.alternative]
        )
        return pd.DataFrame(cols)

    def drivers(self, year: int = 2040, group: str = dims.SUM_LABEL) -> pd.DataFrame:
        """Which inputs explain the spread of the gap, from the same draws: a regression of the
        gap's rank on the inputs' ranks (standardised; the population alternative as indicator
        columns). ``input, label, srrc, r2_alone, share``: ``srrc`` the standardised rank
        regression coefficient (inputs with one value; NaN for inputs by group and for the
        alternative), ``r2_alone`` the R² of the input's own columns alone (the inputs are drawn
        independently of each other, so these add up to about the joint R²), ``share`` that
        over their sum; largest first. ``attrs``: ``r2`` (joint), ``note`` (too few draws)."""
        if year not in self.years:
            raise ConfigError(
                f"drivers: year {year} is not projected ({self.years[0]}–{self.years[-1]})"
            )
        if group not in self.groups:
            raise ConfigError(f"drivers: unknown group {group!r}")
        x = self.sampled()
        blocks: dict[str, list[np.ndarray]] = {}
        for col in x.columns:
            name = col.split(".")[0]
            if col == "befolkning":
                codes = x[col].astype(str)
                levels = sorted(set(codes))
                cols = [(codes == lv).to_numpy(float) for lv in levels[1:]]
            else:
                cols = [x[col].rank().to_numpy(float)]
            cols = [c for c in cols if np.std(c) > 0]
            if cols:
                blocks.setdefault(name, []).extend((c - c.mean()) / c.std() for c in cols)
        y = self.gap[:, self.years.index(year), self.groups.index(group)]
        columns = ["input", "label", "srrc", "r2_alone", "share"]
        if not blocks or np.std(y) == 0:
            out = pd.DataFrame(columns=columns)
            out.attrs.update(
                r2=float("nan"),
                draws=len(y),
                columns=0,
                note=f"the gap or the inputs do not vary over {len(y)} draw(s): nothing to rank",
            )
            return out
        ry = pd.Series(y).rank().to_numpy(float)
        ry = (ry - ry.mean()) / ry.std()

        def fit(mat: np.ndarray) -> tuple[np.ndarray, float]:
            """Coefficients and the adjusted R² (so that k columns of noise explain nothing,
            not about k/n)."""
            coef, *_ = np.linalg.lstsq(mat, ry, rcond=None)
            r2 = 1.0 - float(((ry - mat @ coef) ** 2).mean())
            n, k = mat.shape
            return coef, 1.0 - (1.0 - r2) * (n - 1) / (n - k - 1) if n > k + 1 else 0.0

        names = list(blocks)
        full = np.column_stack([c for n in names for c in blocks[n]])
        if full.shape[0] < 2 * full.shape[1] + 2:
            out = pd.DataFrame(columns=columns)
            out.attrs.update(
                r2=float("nan"),
                draws=full.shape[0],
                columns=full.shape[1],
                note=f"{full.shape[0]} draws for {full.shape[1]} input columns: too few for a "
                f"ranking; use at least {10 * full.shape[1]} draws",
            )
            return out
        coef, r2 = fit(full)
        rows, at = [], 0
        for n in names:
            k = len(blocks[n])
            alone = max(fit(np.column_stack(blocks[n]))[1], 0.0)
            single = k == 1 and n != "befolkning"
            rows.append((n, INPUTS[n].label, float(coef[at]) if single else np.nan, alone))
            at += k
        out = pd.DataFrame(rows, columns=columns[:-1])
        total = out["r2_alone"].sum()
        out["share"] = out["r2_alone"] / total if total > 0 else 0.0
        out = out.sort_values("share", ascending=False, kind="mergesort").reset_index(drop=True)
        n_draws, n_cols = full.shape
        note = (
            f"{n_draws} draws for {n_cols} input columns: the ranking is not reliable; use at "
            f"least {10 * n_cols} draws"
            if n_draws < 10 * n_cols
            else ""
        )
        out.attrs.update(r2=r2, note=note, draws=n_draws, columns=n_cols)
        return out


def run_chunks(
    inputs: Inputs,
    ref: _Compiled,
    own: _Compiled | None,
    parts: list[Draws],
    method: str,
    executor: Any,
) -> Iterator[tuple[tuple[int, int], tuple[np.ndarray, ...]]]:
    """((lo, hi), arrays) per chunk, in order: here, in local processes or on an executor."""
    at = 0
    spans = []
    for p in parts:
        spans.append((at, at + p.n))
        at += p.n
    if executor is None:
        for span, part in zip(spans, parts, strict=True):
            yield span, _run_chunk(inputs, ref, own, part, method)
        return
    if isinstance(executor, int) and not isinstance(executor, bool):
        if executor < 1:
            raise ConfigError(f"simulate: executor must be >= 1 processes, got {executor}")
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=executor) as pool:
            yield from run_chunks(inputs, ref, own, parts, method, pool)
        return
    if not callable(getattr(executor, "submit", None)):
        raise ConfigError(
            "simulate: executor must be None, a number of processes, or an object with "
            f"submit() (concurrent.futures, dask.distributed.Client), got {executor!r}"
        )
    shared: tuple[Any, ...] = (inputs, ref, own)
    scatter = getattr(executor, "scatter", None)
    if callable(scatter):  # dask: send the inputs and compiled paths to every worker once
        shared = tuple(scatter(list(shared), broadcast=True))
    futures = [executor.submit(_run_chunk, *shared, part, method) for part in parts]
    for span, fut in zip(spans, futures, strict=True):
        yield span, tuple(fut.result())


MAX_STORED_BYTES = 2 * 2**30
"""The draws a simulation keeps (year × group, 8 bytes a number) may take at most 2 GiB."""
MAX_CHUNK = 20_000
"""At most this many draws per chunk (about 60 MB of working arrays per 1 000)."""


def check_size(draws: int, chunk: int, n_years: int, n_groups: int, paired: bool) -> None:
    """Refuse, before any work, a run whose stored draws or chunk would not fit in memory."""
    arrays = 4 if paired else 2
    need = draws * n_years * (n_groups + 1) * 8 * arrays
    if need > MAX_STORED_BYTES:
        most = MAX_STORED_BYTES // (n_years * (n_groups + 1) * 8 * arrays)
        raise ConfigError(
            f"simulate: {number(draws)} draws would keep {number(need / 2**30)} GiB of results "
            f"(supply, demand{' and the paired effects' if paired else ''} per draw, year and "
            f"group); the limit is {MAX_STORED_BYTES / 2**30:.0f} GiB: use at most "
            f"{number(most)} draws (quantiles settle long before that; docs/uncertainty.md)"
        )
    if chunk > MAX_CHUNK:
        raise ConfigError(
            f"simulate: chunk {number(chunk)} is larger than {number(MAX_CHUNK)} draws (a "
            "chunk's working arrays take about 60 MB per 1 000 draws); the default 1 000 is as "
            "fast"
        )


def _fill_sum(a: np.ndarray) -> np.ndarray:
    """The last group column as the sum of the others (in place)."""
    np.sum(a[:, :, :-1], axis=2, out=a[:, :, -1])
    return a


def _quantile_columns(q: Any) -> tuple[tuple[float, ...], list[str]]:
    """The probabilities and their column names: ``q05`` for 0.05, ``q2.5`` for 0.025."""
    try:
        qs = tuple(float(x) for x in q)
    except (TypeError, ValueError):
        raise ConfigError(f"quantiles: q must be a sequence of probabilities, got {q!r}") from None
    if not qs or not all(np.isfinite(x) and 0.0 <= x <= 1.0 for x in qs):
        raise ConfigError(f"quantiles: every q must be a probability in [0, 1], got {q!r}")
    cols = []
    for x in qs:
        pct = round(x * 100, 6)
        cols.append(f"q{int(pct):02d}" if pct == int(pct) else f"q{pct:g}")
    if len(set(cols)) < len(cols):
        raise ConfigError(f"quantiles: q holds the same probability twice, got {q!r}")
    return qs, cols


def _with_sum(a: np.ndarray) -> np.ndarray:
    return np.concatenate([a, a.sum(axis=2, keepdims=True)], axis=2)


def simulate(
    inputs: Inputs,
    spec: UncertaintySpec,
    scenario: Any = None,
    *,
    draws: int = 1000,
    seed: int = 0,
    chunk: int = DEFAULT_CHUNK,
    progress: Callable[[int, int], None] | None = None,
    method: str = "auto",
    executor: Any = None,
) -> Simulation:
    """Run ``draws`` draws (draw 0 = the reference inputs) in chunks of ``chunk``.

    ``method``: ``auto`` computes supply as a weighted sum of component projections where that
    is exact up to the interpolation in the exit factor (:mod:`.fast`) and runs the year loop
    for the other draws; ``loop`` runs the year loop for every draw.

    ``executor``: where the chunks run - None in this process (the default: at this size a
    chunk takes about 0.1 s, less than starting processes costs), an int for that many local
    processes, or any object with ``submit(fn, *args)`` returning futures with ``result()``:
    a ``concurrent.futures`` executor or a ``dask.distributed.Client``. The draws are sampled
    here, so every executor gives the same numbers."""
    draws, chunk, seed = (
        whole(value, f"simulate: {key}", low=low)
        for key, value, low in (("draws", draws, 1), ("chunk", chunk, 1), ("seed", seed, 0))
    )
    if progress is not None and not callable(progress):
        raise ConfigError(
            f"simulate: progress must be a function (done, total) or None, got {progress!r}"
        )
    check_size(draws, chunk, len(inputs.years), len(inputs.groups), scenario is not None)
    sampled = sample(
        spec,
        inputs.groups,
        inputs.alternatives,
        inputs.alternative_index,
        float(inputs.parameters["standard_growth"]),
        draws,
        seed,
        horizon=len(inputs.years) - 1,
    )
    n_g = len(inputs.groups)
    shape = (draws, len(inputs.years), n_g + 1)  # the Sum filled in place at the end
    supply, demand = np.empty(shape), np.empty(shape)
    eff_s = np.empty(shape) if scenario is not None else None
    eff_d = np.empty(shape) if scenario is not None else None
    if method not in ("auto", "loop"):
        raise ConfigError(f'simulate: method must be "auto" or "loop", got {method!r}')
    own = None if scenario is None else _compile(inputs, scenario)
    # A scenario that sets the population alternative is compared with the reference on the
    # reference's alternative (its effect is that of the alternative, as in compare()).
    ref = _compile(inputs, None, fixed_alternative=own is not None and own.fixed_alternative)
    if method == "auto":  # once, for every alternative drawn: not once per worker, and not
        # from the first chunk's draws (a later chunk's other alternatives would take the year
        # loop, and the numbers would depend on the chunk size)
        for c in (ref, own):
            if c is not None:
                _prepare(inputs, c, sampled.alternative)
    bounds = [(lo, min(lo + chunk, draws)) for lo in range(0, draws, chunk)]
    targets = [supply, demand] if own is None else [supply, demand, eff_s, eff_d]
    for (lo, hi), arrays in run_chunks(
        inputs, ref, own, [sampled.chunk(lo, hi) for lo, hi in bounds], method, executor
    ):
        for target, arr in zip(targets, arrays, strict=True):
            assert target is not None
            target[lo:hi, :, :n_g] = arr
        if progress is not None:
            progress(hi, draws)
    name = "referanse" if scenario is None else str(getattr(scenario, "name", scenario))
    return Simulation(
        years=tuple(inputs.years),
        groups=(*inputs.groups, dims.SUM_LABEL),
        supply=_fill_sum(supply),
        demand=_fill_sum(demand),
        inputs_drawn=sampled,
        spec=spec,
        scenario=name,
        alternatives=tuple(inputs.alternatives),
        fixed_alternative=(
            inputs.alternatives[int(own.plan.alternative[0])]
            if own is not None and own.fixed_alternative
            else None
        ),
        effect_supply=None if eff_s is None else _fill_sum(eff_s),
        effect_demand=None if eff_d is None else _fill_sum(eff_d),
    )
