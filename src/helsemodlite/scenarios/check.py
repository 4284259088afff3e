"""Checking scenario content: a raw (merged) TOML mapping turned into hook objects.

:class:`_Checker` reads and checks one value at a time (type, range, allowed ids, with
did-you-mean suggestions) and collects every problem as a message naming file, table and key;
one ``_read_*`` reader per hook table turns a table into a hook object of
:mod:`.measures` (or None when it has problems), and :func:`_read_hooks` reads a
whole document. Files, baseline chains and merging are :mod:`.files`, which
raises the collected problems as one :class:`~helsemodlite.errors.ConfigError`.

This module imports only the standard library and numpy, so that importing it is cheap.
"""

from __future__ import annotations

import difflib
import math
import numbers
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from .. import dims
from .declarations import (
    HOOK_BY_TABLE,
    spec,
)
from .measures import (
    FIRST_YEAR,
    HOOK_TABLES,
    OUTSIDE_TARGET,
    REFERENCE_NAME,
    SPECIALIST_SERVICES,
    TIME_THIEVES_LEVELS,
    EducationCapacity,
    ExitAge,
    GroupCapacity,
    HealthyAgeing,
    Immigration,
    PopulationAlternative,
    PositionShare,
    Productivity,
    SeniorParticipation,
    SickLeave,
    StandardGrowth,
    TaskShift,
    TimeThieves,
)


def _names(table: str) -> tuple[str, ...]:
    """The keys a hook table allows, from its declaration."""
    return HOOK_BY_TABLE[table].names()


_META_KEYS: Final = ("name", "title", "description", "baseline")
"""Top-level keys of a scenario document that are metadata, not hooks."""

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
        default_start: int = FIRST_YEAR,
        default_full: int | None = None,
    ) -> tuple[int, int] | None:
        start = self.integer(
            tp, tbl, "start_year", lo=FIRST_YEAR, hi=dims.HORIZON, default=default_start
        )
        if "full_effect_year" not in tbl:
            if start is None:
                return None
            if "start_year" not in tbl and default_full is not None:
                return start, default_full
            return start, start
        lo = start if start is not None else FIRST_YEAR
        full = self.integer(
            tp,
            tbl,
            "full_effect_year",
            lo=lo,
            hi=dims.HORIZON,
            lo_name="start_year" if start is not None else "",
        )
        if start is None or full is None:
            return None
        return start, full

    def grouped(self, tp: _Path, tbl: Mapping[Any, Any]) -> dict[str, Any] | None:
        """Timing and groups of a hook table as hook keyword arguments (``groups``,
        ``start_year``, ``full_effect_year``), or None if either has a problem."""
        timing, groups = self.timing(tp, tbl), self.groups(tp, tbl)
        if timing is None or groups is None:
            return None
        return {"groups": groups, "start_year": timing[0], "full_effect_year": timing[1]}


_TIMING: Final = ("start_year", "full_effect_year")
_GROUPED: Final = (*_TIMING, "groups")


def _read_position_share(c: _Checker, tp: _Path, t: Mapping[Any, Any]) -> PositionShare | None:
    c.keys(tp, t, _names("stillingsprosent"))
    c.one_of(tp, t, ("relative_change", "absolute_change"))
    rel = c.number(tp, t, "relative_change", **spec("stillingsprosent", "relative_change"))
    ab = c.number(tp, t, "absolute_change", **spec("stillingsprosent", "absolute_change"))
    cap = c.number(tp, t, "cap", **spec("stillingsprosent", "cap"))
    ages: tuple[int, int] | None = None
    if "ages" in t:
        v = t["ages"]
        if (
            not isinstance(v, list)
            or len(v) != 2
            or any(isinstance(a, bool) or not isinstance(a, int) for a in v)
        ):
            c.err(tp, "ages", f"must be a list of two integers [min, max], got {_show(v)}")
        elif not (dims.AGE_MIN <= v[0] <= v[1] <= dims.AGE_MAX):
            c.err(
                tp,
                "ages",
                f"must satisfy {dims.AGE_MIN} ≤ min ≤ max ≤ {dims.AGE_MAX}, got [{v[0]}, {v[1]}]",
            )
        else:
            ages = (v[0], v[1])
    grouped = c.grouped(tp, t)
    if grouped is None or cap is None:
        return None
    return PositionShare(relative_change=rel, absolute_change=ab, cap=cap, ages=ages, **grouped)


def _read_exit_age(c: _Checker, tp: _Path, t: Mapping[Any, Any]) -> ExitAge | None:
    c.keys(tp, t, _names("avgangsalder"))
    c.required(tp, t, "years")
    years = c.number(tp, t, "years", **spec("avgangsalder", "years"))
    from_age = c.integer(tp, t, "from_age", **spec("avgangsalder", "from_age"))
    grouped = c.grouped(tp, t)
    if years is None or from_age is None or grouped is None:
        return None
    return ExitAge(years=years, from_age=from_age, **grouped)


def _single_value_reader(
    cls: type[Any], table: str, key: str
) -> Callable[[_Checker, _Path, Mapping[Any, Any]], Any]:
    """Reader of a hook with one required number plus timing and groups (sykefravaer,
    innvandring, standardvekst)."""

    def read(c: _Checker, tp: _Path, t: Mapping[Any, Any]) -> Any:
        c.keys(tp, t, _names(table))
        c.required(tp, t, key)
        value = c.number(tp, t, key, **spec(table, key))
        grouped = c.grouped(tp, t)
        if value is None or grouped is None:
            return None
        return cls(**{key: value}, **grouped)

    return read


_read_sick_leave = _single_value_reader(SickLeave, "sykefravaer", "relative_change")
_read_immigration = _single_value_reader(Immigration, "innvandring", "relative_change")
_read_standard_growth = _single_value_reader(StandardGrowth, "standardvekst", "annual_rate")


def _read_senior(c: _Checker, tp: _Path, t: Mapping[Any, Any]) -> SeniorParticipation | None:
    c.keys(tp, t, _names("seniordeltakelse"))
    c.one_of(tp, t, ("relative_change", "absolute_change"))
    rel = c.number(tp, t, "relative_change", **spec("seniordeltakelse", "relative_change"))
    ab = c.number(tp, t, "absolute_change", **spec("seniordeltakelse", "absolute_change"))
    min_age = c.integer(tp, t, "min_age", **spec("seniordeltakelse", "min_age"))
    grouped = c.grouped(tp, t)
    if min_age is None or grouped is None:
        return None
    return SeniorParticipation(relative_change=rel, absolute_change=ab, min_age=min_age, **grouped)


def _read_education(c: _Checker, tp: _Path, t: Mapping[Any, Any]) -> EducationCapacity | None:
    c.keys(tp, t, _names("utdanningskapasitet"))
    rel = c.number(tp, t, "relative_change", **spec("utdanningskapasitet", "relative_change"))
    follow = c.boolean(tp, t, "follow_population", default=False)
    if "relative_change" in t and follow:
        c.err(tp, None, "set either relative_change or follow_population = true, not both")
    if not any(k in t for k in ("relative_change", "follow_population", "grupper")):
        c.err(
            tp,
            None,
            "set relative_change, follow_population = true or at least one "
            "[utdanningskapasitet.grupper.<id>] table",
        )
    timing, groups = c.timing(tp, t), c.groups(tp, t)
    overrides: dict[str, GroupCapacity] = {}
    ok = True
    if "grupper" in t:
        g_tbl = t["grupper"]
        if not isinstance(g_tbl, dict):
            c.err(tp, "grupper", f"must be a table of group tables, got {_show(g_tbl)}")
            ok = False
        else:
            for gid, sub in g_tbl.items():
                gp: _Path = (*tp, "grupper", str(gid))
                if c.group_id((*tp, "grupper"), str(gid), gid, dims.GROUPS) is None:
                    ok = False
                    continue
                if not isinstance(sub, dict):
                    c.err(gp, None, f"must be a table, got {_show(sub)}")
                    ok = False
                    continue
                rule = _read_group_capacity(c, gp, sub, timing)
                if rule is None:
                    ok = False
                else:
                    overrides[str(gid)] = rule
    if not ok or follow is None or timing is None or groups is None:
        return None
    return EducationCapacity(
        relative_change=rel,
        follow_population=follow,
        group_overrides=overrides,
        groups=groups,
        start_year=timing[0],
        full_effect_year=timing[1],
    )


def _read_group_capacity(
    c: _Checker, gp: _Path, t: Mapping[Any, Any], parent_timing: tuple[int, int] | None
) -> GroupCapacity | None:
    mark = len(c.problems)
    c.keys(
        gp,
        t,
        ("relative_change", "fixed_graduates", *_TIMING),
        {"groups": "this table is one group"},
    )
    c.one_of(gp, t, ("relative_change", "fixed_graduates"))
    rel = c.number(gp, t, "relative_change", **spec("grupper", "relative_change"))
    fixed = c.number(gp, t, "fixed_graduates", **spec("grupper", "fixed_graduates"))
    if parent_timing is None:
        timing = c.timing(gp, t)
    else:
        timing = c.timing(gp, t, default_start=parent_timing[0], default_full=parent_timing[1])
    if timing is None or len(c.problems) > mark:
        return None
    return GroupCapacity(
        relative_change=rel,
        fixed_graduates=fixed,
        start_year=timing[0],
        full_effect_year=timing[1],
    )


def _read_productivity(c: _Checker, tp: _Path, t: Mapping[Any, Any]) -> Productivity | None:
    c.keys(tp, t, _names("produktivitet"))
    c.required(tp, t, "annual_rate")
    rate = c.number(tp, t, "annual_rate", **spec("produktivitet", "annual_rate"))
    services, ok = c.services(tp, t, None)
    grouped = c.grouped(tp, t)
    if rate is None or not ok or grouped is None:
        return None
    return Productivity(annual_rate=rate, services=services, **grouped)


def _read_healthy_ageing(c: _Checker, tp: _Path, t: Mapping[Any, Any]) -> HealthyAgeing | None:
    unsupported = [k for k in _GROUPED if k in t]
    for key in unsupported:
        c.err(
            tp,
            key,
            "not supported: healthier ageing is a property of the population and applies to "
            "every group for the whole projection",
        )
    c.keys(tp, t, ("enabled", "strength", *unsupported))
    enabled = c.boolean(tp, t, "enabled", default=True)
    strength = c.number(tp, t, "strength", **spec("friskere_aldring", "strength"))
    if enabled is False and "strength" in t:
        c.err(tp, "strength", "has no effect when enabled = false")
        return None
    if enabled is None or strength is None or unsupported:
        return None
    return HealthyAgeing(enabled=enabled, strength=strength)


def _read_population(c: _Checker, tp: _Path, t: Mapping[Any, Any]) -> PopulationAlternative | None:
    why = "a population alternative applies to the whole projection"
    c.keys(tp, t, ("alternative",), {k: why for k in _GROUPED})
    if not c.required(tp, t, "alternative"):
        return None
    alt = c.choice(tp, t, "alternative", dims.POPULATION_ALTERNATIVES)
    return None if alt is None else PopulationAlternative(alternative=alt)


def _read_time_thieves(c: _Checker, tp: _Path, t: Mapping[Any, Any]) -> TimeThieves | None:
    c.keys(tp, t, _names("tidstyver"))
    level: str | None = None
    if c.required(tp, t, "level"):
        raw = t["level"]
        norm = {**t, "level": "hoy"} if raw in ("høy", "Høy") else t
        level = c.choice(tp, norm, "level", TIME_THIEVES_LEVELS)
    share = c.number(tp, t, "realised_share", **spec("tidstyver", "realised_share"))
    services, ok = c.services(tp, t, SPECIALIST_SERVICES)
    grouped = c.grouped(tp, t)
    if level is None or share is None or not ok or grouped is None:
        return None
    return TimeThieves(level=level, realised_share=share, services=services, **grouped)


_TO_TARGETS: Final = (*dims.GROUPS, *dims.OUTSIDE, OUTSIDE_TARGET)


def _read_task_shifts(c: _Checker, tp: _Path, v: object) -> tuple[TaskShift, ...] | None:
    if isinstance(v, dict):
        c.err(tp, None, "must be an array of tables: write each entry as [[oppgavedeling]]")
        return None
    if not isinstance(v, list):
        c.err(tp, None, f"must be an array of tables ([[oppgavedeling]]), got {_show(v)}")
        return None
    out: list[TaskShift] = []
    ok = True
    for i, entry in enumerate(v):
        ep: _Path = (*tp, i)
        if not isinstance(entry, dict):
            c.err(ep, None, f"must be a table, got {_show(entry)}")
            ok = False
            continue
        shift = _read_task_shift(c, ep, entry)
        if shift is None:
            ok = False
        else:
            out.append(shift)
    if not ok:
        return None
    return tuple(out) if out else None


def _read_task_shift(c: _Checker, ep: _Path, t: Mapping[Any, Any]) -> TaskShift | None:
    mark = len(c.problems)
    c.keys(
        ep,
        t,
        ("from", "to", "arsverk", "share", "service", "conversion", *_TIMING),
        {"groups": "the groups are given by from and to"},
    )
    src = dst = None
    if c.required(ep, t, "from"):
        src = c.group_id(ep, "from", t["from"], dims.GROUPS)
    if c.required(ep, t, "to"):
        dst = c.group_id(ep, "to", t["to"], _TO_TARGETS, what="target")
    if src is not None and src == dst:
        c.err(ep, "to", f"must differ from from ({src!r})")
    c.one_of(ep, t, ("arsverk", "share"))
    arsverk = c.number(ep, t, "arsverk", **spec("oppgavedeling", "arsverk"))
    share = c.number(ep, t, "share", **spec("oppgavedeling", "share"))
    service = c.string(ep, t, "service") if "service" in t else None
    conversion = c.number(ep, t, "conversion", **spec("oppgavedeling", "conversion"))
    if dst == OUTSIDE_TARGET and "conversion" in t:
        c.err(ep, "conversion", f'has no effect when to = "{OUTSIDE_TARGET}"')
    timing = c.timing(ep, t)
    if len(c.problems) > mark or src is None or dst is None or timing is None:
        return None
    assert conversion is not None
    return TaskShift(
        from_group=src,
        to=dst,
        arsverk=arsverk,
        share=share,
        service=service,
        conversion=conversion,
        start_year=timing[0],
        full_effect_year=timing[1],
    )


_READERS: Final[dict[str, Callable[[_Checker, _Path, Mapping[Any, Any]], Any]]] = {
    "stillingsprosent": _read_position_share,
    "avgangsalder": _read_exit_age,
    "sykefravaer": _read_sick_leave,
    "seniordeltakelse": _read_senior,
    "utdanningskapasitet": _read_education,
    "innvandring": _read_immigration,
    "standardvekst": _read_standard_growth,
    "produktivitet": _read_productivity,
    "friskere_aldring": _read_healthy_ageing,
    "befolkning": _read_population,
    "tidstyver": _read_time_thieves,
}


def _check_meta(raw: Mapping[Any, Any], label: str, problems: list[str]) -> dict[str, str]:
    """Check the metadata keys of one document; return the valid ones."""
    out: dict[str, str] = {}
    for key in _META_KEYS:
        if key not in raw:
            continue
        v = raw[key]
        if not isinstance(v, str):
            problems.append(f"{label}: {key}: must be a string, got {_show(v)}")
            continue
        if key == "name" and not is_valid_name(v):
            problems.append(f"{label}: name: must be {NAME_RULE}, got {_show(v)}")
            continue
        if key == "baseline" and not v.strip():
            problems.append(f'{label}: baseline: must be "{REFERENCE_NAME}" or a file path')
            continue
        out[key] = v
    return out


def _read_hooks(c: _Checker, merged: Mapping[Any, Any]) -> dict[str, Any]:
    """Read the hook tables of a merged document: ``{Scenario attribute: hook or None}``.

    Unknown tables and keys, and every problem in a table, are recorded in ``c``.
    """
    hooks: dict[str, Any] = {}
    allowed = (*_META_KEYS, *HOOK_TABLES)
    for k, v in merged.items():
        key = str(k)
        if key not in HOOK_TABLES:
            match = _closest(key, allowed)
            if isinstance(v, dict):
                hint = f"did you mean [{match}]?" if match else "allowed: " + ", ".join(HOOK_TABLES)
                c.err((key,), None, f"unknown table; {hint}")
            else:
                hint = f"did you mean {match}?" if match else "allowed: " + ", ".join(allowed)
                c.err((), key, f"unknown key; {hint}")
            continue
        tp: _Path = (key,)
        if key == "oppgavedeling":
            hooks[HOOK_TABLES[key]] = _read_task_shifts(c, tp, v)
            continue
        if not isinstance(v, dict):
            c.err(tp, None, f"must be a table, got {_show(v)}")
            continue
        hooks[HOOK_TABLES[key]] = _READERS[key](c, tp, v)
    return hooks
