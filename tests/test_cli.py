"""The command line: gap table output, CSV contract, README quick start."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from helsemodlite.cli import main
from helsemodlite.cli.text import format_arsverk

ROOT = Path(__file__).resolve().parents[1]


def test_format_arsverk() -> None:
    assert format_arsverk(-14_712.0) == "-14 700"
    assert format_arsverk(49.0) == "0"
    assert format_arsverk(2_351.0) == "2 400"


def test_gap_table_prints_publication_layout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gap-table"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert any(line.startswith("Sykepleier") for line in lines)
    assert lines[-1].startswith("Sum")
    assert "Psykologer" in out and "Helsesekretær (inkl. tannhelsesekretær)" in out
    header = next(line for line in lines if line.startswith("Utdanningsgruppe"))
    assert header.split()[1:] == ["2025", "2030", "2035", "2040"]


def test_gap_table_csv_contract(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gap-table", "--csv"]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0] == "group,2025,2030,2035,2040"
    df = pd.read_csv(io.StringIO(text))
    assert len(df) == 15 and df.group.iloc[-1] == "Sum"
    assert abs(df.iloc[:-1, 1:].sum() - df.iloc[-1, 1:]).max() < 1e-3


def test_a_year_given_twice_is_one_column(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gap-table", "--csv", "--years", "2040", "2030", "2040"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "group,2040,2030"


def test_inputs_that_end_before_2040_get_their_last_year_by_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One rule for every command: without --year, 2040 when projected, else the inputs' last
    year (the gap table shows the publication's columns the inputs have)."""
    import helsemodlite as hm

    short = tmp_path / "short"
    hm.export_inputs(short)
    for name in ("population.csv", "mortality.csv", "births.csv"):
        f = short / "model" / name
        df = pd.read_csv(f)
        df[df.year <= 2035].to_csv(f, index=False)
    assert main(["gap-table", "--inputs", str(short), "--csv"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "group,2025,2030,2035"
    assert main(["explain", "--inputs", str(short)]) == 0
    assert "2035" in capsys.readouterr().out
    assert main(["uncertainty", "--inputs", str(short), "--draws", "20"]) == 0
    assert "2035" in capsys.readouterr().out
    assert main(["explain", "--inputs", str(short), "--year", "2040"]) == 2
    assert "2040 outside the projection" in capsys.readouterr().err


def test_readme_quick_start_is_what_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Quick start\s+```bash\n(.*?)```", readme, re.S)
    assert block, "README has a Quick start bash block"
    commands = [c for c in block.group(1).splitlines() if c.strip()]
    assert len(commands) == 2
    assert "helsemodlite gap-table" in commands[0]
    assert commands[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_quick_start_main_job_runs_as_a_process() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "helsemodlite", "gap-table"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert "Sum" in result.stdout


def test_package_import_is_light() -> None:
    code = (
        "import sys, helsemodlite; "
        "print(any(m in sys.modules for m in ('pandas','statsmodels','scipy','matplotlib')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_bad_arguments_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["gap-table", "--years", "twenty"])
    assert exc.value.code == 2


def test_calibrate_prints_readable_tables_and_what_it_wrote(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["calibrate", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Kalibrerte parametre per gruppe")
    assert "Bioingeniør" in out and "tilgang + underskudd" in out and "mykt mål" in out
    assert "demand_trend" not in out and "Etterspørselstrend" not in out  # none fitted
    assert "28 frie parametre" in out and "29 parametre for 33 mål" in out
    assert out.rstrip().endswith("--dry-run: ingenting skrevet")


def test_commands_use_one_blas_thread_unless_told_otherwise() -> None:
    """A new command process sets one BLAS thread before numpy loads (docs/performance.md); a
    value the user set wins, and a Python session that already imported numpy is left alone."""
    import os

    code = (
        "from helsemodlite.cli.entry import _single_threaded_blas as f; f(); import os, numpy; "
        "print(os.environ.get('OPENBLAS_NUM_THREADS'), os.environ.get('OMP_NUM_THREADS'))"
    )
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    run = [sys.executable, "-c", code]
    assert subprocess.run(run, env=env, capture_output=True, text=True).stdout.split() == ["1", "1"]
    mine = {**env, "OPENBLAS_NUM_THREADS": "3"}
    out = subprocess.run(run, env=mine, capture_output=True, text=True).stdout.split()
    assert out == ["3", "1"]
    before = dict(os.environ)
    import numpy  # noqa: F401

    from helsemodlite.cli.entry import _single_threaded_blas

    _single_threaded_blas()  # numpy is loaded in this session: nothing changes
    assert dict(os.environ) == before


def test_docs_lists_and_prints_the_pages_messages_name(capsys: pytest.CaptureFixture[str]) -> None:
    """Every docs/NAME.md of the checkout is a page of `helsemodlite docs` (the wheel carries
    them too: .ci/run checks an installed wheel)."""
    root = Path(__file__).resolve().parents[1] / "docs"
    assert main(["docs"]) == 0
    listing = capsys.readouterr().out
    for page in root.glob("*.md"):
        assert f"\n{page.stem} " in listing, page.stem
    assert main(["docs", "docs/calibration.md"]) == 0
    assert capsys.readouterr().out == (root / "calibration.md").read_text(encoding="utf-8")
    assert main(["docs", "solve", "--path"]) == 0
    assert Path(capsys.readouterr().out.strip()).samefile(root / "solve.md")
    assert main(["docs", "--path"]) == 0
    assert Path(capsys.readouterr().out.strip()).samefile(root)
    assert main(["docs", "calibraton"]) == 2
    assert "did you mean calibration?" in capsys.readouterr().err


def test_a_terminal_without_norwegian_letters_gets_escapes_not_a_traceback() -> None:
    import os

    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    for argv in (["gap-table"], ["docs", "solve"], ["scenarios", "show", "heltid_10"]):
        done = subprocess.run(
            [sys.executable, "-m", "helsemodlite", *argv], env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
    assert (
        "ettersp\\xf8rsel"
        in subprocess.run(
            [sys.executable, "-m", "helsemodlite", "gap-table"],
            env=env,
            capture_output=True,
            text=True,
        ).stdout
    )
