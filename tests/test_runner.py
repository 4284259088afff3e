"""Scenario runs to files, comparisons, and the avgangsalder hook on a toy with older ages."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import helsemodlite as hm
from helsemodlite.cli import main
from helsemodlite.embedded import scenarios_dir
from helsemodlite.testing import toy_inputs

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS_DIR = scenarios_dir()
SHIPPED = sorted((SCENARIOS_DIR).glob("*.toml"))


def senior_toy() -> hm.Inputs:
    """Toy with ages 60–64 and a falling P, for the avgangsalder hook."""
    n_p = 70
    return toy_inputs(
        ages=(60, 61, 62, 63, 64),
        pop_ages=tuple(range(n_p)),
        population=np.full((1, 4, 2, n_p), 100.0),
        mortality=np.zeros((1, 4, 2, n_p)),
        use=np.ones((2, 2, n_p)),
        p_work=np.broadcast_to(np.array([0.8, 0.6, 0.4, 0.2, 0.1]), (2, 2, 5)).copy(),
        graduates=np.zeros((2, 2, 5)),
    )


def test_avgangsalder_shifts_p_from_from_age() -> None:
    inp = senior_toy()
    ref = hm.project(inputs=inp)
    one = hm.project({"avgangsalder": {"years": 1, "from_age": 62}}, inputs=inp)
    # Base year unchanged; from 2025 P(62) = P(61) = 0.6, P(63) = P(62) = 0.4, P(64) = 0.2.
    assert one.supply[0, 0].tolist() == pytest.approx(ref.supply[0, 0].tolist())
    cells = one.supply_result.cells
    # (age 60 is empty in 2025: no graduates in this toy, everyone aged one year)
    p = cells["employed"][0, 1, 0, 0, 1:] / cells["stock"][0, 1, 0, 0, 1:]
    assert p.tolist() == pytest.approx([0.6, 0.6, 0.4, 0.2])
    half = hm.project({"avgangsalder": {"years": 0.5, "from_age": 62}}, inputs=inp)
    ph = half.supply_result.cells["employed"][0, 1, 0, 0] / 10.0
    assert ph[2] == pytest.approx(0.5)  # halfway between P(61) and P(62)
    later = hm.project({"avgangsalder": {"years": 2, "from_age": 62}}, inputs=inp)
    assert (later.supply[0, 1:] >= one.supply[0, 1:] - 1e-12).all()
    earlier = hm.project({"avgangsalder": {"years": -1, "from_age": 62}}, inputs=inp)
    assert (earlier.supply[0, 1:] <= ref.supply[0, 1:] + 1e-12).all()


def test_avgangsalder_zero_equals_reference() -> None:
    inp = senior_toy()
    ref = hm.project(inputs=inp)
    zero = hm.project({"avgangsalder": {"years": 0}}, inputs=inp)
    np.testing.assert_array_equal(zero.supply, ref.supply)


def test_every_shipped_scenario_runs_in_one_batch() -> None:
    assert len(SHIPPED) >= 20
    proj = hm.project_batch(SHIPPED)
    summary = proj.summary()
    assert summary.scenario.nunique() == len(SHIPPED)
    assert np.isfinite(summary[["supply", "demand", "gap"]].to_numpy()).all()
    assert proj.check_accounting().empty


def test_run_writes_the_four_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "heltid"
    assert main(["run", str(SCENARIOS_DIR / "heltid_10.toml"), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "detail.parquet",
        "gap_table.csv",
        "run.json",
        "summary.csv",
    ]
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns) == ["scenario", "year", "group", "supply", "demand", "gap"]
    assert set(summary.scenario) == {"heltid_10"}
    assert (summary.groupby("year").size() == 15).all()
    detail = pd.read_parquet(out / "detail.parquet")
    assert list(detail.columns) == [
        "scenario",
        "year",
        "group",
        "sex",
        "age",
        "variable",
        "unit",
        "value",
        "is_total",
    ]  # the one long schema (Projection.long(detail=True))
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["scenario"]["stillingsprosent"]["relative_change"] == 0.1
    assert record["helsemodlite_version"] == hm.__version__
    assert "model/personnel.csv" in record["input_files_sha256"]
    assert "Sum" in capsys.readouterr().out


def test_compare_combined_shows_overlap() -> None:
    files = [SCENARIOS_DIR / f for f in ("heltid_10.toml", "avgangsalder_1.toml")]
    df = hm.compare(files, combined=True)
    assert list(df.columns) == ["scenario", "year", "group", "supply", "demand", "gap"]
    assert set(df.scenario) == {"heltid_10", "avgangsalder_1", "kombinert", "sum_enkelttiltak"}
    sums = df[df.group == "Sum"].set_index(["scenario", "year"]).gap
    single = sums["heltid_10"] + sums["avgangsalder_1"]
    np.testing.assert_allclose(sums["sum_enkelttiltak"], single)
    assert (sums["kombinert"] > 0).all() and (sums["heltid_10"] > 0).all()


def test_compare_cli_csv_and_text(capsys: pytest.CaptureFixture[str]) -> None:
    files = [
        str(SCENARIOS_DIR / "sykefravaer_minus10.toml"),
        str(SCENARIOS_DIR / "produktivitet_05.toml"),
    ]
    assert main(["compare", *files, "--combined", "--csv"]) == 0
    df = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert {"kombinert", "sum_enkelttiltak"} <= set(df.scenario)
    assert main(["compare", *files, "--combined"]) == 0
    text = capsys.readouterr().out
    assert "Overlapp" in text and "sykefravaer_minus10" in text


def test_python_api_mirrors_the_file(tmp_path: Path) -> None:
    path = tmp_path / "x.toml"
    path.write_text('title = "x"\n[sykefravaer]\nrelative_change = -0.2\n', encoding="utf-8")
    from_file = hm.project(hm.load_scenario(path), detail=False).summary()
    from_dict = hm.project({"sykefravaer": {"relative_change": -0.2}}, detail=False).summary()
    pd.testing.assert_frame_equal(from_file, from_dict)


def test_out_never_deletes_foreign_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.txt").write_text("keep", encoding="utf-8")
    empty = tmp_path / "empty.toml"
    empty.write_text("", encoding="utf-8")
    assert main(["run", str(empty), "--out", str(mine), "--quiet"]) == 2
    assert (mine / "thesis.txt").read_text(encoding="utf-8") == "keep"
    assert "not helsemodlite outputs" in capsys.readouterr().err
    a_file = tmp_path / "file"
    a_file.write_text("x", encoding="utf-8")
    assert main(["run", str(empty), "--out", str(a_file), "--quiet"]) == 2
    assert a_file.read_text(encoding="utf-8") == "x"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.toml", "file", "mine"]


def test_failed_swap_puts_the_previous_run_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from helsemodlite.io import atomic as runner

    out = tmp_path / "out"
    empty = tmp_path / "empty.toml"
    empty.write_text("", encoding="utf-8")
    assert main(["run", str(empty), "--out", str(out), "--quiet"]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real = runner.os.replace
    calls = {"n": 0}

    def flaky(src: object, dst: object) -> None:
        calls["n"] += 1
        if calls["n"] == 2:  # the swap of the new directory into place
            raise OSError(28, "No space left on device")
        real(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(runner.os, "replace", flaky)
    assert main(["run", str(empty), "--out", str(out), "--quiet"]) == 2
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.toml", "out"]


def test_oversized_scenario_file_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.toml"
    big.write_text("# " + "x" * 1_100_000 + "\n", encoding="utf-8")
    with pytest.raises(hm.ConfigError, match="larger than"):
        hm.load_scenario(big)


def test_one_long_schema_that_every_table_is_a_view_of() -> None:
    from helsemodlite.io.tables import LONG_COLUMNS

    proj = hm.project("heltid_10")
    long = proj.long(detail=True)
    assert tuple(long.columns) == LONG_COLUMNS
    totals = long[long.sex.isna()]
    # summary() is the wide view of the totals
    wide = totals.pivot_table(
        index=["year", "group"], columns="variable", values="value", sort=False
    ).reset_index()
    summary = proj.summary()
    merged = summary.merge(wide, on=["year", "group"], suffixes=("", "_long"))
    for col in ("supply", "demand", "gap"):
        np.testing.assert_allclose(merged[col], merged[f"{col}_long"], rtol=0, atol=1e-9)
    # summing over groups without the is_total rows gives the Sum rows: no double count
    parts = totals[~totals.is_total].groupby(["year", "variable"])["value"].sum()
    sums = totals[totals.is_total].set_index(["year", "variable"])["value"]
    np.testing.assert_allclose(parts.sort_index(), sums.sort_index(), rtol=1e-12)
    # the cells are detail(); årsverk over ages and sexes is the supply of the group
    cells = long[long.sex.notna()]
    assert len(cells) == len(proj.detail())
    arsverk = cells[cells.variable == "arsverk"].groupby(["year", "group"])["value"].sum()
    supply = totals[(totals.variable == "supply") & ~totals.is_total].set_index(["year", "group"])
    np.testing.assert_allclose(arsverk.sort_index(), supply["value"].sort_index(), rtol=1e-9)
    assert set(long.unit) == {"årsverk", "personer"}
    assert "group_label" in proj.long(labels=True).columns


def test_age_bands_are_a_view_of_the_single_ages() -> None:
    proj = hm.project()
    bands = proj.by_age_band("arsverk")
    by_group = bands.sum(axis=1).unstack("group")
    y = proj.years.index(2040)
    expected = dict(zip(proj.inputs.groups, proj.supply[0, y], strict=True))
    for group, value in expected.items():
        assert by_group.loc[2040, group] == pytest.approx(value, rel=1e-9)


def test_combined_merges_a_hook_per_group_when_only_the_groups_differ(tmp_path: Path) -> None:
    a = {"sykefravaer": {"relative_change": -0.1, "groups": ["sykepleier"]}}
    b = {"sykefravaer": {"relative_change": -0.1, "groups": ["helsefagarbeider"]}}
    both = {"sykefravaer": {"relative_change": -0.1, "groups": ["sykepleier", "helsefagarbeider"]}}
    scs = [hm.Scenario.from_dict(a, name="a"), hm.Scenario.from_dict(b, name="b")]
    df = hm.compare(scs, combined=True)
    assert any("merged per group" in n for n in df.attrs["notes"])
    together = hm.compare([hm.Scenario.from_dict(both, name="ab")])
    kombinert = df[df.scenario == "kombinert"].reset_index(drop=True)
    np.testing.assert_allclose(kombinert.gap, together.gap, atol=1e-9)


def test_combined_merges_different_values_for_different_groups(tmp_path: Path) -> None:
    """Heltid +10 % for sykepleiere in one file and +5 % for helsefagarbeidere in another: the
    combined run holds both (it used to keep only the second, with a false overlap)."""
    a = {"stillingsprosent": {"relative_change": 0.1, "groups": ["sykepleier"]}}
    b = {"stillingsprosent": {"relative_change": 0.05, "groups": ["helsefagarbeider"]}}
    one_file = {
        "stillingsprosent": {
            "grupper": {
                "sykepleier": {"relative_change": 0.1},
                "helsefagarbeider": {"relative_change": 0.05},
            }
        }
    }
    scs = [hm.Scenario.from_dict(a, name="a"), hm.Scenario.from_dict(b, name="b")]
    df = hm.compare(scs, combined=True)
    kombinert = df[df.scenario == "kombinert"].set_index(["group", "year"]).gap
    together = hm.compare([hm.Scenario.from_dict(one_file, name="ab")]).set_index(["group", "year"])
    np.testing.assert_allclose(kombinert, together.gap, atol=1e-9)
    # the two groups do not interact on the supply side: the combined effect is a's plus b's
    a_gap, b_gap = (df[df.scenario == n].set_index(["group", "year"]).gap for n in ("a", "b"))
    for g in ("sykepleier", "helsefagarbeider"):
        np.testing.assert_allclose(kombinert.loc[g], (a_gap + b_gap).loc[g], atol=1e-6, err_msg=g)
    assert (kombinert.loc["sykepleier"] > 0).all() and (kombinert.loc["helsefagarbeider"] > 0).all()


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ({"avgangsalder": {"years": 1}}, {"avgangsalder": {"years": 2}}),
        (
            {"sykefravaer": {"relative_change": -0.1, "groups": ["sykepleier", "lege"]}},
            {"sykefravaer": {"relative_change": -0.2, "groups": ["lege"]}},
        ),
        ({"befolkning": {"alternative": "HHMH"}}, {"befolkning": {"alternative": "LLML"}}),
    ],
    ids=["same hook, other value", "one group, two values", "a hook without groups"],
)
def test_combined_refuses_a_real_conflict_naming_both(a: dict, b: dict, tmp_path: Path) -> None:
    fa, fb = tmp_path / "a.toml", tmp_path / "b.toml"
    for path, doc in ((fa, a), (fb, b)):
        path.write_text(hm.Scenario.from_dict(doc, name=path.stem).to_toml(), encoding="utf-8")
    with pytest.raises(hm.ConfigError) as err:
        hm.compare([fa, fb], combined=True)
    text = str(err.value)
    assert "a.toml" in text and "b.toml" in text and "set differently" in text
    assert main(["compare", str(fa), str(fb)]) == 0  # alone, each is fine
