"""The hook declarations are the one source of each hook's keys: the readers, the docs tables
and the JSON Schema follow them, and every shipped scenario validates against the schema."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import helsemodlite as hm
from helsemodlite.cli import main
from helsemodlite.scenarios.declarations import hooks
from helsemodlite.scenarios.derived import json_schema, render_docs

HOOKS = hooks()

ROOT = Path(__file__).resolve().parents[1]
NUMERIC = [
    (h, k)
    for h in HOOKS
    for k in h.keys
    if k.kind in ("number", "integer") and k.lo is not None and k.scope != "group"
]


def test_every_scenario_table_is_declared_once() -> None:
    from helsemodlite.scenarios.compile import COMPILERS

    assert len({h.table for h in HOOKS}) == len({h.attr for h in HOOKS}) == len(HOOKS)
    assert set(COMPILERS) == {h.table for h in HOOKS}  # each hook's semantics, once
    for h in HOOKS:
        assert len(set(h.names())) == len(h.names()), h.table


def test_the_docs_tables_are_generated_from_the_declarations() -> None:
    text = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    assert text.count("<!-- keys:") == len(HOOKS) + 2  # every hook, the common keys, grupper
    assert render_docs(text) == text, (
        "docs/scenarios.md is out of date: run python -m helsemodlite.scenarios.derived "
        "docs/scenarios.md"
    )


def _doc(h: Any, body: dict[str, Any]) -> dict[str, Any]:
    return {h.table: [body] if h.array else body}


def _minimal(h: Any) -> dict[str, Any]:
    """The smallest valid table of a hook (its required keys and one of each one-of pair)."""
    body: dict[str, Any] = {}
    for k in h.keys:
        if k.default != "required":
            continue
        if k.kind == "alternative":
            body[k.name] = "MMMM"
        elif k.choices:
            body[k.name] = k.choices[0] if k.name != "to" else k.choices[1]
        else:
            body[k.name] = k.lo if k.lo is not None and not k.lo_open else 1
    for group in h.one_of:
        key = h.key(group[0])
        body[key.name] = 0.5 if key.hi is None or key.hi >= 1 else key.hi
    return body


def _without_partner(h: Any, body: dict[str, Any], name: str) -> dict[str, Any]:
    """``body`` without the other key of a one-of pair that ``name`` belongs to."""
    for group in h.one_of:
        if name in group:
            return {k: v for k, v in body.items() if k == name or k not in group}
    return body


@pytest.mark.parametrize(("hook", "key"), NUMERIC, ids=[f"{h.table}.{k.name}" for h, k in NUMERIC])
def test_the_reader_enforces_the_declared_range(hook: Any, key: Any) -> None:
    base = _without_partner(hook, _minimal(hook), key.name)
    ok = {**base, key.name: key.hi}
    hm.Scenario.from_dict(_doc(hook, ok))
    step = 1 if key.kind == "integer" else max(1e-9, abs(key.hi) * 1e-6)
    too_big = {**base, key.name: key.hi + step}
    with pytest.raises(hm.ConfigError, match=key.name):
        hm.Scenario.from_dict(_doc(hook, too_big))
    below = key.lo if key.lo_open else key.lo - step
    if math.isfinite(below):
        with pytest.raises(hm.ConfigError, match=key.name):
            hm.Scenario.from_dict(_doc(hook, {**base, key.name: below}))


@pytest.mark.parametrize("hook", HOOKS, ids=[h.table for h in HOOKS])
def test_the_reader_allows_exactly_the_declared_keys(hook: Any) -> None:
    base = _minimal(hook)
    hm.Scenario.from_dict(_doc(hook, base))
    with pytest.raises(hm.ConfigError, match="unknown key"):
        hm.Scenario.from_dict(_doc(hook, {**base, "not_a_key": 1}))


@pytest.mark.parametrize("name", sorted(hm.shipped_scenarios()))
def test_every_shipped_scenario_validates_against_the_schema(name: str) -> None:
    with hm.shipped_scenarios()[name].open("rb") as fh:
        jsonschema.validate(tomllib.load(fh), json_schema())


@pytest.mark.parametrize(
    "doc",
    [
        {"stilingsprosent": {"relative_change": 0.1}},
        {"stillingsprosent": {"relative_chnge": 0.1}},
        {"stillingsprosent": {"relative_change": 0.1, "absolute_change": 0.1}},
        {"avgangsalder": {}},
        {"sykefravaer": {"relative_change": 5}},
        {"befolkning": {"alternative": 5}},
        {"oppgavedeling": [{"from": "sykepleier", "to": "lege"}]},
    ],
)
def test_the_schema_rejects_what_the_reader_rejects(doc: dict[str, Any]) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, json_schema())
    with pytest.raises(hm.ConfigError):
        hm.Scenario.from_dict(doc)


def test_the_schema_is_a_valid_schema_and_printed_by_the_cli(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import json

    jsonschema.Draft202012Validator.check_schema(json_schema())
    assert main(["scenarios", "schema"]) == 0
    assert json.loads(capsys.readouterr().out) == json_schema() == hm.scenario_json_schema()
