"""Supply and demand paths for a batch of draws: the reference, and scenarios applied to it.

A path turns the inputs and each draw's hook settings into the parameters in force in each year,
with a leading draw axis; the kernels in :mod:`.engine` only read them. Every hook is
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
from typing import Any

import numpy as np

from .. import dims
from .engine import DemandPlan, Drivers
from .inputs import Inputs

OUTSIDE = dims.OUTSIDE_TARGET

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

    The calibrated factors of each group scale its graduates and immigrants (the exit factor
    acts in the engine).
    """

    inputs: Inputs
    n_draws: int = 1

    def __post_init__(self) -> None:
        cal = self.inputs.calibration
        self._drivers = Drivers(
            p_work=self.inputs.p_work[None],
            fte=self.inputs.fte[None],
            graduates=(self.inputs.graduates * cal.graduates_factor[:, None, None])[None],
            immigrants=(self.inputs.immigrants * cal.immigrants_factor[:, None, None])[None],
            absence_factor=np.ones((1, 1, 1, 1)),
        )

    def at(self, i: int) -> Drivers:
        return self._drivers

    def stock_groups(self) -> np.ndarray:
        return np.zeros(self.n_draws, dtype=np.int64)

    def exit_factors(self) -> None:
        return None


def reference_demand_plan(inputs: Inputs, n_draws: int = 1) -> DemandPlan:
    rate = np.full(len(inputs.years), inputs.parameters["standard_growth"])
    rate[0] = 0.0
    growth = np.cumprod(1.0 + rate)  # (1 + r)^t, computed as the scenario hook computes it
    t = np.arange(len(inputs.years))
    return DemandPlan(
        alternative=np.full(n_draws, inputs.alternative_index),
        healthy_ageing=np.ones((n_draws, len(t))),
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

    ``values``: (group, sex, age); ``shift``, ``from_age``: (draw, group). Returns
    (draw, group, sex, age).
    """
    a = ages.astype(float)
    src = a - np.where(a >= from_age[..., None], shift[..., None], 0.0)  # (draw, group, age)
    pos = np.clip(src - a[0], 0.0, len(a) - 1.0)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, len(a) - 1)
    frac = (pos - lo)[:, :, None, :]
    shape = (shift.shape[0], *values.shape)
    v = np.broadcast_to(values[None], shape)
    take = lambda idx: np.take_along_axis(v, np.broadcast_to(idx[:, :, None, :], shape), axis=-1)  # noqa: E731
    return take(lo) * (1 - frac) + take(hi) * frac


@dataclass
class ScenarioPath:
    """Supply path of a batch of scenarios (one draw each). Implements ``SupplyPath``.

    Every hook holds its value in force and its effect weight per (draw, year, group), so that
    one file can give each group its own value and any value can follow a year path."""

    inputs: Inputs
    n_draws: int
    # Values in force and phase weights, built by :func:`..scenarios.compile.scenario_paths`.
    exit_years: np.ndarray | None = None  # (draw, year, group) exit postponed by this many years
    exit_from: np.ndarray | None = None  # (draw, group) from this age
    w_exit: np.ndarray | None = None  # (draw, year, group)
    pos_rel: np.ndarray | None = None  # (draw, year, group)
    pos_abs: np.ndarray | None = None
    pos_cap: np.ndarray | None = None  # (draw, group)
    pos_person: np.ndarray | None = None  # (draw, group): 1 = cap per person (fulltime_share)
    pos_mask: np.ndarray | None = None  # (draw, group, 1, age) bool
    w_pos: np.ndarray | None = None  # (draw, year, group)
    sen_rel: np.ndarray | None = None  # (draw, year, group)
    sen_abs: np.ndarray | None = None
    sen_mask: np.ndarray | None = None  # (draw, group, 1, age)
    w_sen: np.ndarray | None = None
    sick_rel: np.ndarray | None = None  # (draw, year, group): r·w
    grad_factor: np.ndarray | None = None  # (draw, year, group)
    imm_factor: np.ndarray | None = None  # (draw, year, group)
    _last_key: bytes | None = field(default=None, init=False, repr=False)
    _last: Drivers | None = field(default=None, init=False, repr=False)
    _shifted: dict[bytes, tuple[np.ndarray, np.ndarray]] = field(
        default_factory=dict, init=False, repr=False
    )

    def _year_key(self, i: int) -> bytes:
        """Everything that varies by year; equal keys give identical drivers."""
        parts = (
            self.w_exit,
            self.exit_years,
            self.w_pos,
            self.pos_rel,
            self.pos_abs,
            self.w_sen,
            self.sen_rel,
            self.sen_abs,
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

    def exit_factors(self) -> None:
        return None

    def at(self, i: int) -> Drivers:
        """Drivers of year index i; the same object as the previous year's when no value or
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

    def _exit_profiles(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """(P, E) read at a − years of year i: (draw, group, sex, age), memoised by the shift."""
        assert self.exit_years is not None and self.exit_from is not None
        shift = np.ascontiguousarray(self.exit_years[:, i])
        key = shift.tobytes()
        if key not in self._shifted:  # computed once per distinct (shift, from_age) row
            ages = np.asarray(self.inputs.ages)
            rows = np.concatenate([shift, self.exit_from], axis=1)
            uniq, inverse = np.unique(rows, axis=0, return_inverse=True)
            n_g = shift.shape[1]
            u_shift, u_from = uniq[:, :n_g], uniq[:, n_g:]
            inverse = np.asarray(inverse).ravel()
            self._shifted[key] = (
                _age_shift(self.inputs.p_work, u_shift, u_from, ages)[inverse],
                _age_shift(self.inputs.fte, u_shift, u_from, ages)[inverse],
            )
        return self._shifted[key]

    def _compute(self, i: int) -> Drivers:
        inp = self.inputs
        cal = inp.calibration
        p = inp.p_work[None]
        e = inp.fte[None]
        if self.w_exit is not None:
            shift_p, shift_e = self._exit_profiles(i)
            w = self.w_exit[:, i, :, None, None]
            p = _blend(p, shift_p, w)
            e = _blend(e, shift_e, w)
        if self.w_sen is not None:
            assert self.sen_rel is not None and self.sen_abs is not None
            assert self.sen_mask is not None
            full = p * (1 + self.sen_rel[:, i, :, None, None])
            full += self.sen_abs[:, i, :, None, None]
            np.clip(full, 0.0, 1.0, out=full)
            full = np.where(self.sen_mask, full, p)
            p = _blend(p, full, self.w_sen[:, i, :, None, None])
        if self.w_pos is not None:
            assert self.pos_rel is not None and self.pos_abs is not None
            assert self.pos_cap is not None and self.pos_mask is not None
            cap = self.pos_cap[:, :, None, None]
            rel = self.pos_rel[:, i, :, None, None]
            add = self.pos_abs[:, i, :, None, None]
            if self.pos_person is None or not self.pos_person.any():
                full = _raise_capped(e, rel, add, cap)
            else:  # two points: full-timers at 1 and part-timers at the mean that gives E
                f = np.minimum(inp.fulltime_share[None], e) * self.pos_person[:, :, None, None]
                part = np.divide(e - f, 1.0 - f, out=np.zeros_like(e * f), where=f < 1.0)
                full = f * _raise_capped(np.ones_like(e), rel, add, cap)
                full += (1.0 - f) * _raise_capped(part, rel, add, cap)
            full = np.where(self.pos_mask, full, e)
            e = _blend(e, full, self.w_pos[:, i, :, None, None])
        grads = inp.graduates * cal.graduates_factor[:, None, None]
        imms = inp.immigrants * cal.immigrants_factor[:, None, None]
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


def _raise_capped(e: np.ndarray, rel: np.ndarray, add: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """E after a change of ``rel`` (relative) and ``add`` (points): raising never pushes a value
    above the cap and never lowers one already above it; a negative change is not capped."""
    new = e * (1 + rel)
    new += add
    raised = new >= e
    up = np.minimum(new, cap)
    np.maximum(up, e, out=up)
    np.maximum(new, 0.0, out=new)
    np.copyto(new, up, where=raised)  # three temporaries instead of six (a batch's cells)
    return new


@dataclass
class DemandAdjustments:
    """Demand hooks applied to the (draw, year, service, category) cells, in this order:
    produktivitet and tidstyver (multiplicative reductions), then oppgavedeling (moves)."""

    factor: np.ndarray | None = None  # (draw, year, service, category) multiplicative
    shifts: list[list[dict[str, Any]]] = field(default_factory=list)  # per draw
    notes: list[tuple[int, str]] = field(default_factory=list)
    """(draw, text) of what a user must know: a shift that asked for more than the group has
    (capped), a rule that could not be applied (set when compiling)."""

    def apply(self, cells: np.ndarray) -> np.ndarray:
        if self.factor is not None:
            cells = cells * self.factor
        for d, shifts in enumerate(self.shifts):
            for s in shifts:
                sel = s["services"]  # index array
                w = s["weight"]  # (year,)
                total = cells[d, :, :, s["from"]][:, sel]  # (year, service)
                if s["share"] is not None:
                    share = np.asarray(s["share"], dtype=float)  # (year,)
                else:
                    ref = total[s["full_index"]].sum()
                    asked = float(s["arsverk"][s["full_index"]])
                    if asked > ref:
                        self.notes.append(
                            (
                                d,
                                f"oppgavedeling from {s['from_id']}: asked to move "
                                f"{asked:.0f} årsverk, but the group has only {ref:.0f} "
                                f"in the service area(s) in {s['full_year']}; capped at all of it",
                            )
                        )
                    share = np.minimum(1.0, s["arsverk"] / ref) if ref > 1e-9 else np.zeros(len(w))
                moved = total * (w * share)[:, None]
                for j, k in enumerate(sel):
                    cells[d, :, k, s["from"]] -= moved[:, j]
                    if s["to"] is not None:
                        cells[d, :, k, s["to"]] += s["conversion"] * moved[:, j]
        return cells
