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
MARKER = ".helsemodlite-swap"
"""A file that marks a directory as a temporary of this module: recovery touches only folders
that carry it, never a user's folder that merely has a similar name."""


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
        if entry.is_symlink() or not (entry / MARKER).is_file():
            continue  # not ours
        if m["kind"] == "old" and not os.path.lexists(target):
            os.replace(entry, target)
            (target / MARKER).unlink(missing_ok=True)
            notes.append(f"restored {target} from an interrupted run ({entry.name})")
        else:
            shutil.rmtree(entry, ignore_errors=True)
            notes.append(f"removed {entry} left by an interrupted run")
    return notes


def _new_tmp_dir(target: Path) -> Path:
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-{os.getpid()}-", dir=target.parent))
    tmp.chmod(0o777 & ~current_umask())
    (tmp / MARKER).write_bytes(b"")
    return tmp


def replace_dir(target: Path, fill: Callable[[Path], object]) -> None:
    """Make ``target`` a directory whose content ``fill(tmp)`` wrote, as a whole.

    The caller has decided that ``target`` may be replaced. On any failure the previous content
    is left (or put back) in place and the exception propagates.
    """
    replace_dirs([(Path(target), fill)])


def replace_dirs(items: list[tuple[Path, Callable[[Path], object]]]) -> None:
    """Replace several directories as one: all are written in full first, then swapped; if a
    swap fails (or the process is interrupted), the ones already swapped are put back."""
    tmps = _fill_all(items)
    swapped: list[tuple[Path, Path | None]] = []
    try:
        for target, tmp in tmps:
            swapped.append((target, _swap(target, tmp)))
    except BaseException:
        for target, old in reversed(swapped):  # put every earlier one back
            shutil.rmtree(target, ignore_errors=True)
            if old is not None:
                _restore(old, target)
        for _, tmp in tmps:
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    for target, old in swapped:
        (target / MARKER).unlink(missing_ok=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def _fill_all(items: list[tuple[Path, Callable[[Path], object]]]) -> list[tuple[Path, Path]]:
    """Every target's content written in full to its temporary sibling (or none of them)."""
    tmps: list[tuple[Path, Path]] = []
    try:
        for target, fill in items:
            target.parent.mkdir(parents=True, exist_ok=True)
            recover(target)
            tmp = _new_tmp_dir(target)
            tmps.append((target, tmp))
            fill(tmp)
    except BaseException:
        for _, tmp in tmps:
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    return tmps


def _swap(target: Path, tmp: Path) -> Path | None:
    """The two renames: the previous ``target`` to ``.NAME.old-PID`` (returned), ``tmp`` to
    ``target``; a failure of the second puts the previous content back."""
    old: Path | None = None
    if os.path.lexists(target):
        old = target.parent / f".{target.name}.old-{os.getpid()}"
        (target / MARKER).write_bytes(b"")
        os.replace(target, old)
    try:
        os.replace(tmp, target)
    except BaseException:
        if old is not None:
            _restore(old, target)
        raise
    return old


def _restore(old: Path, target: Path) -> None:
    os.replace(old, target)
    (target / MARKER).unlink(missing_ok=True)


def _writer(files: dict[str, bytes]) -> Callable[[Path], None]:
    def fill(tmp: Path) -> None:
        for name, data in files.items():
            (tmp / name).write_bytes(data)

    return fill


def write_dir(target: Path, files: dict[str, bytes]) -> None:
    """Replace ``target`` by a directory holding exactly ``files`` (name → content)."""
    replace_dirs([(Path(target), _writer(files))])


def write_dirs(items: list[tuple[Path, dict[str, bytes]]]) -> None:
    """Replace several directories, each by its ``files``, as one (see :func:`replace_dirs`)."""
    replace_dirs([(Path(t), _writer(files)) for t, files in items])


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


def write_new_file(path: Path, data: bytes) -> None:
    """Write ``data`` to a file that must not exist yet, all at once: a temporary file beside it
    is hard-linked into place (which fails, leaving nothing, when the name exists meanwhile)."""
    import tempfile

    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o666 & ~current_umask())
        os.link(tmp, path)
    finally:
        os.unlink(tmp)
