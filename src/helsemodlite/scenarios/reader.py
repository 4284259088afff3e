"""The generic reader: a raw (merged) scenario document turned into measures, driven by the hook
declarations alone.

For every hook table, :func:`read_measure` checks the keys allowed there, reads each value by its
declared kind (a number may be a year path where the key allows one), the timing and the groups,
then every ``grupper.<id>`` table, and checks the declared rules between keys (required, exactly
one of, not with, differ) on every rule in force: the table-level rule, and each group's table
laid over it. Every problem is recorded in the :class:`~.check._Checker` with file, table and
key; a hook with problems gives None.

This module imports only the standard library and numpy, so that importing it is cheap.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .. import dims
from .check import _META_KEYS, NAME_RULE, Timing, _Checker, _closest, _Path, _show, is_valid_name
from .declarations import (
    GROUPS_KEY,
    TIMING_NAMES,
    Hook,
    Key,
    hook,
    spec,
    tables,
)
from .measures import REFERENCE_NAME, GroupValues, Measure, YearPath, overlay, typed_default

_MISSING: Final = object()


def _value(c: _Checker, h: Hook, tp: _Path, t: Mapping[Any, Any], k: Key) -> Any:
    """One declared key's value, typed; _MISSING when it has a problem."""
    v = t[k.name]
    if k.path and isinstance(v, dict):  # a path may start from zero: its points are closed
        points = c.year_path(tp, t, k.name, **{**spec(h.table, k.name), "lo_open": False})
        return _MISSING if points is None else YearPath(points)
    if k.path and (isinstance(v, bool) or not isinstance(v, int | float)):
        c.err(tp, k.name, f"must be a number or a year path {{2030 = …}}, got {_show(v)}")
        return _MISSING
    kind = k.kind
    out: Any
    if kind == "number":
        out = c.number(tp, t, k.name, **spec(h.table, k.name))
    elif kind == "integer":
        out = c.integer(tp, t, k.name, **spec(h.table, k.name))
    elif kind == "boolean":
        out = c.boolean(tp, t, k.name, default=False)
    elif kind == "choice":
        alias = dict(k.aliases)
        out = c.choice(
            tp, {k.name: alias.get(v, v)} if isinstance(v, str) else t, k.name, k.choices
        )
    elif kind in ("string", "alternative"):
        out = c.string(tp, t, k.name)
    elif kind in ("group", "target"):
        out = c.group_id(tp, k.name, v, k.choices, what="group id" if kind == "group" else "target")
    elif kind == "services":
        services, ok = c.services(tp, t, typed_default(kind, k.default))
        return services if ok else _MISSING
    elif kind == "ages":
        out = c.ages(tp, t, k.name)
    else:  # pragma: no cover - a declaration with an unknown kind is a defect
        raise ValueError(f"[{h.table}] {k.name}: unknown kind {kind!r}")
    return _MISSING if out is None else out


def _values(c: _Checker, h: Hook, tp: _Path, t: Mapping[Any, Any], names: tuple[str, ...]) -> dict:
    """The declared keys of ``names`` present in ``t``, typed (problems recorded)."""
    out: dict[str, Any] = {}
    for k in h.keys:
        if k.name in names and k.name in t:
            v = _value(c, h, tp, t, k)
            if v is not _MISSING:
                out[k.name] = v
    return out


def _given(value: Any) -> bool:
    return value is not None and value is not False


def _shown(k: Key) -> str:
    return f"{k.name} = true" if k.kind == "boolean" else k.name


def _listing(names: list[str], last: str = "or") -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" {last} {names[-1]}"


def _check_rule(
    c: _Checker,
    h: Hook,
    tp: _Path,
    given: Mapping[str, Any],
    present: Mapping[Any, Any],
    *,
    alternative: str = "",
) -> None:
    """The declared rules between keys, on the values of one rule (``given``: the rule's keys
    after any overlay; ``present``: the raw table, for what was written)."""
    for k in h.keys:
        if k.required and k.name not in given and k.name not in present:
            c.err(tp, k.name, "missing (required)" + alternative)
    for group in h.one_of:
        keys = [h.key(n) for n in group]
        on = [k.name for k in keys if _given(given.get(k.name))]
        if len(on) > 1:
            shown = [_shown(h.key(n)) for n in on]
            if len(on) == 2:
                c.err(tp, None, f"set either {shown[0]} or {shown[1]}, not both")
            else:
                c.err(tp, None, f"set only one of {_listing(shown, 'and')}")
        elif not on and not any(n in present for n in group):
            here = [_shown(k) for k in keys if k.scope != "group" or not tp or tp[-1] != h.table]
            c.err(tp, None, f"set one of {_listing(here)}{alternative}")
    for key, other, value in h.not_with:
        if key in present and given.get(other) == value:
            text = ("true" if value else "false") if isinstance(value, bool) else f'"{value}"'
            c.err(tp, key, f"has no effect when {other} = {text}")
    for key, other in h.differ:
        if given.get(key) is not None and given.get(key) == given.get(other):
            c.err(tp, key, f"must differ from {other} ({given[other]!r})")


def _path_and_timing(c: _Checker, tp: _Path, t: Mapping[Any, Any], values: Mapping) -> None:
    """Timing keys beside a year path (the table's own or one it inherits) have no effect."""
    paths = [k for k, v in values.items() if isinstance(v, YearPath)]
    if not paths:
        return
    for key in TIMING_NAMES:
        if key in t:
            c.err(
                tp, key, f"not allowed with the year path of {paths[0]} (the path gives the years)"
            )


def _unused_table_keys(
    c: _Checker, h: Hook, tp: _Path, t: Mapping[Any, Any], values: Mapping, has_rule: bool
) -> None:
    """Table-level timing or groups that reach no group (every key has an effect or is
    refused)."""
    subs = t.get(GROUPS_KEY)
    if not isinstance(subs, dict) or not subs:
        return
    own = {str(g) for g in subs}
    if has_rule and isinstance(t.get("groups"), list) and set(map(str, t["groups"])) <= own:
        c.err(tp, "groups", "has no effect: every group listed has its own grupper table")
    if has_rule or not any(k in t for k in TIMING_NAMES):
        return

    def uses_table_timing(sub: object) -> bool:
        if not isinstance(sub, dict) or any(k in sub for k in TIMING_NAMES):
            return False
        merged = {**values, **sub}
        return not any(isinstance(v, dict | YearPath) for v in merged.values())

    if not any(uses_table_timing(sub) for sub in subs.values()):
        key = next(k for k in TIMING_NAMES if k in t)
        c.err(tp, key, "has no effect: every grupper table has its own timing or a year path")


def _not_here(h: Hook, group_table: bool) -> dict[str, str]:
    out: dict[str, str] = {}
    if not h.timing:
        out.update({k: h.no_timing_reason or "this hook has no timing" for k in TIMING_NAMES})
    if not h.groups:
        out.update({k: h.no_groups_reason or "no groups" for k in ("groups", GROUPS_KEY)})
    elif group_table:
        out.update({"groups": "this table is one group", GROUPS_KEY: "this table is one group"})
    table_only = [k.name for k in h.keys if k.scope == "table"]
    group_only = [k.name for k in h.keys if k.scope == "group"]
    for name in table_only if group_table else group_only:
        where = f"[{h.table}]" if group_table else f"a [{h.table}.grupper.<id>] table"
        out[name] = f"only in {where}"
    return out


def read_measure(c: _Checker, h: Hook, tp: _Path, t: Mapping[Any, Any]) -> Measure | None:
    """One hook table (or one entry of an array hook) as a :class:`Measure`, or None."""
    mark = len(c.problems)
    c.keys(tp, t, h.names(), _not_here(h, group_table=False))
    values = _values(c, h, tp, t, h.names())
    _path_and_timing(c, tp, t, values)
    timing = c.timing(tp, t) if h.timing else (None, None)
    groups = c.groups(tp, t) if h.groups else ()
    per_group = _read_groups(c, h, tp, t, values, timing) if h.groups else ()
    has_rule = not h.groups or any(_given(values.get(k)) or k in t for k in h.rule_keys())
    if h.groups:
        _unused_table_keys(c, h, tp, t, values, has_rule)
    if has_rule:
        _check_rule(c, h, tp, values, t)
    elif not per_group and GROUPS_KEY not in t:
        hint = f" (or at least one [{h.table}.grupper.<id>] table)"
        _check_rule(c, h, tp, values, t, alternative=hint)
    elif "groups" in t:
        c.err(
            tp,
            "groups",
            "has no effect without a table-level value: each "
            f"[{h.table}.grupper.<id>] table names its group",
        )
    if len(c.problems) > mark or timing is None or groups is None or per_group is None:
        return None
    return Measure(
        h.table,
        tuple(values.items()),
        groups if has_rule else (),
        timing[0],
        timing[1],
        per_group,
    )


def _read_groups(
    c: _Checker,
    h: Hook,
    tp: _Path,
    t: Mapping[Any, Any],
    table_values: Mapping[str, Any],
    timing: Timing | None,
) -> tuple[GroupValues, ...] | None:
    """The ``grupper.<id>`` tables of a hook table, in canonical group order."""
    if GROUPS_KEY not in t:
        return ()
    g_tbl = t[GROUPS_KEY]
    if not isinstance(g_tbl, dict):
        c.err(tp, GROUPS_KEY, f"must be a table of group tables, got {_show(g_tbl)}")
        return None
    out: dict[str, GroupValues] = {}
    ok = True
    for gid, sub in g_tbl.items():
        gp: _Path = (*tp, GROUPS_KEY, str(gid))
        if c.group_id((*tp, GROUPS_KEY), str(gid), gid, dims.GROUPS) is None:
            ok = False
            continue
        if not isinstance(sub, dict):
            c.err(gp, None, f"must be a table, got {_show(sub)}")
            ok = False
            continue
        mark = len(c.problems)
        c.keys(gp, sub, h.group_names(), _not_here(h, group_table=True))
        own = _values(c, h, gp, sub, h.group_names())
        _path_and_timing(c, gp, sub, overlay(h, dict(table_values), own))
        if timing is None or not h.timing:
            g_timing = c.timing(gp, sub) if h.timing else (None, None)
        else:
            g_timing = c.timing(gp, sub, default_start=timing[0], default_full=timing[1])
        _check_rule(c, h, gp, overlay(h, dict(table_values), own), {**t, **sub})
        if g_timing is None or len(c.problems) > mark:
            ok = False
            continue
        out[str(gid)] = GroupValues(str(gid), tuple(own.items()), g_timing[0], g_timing[1])
    if not ok:
        return None
    return tuple(out[g] for g in dims.GROUPS if g in out)


def _read_array(c: _Checker, h: Hook, tp: _Path, v: object) -> tuple[Measure, ...] | None:
    if isinstance(v, dict):
        c.err(tp, None, f"must be an array of tables: write each entry as [[{h.table}]]")
        return None
    if not isinstance(v, list):
        c.err(tp, None, f"must be an array of tables ([[{h.table}]]), got {_show(v)}")
        return None
    out: list[Measure] = []
    ok = True
    for i, entry in enumerate(v):
        ep: _Path = (*tp, i)
        if not isinstance(entry, dict):
            c.err(ep, None, f"must be a table, got {_show(entry)}")
            ok = False
            continue
        m = read_measure(c, h, ep, entry)
        if m is None:
            ok = False
        else:
            out.append(m)
    if not ok:
        return None
    return tuple(out) if out else None


def read_hooks(c: _Checker, merged: Mapping[Any, Any]) -> dict[str, Any]:
    """Read the hook tables of a merged document: ``{table: measure (a tuple of measures for an
    array hook), or None}``. Unknown tables and keys, and every problem in a table, are
    recorded in ``c``."""
    known = tables()
    out: dict[str, Any] = {}
    allowed = (*_META_KEYS, *known)
    for k, v in merged.items():
        key = str(k)
        if key not in known:
            match = _closest(key, allowed)
            if isinstance(v, dict):
                hint = f"did you mean [{match}]?" if match else "allowed: " + ", ".join(known)
                c.err((key,), None, f"unknown table; {hint}")
            else:
                hint = f"did you mean {match}?" if match else "allowed: " + ", ".join(allowed)
                c.err((), key, f"unknown key; {hint}")
            continue
        h, tp = hook(key), (key,)
        if h.array:
            out[key] = _read_array(c, h, tp, v)
        elif not isinstance(v, dict):
            c.err(tp, None, f"must be a table, got {_show(v)}")
        else:
            out[key] = read_measure(c, h, tp, v)
    return out


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
