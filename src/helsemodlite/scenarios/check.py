"""Checking scenario values: :class:`_Checker` reads and checks one value at a time (type, range,
allowed ids, year paths, with did-you-mean suggestions and the hint that a percentage was
written where a fraction belongs) and collects every problem as a message naming file, table and
key. The generic reader of hook tables that uses it is :mod:`.reader`; files, baseline chains and
merging are :mod:`.files`, which raises the collected problems as one
:class:`~helsemodlite.errors.ConfigError`.

This module imports only the standard library, so that importing it is cheap.
"""

from __future__ import annotations

import difflib
import math
import numbers
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from .. import dims

_META_KEYS: Final = ("name", "title", "description", "baseline")
"""Top-level keys of a scenario document that are metadata, not hooks."""

Timing = tuple[int | None, int | None]
"""(start_year, full_effect_year) as given; None = the default."""

_Path = tuple[str | int, ...]
"""Where a value sits in a document: table names and array indices (``("oppgavedeling", 0)``)."""

_MISSING: Final = object()
_NAME_RE: Final = re.compile(r"^[\w][\w.+\-]*$")
MAX_NAME_BYTES: Final = 100
"""A scenario name becomes a folder name (``outputs/<name>/`` and hidden temporaries beside it):
file systems allow 255 bytes per path component."""


def is_valid_name(v: object) -> bool:
    """A safe file name: letters, digits, ``_ . + -``, not starting with a dot or a dash, at most
    :data:`MAX_NAME_BYTES` bytes in UTF-8."""
    return (
        isinstance(v, str)
        and bool(_NAME_RE.match(v))
        and len(v.encode("utf-8", "surrogatepass")) <= MAX_NAME_BYTES
    )


NAME_RULE: Final = (
    f"a non-empty file-safe name (letters, digits, _ . + -, not starting with . or -, "
    f"at most {MAX_NAME_BYTES} bytes)"
)


def _truncate(s: str, n: int = 60) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def _show(v: object) -> str:
    """A short, safe description of any value for an error message."""
    try:
        if isinstance(v, bool):
            return f"boolean {'true' if v else 'false'}"
        if isinstance(v, str):
            return f"string {_truncate(repr(v))}"
        if isinstance(v, int):
            s = str(v)
            return f"integer {s if len(s) <= 30 else s[:12] + '…(' + str(len(s)) + ' digits)'}"
        if isinstance(v, float):
            return f"float {v!r}"
        if isinstance(v, dict):
            return "a table"
        if isinstance(v, list):
            return f"an array of {len(v)} element(s)"
        return f"{type(v).__name__} {_truncate(repr(v))}"
    except Exception:  # noqa: BLE001 - describing a value must never fail
        return f"a value of type {type(v).__name__}"


def _num(v: float) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def _closest(word: str, candidates: Sequence[str]) -> str | None:
    """The candidate closest to ``word`` (case-insensitive), if any is close enough."""
    lower = {c.lower(): c for c in candidates}
    match = difflib.get_close_matches(word.lower(), list(lower), n=1, cutoff=0.6)
    return lower[match[0]] if match else None


def _suggest(word: str, candidates: Sequence[str], quote: str = "") -> str:
    match = _closest(word, candidates)
    return f"; did you mean {quote}{match}{quote}?" if match else ""


def _describe(table: _Path, key: str | None) -> str:
    if not table:
        return key or "(top level)"
    if table[0] == "oppgavedeling":
        head = "[[oppgavedeling]]"
        if len(table) > 1:
            head += f" #{int(table[1]) + 1}"
    else:
        head = "[" + ".".join(str(t) for t in table) + "]"
    return head if key is None else f"{head} {key}"


class _Checker:
    """Collects problems; reads and checks values of one table at a time."""

    def __init__(self, where: Callable[[_Path], str]) -> None:
        self.where = where
        self.problems: list[str] = []

    def err(self, table: _Path, key: str | None, msg: str) -> None:
        path = (*table, key) if key is not None else table
        self.problems.append(f"{self.where(path)}: {_describe(table, key)}: {msg}")

    def keys(
        self,
        tp: _Path,
        tbl: Mapping[Any, Any],
        allowed: Sequence[str],
        not_here: Mapping[str, str] | None = None,
    ) -> None:
        for k in tbl:
            ks = str(k)
            if ks in allowed:
                continue
            if not_here and ks in not_here:
                self.err(tp, ks, f"not allowed here: {not_here[ks]}")
                continue
            hint = _suggest(ks, allowed) or f"; allowed keys: {', '.join(allowed)}"
            self.err(tp, ks, f"unknown key{hint}")

    def number(
        self,
        tp: _Path,
        tbl: Mapping[Any, Any],
        key: str,
        *,
        lo: float,
        hi: float,
        lo_open: bool = False,
        hi_open: bool = False,
        default: Any = _MISSING,
        fraction: bool = False,
    ) -> float | None:
        """A number in [lo, hi] (open ends as asked). With ``fraction``, the key holds a
        fraction (0.05 = 5 %): a value out of range that would fit as a percentage gets a hint."""
        if key not in tbl:
            return None if default is _MISSING else float(default)
        v = tbl[key]
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            self.err(tp, key, f"must be a number, got {_show(v)}")
            return None
        v = float(v) if not isinstance(v, int | float) else v  # numpy scalars from Python
        if isinstance(v, float) and not math.isfinite(v):
            self.err(tp, key, f"must be a finite number, got {v!r}")
            return None
        shown = _show(v).split(" ", 1)[1]
        if v < lo or (lo_open and v == lo):
            self.err(tp, key, f"must be {'>' if lo_open else '≥'} {_num(lo)}, got {shown}")
            return None
        if v > hi or (hi_open and v == hi):
            hint = ""
            if fraction and lo <= v / 100 <= hi and abs(v) >= 1:
                hint = (
                    f"; a fraction is expected (0.05 = 5 %): did you mean {_num(v / 100)} "
                    f"({_num(v)} %)?"
                )
            self.err(tp, key, f"must be {'<' if hi_open else '≤'} {_num(hi)}, got {shown}{hint}")
            return None
        return float(v)

    def integer(
        self,
        tp: _Path,
        tbl: Mapping[Any, Any],
        key: str,
        *,
        lo: int,
        hi: int,
        default: Any = _MISSING,
        lo_name: str = "",
    ) -> int | None:
        if key not in tbl:
            return None if default is _MISSING else int(default)
        v = tbl[key]
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            self.err(tp, key, f"must be an integer, got {_show(v)}")
            return None
        v = int(v)  # numpy integers from Python
        shown = _show(v).split(" ", 1)[1]
        if v < lo:
            what = f"{lo_name} ({lo})" if lo_name else str(lo)
            self.err(tp, key, f"must be ≥ {what}, got {shown}")
            return None
        if v > hi:
            self.err(tp, key, f"must be ≤ {hi}, got {shown}")
            return None
        return v

    def boolean(self, tp: _Path, tbl: Mapping[Any, Any], key: str, default: bool) -> bool | None:
        if key not in tbl:
            return default
        v = tbl[key]
        if not isinstance(v, bool):
            self.err(tp, key, f"must be true or false, got {_show(v)}")
            return None
        return v

    def string(
        self, tp: _Path, tbl: Mapping[Any, Any], key: str, *, nonempty: bool = True
    ) -> str | None:
        v = tbl[key]
        if not isinstance(v, str):
            self.err(tp, key, f"must be a string, got {_show(v)}")
            return None
        if nonempty and not v.strip():
            self.err(tp, key, "must not be empty")
            return None
        return v

    def choice(
        self, tp: _Path, tbl: Mapping[Any, Any], key: str, choices: Sequence[str]
    ) -> str | None:
        v = self.string(tp, tbl, key)
        if v is None:
            return None
        if v not in choices:
            allowed = " | ".join(f'"{c}"' for c in choices)
            hint = _suggest(v, choices, quote='"')
            self.err(tp, key, f"must be one of {allowed}, got {_show(v)}{hint}")
            return None
        return v

    def required(self, tp: _Path, tbl: Mapping[Any, Any], key: str) -> bool:
        if key in tbl:
            return True
        self.err(tp, key, "missing (required)")
        return False

    def one_of(self, tp: _Path, tbl: Mapping[Any, Any], keys: tuple[str, str]) -> None:
        present = [k for k in keys if k in tbl]
        if len(present) > 1:
            self.err(tp, None, f"set either {keys[0]} or {keys[1]}, not both")
        elif not present:
            self.err(tp, None, f"set one of {keys[0]} or {keys[1]}")

    def group_id(
        self, tp: _Path, key: str, v: object, allowed: Sequence[str], what: str = "group id"
    ) -> str | None:
        if not isinstance(v, str):
            self.err(tp, key, f"must be a {what} (string), got {_show(v)}")
            return None
        if v not in allowed:
            hint = _suggest(v, allowed, quote='"') or f"; allowed: {', '.join(allowed)}"
            self.err(tp, key, f"unknown {what} {_truncate(repr(v))}{hint}")
            return None
        return v

    def groups(self, tp: _Path, tbl: Mapping[Any, Any]) -> tuple[str, ...] | None:
        if "groups" not in tbl:
            return dims.GROUPS
        v = tbl["groups"]
        if v == "all":
            return dims.GROUPS
        if not isinstance(v, list):
            self.err(tp, "groups", f'must be "all" or a list of group ids, got {_show(v)}')
            return None
        if not v:
            self.err(tp, "groups", 'must not be empty (use "all" for every group)')
            return None
        ok = True
        seen: set[str] = set()
        for item in v:
            g = self.group_id(tp, "groups", item, dims.GROUPS)
            if g is None:
                ok = False
            elif g in seen:
                self.err(tp, "groups", f"group {g!r} listed twice")
                ok = False
            else:
                seen.add(g)
        return tuple(g for g in dims.GROUPS if g in seen) if ok else None

    def services(
        self, tp: _Path, tbl: Mapping[Any, Any], default: tuple[str, ...] | None
    ) -> tuple[tuple[str, ...] | None, bool]:
        """(services, ok); services None means all services."""
        if "services" not in tbl:
            return default, True
        v = tbl["services"]
        if v == "all":
            return None, True
        if not isinstance(v, list) or not v:
            self.err(
                tp, "services", f'must be "all" or a non-empty list of service ids, got {_show(v)}'
            )
            return None, False
        out: list[str] = []
        for item in v:
            if not isinstance(item, str) or not item.strip():
                self.err(
                    tp, "services", f"service ids must be non-empty strings, got {_show(item)}"
                )
                return None, False
            if item not in out:
                out.append(item)
        return tuple(out), True

    def timing(
        self,
        tp: _Path,
        tbl: Mapping[Any, Any],
        default_start: int | None = None,
        default_full: int | None = None,
    ) -> Timing | None:
        """(start_year, full_effect_year) of a table, None where the default applies (the
        inputs' first projection year; start_year); None when either has a problem. Whether a
        year is in the projection is checked against the inputs when the scenario is compiled."""
        if "start_year" in tbl:
            start = self.integer(tp, tbl, "start_year", lo=dims.YEAR_MIN, hi=dims.YEAR_MAX)
            if start is None:
                return None
        else:
            start = default_start
        if "full_effect_year" not in tbl:
            if "start_year" not in tbl:
                return start, default_full
            return start, start
        full = self.integer(
            tp,
            tbl,
            "full_effect_year",
            lo=start if start is not None else dims.YEAR_MIN,
            hi=dims.YEAR_MAX,
            lo_name="start_year" if start is not None else "",
        )
        if full is None:
            return None
        return start, full

    def ages(self, tp: _Path, tbl: Mapping[Any, Any], key: str) -> tuple[int, int] | None:
        v = tbl[key]
        if (
            not isinstance(v, list)
            or len(v) != 2
            or any(isinstance(a, bool) or not isinstance(a, int) for a in v)
        ):
            self.err(tp, key, f"must be a list of two integers [min, max], got {_show(v)}")
            return None
        if not (dims.AGE_MIN <= v[0] <= v[1] <= dims.AGE_MAX):
            self.err(
                tp,
                key,
                f"must satisfy {dims.AGE_MIN} ≤ min ≤ max ≤ {dims.AGE_MAX}, got [{v[0]}, {v[1]}]",
            )
            return None
        return int(v[0]), int(v[1])

    def year_path(
        self, tp: _Path, tbl: Mapping[Any, Any], key: str, **number: Any
    ) -> tuple[tuple[int, float], ...] | None:
        """A year-keyed path ``{2026 = 0.02, 2030 = 0.10}``: whole years (checked against the
        inputs' projection years when compiled), each value checked as the key's number."""
        v = tbl[key]
        if not v:
            self.err(tp, key, "must not be an empty path (give at least one year = value)")
            return None
        points: list[tuple[int, float]] = []
        ok = True
        if len(v) > MAX_PATH_POINTS:
            self.err(
                tp,
                key,
                f"a year path of {len(v)} entries; at most {MAX_PATH_POINTS} (one per year)",
            )
            return None
        for raw_year, value in v.items():
            if isinstance(value, dict):
                self.err(
                    tp,
                    f"{key} {_truncate(str(raw_year), 20)}",
                    "must be a number, got a table (a dotted key such as 2030.5 makes a table; "
                    "the years of a path are whole years)",
                )
                ok = False
                continue
            year = _as_year(raw_year)
            label = f"{key} {_truncate(str(raw_year), 20)}"
            if year is None or not dims.YEAR_MIN <= year <= dims.YEAR_MAX:
                self.err(
                    tp,
                    label,
                    f"a path's keys must be years (e.g. 2030), got {_show(raw_year)}",
                )
                ok = False
                continue
            x = self.number(tp, {label: value}, label, **number)
            if x is None:
                ok = False
            else:
                points.append((year, x))
        if not ok:
            return None
        points.sort()
        if len({y for y, _ in points}) != len(points):
            self.err(tp, key, "a year is given twice in the path")
            return None
        return tuple(points)


MAX_PATH_POINTS: Final = 200
"""Entries a year path may have (more than there are years is a generated or broken file)."""


def _as_year(v: object) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, str) and v.isascii() and v.isdigit() and len(v) <= 4:
        return int(v)
    return None
