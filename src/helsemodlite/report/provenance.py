"""Where a report's numbers come from: read from the inputs directory that produced them.

The source catalogue (``sources.toml``: the public tables, as published), which inflows are
observed and which assumed (``assumptions/supply_flows.csv``), the files of estimated
parameters (``assumptions/``), the calibration record and its fit (``calibration/``), and
what reproduces the run (package and library versions, input hashes, the command). An inputs
directory of one's own may lack some of these files: what is missing is reported as missing,
never a reason to refuse a report.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pandas as pd

from .._version import __version__
from ..io.outputs import _inputs_label, environment
from ..io.read import calibration_status, read_calibration_record
from ..model.inputs import Inputs

CHART_PACKAGES = ("matplotlib", "xlsxwriter")
"""Libraries whose version changes the bytes of the charts and the workbook."""


@dataclass(frozen=True)
class Provenance:
    """What a report says about its inputs and how to reproduce it."""

    version: str
    environment: dict[str, str]
    inputs_label: str
    embedded: bool
    file_hashes: dict[str, str]
    calibration: dict[str, Any]
    calibration_record: dict[str, Any]
    fit: pd.DataFrame | None
    sources: list[dict[str, Any]]
    inflow_status: pd.DataFrame | None
    assumptions: list[tuple[str, int, str]]
    """(file, number of entries, its first comment line) per file of ``assumptions/``."""
    command: str
    settings: dict[str, Any] = field(default_factory=dict)
    """Draws, seed, horizon: the options of the report run."""


def _read_sources(root: Path) -> list[dict[str, Any]]:
    try:
        data = tomllib.loads((root / "sources.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return []
    items = data.get("source", [])
    return [s for s in items if isinstance(s, dict)] if isinstance(items, list) else []


def _read_csv(path: Path) -> pd.DataFrame | None:
    try:
        return pd.read_csv(path, comment="#") if path.is_file() else None
    except (OSError, ValueError):
        return None


def _inflow_status(root: Path) -> pd.DataFrame | None:
    flows = _read_csv(root / "assumptions" / "supply_flows.csv")
    cols = ["group", "graduates_status", "immigrants_status"]
    if flows is None or not set(cols) <= set(flows.columns):
        return None
    return flows[cols].reset_index(drop=True)


def _first_comment(text: str, limit: int = 220) -> str:
    """The file's opening comment (its consecutive ``#`` lines), cut at a sentence end."""
    lines: list[str] = []
    for line in text.splitlines():
        if not line.startswith("#"):
            if lines:
                break
            continue
        lines.append(line.lstrip("# ").strip())
    head = " ".join(x for x in lines if x)
    if len(head) <= limit:
        return head
    cut = head[:limit]
    end = cut.rfind(". ")
    return cut[: end + 1] if end > 40 else cut.rstrip() + " …"


def _toml_entries(text: str) -> int:
    """Parameters of an assumptions TOML: the entries that state their evidence (every
    estimated value does), else the file's leaf values."""
    import re

    stated = len(re.findall(r"\bevidence\s*=", text))
    if stated:
        return stated
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return 0

    def leaves(d: Any) -> int:
        return sum(leaves(v) if isinstance(v, dict) else 1 for v in d.values())

    return leaves(data)


def _assumption_files(root: Path) -> list[tuple[str, int, str]]:
    folder = root / "assumptions"
    out: list[tuple[str, int, str]] = []
    if not folder.is_dir():
        return out
    for path in sorted(folder.iterdir()):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if path.suffix == ".toml":
            entries = _toml_entries(text)
        elif path.suffix == ".csv":
            rows = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
            entries = max(0, len(rows) - 1)
        else:
            continue
        out.append((path.name, entries, _first_comment(text)))
    return out


def versions() -> dict[str, str]:
    """Python, the numerical libraries (:func:`helsemodlite.io.outputs.environment`) and the
    chart and workbook libraries."""
    out = environment()
    for name in CHART_PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            continue
    return out


def collect(inputs: Inputs, command: str, settings: dict[str, Any] | None = None) -> Provenance:
    """The provenance of a report on ``inputs``, produced by ``command``."""
    root = Path(inputs.directory) if inputs.directory is not None else None
    label = _inputs_label(root) or "gitt i Python (ingen inputs-mappe)"
    record = read_calibration_record(root) if root is not None else {}
    return Provenance(
        version=__version__,
        environment=versions(),
        inputs_label=label,
        embedded=label.startswith("embedded"),
        file_hashes=dict(inputs.file_hashes),
        calibration=calibration_status(inputs),
        calibration_record=record,
        fit=_read_csv(root / "calibration" / "fit.csv") if root is not None else None,
        sources=_read_sources(root) if root is not None else [],
        inflow_status=_inflow_status(root) if root is not None else None,
        assumptions=_assumption_files(root) if root is not None else [],
        command=command,
        settings=dict(settings or {}),
    )
