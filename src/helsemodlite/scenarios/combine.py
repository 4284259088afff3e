"""Combining scenarios into one: all hooks of all, for ``compare --combined``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import dims
from ..errors import ConfigError
from .compile import as_scenario, scenario_list
from .files import Scenario

COMBINED = "kombinert"
SUM_OF_SINGLES = "sum_enkelttiltak"
_PROVENANCE_KEYS = ("source", "baseline_chain")


def _groups(value: Any) -> tuple[str, ...]:
    return dims.GROUPS if value in (None, "all") else tuple(value)


def _merge_hook(key: str, mine: dict[str, Any], theirs: dict[str, Any], who: str, by: str) -> Any:
    """One hook set by two scenarios: equal tables are one; tables that differ only in their
    (disjoint) groups are merged per group; anything else is a real conflict and refused."""
    if mine == theirs:
        return mine
    rest_a = {k: v for k, v in mine.items() if k != "groups"}
    rest_b = {k: v for k, v in theirs.items() if k != "groups"}
    ga, gb = _groups(mine.get("groups")), _groups(theirs.get("groups"))
    if rest_a == rest_b and not set(ga) & set(gb):
        union = set(ga) | set(gb)
        return {**mine, "groups": [g for g in dims.GROUPS if g in union]}
    differ = sorted(k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k))
    raise ConfigError(
        f"combined run: [{key}] is set differently by {who} and by {by} "
        f"(keys {', '.join(differ)}). Combining would silently keep one of them and report a "
        "false overlap; give the combined measure in one scenario file, or leave one out"
    )


def combine_with_notes(scenarios: Sequence[Any], name: str) -> tuple[Any, list[str]]:
    """The combined scenario, and a note for every hook merged per group.

    Hooks set by one scenario are taken as they are; a hook set by several is taken once when
    the tables are equal, merged when they differ only in disjoint ``groups``, and refused
    otherwise (:class:`ConfigError` naming both scenarios). ``oppgavedeling`` entries are
    concatenated.
    """
    merged: dict[str, Any] = {}
    owner: dict[str, str] = {}
    notes: list[str] = []
    for obj in scenarios:
        sc = as_scenario(obj)
        doc = sc.to_dict()
        label = f"{sc.name} ({doc['source']})" if doc.get("source") else sc.name
        for key, value in doc.items():
            if key in _PROVENANCE_KEYS or key in ("name", "title", "description", "baseline"):
                continue
            if key == "oppgavedeling":
                merged.setdefault(key, []).extend(value)
                continue
            if key in merged and merged[key] != value:
                merged[key] = _merge_hook(key, merged[key], value, owner[key], label)
                notes.append(f"[{key}] of {owner[key]} and {label} merged per group")
                owner[key] = f"{owner[key]} and {label}"
                continue
            merged[key] = value
            owner[key] = label
    merged["title"] = "Kombinert: " + ", ".join(as_scenario(s).name for s in scenarios)
    merged["description"] = ("All scenarios in one projection. " + "; ".join(notes)).strip()
    return Scenario.from_dict(merged, name=name), notes


def combine(scenarios: Sequence[Any], name: str = COMBINED) -> Any:
    """One scenario with the hooks of all (see :func:`combine_with_notes`)."""
    return combine_with_notes(scenario_list(scenarios, "combine"), name)[0]
