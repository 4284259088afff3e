"""Golden outputs: the effect of every shipped scenario against the reference, by group and year.

One CSV per scenario in ``tests/golden/`` (never pickles), with its tolerance in the header. A
change to the model that moves any effect beyond the tolerance fails here, naming the first
diverging point; after a deliberate change, ``pytest tests/test_golden.py --update-golden``
rewrites the files, and the diff is reviewed and committed with the reason.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import helsemodlite as hm

GOLDEN = Path(__file__).with_name("golden")
TOLERANCE = 0.5
"""Årsverk, absolute, on every effect: far below the publication's rounding to 100, far above
floating-point noise across library versions (effects are differences of ~10⁵-sized totals)."""
HEADER = (
    "# Golden output of tests/test_golden.py: {name} minus the reference path, årsverk.\n"
    f"# tolerance: {TOLERANCE} årsverk absolute on supply, demand and gap.\n"
    "# Regenerate: python -m pytest tests/test_golden.py --update-golden (review the diff).\n"
)
SHIPPED = sorted(hm.shipped_scenarios())


@pytest.fixture(scope="module")
def effects() -> pd.DataFrame:
    years = hm.project(detail=False).years
    return hm.compare(SHIPPED, years=years)


def _render(frame: pd.DataFrame, name: str) -> str:
    body = frame[["year", "group", "supply", "demand", "gap"]].to_csv(
        index=False, float_format="%.3f", lineterminator="\n"
    )
    return HEADER.format(name=name) + body


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_scenario_matches_its_golden_output(
    name: str, effects: pd.DataFrame, request: pytest.FixtureRequest
) -> None:
    ours = effects[effects.scenario == name].reset_index(drop=True)
    path = GOLDEN / f"{name}.csv"
    if request.config.getoption("--update-golden"):
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(_render(ours, name), encoding="utf-8")
    assert path.is_file(), f"no golden file for {name}: run with --update-golden"
    text = path.read_text(encoding="utf-8")
    tol = float(text.split("# tolerance: ", 1)[1].split()[0])
    golden = pd.read_csv(io.StringIO(text), comment="#")
    assert golden[["year", "group"]].astype(str).equals(ours[["year", "group"]].astype(str))
    for col in ("supply", "demand", "gap"):
        diff = np.abs(golden[col].to_numpy() - ours[col].to_numpy())
        if (diff > tol).any():
            i = int(np.flatnonzero(diff > tol)[0])
            pytest.fail(
                f"{name}: {col} effect first diverges at {ours.year[i]} {ours.group[i]}: "
                f"golden {golden[col][i]:.3f}, now {ours[col][i]:.3f} (tolerance {tol})"
            )


def test_reference_levels_match_their_golden_output(request: pytest.FixtureRequest) -> None:
    """The reference path itself (levels, not effects), same format and tolerance."""
    ours = hm.project(detail=False).summary()
    path = GOLDEN / "referanse" / "levels.csv"
    if request.config.getoption("--update-golden"):
        path.parent.mkdir(parents=True, exist_ok=True)
        text = _render(ours, "referanse").replace(" minus the reference path", " (levels)")
        path.write_text(text, encoding="utf-8")
    golden = pd.read_csv(path, comment="#")
    assert golden[["year", "group"]].astype(str).equals(ours[["year", "group"]].astype(str))
    for col in ("supply", "demand", "gap"):
        diff = np.abs(golden[col].to_numpy() - ours[col].to_numpy())
        assert diff.max() <= TOLERANCE, (col, ours.year[int(diff.argmax())], diff.max())


def test_golden_files_are_exactly_the_shipped_scenarios() -> None:
    assert sorted(p.stem for p in GOLDEN.glob("*.csv")) == SHIPPED
