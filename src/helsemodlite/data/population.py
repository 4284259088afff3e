"""Population module: a cohort-component projection of Norway by sex and single age.

The projection runs from the registered population on 1 January 2024 (SSB table 07459) to
1 January 2050 for each of SSB's three national alternatives of the 2024 round (``MMMM``,
``HHMH``, ``LLML``; letters = fertility, life expectancy, internal migration, immigration).
SSB's projection by age is not available here, only its national totals (table 14288), so this
module rebuilds an age profile that is consistent with those totals:

- **mortality**: UN WPP 2024 central death rates ``mx`` (5-year groups, 5-year periods),
  interpolated log-linearly to single ages and single years, turned into the probability that a
  person aged ``a`` on 1 January dies during the year (a Lexis parallelogram); the level at
  80+ is corrected so that the registered populations 2024-2026 add up, and the post-2024
  decline of log ``mx`` is scaled (the main alternative so that the population 80+ grows as in
  SSB's 2022 round, H faster, L slower);
- **fertility**: a gamma-shaped age schedule (ages 15-49) times a total fertility rate path per
  alternative; births of year ``t`` come from the mean of women on 1 January ``t`` and ``t+1``;
- **net migration**: a Rogers-Castro age profile times an annual level; the level path (a few
  knots, linearly interpolated) is fitted by least squares so that the projected totals match
  SSB 14288 for every year 2025-2050.

All parameters live in ``inputs/assumptions/population.toml``; the calibrated migration levels
and the fit residuals are written to ``inputs/assumptions/population_calibration.csv`` as a
documentation artefact (see :func:`write_calibration_artefact`). The build is deterministic.

Array conventions (see :mod:`helsemodlite.dims`): population arrays are ``(..., year, sex, age)``
with ``sex`` in ``dims.SEXES`` order and ``age`` = ``dims.POP_AGES`` (105 = 105+); any leading
axes (``...``, e.g. a draw or alternative axis) broadcast through :func:`project_cohorts`.
Units: persons (stocks and flows), deaths per person-year (``mx``), probabilities (``q``),
births per woman-year (age-specific fertility rates).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import dims
from ..errors import InputError
from ..model.cohort import cohort_step
from .catalogue import source_file
from .population_rates import (
    CALIBRATION_FILE,
    N_AGES,
    N_SEXES,
    POPULATION_SOURCE,
    PROJECTION_SOURCE,
    SEX_INDEX,
    death_probability,
    fertility_schedule,
    interpolate_mx,
    interpolate_path,
    knot_matrix,
    load_assumptions,
    migration_profile,
    read_projection_totals,
    read_registered_population,
    read_wpp_mx,
    rogers_castro,
)

# --------------------------------------------------------------------------------------------
# The cohort-component step
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CohortProjection:
    """Stocks and flows of a cohort-component projection (persons).

    ``population`` is ``(..., year, sex, age)`` on 1 January for the ``T + 1`` years
    ``t0 .. t0 + T``; the flows are ``(..., T, ...)`` for the ``T`` calendar years
    ``t0 .. t0 + T - 1``: ``deaths`` (sex, age at 1 January of the year of death; survivors of
    the year's births are not included here), ``infant_deaths`` (sex; deaths among the year's
    births before 1 January), ``births`` (sex), ``migration`` (sex, age on the following
    1 January). Identity: ``population[t+1, :, a+1] = population[t, :, a] - deaths[t, :, a] +
    migration[t, :, a+1]`` (the open age also keeps its own survivors) and
    ``population[t+1, :, 0] = births[t] - infant_deaths[t] + migration[t, :, 0]``.
    """

    population: np.ndarray
    deaths: np.ndarray
    births: np.ndarray
    infant_deaths: np.ndarray
    migration: np.ndarray


def project_cohorts(
    base: np.ndarray,
    q: np.ndarray,
    fertility: np.ndarray,
    migration: np.ndarray,
    *,
    sex_ratio_at_birth: float = 1.055,
    infant_q: np.ndarray | None = None,
    birth_exposure: str = "mean",
) -> CohortProjection:
    """Project a population by sex and age over ``T`` years, one loop over years.

    Arrays (leading axes ``...`` broadcast, e.g. a draw or alternative axis):

    - ``base``: ``(..., sex, age)`` persons on 1 January of the first year;
    - ``q``: ``(..., T, sex, age)`` probability of dying during year ``t`` for persons aged
      ``a`` on 1 January ``t`` (the last age is open);
    - ``fertility``: ``(..., T, age)`` births per woman-year by age of mother (completed age);
    - ``migration``: ``(..., T, sex, age)`` net migrants during year ``t`` by age on 1 January
      ``t + 1`` (added at the end of the year, not exposed to mortality in the year of arrival);
    - ``infant_q``: ``(..., T, sex)`` probability that a child born during ``t`` dies before
      1 January ``t + 1`` (default 0);
    - ``birth_exposure``: ``"mean"`` = women exposed are the mean of women on 1 January ``t``
      and ``t + 1`` (the latter after migration); ``"start"`` = women on 1 January ``t``.

    Sex index 0 must be female (``dims.SEXES``). Births are split by ``sex_ratio_at_birth``
    (boys per girl). Returns a :class:`CohortProjection`.
    """
    base = np.asarray(base, dtype=float)
    q = np.asarray(q, dtype=float)
    n_years = q.shape[-3]
    lead = np.broadcast_shapes(
        base.shape[:-2], q.shape[:-3], fertility.shape[:-2], migration.shape[:-3]
    )
    if infant_q is None:
        infant_q = np.zeros(lead + (n_years, N_SEXES))
    if birth_exposure not in ("mean", "start"):
        raise ValueError("birth_exposure must be 'mean' or 'start'")
    girl_share = 1.0 / (1.0 + sex_ratio_at_birth)
    sex_split = np.array([girl_share if s == "F" else 1.0 - girl_share for s in dims.SEXES])
    female = SEX_INDEX["F"]

    n_ages = base.shape[-1]
    pop = np.zeros(lead + (n_years + 1, N_SEXES, n_ages))
    deaths = np.zeros(lead + (n_years, N_SEXES, n_ages))
    births = np.zeros(lead + (n_years, N_SEXES))
    infant_deaths = np.zeros(lead + (n_years, N_SEXES))
    mig = np.broadcast_to(migration, lead + (n_years, N_SEXES, n_ages))
    pop[..., 0, :, :] = base
    for t in range(n_years):
        current = pop[..., t, :, :]
        step = cohort_step(current, q[..., t, :, :], None, (mig[..., t, :, :],), open_top=True)
        dead, nxt = step.deaths, step.stock
        women = current[..., female, :]
        if birth_exposure == "mean":
            women = 0.5 * (women + nxt[..., female, :])
        total_births = np.sum(women * fertility[..., t, :], axis=-1)
        born = total_births[..., None] * sex_split
        inf_dead = born * infant_q[..., t, :]
        nxt[..., 0] += born - inf_dead
        pop[..., t + 1, :, :] = nxt
        deaths[..., t, :, :] = dead
        births[..., t, :] = born
        infant_deaths[..., t, :] = inf_dead
    return CohortProjection(
        population=pop,
        deaths=deaths,
        births=births,
        infant_deaths=infant_deaths,
        migration=np.array(mig),
    )


def accounting_residual(proj: CohortProjection) -> float:
    """Largest absolute violation (persons) of the cohort identity of :class:`CohortProjection`."""
    pop = proj.population
    expected = np.zeros_like(pop[..., 1:, :, :])
    surv = pop[..., :-1, :, :] - proj.deaths
    expected[..., 1:] = surv[..., :-1]
    expected[..., -1] += surv[..., -1]
    expected += proj.migration
    expected[..., 0] += proj.births - proj.infant_deaths
    return float(np.max(np.abs(pop[..., 1:, :, :] - expected)))


def residual_net_migration(pop_start: np.ndarray, pop_end: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Net migration implied by two registered populations a year apart (residual method).

    ``pop_start``, ``pop_end``: ``(sex, age)`` persons on 1 January ``t`` and ``t + 1``; ``q``:
    ``(sex, age)`` death probabilities of year ``t``. Returns ``(sex, age)`` net migrants by age
    on 1 January ``t + 1``; age 0 is NaN (births are not in the sources). Errors in ``q`` end up
    in the residual, which matters at old ages.
    """
    survivors = pop_start * (1.0 - q)
    res = np.full(pop_end.shape, np.nan)
    res[:, 1:] = pop_end[:, 1:] - survivors[:, :-1]
    res[:, -1] -= survivors[:, -1]
    return res


RC_PARAMETERS = ("a1", "alpha1", "a2", "mu2", "alpha2", "lambda2")


def estimate_migration_profile(
    registered: dict[int, np.ndarray], q: np.ndarray, ages: tuple[int, int] = (1, 79)
) -> tuple[dict[str, float], float]:
    """Estimate the Rogers-Castro shape and the male share from registered populations.

    ``registered``: ``{year: (sex, age)}`` for consecutive years starting at
    ``dims.BASE_YEAR``; ``q``: ``(year, sex, age)`` death probabilities from ``dims.BASE_YEAR``.
    The residual net migration (:func:`residual_net_migration`) of every available year is
    pooled over years and sexes; the age shares over ``ages`` (inclusive; old ages are left
    out because there the residual mostly reflects mortality error) are fitted by least
    squares with ``c = 0``; ``a1`` and ``a2`` are then scaled so that the schedule sums to 1
    over ``dims.POP_AGES``. Returns ``(parameters, male_share)``. This is how the values in
    ``population.toml`` [migration.profile] were obtained; the build does not call it.
    """
    from scipy.optimize import least_squares

    years = sorted(registered)
    pooled = np.zeros((N_SEXES, N_AGES))
    for i, year in enumerate(years[:-1]):
        res = residual_net_migration(registered[year], registered[year + 1], q[i])
        pooled += np.nan_to_num(res)
    lo, hi = ages
    x = np.arange(lo, hi + 1, dtype=float)
    observed = pooled[:, lo : hi + 1].sum(axis=0)
    observed = observed / observed.sum()

    def residuals(theta: np.ndarray) -> np.ndarray:
        fitted = rogers_castro(x, dict(zip(RC_PARAMETERS, theta, strict=True)))
        return fitted / fitted.sum() - observed

    fit = least_squares(
        residuals,
        [0.02, 0.1, 0.06, 20.0, 0.1, 0.4],
        bounds=([0, 0, 0, 10, 0, 0], [1, 1, 1, 40, 1, 2]),
        xtol=1e-12,
        ftol=1e-12,
    )
    params = {k: float(v) for k, v in zip(RC_PARAMETERS, fit.x, strict=True)}
    params["c"] = 0.0
    # The shares fix a1 and a2 only up to a common factor: scale them so that the schedule
    # sums to 1 over ages 0..105 (unit gross migraproduction, the Rogers-Castro convention).
    total = rogers_castro(np.arange(N_AGES, dtype=float), params).sum()
    params["a1"] /= total
    params["a2"] /= total
    net = pooled[:, 1:].sum(axis=1)
    return params, float(net[SEX_INDEX["M"]] / net.sum())


# --------------------------------------------------------------------------------------------
# Inputs of one alternative, calibration and the build
# --------------------------------------------------------------------------------------------


def old_age_level(assumptions: dict[str, Any]) -> tuple[float, int]:
    """``(factor, from_age)`` of ``[mortality.old_age_level]``: the factor on the death rates
    of every year at ages ``from_age`` and above; ``(1.0, 80)`` (no correction) when the entry
    is absent, as in inputs directories exported before it existed."""
    entry = assumptions["mortality"].get("old_age_level")
    if entry is None:
        return 1.0, 80
    return float(entry["value"]), int(entry["from_age"])


def estimate_old_age_level(
    registered: dict[int, np.ndarray],
    mx: np.ndarray,
    profile: np.ndarray,
    from_age: int = 80,
) -> float:
    """The factor on the death rates at ``from_age``+ that makes the registered populations
    add up (residual method, :func:`residual_net_migration`).

    ``registered``: ``{year: (sex, age)}`` for consecutive years from ``dims.BASE_YEAR``;
    ``mx``: ``(year, sex, age)`` death rates from ``dims.BASE_YEAR`` before any correction;
    ``profile``: the ``(sex, age)`` net-migration schedule (sums to 1). Over all year pairs
    together, the residual at ``from_age``+ (registered minus survivors) is set equal to the
    migrants the schedule puts there (its share of the year's residual net migration at ages
    1+); the factor is found by root finding. This is how the value in ``population.toml``
    ``[mortality.old_age_level]`` was obtained; the build does not call it.
    """
    from scipy.optimize import brentq

    years = sorted(registered)
    share = float(profile[:, from_age:].sum())

    def excess(factor: float) -> float:
        total = 0.0
        for i, year in enumerate(years[:-1]):
            m = mx[i].copy()
            m[:, from_age:] *= factor
            res = residual_net_migration(
                registered[year], registered[year + 1], death_probability(m)
            )
            total += float(np.nansum(res[:, from_age:]) - share * np.nansum(res[:, 1:]))
        return total

    return float(brentq(excess, 0.5, 2.0, xtol=1e-10))


@dataclass(frozen=True)
class AlternativeInputs:
    """Rates of one population alternative over ``years`` (``dims.YEARS``).

    ``mx``, ``q``: ``(year, sex, age)``; ``infant_q``: ``(year, sex)``; ``fertility``:
    ``(year, age)`` births per woman-year; ``tfr``: ``(year,)``.
    """

    mx: np.ndarray
    q: np.ndarray
    infant_q: np.ndarray
    fertility: np.ndarray
    tfr: np.ndarray


def alternative_inputs(
    alternative: str,
    assumptions: dict[str, Any],
    wpp: tuple[np.ndarray, np.ndarray, np.ndarray],
    years: tuple[int, ...] = dims.YEARS,
) -> AlternativeInputs:
    """Mortality and fertility rates of one alternative from the assumption file and WPP."""
    period_mid, group_start, mx_groups = wpp
    mort = assumptions["mortality"]
    mx = interpolate_mx(
        mx_groups,
        group_start,
        period_mid,
        years,
        improvement_scale=float(mort["improvement_scale"]["value"][alternative]),
        anchor_year=int(mort["anchor_year"]["value"]),
    )
    level, start = old_age_level(assumptions)
    mx[..., start:] *= level
    q = death_probability(mx)
    infant_q = -np.expm1(-float(mort["infant_exposure"]["value"]) * mx[..., 0])
    fert = assumptions["fertility"]
    schedule = fertility_schedule(
        float(fert["mean_age"]["value"]),
        float(fert["sd_age"]["value"]),
        tuple(fert["age_range"]["value"]),
    )
    tfr = interpolate_path(fert["tfr"]["years"], fert["tfr"]["value"][alternative], years)
    return AlternativeInputs(
        mx=mx, q=q, infant_q=infant_q, fertility=tfr[:, None] * schedule[None, :], tfr=tfr
    )


@dataclass(frozen=True)
class MigrationFit:
    """Fitted net-migration path of one alternative.

    ``knot_years``/``knot_levels``: the fitted knots (net migrants per year); ``levels``:
    ``(year,)`` net migrants during each year of ``dims.YEARS`` (constant after the last knot);
    ``deviation_pct``: ``(year,)`` projected minus SSB 14288 total on 1 January, percent of
    SSB (0 in the base year).
    """

    knot_years: np.ndarray
    knot_levels: np.ndarray
    levels: np.ndarray
    deviation_pct: np.ndarray
    projection: CohortProjection


def calibrate_migration(
    base: np.ndarray,
    rates: AlternativeInputs,
    profile: np.ndarray,
    targets: np.ndarray,
    knot_years: list[int],
    *,
    sex_ratio_at_birth: float,
    birth_exposure: str = "mean",
    initial_level: float = 20_000.0,
) -> MigrationFit:
    """Fit the knot levels of net migration so that projected totals match ``targets``.

    ``base`` ``(sex, age)`` on 1 January ``dims.BASE_YEAR``; ``profile`` ``(sex, age)`` sums to
    1; ``targets`` ``(year,)`` totals on 1 January of ``dims.YEARS`` (the first, the base year,
    is not fitted). The projection runs over every year of ``dims.YEARS`` (the last year's flows
    feed births of that year); levels between knots are linear, constant after the last knot.
    The residuals are percent deviations of the totals 1 January ``BASE_YEAR + 1`` ... ``HORIZON``,
    minimised with ``scipy.optimize.least_squares`` (deterministic, linear problem).
    """
    from scipy.optimize import least_squares

    years = np.asarray(dims.YEARS)
    kmat = knot_matrix(knot_years, years)

    def run(knots: np.ndarray) -> CohortProjection:
        levels = kmat @ knots
        return project_cohorts(
            base,
            rates.q,
            rates.fertility,
            levels[:, None, None] * profile[None, :, :],
            sex_ratio_at_birth=sex_ratio_at_birth,
            infant_q=rates.infant_q,
            birth_exposure=birth_exposure,
        )

    def residuals(knots: np.ndarray) -> np.ndarray:
        totals = run(knots).population[1:-1].sum(axis=(-2, -1))
        return 100.0 * (totals / targets[1:] - 1.0)

    fit = least_squares(
        residuals,
        np.full(len(knot_years), float(initial_level)),
        x_scale=10_000.0,
        method="trf",
        xtol=1e-12,
        ftol=1e-12,
        gtol=1e-12,
    )
    proj = run(fit.x)
    totals = proj.population[:-1].sum(axis=(-2, -1))
    return MigrationFit(
        knot_years=np.asarray(knot_years),
        knot_levels=fit.x,
        levels=kmat @ fit.x,
        deviation_pct=100.0 * (totals / targets - 1.0),
        projection=proj,
    )


@dataclass(frozen=True)
class PopulationBuild:
    """Everything :func:`build_population_detailed` computes.

    ``frames``: the three model-ready tables; ``calibration``: per alternative;
    ``rates``: per alternative; ``profile``: ``(sex, age)`` migration profile.
    """

    frames: dict[str, pd.DataFrame]
    calibration: dict[str, MigrationFit]
    rates: dict[str, AlternativeInputs]
    profile: np.ndarray
    registered: dict[int, np.ndarray]


def build_population_detailed(sources_dir: Path, assumptions_dir: Path) -> PopulationBuild:
    """Run the three alternatives and calibrate them; see :func:`build_population`."""
    assumptions = load_assumptions(assumptions_dir)
    registered = read_registered_population(sources_dir)
    targets = read_projection_totals(sources_dir)
    wpp = read_wpp_mx(sources_dir)
    base = registered[dims.BASE_YEAR]
    problems = []
    for alt in dims.POPULATION_ALTERNATIVES:
        target = float(targets[alt].to_numpy()[0])
        if abs(target - base.sum()) > 0.5:
            problems.append(
                f"the source of role {PROJECTION_SOURCE}: {alt} {dims.BASE_YEAR} total "
                f"{target:.0f} differs from the registered base "
                f"population {base.sum():.0f} (role {POPULATION_SOURCE})."
            )
    if problems:
        raise InputError(problems, title="Population sources")

    mig = assumptions["migration"]
    profile = migration_profile(
        {k: float(v) for k, v in mig["profile"]["value"].items()},
        float(mig["male_share"]["value"]),
    )
    fert = assumptions["fertility"]
    srb = float(fert["sex_ratio_at_birth"]["value"])
    exposure = str(fert["birth_exposure"]["value"])
    calib_cfg = mig["calibration"]

    rates: dict[str, AlternativeInputs] = {}
    calibration: dict[str, MigrationFit] = {}
    for alt in dims.POPULATION_ALTERNATIVES:
        rates[alt] = alternative_inputs(alt, assumptions, wpp)
        calibration[alt] = calibrate_migration(
            base,
            rates[alt],
            profile,
            targets[alt].to_numpy(),
            list(calib_cfg["value"]),
            sex_ratio_at_birth=srb,
            birth_exposure=exposure,
            initial_level=float(calib_cfg.get("initial_level", 20_000.0)),
        )

    alts = dims.POPULATION_ALTERNATIVES
    pop = np.stack([calibration[a].projection.population[:-1] for a in alts])
    q = np.stack([rates[a].q for a in alts])
    births = np.stack([calibration[a].projection.births.sum(axis=-1) for a in alts])
    frames = {
        "population.csv": _long_frame(pop, "persons", np.round(pop, 3)),
        "mortality.csv": _long_frame(q, "q", _round_significant(q, 10)),
        "births.csv": pd.DataFrame(
            {
                "alternative": np.repeat(alts, len(dims.YEARS)),
                "year": np.tile(np.asarray(dims.YEARS, dtype=np.int64), len(alts)),
                "births": np.round(births, 3).ravel(),
            }
        ),
    }
    return PopulationBuild(
        frames=frames,
        calibration=calibration,
        rates=rates,
        profile=profile,
        registered=registered,
    )


def build_population(sources_dir: Path, assumptions_dir: Path) -> dict[str, pd.DataFrame]:
    """Returns {"population.csv": df, "mortality.csv": df, "births.csv": df} conforming to
    helsemodlite.io.schema (columns alternative, year, sex, age, persons / q; alternative, year,
    births), for years dims.YEARS (2024..2050), sexes dims.SEXES, ages dims.POP_AGES, all three
    alternatives, sorted by the key columns in dims order.

    ``persons`` and ``births`` are rounded to 3 decimals, ``q`` to 10 significant digits; the
    same inputs give identical frames.
    """
    return build_population_detailed(sources_dir, assumptions_dir).frames


def _long_frame(arr: np.ndarray, column: str, values: np.ndarray) -> pd.DataFrame:
    """Long table of an ``(alternative, year, sex, age)`` array in dims order."""
    index = pd.MultiIndex.from_product(
        [
            list(dims.POPULATION_ALTERNATIVES),
            np.asarray(dims.YEARS, dtype=np.int64),
            list(dims.SEXES),
            np.asarray(dims.POP_AGES, dtype=np.int64),
        ],
        names=["alternative", "year", "sex", "age"],
    )
    assert arr.shape == tuple(len(level) for level in index.levels)
    df = index.to_frame(index=False)
    df[column] = values.ravel()
    return df


def _round_significant(x: np.ndarray, digits: int) -> np.ndarray:
    """Round to ``digits`` significant digits via the decimal representation (exact, stable)."""
    flat = [float(f"{v:.{digits}g}") for v in np.asarray(x, dtype=float).ravel()]
    return np.array(flat).reshape(np.shape(x))


# --------------------------------------------------------------------------------------------
# Reports: calibration artefact and the check against registered 2025/2026
# --------------------------------------------------------------------------------------------


def calibration_table(build: PopulationBuild, sources_dir: Path) -> pd.DataFrame:
    """One row per alternative and year: fitted net migration during the year (``knot`` = 1
    at knot years), births and deaths during the year, projected and SSB 14288 totals on
    1 January and the deviation in percent of SSB."""
    targets = read_projection_totals(sources_dir)
    rows = []
    for alt in dims.POPULATION_ALTERNATIVES:
        cal = build.calibration[alt]
        proj = cal.projection
        births = proj.births.sum(axis=-1)
        deaths = proj.deaths.sum(axis=(-2, -1)) + proj.infant_deaths.sum(axis=-1)
        totals = proj.population[:-1].sum(axis=(-2, -1))
        ssb = targets[alt].to_numpy()
        for i, year in enumerate(dims.YEARS):
            rows.append(
                {
                    "alternative": alt,
                    "year": year,
                    "knot": int(year in set(cal.knot_years.tolist())),
                    "net_migration": round(float(cal.levels[i]), 1),
                    "births": round(float(births[i]), 1),
                    "deaths": round(float(deaths[i]), 1),
                    "tfr": round(float(build.rates[alt].tfr[i]), 4),
                    "population_1jan": round(float(totals[i]), 1),
                    "ssb_14288_1jan": float(ssb[i]),
                    "deviation_pct": round(float(cal.deviation_pct[i]), 4) + 0.0,  # no -0.0
                }
            )
    return pd.DataFrame(rows)


def write_calibration_artefact(build: PopulationBuild, sources_dir: Path, path: Path) -> None:
    """Write :func:`calibration_table` as CSV with ``#`` header lines (documentation only:
    the build never reads this file)."""
    header = (
        "# Calibrated net migration of helsemodlite.data.population (documentation artefact, "
        "not read by the build).\n"
        "# Written by helsemodlite.population.write_calibration_artefact from "
        "inputs/assumptions/population.toml and inputs/sources/.\n"
        "# net_migration, births, deaths: persons during the year; population_1jan: projected; "
        "ssb_14288_1jan: SSB table 14288; deviation_pct = 100 (projected / SSB - 1).\n"
    )
    body = calibration_table(build, sources_dir).to_csv(index=False, lineterminator="\n")
    Path(path).write_text(header + body, encoding="utf-8")


AGE_BANDS: dict[str, tuple[int, int]] = {
    "0-19": (0, 19),
    "20-66": (20, 66),
    "67-79": (67, 79),
    "80+": (80, 105),
    "total": (0, 105),
}
"""Broad age bands (inclusive) of the check against the registered population."""


def registered_check(build: PopulationBuild) -> pd.DataFrame:
    """Projected versus registered population (SSB 07459) for the years after the base year
    present in the source (2025, 2026), by alternative, age band (:data:`AGE_BANDS`) and both
    sexes: columns alternative, year, band, projected, registered, deviation_pct."""
    rows = []
    for alt in dims.POPULATION_ALTERNATIVES:
        pop = build.calibration[alt].projection.population
        for year, reg in sorted(build.registered.items()):
            if year == dims.BASE_YEAR or year not in dims.YEARS:
                continue
            proj = pop[dims.YEARS.index(year)]
            for band, (lo, hi) in AGE_BANDS.items():
                p = float(proj[:, lo : hi + 1].sum())
                r = float(reg[:, lo : hi + 1].sum())
                rows.append(
                    {
                        "alternative": alt,
                        "year": year,
                        "band": band,
                        "projected": round(p, 1),
                        "registered": r,
                        "deviation_pct": round(100.0 * (p / r - 1.0), 3) + 0.0,
                    }
                )
    return pd.DataFrame(rows)


PROJECTION_AGE_SOURCE = "projection_age_structure"
"""Role of SSB's earlier projection rounds by broad age group (a check, and the evidence of the
main alternative's mortality decline)."""

PROJECTION_AGE_BANDS = {
    "0-17": (0, 17),
    "18-49": (18, 49),
    "50-66": (50, 66),
    "67-79": (67, 79),
    "80-89": (80, 89),
    "90+": (90, 105),
    "80+": (80, 105),
}
"""Age bands (inclusive) of :func:`projection_age_check` as SSB's rounds publish them, with 80+
added (the band the main alternative's mortality decline is set by)."""


def projection_age_check(build: PopulationBuild, sources_dir: Path) -> pd.DataFrame:
    """The main alternative's age structure against SSB's earlier rounds (role
    ``projection_age_structure``): per round and band, SSB's and this module's persons in 2040
    and, where the round publishes 2025, the growth 2025-2040 of both.

    Columns round, band, ssb_2040, model_2040, level_pct (model / SSB - 1, per cent),
    ssb_growth, model_growth, growth_pct (NaN where the round has no 2025). The levels differ
    also because the rounds started from other base years; the growth compares the assumptions.
    """
    raw = pd.read_csv(source_file(sources_dir, PROJECTION_AGE_SOURCE), comment="#")
    pop = build.calibration["MMMM"].projection.population

    def model(year: int, lo: int, hi: int) -> float:
        return float(pop[dims.YEARS.index(year)][:, lo : hi + 1].sum())

    rows = []
    for source, sub in raw[raw["kind"] == "projected"].groupby("source", sort=False):
        persons = sub.groupby(["year", "age_group"])["persons"].sum()
        for band, (lo, hi) in PROJECTION_AGE_BANDS.items():
            parts = ("80-89", "90+") if band == "80+" else (band,)
            ssb = {
                y: float(sum(persons[(y, p)] for p in parts))
                if all((y, p) in persons.index for p in parts)
                else np.nan
                for y in (2025, 2040)
            }
            m40, m25 = model(2040, lo, hi), model(2025, lo, hi)
            rows.append(
                {
                    "round": str(source),
                    "band": band,
                    "ssb_2040": ssb[2040],
                    "model_2040": round(m40, 1),
                    "level_pct": round(100.0 * (m40 / ssb[2040] - 1.0), 2),
                    "ssb_growth": round(ssb[2040] / ssb[2025], 4),
                    "model_growth": round(m40 / m25, 4),
                    "growth_pct": round(100.0 * (m40 / m25 / (ssb[2040] / ssb[2025]) - 1.0), 2),
                }
            )
    return pd.DataFrame(rows)


def main() -> None:  # pragma: no cover - convenience for maintainers
    """Rebuild the calibration artefact and print the checks (``python -m
    helsemodlite.data.population [repo root]``)."""
    import sys

    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd()
    sources = root / "inputs" / "sources"
    assumptions = root / "inputs" / "assumptions"
    build = build_population_detailed(sources, assumptions)
    write_calibration_artefact(build, sources, assumptions / CALIBRATION_FILE)
    table = calibration_table(build, sources)
    print(table.groupby("alternative", sort=False)["deviation_pct"].agg(lambda s: s.abs().max()))
    print(registered_check(build).to_string(index=False))


if __name__ == "__main__":  # pragma: no cover
    main()
