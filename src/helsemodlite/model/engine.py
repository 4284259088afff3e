"""The projection kernels: supply stock-flow (the one year loop) and demand by service area.

Everything here is pure numpy on arrays with a leading ``draw`` axis (one draw per scenario or
Monte Carlo draw). Symbols follow docs/model.md:

Supply, for draw d, group g, sex s, age a, year index i (i = 0 is the base year):

    deaths[i]  = N[i-1] · q[i]                  (q: death probability during year i)
    exits[i]   = N[i-1] · x                     (x: emigration and other exits)
    F[i, o]    = Σ_g T[o, g] · G[i, g]          (further education: graduates of g who were
                                                 in o's stock leave it, same sex and age)
    N[i, a+1]  = N[i-1, a] − deaths[i, a] − exits[i, a] + G[i, a+1] + I[i, a+1] − F[i, a+1]
    N[i, a0]   = G[i, a0] + I[i, a0] − F[i, a0]  (youngest age: inflow only)
    aged_out[i] = survivors at the oldest age, who leave the stock
    S[i]       = Σ_{s,a} N[i] · P[i] · E[i] · (1 − ab[i]) / (1 − ab[0])

Demand, per service area k and staffing category c:

    idx_k[i]   = Σ_{s,a} Pop[i] · u_k(a − δ[i,s]) / Σ_{s,a} Pop[0] · u_k(a)   (δ = healthier ageing)
    cells[i,k,c] = B[k,c] · idx_k[i] · (1 + r)^i      (B: base-year staffing, r: standard growth)
    D_g[i]     = Σ_k cells[i,k,g] · (1 + τ_g)^i + shortage_g
    gap_g[i]   = S_g[i] − D_g[i]
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from .cohort import cohort_step
from .inputs import Inputs

FLOWS = ("deaths", "exits", "aged_out", "further_education", "graduates", "immigrants")
"""The flows of a projection year; ``further_education`` is the outflow F to other groups."""


class YearDrivers(Protocol):
    """Supply parameters in force in one year, each broadcastable to (draw, group, sex, age)."""

    p_work: np.ndarray
    fte: np.ndarray
    graduates: np.ndarray
    immigrants: np.ndarray
    absence_factor: np.ndarray
    transfer_source: np.ndarray | None


@dataclass(frozen=True)
class Drivers:
    """Plain container implementing :class:`YearDrivers`."""

    p_work: np.ndarray
    fte: np.ndarray
    graduates: np.ndarray
    immigrants: np.ndarray
    absence_factor: np.ndarray
    transfer_source: np.ndarray | None = None
    """The graduates whose further education moves persons out of their origin group (F);
    None = ``graduates``. Component runs set it apart (:mod:`..uncertainty.fast`)."""


class SupplyPath(Protocol):
    """The supply parameters of every draw, year by year (see :mod:`..scenarios.compile`).

    ``at(i)`` returns the same object for consecutive years whose drivers do not change, and
    ``stock_groups()`` labels draws whose inflows are identical in every year: the kernel then
    computes each distinct stock path once (stocks depend only on inflows and mortality, not on
    P, E or sick leave), which is what makes a batch of many scenarios cheap.
    """

    n_draws: int

    def at(self, i: int) -> YearDrivers: ...

    def stock_groups(self) -> np.ndarray: ...

    def exit_factors(self) -> np.ndarray | None:
        """(draw, group) factor on the other-exit probability, or None (1 for every draw).
        Draws with different factors must have different ``stock_groups`` labels."""
        ...


@dataclass(frozen=True)
class DemandPlan:
    """Per-draw demand settings. Arrays have dims (draw,)."""

    alternative: np.ndarray
    """Index into ``Inputs.alternatives``."""
    healthy_ageing: np.ndarray
    """(draw, year): strength of healthier ageing, 1 = reference, 0 = off (multiplies the
    healthy share)."""
    growth_index: np.ndarray
    """(draw, year): cumulative growth in årsverk per user, 1 in the base year (reference:
    (1 + standardvekst)^t)."""


@dataclass
class SupplyResult:
    """Supply aggregates (draw, year, group) and, when asked for, cell detail
    (draw, year, group, sex, age)."""

    stock: np.ndarray
    employed: np.ndarray
    arsverk: np.ndarray
    flows: dict[str, np.ndarray]
    cells: dict[str, np.ndarray] = field(default_factory=dict)
    unmatched_moves: np.ndarray | None = None
    """(draw, origin group): persons over all years whom further education would have moved
    out of a group at a sex and age where its stock had no one left (the move is then limited
    to the persons there, and the destination's graduates beyond them are new persons); 0 in
    every realistic run."""


def _take(a: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Rows ``idx`` of a driver array whose draw axis may have length 1 (broadcast); no copy
    when every draw is its own stock path in draw order (Monte Carlo draws)."""
    if a.shape[0] == 1 or (len(idx) == a.shape[0] and bool((idx == np.arange(len(idx))).all())):
        return a
    return a[idx]


def run_supply(
    inputs: Inputs,
    path: SupplyPath,
    q: np.ndarray,
    alternative: np.ndarray | None = None,
    *,
    detail: bool = False,
    clamp_moves: bool = True,
) -> SupplyResult:
    """The year loop of the supply model.

    ``q``: death probabilities (alternative, year, sex, age) at the personnel ages;
    ``alternative``: (draw,) index into q's first axis (None = every draw uses q[0]). Flows of
    year index i are those during year i; year 0 is the observed base year (no flows). Returns
    aggregates over sex and age and, with ``detail``, every cell.

    The stock recursion runs once per distinct stock path u (draws with the same inflows and
    mortality share one); employed and årsverk are then Σ N[u(d)] · P[d] and Σ N[u(d)] · P·E·ab.
    """
    n_d = path.n_draws
    n_y = len(inputs.years)
    n_g = inputs.stock.shape[0]
    x = np.minimum(inputs.exit_rate * inputs.calibration.exit_factor[:, None, None], 1.0)
    alts = np.zeros(n_d, dtype=np.int64) if alternative is None else np.asarray(alternative)
    key = np.asarray(path.stock_groups(), dtype=np.int64) * (int(alts.max()) + 1) + alts
    _, reps, inverse = np.unique(key, return_index=True, return_inverse=True)
    n_u = len(reps)
    u_shape = (n_u,) + inputs.stock.shape
    stock = np.broadcast_to(inputs.stock, u_shape).copy()
    agg = {k: np.zeros((n_d, n_y, n_g)) for k in ("stock", "employed", "arsverk", *FLOWS)}
    cells: dict[str, np.ndarray] = {}
    if detail:
        cells = {
            k: np.zeros((n_d, n_y) + inputs.stock.shape)
            for k in ("stock", "employed", "arsverk", *FLOWS)
        }
    q_u = q[alts[reps]]  # (stock path, year, sex, age)
    moves = _Moves(inputs.moves, clamp_moves, (n_u, n_g))
    factors = path.exit_factors()
    if factors is not None:  # per stock path (draws of one path share their factors)
        x = np.minimum(x[None] * np.asarray(factors)[reps][:, :, None, None], 1.0)

    drv: YearDrivers | None = None
    weight: np.ndarray | None = None
    history: list[np.ndarray] = []  # stock per year, when there is one stock path
    spans: list[tuple[YearDrivers, np.ndarray, np.ndarray, list[int]]] = []
    for i in range(n_y):
        new_drv = path.at(i)
        if new_drv is not drv:  # paths return the same object while nothing changes
            drv = new_drv
            weight = drv.p_work * drv.fte * drv.absence_factor  # årsverk per person in stock
        assert drv is not None and weight is not None
        if i > 0:
            grads = _take(drv.graduates, reps)
            imms = _take(drv.immigrants, reps)
            step = cohort_step(stock, q_u[:, i, None], x, (grads, imms))
            moved = moves.out_of(step.stock, drv, grads, reps)
            stock = step.stock - moved
            deaths, survivors = step.deaths, step.survivors
            exits = step.exits
            assert exits is not None
            flows = {
                "deaths": deaths.sum(axis=(-2, -1)),
                "exits": exits.sum(axis=(-2, -1)),
                "aged_out": survivors[..., -1].sum(axis=-1),
                "further_education": np.broadcast_to(moved.sum(axis=(-2, -1)), (n_u, n_g)),
                "graduates": np.broadcast_to(grads.sum(axis=(-2, -1)), (n_u, n_g)),
                "immigrants": np.broadcast_to(imms.sum(axis=(-2, -1)), (n_u, n_g)),
            }
            for k, v in flows.items():
                agg[k][:, i] = v[inverse]
            if detail:
                cells["deaths"][:, i] = deaths[inverse]
                cells["exits"][:, i] = exits[inverse]
                cells["aged_out"][:, i, ..., -1] = survivors[inverse, ..., -1]
                cells["further_education"][:, i] = np.broadcast_to(moved, u_shape)[inverse]
                cells["graduates"][:, i] = np.broadcast_to(grads, u_shape)[inverse]
                cells["immigrants"][:, i] = np.broadcast_to(imms, u_shape)[inverse]
        agg["stock"][:, i] = stock.sum(axis=(-2, -1))[inverse]
        p_work = np.broadcast_to(drv.p_work, (n_d,) + inputs.stock.shape)
        w = np.broadcast_to(weight, (n_d,) + inputs.stock.shape)
        if n_u == 1:  # one stock path: reduce all years of a driver set at once, below
            history.append(stock[0])
            if not spans or spans[-1][0] is not drv:
                spans.append((drv, p_work, w, []))
            spans[-1][3].append(i)
        else:
            per_draw = stock[inverse]
            agg["employed"][:, i] = np.einsum("dgsa,dgsa->dg", per_draw, p_work)
            agg["arsverk"][:, i] = np.einsum("dgsa,dgsa->dg", per_draw, w)
        if detail:
            cells["stock"][:, i] = stock[inverse]
            cells["employed"][:, i] = stock[inverse] * p_work
            cells["arsverk"][:, i] = stock[inverse] * w
    for _, p_work, w, years in spans:  # years in a row with the same drivers
        block = np.stack([history[i] for i in years])  # (year, group, sex, age)
        # plain einsum, not optimize=True: its BLAS path is 2× faster on an idle machine but
        # many times slower when BLAS threads compete with other processes (measured)
        agg["employed"][:, years] = np.einsum("tgsa,dgsa->dtg", block, p_work)
        agg["arsverk"][:, years] = np.einsum("tgsa,dgsa->dtg", block, w)
    return SupplyResult(
        stock=agg["stock"],
        employed=agg["employed"],
        arsverk=agg["arsverk"],
        flows={k: agg[k] for k in FLOWS},
        cells=cells,
        unmatched_moves=moves.unmatched[inverse],
    )


class _Moves:
    """The moves by further education of one year loop: :func:`further_education` of the
    drivers in force (recomputed only when they change), limited with ``clamp`` to the persons
    in each cell; what could not be moved is summed in ``unmatched`` (stock path, group)."""

    def __init__(self, transitions: np.ndarray, clamp: bool, shape: tuple[int, int]) -> None:
        self.transitions, self.clamp = transitions, clamp
        self.origins = np.flatnonzero(transitions.sum(axis=1) > 0)  # the only rows that move
        self.drivers: YearDrivers | None = None
        self.moved = np.zeros(())
        self.unmatched = np.zeros(shape)

    def out_of(
        self, stock: np.ndarray, drv: YearDrivers, grads: np.ndarray, reps: np.ndarray
    ) -> np.ndarray:
        """The persons who leave each cell of ``stock`` (after the year's step) this year."""
        if drv is not self.drivers:
            self.moved = further_education(self.transitions, grads, drv.transfer_source, reps)
            self.drivers = drv
        if not self.clamp or not self.origins.size:
            return self.moved
        o = self.origins
        wanted = np.broadcast_to(self.moved, stock.shape)[:, o]
        have = np.minimum(wanted, np.maximum(stock[:, o], 0.0))  # no one leaves an empty cell
        if (have == wanted).all():
            return self.moved
        self.unmatched[:, o] += (wanted - have).sum(axis=(-2, -1))
        moved = np.broadcast_to(self.moved, stock.shape).copy()
        moved[:, o] = have
        return moved


def further_education(
    transitions: np.ndarray,
    graduates: np.ndarray,
    source: np.ndarray | None = None,
    reps: np.ndarray | None = None,
) -> np.ndarray:
    """F (…, origin group, sex, age): persons leaving each group's stock in a year because they
    graduate into another group, ``transitions`` (origin, group) × the graduates (…, group, sex,
    age) — or × ``source`` (taken at the stock paths ``reps``) when given. A count, not a rate:
    it follows any change of the destination's graduates. The year loop limits it to the
    persons the origin has in the cell (``clamp_moves``; never binding in a realistic run);
    component runs (only some sources, no stock) take it unlimited, which keeps supply linear in
    its sources (the decomposition, the calibration's split, the Monte Carlo fast path)."""
    src = graduates if source is None else (source if reps is None else _take(source, reps))
    src = np.broadcast_to(src, src.shape[:-3] + (transitions.shape[1],) + src.shape[-2:])
    out = np.zeros(src.shape)
    for o, g in zip(*np.nonzero(transitions), strict=True):  # a few pairs: no dense product
        out[..., o, :, :] += transitions[o, g] * src[..., g, :, :]
    return out


def stock_flow_residual(result: SupplyResult) -> np.ndarray:
    """Cell-level residual of the stock-flow identity (draw, year>0, group, sex, age).

    ``stock[i, a] − (stock[i-1, a-1] − deaths[i, a-1] − exits[i, a-1]) − G[i, a] − I[i, a]
    + F[i, a]`` and the aged-out flow at the oldest age. Zero up to rounding after any run
    with ``detail``.
    """
    c = result.cells
    prev = c["stock"][:, :-1] - c["deaths"][:, 1:] - c["exits"][:, 1:]
    expected = np.zeros_like(c["stock"][:, 1:])
    expected[..., 1:] = prev[..., :-1]
    expected += c["graduates"][:, 1:] + c["immigrants"][:, 1:] - c["further_education"][:, 1:]
    resid = c["stock"][:, 1:] - expected
    resid[..., -1] += c["aged_out"][:, 1:, ..., -1] - prev[..., -1]
    return resid


def aggregate_residual(result: SupplyResult) -> np.ndarray:
    """(draw, year>0, group): stock[i] − stock[i−1] − inflow[i] + outflow[i]."""
    f = result.flows
    inflow = f["graduates"] + f["immigrants"]
    outflow = f["deaths"] + f["exits"] + f["aged_out"] + f["further_education"]
    return result.stock[:, 1:] - result.stock[:, :-1] - inflow[:, 1:] + outflow[:, 1:]


# ------------------------------------------------------------------------------------------------
# Demand


def remaining_life_expectancy(q: np.ndarray, from_age: int) -> np.ndarray:
    """Period remaining life expectancy at ``from_age`` from death probabilities.

    ``q``: (..., pop_age) with the last age open. Deaths assumed mid-year; the open age group's
    expectancy is 1/m with m = −ln(1 − q). Returns (...,).
    """
    qa = np.clip(q[..., from_age:], 0.0, 1.0 - 1e-12)
    surv = np.cumprod(1.0 - qa, axis=-1)
    lx = np.concatenate([np.ones(qa.shape[:-1] + (1,)), surv[..., :-1]], axis=-1)
    lived = (lx[..., :-1] + surv[..., :-1]) / 2.0
    open_m = -np.log1p(-qa[..., -1])
    return lived.sum(axis=-1) + lx[..., -1] / np.maximum(open_m, 1e-12)


def shifted_use(use: np.ndarray, delta: np.ndarray, min_age: int) -> np.ndarray:
    """Use profile shifted up in age by ``delta`` years from ``min_age`` on (healthier ageing).

    ``use``: (service, sex, pop_age); ``delta``: (..., sex) years, >= 0. Returns
    (..., service, sex, pop_age) with ``u(a − δ)`` for ages >= min_age, linear interpolation.
    """
    n_age = use.shape[-1]
    ages = np.arange(n_age, dtype=float)
    src = ages - np.where(ages >= min_age, 1.0, 0.0) * delta[..., None, :, None]
    src = np.broadcast_to(np.clip(src, 0.0, n_age - 1.0), np.broadcast_shapes(src.shape, use.shape))
    lo = np.floor(src).astype(np.int64)
    hi = np.minimum(lo + 1, n_age - 1)
    frac = src - lo
    u = np.broadcast_to(use, src.shape)
    return (
        np.take_along_axis(u, lo, axis=-1) * (1 - frac) + np.take_along_axis(u, hi, axis=-1) * frac
    )


def demand_index(
    inputs: Inputs, alternative: int, healthy_ageing: float | np.ndarray
) -> np.ndarray:
    """(year, service): demographic demand index of each service area, 1 in the base year.

    Driver ``population``: Σ Pop(t)·u(t) / Σ Pop(0)·u(0) with the use profile shifted by
    healthier ageing where it applies (``healthy_ageing``, a number or one per year, scales the
    healthy share; 0 = off);
    driver ``births``: births(t) / births(0).
    """
    pop = inputs.population[alternative]  # (year, sex, pop_age)
    use = inputs.use  # (service, sex, pop_age)
    base = np.einsum("sa,ksa->k", pop[0], use)
    plain = np.einsum("ysa,ksa->yk", pop, use) / base
    idx = plain
    strength = np.broadcast_to(np.asarray(healthy_ageing, dtype=float), (len(inputs.years),))
    if strength.any():
        p = inputs.parameters
        min_age = int(p["healthy_ageing_min_age"])
        e = remaining_life_expectancy(inputs.mortality[alternative], min_age)  # (year, sex)
        delta = strength[:, None] * p["healthy_ageing_share"] * np.maximum(e - e[0], 0.0)
        shifted = shifted_use(use, delta, min_age)  # (year, service, sex, pop_age)
        healthy = np.einsum("ysa,yksa->yk", pop, shifted) / base
        idx = np.where(inputs.healthy_ageing[None, :], healthy, plain)
    births = inputs.births[alternative] / inputs.births[alternative][0]
    by_births = np.array([d == "births" for d in inputs.service_driver])
    return np.where(by_births[None, :], births[:, None], idx)


def base_staffing(inputs: Inputs, supply_base: np.ndarray) -> np.ndarray:
    """(service, category): base-year årsverk by service and staffing category.

    Each of the 14 groups is spread over the service areas as in ``staffing.csv`` and scaled
    so that its base-year demand equals its base-year supply ``supply_base`` (group,): observed
    employment is observed-composition demand. Outside categories keep their observed årsverk.
    """
    b = inputs.staffing.copy()
    n_g = len(inputs.groups)
    col = b[:, :n_g].sum(axis=0)
    b[:, :n_g] *= np.where(col > 0, supply_base / np.where(col > 0, col, 1.0), 0.0)
    return b


DemandCache = dict[tuple[int, bytes, bool], np.ndarray]
"""Demographic cells (year, service, category), or their sums over the services
(year, category), per (alternative, healthier-ageing strength, summed)."""


def _demographic_paths(
    inputs: Inputs,
    plan: DemandPlan,
    supply_base: np.ndarray,
    cache: DemandCache | None,
    summed: bool,
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(demographic cells of one path, its draws, their growth (draw, year, category)) for
    each distinct (alternative, healthier-ageing strength) of the plan: few paths, each one
    broadcast product over all its draws. ``summed``: the cells summed over the services."""
    b = base_staffing(inputs, supply_base)
    n_g = len(inputs.groups)
    t = np.arange(len(inputs.years), dtype=float)
    trend = np.ones((len(inputs.years), b.shape[1]))
    trend[:, :n_g] = (1.0 + inputs.calibration.demand_trend[None, :]) ** t[:, None]
    cache = {} if cache is None else cache
    rows = np.column_stack([plan.alternative.astype(float), plan.healthy_ageing])
    paths, inverse = np.unique(rows, axis=0, return_inverse=True)
    inverse = np.asarray(inverse).ravel()
    for u, row in enumerate(paths):
        alt, strength = int(row[0]), np.ascontiguousarray(row[1:])
        key = (alt, strength.tobytes(), summed)
        if key not in cache:
            cells = demand_index(inputs, alt, strength)[:, :, None] * b[None, :, :]
            cache[key] = cells.sum(axis=1) if summed else cells
        draws = np.flatnonzero(inverse == u)
        yield cache[key], draws, plan.growth_index[draws][:, :, None] * trend[None]


def demand_cells(
    inputs: Inputs,
    plan: DemandPlan,
    supply_base: np.ndarray,
    cache: DemandCache | None = None,
) -> np.ndarray:
    """(draw, year, service, category): demand in årsverk, the calibrated per-group demand trend
    included (so that every output, and every demand-side measure applied to the cells after
    this, sees the same numbers: a task shift moves exactly the årsverk it names). ``cache``
    keeps the demographic cells per (alternative, healthier-ageing strength) across calls with
    the same inputs and base supply (chunks of one Monte Carlo run)."""
    n_d, n_y = len(plan.alternative), len(inputs.years)
    out = np.empty((n_d, n_y, len(inputs.services), inputs.staffing.shape[1]))
    for cells, draws, growth in _demographic_paths(inputs, plan, supply_base, cache, False):
        if len(draws) == n_d:
            np.multiply(cells[None], growth[:, :, None, :], out=out)
        else:
            out[draws] = cells[None] * growth[:, :, None, :]
    return out


def summed_demand(
    inputs: Inputs,
    plan: DemandPlan,
    supply_base: np.ndarray,
    cache: DemandCache | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """What :func:`group_demand` gives for :func:`demand_cells` with no demand-side measure,
    without the cells: the services summed before the draws' growth (a product per category
    and year), so a Monte Carlo chunk never holds (draw, year, service, category)."""
    n_g = len(inputs.groups)
    observed = np.empty((len(plan.alternative), len(inputs.years), n_g))
    for sums, draws, growth in _demographic_paths(inputs, plan, supply_base, cache, True):
        observed[draws] = sums[None, :, :n_g] * growth[..., :n_g]
    return observed, observed + inputs.calibration.initial_shortage[None, None, :]


def group_demand(inputs: Inputs, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Observed-composition demand (draw, year, group), the sum of the cells (which carry the
    calibrated trend), and the total demand including the base-year shortage."""
    n_g = len(inputs.groups)
    # einsum over the services of all categories, then the groups: a quarter of the time of
    # .sum(axis=2) on the sliced (strided) cells
    observed = np.ascontiguousarray(np.einsum("dysc->dyc", cells)[..., :n_g])
    return observed, observed + inputs.calibration.initial_shortage[None, None, :]
