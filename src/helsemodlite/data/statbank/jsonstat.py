"""JSON-stat 2.0 datasets as SSB's StatBank (PxWebApi v2) returns them (docs/data.md).

A dataset has ``id`` (the dimension ids in order), ``size``, ``dimension`` (per id a
``category`` with ``index`` - a list of codes or an object code → position - and ``label``),
``value`` (row-major, the last dimension fastest; a list, or an object position → value;
``null`` for a suppressed cell) and ``status`` (a string for every cell, a list, or an object
position → symbol, such as SSB's ``..`` "not available", ``:`` "confidential", ``.`` "not
applicable"). The reader checks all of it and names the file and the key of every problem.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ...errors import InputError


@dataclass(frozen=True)
class Dataset:
    """One JSON-stat2 dataset: codes per dimension, values (NaN where null) and status."""

    label: str
    updated: str | None
    ids: tuple[str, ...]
    codes: dict[str, tuple[str, ...]]
    labels: dict[str, dict[str, str]]
    values: np.ndarray
    """Flat, row-major, NaN for a null cell; empty for a metadata response."""
    status: dict[int, str] = field(default_factory=dict)
    extension: dict[str, Any] = field(default_factory=dict)
    note: tuple[str, ...] = ()

    @property
    def sizes(self) -> tuple[int, ...]:
        return tuple(len(self.codes[d]) for d in self.ids)

    @property
    def cells(self) -> int:
        return math.prod(self.sizes)

    @property
    def table_id(self) -> str | None:
        px = self.extension.get("px") if isinstance(self.extension, dict) else None
        tid = px.get("tableid") if isinstance(px, dict) else None
        return None if tid is None else str(tid)

    @property
    def discontinued(self) -> bool:
        flag = self.extension.get("discontinued") if isinstance(self.extension, dict) else None
        if isinstance(flag, str):
            return flag.strip().lower() in ("true", "yes", "1")
        return flag is True

    def frame(self) -> pd.DataFrame:
        """One row per cell: a column of codes per dimension, ``value`` and ``status``."""
        if self.values.size != self.cells:
            raise InputError(f"{self.label}: a metadata response has no values")
        grids = np.meshgrid(*[np.arange(n) for n in self.sizes], indexing="ij")
        out = {
            d: np.asarray(self.codes[d], dtype=object)[g.ravel()]
            for d, g in zip(self.ids, grids, strict=True)
        }
        status = np.full(self.cells, "", dtype=object)
        for i, s in self.status.items():
            status[i] = s
        return pd.DataFrame({**out, "value": self.values, "status": status})


def _index(dim: str, cat: Any, where: str, problems: list[str]) -> tuple[str, ...]:
    index = cat.get("index") if isinstance(cat, dict) else None
    if isinstance(index, list) and all(isinstance(c, str) for c in index):
        return tuple(index)
    if isinstance(index, dict) and all(isinstance(v, int) for v in index.values()):
        codes = sorted(index, key=lambda c: index[c])
        if [index[c] for c in codes] == list(range(len(codes))):
            return tuple(codes)
    lone = isinstance(cat, dict) and isinstance(cat.get("label"), dict) and len(cat["label"]) == 1
    if index is None and lone:  # JSON-stat allows a lone category without an index
        return tuple(cat["label"])
    problems.append(
        f"{where}: dimension.{dim}.category.index must list the codes (or map each to its "
        "position 0, 1, …)"
    )
    return ()


def _values(raw: Any, n: int, where: str, problems: list[str]) -> np.ndarray:
    out = np.full(n, np.nan)
    if isinstance(raw, list):
        if len(raw) != n:
            problems.append(f"{where}: value has {len(raw)} cells, size says {n}")
            return out
        items: list[tuple[int, Any]] = list(enumerate(raw))
    elif isinstance(raw, dict):
        odd = [k for k in raw if not str(k).isdigit() or int(k) >= n]
        if odd:
            problems.append(f"{where}: value has positions outside 0-{n - 1}: {odd[:3]}")
            return out
        items = [(int(k), v) for k, v in raw.items()]
    else:
        problems.append(f"{where}: value must be a list or an object, got {type(raw).__name__}")
        return out
    for i, v in items:
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            problems.append(f"{where}: value[{i}] must be a number or null, got {v!r}")
            break
        out[i] = float(v)
    return out


def _status(raw: Any, n: int) -> dict[int, str]:
    if isinstance(raw, str):
        return dict.fromkeys(range(n), raw)
    if isinstance(raw, list):
        return {i: str(s) for i, s in enumerate(raw) if s not in (None, "")}
    if isinstance(raw, dict):
        return {int(k): str(v) for k, v in raw.items() if str(k).isdigit()}
    return {}


def parse(doc: Any, where: str, *, metadata: bool = False) -> Dataset:
    """Read a JSON-stat2 dataset (``metadata``: a response without values is fine)."""
    if not isinstance(doc, dict) or doc.get("class") != "dataset":
        raise InputError(f'{where}: not a JSON-stat2 dataset (expected "class": "dataset")')
    problems: list[str] = []
    ids = doc.get("id")
    dims = doc.get("dimension")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise InputError(f"{where}: id must list the dimension ids")
    if not isinstance(dims, dict):
        raise InputError(f"{where}: dimension must be an object")
    codes: dict[str, tuple[str, ...]] = {}
    labels: dict[str, dict[str, str]] = {}
    for d in ids:
        if d not in dims:
            problems.append(f"{where}: dimension {d!r} is in id but not in dimension")
            continue
        cat = dims[d].get("category") if isinstance(dims[d], dict) else None
        codes[d] = _index(d, cat, where, problems)
        lab = cat.get("label") if isinstance(cat, dict) else None
        labels[d] = {str(k): str(v) for k, v in lab.items()} if isinstance(lab, dict) else {}
    size = doc.get("size")
    if problems:
        raise InputError(problems)
    if size is not None and not isinstance(size, list):
        raise InputError(f"{where}: size must list the number of codes per dimension, got {size!r}")
    if size is not None and list(size) != [len(codes[d]) for d in ids]:
        raise InputError(f"{where}: size {size} does not match the categories of {ids}")
    n = math.prod(len(codes[d]) for d in ids)
    raw = doc.get("value")
    empty = raw is None or raw == [] or raw == {}
    if empty and not metadata and n:
        raise InputError(
            f"{where}: holds no values - a metadata response (…/tables/ID/metadata), not the "
            "data (…/tables/ID/data?outputFormat=json-stat2)"
        )
    values = np.zeros(0) if metadata and empty else _values(raw, n, where, problems)
    if problems:
        raise InputError(problems)
    ext_raw, note_raw = doc.get("extension"), doc.get("note")
    ext: dict[str, Any] = ext_raw if isinstance(ext_raw, dict) else {}
    note: list[Any] = note_raw if isinstance(note_raw, list) else []
    return Dataset(
        label=str(doc.get("label", where)),
        updated=doc.get("updated") if isinstance(doc.get("updated"), str) else None,
        ids=tuple(ids),
        codes=codes,
        labels=labels,
        values=values,
        status=_status(doc.get("status"), n),
        extension=dict(ext),
        note=tuple(str(x) for x in note),
    )


def dataset(
    table_id: str,
    label: str,
    updated: str,
    dims: dict[str, dict[str, str]],
    values: list[float | None] | None,
    *,
    status: dict[int, str] | None = None,
    roles: dict[str, list[str]] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A JSON-stat2 dataset in SSB's layout (codes → labels per dimension, in order); with
    ``values`` None a metadata response (``"value": []``). Used for hand-built fixtures."""
    doc: dict[str, Any] = {
        "version": "2.0",
        "class": "dataset",
        "label": label,
        "source": "Statistisk sentralbyrå",
        "updated": updated,
        "id": list(dims),
        "size": [len(c) for c in dims.values()],
        "dimension": {
            d: {
                "label": d.lower(),
                "category": {
                    "index": {code: i for i, code in enumerate(cats)},
                    "label": dict(cats),
                },
            }
            for d, cats in dims.items()
        },
        "value": [] if values is None else list(values),
        "role": roles or {},
        "extension": {"px": {"tableid": table_id, "language": "no"}, **(extra or {})},
    }
    if status:
        doc["status"] = {str(k): v for k, v in status.items()}
    return doc
