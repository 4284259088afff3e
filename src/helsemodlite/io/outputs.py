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
import sys
from pathlib import Path
from typing import Any

from .._version import __version__
from ..embedded import embedded_inputs_dir
from ..errors import ConfigError
from .atomic import recover, write_dir
from .tables import Projection, to_csv_text


def summary_csv(proj: Projection, draw: int = 0) -> str:
    """summary.csv text: fixed column order, row order (year, group) and float format."""
    frame = proj.summary(with_scenario=True)
    frame = frame[frame["scenario"] == proj.scenarios[draw]]
    return to_csv_text(frame.reset_index(drop=True))


def gap_table_csv(proj: Projection, draw: int = 0, years: tuple[int, ...] | None = None) -> str:
    """gap_table.csv and ``gap-table --csv``: group ids, one column per year, the Sum row last,
    in the one CSV format of :func:`to_csv_text`."""
    table = proj.gap_table(draw=draw, labels=False, **({"years": years} if years else {}))
    table.columns = [str(c) for c in table.columns]
    return to_csv_text(table.reset_index())


def _inputs_label(directory: Path | None) -> str | None:
    """The embedded data set is named as such (so run.json does not depend on the machine)."""
    if directory is None:
        return None
    if Path(directory).resolve() == embedded_inputs_dir().resolve():
        return "embedded default (helsemodlite inputs/)"
    return str(directory)


_RECORDED_PACKAGES = ("numpy", "pandas", "pyarrow", "scipy", "statsmodels")


def environment() -> dict[str, str]:
    """Versions that can change a result: Python and the numerical libraries (scipy and
    statsmodels where this process loaded them)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in _RECORDED_PACKAGES:
        if name in ("scipy", "statsmodels") and name not in sys.modules:
            continue
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            continue
    return out


def run_record(proj: Projection, scenario: Any) -> dict[str, Any]:
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
        "outputs": list(OUTPUT_FILES),
        "notes": proj.notes,
    }


OUTPUT_FILES = ("summary.csv", "detail.parquet", "gap_table.csv", "run.json")


def check_target(target: Path) -> None:
    """Only a missing path, an empty directory or a previous run's output may be replaced."""
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
        recover(Path(target))
        if target.is_symlink() or (target.exists() and not target.is_dir()):
            raise ConfigError(f"--out {target}: exists and is not a directory; give a directory")
        if target.is_dir():
            _check_previous_output(target)
    except OSError as exc:
        raise ConfigError(f"--out {target}: cannot use this path ({_reason(exc)})") from exc


def _is_run_record(path: Path) -> bool:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(record, dict) and "helsemodlite_version" in record


def _check_previous_output(target: Path) -> None:
    """A non-empty directory may be replaced only when it is a previous run's output: nothing
    but the output files, each a regular file, and a run.json written by helsemodlite."""
    entries = list(target.iterdir())
    if not entries:
        return
    foreign = sorted(
        p.name + ("/" if p.is_dir() else "")
        for p in entries
        if p.name not in OUTPUT_FILES or p.is_symlink() or not p.is_file()
    )
    if not foreign and not _is_run_record(target / "run.json"):
        foreign = ["(no run.json written by helsemodlite)"]
    if foreign:
        shown = ", ".join(foreign[:5]) + (" …" if len(foreign) > 5 else "")
        raise ConfigError(
            f"--out {target}: the directory holds files that are not helsemodlite outputs "
            f"({shown}); refusing to replace it. Give a new or empty directory, or a previous "
            "run's output directory."
        )


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _write_dir_atomically(target: Path, files: dict[str, bytes]) -> None:
    """Write ``files`` into ``target`` as a whole (see :mod:`helsemodlite.atomic`).

    If anything fails, the previous content of ``target`` is left (or put back) in place.
    """
    check_target(target)
    try:
        write_dir(target, files)
    except OSError as exc:
        raise ConfigError(f"--out {target}: cannot write there ({_reason(exc)})") from exc


def write_outputs(proj: Projection, scenario: Any, target: Path) -> Path:
    """Write the four outputs of a single-scenario projection (with detail) into ``target``."""
    import io

    buf = io.BytesIO()
    proj.long(detail=True).to_parquet(buf, index=False)
    files = {
        "summary.csv": summary_csv(proj).encode(),
        "detail.parquet": buf.getvalue(),
        "gap_table.csv": gap_table_csv(proj).encode(),
        "run.json": (
            json.dumps(run_record(proj, scenario), ensure_ascii=False, indent=2) + "\n"
        ).encode(),
    }
    _write_dir_atomically(Path(target), files)
    return Path(target)
