"""One declaration per hook: its table, side, documentation and every key with type, default,
range, unit and one-of rules.

From these declarations come the ranges and allowed keys the readers of :mod:`.check` enforce,
the key tables of ``docs/scenarios.md`` (:func:`docs_tables`; a test keeps them current), the
JSON Schema of a scenario file (:func:`json_schema`, ``helsemodlite scenarios schema``) and the
ranges of the property-based tests. What stays hand-written per hook is its semantics: the
cross-key rules of its reader and one compile function (:mod:`.compile`).

This module imports only the standard library, so that importing it is cheap.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Final

from .. import dims

REQUIRED: Final = "required"
"""Default of a key that must be given."""

MAX_RELATIVE_CHANGE: Final = 1.0
"""Upper bound on every ``relative_change`` (+100 %, a doubling): a larger value is almost surely
a percentage written as a whole number, and the message says so."""

MAX_PERSONS: Final = 1e6
"""Upper bound on counts of persons or årsverk in a scenario (``fixed_graduates``, ``arsverk``)."""

POSITION_SHARE_MAX: Final = 1.5
"""Upper bound on the ``cap`` of expected årsverk per employed person (as ``FTE_MAX``)."""

FIRST_YEAR: Final = dims.BASE_YEAR + 1


@dataclass(frozen=True)
class Key:
    """One key of a hook table."""

    name: str
    kind: str
    """``number``, ``integer``, ``boolean``, ``choice``, ``string``, ``services``, ``ages``,
    ``table`` (a table of per-group tables), ``groups``."""
    default: Any = None
    """The default (``REQUIRED`` when the key must be given; None when absent means "not set")."""
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    fraction: bool = False
    """A fraction (0.05 = 5 %): an out-of-range value that fits as a percentage gets a hint."""
    choices: tuple[str, ...] = ()
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


@dataclass(frozen=True)
class Hook:
    """One scenario table (``[stillingsprosent]``, ``[[oppgavedeling]]``, …)."""

    table: str
    attr: str
    """The attribute of :class:`~helsemodlite.scenarios.files.Scenario` it fills."""
    side: str
    """``tilbud`` (supply) or ``etterspørsel`` (demand)."""
    title: str
    keys: tuple[Key, ...]
    one_of: tuple[tuple[str, str], ...] = ()
    """Pairs of keys of which exactly one must be given."""
    timing: bool = True
    groups: bool = True
    array: bool = False
    """An array of tables (``[[oppgavedeling]]``)."""

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
        return tuple(k.name for k in self.all_keys())


_REL = "Relative change (0.10 = +10 %)."
START_YEAR = Key(
    "start_year",
    "integer",
    FIRST_YEAR,
    FIRST_YEAR,
    dims.HORIZON,
    unit="year",
    doc="First year with an effect.",
    shown_default=f"{FIRST_YEAR} (`BASE_YEAR + 1`)",
)
FULL_EFFECT_YEAR = Key(
    "full_effect_year",
    "integer",
    None,
    FIRST_YEAR,
    dims.HORIZON,
    unit="year",
    doc="First year with the full effect.",
    shown_default="`start_year`",
    shown_allowed=f"`start_year` … {dims.HORIZON}",
)
TIMING: Final = (START_YEAR, FULL_EFFECT_YEAR)
GROUPS = Key(
    "groups",
    "groups",
    "all",
    choices=dims.GROUPS,
    doc="Groups the hook applies to.",
    shown_default='`"all"`',
    shown_allowed="the 14 canonical ids",
)


def _rel(doc: str, default: Any = None) -> Key:
    return Key(
        "relative_change", "number", default, -1.0, MAX_RELATIVE_CHANGE, fraction=True, doc=doc
    )


def _annual_rate(doc: str) -> Key:
    return Key(
        "annual_rate", "number", REQUIRED, -0.05, 0.1, fraction=True, unit="per year", doc=doc
    )


def _abs(doc: str) -> Key:
    return Key("absolute_change", "number", None, -1.0, 1.0, fraction=True, doc=doc)


HOOKS: Final = (
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
                doc="Capacity grows each year with the population.",
            ),
            Key(
                "grupper",
                "table",
                None,
                doc="Per-group rules replacing the table-level rule for that group.",
                shown_default="none",
                shown_allowed="keys = group ids",
            ),
        ),
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
        (_annual_rate("Annual growth of resource use per user (reference 0.005)."),),
    ),
    Hook(
        "produktivitet",
        "productivity",
        "etterspørsel",
        "productivity growth",
        (
            _annual_rate("Demand reduction per year (0.005 = 0.5 % a year)."),
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
                doc="Healthier ageing for people over 55 on or off.",
                shown_default="true (as in the reference)",
            ),
            Key(
                "strength",
                "number",
                1.0,
                0.0,
                5.0,
                doc="Multiplier on the reference healthier-ageing effect (2 = twice the "
                "improvement). Not allowed with `enabled = false`.",
            ),
        ),
        timing=False,
        groups=False,
    ),
    Hook(
        "befolkning",
        "population",
        "etterspørsel",
        "population alternative",
        (
            Key(
                "alternative",
                "choice",
                REQUIRED,
                choices=dims.POPULATION_ALTERNATIVES,
                doc="SSB 2024 national alternative (fertility, life expectancy, internal "
                "migration, immigration).",
            ),
        ),
        timing=False,
        groups=False,
    ),
    Hook(
        "oppgavedeling",
        "task_shifts",
        "etterspørsel",
        "task shifting",
        (
            Key(
                "from",
                "choice",
                REQUIRED,
                choices=dims.GROUPS,
                doc="Group whose demand is reduced.",
                shown_allowed="the 14 groups",
            ),
            Key(
                "to",
                "choice",
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
                unit="årsverk",
                doc="Årsverk moved **in the full-effect year**.",
            ),
            Key(
                "share",
                "number",
                None,
                0.0,
                1.0,
                lo_open=True,
                fraction=True,
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
        groups=False,
        array=True,
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
)
"""Every hook, in canonical order (the order of ``docs/scenarios.md`` and of to_dict)."""

HOOK_BY_TABLE: Final = {h.table: h for h in HOOKS}

GROUP_CAPACITY: Final = (
    _rel("Relative change of this group's graduates."),
    Key(
        "fixed_graduates",
        "number",
        None,
        0.0,
        MAX_PERSONS,
        unit="persons a year",
        doc="This group's domestic graduates fixed at this many persons a year.",
    ),
)
GROUP_TIMING: Final = (
    Key(
        "start_year",
        "integer",
        None,
        FIRST_YEAR,
        dims.HORIZON,
        shown_default="the table's `start_year`",
    ),
    Key(
        "full_effect_year",
        "integer",
        None,
        FIRST_YEAR,
        dims.HORIZON,
        shown_default="the table's `full_effect_year` if `start_year` is not set here, else "
        "this `start_year`",
        shown_allowed=f"≥ `start_year`, ≤ {dims.HORIZON}",
    ),
)
"""Keys of an ``[utdanningskapasitet.grupper.<id>]`` table (besides the timing keys)."""


def spec(table: str, key: str) -> dict[str, Any]:
    """Keyword arguments of :meth:`~.check._Checker.number` / ``integer`` for a declared key."""
    k = HOOK_BY_TABLE[table].key(key) if table != "grupper" else _group_key(key)
    out: dict[str, Any] = {"lo": k.lo, "hi": k.hi}
    if k.kind == "number":
        out["lo_open"] = k.lo_open
        out["fraction"] = k.fraction
    if k.default is not None and k.default != REQUIRED:
        out["default"] = k.default
    return out


def _group_key(key: str) -> Key:
    for k in GROUP_CAPACITY:
        if k.name == key:
            return k
    raise KeyError(key)


# -- docs ---------------------------------------------------------------------------------------


def _num(v: float) -> str:
    if v == int(v) and abs(v) >= 10_000:
        return f"{int(v):,}".replace(",", " ")
    return f"{v:g}".replace("-", "−")


def _type(k: Key) -> str:
    return {
        "number": "float",
        "integer": "int",
        "boolean": "bool",
        "choice": "string",
        "string": "string",
        "services": '`"all"` or list of service ids',
        "ages": "`[min, max]` ints",
        "table": "table of tables",
        "groups": '`"all"` or list of group ids',
    }[k.kind]


def _default(k: Key) -> str:
    if k.shown_default:
        return k.shown_default
    if k.default == REQUIRED:
        return "— (required)"
    if k.default is None:
        return "—"
    if isinstance(k.default, bool):
        return "true" if k.default else "false"
    if isinstance(k.default, float):
        return f"{k.default:.1f}" if k.default == int(k.default) else _num(k.default)
    return _num(k.default) if isinstance(k.default, int) else f"`{k.default}`"


def _allowed(k: Key) -> str:
    if k.shown_allowed:
        return k.shown_allowed
    if k.kind == "choice":
        return ", ".join(f'`"{c}"`' for c in k.choices)
    if k.lo is None or k.hi is None:
        return ""
    if k.lo_open:
        return f"({_num(k.lo)}, {_num(k.hi)}]"
    return f"{_num(k.lo)} … {_num(k.hi)}"


def key_rows(keys: tuple[Key, ...]) -> list[str]:
    """Markdown table of keys: Key, Type, Default, Allowed, Meaning."""
    rows = ["| Key | Type | Default | Allowed | Meaning |", "|---|---|---|---|---|"]
    for k in keys:
        cells = [f"`{k.name}`", _type(k), _default(k), _allowed(k), k.doc]
        rows.append(("| " + " | ".join(cells) + " |").replace("|  |", "| |"))
    return rows


def docs_tables() -> dict[str, str]:
    """The generated key table of every hook (and of the common keys), by marker name."""
    out = {"common": "\n".join(key_rows((*TIMING, GROUPS)))}
    for h in HOOKS:
        rows = key_rows(h.keys)
        if h.timing and h.groups:
            rows.append("| + timing, `groups` | | | | |")
        elif h.timing:
            rows.append(
                "| `start_year`, `full_effect_year` | | | | Timing as above (no `groups`). |"
            )
        out[h.table] = "\n".join(rows)
    out["grupper"] = "\n".join(key_rows((*GROUP_CAPACITY, *GROUP_TIMING)))
    return out


_MARKER = re.compile(r"(<!-- keys:(\w+) -->\n)(.*?)(\n<!-- /keys -->)", re.S)


def render_docs(text: str) -> str:
    """``text`` (docs/scenarios.md) with every ``<!-- keys:NAME -->`` block regenerated."""
    tables = docs_tables()
    return _MARKER.sub(lambda m: m[1] + tables[m[2]] + m[4], text)


# -- JSON Schema --------------------------------------------------------------------------------


def _key_schema(k: Key) -> dict[str, Any]:
    doc = {"description": k.doc} if k.doc else {}
    if k.kind in ("number", "integer"):
        out: dict[str, Any] = {"type": "number" if k.kind == "number" else "integer", **doc}
        if k.lo is not None and math.isfinite(k.lo):
            out["exclusiveMinimum" if k.lo_open else "minimum"] = k.lo
        if k.hi is not None and math.isfinite(k.hi):
            out["maximum"] = k.hi
        return out
    if k.kind == "boolean":
        return {"type": "boolean", **doc}
    if k.kind == "choice":
        return {"type": "string", "enum": list(k.choices), **doc}
    if k.kind == "string":
        return {"type": "string", "minLength": 1, **doc}
    if k.kind in ("groups", "services"):
        item: dict[str, Any] = {"type": "string", "minLength": 1}
        if k.kind == "groups":
            item = {"type": "string", "enum": list(dims.GROUPS)}
        return {
            "anyOf": [
                {"const": "all"},
                {"type": "array", "items": item, "minItems": 1, "uniqueItems": True},
            ],
            **doc,
        }
    if k.kind == "ages":
        bound = {"type": "integer", "minimum": k.lo, "maximum": k.hi}
        return {"type": "array", "items": bound, "minItems": 2, "maxItems": 2, **doc}
    if k.kind == "table":
        group = {
            "type": "object",
            "properties": {g.name: _key_schema(g) for g in (*GROUP_CAPACITY, *TIMING)},
            "additionalProperties": False,
        }
        return {
            "type": "object",
            "propertyNames": {"enum": list(dims.GROUPS)},
            "additionalProperties": group,
            **doc,
        }
    raise ValueError(k.kind)


def _hook_schema(h: Hook) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "object",
        "description": f"{h.title} ({h.side})",
        "properties": {k.name: _key_schema(k) for k in h.all_keys()},
        "additionalProperties": False,
    }
    required = [k.name for k in h.keys if k.default == REQUIRED]
    if required:
        out["required"] = required
    if h.one_of:
        out["allOf"] = [  # exactly one of a and b
            {"not": {"required": [a, b]}, "anyOf": [{"required": [a]}, {"required": [b]}]}
            for a, b in h.one_of
        ]
    if h.array:
        return {"type": "array", "items": out, "description": out["description"]}
    return out


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a scenario file, from the declarations: editors such as
    VS Code (with a TOML extension) validate scenario files against it. Checks the engine makes
    against the inputs (service ids) and cross-key rules beyond one-of are not in it."""
    meta = {
        "name": {"type": "string", "pattern": r"^[\w][\w.+\-]*$", "maxLength": 100},
        "title": {"type": "string"},
        "description": {"type": "string"},
        "baseline": {
            "type": "string",
            "minLength": 1,
            "description": '"referanse", a scenario file path or a shipped scenario name',
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "helsemodlite scenario",
        "type": "object",
        "properties": {**meta, **{h.table: _hook_schema(h) for h in HOOKS}},
        "additionalProperties": False,
    }


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - maintainers' tool
    """Regenerate the key tables of a docs file in place: ``python -m
    helsemodlite.scenarios.declarations docs/scenarios.md``."""
    import sys
    from pathlib import Path

    args = sys.argv[1:] if argv is None else argv
    for name in args:
        path = Path(name)
        path.write_text(render_docs(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
