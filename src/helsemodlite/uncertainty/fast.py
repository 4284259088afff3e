"""Every draw's supply as a weighted sum of a few projections (docs/uncertainty.md, "Speed").

Supply is linear in the stock's sources (the base-year stock, the graduates, the immigrants) for
given exits and mortality, and — where P·(1 + d·t) stays below 1 — in the draw's P, E and
sick-leave factors. The other-exit factor acts group by group. So, once per scenario, one
kernel run projects the three sources at a grid of exit factors and each population
alternative, valued with two weights (the scenario's P·E·absence, and P·E·ab₀(1 + r)/(1 − ab₀)
for the sick-leave drift); a draw's supply is then

    S = (1 + d_P·t)(1 + d_E·t) · [M₁(x) − d_S·t·M₂(x)],
    M_w(x) = A_w(x) + f_G·G_w(x) + f_I·I_w(x) − Σ_h f_G,h·F_w,h(x)

(F_h: the persons who leave a group when group h's graduates came from its stock, further
education, each scaled by h's graduates factor: one more source per such h)

with M interpolated cubically in log x between the grid's exit factors (local Lagrange on the
four nearest points; numpy only). Draws outside what this covers — P would pass 1, an exit factor
outside the grid — go through the year loop (:class:`.path.UncertainPath`) instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..model.engine import Drivers, run_supply
from ..model.inputs import Inputs
from ..model.run import personnel_mortality
from .draws import Draws

EXIT_GRID = np.exp(np.linspace(np.log(0.2), np.log(5.0), 29))
"""Exit factors projected (1 among them); a draw outside [0.2, 5] takes the year loop."""
SOURCES = ("stock", "graduates", "immigrants")
"""The sources every scenario has; then the moves by further education (:func:`move_sources`)."""


def move_sources(inputs: Inputs) -> tuple[tuple[int, ...], ...]:
    """The further-education sources: per source, the destination groups whose graduates'
    moves it carries (transitions.csv). A source may carry several destinations whose origins
    differ (each origin then sees one destination in it, so its factor stays separable):
    helsesykepleier and jordmor, both from the nurses, need two; sykepleier (from the
    helsefagarbeidere) shares the first."""
    t = inputs.moves
    packs: list[tuple[list[int], set[int]]] = []
    for h in np.flatnonzero(t.sum(axis=0) > 0):
        origins = set(np.flatnonzero(t[:, h] > 0).tolist())
        for dest, taken in packs:
            if not taken & origins:
                dest.append(int(h))
                taken |= origins
                break
        else:
            packs.append(([int(h)], origins))
    return tuple(tuple(dest) for dest, _ in packs)


@dataclass
class _ComponentPath:
    """Drivers of the (exit factor × alternative × source × weight) component runs."""

    base: Any
    inputs: Inputs
    n_exit: int
    n_alt: int
    n_draws: int = 0
    packs: tuple[tuple[int, ...], ...] = ()
    n_sources: int = 0
    _cache: Any = None
    _last: Any = None

    def __post_init__(self) -> None:
        self.packs = move_sources(self.inputs)
        self.n_sources = len(SOURCES) + len(self.packs)
        self.n_draws = self.n_exit * self.n_alt * self.n_sources * 2

    def _index(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        k, a, c, w = np.meshgrid(
            np.arange(self.n_exit),
            np.arange(self.n_alt),
            np.arange(self.n_sources),
            np.arange(2),
            indexing="ij",
        )
        return k.ravel(), a.ravel(), c.ravel(), w.ravel()

    def exit_factors(self) -> np.ndarray:
        k = self._index()[0]
        return np.repeat(EXIT_GRID[k][:, None], len(self.inputs.groups), axis=1)

    def stock_groups(self) -> np.ndarray:
        k, a, c, _ = self._index()
        return (k * self.n_alt + a) * self.n_sources + c

    def at(self, i: int) -> Drivers:
        d = self.base.at(i)
        rel = getattr(self.base, "sick_rel", None)
        if rel is None and self._last is not None and self._last[0] is d:
            return self._last[1]  # the same object while nothing changes (engine.SupplyPath)
        _, _, c, w = self._index()
        ab0 = self.inputs.sick_leave[None]
        r = 0.0 if rel is None else rel[:, i, :, None, None]
        second = ab0 * (1.0 + r) / np.maximum(1.0 - ab0, 1e-12)
        first = np.broadcast_to(d.absence_factor, second.shape)
        absence = np.where((w == 0)[:, None, None, None], first, second)
        grads, imms, source = self._inflows(d.graduates, d.immigrants, c)
        out = Drivers(d.p_work, d.fte, grads, imms, absence, transfer_source=source)
        self._last = (d, out)
        return out

    def _inflows(
        self, graduates: np.ndarray, immigrants: np.ndarray, c: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The sources' inflows, rebuilt only when the scenario's inflows change (they are
        the largest arrays here: component draw × group × sex × age)."""
        key = (id(graduates), id(immigrants))
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        grads = graduates * (c == 1)[:, None, None, None]
        imms = immigrants * (c == 2)[:, None, None, None]
        # the moves caused by the graduates of the groups of packs[j], alone (source 3 + j)
        mask = np.zeros((len(c), len(self.inputs.groups)))
        for j, pack in enumerate(self.packs):
            mask[np.ix_(c == len(SOURCES) + j, list(pack))] = 1.0
        moved_by = np.broadcast_to(graduates, mask.shape + graduates.shape[-2:])
        out = (grads, imms, moved_by * mask[:, :, None, None])
        self._cache = (key, out, (graduates, immigrants))  # the arrays kept: ids stay theirs
        return out


@dataclass(frozen=True)
class Components:
    """(exit factor, alternative, source, weight, year, group) årsverk of the component runs,
    the alternatives they cover and the largest P of every year and group (the cap check)."""

    arsverk: np.ndarray
    alternatives: tuple[int, ...]
    p_max: np.ndarray
    """(year, group): the scenario's largest P over sex and age."""
    moves: tuple[tuple[int, int, int], ...] = ()
    """(source, origin group, destination group) of the sources after :data:`SOURCES`: the
    origin's part of that source is scaled by the destination's graduates factor."""
    headroom: np.ndarray | None = None
    """(group,) :func:`move_headroom` of the scenario (inf where no one leaves)."""


def components(inputs: Inputs, base: Any, alternatives: tuple[int, ...]) -> Components:
    """The component runs of a scenario's compiled supply path (one kernel call)."""
    path: Any = _ComponentPath(base, inputs, len(EXIT_GRID), len(alternatives))
    alt_of = np.asarray(alternatives)[path._index()[1]]  # noqa: SLF001
    q = personnel_mortality(inputs)
    res = run_supply(inputs, path, q, alt_of, clamp_moves=False)  # linear in the sources
    shape = (len(EXIT_GRID), len(alternatives), path.n_sources, 2, *res.arsverk.shape[1:])
    arsverk = res.arsverk.reshape(shape).copy()
    # Every run starts from the base-year stock: the inflow parts are the differences.
    arsverk[:, :, 1:] -= arsverk[:, :, :1]
    p_max = np.stack([base.at(i).p_work.max(axis=(0, 2, 3)) for i in range(len(inputs.years))])
    moves = tuple(
        (len(SOURCES) + j, int(o), h)
        for j, pack in enumerate(path.packs)
        for h in pack
        for o in np.flatnonzero(inputs.moves[:, h] > 0)
    )
    n_g = len(inputs.groups)
    headroom = move_headroom(inputs, base, alternatives[0]) if moves else np.full(n_g, np.inf)
    return Components(arsverk, tuple(alternatives), p_max, moves, headroom)


HEADROOM_SAFETY = 0.8
"""A draw takes the fast path only if its moves stay below this share of the headroom (the
exit factor and the population alternative change both sides a little)."""


def move_headroom(inputs: Inputs, base: Any, alternative: int) -> np.ndarray:
    """(group,): for each origin of moves by further education, the smallest ratio over its
    cells of the persons it would hold without any moves to the persons the moves take out
    (this year's and earlier years', as they would have survived), in the scenario's central
    projection; inf for groups no one leaves. A draw whose destination graduates factors
    stay below ``HEADROOM_SAFETY`` × this × its own inflow factors keeps every cell of the
    origin above zero, so the unlimited moves of the component runs are the loop's."""
    from dataclasses import replace

    q = personnel_mortality(inputs)
    alt = np.array([alternative])
    n_g = len(inputs.groups)
    without = replace(inputs, transitions=np.zeros((n_g, n_g)))
    kept = run_supply(without, base, q, alt, detail=True).cells["stock"][0]
    moved = (
        kept - run_supply(inputs, base, q, alt, detail=True, clamp_moves=False).cells["stock"][0]
    )
    out = np.full(n_g, np.inf)
    for o in np.flatnonzero(inputs.moves.sum(axis=1) > 0):
        m, k = moved[:, o], kept[:, o]
        where = m > 1e-9
        if where.any():
            out[o] = float((k[where] / m[where]).min())
    return out


def _moves_near_empty(comp: Components, v: dict[str, np.ndarray]) -> np.ndarray:
    """(draw,) draws whose moves by further education could empty a cell of their origin
    (:func:`move_headroom`): the year loop, which limits a move to the persons there, takes
    them."""
    near = np.zeros(v["graduates"].shape[0], dtype=bool)
    if comp.headroom is None:
        return near
    for o in {o for _, o, _ in comp.moves}:
        dests = [h for _, og, h in comp.moves if og == o]
        pull = v["graduates"][:, dests].max(axis=1)
        own = np.minimum(np.minimum(v["graduates"][:, o], v["immigrants"][:, o]), 1.0)
        near |= pull > HEADROOM_SAFETY * comp.headroom[o] * own
    return near


def _cubic(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices (…, 4) into EXIT_GRID and Lagrange weights (…, 4) for cubic interpolation in
    log x on the four nearest grid points."""
    g = np.log(EXIT_GRID)
    lx = np.log(x)
    j = np.clip(np.searchsorted(g, lx) - 2, 0, len(g) - 4)
    idx = j[..., None] + np.arange(4)
    nodes = g[idx]
    w = np.ones(idx.shape)
    for m in range(4):
        for n in range(4):
            if m != n:
                w[..., m] *= (lx - nodes[..., n]) / (nodes[..., m] - nodes[..., n])
    return idx, w


def fast_supply(
    comp: Components, draws: Draws, years: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """(draw, year, group) supply of the draws this covers, and the (draw,) mask of those it
    does not (to be run through the year loop; their rows are 0 here)."""
    v = draws.values
    t = np.arange(len(years), dtype=float)
    x = v["exits"]
    slow = ((x < EXIT_GRID[0]) | (x > EXIT_GRID[-1])).any(axis=1)
    slow |= ~np.isin(draws.alternative, comp.alternatives)
    p_top = comp.p_max[None] * (1.0 + v["p_drift"][:, None, :] * t[None, :, None])
    slow |= (p_top > 1.0).any(axis=(1, 2))
    slow |= _moves_near_empty(comp, v)
    n, n_y, n_g = draws.n, len(years), x.shape[1]
    out = np.zeros((n, n_y, n_g))
    xs = np.clip(x, EXIT_GRID[0], EXIT_GRID[-1])
    idx, w = _cubic(xs)  # (draw, group, 4)
    for ai, alt in enumerate(comp.alternatives):
        rows = np.flatnonzero((draws.alternative == alt) & ~slow)
        if rows.size == 0:
            continue
        m = comp.arsverk[:, ai]  # (exit, source, weight, year, group)
        for g in range(n_g):
            # the three sources and the moves out of g (by the destination h's graduates)
            out_of_g = [(src, h) for src, o, h in comp.moves if o == g]
            sources = list(range(len(SOURCES))) + [src for src, _ in out_of_g]
            m_g = m[..., g][:, sources]  # (exit, source, weight, year)
            # (row, 4, source, weight, year) → (row, source, weight, year)
            at = np.einsum("rk,rkswy->rswy", w[rows, g], m_g[idx[rows, g]])
            fg, fi = v["graduates"][rows, g], v["immigrants"][rows, g]
            mix = at[:, 0] + fg[:, None, None] * at[:, 1] + fi[:, None, None] * at[:, 2]
            for k, (_, h) in enumerate(out_of_g):
                mix += v["graduates"][rows, h][:, None, None] * at[:, len(SOURCES) + k]
            drift = (1.0 + v["p_drift"][rows, g][:, None] * t) * (
                1.0 + v["e_drift"][rows, g][:, None] * t
            )
            sick = v["sick_leave_drift"][rows, g][:, None] * t
            out[rows, :, g] = drift * (mix[:, 0] - sick * mix[:, 1])
    return out, slow
