"""Inputs that follow the data: a new population round with another alternative and a longer
horizon runs with no code change; a toy with another base year projects correctly."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import helsemodlite as hm
from helsemodlite.cli import main
from strategies import long_toy

NEW = "MMML"  # an SSB alternative not in the embedded set (low immigration)
LAST = 2060


def _extend(df: pd.DataFrame, value: str, growth: float, new_factor: float) -> pd.DataFrame:
    """Years to LAST (the last year's rows, grown), and the alternative NEW (MMMM scaled)."""
    last = df[df.year == df.year.max()]
    more = [
        last.assign(year=year, **{value: last[value] * (1 + growth) ** (year - last.year)})
        for year in range(int(df.year.max()) + 1, LAST + 1)
    ]
    out = pd.concat([df, *more], ignore_index=True)
    extra = out[out.alternative == "MMMM"].assign(alternative=NEW)
    extra[value] = extra[value] * np.where(extra.year > extra.year.min(), new_factor, 1.0)
    return pd.concat([out, extra], ignore_index=True)


@pytest.fixture(scope="module")
def new_round(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("round") / "inputs"
    hm.export_inputs(root)
    model = root / "model"
    for name, value, growth, factor in (
        ("population.csv", "persons", 0.002, 0.97),
        ("mortality.csv", "q", 0.0, 1.0),
        ("births.csv", "births", 0.0, 0.95),
    ):
        df = pd.read_csv(model / name, comment="#")
        _extend(df, value, growth, factor).to_csv(model / name, index=False)
    return root


def test_a_new_round_with_another_alternative_and_horizon_needs_no_code_change(
    new_round: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["inputs", "check", "--inputs", str(new_round)]) == 0
    inputs = hm.load_inputs(new_round)
    assert inputs.years[-1] == LAST and NEW in inputs.alternatives
    assert main(["gap-table", "--inputs", str(new_round), "--years", "2030", "2060"]) == 0
    out = capsys.readouterr().out
    assert "2060" in out and "Sum" in out
    new = hm.project({"befolkning": {"alternative": NEW}}, inputs=inputs, detail=False)
    main_alt = hm.project(inputs=inputs, detail=False)
    y = new.years.index(2060)
    assert new.demand[0, y].sum() < main_alt.demand[0, y].sum()  # fewer people, less demand
    late = hm.project(
        {"sykefravaer": {"relative_change": {"2055": -0.1}}}, inputs=inputs, detail=False
    )
    assert late.supply[0, y].sum() > main_alt.supply[0, y].sum()  # a path in the new years
    scenario = tmp_path / "ny.toml"
    scenario.write_text(f'[befolkning]\nalternative = "{NEW}"\n', encoding="utf-8")
    assert (
        main(["run", str(scenario), "--inputs", str(new_round), "--out", str(tmp_path / "o")]) == 0
    )


def test_the_embedded_set_names_the_horizon_when_a_year_is_beyond_it() -> None:
    with pytest.raises(hm.ConfigError, match="2025–2050"):
        hm.project({"sykefravaer": {"relative_change": {"2055": -0.1}}})
    with pytest.raises(hm.ConfigError, match="outside the projection: the inputs cover 2024–2050"):
        hm.project().gap_table(years=(2060,))


def test_a_population_file_with_a_gap_in_its_years_is_refused(
    new_round: Path, tmp_path: Path
) -> None:
    import shutil

    root = tmp_path / "gap"
    shutil.copytree(new_round, root)
    for name in ("population.csv", "mortality.csv", "births.csv"):
        df = pd.read_csv(root / "model" / name, comment="#")
        df[df.year != 2055].to_csv(root / "model" / name, index=False)
    with pytest.raises(hm.InputError, match="consecutive years"):
        hm.load_inputs(root)


def test_a_toy_with_another_base_year_projects_correctly() -> None:
    """Base year 2015: the default start year of a measure is 2016, the stock-flow identity
    holds and the gap is supply − demand."""
    toy = long_toy(n_years=10)
    toy = long_toy(
        n_years=10,
        years=tuple(range(2015, 2025)),
        population=toy.population,
        mortality=toy.mortality,
        births=toy.births,
    )
    proj = hm.project({"sykefravaer": {"relative_change": -0.2}}, inputs=toy)
    ref = hm.project(inputs=toy)
    assert proj.years[0] == 2015
    gain = proj.supply[0].sum(axis=1) - ref.supply[0].sum(axis=1)
    assert gain[0] == 0 and (gain[1:] > 0).all()  # from 2016, the first projection year
    np.testing.assert_allclose(proj.gap, proj.supply - proj.demand)
    assert proj.check_accounting().empty
    table = proj.gap_table()
    assert list(table.columns) == [2016, 2021, 2024] and "note" in table.attrs
    with pytest.raises(hm.ConfigError, match="2016–2024; base year 2015"):
        hm.project({"sykefravaer": {"relative_change": -0.2, "start_year": 2025}}, inputs=toy)


# -- calibration modes -------------------------------------------------------------------------


def test_changed_inputs_keep_their_calibration_and_say_so(
    new_round: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The default mode: the calibration is kept, so the gap moves with the new data; every run
    says which calibration it used and that its inputs changed since the fit."""
    from helsemodlite.io.read import calibration_status

    assert calibration_status(hm.load_inputs())["fitted_inputs_match"] is True
    status = calibration_status(hm.load_inputs(new_round))
    assert status["fitted_inputs_match"] is False
    assert "model/population.csv" in status["changed_since_fit"]
    assert main(["gap-table", "--inputs", str(new_round)]) == 0
    assert "was fitted on other inputs" in capsys.readouterr().err
    out = tmp_path / "run"
    assert main(["run", "heltid_10", "--inputs", str(new_round), "--out", str(out), "--quiet"]) == 0
    record = __import__("json").loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["calibration"]["fitted_inputs_match"] is False


def test_refitting_to_the_published_targets_after_a_change_must_be_asked_for(
    new_round: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    root = tmp_path / "inputs"
    shutil.copytree(new_round, root)
    before = (root / "calibration" / "calibration.csv").read_bytes()
    assert main(["calibrate", "--inputs", str(root)]) == 2
    assert "--refit-published" in capsys.readouterr().err
    assert (root / "calibration" / "calibration.csv").read_bytes() == before  # nothing written
    assert main(["calibrate", "--inputs", str(root), "--refit-published"]) == 0
    from helsemodlite.io.read import calibration_status

    assert calibration_status(hm.load_inputs(root))["fitted_inputs_match"] is True


def test_calibrate_to_a_targets_file_of_ones_own(tmp_path: Path) -> None:
    """--targets FILE: the fit follows the user's targets (here the published ones with every
    2040 gap 10 % larger), and the record names the file."""
    root = tmp_path / "inputs"
    hm.export_inputs(root)
    source = root / "sources" / "helsepersonellplan_2040_reference_path.csv"
    mine = pd.read_csv(source, comment="#").astype({"value": float})
    is_2040_gap = (mine.quantity == "gap") & (mine.year == 2040)
    mine.loc[is_2040_gap, "value"] *= 1.1
    targets = tmp_path / "mine.csv"
    mine.to_csv(targets, index=False)
    assert main(["calibrate", "--inputs", str(root), "--targets", str(targets)]) == 0
    sum_2040 = hm.project(inputs=root, detail=False).gap_table().loc["Sum", 2040]
    wanted = float(
        mine[(mine.quantity == "gap") & (mine.group == "Sum") & (mine.year == 2040)].value.iloc[0]
    )
    assert sum_2040 == pytest.approx(wanted, rel=0.02)
    record = tomllib.loads((root / "calibration" / "calibration.toml").read_text(encoding="utf-8"))
    assert record["targets"].endswith("mine.csv")
    assert record["counts"]["parameters"] == 28 and record["counts"]["targets"] == 33


def test_targets_that_cannot_all_be_met_are_said(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One group's 2040 gap moved by 2 700 so the groups no longer add up to the Sum: the fit
    cannot meet every tolerance, and calibrate says so instead of a silent exit 0."""
    root = tmp_path / "inputs"
    hm.export_inputs(root)
    source = root / "sources" / "helsepersonellplan_2040_reference_path.csv"
    mine = pd.read_csv(source, comment="#").astype({"value": float})
    one = (mine.quantity == "gap") & (mine.year == 2040) & (mine.group == "sykepleier")
    mine.loc[one, "value"] += 2700
    targets = tmp_path / "mine.csv"
    mine.to_csv(targets, index=False)
    capsys.readouterr()
    assert main(["calibrate", "--inputs", str(root), "--targets", str(targets), "--dry-run"]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert "targets are not met within their tolerance" in err
    assert "the gap targets of the groups in 2040 add up to -39 600" in err
    assert main(["calibrate", "--inputs", str(root), "--dry-run"]) == 0
    assert "tolerance" not in capsys.readouterr().err
    published = pd.read_csv(source, comment="#")
    left_out = published.group.isin(["helsefagarbeider", "vernepleier"])
    published[~left_out | (published.quantity != "gap")].to_csv(targets, index=False)
    assert main(["calibrate", "--inputs", str(root), "--targets", str(targets), "--dry-run"]) == 0
    assert "add up to" not in capsys.readouterr().err  # some groups only: nothing to add up
