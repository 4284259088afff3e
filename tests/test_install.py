"""Installs anywhere: the data set and the shipped scenarios are package data, shipped scenarios
are addressable by name from any folder, and the embedded data set is never written to."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

import pytest

import helsemodlite as hm
from helsemodlite.cli import main
from helsemodlite.embedded import embedded_inputs_dir, scenarios_dir

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = Path(hm.__file__).resolve().parent


def test_default_inputs_and_scenarios_live_inside_the_package() -> None:
    assert PACKAGE in embedded_inputs_dir().resolve().parents
    assert PACKAGE in scenarios_dir().resolve().parents
    assert hm.default_inputs_dir() == embedded_inputs_dir()
    assert len(hm.shipped_scenarios()) >= 20


def test_package_data_globs_cover_every_embedded_file() -> None:
    """A file under embedded/ that the globs in pyproject.toml miss would be absent from the
    wheel (a checkout would still work, hiding it)."""
    with (ROOT / "pyproject.toml").open("rb") as fh:
        globs = tomllib.load(fh)["tool"]["setuptools"]["package-data"]["helsemodlite.embedded"]
    base = PACKAGE / "embedded"
    files = [
        p.relative_to(base).as_posix()
        for p in base.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".py"
    ]
    missed = [f for f in files if not any(fnmatch.fnmatchcase(f, g) for g in globs)]
    assert files and missed == []


@pytest.mark.parametrize("ref", ["heltid_10", "heltid_10.toml", "shipped:heltid_10"])
def test_a_shipped_scenario_by_name_from_any_folder(
    ref: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    sc = hm.load_scenario(ref)
    assert sc.name == "heltid_10" and sc.position_share is not None
    assert sc.to_dict()["source"] == "shipped:heltid_10"  # no machine path in outputs


def test_a_path_that_exists_wins_over_a_shipped_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("heltid_10").write_text('title = "Min egen"\n[sykefravaer]\nrelative_change = -0.1\n')
    sc = hm.load_scenario("heltid_10")
    assert sc.title == "Min egen" and sc.position_share is None


def test_baseline_by_shipped_name(tmp_path: Path) -> None:
    path = tmp_path / "mitt.toml"
    path.write_text('baseline = "heltid_10"\n[avgangsalder]\nyears = 1\n')
    sc = hm.load_scenario(path)
    assert sc.position_share is not None and sc.exit_age is not None
    assert sc.to_dict()["baseline"] == "shipped:heltid_10"


def test_an_unknown_name_lists_the_shipped_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["gap-table", "--scenario", "heltid_1"]) == 2
    err = capsys.readouterr().err
    assert "did you mean heltid_10?" in err and "avgangsalder_1" in err
    assert list(tmp_path.iterdir()) == []


def test_run_and_gap_table_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["gap-table", "--scenario", "heltid_10"]) == 0
    assert "heltid_10" in capsys.readouterr().out
    assert main(["run", "heltid_10", "--quiet"]) == 0
    assert sorted(p.name for p in (tmp_path / "outputs" / "heltid_10").iterdir()) == [
        "detail.parquet",
        "gap_table.csv",
        "run.json",
        "summary.csv",
    ]


def test_scenarios_list_and_show(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios", "list"]) == 0
    out = capsys.readouterr().out
    for name in hm.shipped_scenarios():
        assert name in out
    assert "Heltid: stillingsprosent +10 %" in out
    assert main(["scenarios", "show", "heltid_10"]) == 0
    assert capsys.readouterr().out == (scenarios_dir() / "heltid_10.toml").read_text()
    assert main(["scenarios", "show", "finnes_ikke"]) == 2


def test_export_gives_a_complete_independent_copy(tmp_path: Path) -> None:
    target = tmp_path / "mine"
    assert main(["inputs", "export", str(target)]) == 0
    assert hm.check_inputs(target) == []
    rel = sorted(p.relative_to(target) for p in target.rglob("*") if p.is_file())
    assert rel == sorted(
        p.relative_to(embedded_inputs_dir())
        for p in embedded_inputs_dir().rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )
    assert main(["inputs", "export", str(target)]) == 2  # never over an existing copy


def test_writing_commands_refuse_the_installed_package(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from helsemodlite.io import read as inputs

    monkeypatch.setattr(inputs, "is_within_source_checkout", lambda: False)
    for argv in (["inputs", "build"], ["calibrate"]):
        assert main([*argv, "--inputs", str(embedded_inputs_dir())]) == 2
        assert "installed package" in capsys.readouterr().err


def test_run_json_records_the_environment(tmp_path: Path) -> None:
    import json
    import platform

    import numpy as np
    import pandas as pd

    assert main(["run", "heltid_10", "--quiet", "--out", str(tmp_path / "o")]) == 0
    record = json.loads((tmp_path / "o" / "run.json").read_text())
    env = record["environment"]
    assert env["python"] == platform.python_version()
    assert env["numpy"] == np.__version__ and env["pandas"] == pd.__version__
    assert "pyarrow" in env
    assert record["helsemodlite_version"] == hm.__version__
    assert record["input_files_sha256"] and record["notes"] == []
