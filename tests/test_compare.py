"""`helsemodlite compare` as one table, its --out folder, and the CSV options of every command
(--labels, --dialect excel-no, the is_total marker of the Sum rows)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import helsemodlite as hm
from helsemodlite.cli import main

YEARS = [2025, 2030, 2035, 2040]
PAIR = ["heltid_10", "avgangsalder_1"]


@pytest.fixture(scope="module")
def comparison() -> pd.DataFrame:
    return hm.compare(PAIR, combined=True)


def _table_lines(text: str) -> list[list[str]]:
    """The rows of a printed table (after the header line), split on runs of 2+ spaces."""
    import re

    lines = text.splitlines()
    head = next(i for i, line in enumerate(lines) if line.lstrip().startswith(("Scenario", "Utd")))
    rows = []
    for line in lines[head + 2 :]:
        if not line.strip() or line.startswith("Overlapp"):
            break
        if set(line.strip()) == {"-"}:
            continue
        rows.append(re.split(r"\s{2,}", line.strip()))
    return rows


# -- the table ------------------------------------------------------------------------------------


def test_compare_table_rows_and_columns(comparison: pd.DataFrame) -> None:
    table = hm.compare_table(comparison)
    assert list(table.columns) == ["group", "scenario", *YEARS, "is_total"]
    assert list(table.scenario) == [*PAIR, "kombinert", "sum_enkelttiltak"]
    assert set(table.group) == {"Sum"} and table.is_total.all()
    sums = comparison[comparison.group == "Sum"].pivot(
        index="scenario", columns="year", values="gap"
    )
    np.testing.assert_allclose(table[YEARS].to_numpy(), sums.loc[table.scenario, YEARS].to_numpy())


def test_compare_table_groups_and_variable(comparison: pd.DataFrame) -> None:
    table = hm.compare_table(comparison, variable="supply", groups=["sykepleier", "Sum"])
    assert list(table.group) == ["sykepleier"] * 4 + ["Sum"] * 4
    assert list(table.is_total) == [False] * 4 + [True] * 4
    want = comparison.set_index(["scenario", "group", "year"]).supply
    assert table.iloc[1][2040] == pytest.approx(want[("avgangsalder_1", "sykepleier", 2040)])
    one = hm.compare_table(comparison, groups="lege", variable="demand")
    assert list(one.group) == ["lege"] * 4 and one.attrs["variable"] == "demand"


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"variable": "tilbud"}, "'tilbud'"),
        ({"groups": ["sykepleier", "nurse"]}, "'nurse'"),
        ({"groups": "sykepleiere"}, "did you mean 'sykepleier'"),
        ({"groups": []}, "group"),
    ],
)
def test_compare_table_refuses_what_it_does_not_know(
    comparison: pd.DataFrame, kwargs: dict, named: str
) -> None:
    with pytest.raises(hm.ConfigError, match=named):
        hm.compare_table(comparison, **kwargs)


def test_compare_table_of_something_else_is_refused() -> None:
    for wrong in (None, pd.DataFrame({"group": ["Sum"]})):
        with pytest.raises(hm.ConfigError, match="expected the frame of helsemodlite.compare"):
            hm.compare_table(wrong)  # type: ignore[arg-type]


def test_compare_table_of_part_of_a_frame_is_refused_not_filled_with_nan(
    comparison: pd.DataFrame,
) -> None:
    """A filtered or edited frame gave rows of NaN; now it names what is missing."""
    c = comparison
    cases = [
        (c[c.group == "lege"], "no Sum rows"),
        (c[~((c.scenario == c.scenario.iloc[0]) & (c.year == 2030))], "year 2030"),
        (pd.concat([c, c]), "repeats"),
        (c.assign(year="x"), "whole years"),
    ]
    for frame, named in cases:
        with pytest.raises(hm.ConfigError, match=named):
            hm.compare_table(frame)
    as_text = hm.compare_table(c.astype({"year": str}))  # years read back from a CSV as text
    pd.testing.assert_frame_equal(as_text, hm.compare_table(c))


def test_compare_prints_one_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", *PAIR, "--combined"]) == 0
    out = capsys.readouterr().out
    assert out.count("Scenario") == 1  # one table, not three blocks per scenario
    assert "gapet" in out.splitlines()[0]
    header = next(line for line in out.splitlines() if line.startswith("Scenario"))
    assert header.split()[1:] == [str(y) for y in YEARS]
    rows = _table_lines(out)
    assert [r[0] for r in rows] == [*PAIR, "kombinert", "sum_enkelttiltak"]
    assert all(len(r) == 1 + len(YEARS) for r in rows)
    assert "Overlapp (kombinert − sum av enkelttiltak)" in out


def test_compare_cli_group_years_variable(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["compare", *PAIR, "--group", "sykepleier", "lege", "--years", "2030", "2040"]
    assert main([*argv, "--variable", "supply"]) == 0
    out = capsys.readouterr().out
    assert "tilbudet" in out.splitlines()[0]
    header = next(line for line in out.splitlines() if line.startswith("Utdanningsgruppe"))
    assert header.split()[-2:] == ["2030", "2040"]
    rows = _table_lines(out)
    assert rows[0][:2] == ["Sykepleier", "heltid_10"] and rows[1][0] == "avgangsalder_1"
    assert rows[2][:2] == ["Lege", "heltid_10"] and len(rows) == 4
    repeated = ["compare", *PAIR, "--group", "sykepleier", "--group", "lege", "--years", "2030"]
    assert main(repeated) == 0  # the flag repeated, as in solve: both groups
    assert [r[0] for r in _table_lines(capsys.readouterr().out)][::2] == ["Sykepleier", "Lege"]
    supply = hm.compare(PAIR, years=[2040]).set_index(["scenario", "group"]).supply
    assert rows[0][-1].replace(" ", "") == str(int(round(supply[("heltid_10", "sykepleier")], -2)))


def test_compare_groups_flag_keeps_its_meaning(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", "heltid_10", "--groups"]) == 0
    rows = _table_lines(capsys.readouterr().out)
    assert len(rows) == 15 and rows[0][0] == "Sykepleier" and rows[-1][0] == "Sum"
    assert main(["compare", "heltid_10", "--groups", "--group", "lege"]) == 2


def test_compare_csv_on_stdout_is_unchanged(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", *PAIR, "--combined", "--csv"]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0] == "scenario,year,group,supply,demand,gap"
    expected = hm.compare(PAIR, combined=True)
    pd.testing.assert_frame_equal(pd.read_csv(io.StringIO(text)), expected, check_dtype=False)


# -- compare --out ----------------------------------------------------------------------------


def test_compare_out_writes_csv_xlsx_and_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cmp"
    argv = ["compare", *PAIR, "--combined", "--group", "sykepleier", "Sum", "--out", str(out)]
    assert main(argv) == 0
    assert "→" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == [
        "compare.csv",
        "compare.xlsx",
        "compare_long.csv",
        "run.json",
    ]
    table = pd.read_csv(out / "compare.csv")
    assert list(table.columns) == [
        "group",
        "scenario",
        "variable",
        "2025",
        "2030",
        "2035",
        "2040",
        "is_total",
    ]
    assert len(table) == 8 and set(table.variable) == {"gap"}
    assert table.is_total.dtype == bool and list(table.is_total) == [False] * 4 + [True] * 4
    want = hm.compare_table(hm.compare(PAIR, combined=True), groups=["sykepleier", "Sum"])
    np.testing.assert_allclose(table[["2025", "2040"]].to_numpy(), want[[2025, 2040]].to_numpy())
    long = pd.read_csv(out / "compare_long.csv")
    assert list(long.columns) == [
        "scenario",
        "year",
        "group",
        "supply",
        "demand",
        "gap",
        "is_total",
    ]
    parts = long[~long.is_total].groupby(["scenario", "year"]).gap.sum()
    sums = long[long.is_total].set_index(["scenario", "year"]).gap
    np.testing.assert_allclose(parts.loc[sums.index], sums, atol=1e-6)  # no double count

    sheets = pd.read_excel(out / "compare.xlsx", sheet_name=None)
    assert list(sheets) == ["Virkning", "Alle tall", "Grunnlag"]
    virk = sheets["Virkning"]
    assert list(virk.columns[:3]) == ["Utdanningsgruppe", "Gruppe-id", "Scenario"]
    assert virk["2040"].dtype == float and "Sumrad (ikke summer med gruppene)" in virk.columns
    np.testing.assert_allclose(virk["2040"], table["2040"])
    import openpyxl

    ws = openpyxl.load_workbook(out / "compare.xlsx")["Virkning"]
    assert ws.freeze_panes == "A2"
    assert isinstance(ws.cell(row=2, column=4).value, float)
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["kind"] == "compare" and record["groups"] == ["sykepleier", "Sum"]
    assert record["years"] == YEARS and record["variable"] == "gap" and record["combined"]
    assert [s["name"] for s in record["scenarios"]] == PAIR
    assert "compare.xlsx" in record["outputs"] and "model/personnel.csv" in str(record)
    assert record["command"].startswith("helsemodlite compare heltid_10 avgangsalder_1 --combined")

    # a previous compare folder is replaced; the same content gives the same bytes
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert main(argv) == 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_compare_out_never_replaces_another_commands_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_dir = tmp_path / "run"
    assert main(["run", "heltid_10", "--out", str(run_dir), "--quiet"]) == 0
    before = sorted(p.name for p in run_dir.iterdir())
    assert main(["compare", "heltid_10", "--out", str(run_dir)]) == 2
    assert "holds the output of another command (helsemodlite run)" in capsys.readouterr().err
    assert sorted(p.name for p in run_dir.iterdir()) == before
    cmp_dir = tmp_path / "cmp"
    assert main(["compare", "heltid_10", "--out", str(cmp_dir)]) == 0
    assert main(["run", "heltid_10", "--out", str(cmp_dir), "--quiet"]) == 2


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (["--group", "nurse"], "'nurse'"),
        (["--years", "2060"], "2060"),
        (["--dialect", "excel-no", "--years", "2023"], "2023"),
        (["--group", "sykepleier", "Sum", "bogus"], "'bogus'"),
    ],
)
def test_compare_bad_input_exits_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], named: str
) -> None:
    out = tmp_path / "cmp"
    assert main(["compare", "heltid_10", "--out", str(out), *extra]) == 2
    err = capsys.readouterr().err
    assert named in err and "Traceback" not in err
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_compare_unknown_variable_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cmp"
    with pytest.raises(SystemExit) as exc:
        main(["compare", "heltid_10", "--variable", "tilbud", "--out", str(out)])
    assert exc.value.code == 2 and "'tilbud'" in capsys.readouterr().err
    assert not out.exists()
    with pytest.raises(hm.ConfigError, match="'tilbud'"):
        hm.write_compare(["heltid_10"], out, variable="tilbud")
    assert not out.exists()


def test_labels_and_dialect_need_a_csv(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", "heltid_10", "--labels"]) == 2
    assert "--labels applies to CSV output only" in capsys.readouterr().err
    assert main(["gap-table", "--dialect", "excel-no"]) == 2
    assert "--csv" in capsys.readouterr().err


# -- --labels, --dialect excel-no, the Sum marker ------------------------------------------------


def test_compare_out_labels_and_excel_dialect(tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    argv = ["compare", *PAIR, "--out", str(out), "--labels", "--dialect", "excel-no"]
    assert main([*argv, "--group", "helsesekretaer", "Sum"]) == 0
    raw = (out / "compare.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b";" in raw.splitlines()[0]
    table = pd.read_csv(out / "compare.csv", sep=";", decimal=",")
    assert list(table.columns[:5]) == ["group", "group_label", "unit", "scenario", "variable"]
    assert table.group_label[0] == "Helsesekretær (inkl. tannhelsesekretær)"
    assert set(table.unit) == {"årsverk"} and table["2040"].dtype == float
    ours = hm.compare_table(hm.compare(PAIR), groups=["helsesekretaer", "Sum"])
    np.testing.assert_allclose(table["2040"], ours[2040], rtol=1e-9)
    long = pd.read_csv(out / "compare_long.csv", sep=";", decimal=",")
    assert long.gap.dtype == float and long.is_total.dtype == bool
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["csv"] == {"labels": True, "dialect": "excel-no"}


def test_gap_table_csv_labels_and_dialect(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gap-table", "--csv"]) == 0
    plain = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert main(["gap-table", "--csv", "--labels"]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0] == "group,group_label,unit,2025,2030,2035,2040,is_total"
    labelled = pd.read_csv(io.StringIO(text))
    assert labelled.group_label[0] == "Sykepleier" and labelled.is_total.sum() == 1
    assert labelled[labelled.is_total].group.item() == "Sum"
    parts = labelled.loc[~labelled.is_total, "2040"].sum()
    assert parts == pytest.approx(labelled.loc[labelled.is_total, "2040"].item())
    assert main(["gap-table", "--csv", "--dialect", "excel-no"]) == 0
    excel = pd.read_csv(io.BytesIO(capsys.readouterr().out.encode()), sep=";", decimal=",")
    assert list(excel.columns) == list(plain.columns)
    pd.testing.assert_frame_equal(excel, plain, rtol=1e-9)


def test_run_out_labels_and_dialect(tmp_path: Path) -> None:
    plain, annotated = tmp_path / "a", tmp_path / "b"
    assert main(["run", "heltid_10", "--out", str(plain), "--quiet"]) == 0
    assert (
        main(
            [
                "run",
                "heltid_10",
                "--out",
                str(annotated),
                "--quiet",
                "--labels",
                "--dialect",
                "excel-no",
            ]
        )
        == 0
    )
    for name in ("summary.csv", "gap_table.csv"):
        base = pd.read_csv(plain / name)
        ours = pd.read_csv(annotated / name, sep=";", decimal=",")
        assert "group_label" in ours.columns and "is_total" in ours.columns
        pd.testing.assert_frame_equal(ours[list(base.columns)], base, rtol=1e-9)
        assert (ours.group == "Sum").equals(ours.is_total)
    assert (plain / "detail.parquet").read_bytes() == (annotated / "detail.parquet").read_bytes()
    assert "csv" not in json.loads((plain / "run.json").read_text(encoding="utf-8"))


def test_default_csv_outputs_are_unchanged(tmp_path: Path) -> None:
    """The defaults write what they always wrote: byte for byte the one CSV format."""
    from helsemodlite.io.tables import to_csv_text

    proj = hm.project(detail=False)
    frame = proj.summary(with_scenario=True)
    expected = frame.to_csv(index=False, float_format="%.10g", lineterminator="\n")
    assert to_csv_text(frame) == expected
    assert main(["run", "heltid_10", "--out", str(tmp_path / "r"), "--quiet"]) == 0
    head = (tmp_path / "r" / "summary.csv").read_text(encoding="utf-8").splitlines()[0]
    assert head == "scenario,year,group,supply,demand,gap"
