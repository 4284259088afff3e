"""Writing directories so that nothing is ever half-written or lost.

A directory is written in full to a hidden temporary sibling (``.NAME.tmp-PID-…``) and then
swapped into place: the previous content is first renamed to ``.NAME.old-PID``, the new one
renamed to ``NAME``, then the old one removed. Each rename is atomic. If the process dies
between the two renames, ``NAME`` is missing and the previous result sits in ``.NAME.old-PID``;
:func:`recover` (called before every write and by ``helsemodlite inputs check`` and ``run``) puts
it back, and removes temporaries left by processes that no longer run. Folders are created with
the permissions the umask allows (``mkdtemp`` alone would give 0700).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?P<kind>old|tmp)-(?P<pid>\d+)(?:-.*)?$")


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover(target: Path) -> list[str]:
    """Finish or undo an interrupted swap of ``target``; returns what was done (for a note).

    A leftover ``.NAME.old-PID`` of a dead process is put back when ``NAME`` is missing (the
    swap died between its two renames) and removed when ``NAME`` exists (the swap completed);
    leftover ``.NAME.tmp-PID-…`` directories of dead processes are removed.
    """
    target = Path(target)
    parent = target.parent
    notes: list[str] = []
    try:
        entries = list(parent.iterdir()) if parent.is_dir() else []
    except OSError:
        return notes
    for entry in sorted(entries):
        m = _LEFTOVER.match(entry.name)
        if not m or m["name"] != target.name or _pid_alive(int(m["pid"])):
            continue
        if m["kind"] == "old" and not os.path.lexists(target):
            os.replace(entry, target)
            notes.append(f"restored {target} from an interrupted run ({entry.name})")
        else:
            shutil.rmtree(entry, ignore_errors=True)
            notes.append(f"removed {entry} left by an interrupted run")
    return notes


def _new_tmp_dir(target: Path) -> Path:
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-{os.getpid()}-", dir=target.parent))
    tmp.chmod(0o777 & ~current_umask())
    return tmp


def replace_dir(target: Path, fill: Callable[[Path], object]) -> None:
    """Make ``target`` a directory whose content ``fill(tmp)`` wrote, as a whole.

    The caller has decided that ``target`` may be replaced. On any failure the previous content
    is left (or put back) in place and ``OSError`` propagates.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    recover(target)
    tmp = _new_tmp_dir(target)
    old: Path | None = None
    try:
        fill(tmp)
        if os.path.lexists(target):
            old = target.parent / f".{target.name}.old-{os.getpid()}"
            os.replace(target, old)
        try:
            os.replace(tmp, target)
        except OSError:
            if old is not None:
                os.replace(old, target)  # put the previous content back
                old = None
            raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_dir(target: Path, files: dict[str, bytes]) -> None:
    """Replace ``target`` by a directory holding exactly ``files`` (name → content)."""

    def fill(tmp: Path) -> None:
        for name, data in files.items():
            (tmp / name).write_bytes(data)

    replace_dir(target, fill)


def write_files_into(directory: Path, texts: dict[str, str]) -> None:
    """Replace files inside an existing directory, each by an atomic rename, after all of them
    were written in full to a temporary sibling folder (other files are left alone)."""
    directory.mkdir(parents=True, exist_ok=True)
    tmp = _new_tmp_dir(directory / "files")
    try:
        for name, text in texts.items():
            (tmp / name).write_text(text, encoding="utf-8", newline="")
            (tmp / name).chmod(0o666 & ~current_umask())
        for name in texts:
            os.replace(tmp / name, directory / name)
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(tmp, ignore_errors=True)
