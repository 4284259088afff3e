"""One declaration per hook: its table, side, documentation, every key with type, default, range,
unit, whether it may vary over time or by group, and the rules between keys.

Everything else about a hook's *form* is derived from its declaration: the generic reader and
its messages (:mod:`.check`), the merge rules of baseline chains and of combined runs, the key
tables of ``docs/scenarios.md`` and the JSON Schema (:mod:`.derived`), the hypothesis strategies
of the tests. What stays hand-written per hook is its *semantics*: one compile function
(:mod:`.compile`).

The registry is :func:`hooks`; :func:`declared` adds a hook for the duration of a ``with``
block (the tests declare a toy hook this way and get validation, docs rows, strategies and
schema from the declaration alone).

This module imports only the standard library, so that importing it is cheap.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

from .. import dims

REQUIRED: Final = "required"
"""Default of a key that must be given."""

ABSENT: Final = "absent"
"""``Key.neutral`` of a key whose presence always changes something (the rule is neutral only
when the key is not set)."""

MAX_RELATIVE_CHANGE: Final = 1.0
"""Upper bound on every ``relative_change`` (+100 %, a doubling): a larger value is almost surely
a percentage written as a whole number, and the message says so."""

MAX_PERSONS: Final = 1e6
"""Upper bound on counts of persons or årsverk in a scenario (``fixed_graduates``, ``arsverk``)."""

POSITION_SHARE_MAX: Final = 1.5
"""Upper bound on the ``cap`` of expected årsverk per employed person (as ``FTE_MAX``)."""

FIRST_YEAR: Final = dims.BASE_YEAR + 1
"""First projection year of the embedded data set (the runtime uses the inputs' own)."""

GROUPS_KEY: Final = "grupper"
"""Sub-table of per-group values: ``[stillingsprosent.grupper.sykepleier]``."""


@dataclass(frozen=True)
class Key:
    """One key of a hook table."""

    name: str
    kind: str
    """``number``, ``integer``, ``boolean``, ``choice``, ``string``, ``services``, ``ages``,
    ``groups`` (``"all"`` or a list of group ids), ``group`` (one group id), ``target`` (a group,
    an outside category or ``"utenfor"``), ``alternative`` (a population alternative of the
    inputs, checked against them when compiled)."""
    default: Any = None
    """The default (``REQUIRED`` when the key must be given; None when absent means "not set")."""
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    fraction: bool = False
    """A fraction (0.05 = 5 %): an out-of-range value that fits as a percentage gets a hint."""
    choices: tuple[str, ...] = ()
    aliases: tuple[tuple[str, str], ...] = ()
    """Spellings accepted for a choice and stored as another (``("høy", "hoy")``)."""
    path: bool = False
    """May be a year-keyed path (``{2026 = 0.02, 2030 = 0.10}``) instead of one value."""
    scope: str = "both"
    """Where the key may stand: ``table`` (the hook table only), ``group`` (only a
    ``grupper.<id>`` table) or ``both``."""
    neutral: Any = None
    """A value at which this key makes a rule change nothing (``ABSENT``: only when not set;
    None: the key does not decide neutrality)."""
    unit: str = ""
    doc: str = ""
    shown_default: str = ""
    """The default as the docs show it, where it is not a plain value."""
    shown_allowed: str = ""
    """The allowed values as the docs show them, where they are not a plain range."""

    @property
    def bounds(self) -> tuple[float, float]:
        assert self.lo is not None and self.hi is not None, self.name
        return self.lo, self.hi

    @property
    def required(self) -> bool:
        return bool(self.default == REQUIRED)


@dataclass(frozen=True)
class Hook:
    """One scenario table (``[stillingsprosent]``, ``[[oppgavedeling]]``, …)."""

    table: str
    attr: str
    """The English name of the measure (``Scenario.<attr>`` in Python)."""
    side: str
    """``tilbud`` (supply) or ``etterspørsel`` (demand)."""
    title: str
    keys: tuple[Key, ...]
    one_of: tuple[tuple[str, ...], ...] = ()
    """Groups of keys of which exactly one must be given in every rule (a boolean counts as given
    when true)."""
    not_with: tuple[tuple[str, str, Any], ...] = ()
    """``(key, other, value)``: ``key`` has no effect, so is refused, when ``other == value``."""
    differ: tuple[tuple[str, str], ...] = ()
    """``(key, other)``: the two must differ."""
    timing: bool = True
    """Takes ``start_year`` and ``full_effect_year``."""
    groups: bool = True
    """Takes ``groups`` and per-group tables (``[<table>.grupper.<id>]``)."""
    array: bool = False
    """An array of tables (``[[oppgavedeling]]``)."""
    no_groups_reason: str = ""
    no_timing_reason: str = ""

    def key(self, name: str) -> Key:
        for k in self.all_keys():
            if k.name == name:
                return k
        raise KeyError(f"[{self.table}] has no key {name!r}")

    def all_keys(self) -> tuple[Key, ...]:
        """Its own keys, then the common timing and groups keys where it takes them."""
        extra = (*(TIMING if self.timing else ()), *((GROUPS,) if self.groups else ()))
        return (*self.keys, *extra)

    def names(self) -> tuple[str, ...]:
        """Keys allowed in the hook table."""
        own = tuple(k.name for k in self.keys if k.scope != "group")
        extra = (*TIMING_NAMES * self.timing, *(("groups", GROUPS_KEY) if self.groups else ()))
        return (*own, *extra)

    def group_names(self) -> tuple[str, ...]:
        """Keys allowed in a per-group table."""
        return (*(k.name for k in self.keys if k.scope != "table"), *TIMING_NAMES * self.timing)

    def rule_keys(self) -> tuple[str, ...]:
        """Keys whose presence makes a rule: the required keys and the one-of keys."""
        out = [k.name for k in self.keys if k.required]
        for group in self.one_of:
            out.extend(n for n in group if n not in out)
        return tuple(out)

    def path_keys(self) -> tuple[str, ...]:
        return tuple(k.name for k in self.keys if k.path)


_REL = "Relative change (0.10 = +10 %)."
_IN_PROJECTION = (
    f"a projection year of the inputs ({FIRST_YEAR} … {dims.HORIZON} for the default data set)"
)
START_YEAR = Key(
    "start_year",
    "integer",
    None,
    dims.YEAR_MIN,
    dims.YEAR_MAX,
    unit="year",
    doc="First year with an effect.",
    shown_default=f"the first projection year (base year + 1: {FIRST_YEAR})",
    shown_allowed=_IN_PROJECTION,
)
FULL_EFFECT_YEAR = Key(
    "full_effect_year",
    "integer",
    None,
    dims.YEAR_MIN,
    dims.YEAR_MAX,
    unit="year",
    doc="First year with the full effect.",
    shown_default="`start_year`",
    shown_allowed="≥ `start_year`, " + _IN_PROJECTION,
)
TIMING: Final = (START_YEAR, FULL_EFFECT_YEAR)
TIMING_NAMES: Final = ("start_year", "full_effect_year")
GROUPS = Key(
    "groups",
    "groups",
    "all",
    choices=dims.GROUPS,
    doc="Groups the table-level values apply to.",
    shown_default='`"all"`',
    shown_allowed="the 14 canonical ids",
)


def _rel(doc: str, default: Any = None) -> Key:
    return Key(
        "relative_change",
        "number",
        default,
        -1.0,
        MAX_RELATIVE_CHANGE,
        fraction=True,
        path=True,
        neutral=0.0,
        doc=doc,
    )


def _annual_rate(doc: str, neutral: Any) -> Key:
    return Key(
        "annual_rate",
        "number",
        REQUIRED,
        -0.05,
        0.1,
        fraction=True,
        path=True,
        neutral=neutral,
        unit="per year",
        doc=doc,
    )


def _abs(doc: str) -> Key:
    return Key(
        "absolute_change", "number", None, -1.0, 1.0, fraction=True, path=True, neutral=0.0, doc=doc
    )


_POPULATION_WIDE = (
    "a property of the population: it applies to every group and to the whole projection"
)

_HOOKS: list[Hook] = [
    Hook(
        "stillingsprosent",
        "position_share",
        "tilbud",
        "position share (heltid)",
        (
            _rel("Relative change of *E* (0.10 = +10 %)."),
            _abs("Change of *E* in fraction points (0.05 = +5 points)."),
            Key(
                "cap",
                "number",
                1.0,
                0.0,
                POSITION_SHARE_MAX,
                lo_open=True,
                doc="Highest *E* an increase may reach (1.0 = 100 %).",
            ),
            Key(
                "per_person",
                "boolean",
                False,
                doc="Cap per person instead of on the cell average: full-timers (the cell's "
                "`fulltime_share`) cannot rise, part-timers rise up to `cap`. Default: the "
                "average, as Helsemod.",
            ),
            Key(
                "ages",
                "ages",
                None,
                dims.AGE_MIN,
                dims.AGE_MAX,
                doc="Inclusive age band the hook applies to.",
                shown_default="all ages",
                shown_allowed=f"{dims.AGE_MIN} ≤ min ≤ max ≤ {dims.AGE_MAX}",
            ),
        ),
        one_of=(("relative_change", "absolute_change"),),
    ),
    Hook(
        "avgangsalder",
        "exit_age",
        "tilbud",
        "later exit",
        (
            Key(
                "years",
                "number",
                REQUIRED,
                -10.0,
                10.0,
                path=True,
                neutral=0.0,
                unit="years",
                doc="Exit postponed by this many years (fractional or negative allowed).",
            ),
            Key(
                "from_age",
                "integer",
                62,
                50,
                dims.AGE_MAX,
                unit="age",
                doc="Age from which the age profile is shifted.",
            ),
        ),
    ),
    Hook(
        "sykefravaer",
        "sick_leave",
        "tilbud",
        "sick leave",
        (
            _rel(
                "Sick leave relative to its base-year level (−0.10 = 10 % lower). −1 = no sick "
                "leave.",
                default=REQUIRED,
            ),
        ),
    ),
    Hook(
        "seniordeltakelse",
        "senior_participation",
        "tilbud",
        "participation of seniors",
        (
            _rel("Relative change of *P* (0.10 = +10 %)."),
            _abs("Change of *P* in fraction points (0.10 = +10 points)."),
            Key(
                "min_age",
                "integer",
                60,
                dims.AGE_MIN,
                dims.AGE_MAX,
                unit="age",
                doc="Applies at ages ≥ `min_age`.",
            ),
        ),
        one_of=(("relative_change", "absolute_change"),),
    ),
    Hook(
        "utdanningskapasitet",
        "education_capacity",
        "tilbud",
        "education capacity",
        (
            _rel("Relative change of domestic graduates *G* (0.10 = +10 %)."),
            Key(
                "follow_population",
                "boolean",
                False,
                neutral=False,
                doc="Capacity grows each year with the population.",
            ),
            Key(
                "fixed_graduates",
                "number",
                None,
                0.0,
                MAX_PERSONS,
                path=True,
                scope="group",
                neutral=ABSENT,
                unit="persons a year",
                doc="The group's domestic graduates fixed at this many persons a year (only in "
                "a `grupper.<id>` table).",
            ),
            Key(
                "study_places",
                "number",
                None,
                -MAX_PERSONS,
                MAX_PERSONS,
                path=True,
                neutral=0.0,
                unit="study places a year",
                doc="Extra study places a year from `start_year` (negative: fewer): graduates "
                "rise by places × `completion_rate` `programme_years` later (`education.csv`).",
            ),
        ),
        one_of=(("relative_change", "follow_population", "fixed_graduates", "study_places"),),
    ),
    Hook(
        "innvandring",
        "immigration",
        "tilbud",
        "immigration of qualified personnel",
        (
            _rel(
                "Relative change of the inflow *I* of foreign-educated personnel.",
                default=REQUIRED,
            ),
        ),
    ),
    Hook(
        "standardvekst",
        "standard_growth",
        "etterspørsel",
        "standard growth",
        (
            _annual_rate(
                "Annual growth of resource use per user (reference: `standard_growth` of "
                "`parameters.csv`, 0.005).",
                neutral=ABSENT,
            ),
        ),
    ),
    Hook(
        "produktivitet",
        "productivity",
        "etterspørsel",
        "productivity growth",
        (
            _annual_rate("Demand reduction per year (0.005 = 0.5 % a year).", neutral=0.0),
            Key(
                "services",
                "services",
                "all",
                doc="Services affected.",
                shown_default='`"all"`',
                shown_allowed="non-empty strings (checked by the engine against the inputs)",
            ),
        ),
    ),
    Hook(
        "friskere_aldring",
        "healthy_ageing",
        "etterspørsel",
        "healthier ageing",
        (
            Key(
                "enabled",
                "boolean",
                True,
                neutral=True,
                doc="Healthier ageing for people over 55 on or off.",
                shown_default="true (as in the reference)",
            ),
            Key(
                "strength",
                "number",
                1.0,
                0.0,
                5.0,
                path=True,
                neutral=1.0,
                doc="Multiplier on the reference healthier-ageing effect (2 = twice the "
                "improvement). Not allowed with `enabled = false`.",
            ),
        ),
        not_with=(("strength", "enabled", False),),
        timing=False,
        groups=False,
        no_groups_reason=_POPULATION_WIDE,
        no_timing_reason=_POPULATION_WIDE + " (a year-keyed `strength` varies it over time)",
    ),
    Hook(
        "befolkning",
        "population",
        "etterspørsel",
        "population alternative",
        (
            Key(
                "alternative",
                "alternative",
                REQUIRED,
                neutral=dims.REFERENCE_POPULATION,
                doc="SSB national alternative (fertility, life expectancy, internal migration, "
                "immigration) of the inputs' population files.",
                shown_allowed="an alternative of the inputs (default set: "
                + ", ".join(f"`{a}`" for a in dims.POPULATION_ALTERNATIVES)
                + "; checked against the inputs)",
            ),
        ),
        timing=False,
        groups=False,
        no_groups_reason="a population alternative applies to the whole projection",
        no_timing_reason="a population alternative applies to the whole projection",
    ),
    Hook(
        "oppgavedeling",
        "task_shifts",
        "etterspørsel",
        "task shifting",
        (
            Key(
                "from",
                "group",
                REQUIRED,
                choices=dims.GROUPS,
                neutral=ABSENT,
                doc="Group whose demand is reduced.",
                shown_allowed="the 14 groups",
            ),
            Key(
                "to",
                "target",
                REQUIRED,
                choices=(*dims.GROUPS, *dims.OUTSIDE, dims.OUTSIDE_TARGET),
                doc=f'Receiving group/category; `"{dims.OUTSIDE_TARGET}"` = non-health occupations '
                "or technology, counted nowhere. Must differ from `from`.",
                shown_allowed="a group id, "
                + ", ".join(f"`{c}`" for c in dims.OUTSIDE)
                + f', or `"{dims.OUTSIDE_TARGET}"`',
            ),
            Key(
                "arsverk",
                "number",
                None,
                0.0,
                MAX_PERSONS,
                lo_open=True,
                path=True,
                unit="årsverk",
                doc="Årsverk moved **in the full-effect year** (of a path: in its last year; "
                "earlier years move the path's value scaled by the group's demand then / in "
                "the last year).",
            ),
            Key(
                "share",
                "number",
                None,
                0.0,
                1.0,
                lo_open=True,
                fraction=True,
                path=True,
                doc="Share of the `from` group's demand moved.",
            ),
            Key(
                "service",
                "string",
                None,
                doc="Service area in which the work moves.",
                shown_default="all services",
                shown_allowed="a service id (checked by the engine)",
            ),
            Key(
                "conversion",
                "number",
                1.0,
                0.0,
                5.0,
                doc="Årsverk needed in `to` per årsverk moved. Not allowed with "
                f'`to = "{dims.OUTSIDE_TARGET}"`.',
            ),
        ),
        one_of=(("arsverk", "share"),),
        not_with=(("conversion", "to", dims.OUTSIDE_TARGET),),
        differ=(("to", "from"),),
        groups=False,
        array=True,
        no_groups_reason="the groups are given by from and to",
    ),
    Hook(
        "tidstyver",
        "time_thieves",
        "etterspørsel",
        "time thieves",
        (
            Key(
                "level",
                "choice",
                REQUIRED,
                choices=("lav", "middels", "hoy"),
                aliases=(("høy", "hoy"), ("Høy", "hoy")),
                doc="Scenario of Oslo Economics' table.",
                shown_allowed='`"lav"`, `"middels"`, `"hoy"` (`"høy"` accepted, stored as `"hoy"`)',
            ),
            Key(
                "realised_share",
                "number",
                1.0,
                0.0,
                1.0,
                fraction=True,
                path=True,
                neutral=0.0,
                doc="Share of the potential that is realised (the table's categories overlap).",
            ),
            Key(
                "services",
                "services",
                list(dims.SPECIALIST_SERVICES),
                doc="Services of the specialist health services the freed time applies to "
                "(default: the whole specialist health service of the default inputs, about "
                "140 000 årsverk).",
                shown_default="`" + str(list(dims.SPECIALIST_SERVICES)).replace("'", '"') + "`",
                shown_allowed="service ids (checked by the engine)",
            ),
        ),
    ),
]


def hooks() -> tuple[Hook, ...]:
    """Every declared hook, in canonical order (the order of ``docs/scenarios.md``, of
    ``to_dict`` and of the compile functions' application)."""
    return tuple(_HOOKS)


def hook(table: str) -> Hook:
    """The declaration of one table (KeyError if there is none)."""
    for h in _HOOKS:
        if h.table == table:
            return h
    raise KeyError(table)


def tables() -> tuple[str, ...]:
    return tuple(h.table for h in _HOOKS)


def exclusive_groups() -> tuple[frozenset[str], ...]:
    """Keys that exclude each other (a child file setting one drops the others it inherits)."""
    out: list[frozenset[str]] = []
    for h in _HOOKS:
        out.extend(frozenset(g) for g in h.one_of if frozenset(g) not in out)
    return tuple(out)


@contextmanager
def declared(extra: Hook) -> Iterator[Hook]:
    """Declare ``extra`` for the duration of the block (a test seam: a toy hook)."""
    if extra.table in tables():
        raise ValueError(f"[{extra.table}] is declared already")
    _HOOKS.append(extra)
    try:
        yield extra
    finally:
        _HOOKS.remove(extra)


def spec(table: str, key: str) -> dict[str, Any]:
    """Keyword arguments of :meth:`~.check._Checker.number` / ``integer`` for a declared key."""
    k = hook(table).key(key)
    out: dict[str, Any] = {"lo": k.lo, "hi": k.hi}
    if k.kind == "number":
        out["lo_open"] = k.lo_open
        out["fraction"] = k.fraction
    return out
