"""What ``model/`` was built from: the record ``model/build.toml`` and the note when the
sources or assumptions changed since (docs/data.md, *Rebuilding*).

Runs read ``model/`` only, so an edit of ``assumptions/`` or ``sources/`` does nothing until
``helsemodlite inputs build``. The build writes the SHA-256 of every file it reads from
(``sources.toml``, ``sources/``, ``assumptions/``); the commands compare them with the files
there now and say which changed. Content is hashed with ``\\r\\n`` read as ``\\n`` and without a
byte-order mark, so a checkout with other line endings is not a change.
"""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from pathlib import Path

from ..errors import InputError

BUILD_RECORD = "model/build.toml"
BUILT_FROM = ("sources.toml", "sources", "assumptions")
UNKNOWN = "whether model/ was built from the files beside it is not known"


def _digest(data: bytes) -> str:
    data = data.removeprefix(b"\xef\xbb\xbf").replace(b"\r\n", b"\n")
    return hashlib.sha256(data).hexdigest()


def _name(rel: Path) -> str:
    """A relative path as a key TOML can hold: bytes that are no UTF-8 (a file name the system
    gave undecoded) as ``\\xff`` text."""
    return os.fsencode(rel.as_posix()).decode("utf-8", "backslashreplace")


def build_inputs_hashes(root: Path) -> dict[str, str]:
    """SHA-256 (normalised line endings) of every file the build reads from, by path relative
    to the inputs directory (hidden files and folders left out). A file that cannot be read
    is an :class:`InputError` naming it."""
    out: dict[str, str] = {}
    for part in BUILT_FROM:
        p = root / part
        files = [p] if p.is_file() else sorted(q for q in p.rglob("*") if q.is_file())
        for q in files:
            rel = q.relative_to(root)
            if any(s.startswith(".") for s in rel.parts):
                continue
            try:
                data = q.read_bytes()
            except OSError as exc:
                raise InputError(f"{_name(rel)}: cannot be read ({exc.strerror or exc})") from exc
            out[_name(rel)] = _digest(data)
    return out


def files_stamp(root: Path) -> tuple[tuple[str, int, int], ...]:
    """(path, size, mtime_ns) of the record and of every file the build reads from: a cheap key
    for caching :func:`build_note` (the explorer reruns on every move of a control)."""
    out = []
    for part in (*BUILT_FROM, BUILD_RECORD):
        p = root / part
        try:
            files = [p] if p.is_file() else sorted(q for q in p.rglob("*") if q.is_file())
            for q in files:
                st = q.stat()
                out.append((q.as_posix(), st.st_size, st.st_mtime_ns))
        except (OSError, ValueError):
            continue
    return tuple(out)


def build_record_text(root: Path) -> str:
    """The text of ``model/build.toml`` for the files in ``root`` now."""
    lines = [
        "# What model/ was built from (helsemodlite inputs build): SHA-256 of every file of",
        "# sources.toml, sources/ and assumptions/ (line endings normalised). The commands say",
        "# when these files changed since, i.e. when model/ needs a rebuild. Do not edit.",
        "",
        "[built_from]",
    ]
    # ensure_ascii=False: JSON's surrogate-pair escapes (of an emoji, say) are not valid TOML
    hashes = build_inputs_hashes(root)
    lines += [f'{json.dumps(k, ensure_ascii=False)} = "{v}"' for k, v in hashes.items()]
    return "\n".join(lines) + "\n"


def build_note(directory: Path | None) -> str | None:
    """A note when ``sources.toml``, ``sources/`` or ``assumptions/`` differ from what
    ``model/`` was built from (None without a record: a directory of model files only)."""
    if directory is None:
        return None
    path = Path(directory) / BUILD_RECORD
    try:
        if not path.is_file():
            return None
    except (OSError, ValueError):  # a path the system refuses: the command itself says so
        return None
    try:
        built = tomllib.loads(path.read_text(encoding="utf-8")).get("built_from")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return f"{path}: cannot be read ({exc}); {UNKNOWN}"
    if not isinstance(built, dict):
        return f"{path}: has no [built_from] table; {UNKNOWN}"
    try:
        now = build_inputs_hashes(Path(directory))
    except InputError as exc:
        return f"{exc}; {UNKNOWN}"
    except OSError as exc:
        return f"{directory}: cannot be listed ({exc.strerror or exc}); {UNKNOWN}"
    changed = sorted(k for k in set(now) | set(built) if now.get(k) != built.get(k))
    if not changed:
        return None
    shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
    return (
        f"{shown} changed since model/ was built; the numbers use model/ as it is. "
        f"To use the edits: helsemodlite inputs build --inputs {directory}"
    )
