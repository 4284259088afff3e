"""Combining scenarios into one: all hooks of all, for ``compare --combined``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .compile import as_scenario, scenario_list
from .files import Scenario

COMBINED = "kombinert"
SUM_OF_SINGLES = "sum_enkelttiltak"
_PROVENANCE_KEYS = ("source", "baseline_chain")


def combine_with_notes(scenarios: Sequence[Any], name: str) -> tuple[Any, list[str]]:
    """The combined scenario, and a note for every table a later scenario replaced."""
    merged: dict[str, Any] = {}
    owner: dict[str, str] = {}
    replaced: list[str] = []
    for obj in scenarios:
        sc = as_scenario(obj)
        for key, value in sc.to_dict().items():
            if key in _PROVENANCE_KEYS or key in ("name", "title", "description", "baseline"):
                continue
            if key == "oppgavedeling":
                merged.setdefault(key, []).extend(value)
                continue
            if key in merged and merged[key] != value:
                replaced.append(f"[{key}] of {owner[key]} replaced by {sc.name}")
            merged[key] = value
            owner[key] = sc.name
    merged["title"] = "Kombinert: " + ", ".join(as_scenario(s).name for s in scenarios)
    merged["description"] = (
        "All scenarios in one projection; a later scenario's table "
        "replaces an earlier one's. " + "; ".join(replaced)
    ).strip()
    return Scenario.from_dict(merged, name=name), replaced


def combine(scenarios: Sequence[Any], name: str = COMBINED) -> Any:
    """One scenario with the hooks of all: a later scenario's table replaces an earlier one's
    (as when stacking reforms); ``oppgavedeling`` entries are concatenated."""
    return combine_with_notes(scenario_list(scenarios, "combine"), name)[0]
