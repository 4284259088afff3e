"""Measure hooks: the typed objects a scenario is made of, and the constants describing them.

Each table of a scenario file (``[stillingsprosent]``, ``[avgangsalder]``, …) becomes one frozen,
fully-defaulted hook object defined here (:class:`PositionShare`, :class:`ExitAge`, …); every
hook has a phase-in (:func:`phase`), knows when it is neutral and serialises itself back to
config keys. :data:`HOOK_TABLES` maps config tables to :class:`~helsemodlite.scenario.Scenario`
attributes. Reading and checking raw TOML into these objects is
:mod:`.check`; files, baselines and merging are
:mod:`.files` (which re-exports every public name here). The semantics the engine
applies are documented in ``docs/scenarios.md``.

This module imports only the standard library and numpy, so that importing it is cheap.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from .. import dims
from ..errors import ConfigError

__all__ = [
    "FIRST_YEAR",
    "HOOK_TABLES",
    "HOOK_TYPES",
    "OUTSIDE_TARGET",
    "REFERENCE_NAME",
    "REFERENCE_STANDARD_GROWTH",
    "SPECIALIST_SERVICES",
    "TIME_THIEVES_COLUMN",
    "TIME_THIEVES_LEVELS",
    "TIME_THIEVES_SHARE",
    "EducationCapacity",
    "ExitAge",
    "GroupCapacity",
    "HealthyAgeing",
    "Immigration",
    "PopulationAlternative",
    "PositionShare",
    "Productivity",
    "SeniorParticipation",
    "SickLeave",
    "StandardGrowth",
    "TaskShift",
    "TimeThieves",
    "phase",
]

REFERENCE_NAME: Final = "referanse"
"""Name of the reference scenario, and the ``baseline`` value meaning "no overrides"."""

FIRST_YEAR: Final = dims.BASE_YEAR + 1
"""First projection year (2025): the earliest ``start_year`` and the default."""

OUTSIDE_TARGET: Final = dims.OUTSIDE_TARGET
"""``to`` value of a task shift that moves work out of the modelled personnel altogether."""

REFERENCE_STANDARD_GROWTH: Final = 0.005
"""Reference annual standard growth (resource use per user), Helsepersonellplan 2040."""

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
# Hook objects
# --------------------------------------------------------------------------------------------


def _key(name: str) -> dict[str, str]:
    """Field metadata: the config key of a field whose attribute name differs from it."""
    return {"key": name}


@dataclass(frozen=True, kw_only=True)
class _Timed:
    """Timing shared by every hook: effect from ``start_year``, full from ``full_effect_year``."""

    start_year: int = FIRST_YEAR
    full_effect_year: int = FIRST_YEAR

    def __post_init__(self) -> None:
        if self.full_effect_year < self.start_year:
            raise ConfigError(
                f"{type(self).__name__}: full_effect_year ({self.full_effect_year}) must be >= "
                f"start_year ({self.start_year}); pass both"
            )

    def phase(self, years: npt.ArrayLike) -> np.ndarray:
        """Effect weight per year in [0, 1] (see :func:`phase`)."""
        return phase(years, self.start_year, self.full_effect_year)

    @property
    def is_neutral(self) -> bool:
        """True when the hook changes nothing relative to the reference path."""
        return False

    def to_dict(self) -> dict[str, Any]:
        """The hook as config keys with all defaults filled (JSON-serialisable, fixed order)."""
        out: dict[str, Any] = {}
        tail: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            key = f.metadata.get("key", f.name)
            if value is None:
                if key == "services":
                    out[key] = "all"
                continue
            target = tail if key in ("start_year", "full_effect_year", "groups") else out
            target[key] = _plain(value, groups=key == "groups", services=key == "services")
        for key in ("start_year", "full_effect_year", "groups"):
            if key in tail:
                out[key] = tail[key]
        return out


@dataclass(frozen=True, kw_only=True)
class _GroupHook(_Timed):
    groups: tuple[str, ...] = dims.GROUPS
    """Group ids the hook applies to, in canonical (``dims.GROUPS``) order."""


@dataclass(frozen=True, kw_only=True)
class PositionShare(_GroupHook):
    """``[stillingsprosent]``: change in average expected årsverk per employed person (E).

    Exactly one of ``relative_change`` (fraction, 0.10 = +10 %) and ``absolute_change``
    (fraction points, 0.05 = +5 points) is set. An increase is capped at ``cap`` (never lowering a
    cell already above it). ``ages`` limits the hook to an inclusive age band.
    """

    relative_change: float | None = None
    absolute_change: float | None = None
    cap: float = 1.0
    ages: tuple[int, int] | None = None

    @property
    def is_neutral(self) -> bool:
        return (self.relative_change or 0.0) == 0.0 and (self.absolute_change or 0.0) == 0.0


@dataclass(frozen=True, kw_only=True)
class ExitAge(_GroupHook):
    """``[avgangsalder]``: exit postponed by ``years`` (may be fractional or negative) from
    ``from_age`` on."""

    years: float
    from_age: int = 62

    @property
    def is_neutral(self) -> bool:
        return self.years == 0.0


@dataclass(frozen=True, kw_only=True)
class SickLeave(_GroupHook):
    """``[sykefravaer]``: sick leave relative to its base-year level (−0.10 = 10 % lower)."""

    relative_change: float

    @property
    def is_neutral(self) -> bool:
        return self.relative_change == 0.0


@dataclass(frozen=True, kw_only=True)
class SeniorParticipation(_GroupHook):
    """``[seniordeltakelse]``: probability of working (P) from ``min_age`` on, changed either
    relatively (``relative_change``) or in fraction points (``absolute_change``)."""

    relative_change: float | None = None
    absolute_change: float | None = None
    min_age: int = 60

    @property
    def is_neutral(self) -> bool:
        return (self.relative_change or 0.0) == 0.0 and (self.absolute_change or 0.0) == 0.0


@dataclass(frozen=True, kw_only=True)
class GroupCapacity(_Timed):
    """``[utdanningskapasitet.grupper.<id>]``: one group's own education-capacity rule, replacing
    the table-level rule for that group. Exactly one of ``relative_change`` and
    ``fixed_graduates`` (persons per year) is set."""

    relative_change: float | None = None
    fixed_graduates: float | None = None

    @property
    def is_neutral(self) -> bool:
        return self.fixed_graduates is None and (self.relative_change or 0.0) == 0.0


@dataclass(frozen=True, kw_only=True)
class EducationCapacity(_GroupHook):
    """``[utdanningskapasitet]``: domestic graduates, changed by ``relative_change`` or growing with
    the population (``follow_population``), with per-group overrides (``group_overrides``,
    config key ``grupper``) that replace the table-level rule for their group."""

    relative_change: float | None = None
    follow_population: bool = False
    group_overrides: Mapping[str, GroupCapacity] = field(
        default_factory=dict, hash=False, metadata=_key("grupper")
    )

    @property
    def is_neutral(self) -> bool:
        return (
            (self.relative_change or 0.0) == 0.0
            and not self.follow_population
            and all(o.is_neutral for o in self.group_overrides.values())
        )

    def rule_for(self, group: str) -> GroupCapacity | EducationCapacity | None:
        """The rule that applies to ``group``: its override, this table, or None (unchanged)."""
        if group in self.group_overrides:
            return self.group_overrides[group]
        return self if group in self.groups else None


@dataclass(frozen=True, kw_only=True)
class Immigration(_GroupHook):
    """``[innvandring]``: inflow of foreign-educated personnel changed by ``relative_change``."""

    relative_change: float

    @property
    def is_neutral(self) -> bool:
        return self.relative_change == 0.0


@dataclass(frozen=True, kw_only=True)
class StandardGrowth(_GroupHook):
    """``[standardvekst]``: annual growth of resource use per user, replacing the reference rate
    from ``start_year``."""

    annual_rate: float

    @property
    def is_neutral(self) -> bool:
        return self.annual_rate == REFERENCE_STANDARD_GROWTH


@dataclass(frozen=True, kw_only=True)
class Productivity(_GroupHook):
    """``[produktivitet]``: annual productivity growth, a demand reduction per year, in the listed
    ``services`` (``None`` = all services; ids are checked by the engine)."""

    annual_rate: float
    services: tuple[str, ...] | None = None

    @property
    def is_neutral(self) -> bool:
        return self.annual_rate == 0.0


@dataclass(frozen=True, kw_only=True)
class HealthyAgeing:
    """``[friskere_aldring]``: healthier ageing on (reference) or off, or scaled by ``strength``,
    for every group and the whole projection (no timing, no groups: it is a property of the
    population)."""

    enabled: bool = True
    strength: float = 1.0

    @property
    def is_neutral(self) -> bool:
        return self.enabled and self.strength == 1.0

    def to_dict(self) -> dict[str, Any]:
        if not self.enabled:  # strength is not a key of a switched-off hook
            return {"enabled": False}
        return {"enabled": True, "strength": self.strength}


@dataclass(frozen=True)
class PopulationAlternative:
    """``[befolkning]``: SSB's national population alternative (reference ``MMMM``)."""

    alternative: str = dims.REFERENCE_POPULATION

    @property
    def is_neutral(self) -> bool:
        return self.alternative == dims.REFERENCE_POPULATION

    def to_dict(self) -> dict[str, Any]:
        return {"alternative": self.alternative}


@dataclass(frozen=True, kw_only=True)
class TaskShift(_Timed):
    """One ``[[oppgavedeling]]`` entry: work moved from ``from_group`` (config key ``from``) to
    ``to`` (a group, an outside category, or ``"utenfor"``), either ``arsverk`` årsverk in the
    full-effect year or a ``share`` of the from group's demand; ``conversion`` årsverk are needed
    in ``to`` per årsverk moved."""

    from_group: str = field(metadata=_key("from"))
    to: str
    arsverk: float | None = None
    share: float | None = None
    service: str | None = None
    conversion: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        if self.to == OUTSIDE_TARGET:
            del out["conversion"]  # not a key of a shift out of the modelled personnel
        return out


@dataclass(frozen=True, kw_only=True)
class TimeThieves(_GroupHook):
    """``[tidstyver]``: working time freed in specialist health services (``services``), at
    ``level`` of Oslo Economics' table, of which ``realised_share`` is realised."""

    level: str
    realised_share: float = 1.0
    services: tuple[str, ...] | None = SPECIALIST_SERVICES

    @property
    def is_neutral(self) -> bool:
        return self.realised_share == 0.0

    def share(self, group: str) -> float:
        """Full-effect share of the group's demand freed (0 for groups not in ``groups``)."""
        if group not in self.groups:
            return 0.0
        return TIME_THIEVES_SHARE[TIME_THIEVES_COLUMN[group]][self.level] * self.realised_share


def _plain(value: Any, *, groups: bool = False, services: bool = False) -> Any:
    """A hook field value as JSON-serialisable config value."""
    if groups and tuple(value) == dims.GROUPS:
        return "all"
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Mapping):
        return {k: v.to_dict() for k, v in sorted(value.items())}
    return value


HOOK_TABLES: Final = {
    "stillingsprosent": "position_share",
    "avgangsalder": "exit_age",
    "sykefravaer": "sick_leave",
    "seniordeltakelse": "senior_participation",
    "utdanningskapasitet": "education_capacity",
    "innvandring": "immigration",
    "standardvekst": "standard_growth",
    "produktivitet": "productivity",
    "friskere_aldring": "healthy_ageing",
    "befolkning": "population",
    "oppgavedeling": "task_shifts",
    "tidstyver": "time_thieves",
}
"""Config table name -> :class:`Scenario` attribute, in canonical order."""

HOOK_TYPES: Final[dict[str, type]] = {
    "position_share": PositionShare,
    "exit_age": ExitAge,
    "sick_leave": SickLeave,
    "senior_participation": SeniorParticipation,
    "education_capacity": EducationCapacity,
    "immigration": Immigration,
    "standard_growth": StandardGrowth,
    "productivity": Productivity,
    "healthy_ageing": HealthyAgeing,
    "population": PopulationAlternative,
    "task_shifts": TaskShift,
    "time_thieves": TimeThieves,
}
"""Scenario attribute -> the type of its hook object (a tuple of :class:`TaskShift` for
``task_shifts``), in the order of :data:`HOOK_TABLES`."""
