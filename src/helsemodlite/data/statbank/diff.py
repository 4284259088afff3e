"""``helsemodlite inputs diff OLD NEW``: what changed between two inputs directories, file by
file and table by table, and what it does to the gap table (docs/data.md).

Files are compared by content; a changed CSV is compared row by row on its key - the fewest
leading columns that identify a row, in both versions (rows
added and removed, values changed, the largest changes). The gap table is the reference run of
each directory with the calibration each holds (keep, the default: the parameters stay and the
projection shows what the new data change; docs/calibration.md, "Modes").
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ...errors import InputError

PARTS = ("sources.toml", "sources", "assumptions", "model", "calibration")
SHOWN = 3


@dataclass(frozen=True)
class FileChange:
    path: str
    kind: str
    """added, removed or changed."""
    detail: tuple[str, ...] = ()


def _files(root: Path) -> dict[str, bytes]:
    out = {}
    for part in PARTS:
        p = root / part
        items = (
            [p]
            if p.is_file()
            else sorted(q for q in p.rglob("*") if q.is_file())
            if p.is_dir()
            else []
        )
        for q in items:
            if not any(s.startswith(".") for s in q.relative_to(root).parts):
                out[str(q.relative_to(root))] = q.read_bytes()
    return out


def _frame(data: bytes) -> pd.DataFrame | None:
    """The table as the loader reads it: text as written (only an empty cell is missing), names
    and text cells without surrounding spaces."""
    from io import StringIO

    try:
        df = pd.read_csv(
            StringIO(data.decode("utf-8-sig")),
            comment="#",
            skipinitialspace=True,
            keep_default_na=False,
            na_values=[""],
        )
    except (ValueError, UnicodeDecodeError):
        return None
    df.columns = [str(c).strip() for c in df.columns]
    for c in df.columns:
        if not pd.api.types.is_numeric_dtype(df[c]):
            df[c] = df[c].map(lambda v: v.strip() if isinstance(v, str) else v)
    return df


def _tables(a: pd.DataFrame, b: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """Both versions indexed on one key: the fewest leading columns (of the old version) that
    identify a row in both; columns in the old order when only their order changed. None when
    no such key exists."""
    if set(a.columns) == set(b.columns) and len(a.columns) == len(b.columns):
        b = b[list(a.columns)]
    for k in range(1, len(a.columns)):
        keys = list(a.columns[:k])
        if all(c in b.columns for c in keys) and not (
            a.duplicated(keys).any() or b.duplicated(keys).any()
        ):
            index = keys[0] if k == 1 else keys
            return a.set_index(index), b.set_index(index)
    return None


def _text_changes(x: pd.Series, y: pd.Series) -> int:
    """Cells of a text column that differ (an empty cell equals an empty cell)."""

    def text(s: pd.Series) -> pd.Series:
        return s.astype(object).where(s.notna(), "").astype(str)

    return int((text(x) != text(y)).sum())


def _shown_key(key: object) -> str:
    return " ".join(map(str, key)) if isinstance(key, tuple) else str(key)


def _some(keys: list[object]) -> str:
    return ", ".join(map(_shown_key, keys[:SHOWN])) + (" …" if len(keys) > SHOWN else "")


def _numeric_changes(xv: np.ndarray, yv: np.ndarray, rows: list[object], names: list[str]):  # type: ignore[no-untyped-def]
    """(cells changed, the largest changes as text) of the numeric columns: ranked by the change
    against the cell's value, but a cell near zero counts at 1 % of its column's largest value
    (1e-6 → 0 is not the largest change of a file); an empty cell filled or emptied first."""
    diff = ~np.isclose(xv, yv, rtol=0, atol=0, equal_nan=True)
    scale = 0.01 * np.nanmax(np.abs(xv), axis=0, initial=0.0)
    rel = np.abs(yv - xv) / np.maximum(np.maximum(np.abs(xv), scale[None, :]), 1e-12)
    rel = np.where(np.isnan(xv) != np.isnan(yv), np.inf, rel)
    rel = np.where(diff, rel, -1.0)
    biggest = []
    for i in np.argsort(rel, axis=None)[::-1][:SHOWN]:
        r, c = np.unravel_index(i, rel.shape)
        if rel[r, c] < 0:
            continue
        old_v, new_v = xv[r, c], yv[r, c]
        where = f"{_shown_key(rows[r])} {names[c]}"
        if np.isnan(old_v) or np.isnan(new_v):
            was, now = (f"{v:.8g}" if not np.isnan(v) else "tom" for v in (old_v, new_v))
            biggest.append(f"{where}: {was} → {now}")
            continue
        pct = 100 * (new_v - old_v) / max(abs(old_v), 1e-12)
        shown = f"{pct:+.1f} %" if abs(pct) >= 0.05 else f"{pct:+.2g} %"  # not +0.0 %
        shown = shown.replace(".", ",")  # Norwegian, as the rest of the text
        biggest.append(f"{where}: {old_v:.8g} → {new_v:.8g} ({shown})")
    return int(diff.sum()), biggest


def _shape_changes(a: pd.DataFrame, b: pd.DataFrame) -> list[str]:
    """Rows and columns added and removed."""
    out = []
    added = [k for k in b.index if k not in a.index]
    removed = [k for k in a.index if k not in b.index]
    cols_added = [c for c in b.columns if c not in a.columns]
    cols_removed = [c for c in a.columns if c not in b.columns]
    if added:
        out.append(f"rader lagt til: {len(added)} ({_some(added)})")
    if removed:
        out.append(f"rader fjernet: {len(removed)} ({_some(removed)})")
    if cols_added:
        out.append(f"kolonner lagt til: {', '.join(cols_added)}")
    if cols_removed:
        out.append(f"kolonner fjernet: {', '.join(cols_removed)}")
    return out


def csv_changes(old: bytes, new: bytes) -> tuple[str, ...]:
    a0, b0 = _frame(old), _frame(new)
    if a0 is None or b0 is None:
        return ("innholdet endret (kan ikke leses som CSV)",)
    same_columns = list(a0.columns) == list(b0.columns)
    if same_columns and a0.reset_index(drop=True).equals(b0.reset_index(drop=True)):
        return ("bare formatering eller kommentarer",)
    tables = _tables(a0, b0)
    if tables is None:
        return ("innholdet endret (ikke en tabell med nøkkel i de første kolonnene)",)
    a, b = tables
    out = _shape_changes(a, b)
    rows = [k for k in a.index if k in b.index]
    cols = [c for c in a.columns if c in b.columns]
    x, y = a.loc[rows, cols], b.loc[rows, cols]
    num = [
        c
        for c in cols
        if pd.api.types.is_numeric_dtype(x[c]) and pd.api.types.is_numeric_dtype(y[c])
    ]
    changed, biggest = 0, []
    if num:
        changed, biggest = _numeric_changes(
            x[num].to_numpy(float), y[num].to_numpy(float), rows, num
        )
    for c in [c for c in cols if c not in num]:
        changed += _text_changes(x[c], y[c])
    if changed:
        out.append(
            f"verdier endret: {changed}" + (f"; størst: {'; '.join(biggest)}" if biggest else "")
        )
    return tuple(out) or ("bare formatering eller kommentarer",)


def file_changes(old: Path, new: Path) -> list[FileChange]:
    for d in (old, new):
        if not Path(d).is_dir():
            raise InputError(f"inputs diff: {d} is not a directory")
    a, b = _files(Path(old)), _files(Path(new))
    out = []
    for name in sorted(set(a) | set(b)):
        if name not in b:
            out.append(FileChange(name, "removed"))
        elif name not in a:
            out.append(FileChange(name, "added"))
        elif hashlib.sha256(a[name]).digest() != hashlib.sha256(b[name]).digest():
            detail = csv_changes(a[name], b[name]) if name.endswith(".csv") else ()
            out.append(FileChange(name, "changed", detail))
    return out
