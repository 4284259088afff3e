"""Measures: the objects a scenario is made of, one generic kind for every hook.

A hook table as read (``[stillingsprosent]``, one ``[[oppgavedeling]]`` entry, …) becomes a
:class:`Measure`: its table-level values, the groups they apply to, their timing, and the
per-group values of its ``grupper`` tables. :meth:`Measure.rules` gives the :class:`Rule` in force
for each set of groups (every key of the hook filled with its value or default, and the timing);
a compile function (:mod:`.compile`) turns rules into parameter paths. A value may be a
:class:`YearPath` (``{2026 = 0.02, 2030 = 0.10}``) instead of a number; :meth:`Rule.effect` gives
the value and the effect weight of every year either way.

What a hook's keys are comes from its declaration (:mod:`.declarations`); reading and checking raw
TOML into measures is :mod:`.check`. The constants of the time-thieves table live here.

This module imports only the standard library and numpy, so that importing it is cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from .. import dims
from ..errors import ConfigError
from .declarations import ABSENT, GROUPS_KEY, REQUIRED, Hook, hook

Year = int | None
"""A year as given; None = the default (the inputs' first projection year; ``start_year``)."""

__all__ = [
    "OUTSIDE_TARGET",
    "REFERENCE_NAME",
    "SPECIALIST_SERVICES",
    "TIME_THIEVES_COLUMN",
    "TIME_THIEVES_LEVELS",
    "TIME_THIEVES_SHARE",
    "Measure",
    "Rule",
    "YearPath",
    "phase",
]

REFERENCE_NAME: Final = "referanse"
"""Name of the reference scenario, and the ``baseline`` value meaning "no overrides"."""

OUTSIDE_TARGET: Final = dims.OUTSIDE_TARGET
"""``to`` value of a task shift that moves work out of the modelled personnel altogether."""

TIME_THIEVES_LEVELS: Final = ("lav", "middels", "hoy")

TIME_THIEVES_SHARE: Final = {
    "leger_psykologer": {"lav": 0.06, "middels": 0.15, "hoy": 0.25},
    "sykepleiere_vernepleiere": {"lav": 0.09, "middels": 0.17, "hoy": 0.28},
    "helsefagarbeidere": {"lav": 0.045, "middels": 0.10, "hoy": 0.18},
    "andre_hoyere": {"lav": 0.05, "middels": 0.11, "hoy": 0.20},
    "andre_kortere": {"lav": 0.03, "middels": 0.08, "hoy": 0.15},
    "adm_hoyere": {"lav": 0.07, "middels": 0.15, "hoy": 0.25},
    "adm_kortere": {"lav": 0.02, "middels": 0.06, "hoy": 0.11},
}
"""Share of annual working time that can be freed in specialist health services, by personnel
column and level ("Total" row of Oslo Economics' table for the Ventetidsløftet working group):
leger og psykologer; sykepleiere/vernepleiere; helsefagarbeidere; andre helsefag with higher /
shorter education; administrasjon og støtte with higher / shorter education."""

SPECIALIST_SERVICES: Final = dims.SPECIALIST_SERVICES

TIME_THIEVES_COLUMN: Final = {
    "lege": "leger_psykologer",
    "psykolog": "leger_psykologer",
    "sykepleier": "sykepleiere_vernepleiere",
    "vernepleier": "sykepleiere_vernepleiere",
    "jordmor": "sykepleiere_vernepleiere",
    "helsesykepleier": "sykepleiere_vernepleiere",
    "helsefagarbeider": "helsefagarbeidere",
    "bioingenior": "andre_hoyere",
    "ergoterapeut": "andre_hoyere",
    "fysioterapeut": "andre_hoyere",
    "radiograf": "andre_hoyere",
    "tannlege": "andre_hoyere",
    "tannpleier": "andre_hoyere",
    "helsesekretaer": "andre_kortere",
}
"""Column of the time-thieves table used for each of the 14 groups (a documented design choice,
see docs/scenarios.md)."""


# --------------------------------------------------------------------------------------------
# Phase-in
# --------------------------------------------------------------------------------------------


def phase(years: npt.ArrayLike, start_year: int, full_effect_year: int) -> np.ndarray:
    """Effect weight per year, in [0, 1]: the share of a measure's full effect in each year.

    ``w(t) = clip((t − start_year + 1) / (full_effect_year − start_year + 1), 0, 1)``: 0 before
    ``start_year``, rising linearly to 1 at ``full_effect_year``, 1 from then on. With
    ``full_effect_year == start_year`` the measure takes full effect at once in ``start_year``.

    ``years`` is any array of years (dims as given); the result has the same shape, float64.
    Pure and vectorised.
    """
    span = full_effect_year - start_year + 1
    if span < 1:
        raise ValueError(
            f"full_effect_year ({full_effect_year}) must be >= start_year ({start_year})"
        )
    y = np.asarray(years, dtype=np.float64)
    return np.clip((y - start_year + 1.0) / span, 0.0, 1.0)


# --------------------------------------------------------------------------------------------
# Values over time
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class YearPath:
    """A value given per year (``{2026 = 0.02, 2030 = 0.10}``): linear between the years given,
    held after the last; before the first year the measure has no effect (as in the reference)."""

    points: tuple[tuple[int, float], ...]
    """(year, value), sorted by year, at least one."""

    def __post_init__(self) -> None:
        years = [y for y, _ in self.points]
        if not self.points or years != sorted(set(years)):
            raise ConfigError(f"YearPath: years must be distinct and sorted, got {years}")

    @property
    def first_year(self) -> int:
        return self.points[0][0]

    @property
    def last_year(self) -> int:
        return self.points[-1][0]

    def values(self) -> tuple[float, ...]:
        return tuple(v for _, v in self.points)

    def at(self, years: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """(value, weight) per year: the interpolated value, and 1 from the first year on."""
        y = np.asarray(years, dtype=np.float64)
        xs = np.array([p[0] for p in self.points], dtype=np.float64)
        vs = np.array([p[1] for p in self.points], dtype=np.float64)
        return np.interp(y, xs, vs), (y >= xs[0]).astype(np.float64)

    def to_config(self) -> dict[str, float]:
        return {str(y): v for y, v in self.points}


def _config(value: Any) -> Any:
    """A typed value as a config (TOML/JSON) value."""
    if isinstance(value, YearPath):
        return value.to_config()
    if isinstance(value, tuple):
        return list(value)
    return value


# --------------------------------------------------------------------------------------------
# Rules and measures
# --------------------------------------------------------------------------------------------

Values = tuple[tuple[str, Any], ...]
"""Key → typed value pairs, in declaration order (hashable)."""


@dataclass(frozen=True)
class Rule:
    """What a hook does for a set of groups: every key of the hook with its value (its default
    where not set; None = not set) and the timing. Values read as attributes
    (``rule.relative_change``)."""

    table: str
    values: Values
    start_year: Year = None
    full_effect_year: Year = None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        for k, v in self.values:
            if k == name:
                return v
        raise AttributeError(f"[{self.table}] has no key {name!r}")

    def get(self, name: str) -> Any:
        return dict(self.values).get(name)

    @property
    def hook(self) -> Hook:
        return hook(self.table)

    def has_path(self) -> bool:
        return any(isinstance(v, YearPath) for _, v in self.values)

    def timing(self, years: npt.ArrayLike) -> tuple[int, int]:
        """(start_year, full_effect_year) with the defaults resolved for projection ``years``
        (base year first): the first projection year, and ``start_year``."""
        start = self.start_year if self.start_year is not None else int(np.min(years)) + 1
        return start, self.full_effect_year if self.full_effect_year is not None else start

    def phase(self, years: npt.ArrayLike) -> np.ndarray:
        """Effect weight per year of the scalar values (see :func:`phase`)."""
        if not self.hook.timing:
            return np.ones(np.shape(years))
        return phase(years, *self.timing(years))

    def effect(self, key: str, years: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """(value, weight) of ``key`` in every year: a year path's interpolated value and its
        start; a number and the phase-in of ``start_year`` / ``full_effect_year``. An unset key
        has value 0."""
        v = self.get(key)
        if isinstance(v, YearPath):
            return v.at(years)
        return np.full(np.shape(years), float(v or 0.0)), self.phase(years)

    @property
    def is_neutral(self) -> bool:
        """True when the rule changes nothing (each key that decides neutrality is unset or at
        its declared neutral value)."""
        for key in self.hook.keys:
            v = self.get(key.name)
            if key.neutral is None or v is None:
                continue
            if key.neutral == ABSENT:
                return False
            seen = v.values() if isinstance(v, YearPath) else (v,)
            if any(x != key.neutral for x in seen):
                return False
        return True

    def to_dict(self) -> dict[str, Any]:
        """The rule as config keys, defaults filled; timing unless a value is a year path."""
        h = self.hook
        given = dict(self.values)
        out: dict[str, Any] = {}
        for key in h.keys:
            v = given.get(key.name)
            if v is None:
                if key.kind == "services" and key.name in given:
                    out[key.name] = "all"
                continue
            if any(k == key.name and given.get(o) == val for k, o, val in h.not_with):
                continue  # a key refused in this combination is not written
            out[key.name] = _config(v)
        if h.timing and not self.has_path():
            _write_timing(out, self.start_year, self.full_effect_year)
        return out


def filled(h: Hook, given: dict[str, Any]) -> Values:
    """Every key of ``h`` with its given value, else its default (None where it has none)."""
    out = []
    for key in h.keys:
        if key.name in given:
            out.append((key.name, given[key.name]))
        elif key.default not in (None, REQUIRED):
            out.append((key.name, typed_default(key.kind, key.default)))
        else:
            out.append((key.name, None))
    return tuple(out)


def typed_default(kind: str, default: Any) -> Any:
    if kind == "services":
        return None if default == "all" else tuple(default)
    return default


def overlay(h: Hook, base: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``own`` on top; a key of ``own`` drops the keys of its one-of group from
    ``base`` (a group's ``fixed_graduates`` replaces the table's ``relative_change``)."""
    out = dict(base)
    for group in h.one_of:
        if any(k in own for k in group):
            for k in group:
                out.pop(k, None)
    out.update(own)
    return out


@dataclass(frozen=True)
class GroupValues:
    """One ``[<table>.grupper.<id>]`` table: the keys it sets, and its timing (the table's where
    it sets none)."""

    group: str
    values: Values
    start_year: Year = None
    full_effect_year: Year = None


@dataclass(frozen=True)
class Measure:
    """One hook table as read: table-level values (the keys given there), the groups they apply
    to and their timing, and the per-group tables. An array hook (``[[oppgavedeling]]``) has one
    measure per entry."""

    table: str
    values: Values = ()
    """Keys given at table level (typed), without ``groups``, timing and ``grupper``."""
    groups: tuple[str, ...] = dims.GROUPS
    """Groups the table-level rule applies to (canonical order); () when there is none."""
    start_year: Year = None
    full_effect_year: Year = None
    per_group: tuple[GroupValues, ...] = ()

    def __post_init__(self) -> None:
        for start, full in [(self.start_year, self.full_effect_year)] + [
            (g.start_year, g.full_effect_year) for g in self.per_group
        ]:
            if start is not None and full is not None and full < start:
                raise ConfigError(
                    f"[{self.table}]: full_effect_year ({full}) must be >= start_year ({start})"
                )
        if self.has_rule:  # one form for one meaning: defaults filled in
            object.__setattr__(self, "values", filled(self.hook, dict(self.values)))

    @property
    def hook(self) -> Hook:
        return hook(self.table)

    @property
    def has_rule(self) -> bool:
        """True when the table-level values make a rule of their own."""
        given = dict(self.values)
        h = self.hook
        if not h.groups:
            return True
        return any(given.get(k) is not None and given.get(k) is not False for k in h.rule_keys())

    def table_rule(self) -> Rule:
        return Rule(
            self.table,
            filled(self.hook, dict(self.values)),
            self.start_year,
            self.full_effect_year,
        )

    def group_rule(self, g: GroupValues) -> Rule:
        h = self.hook
        merged = overlay(h, dict(self.values), dict(g.values))
        return Rule(self.table, filled(h, merged), g.start_year, g.full_effect_year)

    def rules(self) -> list[tuple[Rule, tuple[str, ...], bool]]:
        """(rule, groups, everyone) for every distinct rule in force: ``everyone`` is True for
        the table-level rule when it was given for all groups (it then also applies to the
        staff outside the 14 groups, on the demand side). Computed once per measure."""
        cached = self.__dict__.get("_rules")
        if cached is None:
            cached = self._rules_uncached()
            object.__setattr__(self, "_rules", cached)
        return list(cached)

    def _rules_uncached(self) -> tuple[tuple[Rule, tuple[str, ...], bool], ...]:
        out: dict[Rule, tuple[list[str], bool]] = {}
        own = {g.group for g in self.per_group}
        if self.has_rule:
            everyone = set(self.groups) >= set(dims.GROUPS) or not self.hook.groups
            rest = [g for g in self.groups if g not in own]
            out[self.table_rule()] = (rest, everyone)
        for g in self.per_group:
            rule = self.group_rule(g)
            groups, everyone = out.get(rule, ([], False))
            out[rule] = ([*groups, g.group], everyone)
        order = {g: i for i, g in enumerate(dims.GROUPS)}
        return tuple(
            (rule, tuple(sorted(groups, key=order.__getitem__)), everyone)
            for rule, (groups, everyone) in out.items()
            if groups or everyone
        )

    def rule_for(self, group: str) -> Rule | None:
        """The rule in force for one group, or None (the group is unchanged)."""
        for g in self.per_group:
            if g.group == group:
                return self.group_rule(g)
        return self.table_rule() if self.has_rule and group in self.groups else None

    @property
    def is_neutral(self) -> bool:
        return all(rule.is_neutral for rule, _, _ in self.rules())

    def phase(self, years: npt.ArrayLike) -> np.ndarray:
        return self.table_rule().phase(years)

    def value(self, name: str) -> Any:
        """A table-level value (its default where not given; None = not set)."""
        return self.table_rule().get(name)

    def __getattr__(self, name: str) -> Any:
        """A table-level value (with its default) as an attribute: ``measure.relative_change``."""
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.table_rule(), name)

    def to_dict(self) -> dict[str, Any]:
        """The measure as config keys (JSON-serialisable, fixed order): the table-level rule with
        all defaults filled, ``groups``, then the ``grupper`` tables with their keys and timing.
        Loads back to the same measure."""
        h = self.hook
        if self.has_rule:
            out = self.table_rule().to_dict()
        else:  # only the keys written at table level (defaults for the group tables)
            services = {k.name for k in h.keys if k.kind == "services"}
            out = {
                k: "all" if v is None else _config(v)
                for k, v in self.values
                if v is not None or k in services
            }
            if h.timing:
                _write_timing(out, self.start_year, self.full_effect_year)
        if h.groups and self.has_rule:
            out["groups"] = "all" if self.groups == dims.GROUPS else list(self.groups)
        if self.per_group:
            out[GROUPS_KEY] = {g.group: _group_config(h, g) for g in self.per_group}
        return out


def _group_config(h: Hook, g: GroupValues) -> dict[str, Any]:
    services = {k.name for k in h.keys if k.kind == "services"}
    out = {
        k: "all" if v is None else _config(v) for k, v in g.values if v is not None or k in services
    }
    if h.timing and not any(isinstance(v, YearPath) for _, v in g.values):
        _write_timing(out, g.start_year, g.full_effect_year)
    return out


def _write_timing(out: dict[str, Any], start: Year, full: Year) -> None:
    """The timing keys that are set (a default start year stays the inputs' default)."""
    if start is not None:
        out["start_year"] = start
    if full is not None:
        out["full_effect_year"] = full
    elif start is not None:
        out["full_effect_year"] = start
