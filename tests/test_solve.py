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


def test_groups_linked_by_further_education_are_solved_together_exactly(solved) -> None:  # type: ignore[no-untyped-def]
    """More nurses take more helsefagarbeidere (8 % of new nurses were helsefagarbeidere,
    transitions.csv): solving both, the helsefagarbeidere need more graduates than alone, and
    both gaps meet the target in the one scenario; a lever that cuts the helsefagarbeider
    graduates to nothing is searched without a refusal (no one leaves an empty cell)."""
    both = hm.solve("graduates", ["sykepleier", "helsefagarbeider"], 2040, 0.0, start_year=2027)
    for g in ("sykepleier", "helsefagarbeider"):
        assert abs(_gap(both.scenario, g, 2040)) <= 50
    alone = hm.solve("graduates", "helsefagarbeider", 2040, 0.0, start_year=2027)
    assert both.values["helsefagarbeider"] > alone.values["helsefagarbeider"]
    nurses = hm.solve("graduates", "sykepleier", 2040, 0.0, start_year=2027)
    assert both.values["sykepleier"] == pytest.approx(nurses.values["sykepleier"], abs=1e-5)


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
    assert "give graduates from 2031, after the target year 2030" in err  # a 6-year programme
    assert main(argv) == 2  # even where the target is met anyway (lege has a surplus in 2030)
    assert "after the target year" in capsys.readouterr().err


# --- the costed plan: several levers, relative costs, year by year ------------------------


def _gaps(sc: hm.Scenario | Path, group: str, years: range) -> list[float]:
    proj = hm.project(sc, detail=False)
    gi = proj.inputs.groups.index(group)
    return [float(proj.gap[0, proj.years.index(y), gi]) for y in years]


@pytest.fixture(scope="module")
def plan():  # type: ignore[no-untyped-def]
    costs = {"graduates": 1.0, "immigrants": 1.5}
    return hm.solve(["graduates", "immigrants"], "sykepleier", 2035, costs=costs, max_step=0.1)


def test_a_costed_plan_meets_the_target_every_year_and_round_trips(plan, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    years = range(2035, 2041)
    assert min(plan.gaps.loc[2035:2040, "sykepleier"]) >= -1e-6
    path = tmp_path / "plan.toml"
    path.write_text(plan.scenario.to_toml(), encoding="utf-8")
    assert _gaps(path, "sykepleier", years) == pytest.approx(
        list(plan.gaps.loc[2035:2040, "sykepleier"]), abs=1e-6
    )
    assert min(_gaps(path, "sykepleier", years)) >= 0.0
    # the binding year meets the target closely: the plan buys no more than it must
    assert min(plan.gaps.loc[2035:2040, "sykepleier"]) < 5.0
    grads = plan.plan[(plan.plan.lever == "graduates")].sort_values("year")
    steps = grads.value.diff().fillna(grads.value).abs()
    assert steps.max() <= 0.1 + 1e-6  # the bounded change from one year to the next
    assert plan.total_cost["sykepleier"] == pytest.approx(plan.plan.cost.sum())


def test_the_cheaper_lever_carries_the_plan() -> None:
    args = (["graduates", "immigrants"], "helsefagarbeider", 2035)
    cheap_imm = hm.solve(*args, costs={"graduates": 5.0, "immigrants": 1.0}, max_step=None)
    cheap_grad = hm.solve(*args, costs={"graduates": 1.0, "immigrants": 5.0}, max_step=None)

    def used(sol, lever):  # type: ignore[no-untyped-def]
        return float(sol.plan[sol.plan.lever == lever].amount.sum())

    assert used(cheap_imm, "immigrants") > used(cheap_grad, "immigrants")
    assert used(cheap_grad, "graduates") > used(cheap_imm, "graduates")


def test_the_plan_is_no_dearer_than_the_constant_answer() -> None:
    """With no bound on the step, one constant change that meets the target every year is one
    of the plans the programme chooses from, so the optimum costs at most as much."""
    each = [hm.solve("graduates", "sykepleier", y, 0.0) for y in range(2035, 2041)]
    const = max(each, key=lambda s: s.values["sykepleier"])  # meets every year 2035-2040
    assert min(const.gaps.loc[2035:2040, "sykepleier"]) >= -50
    lp = hm.solve(
        "graduates", "sykepleier", 2035, costs={"graduates": 1.0}, max_step=None, until=2040
    )
    flow = float(const.reference_flow["sykepleier"])  # type: ignore[index]
    constant_cost = const.values["sykepleier"] * flow * len(range(2025, 2041))
    assert lp.total_cost["sykepleier"] < constant_cost  # timing is worth something
    assert lp.total_cost["sykepleier"] <= constant_cost * 1.001


def test_a_non_linear_lever_in_a_costed_plan() -> None:
    sol = hm.solve(
        ["graduates", "stillingsprosent"],
        "sykepleier",
        2035,
        costs={"graduates": 1.0, "stillingsprosent": 500.0},
    )
    assert min(sol.gaps.loc[2035:2040, "sykepleier"]) >= 0.0
    sp = sol.plan[sol.plan.lever == "stillingsprosent"].value
    assert sp.nunique() == 1 and 0.0 < sp.iloc[0] < 1.0  # one constant value from the start
    assert min(_gaps(sol.scenario, "sykepleier", range(2035, 2041))) >= 0.0
    lines = sol.describe("sykepleier")
    assert any(line.startswith("stillingsprosent +") for line in lines)


def test_costed_refusals() -> None:
    with pytest.raises(hm.ConfigError, match="not reachable") as info:
        hm.solve("graduates", "sykepleier", 2035, costs={"graduates": 1.0}, max_step=0.02)
    assert "2 percentage points a year" in str(info.value)
    with pytest.raises(hm.ConfigError, match="need relative costs"):
        hm.solve(["graduates", "immigrants"], "sykepleier", 2035)
    with pytest.raises(hm.ConfigError, match="no cost for 'immigrants'"):
        hm.solve(["graduates", "immigrants"], "sykepleier", 2035, costs={"graduates": 1})
    with pytest.raises(hm.ConfigError, match="choose one"):
        hm.solve(
            ["graduates", "study_places"], "lege", 2035, costs={"graduates": 1, "study_places": 1}
        )
    with pytest.raises(hm.ConfigError, match="must be a number > 0"):
        hm.solve("graduates", "lege", 2035, costs={"graduates": -1})
    with pytest.raises(hm.ConfigError, match="max_step"):
        hm.solve("graduates", "lege", 2035, costs={"graduates": 1}, max_step=5)
    with pytest.raises(hm.ConfigError, match="until"):
        hm.solve("graduates", "lege", 2035, costs={"graduates": 1}, until=2030)


def test_cli_costed_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "plan.toml"
    argv = ["solve", "--lever", "graduates", "--lever", "immigrants", "--cost", "graduates=1"]
    argv += ["--cost", "immigrants=1.5", "--max-step", "0.1", "--group", "sykepleier"]
    assert main([*argv, "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert (
        "Billigste plan" in text and "Gap, med planen" in text and "nyutdannede (personer)" in text
    )
    assert min(_gaps(out, "sykepleier", range(2035, 2041))) >= 0.0
    assert main([*argv[:-2], "--cost", "x"]) == 2
    assert "LEVER=NUMBER" in capsys.readouterr().err
    assert main(["solve", "--lever", "graduates", "--lever", "immigrants"]) == 2
    assert "relative cost each" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"target_year": 2035.5}, "whole year"),
        ({"target_year": True}, "whole year"),
        ({"start_year": "2027"}, "whole year"),
        ({"group": None}, "id or a list"),
        ({"lever": None}, "id or a list"),
        ({"target_gap": None}, "number of årsverk"),
        ({"max_step": 0.3}, "belong to the costed plan"),
        ({"until": 2036}, "belong to the costed plan"),
        (
            {"costs": {"graduates": 1e9, "immigrants": 1}, "lever": ["graduates", "immigrants"]},
            "factor of",
        ),
    ],
)
def test_solve_checks_its_arguments(kwargs: dict, needle: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(hm.ConfigError, match=needle):
        hm.solve(**kwargs)


def test_every_group_that_cannot_be_solved_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["solve", "--lever", "immigrants", "--group", "sykepleier", "--group", "jordmor"]
    assert main([*argv, "--group", "ergoterapeut"]) == 2
    err = capsys.readouterr().err
    assert "Sykepleier" in err and "Jordmor" in err and "Ergoterapeut meets the target" in err
    assert main(["solve", "--group", "sykepleier", "--until", "2040"]) == 2
    assert "belong to the costed plan" in capsys.readouterr().err
    assert main(["solve", "--cost", "graduates=1", "--cost", "graduates=2"]) == 2
    assert "given twice" in capsys.readouterr().err


def test_a_costed_plan_for_linked_groups_buys_no_more_than_it_needs() -> None:
    """More nurses take helsefagarbeidere (transitions.csv): the nurses' plan is made first and
    the helsefagarbeidere's with it in place, so both meet the target and neither overshoots
    it (the programme's margin is 0.5 årsverk), and the helsefagarbeidere need more graduates
    than alone."""
    both = hm.solve(
        "graduates",
        ["sykepleier", "helsefagarbeider"],
        2030,
        -3000.0,
        costs={"graduates": 1},
        max_step=None,
    )
    worst = both.gaps.loc[2030:2040].min()
    assert ((worst >= -3000.0) & (worst <= -3000.0 + 5.0)).all(), worst
    alone = hm.solve(
        "graduates", "helsefagarbeider", 2030, -3000.0, costs={"graduates": 1}, max_step=None
    )
    assert both.total_cost["helsefagarbeider"] > alone.total_cost["helsefagarbeider"]


class _ClosedPipe:
    """A standard output whose reader has gone (``solve ... --out f | head -1``)."""

    encoding = "utf-8"

    def write(self, text: str) -> int:
        raise BrokenPipeError

    def flush(self) -> None:
        raise BrokenPipeError


def test_out_is_written_although_the_pipe_closes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file is written before anything is printed, so a closed pipe loses nothing."""
    monkeypatch.setattr("sys.stdout", _ClosedPipe())
    plan = tmp_path / "plan.toml"
    assert main(["solve", "--group", "jordmor", "--year", "2035", "--out", str(plan)]) == 0
    assert "[utdanningskapasitet.grupper.jordmor]" in plan.read_text(encoding="utf-8")
    out = tmp_path / "usikkerhet"
    assert main(["uncertainty", "--draws", "20", "--out", str(out)]) == 0
    assert (out / "quantiles.csv").is_file()
