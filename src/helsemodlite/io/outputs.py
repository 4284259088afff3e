"""Writing a run's outputs: ``summary.csv``, ``detail.parquet``, ``gap_table.csv``, ``run.json``.

Outputs of one run (``outputs/<scenario>/`` by default): ``summary.csv`` (scenario, year, group,
supply, demand, gap), ``detail.parquet`` (the one long schema of
:meth:`~helsemodlite.io.tables.Projection.long`, totals and cells), ``gap_table.csv`` and
``run.json`` (the
resolved scenario, package version, library versions and a hash of every input file; no
timestamps, so two runs give identical files). A directory is written in full to a temporary
sibling and then swapped into place (:mod:`helsemodlite.io.atomic`), so an existing output
directory is never half overwritten.
"""

from __future__ import annotations

import json
import os
import platform
import re
import sys
from pathlib import Path
from typing import Any

from .._version import __version__
from ..embedded import embedded_inputs_dir, inside_package
from ..errors import ConfigError
from .atomic import MARKER, recover, write_dirs
from .read import calibration_status
from .tables import Projection, check_dialect, to_csv_text, with_labels


def summary_csv(
    proj: Projection, draw: int = 0, *, labels: bool = False, dialect: str = "standard"
) -> str:
    """summary.csv text: fixed column order, row order (year, group) and float format.

    ``labels``: SSB's group label, the unit and the ``is_total`` marker of the Sum rows
    (:func:`~helsemodlite.io.tables.with_labels`); ``dialect``: see
    :data:`~helsemodlite.io.tables.CSV_DIALECTS`. The defaults give the file as it always was."""
    frame = proj.summary(with_scenario=True)
    frame = frame[frame["scenario"] == proj.scenarios[draw]].reset_index(drop=True)
    return to_csv_text(with_labels(frame) if labels else frame, dialect)


def gap_table_csv(
    proj: Projection,
    draw: int = 0,
    years: tuple[int, ...] | None = None,
    *,
    labels: bool = False,
    dialect: str = "standard",
) -> str:
    """gap_table.csv and ``gap-table --csv``: group ids, one column per year, the Sum row last,
    in the one CSV format of :func:`to_csv_text` (``labels`` and ``dialect`` as
    :func:`summary_csv`)."""
    table = proj.gap_table(draw=draw, labels=False, **({"years": years} if years else {}))
    table.columns = [str(c) for c in table.columns]
    frame = table.reset_index()
    return to_csv_text(with_labels(frame) if labels else frame, dialect)


def _inputs_label(directory: Path | None) -> str | None:
    """The embedded data set is named as such (so run.json does not depend on the machine)."""
    if directory is None:
        return None
    if Path(directory).resolve() == embedded_inputs_dir().resolve():
        return "embedded default (helsemodlite inputs/)"
    return str(directory)


_RECORDED_PACKAGES = ("numpy", "pandas", "pyarrow", "scipy", "statsmodels")


def environment(uses: tuple[str, ...] = ()) -> dict[str, str]:
    """Versions that can change a result: Python and the numerical libraries (scipy and
    statsmodels where this process loaded them), and ``uses``, the libraries that wrote the
    files (XlsxWriter for a workbook)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in (*_RECORDED_PACKAGES, *uses):
        if name in ("scipy", "statsmodels") and name not in sys.modules:
            continue
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            continue
    return out


def csv_settings(labels: bool, dialect: str) -> dict[str, Any]:
    """How the CSV files were written, for run.json (empty for the defaults, so a default run's
    run.json stays as it was)."""
    if not labels and dialect == "standard":
        return {}
    return {"csv": {"labels": bool(labels), "dialect": dialect}}


def run_record(
    proj: Projection, scenario: Any, *, labels: bool = False, dialect: str = "standard"
) -> dict[str, Any]:
    """What run.json holds: enough to trace and re-run a result (no timestamps)."""
    inp = proj.inputs
    return {
        "helsemodlite_version": __version__,
        "environment": environment(),
        "scenario": scenario.to_dict(),
        "inputs_directory": _inputs_label(inp.directory),
        "input_files_sha256": inp.file_hashes,
        "population_alternative_default": inp.population_alternative,
        "years": [inp.years[0], inp.years[-1]],
        "calibration": calibration_status(inp),
        "outputs": list(OUTPUT_FILES),
        **csv_settings(labels, dialect),
        "notes": proj.notes,
    }


OUTPUT_FILES = ("summary.csv", "detail.parquet", "gap_table.csv", "run.json")
UNCERTAINTY_FILES = (
    "quantiles.csv",
    "effect_quantiles.csv",
    "prob_shortage.csv",
    "drivers.csv",
    "sampled_inputs.csv",
    "sobol.csv",
    "run.json",
)
"""What ``helsemodlite uncertainty --out DIR`` writes (docs/uncertainty.md)."""
COMPARE_FILES = ("compare.csv", "compare_long.csv", "compare.xlsx", "run.json")
"""What ``helsemodlite compare --out DIR`` writes (docs/scenarios.md, "Comparing scenarios")."""


def check_target(target: Path, allowed: tuple[str, ...] | None = None) -> None:
    """Only a missing path, an empty directory or a previous run's output may be replaced.

    ``allowed``: the file names a previous output of this kind may hold (default: those of
    ``run``; ``uncertainty`` and a report folder pass their own), so one command never
    replaces another's output."""
    text = os.fspath(target)
    if not text.strip():
        raise ConfigError("--out: empty path; give a directory")
    try:
        resolved = Path(target).resolve()
        cwd = Path.cwd().resolve()
        if resolved == cwd or resolved in cwd.parents:
            raise ConfigError(
                f"--out {target}: is the current directory or one of its parents; "
                "give a new subdirectory, e.g. --out outputs/mitt_scenario"
            )
        if inside_package(resolved):
            raise ConfigError(
                f"--out {target}: is inside the installed helsemodlite package; write outputs "
                "elsewhere (e.g. --out outputs/mitt_scenario)"
            )
        check_parents(Path(target))
        recover(Path(target))
        if target.is_symlink():
            raise ConfigError(
                f"--out {target}: is a symbolic link; give the directory itself (an output "
                "replaces its directory as a whole, so a link is not followed)"
            )
        if target.exists() and not target.is_dir():
            raise ConfigError(f"--out {target}: exists and is not a directory; give a directory")
        if target.is_dir():
            _check_previous_output(target, allowed)
    except ConfigError:  # already names the path and says what to do: not wrapped again
        raise
    except (OSError, RuntimeError, ValueError) as exc:
        reason = _reason(exc) if isinstance(exc, OSError) else str(exc)
        raise ConfigError(f"--out {target}: cannot use this path ({reason})") from exc


def check_parents(target: Path) -> None:
    """No folder above ``target`` is a file or an earlier helsemodlite output (a later run
    there would refuse the new file or replace it); ``prev/../new`` is read as ``new``."""
    lexical = Path(os.path.normpath(Path(target).absolute()))
    for parent in lexical.parents:  # nearest first
        if parent.exists() and not parent.is_dir():
            raise ConfigError(f"--out {target}: {parent} is a file, not a directory")
        if _is_run_record(parent / "run.json"):
            raise ConfigError(
                f"--out {target}: is inside {parent}, the output of an earlier helsemodlite "
                "command (a later run there would refuse it or replace it); give a place "
                "outside it"
            )


def _is_run_record(path: Path) -> bool:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(record, dict) and "helsemodlite_version" in record


def _check_previous_output(target: Path, allowed: tuple[str, ...] | None = None) -> None:
    """A non-empty directory may be replaced only when it is a previous run's output: nothing
    but the output files, each a regular file, and a run.json written by helsemodlite."""
    entries = list(target.iterdir())
    if not entries:
        return
    names = set(allowed) if allowed is not None else set(OUTPUT_FILES)
    foreign = sorted(
        p.name + ("/" if p.is_dir() else "")
        for p in entries
        if p.name != MARKER and (p.name not in names or p.is_symlink() or not p.is_file())
    )
    if not foreign and not _is_run_record(target / "run.json"):
        foreign = ["(no run.json written by helsemodlite)"]
    if foreign:
        shown = ", ".join(foreign[:5]) + (" …" if len(foreign) > 5 else "")
        other = _other_command(target, foreign)
        if other:
            raise ConfigError(
                f"--out {target}: holds the output of another command ({other}); one command "
                "never replaces another's. Give a new or empty directory, or a previous output "
                "of this command."
            )
        raise ConfigError(
            f"--out {target}: the directory holds files that are not helsemodlite outputs "
            f"({shown}); refusing to replace it. Give a new or empty directory, or a previous "
            "output of this command."
        )


_SOME_OUTPUT = re.compile(r"^(report\.(html|xlsx)|compare(_long)?\.(csv|xlsx)|[\w-]+\.(png|svg))$")
"""File names that other commands write (report, compare; charts)."""


def _other_command(target: Path, foreign: list[str]) -> str:
    """The command whose output ``target`` holds (from its run.json) when every file in it is
    one some command writes, or "" (then it is simply foreign)."""
    known = {*OUTPUT_FILES, *UNCERTAINTY_FILES}
    if any(name not in known and not _SOME_OUTPUT.match(name) for name in foreign):
        return ""
    try:
        record = json.loads((target / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    if not isinstance(record, dict) or "helsemodlite_version" not in record:
        return ""
    kind = record.get("kind")
    return f"helsemodlite {kind}" if isinstance(kind, str) else "helsemodlite run"


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def output_files(
    proj: Projection, scenario: Any, *, labels: bool = False, dialect: str = "standard"
) -> dict[str, bytes]:
    """The four output files of a single-scenario projection (with detail), as bytes
    (``labels`` and ``dialect`` shape the two CSV files, as :func:`summary_csv`)."""
    import io

    check_dialect(dialect)
    buf = io.BytesIO()
    proj.long(detail=True).to_parquet(buf, index=False)
    info = run_record(proj, scenario, labels=labels, dialect=dialect)
    record = json.dumps(info, ensure_ascii=False, indent=2) + "\n"
    return {
        "summary.csv": _utf8(summary_csv(proj, labels=labels, dialect=dialect)),
        "detail.parquet": buf.getvalue(),
        "gap_table.csv": _utf8(gap_table_csv(proj, labels=labels, dialect=dialect)),
        "run.json": _utf8(record),
    }


def _utf8(text: str) -> bytes:
    # Titles or paths may hold lone surrogates (undecodable file names): keep them visible.
    return text.encode("utf-8", "backslashreplace")


def write_many(
    items: list[tuple[Path, dict[str, bytes]]], allowed: tuple[str, ...] | None = None
) -> list[Path]:
    """Write several output directories as one: each target checked first (``allowed``: see
    :func:`check_target`), then all written in full and swapped; a failure (or an interrupt)
    leaves every target as it was."""
    for target, _ in items:
        check_target(target, allowed)
    try:
        write_dirs([(Path(t), files) for t, files in items])
    except OSError as exc:
        where = items[0][0] if len(items) == 1 else items[0][0].parent
        raise ConfigError(f"--out {where}: cannot write there ({_reason(exc)})") from exc
    return [Path(t) for t, _ in items]


def write_outputs(proj: Projection, scenario: Any, target: Path) -> Path:
    """Write the four outputs of a single-scenario projection (with detail) into ``target``."""
    return write_many([(Path(target), output_files(proj, scenario))])[0]
