"""Nothing lost, nothing stale, nothing wrong with exit code 0 (one category per section).

Each case was reproduced on an earlier main: a second run silently replacing the first, a build
writing an empty table, NaN tables with exit code 0, a cache changed through a result or served
stale, tracebacks where a clear error belongs, unsafe scenario names, odd ``--out`` paths, an
interrupted swap, misleading messages and silent caps. The cases are parametrised per category.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import helsemodlite as hm
from helsemodlite import api
from helsemodlite.cli import main
from helsemodlite.errors import ResultError
from helsemodlite.io.atomic import MARKER, recover
from helsemodlite.testing import toy_inputs

Edit = Callable[[Path], None]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("export") / "inputs"
    hm.export_inputs(target)
    return target


@pytest.fixture()
def copy(exported: Path, tmp_path: Path) -> Path:
    target = tmp_path / "inputs"
    shutil.copytree(exported, target)
    return target


def _edit_csv(rel: str, change: Callable[[pd.DataFrame], None]) -> Edit:
    def edit(root: Path) -> None:
        path = root / rel
        df = pd.read_csv(path, comment="#")
        change(df)
        df.to_csv(path, index=False)

    return edit


def _snapshot(root: Path) -> dict[Path, bytes]:
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


# ---- 1. nothing silently replaced


def test_run_refuses_two_scenarios_with_one_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for sub, value in (("a", -0.1), ("b", -0.2)):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "x.toml").write_text(f"[sykefravaer]\nrelative_change = {value}\n")
    out = tmp_path / "out"
    code = main(["run", str(tmp_path / "a/x.toml"), str(tmp_path / "b/x.toml"), "--out", str(out)])
    assert code == 2
    err = capsys.readouterr().err
    assert "unique" in err and "a/x.toml" in err and "b/x.toml" in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("label", "edit", "needle"),
    [
        (
            "empty reference.toml",
            lambda r: (r / "assumptions/reference.toml").write_text(""),
            "standard_growth",
        ),
        (
            "garbage TOML",
            lambda r: (r / "assumptions/supply.toml").write_text("[[[ x"),
            "supply.toml",
        ),
        (
            "truncated source",
            lambda r: (r / "sources/hesospers_2013_2015_by_education.csv").write_text(
                (r / "sources/hesospers_2013_2015_by_education.csv").read_text()[:2000]
            ),
            "hesospers_2013_2015_by_education.csv",
        ),
        (
            "missing source",
            lambda r: (r / "sources/wpp2024_norway_mortality_mx_5yr.csv").unlink(),
            "wpp2024_norway_mortality_mx_5yr.csv",
        ),
        ("missing catalogue", lambda r: (r / "sources.toml").unlink(), "sources.toml"),
    ],
)
def test_build_on_bad_sources_writes_nothing(
    copy: Path, label: str, edit: Edit, needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(copy)
    before = _snapshot(copy)
    assert main(["inputs", "build", "--inputs", str(copy)]) == 2, label
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err, err
    assert _snapshot(copy) == before


# ---- 2. implausible inputs are refused, never served as numbers


def _zero_base_population(df: pd.DataFrame) -> None:
    df.loc[df.year == df.year.min(), "persons"] = 0


def _zero_births(df: pd.DataFrame) -> None:
    df.loc[df.year == df.year.min(), "births"] = 0


def _huge(column: str) -> Callable[[pd.DataFrame], None]:
    def change(df: pd.DataFrame) -> None:
        df.loc[df.index[:3], column] = 1e308

    return change


@pytest.mark.parametrize(
    ("label", "edit", "needle"),
    [
        (
            "base-year population 0",
            _edit_csv("model/population.csv", _zero_base_population),
            "base-year population",
        ),
        ("base-year births 0", _edit_csv("model/births.csv", _zero_births), "must be > 0"),
        ("1e308 persons", _edit_csv("model/population.csv", _huge("persons")), "1e+308"),
        ("1e308 in the stock", _edit_csv("model/personnel.csv", _huge("stock")), "1e+308"),
    ],
)
def test_implausible_inputs_fail_the_check_and_every_command(
    copy: Path, label: str, edit: Edit, needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(copy)
    assert main(["inputs", "check", "--inputs", str(copy)]) == 2, label
    assert needle in capsys.readouterr().err
    assert main(["gap-table", "--csv", "--inputs", str(copy)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and needle in captured.err


def test_a_non_finite_result_is_refused() -> None:
    toy = toy_inputs()
    # Finite inputs whose arithmetic overflows: only the result check can catch it.
    population = toy.population * 1e306
    with pytest.raises(ResultError, match="not a finite number"):
        hm.project(inputs=dataclasses.replace(toy, population=population))


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (lambda t: {"stock": t.stock[:1]}, "Inputs.stock: expected an array of shape"),
        (lambda t: {"stock": -t.stock - 1}, "Inputs.stock: values must lie in"),
        (lambda t: {"p_work": t.p_work * 3 + 0.5}, "Inputs.p_work: values must lie in [0, 1]"),
        (lambda t: {"fte": t.fte * np.nan}, "Inputs.fte: holds NaN"),
        (lambda t: {"parameters": {}}, "Inputs.parameters['standard_growth']"),
        (lambda t: {"population_alternative": "XXXX"}, "Inputs.population_alternative"),
        (lambda t: {"stock": 5}, "Inputs.stock: expected an array"),
    ],
)
def test_inputs_built_in_python_are_checked(change: Callable, needle: str) -> None:
    toy = toy_inputs()
    with pytest.raises(hm.InputError) as err:
        dataclasses.replace(toy, **change(toy))
    assert needle in str(err.value)


# ---- 3. the cache: never changed through a result, never stale


@pytest.mark.parametrize(
    "mutate",
    [
        lambda p: p.inputs.stock.__imul__(2),
        lambda p: p.inputs.population.__setitem__((0, 0, 0, 0), 1.0),
        lambda p: p.inputs.calibration.graduates_factor.__imul__(2),
        lambda p: p.inputs.parameters.__setitem__("standard_growth", 0.5),
    ],
    ids=["stock", "population", "calibration", "parameters"],
)
def test_cached_inputs_cannot_be_changed_through_a_result(mutate: Callable[[object], None]) -> None:
    proj = hm.project(detail=False)
    with pytest.raises((ValueError, TypeError)):
        mutate(proj)
    again = hm.project(detail=False)
    np.testing.assert_array_equal(again.gap, proj.gap)


def test_an_edit_that_keeps_the_mtime_is_not_served_stale(copy: Path) -> None:
    first = hm.project(inputs=copy, detail=False).gap_table()
    path = copy / "model" / "births.csv"
    st = path.stat()
    df = pd.read_csv(path)
    df.loc[df.year > df.year.min(), "births"] *= 1.5  # demand follows births relative to 2024
    df.to_csv(path, index=False)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # as cp -p, rsync -a, tar x do
    assert path.stat().st_mtime_ns == st.st_mtime_ns
    second = hm.project(inputs=copy, detail=False).gap_table()
    assert not np.allclose(first.to_numpy(), second.to_numpy())


def test_a_touch_without_a_change_reuses_the_cache(copy: Path) -> None:
    first = api.resolve_inputs(copy)
    (copy / "model" / "births.csv").touch()
    assert api.resolve_inputs(copy) is first  # same content: no reload


# ---- 4. clear errors instead of tracebacks or foreign exceptions


LONG = "x" * 300


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["gap-table", "--years", "2099"], "2099"),
        (["gap-table", "--years", "2099", "--csv"], "outside the projection"),
        (["run", "heltid_10", "--out", f"out/{LONG}"], "--out"),
        (["calibrate", "--inputs", "{copy}", "--dry-run"], None),
    ],
)
def test_cli_errors_exit_2(
    argv: list[str],
    needle: str | None,
    copy: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    argv = [a.replace("{copy}", str(copy)) for a in argv]
    if needle is None:  # the calibration targets, missing and then garbage
        target = copy / "sources" / "helsepersonellplan_2040_reference_path.csv"
        target.unlink()
        assert main(argv) == 2
        assert "calibration targets" in capsys.readouterr().err
        target.write_text("quantity;group\n1;2\n")
        assert main(argv) == 2
        assert "missing column" in capsys.readouterr().err
        return
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("call", "needle"),
    [
        (lambda: hm.project_batch([]), "no scenarios"),
        (lambda: hm.compare([]), "no scenarios"),
        (lambda: hm.project_batch("heltid_10"), "list of scenarios"),
        (lambda: hm.project_batch({"sykefravaer": {"relative_change": -0.1}}), "list of scenarios"),
        (lambda: hm.compare(["heltid_10"], years=[2060]), "2060"),
        (lambda: hm.project(detail=False).gap_table(years=(2060,)), "2060"),
        (lambda: hm.project(3.5), "a scenario must be"),
        (lambda: hm.project(detail=False).detail(), "without detail"),
        (lambda: hm.project().gap_table(draw=4), "draw"),
    ],
)
def test_python_api_raises_its_own_errors(call: Callable[[], object], needle: str) -> None:
    with pytest.raises(hm.HelsemodliteError, match=needle):
        call()


def test_compare_and_gap_table_share_one_year_rule() -> None:
    with pytest.raises(hm.ConfigError) as a:
        hm.compare(["heltid_10"], years=[2060])
    with pytest.raises(hm.ConfigError) as b:
        hm.project(detail=False).gap_table(years=(2060,))
    assert str(a.value) == str(b.value)


# ---- 5. scenario names are safe file names


@pytest.mark.parametrize("name", ["../../x", "", 5, "a/b", ".hidden", "-x", "é" * 60, LONG])
def test_unsafe_scenario_names_are_refused(name: object) -> None:
    with pytest.raises(hm.ConfigError, match="name"):
        hm.Scenario.from_dict({}, name=name)  # type: ignore[arg-type]


def test_numpy_integers_are_whole_numbers_and_switches_are_booleans() -> None:
    """A year taken from a DataFrame is np.int64: accepted wherever a whole number is; a
    truthy string where True or False belongs is refused, not read as True."""
    year = hm.project().summary().year.max()
    assert isinstance(year, np.integer)
    solved = hm.solve("graduates", "sykepleier", year - 15)
    assert solved.target_year == 2035 and type(solved.target_year) is int
    assert hm.simulate(draws=np.int64(12), seed=np.int64(1)).n_draws == 12
    for call, named in [
        (lambda: hm.sobol(n=10, year=2040.7), "sobol: year must be a whole number"),
        (lambda: hm.sobol(n=10, year=None), "sobol: year must be a whole number"),  # type: ignore[arg-type]
        (lambda: hm.simulate(draws="20"), "simulate: draws"),  # type: ignore[arg-type]
        (lambda: hm.compare(["heltid_10"], combined="no"), "combined must be True or False"),  # type: ignore[arg-type]
        (lambda: hm.project(detail="no"), "detail must be True or False"),  # type: ignore[arg-type]
        (lambda: hm.project().gap_table(labels="no"), "labels must be True or False"),  # type: ignore[arg-type]
        (lambda: hm.project().gap_table(draw=True), "draw must be a whole number"),
    ]:
        with pytest.raises(hm.ConfigError, match=named):
            call()


def test_unnamed_scenarios_in_a_batch_get_distinct_names() -> None:
    batch = hm.project_batch([{"sykefravaer": {"relative_change": -r / 10}} for r in (1, 2, 3)])
    assert len(set(batch.scenarios)) == 3
    assert batch.summary()["scenario"].nunique() == 3


# ---- 6. --out paths


@pytest.mark.parametrize(
    ("out", "needle"), [("", "empty path"), (".", "current directory"), ("..", "current directory")]
)
def test_out_paths_that_cannot_be_replaced(
    out: str,
    needle: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    assert main(["run", "heltid_10", "--quiet", "--out", out]) == 2
    assert needle in capsys.readouterr().err
    assert main(["report", "--draws", "0", "--out", out]) == 2
    assert ("output folder (--out) is empty" if not out else needle) in capsys.readouterr().err
    assert sorted(work.iterdir()) == []


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_output_folders_respect_the_umask(umask: int, tmp_path: Path) -> None:
    old = os.umask(umask)
    try:
        assert main(["run", "heltid_10", "--quiet", "--out", str(tmp_path / "o")]) == 0
    finally:
        os.umask(old)
    assert (tmp_path / "o").stat().st_mode & 0o777 == 0o777 & ~umask


# ---- 7. an interrupted swap is recovered


def test_a_swap_interrupted_between_its_renames_is_restored(tmp_path: Path) -> None:
    out = tmp_path / "o"
    assert main(["run", "heltid_10", "--quiet", "--out", str(out)]) == 0
    previous = _snapshot(out)
    old = tmp_path / f".o.old-{_dead_pid()}"
    (out / MARKER).write_bytes(b"")  # the state a crash between the two renames leaves
    os.replace(out, old)
    stale_tmp = tmp_path / f".o.tmp-{_dead_pid()}-abc"
    stale_tmp.mkdir()
    (stale_tmp / MARKER).write_bytes(b"")
    notes = recover(out)
    assert _snapshot(out) == previous and not old.exists() and not stale_tmp.exists()
    assert any("restored" in n for n in notes)


def test_the_next_run_cleans_up_after_an_interrupted_swap(tmp_path: Path) -> None:
    out = tmp_path / "o"
    assert main(["run", "heltid_10", "--quiet", "--out", str(out)]) == 0
    old = tmp_path / f".o.old-{_dead_pid()}"
    shutil.copytree(out, old)  # swap completed, cleanup did not
    (old / MARKER).write_bytes(b"")
    assert main(["run", "sykefravaer_minus10", "--quiet", "--out", str(out)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]
    assert json.loads((out / "run.json").read_text())["scenario"]["name"] == "sykefravaer_minus10"


# ---- 8. messages say what was found and what was expected


def _fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


def _directory(path: Path) -> None:
    path.unlink()
    path.mkdir()


def _loop(path: Path) -> None:
    path.unlink()
    path.symlink_to(path.name)


def _semicolons(path: Path) -> None:
    pd.read_csv(path).to_csv(path, sep=";", decimal=",", index=False)


@pytest.mark.parametrize(
    ("damage", "needle"),
    [
        (_fifo, "named pipe"),
        (_directory, "found a directory"),
        (_loop, "symbolic link loop"),
        (_semicolons, "separated by ';'"),
    ],
)
def test_a_wrong_kind_of_file_is_named(
    copy: Path, damage: Callable[[Path], None], needle: str
) -> None:
    damage(copy / "model" / "services.csv")
    problems = hm.check_inputs(copy)
    assert len(problems) == 1 and needle in problems[0], problems


def test_an_inputs_path_that_is_a_file(copy: Path) -> None:
    assert hm.check_inputs(copy / "sources.toml") == [
        f"{copy / 'sources.toml'}: is a file, not an inputs directory"
    ]


# ---- 9. caps are said, not silent


def test_a_capped_task_shift_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "stor.toml"
    path.write_text(
        '[[oppgavedeling]]\nfrom = "sykepleier"\nto = "helsefagarbeider"\narsverk = 900000\n'
    )
    assert main(["run", str(path), "--quiet", "--out", str(tmp_path / "o")]) == 0
    assert "capped" in capsys.readouterr().err
    notes = json.loads((tmp_path / "o" / "run.json").read_text())["notes"]
    assert len(notes) == 1 and "900000" in notes[0]
    assert hm.project(path, detail=False).notes == notes
    assert hm.project("tasen_modellen", detail=False).notes == []


# ---- 10. found by a hostile review of this first version


@pytest.mark.parametrize("name", ["kombinert", "sum_enkelttiltak", "referanse"])
def test_compare_refuses_the_names_of_the_rows_it_adds(name: str) -> None:
    sc = hm.Scenario.from_dict({"sykefravaer": {"relative_change": -0.1}}, name=name)
    with pytest.raises(hm.ConfigError, match="reserved"):
        hm.compare([sc, "heltid_10"], combined=True)


@pytest.mark.parametrize(
    ("folder", "argv"), [("calibration", ["calibrate"]), ("model", ["inputs", "build"])]
)
def test_no_write_into_the_package_through_a_symlinked_folder(
    folder: str,
    argv: list[str],
    copy: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from helsemodlite.embedded import embedded_inputs_dir
    from helsemodlite.io import read

    monkeypatch.setattr(read, "is_within_source_checkout", lambda: False)
    shutil.rmtree(copy / folder)
    (copy / folder).symlink_to(embedded_inputs_dir() / folder)
    before = _snapshot(embedded_inputs_dir())
    assert main([*argv, "--inputs", str(copy)]) == 2
    assert "links into" in capsys.readouterr().err
    assert _snapshot(embedded_inputs_dir()) == before


@pytest.mark.parametrize(
    "prepare",
    [
        lambda o: (
            (o / "run.json").mkdir(parents=True),
            (o / "run.json" / "thesis.txt").write_text("x"),
        ),
        lambda o: (o.mkdir(), (o / "summary.csv").write_text("my own table\n")),
        lambda o: (o.mkdir(), (o / "run.json").write_text('{"mine": 1}')),
    ],
    ids=["folder named run.json", "own summary.csv", "foreign run.json"],
)
def test_out_replaces_only_a_previous_run(prepare: Callable, tmp_path: Path) -> None:
    out = tmp_path / "o"
    prepare(out)
    before = _snapshot(out)
    assert main(["run", "heltid_10", "--quiet", "--out", str(out)]) == 2
    assert _snapshot(out) == before


def test_run_writes_nothing_when_a_later_scenario_fails(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[produktivitet]\nannual_rate = 0.01\nservices = ["finnes_ikke"]\n')
    out = tmp_path / "multi"
    assert main(["run", "heltid_10", str(bad), "--out", str(out)]) == 2
    assert not out.exists()


def test_a_fifo_as_scenario_file_is_refused_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "s.toml"
    os.mkfifo(fifo)
    assert main(["gap-table", "--scenario", str(fifo)]) == 2  # used to block forever
    assert "named pipe" in capsys.readouterr().err


@pytest.mark.parametrize(
    "call",
    [
        lambda: hm.project(inputs=42),
        lambda: hm.project(inputs=b"/tmp"),
        lambda: hm.project(inputs=["a"]),
        lambda: hm.run_to_dir("heltid_10", out=5),
        lambda: hm.run_to_dir("heltid_10", outputs_root=5),
        lambda: hm.export_inputs(None),
        lambda: hm.check_inputs(5),
        lambda: hm.load_inputs(5),
        lambda: hm.combine("heltid_10"),
        lambda: hm.combine([]),
        lambda: hm.Scenario.from_dict({}, source=5),
    ],
)
def test_wrong_types_in_the_python_api_raise_its_own_errors(call: Callable[[], object]) -> None:
    with pytest.raises(hm.HelsemodliteError):
        call()


def test_numpy_scalars_are_numbers_in_a_scenario_dict() -> None:
    sc = hm.Scenario.from_dict(
        {"sykefravaer": {"relative_change": np.float64(-0.1), "start_year": np.int64(2030)}}
    )
    assert sc.sick_leave is not None and sc.sick_leave.start_year == 2030


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (lambda t: t.replace("gap,sykepleier,2040,", "gap,sykepleier,2099,"), "2099"),
        (lambda t: t + "gap,sykepleier,2040,14700\n", "more than once"),
        (lambda t: t.replace("gap,lege,2040,2300", "gap,lege,2040,-10000000"), "must lie in"),
    ],
)
def test_bad_calibration_targets_are_refused(
    copy: Path, edit: Callable[[str], str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = copy / "sources" / "helsepersonellplan_2040_reference_path.csv"
    path.write_text(edit(path.read_text()))
    before = _snapshot(copy)
    assert main(["calibrate", "--inputs", str(copy)]) == 2
    assert needle in capsys.readouterr().err
    assert _snapshot(copy) == before


def test_a_nul_byte_in_a_number_is_refused(copy: Path) -> None:
    path = copy / "model" / "births.csv"
    data = path.read_bytes()
    i = data.index(b"\n", data.index(b"births")) + 10
    path.write_bytes(data[:i] + b"\x00" + data[i:])
    problems = hm.check_inputs(copy)
    assert len(problems) == 1 and "NUL byte" in problems[0]


def test_a_bad_reference_assumption_is_named(
    copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = copy / "assumptions" / "reference.toml"
    text = path.read_text()
    start = text.index("[standard_growth]")
    value = text.index("value", start)
    end = text.index("\n", value)
    path.write_text(text[:value] + 'value = "abc"' + text[end:])
    assert main(["inputs", "build", "--inputs", str(copy)]) == 2
    assert "reference.toml: [standard_growth] value: must be a number" in capsys.readouterr().err


def test_export_respects_the_umask_on_its_top_folder(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        hm.export_inputs(tmp_path / "mine")
    finally:
        os.umask(old)
    assert (tmp_path / "mine").stat().st_mode & 0o777 == 0o700


def test_large_numbers_keep_their_columns_apart(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    big = tmp_path / "big.toml"
    big.write_text(
        '[[oppgavedeling]]\nfrom = "lege"\nto = "sykepleier"\nshare = 1\nconversion = 5\n'
        '[[oppgavedeling]]\nfrom = "sykepleier"\nto = "lege"\nshare = 1\nconversion = 5\n'
    )
    assert main(["gap-table", "--scenario", str(big)]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("Lege"))
    assert len(line.split()) >= 1 + 4 * 2  # label, then four numbers each "-1 099 100"-like
    assert "00-" not in line


def test_writing_to_a_full_device_is_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    full = open("/dev/full", "w")  # noqa: SIM115 - closing it fails too (the device is full)
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(sys, "stdout", full)
            code = main(["gap-table", "--csv"])
    finally:
        with contextlib.suppress(OSError):
            full.close()
    assert code == 2
    assert "cannot write the output" in capsys.readouterr().err


def test_a_folder_named_like_a_shipped_scenario_does_not_hide_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("heltid_10").mkdir()
    assert hm.load_scenario("heltid_10").position_share is not None


@pytest.mark.parametrize("leftover", [".o.old-{pid}", ".o.tmp-{pid}-backup"])
def test_recovery_never_touches_a_folder_it_did_not_make(leftover: str, tmp_path: Path) -> None:
    """A user's folder that merely looks like a leftover (no marker) is left alone."""
    mine = tmp_path / leftover.format(pid=_dead_pid())
    mine.mkdir()
    (mine / "thesis.txt").write_text("x")
    assert main(["run", "heltid_10", "--quiet", "--out", str(tmp_path / "o")]) == 0
    assert (mine / "thesis.txt").read_text() == "x"
    shutil.rmtree(tmp_path / "o")
    assert recover(tmp_path / "o") == [] and (mine / "thesis.txt").exists()


def test_several_runs_are_written_as_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """If the second of two output folders cannot be swapped in, the first is put back."""
    from helsemodlite.io import atomic

    out = tmp_path / "o"
    assert main(["run", "heltid_10", "sykefravaer_minus10", "--quiet", "--out", str(out)]) == 0
    before = _snapshot(out)
    real = atomic.os.replace
    calls = {"n": 0}

    def flaky(src: object, dst: object) -> None:
        calls["n"] += 1
        if calls["n"] == 2:  # the second new folder's rename into place
            raise OSError(28, "No space left on device")
        real(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(atomic.os, "replace", flaky)
    code = main(["run", "avgangsalder_1", "sykefravaer_minus20", "--quiet", "--out", str(out)])
    monkeypatch.setattr(atomic.os, "replace", real)
    assert code == 2
    assert _snapshot(out) == before  # nothing half-written, nothing lost
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]


def test_no_output_inside_the_installed_package(capsys: pytest.CaptureFixture[str]) -> None:
    from helsemodlite.embedded import scenarios_dir

    assert main(["run", "heltid_10", "--quiet", "--out", str(scenarios_dir() / "x")]) == 2
    assert "inside the installed helsemodlite package" in capsys.readouterr().err
    with pytest.raises(hm.InputError, match="inside the installed"):
        hm.export_inputs(scenarios_dir() / "evil")


# ---- 11. found by the second hostile review


def test_batch_names_never_move_to_another_scenario() -> None:
    from helsemodlite.scenarios.compile import distinct_names

    assert distinct_names(["x", "x", "x_2"]) == ("x", "x_3", "x_2")
    long = "a" * 100
    assert all(len(n.encode()) <= 100 for n in distinct_names([long, long]))


def test_a_changed_scenario_cannot_be_called_referanse(tmp_path: Path) -> None:
    sc = hm.Scenario.from_dict({"sykefravaer": {"relative_change": -0.1}}, name="referanse")
    with pytest.raises(hm.ConfigError, match="reference path"):
        hm.api.run_scenarios([sc], out=tmp_path / "o")


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (lambda t: t.replace("gap,sykepleier,2025,", "gap,,2025,"), "column 'group' is empty"),
        (lambda t: t.replace("gap,sykepleier,2025,", ",sykepleier,2025,"), "'quantity' is empty"),
        (lambda t: t + "supply_total,lege,2030,1000\n", "its group must be Sum"),
    ],
)
def test_more_bad_calibration_targets(copy: Path, edit: Callable[[str], str], needle: str) -> None:
    path = copy / "sources" / "helsepersonellplan_2040_reference_path.csv"
    path.write_text(edit(path.read_text()))
    assert main(["calibrate", "--dry-run", "--inputs", str(copy)]) == 2


def test_sick_leave_near_one_is_refused(copy: Path) -> None:
    _edit_csv("model/personnel.csv", lambda df: df.__setitem__("sick_leave", 1.0))(copy)
    problems = hm.check_inputs(copy)
    assert any("sick_leave" in p and "<= 0.5" in p for p in problems), problems


def test_a_year_without_people_is_refused(copy: Path) -> None:
    def empty_2040(df: pd.DataFrame) -> None:
        df.loc[(df.alternative == "MMMM") & (df.year == 2040), "persons"] = 0

    _edit_csv("model/population.csv", empty_2040)(copy)
    assert any("2040 sums to 0" in p for p in hm.check_inputs(copy))


def test_a_fractional_whole_number_parameter_fails_the_check_too(copy: Path) -> None:
    path = copy / "model" / "parameters.csv"
    text = path.read_text()
    path.write_text(text.replace("healthy_ageing_min_age,55,", "healthy_ageing_min_age,55.5,"))
    assert any("whole number" in p for p in hm.check_inputs(copy))


def test_a_latin1_file_is_named_with_its_line_and_how_to_save_it(copy: Path) -> None:
    path = copy / "model" / "services.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("latin-1"))
    (problem,) = hm.check_inputs(copy)
    assert problem.startswith("model/services.csv: line ") and "not UTF-8" in problem
    assert "byte 0x" in problem and "save it as UTF-8" in problem


def test_an_unknown_parameter_is_refused_not_ignored(copy: Path) -> None:
    """A misspelt parameter would leave the model on the one it meant: refused, with the
    nearest known name."""
    path = copy / "model" / "parameters.csv"
    path.write_text(path.read_text() + "standard_growht,0.01,per year,typo\n")
    (problem,) = hm.check_inputs(copy)
    assert "unknown parameter 'standard_growht'" in problem
    assert "did you mean 'standard_growth'?" in problem


def test_a_duplicated_header_column_is_refused(copy: Path) -> None:
    path = copy / "model" / "births.csv"
    lines = path.read_text().splitlines()
    lines[0] += ",births"
    path.write_text("\n".join(line if i == 0 else line + ",1" for i, line in enumerate(lines)))
    assert any("more than once" in p for p in hm.check_inputs(copy))


@pytest.mark.parametrize(
    "change",
    [
        lambda t: {"years": tuple(y + 1 for y in t.years[::-1])},
        lambda t: {"service_driver": ("x",) * len(t.services)},
        lambda t: {"stock": t.stock.astype(complex)},
        lambda t: {"alternatives": t.alternatives + t.alternatives[:1]},
    ],
)
def test_more_inputs_built_in_python_are_checked(change: Callable) -> None:
    toy = toy_inputs()
    with pytest.raises(hm.InputError):
        dataclasses.replace(toy, **change(toy))


def test_a_scenario_built_directly_is_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from helsemodlite.scenarios.measures import Measure

    too_much = Measure("sykefravaer", (("relative_change", 7.0),))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(hm.ConfigError, match="name"):
        hm.Scenario(name="../../evil")
    with pytest.raises(hm.ConfigError, match="sykefravaer"):
        hm.Scenario(measures={"sykefravaer": "x"})
    with pytest.raises(hm.ConfigError, match="unknown table"):
        hm.Scenario(measures={"sick_leave": too_much})
    with pytest.raises(hm.ConfigError, match="Scenario.measures"):
        hm.Scenario(measures=42)
    bad = hm.Scenario(name="x", measures={"sykefravaer": too_much})
    with pytest.raises(hm.ConfigError, match="relative_change"):
        hm.project(bad)
    with pytest.raises(hm.ConfigError):
        hm.run_to_dir(bad)
    assert not (tmp_path / "outputs").exists()
    changed = dataclasses.replace(hm.load_scenario("heltid_10"), measures={"sykefravaer": too_much})
    with pytest.raises(hm.ConfigError):
        hm.project(changed)


def test_projection_methods_check_their_arguments() -> None:
    batch = hm.project_batch(["heltid_10", "sykefravaer_minus10"])
    assert not batch.services(draw=1).empty
    for call in (
        lambda: batch.services(draw=5),
        lambda: batch.services(draw=-1),
        lambda: hm.project().by_age_band("foo"),
        lambda: hm.project().check_accounting("x"),  # type: ignore[arg-type]
    ):
        with pytest.raises(hm.ConfigError):
            call()


def test_paths_the_system_refuses_are_clear_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    long = str(tmp_path / ("a" * 300))
    for argv in (["gap-table", "--inputs", long], ["inputs", "check", "--inputs", long]):
        assert main(argv) == 2
        assert "File name too long" in capsys.readouterr().err
    (tmp_path / "l1").symlink_to(tmp_path / "l2")
    (tmp_path / "l2").symlink_to(tmp_path / "l1")
    assert main(["run", "heltid_10", "--quiet", "--out", str(tmp_path / "l1")]) == 2
    for call in (lambda: hm.load_inputs("\x00"), lambda: hm.project(inputs="a\x00b")):
        with pytest.raises(hm.InputError, match="NUL"):
            call()


def test_out_inside_an_earlier_output_a_link_or_under_a_file_is_refused_by_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_a = tmp_path / "runA"
    assert main(["run", "heltid_10", "--quiet", "--out", str(run_a)]) == 0
    before = sorted(p.name for p in run_a.iterdir())
    capsys.readouterr()
    (tmp_path / "afile").write_text("x")
    (tmp_path / "linkA").symlink_to(run_a)
    cases = [
        (run_a / "deeper" / "x", "the output of an earlier helsemodlite command"),
        (tmp_path / "afile" / "sub", "afile is a file, not a directory"),
        (tmp_path / "linkA", "is a symbolic link"),
    ]
    for out, said in cases:
        assert main(["run", "heltid_10", "--quiet", "--out", str(out)]) == 2
        assert said in capsys.readouterr().err
    for out, said in [
        (run_a / "s.toml", "the output of an earlier helsemodlite command"),
        (run_a / "summary.csv" / "s.toml", "summary.csv is a file, not a directory"),
    ]:
        assert main(["solve", "--group", "lege", "--out", str(out)]) == 2
        assert said in capsys.readouterr().err
    assert sorted(p.name for p in run_a.iterdir()) == before
    assert main(["run", "heltid_10", "--quiet", "--out", str(run_a)]) == 0  # its own: replaced
    beside = run_a / ".." / "beside"  # only passes through runA: a sibling
    assert main(["run", "heltid_10", "--quiet", "--out", str(beside)]) == 0
    assert (tmp_path / "beside" / "run.json").is_file()


def test_undecodable_file_names_do_not_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = os.fsdecode(b"bad\xff.toml")
    (tmp_path / name).write_text("[sykefravaer]\nrelative_change = -0.1\n")
    assert main(["run", str(tmp_path / name), "--quiet", "--out", str(tmp_path / "o")]) == 0
    assert main(["gap-table", "--inputs", str(tmp_path / os.fsdecode(b"x\xff"))]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_a_newline_in_a_file_name_does_not_inject_into_to_toml(tmp_path: Path) -> None:
    path = tmp_path / "a\n[sykefravaer]\nrelative_change = -0.5\n#.toml"
    path.write_text("[avgangsalder]\nyears = 1\n")
    sc = hm.load_scenario(path)
    back = tomllib.loads(sc.to_toml())
    assert "sykefravaer" not in back and back["avgangsalder"]["years"] == 1


# ---- 12. the calibration's choices (assumptions/calibration.toml)


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (
            lambda t: t.replace('supply_parameter = "immigrants"', 'supply_parameter = "tilgang"'),
            "[groups.lege] supply_parameter must be one of",
        ),
        (
            lambda t: t + '\n[groups.jordmor]\nsupply_parameter = "inflow"\n',
            "jordmor: the graduates are observed",
        ),
        (lambda t: t + '\n[groups.kokk]\nsupply_parameter = "exits"\n', "unknown group(s) kokk"),
        (lambda t: t.replace("fit = false", 'fit = "nei"'), "[demand_trend] fit must be"),
        (lambda t: t.replace('graduates_observed = "exits"', ""), "[rule] graduates_observed"),
        (lambda t: t + "[[", "not valid TOML"),
    ],
)
def test_bad_calibration_choices_are_refused(
    copy: Path, edit: Callable[[str], str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = copy / "assumptions" / "calibration.toml"
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    before = (copy / "calibration" / "calibration.csv").read_bytes()
    assert main(["calibrate", "--inputs", str(copy), "--refit-published"]) == 2
    err = capsys.readouterr().err
    assert needle in err and "calibration.toml" in err, err
    assert (copy / "calibration" / "calibration.csv").read_bytes() == before


def test_a_calibration_of_the_old_format_is_refused_with_the_way_out(copy: Path) -> None:
    path = copy / "calibration" / "calibration.csv"
    old = pd.read_csv(path)
    old = old.assign(inflow_factor=old.graduates_factor)[
        ["group", "inflow_factor", "initial_shortage", "demand_trend"]
    ]
    old.to_csv(path, index=False)
    problems = hm.check_inputs(copy)
    assert any("earlier helsemodlite" in p and "helsemodlite calibrate" in p for p in problems)


def test_a_bad_education_pipeline_is_refused(
    copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = copy / "assumptions" / "education_pipeline.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(ln for ln in lines if not ln.startswith("lege,")), encoding="utf-8")
    before = (copy / "model" / "education.csv").read_bytes()
    assert main(["inputs", "build", "--inputs", str(copy)]) == 2
    assert (
        "education_pipeline.csv: needs one row per group (missing: lege" in capsys.readouterr().err
    )
    assert (copy / "model" / "education.csv").read_bytes() == before
    edu = copy / "model" / "education.csv"
    edu.write_text(edu.read_text(encoding="utf-8").replace("lege,6", "lege,60"), encoding="utf-8")
    assert any("programme_years" in p for p in hm.check_inputs(copy))


def test_a_missing_path_is_not_answered_with_the_list_of_shipped_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", str(tmp_path / "missing.toml"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "missing.toml: file not found" in err and "shipped:" not in err
    assert main(["run", "heltid10", "--quiet"]) == 2  # a name: the shipped names help
    assert "did you mean heltid_10?" in capsys.readouterr().err
    assert main(["backtest", "--inputs", str(tmp_path / "nowhere")]) == 2
    assert "the inputs directory does not exist" in capsys.readouterr().err
