"""Rates of the population module: reading the sources and assumptions, mortality, fertility and
the migration age profile (see :mod:`helsemodlite.data.population` for the method).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import dims
from ..errors import InputError
from .catalogue import source_file

POPULATION_SOURCE = "population_base"
"""Catalogue role of SSB 07459: population 1 January by sex and single age (columns
female_YYYY ...)."""
PROJECTION_SOURCE = "population_projection_totals"
"""Catalogue role of SSB 14288: projected national totals, one column per alternative."""
MORTALITY_SOURCE = "mortality_rates"
"""Catalogue role of UN WPP 2024: mx by sex and 5-year age group for 5-year periods."""
ASSUMPTIONS_FILE = "population.toml"
CALIBRATION_FILE = "population_calibration.csv"

N_AGES = len(dims.POP_AGES)
N_SEXES = len(dims.SEXES)
SEX_INDEX = {s: i for i, s in enumerate(dims.SEXES)}
_SEX_COLUMN = {"F": "female", "M": "male"}
_WPP_SEX = {"F": "F", "M": "M"}


# --------------------------------------------------------------------------------------------
# Reading the sources and the assumption file
# --------------------------------------------------------------------------------------------


def read_registered_population(sources_dir: Path) -> dict[int, np.ndarray]:
    """Registered population on 1 January by year (SSB 07459).

    Returns ``{year: array (sex, age)}`` in persons, for every year present in the file
    (2024, 2025, 2026), ages ``dims.POP_AGES`` (105 = 105+).
    """
    path = source_file(Path(sources_dir), POPULATION_SOURCE)
    df = pd.read_csv(path, comment="#")
    problems = []
    if list(df["age"]) != list(dims.POP_AGES):
        problems.append(f"{path.name}: column 'age' must list the ages 0..105 in order.")
    years = sorted({int(c.split("_")[1]) for c in df.columns if c.startswith(("female_", "male_"))})
    out: dict[int, np.ndarray] = {}
    for year in years:
        cols = [f"{_SEX_COLUMN[s]}_{year}" for s in dims.SEXES]
        missing = [c for c in cols if c not in df.columns]
        if missing:
            problems.append(f"{path.name}: missing column(s) {missing}.")
            continue
        arr = df[cols].to_numpy(dtype=float).T
        if not np.all(np.isfinite(arr)) or np.any(arr < 0):
            problems.append(f"{path.name}: year {year} has missing or negative counts.")
        out[year] = arr
    if dims.BASE_YEAR not in out:
        problems.append(f"{path.name}: the base year {dims.BASE_YEAR} is missing.")
    if problems:
        raise InputError(problems, title="Registered population (SSB 07459)")
    return out


def read_projection_totals(sources_dir: Path) -> pd.DataFrame:
    """SSB 14288 national totals: DataFrame indexed by year (2024..2050), one column per
    alternative in ``dims.POPULATION_ALTERNATIVES``; persons on 1 January."""
    path = source_file(Path(sources_dir), PROJECTION_SOURCE)
    df = pd.read_csv(path, comment="#").set_index("year")
    problems = []
    missing = [a for a in dims.POPULATION_ALTERNATIVES if a not in df.columns]
    if missing:
        problems.append(f"{path.name}: missing alternative column(s) {missing}.")
    absent = [y for y in dims.YEARS if y not in df.index]
    if absent:
        problems.append(f"{path.name}: missing year(s) {absent}.")
    if problems:
        raise InputError(problems, title="Projected totals (SSB 14288)")
    return df.loc[list(dims.YEARS), list(dims.POPULATION_ALTERNATIVES)].astype(float)


def read_wpp_mx(sources_dir: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """UN WPP 2024 death rates in 5-year groups.

    Returns ``(period_mid, group_start, mx)``: period midpoints (years, e.g. 2017.5 for
    2015-2020), the first age of each group (0, 1, 5, 10, ..., 95, 100 where 100 = 100+), and
    ``mx`` of shape ``(period, sex, group)`` in deaths per person-year.
    """
    path = source_file(Path(sources_dir), MORTALITY_SOURCE)
    df = pd.read_csv(path, comment="#", dtype={"age": str})
    period_cols = [c for c in df.columns if c not in ("sex", "age")]
    period_mid = np.array([(int(c[:4]) + int(c[5:9])) / 2.0 for c in period_cols])
    group_start = np.array([int(a.rstrip("+")) for a in df.loc[df["sex"] == "F", "age"]])
    mx = np.empty((len(period_cols), N_SEXES, len(group_start)))
    problems = []
    for s, sex in enumerate(dims.SEXES):
        sub = df[df["sex"] == _WPP_SEX[sex]]
        ages = np.array([int(a.rstrip("+")) for a in sub["age"]])
        if not np.array_equal(ages, group_start):
            problems.append(f"{path.name}: sex {sex} has different age groups than F.")
            continue
        mx[:, s, :] = sub[period_cols].to_numpy(dtype=float).T
    if not problems and (not np.all(np.isfinite(mx)) or np.any(mx <= 0)):
        problems.append(f"{path.name}: every mx must be a positive number.")
    if problems:
        raise InputError(problems, title="UN WPP death rates")
    return period_mid, group_start, mx


_REQUIRED_ASSUMPTIONS = (
    "mortality.improvement_scale",
    "mortality.anchor_year",
    "mortality.infant_exposure",
    "fertility.tfr",
    "fertility.mean_age",
    "fertility.sd_age",
    "fertility.age_range",
    "fertility.sex_ratio_at_birth",
    "fertility.birth_exposure",
    "migration.profile",
    "migration.male_share",
    "migration.calibration",
)
_OPTIONAL_ASSUMPTIONS = ("mortality.old_age_level",)
"""Entries an older inputs directory may lack; when present they need the same four fields."""


def _assumption_value_problems(raw: dict[str, Any], path_name: str) -> list[str]:
    """Problems with the values of complete ``population.toml`` entries."""
    problems: list[str] = []
    for key in ("mortality.improvement_scale", "fertility.tfr"):
        section, name = key.split(".")
        value = raw[section][name]["value"]
        missing = [a for a in dims.POPULATION_ALTERNATIVES if a not in value]
        if missing:
            problems.append(f"{path_name}: [{key}] value lacks alternative(s) {missing}.")
    tfr = raw["fertility"]["tfr"]
    for alt in dims.POPULATION_ALTERNATIVES:
        if alt in tfr["value"] and len(tfr["value"][alt]) != len(tfr["years"]):
            problems.append(f"{path_name}: [fertility.tfr] {alt} needs one value per year.")
    level = raw["mortality"].get("old_age_level")
    if level is not None:
        value, start = level.get("value"), level.get("from_age")
        if not isinstance(value, int | float) or isinstance(value, bool) or not 0.5 <= value <= 2:
            problems.append(
                f"{path_name}: [mortality.old_age_level] value must be a factor in "
                f"[0.5, 2], got {value!r}."
            )
        if not isinstance(start, int) or isinstance(start, bool) or not 50 <= start <= 100:
            problems.append(
                f"{path_name}: [mortality.old_age_level] from_age must be a whole age in "
                f"[50, 100], got {start!r}."
            )
    share = raw["migration"]["male_share"]["value"]
    if not 0.0 < share < 1.0:
        problems.append(f"{path_name}: [migration.male_share] must lie in (0, 1).")
    knots = raw["migration"]["calibration"]["value"]
    if list(knots) != sorted(set(knots)) or knots[0] != dims.BASE_YEAR:
        problems.append(
            f"{path_name}: [migration.calibration] knot years must be increasing and "
            f"start at {dims.BASE_YEAR}."
        )
    return problems


def load_assumptions(assumptions_dir: Path) -> dict[str, Any]:
    """Read ``population.toml`` and check that every entry has value, unit, rationale and
    evidence, and that the per-alternative entries cover ``dims.POPULATION_ALTERNATIVES``.
    Raises :class:`InputError` listing every problem."""
    path = Path(assumptions_dir) / ASSUMPTIONS_FILE
    with open(path, "rb") as fh:
        raw = tomllib.load(fh)
    problems = []
    for key in _REQUIRED_ASSUMPTIONS + _OPTIONAL_ASSUMPTIONS:
        section, name = key.split(".")
        entry = raw.get(section, {}).get(name)
        if entry is None:
            if key in _REQUIRED_ASSUMPTIONS:
                problems.append(f"{path.name}: entry [{key}] is missing.")
            continue
        for field in ("value", "unit", "rationale", "evidence"):
            if field not in entry:
                problems.append(f"{path.name}: entry [{key}] has no '{field}'.")
    if not problems:
        problems += _assumption_value_problems(raw, path.name)
    if problems:
        raise InputError(problems, title="Population assumptions")
    return raw


# --------------------------------------------------------------------------------------------
# Mortality
# --------------------------------------------------------------------------------------------


def age_interpolation_matrix(group_start: np.ndarray, n_ages: int = N_AGES) -> np.ndarray:
    """Weights ``W`` (age, group) such that ``log mx_single = log mx_group @ W.T``.

    Each group [start, next start) is anchored at the mean of its single ages (1-4 -> 2.5,
    5-9 -> 7, ..., 95-99 -> 97); age 0 keeps its own rate; the open group (100+) is anchored at
    age 100 and its rate is used for every age 100..105. Between anchors log mx is linear in
    age; below the first anchor of the 1-4 group (ages 1, 2) the 1-4 rate is used unchanged.
    """
    group_start = np.asarray(group_start)
    n_groups = len(group_start)
    w = np.zeros((n_ages, n_groups))
    w[0, 0] = 1.0
    anchors = np.empty(n_groups - 1)
    for g in range(1, n_groups - 1):
        anchors[g - 1] = (group_start[g] + group_start[g + 1] - 1) / 2.0
    anchors[-1] = float(group_start[-1])
    open_start = int(group_start[-1])
    for age in range(1, n_ages):
        if age >= open_start:
            w[age, -1] = 1.0
            continue
        if age <= anchors[0]:
            w[age, 1] = 1.0
            continue
        j = int(np.searchsorted(anchors, age, side="right"))  # anchors[j-1] <= age < anchors[j]
        lo, hi = anchors[j - 1], anchors[j]
        frac = (age - lo) / (hi - lo)
        w[age, j] = 1.0 - frac  # column j = group j (anchors are offset by one from groups)
        w[age, j + 1] = frac
    return w


def interpolate_mx(
    mx_groups: np.ndarray,
    group_start: np.ndarray,
    period_mid: np.ndarray,
    years: tuple[int, ...] | np.ndarray = dims.YEARS,
    improvement_scale: float = 1.0,
    anchor_year: int = dims.BASE_YEAR,
) -> np.ndarray:
    """Single-age, single-year death rates from 5-year WPP rates.

    ``mx_groups`` is ``(period, sex, group)``; returns ``mx`` of shape ``(year, sex, age)`` in
    deaths per person-year for calendar years ``years`` (evaluated at mid-year ``t + 0.5``).
    Log mx is interpolated linearly in age (:func:`age_interpolation_matrix`) and in time
    between the period midpoints; after the last midpoint (2042.5) the last period's slope
    continues. ``improvement_scale`` multiplies the change of log mx after ``anchor_year``
    (1 = WPP medium variant; > 1 = faster decline, higher life expectancy).
    """
    log_single = np.log(mx_groups) @ age_interpolation_matrix(group_start).T  # (period, sex, age)
    times = np.asarray(years, dtype=float) + 0.5
    log_t = _log_linear_in_time(log_single, np.asarray(period_mid, dtype=float), times)
    log_anchor = _log_linear_in_time(
        log_single, np.asarray(period_mid, dtype=float), np.array([anchor_year + 0.5])
    )
    return np.exp(log_anchor + improvement_scale * (log_t - log_anchor))


def _log_linear_in_time(values: np.ndarray, knots: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Piecewise-linear interpolation along axis 0, linear extrapolation beyond both ends."""
    idx = np.clip(np.searchsorted(knots, times, side="right") - 1, 0, len(knots) - 2)
    frac = (times - knots[idx]) / (knots[idx + 1] - knots[idx])
    frac = frac.reshape((-1,) + (1,) * (values.ndim - 1))
    return values[idx] + frac * (values[idx + 1] - values[idx])


def death_probability(mx: np.ndarray) -> np.ndarray:
    """Probability that a person aged ``a`` on 1 January dies during the year.

    ``mx`` is ``(..., sex, age)`` (single-age rates, age = completed years). During the year
    such a person passes from exact ages [a, a+1) to [a+1, a+2), so the rate of the Lexis
    parallelogram is taken as the geometric mean of ``mx[a]`` and ``mx[a+1]`` (the open age 105
    keeps its own rate), and converted with the constant-hazard formula ``q = 1 - exp(-m)``.
    Returns an array of the same shape with values in [0, 1).
    """
    log_m = np.log(mx)
    log_par = log_m.copy()
    log_par[..., :-1] = 0.5 * (log_m[..., :-1] + log_m[..., 1:])
    return -np.expm1(-np.exp(log_par))


# --------------------------------------------------------------------------------------------
# Fertility
# --------------------------------------------------------------------------------------------


def fertility_schedule(
    mean_age: float, sd_age: float, age_range: tuple[int, int] = (15, 49)
) -> np.ndarray:
    """Age pattern of fertility summing to 1 over ``dims.POP_AGES`` (shape ``(age,)``).

    A gamma density in ``x - first age`` with the given mean and standard deviation
    (Hoem et al. 1981 gamma model), evaluated at mid-age ``a + 0.5`` for ages within
    ``age_range`` (inclusive) and normalised; zero elsewhere. Multiply by a TFR to obtain
    age-specific fertility rates (births per woman-year).
    """
    lo, hi = age_range
    shape = ((mean_age - lo) / sd_age) ** 2
    scale = sd_age**2 / (mean_age - lo)
    ages = np.arange(N_AGES, dtype=float)
    x = ages + 0.5 - lo
    inside = (ages >= lo) & (ages <= hi)
    dens = np.zeros(N_AGES)
    xi = x[inside]
    dens[inside] = np.exp((shape - 1.0) * np.log(xi) - xi / scale)
    return dens / dens.sum()


def interpolate_path(
    knot_years: list[int] | np.ndarray,
    knot_values: list[float] | np.ndarray,
    years: tuple[int, ...] | np.ndarray = dims.YEARS,
) -> np.ndarray:
    """Linear interpolation of a path given at knot years; constant outside the knots.
    Returns shape ``(year,)``."""
    return np.interp(
        np.asarray(years, dtype=float),
        np.asarray(knot_years, dtype=float),
        np.asarray(knot_values, dtype=float),
    )


def knot_matrix(
    knot_years: list[int] | np.ndarray, years: tuple[int, ...] | np.ndarray
) -> np.ndarray:
    """Matrix ``K`` (year, knot) such that ``K @ knot_values`` = :func:`interpolate_path`."""
    knot_years = np.asarray(knot_years, dtype=float)
    eye = np.eye(len(knot_years))
    return np.stack([interpolate_path(knot_years, eye[k], years) for k in range(len(eye))], 1)


# --------------------------------------------------------------------------------------------
# Migration
# --------------------------------------------------------------------------------------------


def rogers_castro(ages: np.ndarray, params: dict[str, float]) -> np.ndarray:
    """Rogers-Castro model migration schedule (children + young-adult labour peak + constant).

    ``m(x) = a1 exp(-alpha1 x) + a2 exp(-alpha2 (x - mu2) - exp(-lambda2 (x - mu2))) + c``;
    ``ages`` in years. Returns the unnormalised schedule, same shape as ``ages``.
    """
    x = np.asarray(ages, dtype=float)
    p = params
    child = p["a1"] * np.exp(-p["alpha1"] * x)
    u = x - p["mu2"]
    labour = p["a2"] * np.exp(-p["alpha2"] * u - np.exp(-p["lambda2"] * u))
    return child + labour + p.get("c", 0.0)


def migration_profile(params: dict[str, float], male_share: float) -> np.ndarray:
    """Distribution of one net migrant over sex and age on 1 January after arrival.

    Returns shape ``(sex, age)`` summing to 1: the Rogers-Castro schedule
    (:func:`rogers_castro`, evaluated at ages ``dims.POP_AGES``) split by ``male_share``.
    """
    shape = rogers_castro(np.arange(N_AGES, dtype=float), params)
    shape = shape / shape.sum()
    split = np.array([1.0 - male_share if s == "F" else male_share for s in dims.SEXES])
    return split[:, None] * shape[None, :]
