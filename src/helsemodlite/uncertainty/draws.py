"""Sampling the declared uncertainty: one value of every input per draw, from a master seed.

All draws are sampled up front (a few numbers per draw and group), so the values of draw k do
not depend on how the projection is chunked. Draw 0 is the reference: every input at its
centre (factor 1, drift 0, the mean, the mode, the most likely alternative).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .spec import Uncertain, UncertaintySpec

HEALTHY_GRID = 0.1
"""Healthier-ageing strengths are drawn on this grid (the demand index is computed once per
grid value and population alternative)."""

GROUP_INPUTS = (
    "graduates",
    "immigrants",
    "exits",
    "p_drift",
    "e_drift",
    "sick_leave_drift",
    "staffing_drift",
)
"""Inputs with one value per draw and group (a common value where not by group)."""
SCALAR_INPUTS = ("standardvekst", "friskere_aldring", "initial_shortage")
LINEAR_DRIFTS = ("p_drift", "e_drift", "sick_leave_drift")
"""Drifts that act as (1 + d·t): kept above −1/horizon."""


@dataclass(frozen=True)
class Draws:
    """Sampled inputs: arrays (draw, group) for :data:`GROUP_INPUTS`, (draw,) for the rest."""

    values: dict[str, np.ndarray]
    alternative: np.ndarray
    """(draw,) index into the inputs' population alternatives."""
    seed: int

    @property
    def n(self) -> int:
        return len(self.alternative)

    def chunk(self, lo: int, hi: int) -> Draws:
        return self.take(np.arange(lo, min(hi, self.n)))

    @staticmethod
    def concat(parts: list[Draws]) -> Draws:
        """The draws of ``parts`` one after the other."""
        return Draws(
            {k: np.concatenate([p.values[k] for p in parts]) for k in parts[0].values},
            np.concatenate([p.alternative for p in parts]),
            parts[0].seed,
        )

    def with_input(self, name: str, other: Draws) -> Draws:
        """These draws with input ``name`` (``befolkning``: the alternative) taken from
        ``other`` (a Sobol design's A with column i from B)."""
        if name == "befolkning":
            return Draws(self.values, other.alternative, self.seed)
        return Draws({**self.values, name: other.values[name]}, self.alternative, self.seed)

    def take(self, rows: np.ndarray) -> Draws:
        """The draws ``rows`` (indices), in that order."""
        return Draws(
            {k: v[rows] for k, v in self.values.items()}, self.alternative[rows], self.seed
        )


def _normal(rng: np.random.Generator, u: Uncertain, n: int, n_g: int, sd: np.ndarray) -> np.ndarray:
    """Standard normal (draw, group) with the declared common share, times the sd per group.
    Each draw's numbers are consecutive in the stream, so draw k is the same for any n."""
    if not u.by_group:
        return np.repeat(rng.standard_normal((n, 1)), n_g, axis=1) * sd[None, :]
    c = u.correlation
    z = rng.standard_normal((n, 1 + n_g))
    return (np.sqrt(c) * z[:, :1] + np.sqrt(1.0 - c) * z[:, 1:]) * sd[None, :]


CENTRES = {
    "graduates": 1.0,
    "immigrants": 1.0,
    "exits": 1.0,
    "p_drift": 0.0,
    "e_drift": 0.0,
    "sick_leave_drift": 0.0,
    "staffing_drift": 0.0,
    "friskere_aldring": 1.0,
    "initial_shortage": 1.0,
}
"""The reference value of every input (standardvekst: the inputs' standard growth)."""


def _draw_scalar(rng: np.random.Generator, u: Uncertain, centre: float, n: int) -> np.ndarray:
    p = u.params
    if u.distribution == "triangular":
        return (
            rng.triangular(p["lo"], p["mode"], p["hi"], n)
            if p["lo"] < p["hi"]
            else np.full(n, p["mode"])
        )
    x = rng.normal(p.get("mean", centre), p["sd"], n)
    return np.clip(x, p.get("lo", -np.inf), p.get("hi", np.inf))


def sample(
    spec: UncertaintySpec,
    groups: tuple[str, ...],
    alternatives: tuple[str, ...],
    reference_alternative: int,
    standard_growth: float,
    n: int,
    seed: int,
    *,
    reference_first: bool = True,
    stream: np.random.SeedSequence | None = None,
    horizon: int | None = None,
) -> Draws:
    """``n`` draws (draw 0 the reference unless not ``reference_first``) from ``seed``. Every
    input has its own stream (``SeedSequence(seed).spawn``, in the fixed order of the
    declarations), so switching one input off leaves the others' draws unchanged. ``stream``
    replaces ``SeedSequence(seed)`` (a Sobol design's two independent samples). ``horizon``
    (years after the base year): the linear drifts are kept above −1/horizon, so that P, E and
    the sick-leave share times (1 + d·t) never turn negative."""
    from .spec import INPUTS

    n_g = len(groups)
    root = np.random.SeedSequence(seed) if stream is None else stream
    streams = dict(zip(INPUTS, root.spawn(len(INPUTS)), strict=True))
    centres = {**CENTRES, "standardvekst": standard_growth}
    values: dict[str, np.ndarray] = {}
    for name in GROUP_INPUTS:
        u = spec.inputs.get(name)
        out = np.full((n, n_g), centres[name])
        if u is not None and not u.is_zero:
            rng = np.random.default_rng(streams[name])
            sd = np.array([u.group_sd.get(g, u.params["sd"]) for g in groups])
            z = _normal(rng, u, n, n_g, sd)
            if u.distribution == "lognormal":
                out = np.exp(z)
            else:
                out = np.clip(
                    u.params.get("mean", centres[name]) + z,
                    u.params.get("lo", -np.inf),
                    u.params.get("hi", np.inf),
                )
        values[name] = out
    for name in SCALAR_INPUTS:
        u = spec.inputs.get(name)
        out1 = np.full(n, centres[name])
        if u is not None and not u.is_zero:
            out1 = _draw_scalar(np.random.default_rng(streams[name]), u, centres[name], n)
        values[name] = out1
    if horizon:
        for name in LINEAR_DRIFTS:
            np.maximum(values[name], -1.0 / horizon, out=values[name])
    for name in ("friskere_aldring", "initial_shortage"):  # strengths and factors: never < 0
        values[name] = np.maximum(values[name], 0.0)
    values["friskere_aldring"] = np.round(values["friskere_aldring"] / HEALTHY_GRID) * HEALTHY_GRID
    alt = np.full(n, reference_alternative, dtype=np.int64)
    u = spec.inputs.get("befolkning")
    if u is not None and not u.is_zero:
        names = list(u.weights)
        p = np.array([u.weights[k] for k in names])
        picks = np.random.default_rng(streams["befolkning"]).choice(len(names), size=n, p=p)
        alt = np.array([alternatives.index(names[i]) for i in picks], dtype=np.int64)
    if reference_first:
        for name, v in values.items():  # draw 0: the reference
            v[0] = centres[name]
        alt[0] = reference_alternative
    return Draws(values, alt, seed)
