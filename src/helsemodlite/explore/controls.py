"""The explorer's controls, generated from the hook declarations (docs/explore.md).

Every controlled hook gets a control for its lever key - the first key of its first "exactly
one of" group, else its first required number - plus its booleans that are on by default and a
population alternative, bounded by the declared range; hooks with timing get a start year, hooks
that take ``grupper`` a choice of groups. Nothing here is written per hook: a new hook declared
in ``scenarios/declarations.py`` gets its control by being listed in :data:`CONTROLLED`.

The page state maps to a scenario dict and back. A loaded scenario's settings that have no
control - a task shift, a year path, a key beyond the lever, different values per group - are
kept as they are (the hook's controls are then locked and the page says so), so loading a file
and downloading it again gives the same scenario.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..model.inputs import Inputs
from ..scenarios.declarations import GROUPS_KEY, TIMING_NAMES, Hook, Key, hook, hooks

CONTROLLED = (
    "stillingsprosent",
    "avgangsalder",
    "sykefravaer",
    "seniordeltakelse",
    "utdanningskapasitet",
    "innvandring",
    "standardvekst",
    "produktivitet",
    "friskere_aldring",
    "befolkning",
)
"""The hooks the page controls, in the order shown (supply first, then demand)."""

_LETTERS = {"ae": "æ", "oe": "ø", "aa": "å"}
_KEY_LABELS = {
    "relative_change": "relativ endring",
    "years": "år senere avgang",
    "annual_rate": "årlig vekst",
    "strength": "styrke",
    "enabled": "på",
    "alternative": "alternativ",
}
"""Norwegian names of the key names (the declarations name keys in English)."""


def norwegian(table: str) -> str:
    """A hook's table name as a Norwegian heading: ``sykefravaer`` → "Sykefravær"."""
    words = table.replace("_", " ")
    for ascii_, letter in _LETTERS.items():
        words = words.replace(ascii_, letter)
    return words[:1].upper() + words[1:]


@dataclass(frozen=True)
class Control:
    hook: str
    key: str
    label: str
    kind: str
    """``slider``, ``checkbox`` or ``select``."""
    neutral: Any
    """The value at which the control sets nothing (the reference)."""
    lo: float | None = None
    hi: float | None = None
    step: float | None = None
    percent: bool = False
    """A fraction shown in per cent (0.10 = 10 %)."""
    unit: str = ""
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class HookControls:
    hook: str
    title: str
    side: str
    controls: tuple[Control, ...]
    timing: bool
    groups: bool


def _lever(h: Hook) -> Key | None:
    if h.one_of:
        return h.key(h.one_of[0][0])
    numbers = [k for k in h.keys if k.kind == "number" and k.lo is not None]
    required = [k for k in numbers if k.required]
    found = required or numbers
    return found[0] if found else None


def _step(k: Key) -> float:
    if k.unit == "per year":
        return 0.001
    if k.fraction:
        return 0.01
    if k.unit == "years":
        return 0.5
    return 0.1


def hook_controls(inputs: Inputs) -> tuple[HookControls, ...]:
    """The controls of every controlled hook, from the declarations."""
    out = []
    for table in CONTROLLED:
        h = hook(table)
        controls = []
        for k in h.keys:
            if k.kind == "boolean" and k.default is True:
                controls.append(
                    Control(table, k.name, _KEY_LABELS.get(k.name, k.name), "checkbox", True)
                )
            elif k.kind == "alternative":
                ref = inputs.alternatives[inputs.alternative_index]
                controls.append(
                    Control(
                        table,
                        k.name,
                        "alternativ",
                        "select",
                        ref,
                        options=tuple(inputs.alternatives),
                    )
                )
        lever = _lever(h)
        if lever is not None:
            neutral = _neutral(table, lever, inputs)
            controls.insert(
                0,
                Control(
                    table,
                    lever.name,
                    _KEY_LABELS.get(lever.name, lever.name.replace("_", " ")),
                    "slider",
                    neutral,
                    lo=float(lever.lo),  # type: ignore[arg-type]
                    hi=float(lever.hi),  # type: ignore[arg-type]
                    step=_step(lever),
                    percent=bool(lever.fraction),
                    unit=lever.unit,
                ),
            )
        out.append(
            HookControls(table, norwegian(table), h.side, tuple(controls), h.timing, h.groups)
        )
    return tuple(out)


def _neutral(table: str, k: Key, inputs: Inputs) -> Any:
    if table == "standardvekst":
        return float(inputs.parameters["standard_growth"])
    if isinstance(k.default, int | float) and not isinstance(k.default, bool):
        return float(k.default)  # e.g. friskere_aldring strength 1.0
    return 0.0


# --------------------------------------------------------------------------------------------
# Page state <-> scenario
# --------------------------------------------------------------------------------------------


@dataclass
class State:
    """What the controls say: values per (hook, key), chosen groups (None = all) and start
    years per hook; ``locked`` hooks are kept from the loaded scenario as they are."""

    values: dict[tuple[str, str], Any]
    groups: dict[str, list[str] | None]
    start: dict[str, int | None]
    locked: dict[str, Any]
    title: str = "Utforsket scenario"
    description: str = ""


def neutral_state(inputs: Inputs) -> State:
    values = {(c.hook, c.key): c.neutral for hc in hook_controls(inputs) for c in hc.controls}
    return State(values, dict.fromkeys(CONTROLLED), dict.fromkeys(CONTROLLED), {})


def _is_neutral(hc: HookControls, state: State) -> bool:
    return all(state.values[(c.hook, c.key)] == c.neutral for c in hc.controls)


def scenario_dict(inputs: Inputs, state: State) -> dict[str, Any]:
    """The scenario the page shows, as a scenario file's tables."""
    out: dict[str, Any] = {"title": state.title}
    if state.description:
        out["description"] = state.description
    for hc in hook_controls(inputs):
        if hc.hook in state.locked:
            out[hc.hook] = state.locked[hc.hook]
            continue
        if _is_neutral(hc, state):
            continue
        table: dict[str, Any] = {}
        h = hook(hc.hook)
        for c in hc.controls:
            v = state.values[(c.hook, c.key)]
            if v != c.neutral or h.key(c.key).required:
                table[c.key] = float(v) if c.kind == "slider" else v
        for key, other, value in h.not_with:  # a key with no effect, given the others, is left out
            if key in table and table.get(other, h.key(other).default) == value:
                del table[key]
        start = state.start.get(hc.hook)
        if hc.timing and start is not None and start != inputs.years[1]:
            table["start_year"] = int(start)
        chosen = state.groups.get(hc.hook)
        if hc.groups and chosen is not None and set(chosen) != set(inputs.groups):
            out[hc.hook] = {GROUPS_KEY: {g: dict(table) for g in chosen}}
        else:
            out[hc.hook] = table
    for table_name, value in state.locked.items():  # hooks the page has no control for
        out.setdefault(table_name, value)
    return out


def active_measures(scenario: dict[str, Any]) -> int:
    """How many measures a scenario's tables hold (not its title, description or baseline)."""
    tables = {h.table for h in hooks()}
    return sum(1 for key in scenario if key in tables)


def state_from_scenario(inputs: Inputs, scenario: Any) -> State:
    """The controls of a loaded scenario; what they cannot show is locked, kept verbatim."""
    state = neutral_state(inputs)
    d = scenario.to_dict()
    state.title = str(d.get("title") or scenario.name)
    state.description = str(d.get("description") or "")
    by_hook = {hc.hook: hc for hc in hook_controls(inputs)}
    for table_name, value in d.items():
        if table_name in ("name", "title", "description", "source", "baseline", "baseline_chain"):
            continue
        hc = by_hook.get(table_name)
        if hc is None or not _apply(hc, value, state, inputs):
            state.locked[table_name] = value
    return state


def _apply(hc: HookControls, value: Any, state: State, inputs: Inputs) -> bool:
    """Set the hook's controls from its table; False when the controls cannot show it."""
    if not isinstance(value, dict):
        return False
    groups = value.get(GROUPS_KEY)
    if groups is not None:
        return _apply_groups(hc, value, groups, state, inputs)
    start = value.get("start_year")
    if not _shown_keys_and_timing(hc, value, inputs):
        return False
    values = {}
    for c in hc.controls:
        v = value.get(c.key, c.neutral)
        if isinstance(v, dict):
            return False  # a year path
        if c.kind == "slider":
            assert c.lo is not None and c.hi is not None
            if not c.lo <= float(v) <= c.hi:
                return False
            v = float(v)
        elif c.kind == "select" and v not in c.options:
            return False
        values[(c.hook, c.key)] = v
    state.values.update(values)
    state.start[hc.hook] = int(start) if start is not None else None
    return True


def _shown_keys_and_timing(hc: HookControls, value: dict[str, Any], inputs: Inputs) -> bool:
    """Only the controlled keys away from their defaults, and a start year the slider shows
    (no phase-in)."""
    h = hook(hc.hook)
    controlled = {c.key for c in hc.controls}
    for key, v in value.items():
        if key in controlled or key in TIMING_NAMES:
            continue
        if v != h.key(key).default and v is not None:
            return False  # a key the page has no control for, set away from its default
    start = value.get("start_year")
    if start is None:
        return True
    if value.get("full_effect_year", start) != start:
        return False  # a phase-in
    return bool(inputs.years[1] <= int(start) <= inputs.years[-1])


def _apply_groups(
    hc: HookControls, value: dict[str, Any], groups: Any, state: State, inputs: Inputs
) -> bool:
    """The same table for every listed group shows as the lever with those groups chosen."""
    rest = {k: v for k, v in value.items() if k != GROUPS_KEY}
    tables = list(groups.values()) if isinstance(groups, dict) else []
    if rest or not tables or any(t != tables[0] for t in tables):
        return False  # different values per group, or a table beside its groups
    if not _apply(hc, tables[0], state, inputs):
        return False
    state.groups[hc.hook] = list(groups)
    return True
