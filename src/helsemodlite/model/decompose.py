"""An exact decomposition of each group's gap into named drivers.

For draw d, group g and year t the gap is ``gap(t) = gap(base year) + Σ_k c_k(t)``, the sum over
the drivers below, exact by construction (a test checks it in every year):

Supply, S(t) − S(0). The stock recursion is linear in its sources, so the stock is the sum of
three runs of the same cohort step: the base-year stock with no inflows, the graduates alone and
the immigrants alone (P, E and sick leave fixed at the reference):

- ``avgang`` — the base-year stock's erosion: deaths, emigration and other exits, ageing out
  at the oldest age, and its moves along the P and E age profiles: Σ N_base(t)·w_ref − S(0);
- ``utdannede`` — graduates of the projection years: Σ N_grad(t)·w_ref;
- ``innvandrere`` — immigrants of the projection years: Σ N_imm(t)·w_ref;
- ``tiltak_tilbud`` — what the scenario's measures on P, E and sick leave add:
  S(t) − Σ N(t)·w_ref (zero for the reference);

Demand, entered with a minus sign (more demand, a larger shortage), D(t) − D(0):

- ``befolkning`` — population growth and ageing: B·(idx_plain(t) − 1);
- ``friskere_aldring`` — healthier ageing: B·(idx(t) − idx_plain(t));
- ``standardvekst`` — growth in resource use per user: B·idx(t)·(g(t) − 1);
- ``trend`` — the calibrated per-group demand trend: B·idx·g·((1 + τ)^t − 1);
- ``tiltak_etterspørsel`` — the scenario's demand measures (produktivitet, tidstyver,
  oppgavedeling, standardvekst for some groups): the rest of the demand change.

The base-year shortage is constant, so it sits in ``gap(base year)`` and adds nothing later.
B is the base-year staffing of each group (summed over service areas), idx the demographic demand
index of each service area, g the growth index of the plan.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import engine
from .inputs import Inputs

SUPPLY_DRIVERS = ("avgang", "utdannede", "innvandrere", "tiltak_tilbud")
DEMAND_DRIVERS = ("befolkning", "friskere_aldring", "standardvekst", "trend", "tiltak_etterspørsel")
DRIVERS = (*SUPPLY_DRIVERS, *DEMAND_DRIVERS)


class _Only:
    """A supply path that keeps the scenario's inflows of one source (or none) and the
    reference P, E and sick leave: a linear piece of the stock recursion."""

    def __init__(self, path: Any, keep: str, inputs: Inputs) -> None:
        self.path, self.keep, self.inputs = path, keep, inputs
        self.n_draws = int(path.n_draws)

    def stock_groups(self) -> np.ndarray:
        return np.asarray(self.path.stock_groups())

    def exit_factors(self) -> np.ndarray | None:
        return self.path.exit_factors()  # type: ignore[no-any-return]

    def at(self, i: int) -> Any:  # engine.Drivers (a YearDrivers)
        d = self.path.at(i)
        zero = np.zeros((1, 1, 1, 1))
        return engine.Drivers(
            p_work=self.inputs.p_work[None],
            fte=self.inputs.fte[None],
            graduates=d.graduates if self.keep in ("graduates", "inflows") else zero,
            immigrants=d.immigrants if self.keep in ("immigrants", "inflows") else zero,
            absence_factor=np.ones((1, 1, 1, 1)),
        )


def decompose(
    inputs: Inputs, path: Any, plan: engine.DemandPlan, supply: np.ndarray, demand: np.ndarray
) -> dict[str, np.ndarray]:
    """``{driver: (draw, year, group)}`` and ``gap_base`` (draw, group): the contributions to
    the gap of every year (see the module docstring). ``supply`` and ``demand`` are the
    projection's (draw, year, group) arrays."""

    from .run import personnel_mortality

    q = personnel_mortality(inputs)
    parts = _source_runs(inputs, path, q, plan.alternative, detail=False)
    s0 = supply[:, :1]
    ref = sum(p.arsverk for p in parts.values())
    out = {
        "avgang": parts["base"].arsverk - s0,
        "utdannede": parts["graduates"].arsverk,
        "innvandrere": parts["immigrants"].arsverk,
        "tiltak_tilbud": supply - ref,
    }
    out.update(_demand(inputs, plan, demand))
    out["gap_base"] = supply[:, 0] - demand[:, 0]
    return out


def _source_runs(
    inputs: Inputs, path: Any, q: np.ndarray, alt: np.ndarray, *, detail: bool
) -> dict[str, engine.SupplyResult]:
    """The base-year stock alone, the graduates alone and the immigrants alone, at the
    reference P, E and sick leave (unlimited moves: linear in the sources). Where the full
    projection had to limit a move by further education (an origin's cell empty, only in
    extreme scenarios), the difference is the graduates' too: it is added to theirs, so the
    parts add up to the projection at the reference weights."""
    from dataclasses import replace

    none = replace(inputs, stock=np.zeros_like(inputs.stock))

    def one(inp: Inputs, keep: str, clamp: bool = False) -> engine.SupplyResult:
        return engine.run_supply(
            inp, _Only(path, keep, inputs), q, alt, detail=detail, clamp_moves=clamp
        )

    runs = {"base": one(inputs, "none"), "graduates": one(none, "graduates")}
    runs["immigrants"] = one(none, "immigrants")
    if inputs.moves.any():
        full = one(inputs, "inflows", clamp=True)
        assert full.unmatched_moves is not None
        if full.unmatched_moves.any():
            g = runs["graduates"]
            parts = ("stock", "employed", "arsverk")
            for k in parts:
                rest = getattr(full, k) - sum(getattr(r, k) for r in runs.values())
                setattr(g, k, getattr(g, k) + rest)
            if detail:
                for k in parts:
                    g.cells[k] = full.cells[k] - sum(
                        r.cells[k] for r in runs.values() if r is not g
                    )
    return runs


SOURCES = ("basisbestand", "utdannede", "innvandrere", "tiltak_tilbud")
"""The sources of supply by cell (:func:`supply_by_source`)."""


def supply_by_source(inputs: Inputs, path: Any, plan: engine.DemandPlan) -> dict[str, np.ndarray]:
    """``{source: (draw, year, group, sex, age)}`` årsverk: the base-year stock's survivors, the
    graduates and the immigrants of the projection years (each at the reference P, E and sick
    leave), and what the scenario's measures on P, E and sick leave add. The four add up to the
    projection's årsverk in every cell."""

    from .run import personnel_mortality

    q = personnel_mortality(inputs)
    alt = plan.alternative
    runs = _source_runs(inputs, path, q, alt, detail=True)
    out = {"basisbestand": runs["base"], "utdannede": runs["graduates"]}
    out["innvandrere"] = runs["immigrants"]
    cells = {k: v.cells["arsverk"] for k, v in out.items()}
    full = engine.run_supply(inputs, path, q, alt, detail=True).cells["arsverk"]
    cells["tiltak_tilbud"] = full - sum(cells.values())
    return cells


def _group_staffing(inputs: Inputs) -> np.ndarray:
    """(service, group): base-year årsverk of the 14 groups by service area (B)."""
    base_supply = (inputs.stock * inputs.p_work * inputs.fte).sum(axis=(-2, -1))
    return engine.base_staffing(inputs, base_supply)[:, : len(inputs.groups)]


POPULATION_BANDS = ((0, 17), (18, 49), (50, 66), (67, 79), (80, 84), (85, 89), (90, None))
"""Population age bands of :func:`population_demand_by_age` (issue "Explained, not fitted",
hypothesis 6: the young-old against the oldest old)."""


def population_demand_by_age(
    inputs: Inputs, plan: engine.DemandPlan, bands: tuple[tuple[int, int | None], ...]
) -> tuple[list[str], np.ndarray]:
    """The demand change of the ``befolkning`` driver split by the users' age band: labels and
    (draw, year, band, group) årsverk, more demand positive. Exact: demand of a
    population-driven service area is B·Σ_a Pop(t, a)·u(a) / Σ_a Pop(0, a)·u(a), linear in the
    population, so its change is the sum over the bands of Σ_{a ∈ band} (Pop(t, a) −
    Pop(0, a))·u(a) / Σ_a Pop(0, a)·u(a); the birth-driven service areas (jordmor) are one
    band of their own, ``fødsler``. The bands and ``fødsler`` add up to −``befolkning``."""
    n_g = len(inputs.groups)
    b = _group_staffing(inputs)  # (service, group)
    by_births = np.array([d == "births" for d in inputs.service_driver])
    use = inputs.use  # (service, sex, pop_age)
    ages = np.arange(use.shape[-1])
    labels = [f"{lo}-{hi}" if hi is not None else f"{lo}+" for lo, hi in bands] + ["fødsler"]
    n_d = len(plan.alternative)
    out = np.zeros((n_d, len(inputs.years), len(labels), n_g))
    for d in range(n_d):
        alt = int(plan.alternative[d])
        pop = inputs.population[alt]  # (year, sex, pop_age)
        base = np.einsum("sa,ksa->k", pop[0], use)
        diff = pop - pop[0]
        for i, (lo, hi) in enumerate(bands):
            sel = (ages >= lo) & (ages <= (ages[-1] if hi is None else hi))
            idx = np.einsum("ysa,ksa->yk", diff[..., sel], use[..., sel]) / base
            out[d, :, i] = np.where(by_births[None, :], 0.0, idx) @ b
        births = inputs.births[alt] / inputs.births[alt][0] - 1.0
        out[d, :, -1] = np.where(by_births[None, :], births[:, None], 0.0) @ b
    return labels, out


def _demand(inputs: Inputs, plan: engine.DemandPlan, demand: np.ndarray) -> dict[str, np.ndarray]:
    """The demand drivers, each with a minus sign (a contribution to the gap)."""
    n_g = len(inputs.groups)
    b = _group_staffing(inputs)  # (service, group)
    t = np.arange(len(inputs.years), dtype=float)
    trend = (1.0 + inputs.calibration.demand_trend[None, :]) ** t[:, None]  # (year, group)
    n_d = len(plan.alternative)
    parts = {k: np.zeros((n_d, len(inputs.years), n_g)) for k in DEMAND_DRIVERS}
    for d in range(n_d):
        alt = int(plan.alternative[d])
        plain = engine.demand_index(inputs, alt, 0.0) @ b  # (year, group)
        full = engine.demand_index(inputs, alt, plan.healthy_ageing[d]) @ b
        grown = full * plan.growth_index[d][:, None]
        base = b.sum(axis=0)[None, :]
        parts["befolkning"][d] = -(plain - base)
        parts["friskere_aldring"][d] = -(full - plain)
        parts["standardvekst"][d] = -(grown - full)
        parts["trend"][d] = -(grown * trend - grown)
        observed = demand[d] - inputs.calibration.initial_shortage[None, :]
        parts["tiltak_etterspørsel"][d] = -(observed - grown * trend)
    return parts
