"""Hypothesis strategies and toy builders for the property tests.

- :func:`toy_fields` draws random overrides for :func:`helsemodlite.testing.toy_inputs` (stocks,
  P in [0, 1], E in [0, 1.2], mortality and exit rates, inflows, sick leave, populations, use
  profiles, standard growth, calibration terms); :func:`toys` turns them into an ``Inputs``.
- :func:`senior_toy` is a toy whose personnel ages are 55–69, so that ``[avgangsalder]`` (which
  acts from age 50 on) has something to act on; :func:`long_toy` has years 2024–2040 so that the
  gap table and the CLI work on it.
- :func:`scenario_dicts` draws valid scenario dicts for the toy (every hook, all keys).
- :func:`toml_documents` draws arbitrary TOML text built from random nested values with the real
  table and key names mixed in; :func:`mangled_toml` draws damaged valid scenario files.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from helsemodlite import Inputs, dims
from helsemodlite.model.inputs import Calibration
from helsemodlite.scenarios.declarations import GROUPS_KEY, Hook, Key, hook, hooks
from helsemodlite.testing import TOY_GROUPS, TOY_POP_AGES, TOY_YEARS, toy_inputs

CELL = (len(TOY_GROUPS), 2, 5)
N_YEARS = len(TOY_YEARS)
N_POP = len(TOY_POP_AGES)
TOY_SERVICES = ("a", "b")
TOY_OUTSIDE = "uten_relevant_helseutdanning"
TOY_PARAMETERS = {
    "standard_growth": 0.0,
    "healthy_ageing_min_age": 25.0,
    "healthy_ageing_share": 0.5,
    "initial_shortage_total": 0.0,
}


def floats(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, width=64)


def declared(table: str, key: str) -> st.SearchStrategy[Any]:
    """Values of a declared key across its whole declared range (the hook declarations of
    helsemodlite.scenarios.declarations are the one source of ranges)."""
    k = hook(table).key(key)
    assert k.lo is not None and k.hi is not None, (table, key)
    if k.kind == "integer":
        return st.integers(int(k.lo), int(k.hi))
    lo = k.lo + 1e-9 if k.lo_open else k.lo
    return floats(lo, k.hi)


def grid(shape: tuple[int, ...], lo: float, hi: float) -> st.SearchStrategy[np.ndarray]:
    """A float64 array of ``shape`` with values in [lo, hi]."""
    return arrays(np.float64, shape, elements=floats(lo, hi))


@st.composite
def toy_fields(draw: st.DrawFn, *, calibration: bool = True) -> dict[str, Any]:
    """Random overrides for ``toy_inputs`` (same shapes as the toy: 2 groups, 5 ages, 4 years).

    Death probability ≤ 0.5 and exit rate ≤ 0.4, so that survivors are never negative; the
    base-year population and use are positive, so that the demand index is defined.
    """
    out: dict[str, Any] = {
        "stock": draw(grid(CELL, 0.0, 1000.0)),
        "p_work": draw(grid(CELL, 0.0, 1.0)),
        "fte": draw(grid(CELL, 0.0, 1.2)),
        "fulltime_share": draw(grid(CELL, 0.0, 1.0)),
        "sick_leave": draw(grid(CELL, 0.0, 0.5)),
        "exit_rate": draw(grid(CELL, 0.0, 0.4)),
        "graduates": draw(grid(CELL, 0.0, 50.0)),
        "immigrants": draw(grid(CELL, 0.0, 50.0)),
        "mortality": draw(grid((1, N_YEARS, 2, N_POP), 0.0, 0.5)),
        "population": draw(grid((1, N_YEARS, 2, N_POP), 1.0, 1000.0)),
        "use": draw(grid((2, 2, N_POP), 0.01, 5.0)),
        "parameters": {**TOY_PARAMETERS, "standard_growth": draw(floats(0.0, 0.02))},
    }
    if calibration:
        n = len(TOY_GROUPS)
        out["calibration"] = Calibration(
            graduates_factor=draw(grid((n,), 0.5, 2.0)),
            immigrants_factor=draw(grid((n,), 0.5, 2.0)),
            exit_factor=draw(grid((n,), 0.5, 2.0)),
            initial_shortage=draw(grid((n,), -50.0, 50.0)),
            demand_trend=draw(grid((n,), -0.02, 0.02)),
        )
    return out


def toys(*, calibration: bool = True) -> st.SearchStrategy[Inputs]:
    """Random toy ``Inputs``."""
    return toy_fields(calibration=calibration).map(lambda f: toy_inputs(**f))


def default_inputs() -> Inputs | None:
    """The embedded default data set, or None while it is not there (it is built separately)."""
    import helsemodlite as hm

    try:
        return hm.load_inputs()
    except (hm.InputError, OSError):
        return None


def long_toy(n_years: int = 17, **overrides: Any) -> Inputs:
    """The toy with years 2024 … 2024 + n_years − 1 (17 years reach the 2040 gap-table column)."""
    fields: dict[str, Any] = {
        "years": tuple(range(dims.BASE_YEAR, dims.BASE_YEAR + n_years)),
        "population": np.full((1, n_years, 2, N_POP), 100.0),
        "mortality": np.zeros((1, n_years, 2, N_POP)),
        "births": np.full((1, n_years), 100.0),
    }
    fields.update(overrides)
    return toy_inputs(**fields)


SENIOR_AGES = tuple(range(55, 70))
SENIOR_POP_AGES = tuple(range(80))


def senior_toy(p_work: np.ndarray, fte: np.ndarray, **overrides: Any) -> Inputs:
    """A toy with personnel ages 55–69 (P and E given as (group, sex, age) arrays), no deaths,
    no exits, no inflows, 10 persons per cell."""
    cell = (len(TOY_GROUPS), 2, len(SENIOR_AGES))
    n_pop = len(SENIOR_POP_AGES)
    fields: dict[str, Any] = {
        "ages": SENIOR_AGES,
        "pop_ages": SENIOR_POP_AGES,
        "population": np.full((1, N_YEARS, 2, n_pop), 100.0),
        "mortality": np.zeros((1, N_YEARS, 2, n_pop)),
        "use": np.ones((2, 2, n_pop)),
        "stock": np.full(cell, 10.0),
        "p_work": p_work,
        "fte": fte,
        "exit_rate": np.zeros(cell),
        "graduates": np.zeros(cell),
        "immigrants": np.zeros(cell),
        "sick_leave": np.full(cell, 0.1),
    }
    fields.update(overrides)
    return toy_inputs(**fields)


@st.composite
def declining_profiles(draw: st.DrawFn, n_ages: int = len(SENIOR_AGES)) -> np.ndarray:
    """(group, sex, age) arrays in [0, 1] that never rise with age (like P after 60)."""
    raw = draw(grid((len(TOY_GROUPS), 2, n_ages), 0.0, 1.0))
    return -np.sort(-raw, axis=-1)


# ------------------------------------------------------------------------------------------------
# Scenario dicts for the toy, derived from the hook declarations


TOY_LAST = TOY_YEARS[-1]
"""Scenario years must be projection years of the inputs: the toy's run to TOY_LAST."""


@st.composite
def timing(draw: st.DrawFn, last: int = TOY_LAST) -> dict[str, int]:
    out: dict[str, int] = {}
    if draw(st.booleans()):
        out["start_year"] = draw(st.integers(TOY_YEARS[1], last))
        if draw(st.booleans()):
            out["full_effect_year"] = draw(st.integers(out["start_year"], last))
    return out


def group_lists() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.just("all"),
        st.lists(st.sampled_from(dims.GROUPS), min_size=1, max_size=4, unique=True),
        st.lists(st.sampled_from(TOY_GROUPS), min_size=1, max_size=2, unique=True),
    )


def services() -> st.SearchStrategy[Any]:
    return st.one_of(st.just("all"), st.lists(st.sampled_from(TOY_SERVICES), min_size=1))


def _number(k: Key) -> st.SearchStrategy[Any]:
    assert k.lo is not None and k.hi is not None, k.name
    if k.kind == "integer":
        return st.integers(int(k.lo), int(k.hi))
    return floats(k.lo + 1e-9 if k.lo_open else k.lo, k.hi)


def value_of(k: Key, *, flag: bool = False) -> st.SearchStrategy[Any]:
    """Valid values of a declared key on the toy (a year path where the key allows one)."""
    if k.kind in ("number", "integer"):
        plain = _number(k)
        if not k.path:
            return plain
        path = st.dictionaries(
            st.integers(TOY_YEARS[1], TOY_LAST).map(str), plain, min_size=1, max_size=3
        )
        return st.one_of(plain, path)
    if k.kind == "boolean":
        return st.just(True) if flag else st.booleans()
    if k.kind == "alternative":  # the toy has the reference alternative
        return st.just(dims.REFERENCE_POPULATION)
    if k.kind == "choice":
        return st.sampled_from([*k.choices, *(a for a, _ in k.aliases)])
    if k.kind == "group":
        return st.sampled_from(TOY_GROUPS)
    if k.kind == "target":
        return st.sampled_from([*TOY_GROUPS, TOY_OUTSIDE, dims.OUTSIDE_TARGET])
    if k.kind == "string":
        return st.sampled_from(TOY_SERVICES)
    if k.kind == "services":
        return services()
    if k.kind == "ages":
        return st.integers(dims.AGE_MIN, dims.AGE_MAX).flatmap(
            lambda lo: st.integers(lo, dims.AGE_MAX).map(lambda hi: [lo, hi])
        )
    raise ValueError(k.kind)


@st.composite
def rule_values(draw: st.DrawFn, h: Hook, level: str = "table") -> dict[str, Any]:
    """The keys of one complete rule of ``h``: one key of each one-of group, every required key,
    some optional keys; the declared not-with and differ rules respected."""
    allowed = h.names() if level == "table" else h.group_names()
    in_one_of = {n for g in h.one_of for n in g}
    out: dict[str, Any] = {}
    for group in h.one_of:
        name = draw(st.sampled_from([n for n in group if n in allowed]))
        out[name] = draw(value_of(h.key(name), flag=True))
    for k in h.keys:
        if k.name in in_one_of or k.name not in allowed:
            continue
        if k.required or k.kind == "services" or draw(st.booleans()):  # (service ids of the toy)
            out[k.name] = draw(value_of(k))
    for key, other in h.differ:
        if key in out and out[key] == out.get(other):
            out[key] = dims.OUTSIDE_TARGET
    for key, other, value in h.not_with:
        if out.get(other, h.key(other).default) == value:
            out.pop(key, None)
    return out


def _with_timing(
    draw: st.DrawFn, h: Hook, body: dict[str, Any], inherited: dict[str, Any] | None = None
) -> dict[str, Any]:
    """``body`` with random timing, unless it has (or inherits) a year path."""
    merged = {**(inherited or {}), **body}
    if h.timing and not any(isinstance(v, dict) for v in merged.values()):
        body.update(draw(timing()))
    return body


@st.composite
def hook_table(draw: st.DrawFn, h: Hook) -> Any:
    """A valid table of a hook for the toy: a table-level rule and/or per-group tables."""
    if h.array:
        return draw(st.lists(rule_values(h).map(lambda b: _with_timing(draw, h, b)), min_size=1))
    table_rule = not h.groups or draw(st.integers(0, 3)) > 0
    out = _with_timing(draw, h, draw(rule_values(h))) if table_rule else {}
    if h.groups and table_rule and draw(st.booleans()):
        out["groups"] = draw(group_lists())
    if h.groups and (not table_rule or draw(st.booleans())):
        chosen = draw(st.lists(st.sampled_from(TOY_GROUPS), min_size=1, unique=True))
        inherited = {k: v for k, v in out.items() if k not in ("groups", "start_year")}
        out[GROUPS_KEY] = {
            g: _with_timing(draw, h, draw(rule_values(h, level="group")), inherited) for g in chosen
        }
        listed = out.get("groups")
        if isinstance(listed, list) and set(listed) <= set(chosen):
            del out["groups"]  # (table-level groups that all have their own tables: refused)
    return out


HOOK_STRATEGIES: dict[str, st.SearchStrategy[Any]] = {h.table: hook_table(h) for h in hooks()}

SUPPLY_HOOKS = tuple(h.table for h in hooks() if h.side == "tilbud")


@st.composite
def scenario_dicts(draw: st.DrawFn, tables: tuple[str, ...] | None = None) -> dict:
    """A valid scenario dict for the toy with a random subset of ``tables`` (default: every
    declared hook)."""
    names = tables if tables is not None else tuple(h.table for h in hooks())
    chosen = draw(st.lists(st.sampled_from(names), unique=True, max_size=len(names)))
    return {t: draw(hook_table(hook(t))) for t in chosen}


# ------------------------------------------------------------------------------------------------
# Arbitrary TOML

HOOK_KEYS = tuple(dict.fromkeys(k.name for h in hooks() for k in h.all_keys())) + (GROUPS_KEY,)
TABLES = tuple(h.table for h in hooks())
META_KEYS = ("name", "title", "description", "baseline")
NAMES = (*TABLES, *META_KEYS, *HOOK_KEYS, *dims.GROUPS, "all", "utenfor", "referanse")

keys = st.one_of(st.sampled_from(NAMES), st.text(max_size=12))
scalars = st.one_of(
    st.booleans(),
    st.integers(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(),
    st.sampled_from([1e308, -1e308, 5e-324, 0.0, -0.0, 2025, 2050, 2051, 1e6, 0.1, -1, 62]),
    st.text(max_size=20),
    st.sampled_from([*NAMES, "", "høy", "lav", "MMMM", "HHMH", "XXXX", "somatikk"]),
    st.dates(),
    st.datetimes(),
    st.times(),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=12,
)


def toml_key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else json.dumps(k)


def toml_value(v: Any) -> str:
    """Inline TOML for a value (lone surrogates and the like give invalid TOML, on purpose)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{toml_key(k)} = {toml_value(x)}" for k, x in v.items()) + "}"
    return v.isoformat()  # date, datetime, time


def toml_document(doc: dict[str, Any]) -> str:
    """A document: scalars first, then tables as ``[name]`` sections and arrays of tables as
    ``[[name]]`` entries (so the real section syntax is exercised, not only inline tables)."""
    lines: list[str] = []
    sections: list[str] = []
    for k, v in doc.items():
        if isinstance(v, dict):
            sections.append(f"[{toml_key(k)}]")
            sections += [f"{toml_key(kk)} = {toml_value(vv)}" for kk, vv in v.items()]
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            for entry in v:
                sections.append(f"[[{toml_key(k)}]]")
                sections += [f"{toml_key(kk)} = {toml_value(vv)}" for kk, vv in entry.items()]
        else:
            lines.append(f"{toml_key(k)} = {toml_value(v)}")
    return "\n".join(lines + sections) + "\n"


documents = st.dictionaries(keys, values, max_size=6)


def toml_documents() -> st.SearchStrategy[str]:
    """TOML text from random nested dicts (often valid TOML, sometimes not)."""
    plausible = st.dictionaries(
        st.sampled_from(TABLES),
        st.one_of(st.dictionaries(st.sampled_from(HOOK_KEYS), values, max_size=5), values),
        max_size=4,
    )
    return st.one_of(documents, plausible).map(toml_document)


@st.composite
def mangled_toml(draw: st.DrawFn) -> str:
    """A valid toy scenario written as TOML, then damaged by a few random edits."""
    text = toml_document(draw(scenario_dicts()))
    for _ in range(draw(st.integers(1, 4))):
        if not text:
            break
        i = draw(st.integers(0, len(text) - 1))
        op = draw(st.sampled_from(["delete", "insert", "duplicate"]))
        if op == "delete":
            text = text[:i] + text[i + 1 :]
        elif op == "insert":
            text = text[:i] + draw(st.sampled_from(list("[]{}=\"'#,.\n\\ 0e-+x"))) + text[i:]
        else:
            line_start = text.rfind("\n", 0, i) + 1
            line_end = text.find("\n", i) + 1 or len(text)
            text = text[:line_end] + text[line_start:line_end] + text[line_end:]
    return text


# Arbitrary Python objects for Scenario.from_dict (not only what TOML can produce).
py_values = st.recursive(
    st.one_of(
        scalars,
        st.none(),
        st.binary(max_size=8),
        st.tuples(st.integers(), st.integers()),
        st.sampled_from([object(), np.float64("nan"), np.int64(3), np.array([1.0, 2.0])]),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(keys, st.integers(), st.none()), inner, max_size=4),
    ),
    max_leaves=12,
)
