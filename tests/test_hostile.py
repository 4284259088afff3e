"""Hostile scenario files and output directories, through the CLI as a user meets them.

Bad input exits with code 2 and a short message naming the file and the key, never a traceback,
and nothing is written; an existing output directory is replaced whole or not at all; two runs
of one scenario give identical files. (Hostile inputs directories: tests/test_inputs.py.)

The tests run on the default data set; while it is not built yet they run on a toy (2 groups,
years 2024–2040) patched in where the CLI resolves its inputs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path

import pytest

import helsemodlite as hm
from helsemodlite import api
from helsemodlite.cli import main
from helsemodlite.io import outputs as runner
from strategies import default_inputs, long_toy

DEFAULT = default_inputs()


@pytest.fixture()
def inputs(monkeypatch: pytest.MonkeyPatch) -> hm.Inputs:
    """The inputs the CLI runs on (default data set, or the toy patched in)."""
    if DEFAULT is not None:
        return DEFAULT
    toy = dataclasses.replace(long_toy(), file_hashes={"model/toy.csv": "0" * 64})

    def resolve(inputs: object = None) -> hm.Inputs:
        return toy

    monkeypatch.setattr(api, "resolve_inputs", resolve)
    return toy


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_clean_error(code: int, err: str, *expected: str) -> None:
    """Exit code 2, one short message without a traceback, naming what is expected."""
    assert code == 2, err
    assert "Traceback" not in err
    assert err.startswith("helsemodlite: error: ")
    assert len(err) < 2000 and len(err.splitlines()) <= 12, err
    for text in expected:
        assert text in err, (text, err)


# name: (file content, texts the message must contain besides the file name)
BAD_FILES: dict[str, tuple[bytes, tuple[str, ...]]] = {
    "syntax error": (
        b"[stillingsprosent]\nrelative_change = = 0.1\n",
        ("TOML syntax error", "line 2"),
    ),
    "unclosed table": (b"[stillingsprosent\nrelative_change = 0.1\n", ("TOML syntax error",)),
    "binary garbage": (bytes(range(256)) * 4, ("not a UTF-8",)),
    "NUL in a string": (b'title = "a\x00b"\n', ("TOML syntax error",)),
    "deeply nested": (b"x = " + b"[" * 5000 + b"]" * 5000 + b"\n", ()),
    "huge float": (
        b"[stillingsprosent]\nrelative_change = 1e308\n",
        ("[stillingsprosent] relative_change", "1e+308"),
    ),
    "overflowing float": (
        b"[sykefravaer]\nrelative_change = 1e999\n",
        ("[sykefravaer] relative_change", "finite"),
    ),
    "huge integer": (
        b"[avgangsalder]\nyears = 1\nfrom_age = 99999999999999999999999\n",
        ("[avgangsalder] from_age",),
    ),
    "nan": (b"[innvandring]\nrelative_change = nan\n", ("[innvandring] relative_change",)),
    "duplicate key": (
        b"[sykefravaer]\nrelative_change = -0.1\nrelative_change = -0.2\n",
        ("line 3", "defined twice"),
    ),
    "duplicate table": (
        b"[sykefravaer]\nrelative_change = -0.1\n[sykefravaer]\nrelative_change = -0.2\n",
        ("sykefravaer", "defined twice"),
    ),
    "unknown key": (
        b"[stillingsprosent]\nrelative_chnage = 0.1\n",
        ("[stillingsprosent] relative_chnage", "did you mean relative_change"),
    ),
    "unknown table": (
        b"[stillingprosent]\nrelative_change = 0.1\n",
        ("[stillingprosent]", "did you mean [stillingsprosent]"),
    ),
    "unknown top-level key": (b"titel = 'x'\n", ("titel", "did you mean title")),
    "out of range": (
        b"[sykefravaer]\nrelative_change = -2\n",
        ("[sykefravaer] relative_change", "-1"),
    ),
    "year out of range": (
        b"[innvandring]\nrelative_change = 0.1\nstart_year = 2020\n",
        ("[innvandring] start_year", "2025"),
    ),
    "full effect before start": (
        b"[innvandring]\nrelative_change = 0.1\nstart_year = 2030\nfull_effect_year = 2028\n",
        ("[innvandring] full_effect_year",),
    ),
    "wrong type": (
        b'[stillingsprosent]\nrelative_change = "ten percent"\n',
        ("[stillingsprosent] relative_change", "must be a number"),
    ),
    "date instead of number": (
        b"[stillingsprosent]\nrelative_change = 2025-01-01\n",
        ("[stillingsprosent] relative_change",),
    ),
    "unknown group": (
        b'[sykefravaer]\nrelative_change = -0.1\ngroups = ["doctor"]\n',
        ("[sykefravaer] groups", "doctor"),
    ),
    "table is a scalar": (b"stillingsprosent = 0.1\n", ("stillingsprosent", "must be a table")),
    "bad name": (b'name = "../../etc"\n', ("name",)),
    "missing baseline": (b'baseline = "nowhere.toml"\n', ("baseline", "nowhere.toml")),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
@pytest.mark.parametrize("command", ["run", "gap-table", "compare"])
def test_bad_scenario_file_is_a_clean_error(
    case: str,
    command: str,
    tmp_path: Path,
    inputs: hm.Inputs,
    capsys: pytest.CaptureFixture[str],
) -> None:
    content, expected = BAD_FILES[case]
    path = tmp_path / "bad.toml"
    path.write_bytes(content)
    out = tmp_path / "out"
    argv = {
        "run": ["run", str(path), "--out", str(out), "--quiet"],
        "gap-table": ["gap-table", "--scenario", str(path)],
        "compare": ["compare", str(path)],
    }[command]
    code, stdout, err = run_cli(capsys, *argv)
    assert_clean_error(code, err, str(path), *expected)
    assert stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]  # nothing written


def test_missing_file_and_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.toml"
    code, _, err = run_cli(capsys, "run", str(missing), "--out", str(tmp_path / "o"))
    assert_clean_error(code, err, str(missing), "file not found")
    code, _, err = run_cli(capsys, "run", str(tmp_path), "--out", str(tmp_path / "o"))
    assert_clean_error(code, err, str(tmp_path), "directory")
    assert list(tmp_path.iterdir()) == []


def test_baseline_cycle(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.toml").write_text('baseline = "b.toml"\n[sykefravaer]\nrelative_change = -0.1\n')
    (tmp_path / "b.toml").write_text('baseline = "a.toml"\n')
    (tmp_path / "self.toml").write_text('baseline = "self.toml"\n')
    for name in ("a.toml", "self.toml"):
        code, _, err = run_cli(capsys, "run", str(tmp_path / name), "--out", str(tmp_path / "o"))
        assert_clean_error(code, err, "baseline", "cycle")
    assert not (tmp_path / "o").exists()


def test_only_the_first_bad_file_of_many_stops_everything(
    tmp_path: Path, inputs: hm.Inputs, capsys: pytest.CaptureFixture[str]
) -> None:
    """``run good.toml bad.toml``: every file is validated before anything is written."""
    good = tmp_path / "good.toml"
    good.write_text("[sykefravaer]\nrelative_change = -0.1\n")
    bad = tmp_path / "bad.toml"
    bad.write_text("[sykefravaer]\nrelative_change = 'x'\n")
    code, _, err = run_cli(capsys, "run", str(good), str(bad), "--out", str(tmp_path / "o"))
    assert_clean_error(code, err, str(bad), "relative_change")
    assert not (tmp_path / "o").exists()


def test_empty_file_is_the_reference(
    tmp_path: Path, inputs: hm.Inputs, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.toml"
    empty.write_bytes(b"")
    out = tmp_path / "out"
    code, _, err = run_cli(capsys, "run", str(empty), "--out", str(out), "--quiet")
    assert code == 0, err
    assert (out / "gap_table.csv").read_text() == runner.gap_table_csv(
        hm.project(inputs=inputs, detail=False)
    )
    record = json.loads((out / "run.json").read_text())
    assert record["scenario"]["name"] == "empty"
    assert [k for k in record["scenario"] if k not in ("source", "baseline_chain")] == [
        "name",
        "title",
        "description",
        "baseline",
    ]


# ------------------------------------------------------------------------------------------------
# Output directories


def test_unwritable_out_is_a_clean_error(
    tmp_path: Path, inputs: hm.Inputs, capsys: pytest.CaptureFixture[str]
) -> None:
    sc = tmp_path / "sc.toml"
    sc.write_text("[sykefravaer]\nrelative_change = -0.1\n")
    blocker = tmp_path / "a_file"
    blocker.write_text("not a directory")
    for out in (blocker / "out", blocker / "deeper" / "out"):
        code, _, err = run_cli(capsys, "run", str(sc), "--out", str(out), "--quiet")
        assert_clean_error(code, err, "--out", str(out))
    assert blocker.read_text() == "not a directory"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file", "sc.toml"]


@pytest.mark.skipif(
    os.name != "posix" or os.geteuid() == 0, reason="needs POSIX permissions and a non-root user"
)
def test_read_only_out_is_a_clean_error(
    tmp_path: Path, inputs: hm.Inputs, capsys: pytest.CaptureFixture[str]
) -> None:
    sc = tmp_path / "sc.toml"
    sc.write_text("")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        code, _, err = run_cli(capsys, "run", str(sc), "--out", str(locked / "out"), "--quiet")
        assert_clean_error(code, err, "--out")
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o700)


@pytest.fixture()
def previous_run(
    tmp_path: Path, inputs: hm.Inputs, capsys: pytest.CaptureFixture[str]
) -> tuple[Path, dict[str, bytes]]:
    """An output directory holding a finished run, and its files."""
    sc = tmp_path / "first.toml"
    sc.write_text("[stillingsprosent]\nrelative_change = 0.1\n")
    out = tmp_path / "results" / "out"
    code, _, err = run_cli(capsys, "run", str(sc), "--out", str(out), "--quiet")
    assert code == 0, err
    files = snapshot(out)
    assert sorted(files) == ["detail.parquet", "gap_table.csv", "run.json", "summary.csv"]
    return out, files


def test_bad_scenario_leaves_an_existing_output_directory_alone(
    tmp_path: Path,
    previous_run: tuple[Path, dict[str, bytes]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    out, files = previous_run
    bad = tmp_path / "bad.toml"
    bad.write_text("[stillingsprosent]\nrelative_change = 99\n")
    code, _, err = run_cli(capsys, "run", str(bad), "--out", str(out), "--quiet")
    assert_clean_error(code, err, "relative_change")
    assert snapshot(out) == files
    assert [p.name for p in out.parent.iterdir()] == ["out"]


def test_failure_while_writing_leaves_the_old_output_whole(
    tmp_path: Path,
    previous_run: tuple[Path, dict[str, bytes]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The disk fills up after two of the four files of a new run: exit 2, the previous run's
    files are all still there, unchanged, and no temporary directory is left behind."""
    out, files = previous_run
    sc = tmp_path / "second.toml"
    sc.write_text("[sykefravaer]\nrelative_change = -0.2\n")
    real_write = Path.write_bytes
    calls = {"n": 0}

    def flaky_write(self: Path, data: bytes) -> int:  # type: ignore[override]
        calls["n"] += 1
        if calls["n"] > 2:
            raise OSError(28, "No space left on device")
        return real_write(self, data)

    monkeypatch.setattr(Path, "write_bytes", flaky_write)
    code, _, err = run_cli(capsys, "run", str(sc), "--out", str(out), "--quiet")
    monkeypatch.undo()
    assert_clean_error(code, err, "--out", "No space left on device")
    assert calls["n"] == 3
    assert snapshot(out) == files
    assert [p.name for p in out.parent.iterdir()] == ["out"]


def test_a_successful_rerun_replaces_the_directory_whole(
    tmp_path: Path,
    previous_run: tuple[Path, dict[str, bytes]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    out, files = previous_run
    sc = tmp_path / "second.toml"
    sc.write_text("[sykefravaer]\nrelative_change = -0.2\n")
    code, _, err = run_cli(capsys, "run", str(sc), "--out", str(out), "--quiet")
    assert code == 0, err
    new = snapshot(out)
    assert sorted(new) == sorted(files)
    assert new["summary.csv"] != files["summary.csv"]
    assert [p.name for p in out.parent.iterdir()] == ["out"]


def test_a_directory_with_foreign_files_is_not_replaced(
    tmp_path: Path,
    previous_run: tuple[Path, dict[str, bytes]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    out, files = previous_run
    (out / "notes.txt").write_text("mine")
    sc = tmp_path / "second.toml"
    sc.write_text("[sykefravaer]\nrelative_change = -0.2\n")
    code, _, err = run_cli(capsys, "run", str(sc), "--out", str(out), "--quiet")
    assert code == 2 and "notes.txt" in err
    new = snapshot(out)
    assert new.pop("notes.txt") == b"mine"
    assert new == files


# ------------------------------------------------------------------------------------------------
# Determinism and provenance


def test_two_runs_give_identical_files(
    tmp_path: Path, inputs: hm.Inputs, capsys: pytest.CaptureFixture[str]
) -> None:
    sc = tmp_path / "sc.toml"
    sc.write_text(
        "[stillingsprosent]\nrelative_change = 0.1\n[produktivitet]\nannual_rate = 0.005\n"
    )
    runs = []
    for name in ("one", "two"):
        code, _, err = run_cli(capsys, "run", str(sc), "--out", str(tmp_path / name), "--quiet")
        assert code == 0, err
        runs.append(snapshot(tmp_path / name))
    for f in ("summary.csv", "gap_table.csv", "run.json", "detail.parquet"):
        assert runs[0][f] == runs[1][f], f


def test_run_json_records_scenario_version_and_input_hashes(
    tmp_path: Path, inputs: hm.Inputs, capsys: pytest.CaptureFixture[str]
) -> None:
    parent = tmp_path / "parent.toml"
    parent.write_text("[stillingsprosent]\nrelative_change = 0.1\n")
    child = tmp_path / "child.toml"
    child.write_text('baseline = "parent.toml"\n[sykefravaer]\nrelative_change = -0.1\n')
    out = tmp_path / "out"
    code, _, err = run_cli(capsys, "run", str(child), "--out", str(out), "--quiet")
    assert code == 0, err
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["helsemodlite_version"] == hm.__version__
    resolved = hm.load_scenario(child).to_dict()
    assert record["scenario"] == json.loads(json.dumps(resolved))
    assert record["scenario"]["stillingsprosent"]["relative_change"] == 0.1  # inherited
    assert record["scenario"]["baseline_chain"] == [str(parent)]
    hashes = record["input_files_sha256"]
    assert hashes and hashes == inputs.file_hashes
    if DEFAULT is not None:  # the hashes are those of the files on disk
        assert inputs.directory is not None
        root = Path(inputs.directory)
        for rel, digest in hashes.items():
            assert hashlib.sha256((root / rel).read_bytes()).hexdigest() == digest, rel
