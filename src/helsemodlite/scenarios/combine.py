"""Combining scenarios into one: all hooks of all, for ``compare --combined``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .. import dims
from ..errors import ConfigError
from .compile import as_scenario, scenario_list
from .declarations import hook
from .files import Scenario, display_path

COMBINED = "kombinert"
SUM_OF_SINGLES = "sum_enkelttiltak"


def _conflict(table: str, what: str, mine: dict, theirs: dict, who: str, by: str) -> ConfigError:
    differ = sorted(k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k))
    return ConfigError(
        f"combined run: [{table}]{what} is set differently by {who} and by {by} "
        f"(keys {', '.join(differ)}). Combining would silently keep one of them and report a "
        "false overlap; give the combined measure in one scenario file, or leave one out"
    )


def _merge_groups(table: str, owned: list[tuple[str, Any]]) -> dict[str, Any]:
    """One grouped hook set by several scenarios, merged per group: each group takes the rule
    of the scenario that sets it; two scenarios setting one group differently is a conflict."""
    rules: dict[str, tuple[dict[str, Any], str]] = {}
    everyone: tuple[dict[str, Any], str] | None = None
    for label, measure in owned:
        for rule, groups, for_all in measure.rules():
            cfg = rule.to_dict()
            clash = [g for g in groups if g in rules and rules[g][0] != cfg]
            if clash:
                first = rules[clash[0]]
                shown = "all groups" if len(clash) == len(dims.GROUPS) else ", ".join(clash)
                raise _conflict(table, f" for {shown}", first[0], cfg, first[1], label)
            for g in groups:
                rules.setdefault(g, (cfg, label))
            if for_all:
                if everyone is not None and everyone[0] != cfg:
                    raise _conflict(table, "", everyone[0], cfg, everyone[1], label)
                everyone = (cfg, label)
    distinct = {json.dumps(cfg, sort_keys=True) for cfg, _ in rules.values()}
    union = [g for g in dims.GROUPS if g in rules]
    if len(distinct) == 1 and (everyone is not None or len(union) < len(dims.GROUPS)):
        cfg = next(iter(rules.values()))[0]
        return {**cfg, "groups": "all" if everyone is not None else union}
    if everyone is not None:  # the table-level rule keeps the staff outside the 14 groups
        rest = {g: cfg for g, (cfg, _) in rules.items() if cfg != everyone[0]}
        return {**everyone[0], "groups": "all", "grupper": rest}
    return {"grupper": {g: rules[g][0] for g in union}}


def _merge_table(table: str, owned: list[tuple[str, Any]]) -> Any:
    h = hook(table)
    if h.array:  # entries concatenated; an entry two scenarios share is taken once
        out: list[dict[str, Any]] = []
        for _, entries in owned:
            out.extend(e for e in (m.to_dict() for m in entries) if e not in out)
        return out
    first = owned[0][1].to_dict()
    if all(m.to_dict() == first for _, m in owned):
        return first
    if not h.groups:
        label, other = next((lab, m) for lab, m in owned if m.to_dict() != first)
        raise _conflict(table, "", first, other.to_dict(), owned[0][0], label)
    return _merge_groups(table, owned)


def _similar_entries(table: str, entries: list[dict[str, Any]]) -> list[str]:
    """A note for entries that differ but move work between the same groups in the same
    service (the same measure given twice, e.g. with other timing): both are counted."""
    seen: dict[tuple[Any, ...], int] = {}
    out = []
    for e in entries:
        key = (e.get("from"), e.get("to"), e.get("service"))
        seen[key] = seen.get(key, 0) + 1
    for (src, dst, service), n in seen.items():
        if n > 1:
            where = f" in {service}" if service else ""
            out.append(
                f"[[{table}]]: {n} different entries move work from {src} to {dst}{where}; all "
                "are counted (give the measure once if they are the same)"
            )
    return out


def combine_with_notes(scenarios: Sequence[Any], name: str) -> tuple[Any, list[str]]:
    """The combined scenario, and a note for every hook merged per group.

    A hook set by one scenario is taken as it is; a hook set by several is taken once when they
    set it alike, merged per group when they set different groups (each group keeps its own
    values, as ``grupper`` tables where needed), and refused (:class:`ConfigError` naming both
    scenarios) when two set one group, or a hook without groups, differently. ``oppgavedeling``
    entries are concatenated.
    """
    owners: dict[str, list[tuple[str, Any]]] = {}
    scs = [as_scenario(obj) for obj in scenarios]
    for sc in scs:
        label = f"{sc.name} ({display_path(sc.source)})" if sc.source is not None else sc.name
        for table, measure in sc.hooks().items():
            owners.setdefault(table, []).append((label, measure))
    merged: dict[str, Any] = {}
    notes: list[str] = []
    for table, owned in owners.items():
        merged[table] = _merge_table(table, owned)
        who = " and ".join(lab for lab, _ in owned)
        if hook(table).array:
            n = sum(len(entries) for _, entries in owned)
            if len(merged[table]) < n:
                notes.append(
                    f"[[{table}]]: {n - len(merged[table])} entr(ies) set alike by {who} taken once"
                )
            notes.extend(_similar_entries(table, merged[table]))
        elif len(owned) > 1 and merged[table] != owned[0][1].to_dict():
            notes.append(f"[{table}] of {who} merged per group")
    merged["title"] = "Kombinert: " + ", ".join(sc.name for sc in scs)
    merged["description"] = ("All scenarios in one projection. " + "; ".join(notes)).strip()
    return Scenario.from_dict(merged, name=name), notes


def combine(scenarios: Sequence[Any], name: str = COMBINED) -> Any:
    """One scenario with the hooks of all (see :func:`combine_with_notes`)."""
    return combine_with_notes(scenario_list(scenarios, "combine"), name)[0]
