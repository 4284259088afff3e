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
from helsemodlite.io.build_record import BUILD_RECORD, build_note

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
        ("parameters.csv", "value", 3, 0.002),  # standardvekst 0.005 beside the shortage 8 600
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
    (copy / BUILD_RECORD).unlink()  # the build writes what it was built from
    assert main(["inputs", "build", "--inputs", str(copy)]) == 0
    after = {p.relative_to(copy): p.read_bytes() for p in copy.rglob("*") if p.is_file()}
    assert set(after) == set(before)  # no temporaries left behind
    assert after[Path(BUILD_RECORD)] == before[Path(BUILD_RECORD)]
    assert build_note(copy) is None
    for rel, data in before.items():
        if rel.parts[0] != "model":
            assert after[rel] == data, rel
    assert hm.check_inputs(copy) == []


def test_the_embedded_model_files_are_built_from_the_embedded_assumptions() -> None:
    """model/build.toml holds the hashes of the sources and assumptions the embedded model
    files were built from: an edit of assumptions/ without a rebuild fails here."""
    assert build_note(hm.default_inputs_dir()) is None


def test_runs_say_when_the_assumptions_changed_since_the_build(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Runs read model/ only: an edited assumption does nothing until `inputs build`, and the
    commands say so (line endings and a byte-order mark are no edit); an unreadable record or
    calibration record is said too, and the run goes on."""
    copy = tmp_path / "inputs"
    assert main(["inputs", "export", str(copy)]) == 0
    capsys.readouterr()
    moves = copy / "assumptions" / "supply_transitions.csv"
    moves.write_bytes(b"\xef\xbb\xbf" + moves.read_bytes().replace(b"\n", b"\r\n"))
    assert build_note(copy) is None
    text = moves.read_text(encoding="utf-8-sig")
    moves.write_text(
        text.replace("helsefagarbeider,sykepleier,0.08", "helsefagarbeider,sykepleier,0.5")
    )
    assert main(["gap-table", "--inputs", str(copy)]) == 0
    err = capsys.readouterr().err
    assert "assumptions/supply_transitions.csv changed since model/ was built" in err
    assert f"inputs build --inputs {copy}" in err
    assert main(["inputs", "check", "--inputs", str(copy)]) == 0
    assert "supply_transitions.csv changed" in capsys.readouterr().err
    params = copy / "model" / "parameters.csv"
    params.write_text(params.read_text().replace("standard_growth,0.005", "standard_growth,0.006"))
    assert main(["inputs", "check", "--inputs", str(copy)]) == 0  # valid, but say the fit
    assert "was fitted on other inputs; changed since: model/parameters.csv" in (
        capsys.readouterr().err
    )
    assert main(["explain", "--inputs", str(copy)]) == 0  # every command that uses model/
    err = capsys.readouterr().err
    assert err.count("was fitted on other inputs") == 1 and err.count("changed since model/") == 1
    (copy / BUILD_RECORD).write_text("built_from = [")
    assert "cannot be read" in (build_note(copy) or "")
    record = copy / "calibration" / "calibration.toml"
    record.write_text(record.read_text() + "garbage = [\n")
    assert main(["gap-table", "--inputs", str(copy)]) == 0
    err = capsys.readouterr().err
    assert "calibration.toml: cannot be read" in err and "is not known" in err


def test_the_build_record_holds_any_file_name_and_refuses_a_folder_in_its_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """File names TOML cannot hold as JSON writes them (an emoji as a surrogate pair, bytes
    that are no UTF-8) keep the record readable; a file that cannot be read is named; a folder
    where the record belongs is refused before anything is built."""
    import os

    from helsemodlite.io.build_record import build_record_text

    copy = tmp_path / "inputs"
    hm.export_inputs(copy)
    (copy / "sources" / "notat 😀.txt").write_text("x")
    (copy / "sources" / os.fsdecode(b"bad\xff.csv")).write_text("x")
    assert "notat 😀.txt" in (build_note(copy) or "") and "bad\\xff.csv" in (build_note(copy) or "")
    (copy / BUILD_RECORD).write_text(build_record_text(copy), encoding="utf-8")
    assert build_note(copy) is None
    if Path("/proc/self/mem").exists():  # a file that is there but cannot be read
        (copy / "sources" / "mem.csv").symlink_to("/proc/self/mem")
        assert "sources/mem.csv: cannot be read" in (build_note(copy) or "")
        (copy / "sources" / "mem.csv").unlink()
    (copy / BUILD_RECORD).unlink()
    (copy / BUILD_RECORD).mkdir()
    assert main(["inputs", "build", "--inputs", str(copy)]) == 2
    assert "build.toml: is not a file" in capsys.readouterr().err
