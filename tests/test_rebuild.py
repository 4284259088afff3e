"""The data build: a rebuild agrees with the committed model files numerically (not byte for
byte: an optimiser's or a BLAS's last digit is no property anyone can promise across library
versions), the tolerance still catches a real change, and a build never writes anything invalid
or into the installed package."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import helsemodlite as hm
from helsemodlite.cli import main
from helsemodlite.data.build import (
    REBUILD_RTOL,
    build_tables,
    model_differences,
    table_difference,
    to_csv_text,
)

MODEL = hm.default_inputs_dir() / "model"


@pytest.fixture(scope="module")
def rebuilt() -> dict[str, pd.DataFrame]:
    return build_tables()


def _committed(name: str) -> pd.DataFrame:
    return pd.read_csv(MODEL / name, comment="#", keep_default_na=False, na_values=[""])


def test_rebuild_agrees_with_committed_model_files(rebuilt: dict[str, pd.DataFrame]) -> None:
    diffs = model_differences(tables=rebuilt)
    assert diffs == [], "\n".join(map(str, diffs))  # names the largest difference per file


def test_rebuilt_inputs_give_the_same_rounded_gap_table(
    rebuilt: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    """What matters: the gap table at the publication's rounding is unchanged by a rebuild."""
    copy = tmp_path / "inputs"
    hm.export_inputs(copy)
    for name, df in rebuilt.items():
        (copy / "model" / name).write_text(to_csv_text(df), encoding="utf-8")
    ours = hm.project(inputs=copy, detail=False).gap_table().round(-2)
    ref = hm.project(detail=False).gap_table().round(-2)
    pd.testing.assert_frame_equal(ours, ref)


@pytest.mark.parametrize(
    ("name", "column", "row", "delta"),
    [
        ("births.csv", "births", 3, 1.0),  # one birth more
        ("personnel.csv", "stock", 100, 1.0),  # one person (about one årsverk) more
        ("population.csv", "persons", 5000, 1.0),  # one person more
        ("staffing.csv", "arsverk_2024", 7, 1.0),  # one årsverk more
    ],
)
def test_tolerance_catches_a_real_change(name: str, column: str, row: int, delta: float) -> None:
    committed = _committed(name)
    assert table_difference(name, committed, committed.copy()) is None
    changed = committed.copy()
    changed.loc[row, column] = changed.loc[row, column] + delta
    diff = table_difference(name, committed, changed)
    assert diff is not None and diff.column == column, diff
    assert "committed" in str(diff) and "rebuilt" in str(diff)


def test_tolerance_ignores_a_last_digit_flip() -> None:
    committed = _committed("population.csv")
    changed = committed.copy()
    changed["persons"] = changed["persons"] * (1 + REBUILD_RTOL / 10)
    assert table_difference("population.csv", committed, changed) is None


def test_build_check_on_the_embedded_set(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inputs", "build", "--check"]) == 0
    assert "agree" in capsys.readouterr().out


def test_build_needs_a_directory_of_the_users(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inputs", "build"]) == 2
    assert "--inputs DIR" in capsys.readouterr().err
    assert main(["calibrate"]) == 2
    assert "inputs export" in capsys.readouterr().err


def test_build_into_an_exported_copy_rewrites_only_model_files(tmp_path: Path) -> None:
    copy = tmp_path / "inputs"
    assert main(["inputs", "export", str(copy)]) == 0
    before = {p.relative_to(copy): p.read_bytes() for p in copy.rglob("*") if p.is_file()}
    assert main(["inputs", "build", "--inputs", str(copy)]) == 0
    after = {p.relative_to(copy): p.read_bytes() for p in copy.rglob("*") if p.is_file()}
    assert set(after) == set(before)  # no temporaries left behind
    for rel, data in before.items():
        if rel.parts[0] != "model":
            assert after[rel] == data, rel
    assert hm.check_inputs(copy) == []
