"""The inverse solve (docs/solve.md): a lever value that meets a gap target, as a scenario."""

from __future__ import annotations

from pathlib import Path

import pytest

import helsemodlite as hm
from helsemodlite.cli import main


@pytest.fixture(scope="module")
def solved():  # type: ignore[no-untyped-def]
    return hm.solve("graduates", "sykepleier", 2035, 0.0)


def _gap(sc: hm.Scenario | Path, group: str, year: int) -> float:
    proj = hm.project(sc, detail=False)
    return float(proj.gap[0, proj.years.index(year), proj.inputs.groups.index(group)])


def test_the_solved_scenario_meets_the_target_and_round_trips(solved, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert abs(_gap(solved.scenario, "sykepleier", 2035)) <= 50
    assert 0.0 < solved.values["sykepleier"] < 1.0
    path = tmp_path / "solved.toml"
    path.write_text(solved.scenario.to_toml(), encoding="utf-8")
    assert _gap(path, "sykepleier", 2035) == pytest.approx(
        _gap(solved.scenario, "sykepleier", 2035), abs=1e-6
    )
    assert solved.gaps.loc[2035, "sykepleier"] == pytest.approx(
        _gap(solved.scenario, "sykepleier", 2035)
    )
    ref = hm.project(detail=False)
    assert solved.reference.loc[2035, "sykepleier"] == pytest.approx(
        float(ref.gap[0, ref.years.index(2035), ref.inputs.groups.index("sykepleier")])
    )


def test_several_groups_are_solved_each_as_alone(solved) -> None:  # type: ignore[no-untyped-def]
    both = hm.solve("graduates", ["sykepleier", "vernepleier"], 2035, 0.0)
    assert both.values["sykepleier"] == pytest.approx(solved.values["sykepleier"], abs=1e-5)
    for g in ("sykepleier", "vernepleier"):
        assert abs(_gap(both.scenario, g, 2035)) <= 50


def test_a_later_start_needs_more_and_leaves_the_years_before_alone(solved) -> None:  # type: ignore[no-untyped-def]
    late = hm.solve("graduates", "sykepleier", 2035, 0.0, start_year=2029)
    assert late.values["sykepleier"] > solved.values["sykepleier"]
    assert late.gaps.loc[2028, "sykepleier"] == pytest.approx(
        late.reference.loc[2028, "sykepleier"]
    )
    assert abs(late.gaps.loc[2035, "sykepleier"]) <= 50


def test_other_levers_and_targets() -> None:
    s = hm.solve("avgangsalder", "helsefagarbeider", 2030, -5000.0)
    assert abs(s.gaps.loc[2030, "helsefagarbeider"] + 5000) <= 50
    assert s.values["helsefagarbeider"] > 0
    s = hm.solve("stillingsprosent", "lege", 2040, 3000.0)
    assert abs(s.gaps.loc[2040, "lege"] - 3000) <= 50


def test_an_unreachable_target_is_reported_with_what_the_lever_gives(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(hm.ConfigError, match="not reachable") as info:
        hm.solve("immigrants", "sykepleier", 2035, 0.0)
    assert "+100 %" in str(info.value) and "årsverk in 2035" in str(info.value)
    assert main(["solve", "--lever", "immigrants", "--group", "sykepleier"]) == 2
    err = capsys.readouterr().err
    assert "not reachable" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"lever": "lønn"}, "unknown lever"),
        ({"group": "kokk"}, "unknown group"),
        ({"target_year": 2024}, "not a projection year"),
        ({"target_year": 2035, "start_year": 2036}, "start year"),
    ],
)
def test_bad_questions_are_refused(kwargs: dict, needle: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(hm.ConfigError, match=needle):
        hm.solve(**kwargs)


def test_cli_prints_and_writes_a_new_file_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "solved.toml"
    argv = ["solve", "--group", "sykepleier", "--year", "2035", "--out", str(out)]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "Sykepleier: nyutdannede +" in text and "Sykepleier, løst" in text
    assert abs(_gap(out, "sykepleier", 2035)) <= 50
    before = out.read_bytes()
    assert main(argv) == 2  # never overwritten
    assert out.read_bytes() == before
    assert "exists" in capsys.readouterr().err
    deep = tmp_path / "ny" / "mappe" / "x.toml"  # missing folders are made, as for --out DIR
    assert main(["solve", "--group", "sykepleier", "--out", str(deep)]) == 0 and deep.is_file()
    assert main(["solve", "--group", "sykepleier", "--out", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err
    twice = hm.solve("graduates", ["sykepleier", "sykepleier"], 2035)
    assert list(twice.values) == ["sykepleier"] and list(twice.gaps.columns) == ["sykepleier"]


def test_solve_in_study_places(capsys: pytest.CaptureFixture[str]) -> None:
    s = hm.solve("study_places", "sykepleier", 2035, 0.0, start_year=2026)
    places = s.values["sykepleier"]
    assert 500 < places < 10_000
    assert abs(_gap(s.scenario, "sykepleier", 2035)) <= 50
    # nothing changes before the first graduates (start + 3 years for a bachelor)
    assert s.gaps.loc[2028, "sykepleier"] == pytest.approx(s.reference.loc[2028, "sykepleier"])
    assert s.gaps.loc[2029, "sykepleier"] > s.reference.loc[2029, "sykepleier"]
    assert "studieplasser +" in s.describe("sykepleier") and "fra 2029" in s.describe("sykepleier")
    argv = ["solve", "--lever", "study_places", "--group", "lege", "--year", "2030"]
    assert main([*argv, "--target", "2000"]) == 2
    err = capsys.readouterr().err
    assert "not reachable" in err and "give graduates from 2031" in err  # a 6-year programme
