"""Tests of the population module (helsemodlite.data.population)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helsemodlite import dims
from helsemodlite.data import population as pop
from helsemodlite.data import population_rates as rates
from helsemodlite.embedded import embedded_inputs_dir
from helsemodlite.errors import InputError
from helsemodlite.io.schema import SCHEMA_BY_NAME
from helsemodlite.model.engine import remaining_life_expectancy

EMBEDDED = embedded_inputs_dir()
SOURCES = EMBEDDED / "sources"
ASSUMPTIONS = EMBEDDED / "assumptions"

TOTALS_TOLERANCE_PCT = 0.5
"""Projected totals must match SSB 14288 within this many percent in every year 2025-2050."""
REGISTERED_2025_TOTAL_PCT = 0.2
REGISTERED_2025_BAND_PCT = 0.5
"""The main alternative against the registered 1 January 2025 and 2026 (SSB 07459): total
within 0.2 % (SSB's own projection is 0.10 % / 0.20 % above the registered figures), each broad
age band within 0.5 %."""
GROWTH_80PLUS_PCT = 0.3
"""The main alternative's mortality decline is set (two decimals) so that the population 80+
grows 2025-2040 as in SSB's 2022 round: within 0.3 %."""
GROWTH_SPLIT_PCT = 1.5
"""Checks, not fitted: the growth of 80-89 and of 90+ separately within 1.5 % of the 2022
round's, and the 2040 population 80+ within 3 % of the 2020 round's (another base year)."""


@pytest.fixture(scope="module")
def build() -> pop.PopulationBuild:
    return pop.build_population_detailed(SOURCES, ASSUMPTIONS)


@pytest.fixture(scope="module")
def frames(build: pop.PopulationBuild) -> dict[str, pd.DataFrame]:
    return build.frames


# ---------------------------------------------------------------------------------------------
# Output tables
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["population.csv", "mortality.csv", "births.csv"])
def test_frames_conform_to_schema(frames: dict[str, pd.DataFrame], name: str) -> None:
    schema = SCHEMA_BY_NAME[name]
    df = frames[name]
    assert list(df.columns) == list(schema.keys) + list(schema.values)
    embedded = {"year": list(dims.YEARS), "alternative": list(dims.POPULATION_ALTERNATIVES)}
    coords: list[list[object]] = [
        embedded[k] if k in embedded else list(c) if isinstance(c, tuple) else []
        for k, c in schema.keys.items()
    ]
    expected: pd.MultiIndex = pd.MultiIndex.from_product(coords, names=list(schema.keys))
    assert pd.MultiIndex.from_frame(df[list(schema.keys)]).equals(expected)  # complete, sorted
    for column, kind in schema.values.items():
        values = df[column].to_numpy()
        assert np.all(np.isfinite(values))
        assert np.all(values >= 0)
        if kind == "rate":
            assert np.all(values <= 1)


def test_totals_match_ssb_14288(frames: dict[str, pd.DataFrame]) -> None:
    targets = rates.read_projection_totals(SOURCES)
    totals = frames["population.csv"].groupby(["alternative", "year"])["persons"].sum()
    for alt in dims.POPULATION_ALTERNATIVES:
        model = totals.loc[alt].loc[list(dims.YEARS)].to_numpy()
        dev = 100 * (model / targets[alt].to_numpy() - 1)
        assert dev[0] == pytest.approx(0, abs=1e-6)  # base year is registered
        assert np.max(np.abs(dev[1:])) < TOTALS_TOLERANCE_PCT, alt


def test_alternatives_are_ordered(build: pop.PopulationBuild) -> None:
    """HHMH has higher life expectancy and fertility than MMMM, LLML lower."""
    e0 = {a: remaining_life_expectancy(r.q[-1], 0) for a, r in build.rates.items()}
    assert np.all(e0["HHMH"] > e0["MMMM"]) and np.all(e0["MMMM"] > e0["LLML"])
    tfr = {a: r.tfr[-1] for a, r in build.rates.items()}
    assert tfr["HHMH"] > tfr["MMMM"] > tfr["LLML"]
    for r in build.rates.values():
        assert r.tfr[0] == pytest.approx(1.44)


def test_q_is_a_probability(frames: dict[str, pd.DataFrame]) -> None:
    q = frames["mortality.csv"]["q"].to_numpy()
    assert np.all((q > 0) & (q < 1))
    old = frames["mortality.csv"].query("age >= 60 and year == 2030")
    for _, g in old.groupby(["alternative", "sex"]):
        assert np.all(np.diff(g["q"].to_numpy()[:40]) > 0)  # rising with age 60..99


def test_build_is_deterministic(frames: dict[str, pd.DataFrame]) -> None:
    again = pop.build_population(SOURCES, ASSUMPTIONS)
    assert set(again) == set(frames)
    for name, df in frames.items():
        pd.testing.assert_frame_equal(again[name], df, check_exact=True)
        assert again[name].to_csv(index=False) == df.to_csv(index=False)


@pytest.mark.parametrize("year", [2025, 2026])
def test_registered_2025_2026(build: pop.PopulationBuild, year: int) -> None:
    check = pop.registered_check(build).query("alternative == 'MMMM' and year == @year")
    devs = check.set_index("band")["deviation_pct"]
    assert len(devs) == 5
    assert abs(devs["total"]) < REGISTERED_2025_TOTAL_PCT
    assert np.all(np.abs(devs) < REGISTERED_2025_BAND_PCT), devs


def test_old_age_level_is_the_residual_estimate() -> None:
    """[mortality.old_age_level] is what estimate_old_age_level gives (rounded to 0.01), and it
    makes the registered populations at 80+ add up: without it the residual there is negative."""
    assumptions = rates.load_assumptions(ASSUMPTIONS)
    stored, start = pop.old_age_level(assumptions)
    period_mid, group_start, mx = rates.read_wpp_mx(SOURCES)
    raw = rates.interpolate_mx(mx, group_start, period_mid, dims.YEARS)  # no level factor
    profile = rates.migration_profile(
        {k: float(v) for k, v in assumptions["migration"]["profile"]["value"].items()},
        float(assumptions["migration"]["male_share"]["value"]),
    )
    registered = rates.read_registered_population(SOURCES)
    estimate = pop.estimate_old_age_level(registered, raw, profile, start)
    assert start == 80
    assert estimate == pytest.approx(stored, abs=0.005)
    assert 1.0 < estimate < 1.1
    q = rates.death_probability(raw[0])
    res = pop.residual_net_migration(registered[2024], registered[2025], q)
    assert np.nansum(res[:, start:]) < 0  # too few deaths under the raw WPP rates


def test_old_age_level_is_optional_and_checked(tmp_path: Path) -> None:
    """An inputs directory exported before the entry existed builds without the correction; a
    bad value is refused naming the entry."""
    assumptions = rates.load_assumptions(ASSUMPTIONS)
    wpp = rates.read_wpp_mx(SOURCES)
    with_level = pop.alternative_inputs("MMMM", assumptions, wpp).mx
    del assumptions["mortality"]["old_age_level"]
    assert pop.old_age_level(assumptions) == (1.0, 80)
    without = pop.alternative_inputs("MMMM", assumptions, wpp).mx
    np.testing.assert_allclose(with_level[..., :80], without[..., :80])
    np.testing.assert_allclose(with_level[..., 80:], 1.03 * without[..., 80:])
    text = (ASSUMPTIONS / rates.ASSUMPTIONS_FILE).read_text(encoding="utf-8")
    bad = text.replace("value = 1.03\nfrom_age = 80", 'value = "high"\nfrom_age = 80.5')
    assert bad != text
    (tmp_path / rates.ASSUMPTIONS_FILE).write_text(bad, encoding="utf-8")
    with pytest.raises(InputError, match=r"old_age_level\] value must be a factor") as info:
        rates.load_assumptions(tmp_path)
    assert "from_age must be a whole age" in str(info.value)


def test_old_age_level_needs_its_rationale(tmp_path: Path) -> None:
    """Optional, but when present documented like every other entry."""
    text = (ASSUMPTIONS / rates.ASSUMPTIONS_FILE).read_text(encoding="utf-8")
    start = text.index("[mortality.old_age_level]")
    stripped = text[:start] + text[start:].replace("rationale = ", "reason = ", 1)
    (tmp_path / rates.ASSUMPTIONS_FILE).write_text(stripped, encoding="utf-8")
    with pytest.raises(InputError, match=r"\[mortality.old_age_level\] has no 'rationale'"):
        rates.load_assumptions(tmp_path)


def test_projection_age_structure_against_earlier_rounds(build: pop.PopulationBuild) -> None:
    check = pop.projection_age_check(build, SOURCES).set_index(["round", "band"])
    assert abs(check.loc[("P2022", "80+"), "growth_pct"]) < GROWTH_80PLUS_PCT
    for band in ("80-89", "90+"):
        assert abs(check.loc[("P2022", band), "growth_pct"]) < GROWTH_SPLIT_PCT, check
    assert abs(check.loc[("P2020", "80+"), "level_pct"]) < 3.0, check
    assert np.isnan(check.loc[("P2020", "80+"), "growth_pct"])  # the 2020 round has no 2025


def test_births_2024_near_registered(frames: dict[str, pd.DataFrame]) -> None:
    """About 54 000 live births in 2024 (SSB); TFR 1.44 with the schedule gives 53 600."""
    births = frames["births.csv"].query("year == 2024")["births"]
    assert np.all(np.abs(births / 54_000 - 1) < 0.02)


# ---------------------------------------------------------------------------------------------
# The cohort step: a hand example and the accounting identity
# ---------------------------------------------------------------------------------------------


def test_project_cohorts_hand_example() -> None:
    """Three ages (0, 1, 2+), one year, both sexes alike.

    Start 100 at each age; q = 0.1; fertility 0.5 at age 1; 20 net migrants at age 1; sex ratio
    1 (half girls); no infant deaths. Survivors 90 each, shifted one age, open age keeps its own:
    age 1 = 90 + 20 = 110, age 2 = 90 + 90 = 180. Women aged 1: mean of 100 and 110 = 105, births
    = 0.5 * 105 = 52.5, 26.25 of each sex at age 0.
    """
    base = np.full((2, 3), 100.0)
    q = np.full((1, 2, 3), 0.1)
    fertility = np.array([[0.0, 0.5, 0.0]])
    migration = np.zeros((1, 2, 3))
    migration[0, :, 1] = 20.0
    proj = pop.project_cohorts(base, q, fertility, migration, sex_ratio_at_birth=1.0)
    np.testing.assert_allclose(proj.population[1], [[26.25, 110.0, 180.0]] * 2)
    np.testing.assert_allclose(proj.births[0], [26.25, 26.25])
    np.testing.assert_allclose(proj.deaths[0], np.full((2, 3), 10.0))
    assert pop.accounting_residual(proj) == pytest.approx(0.0, abs=1e-12)
    start = pop.project_cohorts(
        base, q, fertility, migration, sex_ratio_at_birth=1.0, birth_exposure="start"
    )
    np.testing.assert_allclose(start.births[0], [25.0, 25.0])  # 0.5 * 100 women


def test_project_cohorts_infant_deaths_and_sex_ratio() -> None:
    base = np.zeros((2, 3))
    base[0, 1] = 1000.0  # 1000 women aged 1
    proj = pop.project_cohorts(
        base,
        np.zeros((1, 2, 3)),
        np.array([[0.0, 0.2055, 0.0]]),
        np.zeros((1, 2, 3)),
        sex_ratio_at_birth=1.055,
        infant_q=np.array([[0.01, 0.02]]),
        birth_exposure="start",  # the women age out of age 1 by the end of the year
    )
    np.testing.assert_allclose(proj.births[0], [100.0, 105.5])
    np.testing.assert_allclose(proj.population[1, :, 0], [99.0, 105.5 * 0.98])


def test_project_cohorts_broadcasts_leading_axis() -> None:
    rng = np.random.default_rng(1)
    base = rng.uniform(50, 100, (2, 5))
    q = rng.uniform(0, 0.1, (3, 2, 5))
    fert = rng.uniform(0, 0.1, (3, 5))
    mig = rng.uniform(-5, 5, (4, 3, 2, 5))  # four draws of migration
    batched = pop.project_cohorts(base, q, fert, mig)
    for d in range(4):
        single = pop.project_cohorts(base, q, fert, mig[d])
        np.testing.assert_allclose(batched.population[d], single.population)
    assert pop.accounting_residual(batched) < 1e-9


def test_build_satisfies_accounting(build: pop.PopulationBuild) -> None:
    for alt, cal in build.calibration.items():
        assert pop.accounting_residual(cal.projection) < 1e-6, alt
        persons = build.frames["population.csv"].query("alternative == @alt")["persons"]
        np.testing.assert_allclose(
            persons.to_numpy(), cal.projection.population[:-1].ravel(), atol=5e-4
        )


# ---------------------------------------------------------------------------------------------
# Rates and profiles
# ---------------------------------------------------------------------------------------------


def test_interpolate_mx_reproduces_wpp_at_anchors() -> None:
    period_mid, group_start, mx = rates.read_wpp_mx(SOURCES)
    w = rates.age_interpolation_matrix(group_start)
    np.testing.assert_allclose(w.sum(axis=1), 1.0)
    # Year 2022 is evaluated at 2022.5, the midpoint of WPP's 2020-2025 period.
    single = rates.interpolate_mx(mx, group_start, period_mid, years=(2022,))[0]
    period = list(period_mid).index(2022.5)
    groups = list(group_start)
    np.testing.assert_allclose(single[:, 0], mx[period, :, 0])  # age 0
    np.testing.assert_allclose(single[:, 7], mx[period, :, groups.index(5)])  # 5-9 anchor
    np.testing.assert_allclose(single[:, 97], mx[period, :, groups.index(95)])  # 95-99 anchor
    np.testing.assert_allclose(single[:, 100:], mx[period, :, -1:].repeat(6, axis=1))  # 100+


def test_mortality_extrapolation_and_scaling() -> None:
    period_mid, group_start, mx = rates.read_wpp_mx(SOURCES)
    years = (2024, 2042, 2047, 2050)
    main = rates.interpolate_mx(mx, group_start, period_mid, years)
    # After 2042.5 the last period's slope continues: log mx linear in time.
    log = np.log(main)
    np.testing.assert_allclose(log[3] - log[2], (log[2] - log[1]) * 3 / 5, atol=1e-12)
    high = rates.interpolate_mx(mx, group_start, period_mid, years, improvement_scale=1.5)
    np.testing.assert_allclose(high[0], main[0])  # anchored in 2024
    np.testing.assert_allclose(np.log(high[3] / main[0]), 1.5 * np.log(main[3] / main[0]))


def test_death_probability() -> None:
    mx = np.array([[0.01, 0.04, 0.5]])
    q = rates.death_probability(mx)
    np.testing.assert_allclose(q[0, 0], 1 - np.exp(-0.02))  # geometric mean of 0.01 and 0.04
    np.testing.assert_allclose(q[0, 2], 1 - np.exp(-0.5))  # open age keeps its own rate


def test_fertility_schedule() -> None:
    f = rates.fertility_schedule(31.7, 5.2, (15, 49))
    assert f.sum() == pytest.approx(1.0)
    assert np.all(f[:15] == 0) and np.all(f[50:] == 0) and np.all(f[15:50] > 0)
    mean = np.sum((np.arange(len(f)) + 0.5) * f)
    assert 31.0 < mean < 32.0


def test_migration_profile_matches_residual_estimate(build: pop.PopulationBuild) -> None:
    """The profile in population.toml is the one estimate_migration_profile gives."""
    assumptions = rates.load_assumptions(ASSUMPTIONS)
    stored = assumptions["migration"]["profile"]["value"]
    params, male_share = pop.estimate_migration_profile(build.registered, build.rates["MMMM"].q)
    for key, value in params.items():
        assert stored[key] == pytest.approx(value, rel=1e-3, abs=1e-9), key
    assert assumptions["migration"]["male_share"]["value"] == pytest.approx(male_share, abs=0.005)
    assert build.profile.sum() == pytest.approx(1.0)


ARTEFACT_RTOL = 1e-4
"""The fitted net migration is an optimiser's output: across library versions it moves by a few
tenths of a person (1e-5 relative), and between machines (CPU, BLAS) as much. 1e-4 of the
column's largest value (net migration: ≈4 persons) is far below what moves a population total at
SSB's precision, and far above those flips; ten persons in one year is caught."""


def _artefact_mismatch(stored: pd.DataFrame, fresh: pd.DataFrame) -> str | None:
    """The largest mismatch beyond the tolerance, described, or None."""
    assert list(stored.columns) == list(fresh.columns)
    assert stored[["alternative", "year", "knot"]].equals(fresh[["alternative", "year", "knot"]])
    worst = None
    for col in ("net_migration", "births", "deaths", "tfr", "population_1jan", "ssb_14288_1jan"):
        a, b = stored[col].to_numpy(float), fresh[col].to_numpy(float)
        # Relative to the column's scale, not to each entry: a year whose net migration is
        # small (LLML 2026: 1 480) flips by the same few tenths of a person as any other.
        excess = np.abs(a - b) - (ARTEFACT_RTOL * np.abs(a).max() + 0.05)
        i = int(np.argmax(excess))
        if excess[i] > 0 and (worst is None or excess[i] > worst[0]):
            worst = (excess[i], f"{col} {stored.alternative[i]} {stored.year[i]}: {a[i]} vs {b[i]}")
    dev = np.abs(stored.deviation_pct.to_numpy(float) - fresh.deviation_pct.to_numpy(float))
    if dev.max() > 1e-3:
        worst = (dev.max(), f"deviation_pct differs by {dev.max():.4f} points")
    return None if worst is None else worst[1]


def test_calibration_artefact_is_current(build: pop.PopulationBuild) -> None:
    """inputs/assumptions/population_calibration.csv documents the fit of this build."""
    stored = pd.read_csv(ASSUMPTIONS / rates.CALIBRATION_FILE, comment="#")
    fresh = pop.calibration_table(build, SOURCES)
    assert _artefact_mismatch(stored, fresh) is None, _artefact_mismatch(stored, fresh)


def test_artefact_tolerance_catches_a_real_change(build: pop.PopulationBuild) -> None:
    stored = pd.read_csv(ASSUMPTIONS / rates.CALIBRATION_FILE, comment="#")
    changed = stored.copy()
    changed.loc[5, "net_migration"] += 10.0  # ten persons more in one year
    assert "net_migration" in str(_artefact_mismatch(stored, changed))
    changed = stored.copy()
    changed.loc[5, "deviation_pct"] += 0.01
    assert "deviation_pct" in str(_artefact_mismatch(stored, changed))


def test_assumption_file_is_validated(tmp_path: Path) -> None:
    text = (ASSUMPTIONS / rates.ASSUMPTIONS_FILE).read_text(encoding="utf-8")
    (tmp_path / rates.ASSUMPTIONS_FILE).write_text(
        text.replace("HHMH = 1.5, ", "").replace("[fertility.sd_age]\nvalue = 5.2\n", "[x]\n"),
        encoding="utf-8",
    )
    with pytest.raises(pop.InputError) as err:
        rates.load_assumptions(tmp_path)
    assert "fertility.sd_age" in str(err.value)
