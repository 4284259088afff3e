"""Scenario files: parsing, defaults and validation of the measure hooks.

A scenario is a sparse override of a named baseline (the reference path ``"referanse"`` or
another scenario file): it sets only the hooks (measures) that differ from the reference. Each
hook present becomes one typed, fully-defaulted, immutable object; an absent hook is ``None``
and means "as in the reference". The file format, every key, its unit, default and allowed
range, and the semantics the engine applies are documented in ``docs/scenarios.md``.

Validation happens here, at the edge: :func:`load_scenario` and :meth:`Scenario.from_dict`
read the whole document (and its baseline chain), collect every problem and raise a single
:class:`~helsemodlite.errors.ConfigError` listing them all, each naming file, table and key.
Nothing else is ever raised for bad content. The engine trusts a :class:`Scenario`.

This module imports only the standard library and numpy, so that importing it is cheap.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from . import dims
from .errors import ConfigError

__all__ = [
    "FIRST_YEAR",
    "HOOK_TABLES",
    "OUTSIDE_TARGET",
    "REFERENCE_NAME",
    "REFERENCE_STANDARD_GROWTH",
    "TIME_THIEVES_COLUMN",
    "TIME_THIEVES_SHARE",
    "EducationCapacity",
    "ExitAge",
    "GroupCapacity",
    "HealthyAgeing",
    "Immigration",
    "PopulationAlternative",
    "PositionShare",
    "Productivity",
    "Scenario",
    "SeniorParticipation",
    "SickLeave",
    "StandardGrowth",
    "TaskShift",
    "TimeThieves",
    "load_scenario",
    "phase",
]

REFERENCE_NAME: Final = "referanse"
"""Name of the reference scenario, and the ``baseline`` value meaning "no overrides"."""

FIRST_YEAR: Final = dims.BASE_YEAR + 1
"""First projection year (2025): the earliest ``start_year`` and the default."""

OUTSIDE_TARGET: Final = "utenfor"
"""``to`` value of a task shift that moves work out of the modelled personnel altogether."""

REFERENCE_STANDARD_GROWTH: Final = 0.005
"""Reference annual standard growth (resource use per user), Helsepersonellplan 2040."""

MAX_RELATIVE_CHANGE: Final = 5.0
"""Upper bound on every ``relative_change`` (+500 %): larger values are almost surely typos."""

MAX_PERSONS: Final = 1e6
"""Upper bound on counts of persons or årsverk in a scenario (``fixed_graduates``, ``arsverk``)."""

MAX_CHAIN: Final = 20
"""Longest allowed chain of baseline files."""

POSITION_SHARE_MAX: Final = 1.5
"""Upper bound on the ``cap`` of expected årsverk per employed person (as ``schema.FTE_MAX``)."""

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

SPECIALIST_SERVICES: Final = ("somatikk", "psykisk_helsevern", "tsb", "fodsel")
"""Service ids of the specialist health service in the default inputs (about 140 000 årsverk in
2024, the base of Oslo Economics' time-thieves shares): the default scope of ``[tidstyver]``."""

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
class HealthyAgeing(_GroupHook):
    """``[friskere_aldring]``: healthier ageing on (reference) or off, or scaled by ``strength``."""

    enabled: bool = True
    strength: float = 1.0

    @property
    def is_neutral(self) -> bool:
        return self.enabled and self.strength == 1.0


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

_META_KEYS: Final = ("name", "title", "description", "baseline")


# --------------------------------------------------------------------------------------------
# Scenario
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """A resolved scenario: metadata plus one hook object per measure present (None = as in the
    reference). Baseline chains are already merged into the hooks; ``baseline`` and
    ``baseline_chain`` record where they came from."""

    name: str = REFERENCE_NAME
    title: str = "Referansebane"
    description: str = ""
    baseline: str = REFERENCE_NAME
    """``"referanse"`` or the (resolved) path of the parent scenario file."""
    baseline_chain: tuple[str, ...] = ()
    """Parent, grandparent, … scenario files merged into this one (empty for ``referanse``)."""
    source: Path | None = None
    position_share: PositionShare | None = None
    exit_age: ExitAge | None = None
    sick_leave: SickLeave | None = None
    senior_participation: SeniorParticipation | None = None
    education_capacity: EducationCapacity | None = None
    immigration: Immigration | None = None
    standard_growth: StandardGrowth | None = None
    productivity: Productivity | None = None
    healthy_ageing: HealthyAgeing | None = None
    population: PopulationAlternative | None = None
    task_shifts: tuple[TaskShift, ...] | None = None
    time_thieves: TimeThieves | None = None

    @classmethod
    def reference(cls) -> Scenario:
        """The reference path: no overrides."""
        return cls(
            description="SSB's reference path (Helsepersonellplan 2040): no measures.",
        )

    @classmethod
    def from_dict(
        cls,
        d: Mapping[str, Any],
        *,
        name: str | None = None,
        source: str | os.PathLike[str] | None = None,
    ) -> Scenario:
        """Build and validate a scenario from a dict shaped like a scenario file.

        ``name`` overrides the dict's ``name``; problems are reported against ``name`` (or
        ``source``, or ``<dict>``). A relative ``baseline`` path is resolved against the folder of
        ``source`` if given, else the working directory. Raises :class:`ConfigError` listing every
        problem.
        """
        label = name or (str(source) if source is not None else "<dict>")
        src = _as_path(source)
        stack = [(src.resolve(), label)] if src is not None else []
        base_dir = src.parent if src is not None else None
        default_name = src.stem if src is not None else None
        return _build(d, label, base_dir, stack, src, name_override=name, default_name=default_name)

    def hooks(self) -> dict[str, Any]:
        """The hooks present, as ``{config table: hook object}`` in canonical order."""
        out: dict[str, Any] = {}
        for key, attr in HOOK_TABLES.items():
            value = getattr(self, attr)
            if value is not None:
                out[key] = value
        return out

    @property
    def is_reference(self) -> bool:
        """True when no hook changes anything relative to the reference path."""
        for value in self.hooks().values():
            entries = value if isinstance(value, tuple) else (value,)
            if any(not e.is_neutral for e in entries):
                return False
        return True

    def to_dict(self) -> dict[str, Any]:
        """The resolved scenario, all defaults filled: JSON-serialisable, deterministic order.

        Metadata first (name, title, description, source, baseline, baseline_chain), then the
        hooks present in canonical order with their config keys.
        """
        out: dict[str, Any] = {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "source": None if self.source is None else self.source.as_posix(),
            "baseline": self.baseline,
            "baseline_chain": list(self.baseline_chain),
        }
        for key, value in self.hooks().items():
            if isinstance(value, tuple):
                out[key] = [e.to_dict() for e in value]
            else:
                out[key] = value.to_dict()
        return out


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Read, resolve and validate a scenario TOML file.

    A relative ``baseline`` path is resolved against the file's folder; chains are followed and
    merged (child overriding parent key by key), cycles rejected. An empty file is the reference
    scenario. Raises :class:`ConfigError` listing every problem (of the file and its baselines),
    and never anything else.
    """
    label = _label_of(path)
    problems: list[str] = []
    src = _as_path(path)
    if src is None:
        raise ConfigError(f"{label}: not a file path")
    raw = _read_toml(src, label, problems)
    if raw is None:
        raise ConfigError(problems)
    try:
        stack = [(src.resolve(), label)]
    except (OSError, RuntimeError, ValueError):
        stack = []
    return _build(raw, label, src.parent, stack, src, name_override=None, default_name=src.stem)


# --------------------------------------------------------------------------------------------
# Reading and chaining
# --------------------------------------------------------------------------------------------

_Path = tuple[str | int, ...]

_EXCLUSIVE: Final = (
    frozenset({"relative_change", "absolute_change"}),
    frozenset({"relative_change", "fixed_graduates"}),
    frozenset({"relative_change", "follow_population"}),
    frozenset({"arsverk", "share"}),
)
"""Keys that exclude each other: a child setting one drops the other inherited from a parent."""


def _as_path(p: object) -> Path | None:
    if p is None:
        return None
    try:
        return Path(p)  # type: ignore[arg-type]
    except TypeError:
        return None


def _label_of(p: object) -> str:
    try:
        f = os.fspath(p)  # type: ignore[call-overload]
    except TypeError:
        return _show(p)
    return f if isinstance(f, str) else repr(f)


MAX_SCENARIO_BYTES = 1_000_000
"""Scenario files are small; reading stops here (protects against e.g. ``/dev/zero``)."""


def _read_toml(path: Path, label: str, problems: list[str]) -> dict[str, Any] | None:
    """Parse a TOML file; on failure record a problem naming the file and return None."""
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_SCENARIO_BYTES + 1)
        if len(data) > MAX_SCENARIO_BYTES:
            problems.append(f"{label}: larger than {MAX_SCENARIO_BYTES} bytes; not a scenario file")
            return None
    except FileNotFoundError:
        problems.append(f"{label}: file not found")
        return None
    except IsADirectoryError:
        problems.append(f"{label}: is a directory, not a scenario file")
        return None
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        problems.append(f"{label}: cannot read file: {reason}")
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(
            f"{label}: not a UTF-8 text (TOML) file: invalid byte at offset {exc.start}"
        )
        return None
    text = text.removeprefix("\ufeff")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        if "overwrite" in msg or "twice" in msg:
            msg += " (a key or table defined twice?)"
        problems.append(f"{label}: TOML syntax error: {msg}")
    except RecursionError:
        problems.append(f"{label}: TOML document nested too deeply")
    except (ValueError, MemoryError) as exc:
        problems.append(f"{label}: invalid TOML value: {_truncate(str(exc))}")
    return None


def _merge(
    parent: dict[str, Any],
    child: Mapping[Any, Any],
    path: _Path,
    origins: dict[_Path, str],
    label: str,
    depth: int = 0,
) -> dict[str, Any]:
    """Merge ``child`` onto ``parent`` key by key (tables recursively), recording origins."""
    out = dict(parent)
    for k, v in child.items():
        p = (*path, k)
        old = out.get(k)
        if isinstance(v, dict) and isinstance(old, dict) and depth < 3:
            out[k] = _merge(old, v, p, origins, label, depth + 1)
            continue
        if depth >= 1:
            for group in _EXCLUSIVE:
                if k in group:
                    for other in group - {k}:
                        if other in out and other not in child:
                            del out[other]
                            _drop_origins(origins, (*path, other))
        _drop_origins(origins, p)
        out[k] = v
        origins[p] = label
    origins[path] = label
    return out


def _record_origins(
    d: Mapping[Any, Any], path: _Path, label: str, origins: dict[_Path, str], depth: int = 0
) -> None:
    """Record ``label`` as the origin of every key of ``d`` (tables to the merge depth)."""
    for k, v in d.items():
        p = (*path, k)
        origins[p] = label
        if isinstance(v, dict) and depth < 3:
            _record_origins(v, p, label, origins, depth + 1)


def _drop_origins(origins: dict[_Path, str], prefix: _Path) -> None:
    n = len(prefix)
    for p in [p for p in origins if p[:n] == prefix]:
        del origins[p]


def _resolve(
    raw: Mapping[Any, Any],
    label: str,
    base_dir: Path | None,
    stack: list[tuple[Path, str]],
    problems: list[str],
) -> tuple[dict[str, Any], dict[_Path, str], list[str]]:
    """Merge the baseline chain of one document: (hook content, origins, ancestor labels)."""
    own = {k: v for k, v in raw.items() if k not in _META_KEYS}
    baseline = raw.get("baseline", REFERENCE_NAME)
    root: dict[_Path, str] = {(): label}
    _record_origins(own, (), label, root)
    if not isinstance(baseline, str) or baseline in (REFERENCE_NAME, ""):
        return own, root, []  # a wrong type is reported by _check_meta
    try:
        parent_path = Path(baseline)
        if not parent_path.is_absolute():
            parent_path = (base_dir if base_dir is not None else Path.cwd()) / parent_path
        parent_label = os.path.normpath(str(parent_path))
        resolved = parent_path.resolve()
    except (OSError, RuntimeError, ValueError) as exc:
        problems.append(f"{label}: baseline: invalid path {_show(baseline)}: {exc}")
        return own, root, []
    chain_labels = [lab for _, lab in stack]
    if any(resolved == r for r, _ in stack):
        cycle = " -> ".join([*chain_labels, parent_label])
        problems.append(f"{label}: baseline: cycle of baseline files: {cycle}")
        return own, root, []
    if len(stack) > MAX_CHAIN:
        problems.append(f"{label}: baseline: chain of baseline files longer than {MAX_CHAIN}")
        return own, root, []
    parent_problems: list[str] = []
    parent_raw = _read_toml(parent_path, parent_label, parent_problems)
    if parent_raw is None:
        problems.extend(f"{label}: baseline: {p}" for p in parent_problems)
        return own, root, []
    _check_meta(parent_raw, parent_label, problems)
    pmerged, porigins, pchain = _resolve(
        parent_raw, parent_label, parent_path.parent, [*stack, (resolved, parent_label)], problems
    )
    merged = _merge(pmerged, own, (), porigins, label)
    return merged, porigins, [parent_label, *pchain]


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------

_MISSING: Final = object()
_NAME_RE: Final = re.compile(r"^[\w][\w.+\-]*$")


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
    ) -> float | None:
        if key not in tbl:
            return None if default is _MISSING else float(default)
        v = tbl[key]
        if isinstance(v, bool) or not isinstance(v, int | float):
            self.err(tp, key, f"must be a number, got {_show(v)}")
            return None
        if isinstance(v, float) and not math.isfinite(v):
            self.err(tp, key, f"must be a finite number, got {v!r}")
            return None
        shown = _show(v).split(" ", 1)[1]
        if v < lo or (lo_open and v == lo):
            self.err(tp, key, f"must be {'>' if lo_open else '≥'} {_num(lo)}, got {shown}")
            return None
        if v > hi or (hi_open and v == hi):
            self.err(tp, key, f"must be {'<' if hi_open else '≤'} {_num(hi)}, got {shown}")
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
        if isinstance(v, bool) or not isinstance(v, int):
            self.err(tp, key, f"must be an integer, got {_show(v)}")
            return None
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


_TIMING: Final = ("start_year", "full_effect_year")
_GROUPED: Final = (*_TIMING, "groups")


def _read_position_share(c: _Checker, tp: _Path, t: Mapping[Any, Any]) -> PositionShare | None:
    c.keys(tp, t, ("relative_change", "absolute_change", "cap", "ages", *_GROUPED))
    c.one_of(tp, t, ("relative_change", "absolute_change"))
    rel = c.number(tp, t, "relative_change", lo=-1.0, hi=MAX_RELATIVE_CHANGE)
    ab = c.number(tp, t, "absolute_change", lo=-1.0, hi=1.0)
    cap = c.number(tp, t, "cap", lo=0.0, hi=POSITION_SHARE_MAX, lo_open=True, default=1.0)
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
    timing = c.timing(tp, t)
    groups = c.groups(tp, t)
    if timing is None or groups is None or cap is None:
        return None
    return PositionShare(
        relative_change=rel,
        absolute_change=ab,
        cap=cap,
        ages=ages,
        groups=groups,
        start_year=timing[0],
        full_effect_year=timing[1],
    )


def _read_exit_age(c: _Checker, tp: _Path, t: Mapping[Any, Any]) -> ExitAge | None:
    c.keys(tp, t, ("years", "from_age", *_GROUPED))
    c.required(tp, t, "years")
    years = c.number(tp, t, "years", lo=-10.0, hi=10.0)
    from_age = c.integer(tp, t, "from_age", lo=50, hi=dims.AGE_MAX, default=62)
    timing, groups = c.timing(tp, t), c.groups(tp, t)
    if years is None or from_age is None or timing is None or groups is None:
        return None
    return ExitAge(
        years=years,
        from_age=from_age,
        groups=groups,
        start_year=timing[0],
        full_effect_year=timing[1],
    )


def _single_value_reader(
    cls: type[Any], key: str, lo: float, hi: float
) -> Callable[[_Checker, _Path, Mapping[Any, Any]], Any]:
    """Reader of a hook with one required number plus timing and groups (sykefravaer,
    innvandring, standardvekst)."""

    def read(c: _Checker, tp: _Path, t: Mapping[Any, Any]) -> Any:
        c.keys(tp, t, (key, *_GROUPED))
        c.required(tp, t, key)
        value = c.number(tp, t, key, lo=lo, hi=hi)
        timing, groups = c.timing(tp, t), c.groups(tp, t)
        if value is None or timing is None or groups is None:
            return None
        return cls(**{key: value}, groups=groups, start_year=timing[0], full_effect_year=timing[1])

    return read


_read_sick_leave = _single_value_reader(SickLeave, "relative_change", -1.0, MAX_RELATIVE_CHANGE)
_read_immigration = _single_value_reader(Immigration, "relative_change", -1.0, MAX_RELATIVE_CHANGE)
_read_standard_growth = _single_value_reader(StandardGrowth, "annual_rate", -0.05, 0.1)


def _read_senior(c: _Checker, tp: _Path, t: Mapping[Any, Any]) -> SeniorParticipation | None:
    c.keys(tp, t, ("relative_change", "absolute_change", "min_age", *_GROUPED))
    c.one_of(tp, t, ("relative_change", "absolute_change"))
    rel = c.number(tp, t, "relative_change", lo=-1.0, hi=MAX_RELATIVE_CHANGE)
    ab = c.number(tp, t, "absolute_change", lo=-1.0, hi=1.0)
    min_age = c.integer(tp, t, "min_age", lo=dims.AGE_MIN, hi=dims.AGE_MAX, default=60)
    timing, groups = c.timing(tp, t), c.groups(tp, t)
    if min_age is None or timing is None or groups is None:
        return None
    return SeniorParticipation(
        relative_change=rel,
        absolute_change=ab,
        min_age=min_age,
        groups=groups,
        start_year=timing[0],
        full_effect_year=timing[1],
    )


def _read_education(c: _Checker, tp: _Path, t: Mapping[Any, Any]) -> EducationCapacity | None:
    c.keys(tp, t, ("relative_change", "follow_population", "grupper", *_GROUPED))
    rel = c.number(tp, t, "relative_change", lo=-1.0, hi=MAX_RELATIVE_CHANGE)
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
    rel = c.number(gp, t, "relative_change", lo=-1.0, hi=MAX_RELATIVE_CHANGE)
    fixed = c.number(gp, t, "fixed_graduates", lo=0.0, hi=MAX_PERSONS)
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
    c.keys(tp, t, ("annual_rate", "services", *_GROUPED))
    c.required(tp, t, "annual_rate")
    rate = c.number(tp, t, "annual_rate", lo=-0.05, hi=0.1)
    services, ok = c.services(tp, t, None)
    timing, groups = c.timing(tp, t), c.groups(tp, t)
    if rate is None or not ok or timing is None or groups is None:
        return None
    return Productivity(
        annual_rate=rate,
        services=services,
        groups=groups,
        start_year=timing[0],
        full_effect_year=timing[1],
    )


def _read_healthy_ageing(c: _Checker, tp: _Path, t: Mapping[Any, Any]) -> HealthyAgeing | None:
    c.keys(tp, t, ("enabled", "strength", *_GROUPED))
    enabled = c.boolean(tp, t, "enabled", default=True)
    strength = c.number(tp, t, "strength", lo=0.0, hi=5.0, default=1.0)
    if enabled is False and "strength" in t:
        c.err(tp, "strength", "has no effect when enabled = false")
        return None
    timing, groups = c.timing(tp, t), c.groups(tp, t)
    if enabled is None or strength is None or timing is None or groups is None:
        return None
    return HealthyAgeing(
        enabled=enabled,
        strength=strength,
        groups=groups,
        start_year=timing[0],
        full_effect_year=timing[1],
    )


def _read_population(c: _Checker, tp: _Path, t: Mapping[Any, Any]) -> PopulationAlternative | None:
    why = "a population alternative applies to the whole projection"
    c.keys(tp, t, ("alternative",), {k: why for k in _GROUPED})
    if not c.required(tp, t, "alternative"):
        return None
    alt = c.choice(tp, t, "alternative", dims.POPULATION_ALTERNATIVES)
    return None if alt is None else PopulationAlternative(alternative=alt)


def _read_time_thieves(c: _Checker, tp: _Path, t: Mapping[Any, Any]) -> TimeThieves | None:
    c.keys(tp, t, ("level", "realised_share", "services", *_GROUPED))
    level: str | None = None
    if c.required(tp, t, "level"):
        raw = t["level"]
        norm = {**t, "level": "hoy"} if raw in ("høy", "Høy") else t
        level = c.choice(tp, norm, "level", TIME_THIEVES_LEVELS)
    share = c.number(tp, t, "realised_share", lo=0.0, hi=1.0, default=1.0)
    services, ok = c.services(tp, t, SPECIALIST_SERVICES)
    timing, groups = c.timing(tp, t), c.groups(tp, t)
    if level is None or share is None or not ok or timing is None or groups is None:
        return None
    return TimeThieves(
        level=level,
        realised_share=share,
        services=services,
        groups=groups,
        start_year=timing[0],
        full_effect_year=timing[1],
    )


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
    arsverk = c.number(ep, t, "arsverk", lo=0.0, hi=MAX_PERSONS, lo_open=True)
    share = c.number(ep, t, "share", lo=0.0, hi=1.0, lo_open=True)
    service = c.string(ep, t, "service") if "service" in t else None
    conversion = c.number(ep, t, "conversion", lo=0.0, hi=5.0, default=1.0)
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
        if key == "name" and not _NAME_RE.match(v):
            problems.append(
                f"{label}: name: must be a non-empty identifier (letters, digits, _ . + -), "
                f"got {_show(v)}"
            )
            continue
        if key == "baseline" and not v.strip():
            problems.append(f'{label}: baseline: must be "{REFERENCE_NAME}" or a file path')
            continue
        out[key] = v
    return out


def _slug(text: str) -> str:
    s = re.sub(r"[^\w.+\-]+", "_", text.strip()).strip("_.+-")
    return s[:80] if s and _NAME_RE.match(s[:80]) else ""


def _build(
    d: object,
    label: str,
    base_dir: Path | None,
    stack: list[tuple[Path, str]],
    source: Path | None,
    *,
    name_override: str | None,
    default_name: str | None,
) -> Scenario:
    """Resolve, validate and build; raise ConfigError with every problem (and nothing else)."""
    try:
        return _build_unsafe(
            d,
            label,
            base_dir,
            stack,
            source,
            name_override=name_override,
            default_name=default_name,
        )
    except ConfigError:
        raise
    except Exception as exc:  # noqa: BLE001 - the contract: bad content gives ConfigError only
        raise ConfigError(
            f"{label}: internal error while validating the scenario: {_truncate(repr(exc), 200)}"
        ) from exc


def _build_unsafe(
    d: object,
    label: str,
    base_dir: Path | None,
    stack: list[tuple[Path, str]],
    source: Path | None,
    *,
    name_override: str | None,
    default_name: str | None,
) -> Scenario:
    if not isinstance(d, Mapping):
        raise ConfigError(f"{label}: a scenario must be a table (dict), got {_show(d)}")
    problems: list[str] = []
    meta = _check_meta(d, label, problems)
    merged, origins, chain = _resolve(d, label, base_dir, stack, problems)

    def where(path: _Path) -> str:
        for i in range(len(path), -1, -1):
            if path[:i] in origins:
                return origins[path[:i]]
        return label

    c = _Checker(where)
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
    problems.extend(c.problems)
    if problems:
        raise ConfigError(problems)

    if name_override is not None:
        name = name_override
    elif "name" in meta:
        name = meta["name"]
    else:
        name = _slug(default_name or "") or _slug(meta.get("title", "")) or "scenario"
    baseline = meta.get("baseline", REFERENCE_NAME)
    if baseline != REFERENCE_NAME and chain:
        baseline = chain[0]
    return Scenario(
        name=name,
        title=meta.get("title", name),
        description=meta.get("description", ""),
        baseline=baseline,
        baseline_chain=tuple(chain),
        source=source,
        **hooks,
    )
