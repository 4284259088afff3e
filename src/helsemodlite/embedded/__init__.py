"""The embedded default data set and the shipped scenarios, as package data.

Both live inside the installed package (``helsemodlite/embedded/inputs`` and
``helsemodlite/embedded/scenarios``), so a wheel carries them and nothing depends on a source
tree. They are read-only for users: ``helsemodlite inputs export DIR`` copies the data set out
as a starting point for one's own, and ``inputs build`` / ``calibrate`` write only into an inputs
directory named with ``--inputs``.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

SCENARIO_SUFFIX = ".toml"


def _package_dir() -> Path:
    # The package is installed as plain files (setuptools, wheel or editable), never zipped.
    return Path(str(files(__name__)))


def embedded_inputs_dir() -> Path:
    """The embedded default inputs directory inside the installed package."""
    return _package_dir() / "inputs"


def scenarios_dir() -> Path:
    """The folder of the shipped scenario files inside the installed package."""
    return _package_dir() / "scenarios"


def shipped_scenarios() -> dict[str, Path]:
    """Shipped scenario files by name (file stem), sorted by name."""
    return {p.stem: p for p in sorted(scenarios_dir().glob(f"*{SCENARIO_SUFFIX}"))}


def shipped_scenario(name: str) -> Path | None:
    """The shipped file called ``name`` (with or without ``.toml``), or None.

    Only a bare name qualifies: anything with a path separator is a path, never a shipped name.
    """
    if not name or os.sep in name or (os.altsep and os.altsep in name) or "/" in name:
        return None
    return shipped_scenarios().get(name.removesuffix(SCENARIO_SUFFIX))


def inside_package(path: Path) -> bool:
    """True when ``path`` (resolved) lies inside the installed helsemodlite package."""
    pkg = _package_dir().parent.resolve()
    try:
        resolved = Path(path).resolve()
    except (OSError, RuntimeError, ValueError):
        return False
    return resolved == pkg or pkg in resolved.parents


def is_within_source_checkout() -> bool:
    """True when the package runs from a source checkout (``src/helsemodlite`` beside a
    ``pyproject.toml``), where rebuilding the embedded data set is a maintainer's job."""
    pkg = _package_dir().parent
    return pkg.parent.name == "src" and (pkg.parent.parent / "pyproject.toml").is_file()
