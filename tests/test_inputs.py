"""The default inputs pass the check; corrupted copies fail with clear messages (exit code 2)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import helsemodlite as hm
from helsemodlite import dims
from helsemodlite.cli import main

DEFAULT = hm.default_inputs_dir()


@pytest.fixture(scope="module")
def default_inputs() -> hm.Inputs:
    return hm.load_inputs()


def test_default_inputs_pass_the_check() -> None:
    assert hm.check_inputs() == []


def test_cli_inputs_check_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inputs", "check"]) == 0
    assert "inputs OK" in capsys.readouterr().out


@pytest.fixture()
def copy(tmp_path: Path) -> Path:
    target = tmp_path / "inputs"
    shutil.copytree(DEFAULT, target, ignore=shutil.ignore_patterns("sources", "assumptions"))
    return target


def _edit(path: Path, change: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    df = pd.read_csv(path, comment="#", dtype=str, keep_default_na=False)
    change(df).to_csv(path, index=False)


def _set(col: str, row: int, value: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def f(df: pd.DataFrame) -> pd.DataFrame:
        df.loc[row, col] = value
        return df

    return f


CORRUPTIONS: dict[str, tuple[str, Callable[[Path], None], str]] = {
    "missing file": ("personnel.csv", lambda p: p.unlink(), "missing file"),
    "missing column": (
        "personnel.csv",
        lambda p: _edit(p, lambda d: d.drop(columns="p_work")),
        "missing column 'p_work'",
    ),
    "renamed column": (
        "population.csv",
        lambda p: _edit(p, lambda d: d.rename(columns={"persons": "people"})),
        "missing column 'persons'",
    ),
    "nan": ("personnel.csv", lambda p: _edit(p, _set("fte", 3, "nan")), "NaN"),
    "empty cell": ("personnel.csv", lambda p: _edit(p, _set("fte", 3, "")), "missing values"),
    "non-numeric": ("personnel.csv", lambda p: _edit(p, _set("stock", 7, "mange")), "non-numeric"),
    "negative count": ("personnel.csv", lambda p: _edit(p, _set("stock", 5, "-3")), "must be >= 0"),
    "rate above 1": ("personnel.csv", lambda p: _edit(p, _set("p_work", 5, "1.2")), "must be <= 1"),
    "negative rate": ("mortality.csv", lambda p: _edit(p, _set("q", 5, "-0.1")), "must be >= 0"),
    "group missing": (
        "personnel.csv",
        lambda p: _edit(p, lambda d: d[d.group != "jordmor"]),
        "does not cover jordmor",
    ),
    "year missing": (
        "population.csv",
        lambda p: _edit(p, lambda d: d[d.year != "2031"]),
        "must be a run of consecutive years",
    ),
    "sex coded differently": (
        "personnel.csv",
        lambda p: _edit(p, lambda d: d.replace({"sex": {"F": "K"}})),
        "unknown values",
    ),
    "unknown group": (
        "calibration.csv",
        lambda p: _edit(p, _set("group", 0, "sykepleiere")),
        "unknown values",
    ),
    "one cell missing": (
        "personnel.csv",
        lambda p: _edit(p, lambda d: d.drop(index=10)),
        "incomplete coverage",
    ),
    "duplicate row": (
        "staffing.csv",
        lambda p: _edit(p, lambda d: pd.concat([d, d.iloc[[0]]])),
        "duplicate rows",
    ),
    "truncated": (
        "personnel.csv",
        lambda p: p.write_text(p.read_text()[: len(p.read_text()) // 2]),
        "personnel.csv",
    ),
    "garbage": ("services.csv", lambda p: p.write_bytes(b"\x00\xff\xfe garbage"), "services.csv"),
    "bad driver": ("services.csv", lambda p: _edit(p, _set("driver", 0, "weather")), "driver"),
    "unknown origin": (
        "transitions.csv",
        lambda p: _edit(p, _set("origin", 6, "sykepleiere")),
        "column 'origin' of group 'jordmor' is 'sykepleiere'",
    ),
    "share without origin": (
        "transitions.csv",
        lambda p: _edit(p, _set("share", 0, "0.3")),
        "has share 0.3 but no origin",
    ),
    "own origin": (
        "transitions.csv",
        lambda p: _edit(p, _set("origin", 6, "jordmor")),
        "cannot have itself as origin",
    ),
    "cycle": (
        "transitions.csv",
        lambda p: _edit(
            p,
            lambda d: _set("share", 7, "0.01")(
                _set("origin", 7, "psykolog")(
                    _set("share", 8, "0.01")(_set("origin", 8, "lege")(d))
                )
            ),
        ),
        "the moves form a cycle",
    ),
    "share above 1": (
        "transitions.csv",
        lambda p: _edit(p, _set("share", 6, "1.5")),
        "must be <= 1",
    ),
}


@pytest.mark.parametrize("case", sorted(CORRUPTIONS))
def test_corrupted_copy_fails_clearly(
    case: str, copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name, corrupt, expected = CORRUPTIONS[case]
    folder = "calibration" if name == "calibration.csv" else "model"
    corrupt(copy / folder / name)
    problems = hm.check_inputs(copy)
    assert problems, case
    text = "\n".join(problems)
    assert name in text and expected in text, text
    assert main(["inputs", "check", "--inputs", str(copy)]) == 2
    err = capsys.readouterr().err
    assert name in err and "Traceback" not in err
    with pytest.raises(hm.InputError):
        hm.load_inputs(copy)


def test_inputs_without_transitions_load_with_no_moves_between_groups(copy: Path) -> None:
    """transitions.csv is optional: inputs written before it carried the moves in the origin's
    exit rate, so without the file no one moves (and nothing else changes)."""
    (copy / "model" / "transitions.csv").unlink()
    assert hm.check_inputs(copy) == []
    inp = hm.load_inputs(copy)
    assert not inp.moves.any()
    with_file = hm.load_inputs()
    sykepleier, jordmor = (with_file.groups.index(g) for g in ("sykepleier", "jordmor"))
    assert with_file.moves[sykepleier, jordmor] == 1.0


def test_message_names_the_line(copy: Path) -> None:
    _edit(copy / "model" / "personnel.csv", _set("p_work", 5, "1.5"))
    (problem,) = hm.check_inputs(copy)
    assert "p_work" in problem and "line 7" in problem  # header is line 1, row 5 is line 7


def test_gap_table_on_bad_inputs_exits_2_and_writes_nothing(
    copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (copy / "model" / "births.csv").unlink()
    assert main(["gap-table", "--inputs", str(copy)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "births.csv" in captured.err


def test_loaded_arrays_have_the_declared_shapes(default_inputs: hm.Inputs) -> None:
    inp = default_inputs
    g, s, a = len(dims.GROUPS), len(dims.SEXES), len(dims.AGES)
    assert inp.stock.shape == (g, s, a)
    assert inp.population.shape == (3, len(dims.YEARS), s, len(dims.POP_AGES))
    assert inp.staffing.shape == (len(inp.services), len(dims.CATEGORIES))
    assert np.isfinite(inp.stock).all() and (inp.stock >= 0).all()


@pytest.mark.parametrize("alt", dims.POPULATION_ALTERNATIVES)
def test_population_totals_match_ssb_within_half_a_percent(alt: str) -> None:
    inp = hm.load_inputs(population=alt)
    ssb = pd.read_csv(
        DEFAULT / "sources" / "population_projection_total_2024round.csv", comment="#"
    ).set_index("year")[alt]
    ours = inp.population[inp.alternative_index].sum(axis=(1, 2))
    for i, year in enumerate(inp.years):
        if 2025 <= year <= 2050:
            assert abs(ours[i] / ssb[year] - 1) < 0.005, (alt, year)


def test_unknown_population_alternative_is_an_error() -> None:
    with pytest.raises(hm.InputError, match="MMMM"):
        hm.load_inputs(population="XXXX")


def test_run_on_bad_inputs_exits_2_and_writes_nothing(
    copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _edit(copy / "model" / "personnel.csv", _set("sick_leave", 2, "2.5"))
    scenario = tmp_path / "s.toml"
    scenario.write_text("[sykefravaer]\nrelative_change = -0.1\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(scenario), "--inputs", str(copy), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "personnel.csv" in err and "sick_leave" in err and "Traceback" not in err
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inputs", "s.toml"]


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ("lege,psykolog,0.01,x\npsykolog,lege,0.01,y\n", "the moves form a cycle"),
        (" sykepleier ,jordmor,1.0,x\nsykepleier,jordmor,1.0,y\n", "more than once"),
        ("sykepleier,jordmor,2,x\n", "line 2: share must be a number in [0, 1]"),
    ],
)
def test_bad_transition_assumptions_stop_the_build_and_write_nothing(
    tmp_path: Path, rows: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "inputs"
    hm.export_inputs(root)
    before = (root / "model" / "transitions.csv").read_bytes()
    (root / "assumptions" / "supply_transitions.csv").write_text(
        "origin,destination,share,rationale\n" + rows, encoding="utf-8"
    )
    assert main(["inputs", "build", "--inputs", str(root)]) == 2
    err = capsys.readouterr().err
    assert "supply_transitions.csv" in err and expected in err and "Traceback" not in err
    assert (root / "model" / "transitions.csv").read_bytes() == before


def test_a_missing_assumptions_file_is_named_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "inputs"
    hm.export_inputs(root)
    (root / "assumptions" / "supply_sick_leave.csv").unlink()
    assert main(["inputs", "build", "--inputs", str(root)]) == 2
    err = capsys.readouterr().err
    assert "assumptions/supply_sick_leave.csv: missing file" in err and "Traceback" not in err


def test_no_transitions_is_a_choice_the_build_accepts(tmp_path: Path) -> None:
    """A header-only supply_transitions.csv means no moves between groups."""
    root = tmp_path / "inputs"
    hm.export_inputs(root)
    (root / "assumptions" / "supply_transitions.csv").write_text(
        "origin,destination,share,rationale\n", encoding="utf-8"
    )
    assert main(["inputs", "build", "--inputs", str(root)]) == 0
    assert not hm.load_inputs(root).moves.any()
