"""The catalogue of public source tables (``inputs/sources.toml``): the build finds every source
file through it, by the role the file plays, never by a hard-coded name.

Each ``[[source]]`` entry has ``file``, ``role`` (what the build uses it for, e.g.
``population_base``) and the provenance fields (publisher, table id, title, reference date,
URL, unit, note). Replacing a source with a newer vintage is an edit of ``file`` in the
catalogue (and the new file in ``sources/``); the code does not change.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from ..errors import InputError

CATALOGUE = "sources.toml"


def _entries(root: Path) -> list[dict[str, object]]:
    path = root / CATALOGUE
    try:
        with path.open("rb") as fh:
            doc = tomllib.load(fh)
    except FileNotFoundError:
        raise InputError(f"{CATALOGUE}: missing file (expected at {path})") from None
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{CATALOGUE}: cannot be read ({exc})") from exc
    entries = doc.get("source", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise InputError(f"{CATALOGUE}: expected [[source]] tables")
    return entries


def source_file(sources_dir: Path, role: str) -> Path:
    """The file in ``sources_dir`` of the catalogued source with ``role`` (the catalogue is
    ``sources_dir/../sources.toml``). :class:`InputError` when no entry, or several, have it."""
    sources_dir = Path(sources_dir)
    entries = [e for e in _entries(sources_dir.parent) if e.get("role") == role]
    if len(entries) != 1:
        what = "no [[source]] has" if not entries else f"{len(entries)} [[source]] entries have"
        raise InputError(
            f'{CATALOGUE}: {what} role = "{role}"; the build needs exactly one (add or fix '
            "the entry that names the file)"
        )
    name = entries[0].get("file")
    if not isinstance(name, str) or not name.strip():
        raise InputError(f'{CATALOGUE}: the [[source]] with role = "{role}" has no file')
    return sources_dir / name


def roles(root: Path) -> dict[str, str]:
    """role → file of every catalogued source that has a role."""
    return {str(e["role"]): str(e.get("file")) for e in _entries(root) if "role" in e}
