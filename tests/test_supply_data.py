"""Tests of the supply-side base data build (helsemodlite.supply_data)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helsemodlite import dims, schema
from helsemodlite.supply_data import build_personnel, build_supply, check_against_aggregates

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "inputs" / "sources"
ASSUMPTIONS = ROOT / "inputs" / "assumptions"
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
