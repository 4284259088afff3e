"""Tests of the supply-side base data build (helsemodlite.data.supply)."""

from __future__ import annotations

import tomllib

import numpy as np
import pandas as pd
import pytest

from helsemodlite import dims
from helsemodlite.data.supply import (
    INFLOW_ROLES,
    build_personnel,
    build_supply,
    check_against_aggregates,
    observed_inflow_series,
)
from helsemodlite.embedded import embedded_inputs_dir
from helsemodlite.io import schema

EMBEDDED = embedded_inputs_dir()
SOURCES = EMBEDDED / "sources"
ASSUMPTIONS = EMBEDDED / "assumptions"
ROLL_FORWARD_TOLERANCE_PP = 3.0
"""Stated tolerance of the roll-forward check (percentage points of the 2015-based index)."""


@pytest.fixture(scope="module")
def build():
    return build_supply(SOURCES, ASSUMPTIONS)


@pytest.fixture(scope="module")
def personnel(build):
    return build.personnel


def test_schema_coverage(personnel: pd.DataFrame) -> None:
    sch = schema.SCHEMA_BY_NAME["personnel.csv"]
    assert list(personnel.columns) == [*sch.keys, *sch.values]
    expected = pd.MultiIndex.from_product([dims.GROUPS, dims.SEXES, dims.AGES])
    got = pd.MultiIndex.from_frame(personnel[["group", "sex", "age"]])
    assert got.equals(expected)
    for col, kind in sch.values.items():
        v = personnel[col].to_numpy(float)
        assert np.isfinite(v).all(), col
        assert (v >= 0).all(), col
        if kind == "rate":
            assert (v <= 1).all(), col
    assert personnel["fte"].max() <= schema.FTE_MAX


def test_total_supply_2024_in_range(personnel: pd.DataFrame) -> None:
    arsverk = (personnel["stock"] * personnel["p_work"] * personnel["fte"]).sum()
    assert 246_000 <= arsverk <= 250_000
    by_group = (
        (personnel["stock"] * personnel["p_work"] * personnel["fte"])
        .groupby(personnel["group"])
        .sum()
    )
    assert by_group["sykepleier"] > 41_000  # specialist services alone employ 41 000 nurse årsverk
    assert by_group["lege"] > 16_600  # specialist services alone employ 16 600 physician årsverk
    assert by_group.idxmax() == "sykepleier"


def test_p_falls_to_near_zero(personnel: pd.DataFrame) -> None:
    p = personnel.set_index(["group", "sex", "age"])["p_work"]
    assert p.between(0, 1).all()
    for g in dims.GROUPS:
        prime = p.loc[(g, "F", 45)]
        assert 0.5 < prime < 0.95, g
        assert p.loc[(g, "F", 79)] < 0.05, g
        assert p.loc[(g, "F", slice(75, 79))].max() < 0.35, g
        assert p.loc[(g, "F", 72)] < prime, g


def test_roll_forward_check_within_tolerance(build) -> None:
    chk = check_against_aggregates(build=build)
    assert set(chk["year"]) >= {2015, 2019, 2023}
    assert chk["diff_persons_pp"].abs().max() <= ROLL_FORWARD_TOLERANCE_PP
    assert chk["diff_hs_pp"].abs().max() <= ROLL_FORWARD_TOLERANCE_PP


def test_deterministic(personnel: pd.DataFrame) -> None:
    again = build_personnel(SOURCES, ASSUMPTIONS)
    assert again.to_csv(index=False) == personnel.to_csv(index=False)


def test_flows_plausible(personnel: pd.DataFrame) -> None:
    inflow = (personnel["graduates"] + personnel["immigrants"]).groupby(personnel["group"]).sum()
    stock = personnel.groupby("group")["stock"].sum()
    assert ((inflow / stock) < 0.08).all()
    assert personnel["exit_rate"].max() < 0.3
    assert personnel["sick_leave"].between(0.02, 0.15).all()


def test_observed_inflows_come_from_the_sources(build, personnel: pd.DataFrame) -> None:
    levels = build.inflow_levels
    flows = pd.read_csv(ASSUMPTIONS / "supply_flows.csv", comment="#").set_index("group")
    observed = {
        (g, f)
        for g in dims.GROUPS
        for f in ("graduates", "immigrants")
        if flows.loc[g, f"{f}_status"] == "observed"
    }
    assert observed == {
        ("fysioterapeut", "graduates"),
        ("fysioterapeut", "immigrants"),
        ("helsefagarbeider", "graduates"),
        ("helsefagarbeider", "immigrants"),
        ("helsesykepleier", "graduates"),
        ("jordmor", "graduates"),
        ("jordmor", "immigrants"),
    }
    # mean of the last three observed years, immigrants x the settle share
    assert levels.loc["helsefagarbeider", "graduates"] == pytest.approx((4342 + 4349 + 4229) / 3)
    assert levels.loc["helsefagarbeider", "immigrants"] == pytest.approx(0.8 * (243 + 128) / 2)
    assert levels.loc["fysioterapeut", "graduates"] == pytest.approx((267 + 304) / 2)
    assert levels.loc["helsesykepleier", "graduates"] == pytest.approx(269)
    assert levels.loc["jordmor", "graduates"] == pytest.approx(
        (202 * 0.65 + 169 * 0.53 + 209 * 0.62) / 3
    )
    assert levels.loc["jordmor", "graduates_years"] == "2018-2020"
    # assumed flows keep the supply_flows.csv value
    for g in dims.GROUPS:
        for f in ("graduates", "immigrants"):
            if (g, f) not in observed:
                assert levels.loc[g, f] == flows.loc[g, f], (g, f)
    # personnel.csv carries exactly these levels (rounded to 3 decimals per cell)
    by_group = personnel.groupby("group")[["graduates", "immigrants"]].sum()
    for f in ("graduates", "immigrants"):
        np.testing.assert_allclose(
            by_group[f].reindex(list(dims.GROUPS)), levels[f], rtol=0, atol=0.1
        )


def test_inflow_sources_catalogued_and_consistent() -> None:
    from helsemodlite.data.catalogue import roles, source_file

    with (EMBEDDED / "sources.toml").open("rb") as fh:
        catalogued = {s["file"] for s in tomllib.load(fh)["source"]}
    assert set(INFLOW_ROLES.values()) <= set(roles(EMBEDDED))
    for name in catalogued:
        assert (SOURCES / name).is_file(), name
    series = observed_inflow_series(SOURCES).set_index(["group", "flow", "year"])["value"]
    # jordmor: count x rounded share (Tabell 6) against the exact counts of Tabell 27
    auth = pd.read_csv(source_file(SOURCES, INFLOW_ROLES["authorisations"]), comment="#")
    jm = auth[auth["profession"] == "jordmor"].set_index("year")
    for year in (2019, 2020):
        assert abs(series[("jordmor", "graduates", year)] - jm.loc[year, "norge"]) <= 2
        assert abs(series[("jordmor", "immigrants", year)] - jm.loc[year, "utland_total"]) <= 2
    # the Norway-educated + abroad split adds up to the published totals
    assert (auth["norge"] + auth["utland_total"] == auth["total"]).all()


def test_the_young_moment_plateau_and_cohort() -> None:
    """plateau: P(20-39) = P(40-54) in every fitted component; cohort: the nurses' band P is
    the cohorts' share, and every other fitted component takes the nurses' kappa."""
    from helsemodlite.data.supply_sources import AGES as SUPPLY_AGES
    from helsemodlite.data.supply_sources import read_assumptions, read_sources
    from helsemodlite.data.supply_stock import reconstruct_stock

    root = embedded_inputs_dir()
    src, asm = read_sources(root / "sources"), read_assumptions(root / "assumptions")
    assert asm.value("stock", "young_moment") == "plateau"
    stock, comp = reconstruct_stock(src, asm)
    fitted = comp[comp["growth_method"] != "prior"]
    assert np.allclose(fitted["p_20_39_over_40_54"], 1.0, atol=1e-6)
    asm.toml["stock"]["young_moment"]["value"] = "cohort"
    stock_c, comp_c = reconstruct_stock(src, asm)
    nurse = comp_c.set_index("component").loc["sykepleier"]
    hs = src.hesospers
    hs15 = hs[(hs["year"] == 2015) & (hs["ssb_category"] == "Sykepleier")]["hs_15_39"].iloc[0]
    g = list(comp_c["group"].unique())
    n_young = stock_c[dims.GROUPS.index("sykepleier")][:, (SUPPLY_AGES >= 20) & (SUPPLY_AGES <= 39)]
    assert hs15 / n_young.sum() == pytest.approx(nurse["p_young_target"], rel=1e-6)
    assert nurse["p_young_target"] == pytest.approx((0.7943 + 0.80) / 2)  # the file, rounded
    others = comp_c[(comp_c["component"] != "sykepleier") & (comp_c["growth_method"] != "prior")]
    assert np.allclose(others["p_20_39_over_40_54"], nurse["p_20_39_over_40_54"], atol=1e-6)
    assert 0.9 < nurse["p_20_39_over_40_54"] < 1.05 and len(g) == 14
    asm.toml["stock"]["young_moment"]["value"] = "flat"
    with pytest.raises(ValueError, match='expected "plateau" or "cohort"'):
        reconstruct_stock(src, asm)
    asm.toml["stock"]["young_moment"]["value"] = "cohort"
    src.young_p = None
    with pytest.raises(ValueError, match="young_p_evidence"):
        reconstruct_stock(src, asm)


def test_an_abnormal_last_year_is_left_out_of_the_reference_inflow() -> None:
    """[observed_inflows] abnormal_deviation: a last year 40 % below the median of the years
    before it is left out (the window ends the year before); 20 % below is kept; the embedded
    data leave nothing out."""
    from helsemodlite.data.supply_sources import read_assumptions, read_sources
    from helsemodlite.data.supply_stock import abnormal_last_year, reference_inflows

    root = embedded_inputs_dir()
    src, asm = read_sources(root / "sources"), read_assumptions(root / "assumptions")
    assert asm.value("observed_inflows", "abnormal_deviation") == 0.25
    levels = reference_inflows(src.inflows, asm)
    assert not levels["graduates_years"].str.contains("left out").any()
    assert not levels["immigrants_years"].str.contains("left out").any()
    series = src.inflows.copy()
    hfa = (series["group"] == "helsefagarbeider") & (series["flow"] == "graduates")
    last = hfa & (series["year"] == 2024)
    for factor, dropped in ((0.6, True), (0.8, False)):
        s = series.copy()
        s.loc[last, "value"] = 4349.0 * factor
        lv = reference_inflows(s, asm).loc["helsefagarbeider"]
        if dropped:
            assert lv["graduates_years"] == "2021-2023 (2024 left out: abnormal)"
            assert lv["graduates"] == pytest.approx((4554 + 4342 + 4349) / 3)
        else:
            assert lv["graduates_years"] == "2022-2024"
            assert lv["graduates"] == pytest.approx((4342 + 4349 + 4349 * 0.8) / 3)
    two = pd.DataFrame({"year": [2019, 2020], "value": [100.0, 10.0]})
    assert abnormal_last_year(two, 3, 0.25) is None  # too few years to call one abnormal
    assert (
        abnormal_last_year(pd.DataFrame({"year": [1, 2, 3], "value": [1.0, 1, 9]}), 3, None) is None
    )
