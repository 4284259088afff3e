"""Sobol indices of the gap: a variance decomposition with its own sampling (docs/uncertainty.md).

The rank regression of :meth:`.simulate.Simulation.drivers` reads the ranking off the ordinary
draws; it assumes the gap is close to monotone and additive in the inputs. The Sobol design
does not: two independent samples A and B of ``n`` draws each and, for every declared input i,
A with input i taken from B (AB_i) - ``n·(k + 2)`` projections for k inputs, run by the same
chunked runner. A block input (one value per group) is one factor, as in the driver ranking;
the population alternative is one factor. Estimators of Saltelli et al. (2010), first order

    S_i = mean(f_B · (f_ABi − f_A)) / V,

and Jansen's total order ST_i = mean((f_A − f_ABi)²) / (2V), with V the variance of f over A
and B together; 95 % intervals from a bootstrap over the ``n`` rows. Plain pseudo-random
samples (scipy's quasi-random Sobol sequence is not on the runtime path): the intervals show
what ``n`` buys.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .. import dims
from ..checks import whole
from ..errors import ConfigError
from ..model.inputs import Inputs
from .draws import Draws, sample
from .simulate import MAX_CHUNK, _compile, _prepare, _with_sum, run_chunks
from .spec import INPUTS, UncertaintySpec

BOOTSTRAP = 200
MAX_N = 50_000
"""The largest design: 650 000 draws of every input for 11 inputs (about 0.5 GB)."""


def sobol(
    inputs: Inputs,
    spec: UncertaintySpec,
    scenario: Any = None,
    *,
    n: int = 1000,
    seed: int = 0,
    year: int = 2040,
    chunk: int = 1000,
    executor: Any = None,
) -> pd.DataFrame:
    """``group, input, label, S1, S1_lo, S1_hi, ST, ST_lo, ST_hi`` of the gap in ``year`` for
    every group and the Sum (the inputs with a width; largest ST first within a group).
    ``attrs``: ``n``, ``runs`` (projections), ``seed``, ``year``, ``variance`` per group."""
    n, chunk, seed = (
        whole(value, f"sobol: {key}", low=low)
        for key, value, low in (("n", n, 10), ("chunk", chunk, 1), ("seed", seed, 0))
    )
    year = whole(year, "sobol: year")
    if year not in inputs.years[1:]:
        raise ConfigError(
            f"sobol: year {year} is not a projection year ({inputs.years[1]}–{inputs.years[-1]})"
        )
    if n > MAX_N:
        raise ConfigError(
            f"sobol: n must be at most {MAX_N} (the design holds n × (inputs + 2) draws of every "
            f"input; n = 1 000 gives intervals of about ±0.05), got {n}"
        )
    if chunk > MAX_CHUNK:
        raise ConfigError(f"sobol: chunk must be at most {MAX_CHUNK}, got {chunk}")
    factors = [name for name, u in spec.inputs.items() if not u.is_zero]
    if not factors:
        raise ConfigError("sobol: every declared input has a width of 0; nothing to decompose")
    stream_a, stream_b = np.random.SeedSequence(seed).spawn(2)
    args = (
        spec,
        inputs.groups,
        inputs.alternatives,
        inputs.alternative_index,
        float(inputs.parameters["standard_growth"]),
        n,
        seed,
    )
    horizon = len(inputs.years) - 1
    a = sample(*args, reference_first=False, stream=stream_a, horizon=horizon)
    b = sample(*args, reference_first=False, stream=stream_b, horizon=horizon)
    design = Draws.concat([a, b, *(a.with_input(f, b) for f in factors)])
    compiled = _compile(inputs, scenario)
    if executor is not None:
        _prepare(inputs, compiled, design.alternative)
    parts = [design.chunk(lo, lo + chunk) for lo in range(0, design.n, chunk)]
    yi = inputs.years.index(year)
    gap = np.empty((design.n, len(inputs.groups) + 1))
    for (lo, hi), (s, d) in run_chunks(inputs, compiled, None, parts, "auto", executor):
        gap[lo:hi] = _with_sum(s - d)[:, yi, :]
    f = gap.reshape(len(factors) + 2, n, -1)  # (A, B, AB_1 … AB_k) × row × group
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(3)[2])
    boot = rng.integers(0, n, size=(BOOTSTRAP, n))
    rows = []
    variance = {}
    for gi, group in enumerate((*inputs.groups, dims.SUM_LABEL)):
        fa, fb, fab = f[0, :, gi], f[1, :, gi], f[2:, :, gi]
        s1, st, v = _indices(fa[None], fb[None], fab[:, None])
        s1_b, st_b, _ = _indices(fa[boot], fb[boot], fab[:, boot])
        variance[group] = float(v[0])
        for k, name in enumerate(factors):
            rows.append(
                (
                    group,
                    name,
                    INPUTS[name].label,
                    s1[k, 0],
                    *np.quantile(s1_b[k], (0.025, 0.975)),
                    st[k, 0],
                    *np.quantile(st_b[k], (0.025, 0.975)),
                )
            )
    cols = ["group", "input", "label", "S1", "S1_lo", "S1_hi", "ST", "ST_lo", "ST_hi"]
    out = pd.DataFrame(rows, columns=cols)
    order = {g: i for i, g in enumerate((*dims.PUBLICATION_ORDER, dims.SUM_LABEL))}
    out = out.sort_values(
        ["group", "ST"],
        key=lambda s: s.map(order) if s.name == "group" else -s,
        kind="mergesort",
    ).reset_index(drop=True)
    out.attrs.update(n=n, runs=design.n, seed=seed, year=year, variance=variance)
    return out


def _indices(
    fa: np.ndarray, fb: np.ndarray, fab: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """First and total order (factor, sample) from f_A, f_B (sample, row) and f_ABi (factor,
    sample, row); a sample of zero variance gives 0."""
    v = np.concatenate([fa, fb], axis=-1).var(axis=-1)
    safe = np.where(v > 0, v, 1.0)
    s1 = (fb[None] * (fab - fa[None])).mean(axis=-1) / safe
    st = 0.5 * ((fa[None] - fab) ** 2).mean(axis=-1) / safe
    zero = v <= 0
    return np.where(zero, 0.0, s1), np.where(zero, 0.0, st), v
