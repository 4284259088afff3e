"""``helsemodlite inputs update`` and ``inputs import``: StatBank tables into a user's inputs
directory (docs/data.md, "Refreshing from SSB").

For every table: the table's record (``updated``, ``discontinued``) and metadata first - a
discontinued table or one not updated for longer than its usual cycle gets a warning, a table
whose structure changed is refused - then the data in extracts within the cell limit. Written
into the inputs directory, never the embedded one: the raw JSON-stat2 answers and a manifest
(table, title, SSB's ``updated``, the query, the fetch time, sha256 of every file) under
``sources/statbank/<id>/``, the converted source file under ``sources/``, and the catalogue
entry in ``sources.toml`` last - so until the catalogue names the new file, the build reads the
old one, and a failure half-way changes nothing the build sees. ``inputs build`` then rebuilds
the model files.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ...errors import InputError
from ...io.atomic import current_umask
from ..catalogue import CATALOGUE
from .client import Client, cells, split
from .csvfile import download_url, read_csv
from .jsonstat import Dataset, parse
from .tables import Table, check_structure, table


@dataclass
class Fetched:
    table: Table
    meta: Dataset
    info: dict[str, Any]
    selection: dict[str, list[str]]
    docs: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    origin: str = ""
    parsed: list[Dataset] | None = None
    """The data already read (a CSV download); else ``docs`` are parsed."""
    raw: dict[str, bytes] = field(default_factory=dict)
    """Files kept as they came (a CSV download), by name."""


def _when(stamp: Any) -> dt.datetime | None:
    if not isinstance(stamp, str):
        return None
    s = re.sub(r"(\.\d{6})\d+", r"\1", stamp.strip()).replace("Z", "+00:00")
    try:
        when = dt.datetime.fromisoformat(s)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _warnings(t: Table, meta: Dataset, info: dict[str, Any], now: dt.datetime) -> list[str]:
    out = []
    if _flag(info.get("discontinued")) or meta.discontinued:
        notes = " ".join(meta.note)[:300]
        out.append(
            f"table {t.id} is discontinued: SSB no longer updates it and may have replaced it "
            f"with a new table (a note may name it{': ' + notes if notes else ''})"
        )
    updated = _when(info.get("updated") or meta.updated)
    if updated is None:
        out.append(f"table {t.id}: no 'updated' stamp")
    elif (now - updated).days > t.cycle_days:
        out.append(
            f"table {t.id} was last updated {updated:%Y-%m-%d}, {(now - updated).days} days ago "
            f"(its usual cycle is under {t.cycle_days} days): it may be frozen"
        )
    return out


def plan(client: Client, ids: list[str], now: dt.datetime) -> list[Fetched]:
    """Read every table's record and metadata and check them (no data yet)."""
    out = []
    for tid in ids:
        t = table(tid)
        info = client.table(tid)
        meta = parse(client.metadata(tid), f"StatBank table {tid} metadata", metadata=True)
        check_structure(t, meta, f"StatBank table {tid}")
        out.append(
            Fetched(t, meta, info, t.selection(meta), warnings=_warnings(t, meta, info, now))
        )
    return out


def describe(items: list[Fetched], client: Client) -> list[str]:
    """The dry run: what would be fetched."""
    lines = []
    for f in items:
        n = cells(f.selection)
        parts = len(split(f.selection, client.max_cells))
        when = f.info.get("updated") or f.meta.updated or "?"
        lines.append(
            f"{f.table.id} {f.meta.label}: {n:,} cells in {parts} extract(s), updated {when}; "
            f"feeds {f.table.feeds}".replace(",", " ", 1)
        )
        lines += [f"  warning: {w}" for w in f.warnings]
    return lines


def fetch(client: Client, items: list[Fetched]) -> None:
    for f in items:
        f.docs = client.data(f.table.id, f.selection)
        f.origin = f"{client.base_url}/tables/{f.table.id}/data"


def tidy(f: Fetched) -> pd.DataFrame:
    """The cells of all extracts, restricted to the selection, each exactly once."""
    frames = []
    datasets = f.parsed or [
        parse(doc, f"StatBank table {f.table.id} data ({k + 1} of {len(f.docs)})")
        for k, doc in enumerate(f.docs)
    ]
    for ds in datasets:
        if ds.table_id not in (None, f.table.id):
            raise InputError(
                f"StatBank table {f.table.id}: the answer holds table {ds.table_id}, "
                f"not {f.table.id}"
            )
        missing = [d for d in f.table.dimensions if d not in ds.ids]
        if missing:
            raise InputError(f"StatBank table {f.table.id}: the data has no dimension(s) {missing}")
        frames.append(ds.frame())
    out = pd.concat(frames, ignore_index=True)
    for d, codes in f.selection.items():
        out = out[out[d].isin(codes)]
    keys = list(f.selection)
    if out.duplicated(keys).any():
        raise InputError(f"StatBank table {f.table.id}: a cell came twice in the extracts")
    want = cells(f.selection)
    if len(out) != want:
        raise InputError(
            f"StatBank table {f.table.id}: the extracts hold {len(out)} of the {want} cells "
            "asked for"
        )
    return out.reset_index(drop=True)


def verify_build(inputs_dir: Path) -> None:
    """The build's own checks of the sources (every reader and consistency check, nothing
    written): a table that does not fit the rest of the inputs is refused before it stays."""
    from ..build import build_inputs

    try:
        build_inputs(inputs_dir, check_only=True)
    except InputError as exc:
        raise InputError(
            [f"the new table does not fit the rest of {inputs_dir} (nothing changed):", str(exc)]
        ) from None


def check_target(inputs_dir: Path) -> Path:
    """An inputs directory of the user's (never the embedded one) with a catalogue."""
    from ...embedded import inside_package

    d = Path(inputs_dir)
    if not (d / CATALOGUE).is_file() or not (d / "sources").is_dir():
        raise InputError(
            f"--inputs {d}: not an inputs directory (no {CATALOGUE} and sources/); make one with "
            f"`helsemodlite inputs export {d}`"
        )
    if inside_package(d):  # never the embedded data set, whatever HELSEMODLITE_INPUTS says
        raise InputError(
            f"--inputs {d}: the embedded data set is never changed; export a copy first "
            "(`helsemodlite inputs export mine/`) and update that"
        )
    return d


def _sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def _catalogue_entry(text: str, t: Table, name: str, years: str, note: str) -> str:
    """The catalogue with the entry of the table's role naming the new file (other entries and
    comments untouched); a new entry at the end when the role has none. The result is parsed
    again and must hold exactly one entry of the role, naming the new file."""
    fields = {
        "file": name,
        "role": t.role,
        "publisher": t.catalogue["publisher"],
        "table_id": t.id,
        "title": t.catalogue["title"],
        "reference_date": t.reference_date(years),
        "url": t.catalogue["url"],
        "unit": t.catalogue["unit"],
        "note": note,
    }
    blocks = re.split(r"(?m)^(?=\[\[source\]\]\s*(?:#.*)?$)", text)
    role_line = re.compile(rf'(?m)^role\s*=\s*"{re.escape(t.role)}"\s*(?:#.*)?$')
    for i, block in enumerate(blocks):
        if role_line.search(block):
            for key in ("file", "reference_date", "table_id", "note"):
                line = f"{key} = {json.dumps(fields[key], ensure_ascii=False)}"
                block = _replace_key(block, key, line)
            blocks[i] = block
            out = "".join(blocks)
            break
    else:
        entry = "[[source]]\n" + "".join(
            f"{k} = {json.dumps(v, ensure_ascii=False)}\n" for k, v in fields.items()
        )
        out = text.rstrip("\n") + "\n\n" + entry
    try:
        entries = tomllib.loads(out).get("source", [])
    except tomllib.TOMLDecodeError as exc:  # pragma: no cover - a layout the edit missed
        raise InputError(
            f"{CATALOGUE}: could not be updated safely ({exc}); nothing changed"
        ) from None
    mine = [e for e in entries if e.get("role") == t.role]
    if len(mine) != 1 or mine[0].get("file") != name:
        raise InputError(
            f'{CATALOGUE}: could not be updated safely (role = "{t.role}" appears '
            f"{len(mine)} times after the edit); nothing changed"
        )
    return out


def _replace_key(block: str, key: str, line: str) -> str:
    """``key = …`` (one line, or a multi-line string) replaced by ``line``; appended if absent."""
    pattern = re.compile(rf'(?ms)^{key}\s*=\s*(?:""".*?"""|\'\'\'.*?\'\'\'|[^\n]*)$')
    if pattern.search(block):
        return pattern.sub(lambda _m: line, block, count=1)
    return block.rstrip("\n") + "\n" + line + "\n\n"


def _read_catalogue(inputs_dir: Path) -> str:
    path = inputs_dir / CATALOGUE
    try:
        text = path.read_text(encoding="utf-8")
        tomllib.loads(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot be read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML ({exc}); fix it before updating") from None
    return text


def write(
    inputs_dir: Path, f: Fetched, now: dt.datetime, *, verify: Any = None, imported: str = ""
) -> list[str]:
    """Write one fetched (or imported) table as one transaction; returns the files written
    (relative). ``verify(inputs_dir)`` runs once everything is in place (the build's own checks
    of the sources); if it raises, every file is put back as it was."""
    cells_frame = tidy(f)
    assert f.table.convert is not None
    name, csv_text = f.table.convert(cells_frame, f.meta)
    data = csv_text.encode("utf-8")
    updated = f.info.get("updated") or f.meta.updated
    old = inputs_dir / "sources" / name
    if old.is_file() and old.read_bytes() != data:  # a revised vintage: never over the old one
        stamp = (_when(updated) or now).strftime("%Y-%m-%d")
        base = name.replace(".csv", f"_ssb{stamp}")
        name, k = f"{base}.csv", 1
        while (inputs_dir / "sources" / name).is_file() and (
            inputs_dir / "sources" / name
        ).read_bytes() != data:  # the same stamp, other numbers (two CSVs of one day)
            k += 1
            name = f"{base}_{k}.csv"
    years = ", ".join(sorted(cells_frame[f.table.time].unique()))
    raw_dir = f"sources/statbank/{f.table.id}"
    files: dict[str, bytes] = {}
    for k, doc in enumerate(f.docs):
        files[f"{raw_dir}/data-{k + 1}.json"] = (
            json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
        ).encode()
    for raw_name, raw_bytes in f.raw.items():
        files[f"{raw_dir}/{raw_name}"] = raw_bytes
    files[f"{raw_dir}/metadata.json"] = (
        json.dumps(f.info, ensure_ascii=False, indent=1) + "\n"
    ).encode()
    files[f"sources/{name}"] = data
    manifest = {
        "table_id": f.table.id,
        "title": f.meta.label,
        "updated": updated,
        "discontinued": _flag(f.info.get("discontinued")) or f.meta.discontinued,
        "query": {"from": f.origin, "selection": f.selection},
        "fetched_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cells": int(len(cells_frame)),
        "source_file": f"sources/{name}",
        "role": f.table.role,
        "used_by_build": f.table.used_by_build,
        "sha256": {k: _sha(v) for k, v in sorted(files.items())},
        "warnings": f.warnings,
    }
    files[f"{raw_dir}/manifest.json"] = (
        json.dumps(manifest, ensure_ascii=False, indent=1) + "\n"
    ).encode()
    catalogue = _read_catalogue(inputs_dir)
    how = (
        f"Imported by hand from {imported} by helsemodlite inputs import"
        if imported
        else "Fetched from SSB's StatBank API by helsemodlite inputs update"
    )
    release = f"table updated {updated}" if updated else "release unknown: a CSV has no stamp"
    note = f"{how} on {now:%Y-%m-%d} ({release}); raw answers in {raw_dir}/."
    files[CATALOGUE] = _catalogue_entry(catalogue, f.table, name, years, note).encode("utf-8")
    stale = [  # extracts of an earlier fetch that this one does not replace
        str(p.relative_to(inputs_dir))
        for p in sorted((inputs_dir / raw_dir).glob("data-*"))
        if p.suffix in (".json", ".csv") and str(p.relative_to(inputs_dir)) not in files
    ]
    _transaction(inputs_dir, files, stale, verify)
    return list(files)


def _transaction(root: Path, files: dict[str, bytes], remove: list[str], verify: Any) -> None:
    """Every file written in full to a temporary folder, the old versions kept aside, then all
    renamed into place - the catalogue last, so the build reads the old files until then - and
    ``verify`` run; on any failure everything is put back and no new folder is left."""
    tmp = root / f".statbank-{os.getpid()}"
    made: list[Path] = []
    moved: list[tuple[Path, Path | None]] = []  # (target, its old version kept aside, or None)
    order = sorted(files, key=lambda r: r == CATALOGUE)
    try:
        try:
            for k, rel in enumerate(order):
                staged = tmp / "new" / str(k)
                staged.parent.mkdir(parents=True, exist_ok=True)
                staged.write_bytes(files[rel])
                staged.chmod(0o666 & ~current_umask())
            for k, rel in enumerate(order):
                target = root / rel
                made += _parents(root, target)
                keep = None
                if target.exists():
                    keep = tmp / "old" / str(k)
                    keep.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(target, keep)
                moved.append((target, keep))
                os.replace(tmp / "new" / str(k), target)
            for k, rel in enumerate(remove):
                keep = tmp / "gone" / str(k)
                keep.parent.mkdir(parents=True, exist_ok=True)
                os.replace(root / rel, keep)
                moved.append((root / rel, keep))
        except OSError as exc:
            raise InputError(
                f"--inputs {root}: cannot write there ({exc.strerror or exc}); nothing changed"
            ) from None
        if verify is not None:
            verify(root)
    except BaseException:
        for target, keep in reversed(moved):
            if keep is None:
                target.unlink(missing_ok=True)
            else:
                os.replace(keep, target)
        for d in reversed(made):
            with contextlib.suppress(OSError):
                d.rmdir()
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _parents(root: Path, target: Path) -> list[Path]:
    """The missing folders between ``root`` and ``target``, made (outermost first)."""
    made = []
    for parent in reversed(target.parents):
        if root in parent.parents and not parent.exists():
            parent.mkdir()
            made.append(parent)
    return made


def _flag(value: Any) -> bool:
    """SSB's ``discontinued``: true, or the strings "true"/"yes"; anything else is not."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1")
    return value is True


def _is_json(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            head = fh.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc})") from None
    return head.startswith(b"{")


def read_import(path: Path, table_id: str, now: dt.datetime) -> Fetched:
    """A file downloaded by hand (the data of one table: JSON-stat2, or StatBank CSV in the
    layouts :mod:`.csvfile` reads) as a fetched table."""
    t = table(table_id)
    if not _is_json(Path(path)):
        return _read_csv_import(Path(path), t, now)
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(
            f"{path}: not a JSON-stat2 file ({exc}); download the table from "
            f"{download_url(t, 'json-stat2')}"
        ) from None
    ds = parse(doc, str(path))
    if ds.table_id not in (None, table_id):
        raise InputError(f"{path}: holds table {ds.table_id}, not {table_id}")
    check_structure(t, ds, str(path))
    info = {"id": table_id, "label": ds.label, "updated": ds.updated}
    f = Fetched(t, ds, info, t.selection(ds), docs=[doc], origin=str(Path(path).name))
    f.warnings = _warnings(t, ds, info, now)
    return f


def _read_csv_import(path: Path, t: Table, now: dt.datetime) -> Fetched:
    ds, raw = read_csv(path, t)
    check_structure(t, ds, str(path))
    info = {"id": t.id, "label": ds.label, "updated": None, "format": "csv"}
    f = Fetched(
        t, ds, info, t.selection(ds), origin=path.name, parsed=[ds], raw={"data-1.csv": raw}
    )
    f.warnings = [
        f"table {t.id}: a CSV download carries no 'updated' stamp, so the manifest cannot say "
        "which release it is; the JSON-stat2 download does"
    ]
    return f
