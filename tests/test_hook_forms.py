"""What the hook declarations make possible, for every hook: a new hook from its declaration
alone, different values per group in one file, values over time as a year path, and files that
load back to the same projection."""

from __future__ import annotations

import tomllib
from typing import Any

import jsonschema
import numpy as np
import pytest
from hypothesis import given, settings

import helsemodlite as hm
from helsemodlite.scenarios import declarations
from helsemodlite.scenarios.declarations import FIRST_YEAR, Hook, Key, hooks
from helsemodlite.scenarios.derived import docs_tables, json_schema
from strategies import hook_table

GROUPED = [h for h in hooks() if h.groups]
WITH_PATHS = [(h, k) for h in hooks() for k in h.keys if k.path and k.scope != "group"]
A, B = "sykepleier", "helsefagarbeider"


def _values(h: Hook) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two different valid rules of a hook (its first rule key at two values; the others at
    their defaults or, if required, a valid value)."""
    key = h.key(h.one_of[0][0] if h.one_of else h.rule_keys()[0])
    if key.choices:
        x, y = {key.name: key.choices[0]}, {key.name: key.choices[-1]}
    else:
        lo, hi = key.bounds
        x, y = {key.name: lo + 0.6 * (hi - lo)}, {key.name: lo + 0.55 * (hi - lo)}
    return x, y


def _gap(doc: dict[str, Any], name: str = "s") -> Any:
    return hm.project(hm.Scenario.from_dict(doc, name=name), detail=False).summary()


# -- a new hook from its declaration alone -----------------------------------------------------

TOY = Hook(
    "helgearbeid",
    "weekend_work",
    "tilbud",
    "weekend work (a toy declaration)",
    (
        Key(
            "relative_change",
            "number",
            declarations.REQUIRED,
            -1.0,
            1.0,
            fraction=True,
            path=True,
            neutral=0.0,
            doc="Relative change of *E* of shift workers.",
        ),
        Key("cap", "number", 1.0, 0.0, 1.5, lo_open=True, doc="Highest *E*."),
    ),
)


def test_a_toy_hook_declaration_alone_gives_validation_docs_strategies_and_schema() -> None:
    with declarations.declared(TOY):
        ok = hm.Scenario.from_dict({"helgearbeid": {"relative_change": 0.1, "groups": [A]}})
        assert ok.weekend_work is not None and ok.weekend_work.relative_change == 0.1
        assert ok.hooks()["helgearbeid"].to_dict()["cap"] == 1.0
        per_group = {"helgearbeid": {"grupper": {A: {"relative_change": {"2030": 0.05}}}}}
        assert hm.Scenario.from_dict(per_group).weekend_work.rule_for(A) is not None
        for bad, needle in (
            ({"relative_chnge": 0.1}, "did you mean relative_change?"),
            ({"relative_change": 5}, "did you mean 0.05 (5 %)?"),
            ({}, "relative_change: missing (required)"),
            ({"relative_change": 0.1, "cap": 0}, "cap: must be > 0"),
        ):
            with pytest.raises(
                hm.ConfigError, match=needle.replace("(", r"\(").replace(")", r"\)")
            ):
                hm.Scenario.from_dict({"helgearbeid": bad})
        assert "| `relative_change` | float or year path |" in docs_tables()["helgearbeid"]
        schema = json_schema()
        jsonschema.validate({"helgearbeid": {"relative_change": 0.1}}, schema)
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({"helgearbeid": {"relative_chnge": 0.1}}, schema)

        @settings(max_examples=30, deadline=None)
        @given(hook_table(TOY))
        def drawn_tables_validate(table: dict[str, Any]) -> None:
            hm.Scenario.from_dict({"helgearbeid": table})
            jsonschema.validate({"helgearbeid": table}, schema)

        drawn_tables_validate()
        with pytest.raises(NotImplementedError, match="helgearbeid"):
            hm.project(ok)  # its semantics (a compile function) is the one hand-written part
    assert "helgearbeid" not in json_schema()["properties"]


# -- different values per group, in one file, for every hook with groups ------------------------


@pytest.mark.parametrize("h", GROUPED, ids=[h.table for h in GROUPED])
def test_each_group_can_have_its_own_values(h: Hook) -> None:
    x, y = _values(h)
    # Graduates of sykepleier move helsefagarbeidere (further education, transitions.csv), so a
    # group's value acts on that group alone only for two groups the moves do not link.
    a, b = (A, "vernepleier") if h.table == "utdanningskapasitet" else (A, B)
    both = _gap({h.table: {"grupper": {a: x, b: y}}})
    alone_a = _gap({h.table: {**x, "groups": [a]}})
    alone_b = _gap({h.table: {**y, "groups": [b]}})
    ref = hm.project(detail=False).summary()
    for g, alone in ((a, alone_a), (b, alone_b)):
        rows = both.group == g
        np.testing.assert_allclose(both[rows].gap, alone[rows].gap, atol=1e-6, err_msg=g)
    assert not np.allclose(both[both.group == a].gap, ref[ref.group == a].gap)
    other = both.group == "lege"
    np.testing.assert_allclose(both[other].gap, ref[other].gap, atol=1e-9)


def test_a_group_table_overrides_the_table_level_value() -> None:
    doc = {"stillingsprosent": {"relative_change": 0.1, "grupper": {B: {"relative_change": 0.05}}}}
    mixed = _gap(doc)
    for g, value in ((A, 0.1), (B, 0.05), ("lege", 0.1)):
        alone = _gap({"stillingsprosent": {"relative_change": value, "groups": [g]}})
        rows = mixed.group == g
        np.testing.assert_allclose(mixed[rows].gap, alone[rows].gap, atol=1e-6, err_msg=g)


# -- values over time: a year path for every key that allows one --------------------------------


@pytest.mark.parametrize(("h", "k"), WITH_PATHS, ids=[f"{h.table}.{k.name}" for h, k in WITH_PATHS])
def test_a_constant_year_path_equals_the_value_from_its_first_year(h: Hook, k: Key) -> None:
    body: dict[str, Any] = {}
    for key in h.keys:
        if key.required and key.name != k.name:
            body[key.name] = key.choices[-1] if key.choices else 1.0
    if h.table == "oppgavedeling":
        body.update({"from": A, "to": B})
    value = 0.5 * k.bounds[1] if k.bounds[1] > 0 else 0.5 * k.bounds[0]
    if abs(value) > 1000:  # a count: 500 000 study places a year would be refused (they would
        value = 100.0  # empty the stocks the further educations come from, transitions.csv)
    first = FIRST_YEAR if not h.timing else 2027
    scalar = {**body, k.name: value}
    if h.timing:
        scalar.update(start_year=first, full_effect_year=first)
    path = {**body, k.name: {str(first): value}}
    wrap = (lambda t: [t]) if h.array else (lambda t: t)
    a, b = _gap({h.table: wrap(scalar)}), _gap({h.table: wrap(path)})
    np.testing.assert_allclose(a.gap, b.gap, atol=1e-9)
    assert not np.allclose(a.gap, hm.project(detail=False).summary().gap)


def test_a_year_path_is_interpolated_and_held() -> None:
    """{2025 = 0, 2030 = −0.1} is the linear phase-in from 2026 to 2030 of −0.1 (sick leave acts
    linearly), and the value is held after the last year."""
    path = _gap({"sykefravaer": {"relative_change": {"2025": 0.0, "2030": -0.1}}})
    phased = _gap(
        {"sykefravaer": {"relative_change": -0.1, "start_year": 2026, "full_effect_year": 2030}}
    )
    np.testing.assert_allclose(path.gap, phased.gap, atol=1e-6)
    ramp = hm.Scenario.from_dict(
        {"stillingsprosent": {"relative_change": {"2026": 0.02, "2030": 0.1}}}
    )
    v, w = ramp.position_share.table_rule().effect("relative_change", np.arange(2024, 2033))
    np.testing.assert_allclose(v * w, [0, 0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.1, 0.1])


@pytest.mark.parametrize(
    ("doc", "needle"),
    [
        ({"sykefravaer": {"relative_change": {}}}, "must not be an empty path"),
        ({"sykefravaer": {"relative_change": {"20510": -0.1}}}, "keys must be years"),
        ({"sykefravaer": {"relative_change": {"2030": {"5": -0.1}}}}, "a dotted key such as"),
        (
            {"sykefravaer": {"relative_change": {str(2025 + i): -0.1 for i in range(500)}}},
            "a year path of 500 entries; at most 200",
        ),
        ({"sykefravaer": {"relative_change": {"neste": -0.1}}}, "keys must be years"),
        ({"sykefravaer": {"relative_change": {"2030": 10}}}, "did you mean 0.1 (10 %)?"),
        (
            {"sykefravaer": {"relative_change": {"2030": -0.1}, "start_year": 2027}},
            "start_year: not allowed with the year path",
        ),
        (
            {"stillingsprosent": {"cap": {"2030": 1.0}, "relative_change": 0.1}},
            "cap: must be a number",
        ),
        (
            {"stillingsprosent": {"grupper": {A: {"relative_change": 50}}}},
            "[stillingsprosent.grupper.sykepleier] relative_change",
        ),
        ({"stillingsprosent": {"grupper": {A: {"cap": 0.9}}}}, "set one of relative_change or"),
        ({"stillingsprosent": {"grupper": {A: {"groups": [A]}}}}, "this table is one group"),
        ({"befolkning": {"alternative": "HHMH", "grupper": {}}}, "grupper: not allowed here"),
    ],
)
def test_paths_and_group_tables_are_checked(doc: dict[str, Any], needle: str) -> None:
    with pytest.raises(hm.ConfigError) as err:
        hm.Scenario.from_dict(doc)
    assert needle in str(err.value), str(err.value)


def test_a_child_file_replaces_a_year_path_whole(tmp_path: Any) -> None:
    (tmp_path / "base.toml").write_text(
        "[sykefravaer]\nrelative_change = {2026 = -0.05, 2030 = -0.1}\n", encoding="utf-8"
    )
    (tmp_path / "child.toml").write_text(
        'baseline = "base.toml"\n[sykefravaer]\nrelative_change = {2035 = -0.2}\n',
        encoding="utf-8",
    )
    rule = hm.load_scenario(tmp_path / "child.toml").sick_leave.table_rule()
    assert rule.relative_change.points == ((2035, -0.2),)


# -- files that load back to the same projection -----------------------------------------------


def test_a_merged_per_group_scenario_writes_a_file_that_loads_back(tmp_path: Any) -> None:
    a = hm.Scenario.from_dict(
        {"stillingsprosent": {"relative_change": 0.1, "groups": [A]}}, name="a"
    )
    b = hm.Scenario.from_dict(
        {"stillingsprosent": {"relative_change": {"2030": 0.05}, "groups": [B]}}, name="b"
    )
    merged = hm.combine([a, b])
    text = merged.to_toml()
    assert "[stillingsprosent.grupper.sykepleier]" in text
    path = tmp_path / "merged.toml"
    path.write_text(text, encoding="utf-8")
    back = hm.load_scenario(path)
    assert back.hooks() == merged.hooks()
    np.testing.assert_array_equal(
        hm.project(back, detail=False).gap, hm.project(merged, detail=False).gap
    )


# -- found by a hostile review -----------------------------------------------------------------


def test_a_zero_rate_is_a_value_not_an_absence() -> None:
    """`[standardvekst] annual_rate = 0` means no standard growth (0.0 == False in Python made
    the rule vanish, giving the reference numbers with exit code 0)."""
    zero = hm.project({"standardvekst": {"annual_rate": 0.0}}, detail=False).gap_table()
    ref = hm.project(detail=False).gap_table()
    assert zero.loc["Sum", 2040] > ref.loc["Sum", 2040] + 10_000  # less demand growth
    assert not hm.Scenario.from_dict({"standardvekst": {"annual_rate": 0.0}}).is_reference


@pytest.mark.parametrize("table", ["tidstyver", "produktivitet"])
def test_services_all_in_a_group_table_survives_a_round_trip(table: str) -> None:
    body = {"level": "hoy"} if table == "tidstyver" else {"annual_rate": 0.01}
    sc = hm.Scenario.from_dict({table: {**body, "grupper": {"lege": {"services": "all"}}}})
    back = hm.Scenario.from_dict(tomllib.loads(sc.to_toml()))
    assert back.hooks() == sc.hooks()
    np.testing.assert_array_equal(
        hm.project(back, detail=False).gap, hm.project(sc, detail=False).gap
    )


@pytest.mark.parametrize(
    ("doc", "needle"),
    [
        (
            {"relative_change": {"2026": 0.1}, "grupper": {"lege": {"start_year": 2030}}},
            "[stillingsprosent.grupper.lege] start_year: not allowed with the year path",
        ),
        (
            {"start_year": 2040, "grupper": {"lege": {"relative_change": {"2030": 0.1}}}},
            "[stillingsprosent] start_year: has no effect",
        ),
        (
            {
                "relative_change": 0.5,
                "groups": ["lege"],
                "grupper": {"lege": {"relative_change": 0.1}},
            },
            "[stillingsprosent] groups: has no effect",
        ),
        ({"relative_change": [0.1]}, "must be a number or a year path"),
    ],
)
def test_keys_without_effect_are_refused(doc: dict[str, Any], needle: str) -> None:
    with pytest.raises(hm.ConfigError) as err:
        hm.Scenario.from_dict({"stillingsprosent": doc})
    assert needle in str(err.value)


def test_a_child_path_replaces_a_timed_number(tmp_path: Any) -> None:
    (tmp_path / "p.toml").write_text(
        "[stillingsprosent]\nrelative_change = 0.1\nstart_year = 2030\n", encoding="utf-8"
    )
    (tmp_path / "c.toml").write_text(
        'baseline = "p.toml"\n[stillingsprosent]\nrelative_change = {2026 = 0.05}\n',
        encoding="utf-8",
    )
    rule = hm.load_scenario(tmp_path / "c.toml").position_share.table_rule()
    assert rule.relative_change.points == ((2026, 0.05),) and rule.start_year is None


def test_a_share_or_arsverk_path_may_start_from_zero() -> None:
    sc = hm.Scenario.from_dict(
        {"oppgavedeling": [{"from": A, "to": "utenfor", "arsverk": {"2025": 0, "2030": 1000}}]}
    )
    services = hm.project(sc).services()
    assert not services.empty


def test_a_task_shift_two_scenarios_share_is_counted_once() -> None:
    df = hm.compare(["plan_samlet", "oppgavedeling_helse_vest"], combined=True)
    assert any("taken once" in n for n in df.attrs["notes"])
    together = df[df.scenario == "kombinert"].set_index(["group", "year"]).gap
    plan = df[df.scenario == "plan_samlet"].set_index(["group", "year"]).gap
    np.testing.assert_allclose(together, plan, atol=1e-6)  # Helse Vest is in the plan already
