"""Tests of scenario files: parsing, defaults, validation, chaining (scenarios.files)."""

from __future__ import annotations

import datetime as dt
import json
import math
import pickle
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helsemodlite import dims
from helsemodlite.embedded import scenarios_dir, shipped_scenarios
from helsemodlite.errors import ConfigError
from helsemodlite.scenarios.declarations import FIRST_YEAR, tables
from helsemodlite.scenarios.files import Scenario, load_scenario
from helsemodlite.scenarios.measures import (
    TIME_THIEVES_COLUMN,
    TIME_THIEVES_SHARE,
    Measure,
    phase,
)
from strategies import HOOK_KEYS, scenario_dicts

HOOK_TABLES = tables()


def PositionShare(**kw: Any) -> Measure:  # noqa: N802 - reads like the measure it builds
    timing = {k: kw.pop(k) for k in ("start_year", "full_effect_year") if k in kw}
    return Measure("stillingsprosent", tuple(kw.items()), **timing)


ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = scenarios_dir()
SHIPPED = sorted(SCENARIOS.glob("*.toml"))
EXPECTED_SHIPPED = {
    "heltid_10",
    "heltid_10_per_person",
    "avgangsalder_1",
    "avgangsalder_2",
    "avgangsalder_3",
    "sykefravaer_minus10",
    "sykefravaer_minus20",
    "seniordeltakelse_rel10",
    "seniordeltakelse_abs10",
    "utdanning_folger_befolkning",
    "utdanning_pluss10",
    "innvandring_pluss10",
    "oppgavedeling_helse_vest",
    "tasen_modellen",
    "tidstyver_lav",
    "tidstyver_middels",
    "tidstyver_hoy",
    "produktivitet_05",
    "produktivitet_07",
    "befolkning_hhmh",
    "befolkning_llml",
    "befolkning_mmmm",
    "plan_samlet",
}


def write(tmp_path: Path, text: str, name: str = "x.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def problems_of(text: str, tmp_path: Path, name: str = "x.toml") -> list[str]:
    path = write(tmp_path, text, name)
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    return info.value.problems


def dict_problems(d: Any, **kw: Any) -> list[str]:
    with pytest.raises(ConfigError) as info:
        Scenario.from_dict(d, **kw)
    return info.value.problems


def one(problems: list[str], *needles: str) -> str:
    """The single problem containing every needle (fails otherwise)."""
    hits = [p for p in problems if all(n in p for n in needles)]
    assert len(hits) == 1, (needles, problems)
    return hits[0]


# --- shipped scenarios ---------------------------------------------------------------------


def test_every_expected_scenario_is_shipped() -> None:
    assert {p.stem for p in SHIPPED} == EXPECTED_SHIPPED


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_scenario_loads(path: Path) -> None:
    s = load_scenario(path)
    assert s.name == path.stem
    assert s.title and s.title != s.name
    assert len(s.description) > 80  # names its published source
    assert s.source == path
    assert s.hooks()
    json.dumps(s.to_dict())
    if path.stem != "befolkning_mmmm":
        assert not s.is_reference


def test_shipped_values() -> None:
    h = load_scenario(SCENARIOS / "heltid_10.toml").position_share
    assert h is not None and h.relative_change == 0.10 and h.cap == 1.0
    assert h.absolute_change is None and h.groups == dims.GROUPS and h.ages is None

    e = load_scenario(SCENARIOS / "utdanning_pluss10.toml").education_capacity
    assert e is not None and e.relative_change == 0.10 and e.start_year == 2028
    lege, hfa = e.rule_for("lege"), e.rule_for("helsefagarbeider")
    assert (lege.fixed_graduates, lege.start_year, lege.full_effect_year) == (900, 2031, 2031)
    assert lege.relative_change is None  # the group's fixed_graduates replaces the table's
    assert (hfa.relative_change, hfa.start_year) == (0.10, 2029)
    assert e.rule_for("sykepleier") == e.table_rule()

    hv = load_scenario(SCENARIOS / "oppgavedeling_helse_vest.toml").task_shifts
    assert hv is not None
    assert sum(t.arsverk or 0 for t in hv if t.value("from") == "sykepleier") == 12_500
    assert {t.full_effect_year for t in hv} == {2040}

    ts = load_scenario(SCENARIOS / "tasen_modellen.toml").task_shifts
    assert ts is not None and sum(t.arsverk or 0 for t in ts) == 2_500
    assert {t.service for t in ts} == {"institusjon"} and {t.to for t in ts} == {"utenfor"}

    hoy = load_scenario(SCENARIOS / "tidstyver_hoy.toml").time_thieves
    assert hoy is not None and hoy.level == "hoy" and hoy.realised_share == 1.0
    assert TIME_THIEVES_SHARE[TIME_THIEVES_COLUMN["sykepleier"]]["hoy"] == pytest.approx(0.28)

    for n, alt in (("hhmh", "HHMH"), ("llml", "LLML"), ("mmmm", "MMMM")):
        pop_ = load_scenario(SCENARIOS / f"befolkning_{n}.toml").population
        assert pop_ is not None and pop_.alternative == alt
    assert load_scenario(SCENARIOS / "befolkning_mmmm.toml").is_reference


def test_scenarios_hashable_and_picklable() -> None:
    scenarios = [load_scenario(p) for p in SHIPPED]
    assert len({hash(s) for s in scenarios}) == len(scenarios)
    for s in scenarios:
        assert pickle.loads(pickle.dumps(s)) == s


def test_plan_samlet_chains_heltid() -> None:
    s = load_scenario(SCENARIOS / "plan_samlet.toml")
    assert s.position_share == load_scenario(SCENARIOS / "heltid_10.toml").position_share
    assert Path(s.baseline).name == "heltid_10.toml"
    assert [Path(b).name for b in s.baseline_chain] == ["heltid_10.toml"]
    assert s.task_shifts is not None and len(s.task_shifts) == 5
    assert s.time_thieves is None


def test_time_thieves_mapping_covers_every_group() -> None:
    assert set(TIME_THIEVES_COLUMN) == set(dims.GROUPS)
    assert set(TIME_THIEVES_COLUMN.values()) <= set(TIME_THIEVES_SHARE)
    for levels in TIME_THIEVES_SHARE.values():
        assert 0 <= levels["lav"] <= levels["middels"] <= levels["hoy"] < 1


def test_docs_cover_hooks_and_shipped_scenarios() -> None:
    doc = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    for table in HOOK_TABLES:
        assert f"[{table}]" in doc, table
    for stem in EXPECTED_SHIPPED:
        head, _, tail = stem.rpartition("_")
        assert f"{stem}.toml" in doc or f"`_{tail}`" in doc, stem


def test_direct_construction_checks_timing() -> None:
    with pytest.raises(ConfigError, match="full_effect_year"):
        PositionShare(relative_change=0.1, start_year=2030, full_effect_year=2029)
    h = PositionShare(relative_change=0.1, start_year=2030, full_effect_year=2030)
    assert h.phase(np.array([2029, 2030])).tolist() == [0.0, 1.0]


# --- reference, empty, defaults, to_dict ---------------------------------------------------


def test_reference() -> None:
    r = Scenario.reference()
    assert r.is_reference and r.name == "referanse" and r.hooks() == {}
    assert json.loads(json.dumps(r.to_dict()))["baseline"] == "referanse"


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", 'title = "Ingen tiltak"\n'])
def test_empty_file_is_reference(tmp_path: Path, text: str) -> None:
    s = load_scenario(write(tmp_path, text, "tom.toml"))
    assert s.is_reference and s.name == "tom" and s.hooks() == {}


def test_defaults_filled(tmp_path: Path) -> None:
    s = load_scenario(write(tmp_path, "[stillingsprosent]\nrelative_change = 0.1\n"))
    h = s.position_share
    assert h == PositionShare(relative_change=0.1)
    # No start year given: the first projection year of the inputs (2025 for the default set).
    assert (h.start_year, h.full_effect_year, h.cap) == (None, None, 1.0)
    assert h.table_rule().timing(np.arange(2024, 2051)) == (FIRST_YEAR, FIRST_YEAR)
    d = s.to_dict()["stillingsprosent"]
    assert d == {"relative_change": 0.1, "cap": 1.0, "per_person": False, "groups": "all"}


def test_int_accepted_where_float_expected() -> None:
    s = Scenario.from_dict({"avgangsalder": {"years": 2}, "innvandring": {"relative_change": 1}})
    assert s.exit_age is not None and s.exit_age.years == 2.0
    assert isinstance(s.exit_age.years, float)


def test_neutral_hooks_are_reference() -> None:
    s = Scenario.from_dict(
        {
            "stillingsprosent": {"relative_change": 0},
            "avgangsalder": {"years": 0.0},
            "sykefravaer": {"relative_change": 0},
            "seniordeltakelse": {"absolute_change": 0},
            "utdanningskapasitet": {"follow_population": False},
            "innvandring": {"relative_change": 0},
            "produktivitet": {"annual_rate": 0},
            "friskere_aldring": {"enabled": True},
            "befolkning": {"alternative": "MMMM"},
            "tidstyver": {"level": "lav", "realised_share": 0},
        }
    )
    assert s.is_reference
    assert not Scenario.from_dict({"friskere_aldring": {"enabled": False}}).is_reference
    assert not Scenario.from_dict({"avgangsalder": {"years": -0.5}}).is_reference
    # The reference standard growth is an input (parameters.csv), so a scenario setting it is
    # never taken for the reference without the inputs.
    assert not Scenario.from_dict({"standardvekst": {"annual_rate": 0.005}}).is_reference


def test_to_dict_deterministic_and_round_trips(tmp_path: Path) -> None:
    for path in SHIPPED:
        s = load_scenario(path)
        d = s.to_dict()
        assert json.dumps(d) == json.dumps(load_scenario(path).to_dict())
        assert list(d)[:6] == [
            "name",
            "title",
            "description",
            "source",
            "baseline",
            "baseline_chain",
        ]
        assert [k for k in d if k in HOOK_TABLES] == [k for k in HOOK_TABLES if k in d]
        hooks = {k: v for k, v in d.items() if k not in ("source", "baseline", "baseline_chain")}
        again = Scenario.from_dict(hooks)
        assert again.hooks() == s.hooks()
        assert again.name == s.name and again.title == s.title


def test_name_from_key_or_stem(tmp_path: Path) -> None:
    assert load_scenario(write(tmp_path, 'name = "mitt_navn"\n')).name == "mitt_navn"
    assert load_scenario(write(tmp_path, "", "a b.toml")).name == "a_b"
    assert Scenario.from_dict({"title": "Heltid pluss"}).name == "Heltid_pluss"
    assert Scenario.from_dict({"name": "a"}, name="b").name == "b"
    assert Scenario.from_dict({}).name == "scenario"


# --- phase ----------------------------------------------------------------------------------


def test_phase_values() -> None:
    years = np.arange(2024, 2031)
    assert phase(years, 2025, 2025).tolist() == [0, 1, 1, 1, 1, 1, 1]
    assert phase(years, 2026, 2029).tolist() == [0, 0, 0.25, 0.5, 0.75, 1, 1]
    grid = np.array([[2024, 2027], [2028, 2040]])
    assert phase(grid, 2026, 2029).shape == (2, 2)
    h = PositionShare(relative_change=0.1, start_year=2026, full_effect_year=2029)
    assert np.array_equal(h.phase(years), phase(years, 2026, 2029))
    with pytest.raises(ValueError):
        phase(years, 2030, 2029)


@settings(max_examples=200, deadline=None)
@given(
    start=st.integers(FIRST_YEAR, dims.HORIZON),
    extra=st.integers(0, 30),
    years=st.lists(st.integers(2000, 2100), min_size=1, max_size=20),
)
def test_phase_properties(start: int, extra: int, years: list[int]) -> None:
    full = min(start + extra, dims.HORIZON)
    y = np.array(sorted(years))
    w = phase(y, start, full)
    assert np.all((w >= 0) & (w <= 1))
    assert np.all(np.diff(w) >= 0)
    assert np.all(w[y < start] == 0) and np.all(w[y >= full] == 1)
    assert phase(np.array([start]), start, full)[0] > 0


# --- validation rules -----------------------------------------------------------------------


def test_message_format_names_file_table_and_key(tmp_path: Path) -> None:
    probs = problems_of("[stillingsprosent]\nrelative_change = 0.1\ncap = 2.0\n", tmp_path)
    assert probs == [f"{tmp_path / 'x.toml'}: [stillingsprosent] cap: must be ≤ 1.5, got 2.0"]
    assert dict_problems({"stillingsprosent": {"relative_change": 0.1, "cap": 2.0}}) == [
        "<dict>: [stillingsprosent] cap: must be ≤ 1.5, got 2.0"
    ]
    assert dict_problems({"sykefravaer": {}}, name="mitt")[0].startswith("mitt: [sykefravaer]")


def test_all_problems_collected(tmp_path: Path) -> None:
    text = """
title = 3
[stillingsprosent]
relative_change = 0.1
cap = 0
[avgangsalder]
years = 11
[befolkning]
alternative = 4
"""
    probs = problems_of(text, tmp_path)
    assert len(probs) == 4
    one(probs, "title", "must be a string")
    one(probs, "[stillingsprosent] cap", "must be > 0")
    one(probs, "[avgangsalder] years", "≤ 10")
    one(probs, "[befolkning] alternative", "must be a string")


def test_unknown_table_suggests(tmp_path: Path) -> None:
    probs = problems_of("[stilingsprosent]\nrelative_change = 0.1\n", tmp_path)
    assert "did you mean [stillingsprosent]?" in one(probs, "[stilingsprosent]", "unknown table")
    probs = dict_problems({"sykefravær": {"relative_change": -0.1}})
    assert "did you mean [sykefravaer]?" in one(probs, "unknown table")
    assert "allowed:" in one(dict_problems({"zzz": {}}), "[zzz]: unknown table")
    assert "did you mean title?" in one(dict_problems({"titel": "x"}), "titel: unknown key")


def test_unknown_key_suggests() -> None:
    probs = dict_problems({"stillingsprosent": {"relativ_change": 0.1}})
    assert "did you mean relative_change?" in one(probs, "[stillingsprosent] relativ_change")
    one(probs, "set one of relative_change or absolute_change")
    probs = dict_problems({"avgangsalder": {"years": 1, "fromage": 62}})
    assert "did you mean from_age?" in one(probs, "fromage")
    probs = dict_problems({"avgangsalder": {"years": 1, "xyz": 62}})
    assert "allowed keys: years, from_age" in one(probs, "xyz")


def test_bool_is_not_a_number() -> None:
    msg = one(dict_problems({"avgangsalder": {"years": True}}), "[avgangsalder] years")
    assert "must be a number or a year path {2030 = …}, got boolean true" in msg
    msg = one(dict_problems({"avgangsalder": {"years": 1, "from_age": False}}), "from_age")
    assert "must be an integer" in msg


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "+nan"])
def test_nan_inf_rejected(tmp_path: Path, value: str) -> None:
    probs = problems_of(f"[sykefravaer]\nrelative_change = {value}\n", tmp_path)
    assert "must be a finite number" in one(probs, "[sykefravaer] relative_change")


@pytest.mark.parametrize(
    ("table", "key", "value", "needle"),
    [
        ("stillingsprosent", "cap", 1.5000001, "≤ 1.5"),
        ("stillingsprosent", "cap", -0.1, "> 0"),
        ("sykefravaer", "relative_change", -1.01, "≥ -1"),
        ("sykefravaer", "relative_change", 1e308, "≤ 1"),
        ("seniordeltakelse", "absolute_change", 1.5, "≤ 1"),
        ("innvandring", "relative_change", -2, "≥ -1"),
        ("standardvekst", "annual_rate", 0.2, "≤ 0.1"),
        ("produktivitet", "annual_rate", -0.06, "≥ -0.05"),
        ("avgangsalder", "years", -10.5, "≥ -10"),
        ("tidstyver", "realised_share", 1.1, "≤ 1"),
    ],
)
def test_out_of_range(table: str, key: str, value: float, needle: str) -> None:
    base: dict[str, dict[str, Any]] = {
        "stillingsprosent": {"relative_change": 0.1},
        "sykefravaer": {},
        "seniordeltakelse": {},
        "innvandring": {},
        "standardvekst": {},
        "produktivitet": {},
        "avgangsalder": {},
        "tidstyver": {"level": "lav"},
    }
    probs = dict_problems({table: {**base[table], key: value}})
    assert needle in one(probs, f"[{table}] {key}")


def test_huge_numbers_are_out_of_range_not_a_crash(tmp_path: Path) -> None:
    probs = problems_of("[avgangsalder]\nyears = 1e308\nfrom_age = 9223372036854775807\n", tmp_path)
    one(probs, "years", "≤ 10")
    one(probs, "from_age", "≤ 79")
    probs = dict_problems({"avgangsalder": {"years": 10**400}})
    assert "digits" in one(probs, "years", "≤ 10")
    probs = problems_of("[avgangsalder]\nyears = 1" + "0" * 5000 + "\n", tmp_path)
    assert len(probs) == 1 and "x.toml" in probs[0]


@pytest.mark.parametrize(
    ("timing", "needle"),
    [
        ({"start_year": 2030, "full_effect_year": 2029}, "must be ≥ start_year (2030), got 2029"),
        ({"start_year": 2030.0}, "start_year: must be an integer, got float 2030.0"),
        ({"start_year": 99999}, "start_year: must be ≤ 2200, got 99999"),
    ],
)
def test_timing_rules(timing: dict[str, Any], needle: str) -> None:
    probs = dict_problems({"sykefravaer": {"relative_change": -0.1, **timing}})
    one(probs, needle)


@pytest.mark.parametrize(
    ("timing", "needle"),
    [
        (
            {"start_year": 2024},
            "start_year: 2024 is not a projection year of the inputs (2025–2050",
        ),
        (
            {"start_year": 2051},
            "start_year: 2051 is not a projection year of the inputs (2025–2050",
        ),
        ({"full_effect_year": 2051}, "full_effect_year: 2051 is not a projection year"),
        ({"relative_change": {"2051": -0.1}}, "relative_change (path): 2051 is not a projection"),
    ],
)
def test_years_are_checked_against_the_horizon_of_the_inputs(
    timing: dict[str, Any], needle: str
) -> None:
    import helsemodlite as hm

    sc = Scenario.from_dict({"sykefravaer": {"relative_change": -0.1, **timing}})
    with pytest.raises(ConfigError) as err:
        hm.project(sc)
    one(err.value.problems, needle)


def test_full_effect_year_default_is_start_year() -> None:
    s = Scenario.from_dict({"innvandring": {"relative_change": 0.1, "start_year": 2028}})
    assert s.immigration is not None and s.immigration.full_effect_year == 2028


def test_unknown_group_suggests() -> None:
    probs = dict_problems({"sykefravaer": {"relative_change": -0.1, "groups": ["sykepleir"]}})
    assert 'did you mean "sykepleier"?' in one(probs, "[sykefravaer] groups", "'sykepleir'")
    probs = dict_problems({"sykefravaer": {"relative_change": -0.1, "groups": []}})
    one(probs, "groups", "must not be empty")
    probs = dict_problems({"sykefravaer": {"relative_change": -0.1, "groups": "lege"}})
    one(probs, "groups", 'must be "all" or a list')
    probs = dict_problems({"sykefravaer": {"relative_change": -0.1, "groups": ["lege", "lege"]}})
    one(probs, "groups", "listed twice")


def test_groups_in_canonical_order() -> None:
    s = Scenario.from_dict(
        {"sykefravaer": {"relative_change": -0.1, "groups": ["lege", "jordmor"]}}
    )
    assert s.sick_leave is not None and s.sick_leave.groups == ("jordmor", "lege")


def test_relative_and_absolute_both_rejected() -> None:
    for table in ("stillingsprosent", "seniordeltakelse"):
        probs = dict_problems({table: {"relative_change": 0.1, "absolute_change": 0.1}})
        one(probs, f"[{table}]", "either relative_change or absolute_change, not both")


def test_hook_table_not_a_table(tmp_path: Path) -> None:
    probs = problems_of("stillingsprosent = 0.1\n", tmp_path)
    one(probs, "[stillingsprosent]: must be a table, got float 0.1")
    probs = problems_of('[oppgavedeling]\nfrom = "lege"\n', tmp_path)
    one(probs, "[[oppgavedeling]]: must be an array of tables")
    probs = dict_problems({"oppgavedeling": [1]})
    one(probs, "[[oppgavedeling]] #1: must be a table")


def test_position_share_ages() -> None:
    s = Scenario.from_dict({"stillingsprosent": {"absolute_change": 0.05, "ages": [25, 54]}})
    assert s.position_share is not None and s.position_share.ages == (25, 54)
    for bad in ([19, 30], [50, 40], [20], [20.0, 30], "20-30", [True, 30]):
        probs = dict_problems({"stillingsprosent": {"absolute_change": 0.05, "ages": bad}})
        one(probs, "[stillingsprosent] ages")


def test_required_keys() -> None:
    for table, key in (
        ("avgangsalder", "years"),
        ("sykefravaer", "relative_change"),
        ("innvandring", "relative_change"),
        ("standardvekst", "annual_rate"),
        ("produktivitet", "annual_rate"),
        ("befolkning", "alternative"),
        ("tidstyver", "level"),
    ):
        one(dict_problems({table: {}}), f"[{table}] {key}: missing (required)")


def test_education_capacity_rules() -> None:
    probs = dict_problems(
        {"utdanningskapasitet": {"relative_change": 0.1, "follow_population": True}}
    )
    one(probs, "either relative_change or follow_population = true, not both")
    probs = dict_problems({"utdanningskapasitet": {}})
    assert "[utdanningskapasitet.grupper.<id>] table" in one(
        probs, "set one of relative_change, follow_population = true or study_places"
    )
    probs = dict_problems({"utdanningskapasitet": {"fixed_graduates": 9}})
    one(probs, "fixed_graduates: not allowed here: only in a [utdanningskapasitet.grupper.<id>]")
    probs = dict_problems({"utdanningskapasitet": {"groups": ["lege"], "grupper": {"lege": {}}}})
    one(probs, "[utdanningskapasitet] groups: has no effect without a table-level value")
    probs = dict_problems({"utdanningskapasitet": {"grupper": {"legge": {"fixed_graduates": 9}}}})
    assert 'did you mean "lege"?' in one(probs, "[utdanningskapasitet.grupper] legge")
    probs = dict_problems(
        {"utdanningskapasitet": {"grupper": {"lege": {"fixed_graduates": 9, "relative_change": 1}}}}
    )
    one(probs, "[utdanningskapasitet.grupper.lege]", "not both")
    probs = dict_problems({"utdanningskapasitet": {"grupper": {"lege": {"fixed_graduates": -1}}}})
    one(probs, "[utdanningskapasitet.grupper.lege] fixed_graduates: must be ≥ 0")
    probs = dict_problems({"utdanningskapasitet": {"grupper": {"lege": 900}}})
    one(probs, "[utdanningskapasitet.grupper.lege]: must be a table")
    probs = dict_problems({"utdanningskapasitet": {"follow_population": "yes"}})
    one(probs, "follow_population: must be true or false")


def test_education_override_timing_inherits() -> None:
    s = Scenario.from_dict(
        {
            "utdanningskapasitet": {
                "relative_change": 0.1,
                "start_year": 2028,
                "full_effect_year": 2032,
                "grupper": {
                    "lege": {"fixed_graduates": 900},
                    "jordmor": {"relative_change": 0.2, "start_year": 2030},
                },
            }
        }
    )
    e = s.education_capacity
    assert isinstance(e, Measure)
    lege, jm = e.rule_for("lege"), e.rule_for("jordmor")
    assert lege is not None and jm is not None
    assert (lege.start_year, lege.full_effect_year) == (2028, 2032)
    assert (jm.start_year, jm.full_effect_year) == (2030, 2030)
    assert not e.is_neutral and lege.to_dict()["fixed_graduates"] == 900
    assert e.to_dict()["grupper"]["lege"]["fixed_graduates"] == 900


def test_task_shift_rules() -> None:
    base = {"from": "sykepleier", "to": "helsefagarbeider", "arsverk": 100}
    s = Scenario.from_dict({"oppgavedeling": [base]})
    assert s.task_shifts is not None and s.task_shifts[0].conversion == 1.0

    def bad(**kw: Any) -> list[str]:
        entry = {**base, **kw}
        entry = {k: v for k, v in entry.items() if v is not None}
        return dict_problems({"oppgavedeling": [{**base}, entry]})

    one(bad(to="sykepleier"), "#2 to", "must differ from from")
    one(bad(share=0.1), "#2", "either arsverk or share, not both")
    one(bad(arsverk=None), "#2", "set one of arsverk or share")
    one(bad(arsverk=None, share=0), "#2 share", "must be > 0")
    one(bad(arsverk=None, share=1.01), "#2 share", "≤ 1")
    one(bad(arsverk=-5), "#2 arsverk", "> 0")
    one(bad(conversion=6), "#2 conversion", "≤ 5")
    one(bad(to="utenfor", conversion=1.0), "#2 conversion", "no effect")
    one(bad(groups="all"), "#2 groups", "not allowed here")
    assert 'did you mean "helsefagarbeider"' in one(bad(to="helsefagarbeidere"), "#2 to")
    one(bad(**{"from": "utenfor"}), "#2 from", "unknown group id")
    one(bad(service=""), "#2 service", "must not be empty")
    ok = Scenario.from_dict({"oppgavedeling": [{**base, "to": "administrasjon_service"}]})
    assert ok.task_shifts is not None and ok.task_shifts[0].to == "administrasjon_service"
    assert Scenario.from_dict({"oppgavedeling": []}).task_shifts is None


def test_population_and_time_thieves_choices() -> None:
    import helsemodlite as hm

    with pytest.raises(ConfigError) as err:  # alternatives are those of the inputs
        hm.project({"befolkning": {"alternative": "hhmh"}})
    assert 'did you mean "HHMH"?' in one(err.value.problems, "[befolkning] alternative")
    probs = dict_problems({"befolkning": {"alternative": "HHMH", "start_year": 2030}})
    one(probs, "[befolkning] start_year: not allowed here")
    for level in ("høy", "hoy"):
        t = Scenario.from_dict({"tidstyver": {"level": level}}).time_thieves
        assert t is not None and t.level == "hoy"
    one(dict_problems({"tidstyver": {"level": "medium"}}), "[tidstyver] level", "must be one of")


def test_services() -> None:
    s = Scenario.from_dict({"produktivitet": {"annual_rate": 0.005}})
    assert s.productivity is not None and s.productivity.services is None
    assert s.to_dict()["produktivitet"]["services"] == "all"
    s = Scenario.from_dict({"produktivitet": {"annual_rate": 0.005, "services": ["somatikk"]}})
    assert s.productivity is not None and s.productivity.services == ("somatikk",)
    one(dict_problems({"produktivitet": {"annual_rate": 0.005, "services": [""]}}), "services")
    one(dict_problems({"produktivitet": {"annual_rate": 0.005, "services": []}}), "services")


def test_healthy_ageing() -> None:
    s = Scenario.from_dict({"friskere_aldring": {"enabled": False}})
    assert s.healthy_ageing is not None and not s.healthy_ageing.enabled
    one(dict_problems({"friskere_aldring": {"enabled": False, "strength": 2}}), "no effect")
    one(dict_problems({"friskere_aldring": {"enabled": 0}}), "must be true or false")


def test_metadata_types() -> None:
    one(dict_problems({"description": ["a"]}), "description: must be a string")
    one(dict_problems({"name": "a/b"}), "name: must be a non-empty file-safe name")
    one(dict_problems({"baseline": 1}), "baseline: must be a string")
    one(dict_problems([1, 2]), "must be a table (dict)")


# --- file-level errors ---------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="nope.toml: file not found"):
        load_scenario(tmp_path / "nope.toml")


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a directory"):
        load_scenario(tmp_path)


def test_binary_garbage(tmp_path: Path) -> None:
    p = tmp_path / "g.toml"
    p.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(ConfigError, match="g.toml: not a UTF-8"):
        load_scenario(p)
    p.write_bytes(b"a = 1\x00\x01\n")
    with pytest.raises(ConfigError, match="g.toml: TOML syntax error"):
        load_scenario(p)


def test_syntax_error_names_line(tmp_path: Path) -> None:
    probs = problems_of('title = "x"\n[stillingsprosent\n', tmp_path)
    assert len(probs) == 1 and "x.toml: TOML syntax error" in probs[0] and "line 2" in probs[0]


def test_duplicate_keys(tmp_path: Path) -> None:
    probs = problems_of("[sykefravaer]\nrelative_change = -0.1\nrelative_change = -0.2\n", tmp_path)
    assert "x.toml: TOML syntax error" in probs[0] and "defined twice" in probs[0]
    probs = problems_of("[sykefravaer]\nrelative_change = -0.1\n[sykefravaer]\n", tmp_path)
    assert "line 3" in probs[0]


def test_deeply_nested(tmp_path: Path) -> None:
    probs = problems_of("a = " + "[" * 5000 + "]" * 5000 + "\n", tmp_path)
    assert len(probs) == 1 and "x.toml" in probs[0]


def test_bom_accepted(tmp_path: Path) -> None:
    p = tmp_path / "bom.toml"
    p.write_bytes("\ufeff[avgangsalder]\nyears = 1\n".encode())
    assert load_scenario(p).exit_age is not None


# --- baseline chains -----------------------------------------------------------------------


def test_chain_child_overrides_key_by_key(tmp_path: Path) -> None:
    write(tmp_path, "[stillingsprosent]\nrelative_change = 0.1\ncap = 1.0\n", "base.toml")
    (tmp_path / "sub").mkdir()
    child = write(
        tmp_path,
        'baseline = "../base.toml"\n[stillingsprosent]\ncap = 0.9\n[avgangsalder]\nyears = 1\n',
        "sub/child.toml",
    )
    s = load_scenario(child)
    assert s.position_share == PositionShare(relative_change=0.1, cap=0.9)
    assert s.exit_age is not None and s.exit_age.years == 1.0
    assert Path(s.baseline).resolve() == (tmp_path / "base.toml").resolve()
    assert s.name == "child"


def test_chain_exclusive_key_replaces_parent(tmp_path: Path) -> None:
    write(tmp_path, "[seniordeltakelse]\nrelative_change = 0.1\n", "base.toml")
    child = write(tmp_path, 'baseline = "base.toml"\n[seniordeltakelse]\nabsolute_change = 0.1\n')
    h = load_scenario(child).senior_participation
    assert h is not None and h.absolute_change == 0.1 and h.relative_change is None


def test_chain_of_three_and_array_replaced(tmp_path: Path) -> None:
    write(
        tmp_path,
        '[[oppgavedeling]]\nfrom = "lege"\nto = "sykepleier"\narsverk = 10\n'
        "[produktivitet]\nannual_rate = 0.005\n",
        "a.toml",
    )
    write(tmp_path, 'baseline = "a.toml"\n[produktivitet]\nannual_rate = 0.007\n', "b.toml")
    c = write(
        tmp_path,
        'baseline = "b.toml"\n[[oppgavedeling]]\nfrom = "lege"\nto = "utenfor"\nshare = 0.1\n',
        "c.toml",
    )
    s = load_scenario(c)
    assert s.productivity is not None and s.productivity.annual_rate == 0.007
    assert s.task_shifts is not None and [t.to for t in s.task_shifts] == ["utenfor"]
    assert [Path(p).name for p in s.baseline_chain] == ["b.toml", "a.toml"]


def test_chain_cycle_rejected(tmp_path: Path) -> None:
    write(tmp_path, 'baseline = "b.toml"\n', "a.toml")
    write(tmp_path, 'baseline = "a.toml"\n', "b.toml")
    with pytest.raises(ConfigError) as info:
        load_scenario(tmp_path / "a.toml")
    msg = one(info.value.problems, "cycle")
    assert "a.toml -> " in msg and "b.toml -> " in msg
    write(tmp_path, 'baseline = "self.toml"\n', "self.toml")
    with pytest.raises(ConfigError, match="cycle"):
        load_scenario(tmp_path / "self.toml")


def test_chain_problems_name_their_file(tmp_path: Path) -> None:
    write(tmp_path, "[stillingsprosent]\nrelative_change = 0.1\ncap = 3\n[foo]\n", "base.toml")
    child = write(tmp_path, 'baseline = "base.toml"\n[avgangsalder]\nyears = 20\n', "child.toml")
    with pytest.raises(ConfigError) as info:
        load_scenario(child)
    probs = info.value.problems
    assert len(probs) == 3
    assert one(probs, "cap").startswith(str(tmp_path / "base.toml"))
    assert one(probs, "[foo]").startswith(str(tmp_path / "base.toml"))
    assert one(probs, "years").startswith(str(child))


def test_chain_missing_or_broken_parent(tmp_path: Path) -> None:
    child = write(tmp_path, 'baseline = "nope.toml"\n[avgangsalder]\nyears = 99\n')
    with pytest.raises(ConfigError) as info:
        load_scenario(child)
    one(info.value.problems, "x.toml: baseline:", "nope.toml: file not found")
    one(info.value.problems, "years")
    write(tmp_path, "[[[\n", "broken.toml")
    child = write(tmp_path, 'baseline = "broken.toml"\n', "y.toml")
    with pytest.raises(ConfigError, match="broken.toml: TOML syntax error"):
        load_scenario(child)


def test_from_dict_baseline_relative_to_source(tmp_path: Path) -> None:
    write(tmp_path, "[avgangsalder]\nyears = 2\n", "base.toml")
    s = Scenario.from_dict({"baseline": "base.toml"}, source=tmp_path / "virtual.toml")
    assert s.exit_age is not None and s.exit_age.years == 2.0 and s.name == "virtual"


# --- robustness: only ConfigError, ever -----------------------------------------------------

KNOWN_KEYS = sorted(
    {
        *HOOK_TABLES,
        *HOOK_KEYS,  # every key of a hook table (tests/strategies.py)
        "title",
        "description",
        "baseline",
        "name",
        "lege",
        "sykepleier",
        "all",
        "utenfor",
        "høy",
        "MMMM",
    }
)
_text = st.text(st.characters(codec="utf-8"), max_size=12)
_keys = st.one_of(st.sampled_from(KNOWN_KEYS), _text)
_scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.integers(-5, 2060),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-2, 2),
    st.sampled_from(KNOWN_KEYS),
    _text,
    st.dates(),
    st.datetimes(),
    st.times(),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_keys, inner, max_size=4)),
    max_leaves=12,
)
_tables = st.dictionaries(_keys, _values, max_size=6)
_documents = st.dictionaries(_keys, st.one_of(_values, _tables), max_size=6)


def _toml_value(v: Any) -> str:
    """Render a value as an inline TOML value (a tiny emitter for the fuzz test)."""
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
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, dt.datetime | dt.date | dt.time):
        return v.isoformat()
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(v)


def _toml_document(doc: dict[str, Any]) -> str:
    lines = [
        f"{json.dumps(k)} = {_toml_value(v)}" for k, v in doc.items() if not isinstance(v, dict)
    ]
    for k, v in doc.items():
        if isinstance(v, dict):
            lines.append(f"[{json.dumps(k)}]")
            lines.extend(f"{json.dumps(kk)} = {_toml_value(vv)}" for kk, vv in v.items())
    return "\n".join(lines) + "\n"


def _only_config_error(call: Any) -> None:
    try:
        s = call()
    except ConfigError as exc:
        assert exc.problems and all(isinstance(p, str) for p in exc.problems)
        assert not any("internal error" in p for p in exc.problems), exc.problems
    else:
        assert isinstance(s, Scenario)
        json.dumps(s.to_dict())


@settings(max_examples=200, deadline=None)
@given(doc=_documents)
def test_fuzz_toml_documents(tmp_path_factory: pytest.TempPathFactory, doc: dict[str, Any]) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "f.toml"
    path.write_text(_toml_document(doc), encoding="utf-8")
    _only_config_error(lambda: load_scenario(path))


@settings(max_examples=200, deadline=None)
@given(doc=_documents)
def test_fuzz_dicts(doc: dict[str, Any]) -> None:
    _only_config_error(lambda: Scenario.from_dict(doc))


_fragments = st.sampled_from(
    [
        "[stillingsprosent]\n",
        "[[oppgavedeling]]\n",
        "[utdanningskapasitet.grupper.lege]\n",
        "relative_change = 0.1\n",
        "absolute_change = -0.1\n",
        "cap = 1e308\n",
        "years = nan\n",
        'groups = ["lege", "x"]\n',
        "start_year = 2024\n",
        "full_effect_year = 2051\n",
        'from = "lege"\nto = "utenfor"\n',
        "arsverk = 0\n",
        "a.b.c = 1\n",
        'baseline = "x.toml"\n',
        'baseline = "referanse"\n',
        "= \n",
        "[\n",
        "x = [1, 'a', {b = 2}]\n",
    ]
)


@settings(max_examples=200, deadline=None)
@given(
    parts=st.lists(st.one_of(_fragments, _text.map(lambda s: s + "\n")), max_size=10),
    raw=st.binary(max_size=40),
)
def test_fuzz_text_and_bytes(
    tmp_path_factory: pytest.TempPathFactory, parts: list[str], raw: bytes
) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / "t.toml"
    path.write_text("".join(parts), encoding="utf-8")
    _only_config_error(lambda: load_scenario(path))
    path.write_bytes(raw)
    _only_config_error(lambda: load_scenario(path))


# --- import cost ----------------------------------------------------------------------------


def test_import_is_light() -> None:
    code = (
        "import sys, helsemodlite.scenarios.files; "
        "bad = [m for m in ('pandas', 'scipy', 'statsmodels', 'matplotlib') if m in sys.modules]; "
        "assert not bad, bad"
    )
    env_path = str(ROOT / "src")
    res = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": env_path, "PATH": ""},
        check=False,
    )
    assert res.returncode == 0, res.stderr


@pytest.mark.parametrize("error", [KeyError("x"), ZeroDivisionError("y"), TypeError("z")])
def test_an_internal_error_surfaces_as_itself(
    error: Exception, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A defect in a reader is never disguised as the user's ConfigError."""
    from helsemodlite.scenarios import files

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise error

    monkeypatch.setattr(files, "read_hooks", broken)
    with pytest.raises(type(error)):
        Scenario.from_dict({"sykefravaer": {"relative_change": -0.1}})


@pytest.mark.parametrize(
    ("table", "key", "value", "hint"),
    [
        ("stillingsprosent", "relative_change", 5, "did you mean 0.05 (5 %)?"),
        ("sykefravaer", "relative_change", 10, "did you mean 0.1 (10 %)?"),
        ("utdanningskapasitet", "relative_change", 20, "did you mean 0.2 (20 %)?"),
        ("standardvekst", "annual_rate", 0.5, None),
        ("produktivitet", "annual_rate", 7, "did you mean 0.07 (7 %)?"),
    ],
)
def test_a_percentage_where_a_fraction_belongs_gets_a_hint(
    table: str, key: str, value: float, hint: str | None
) -> None:
    with pytest.raises(ConfigError) as err:
        Scenario.from_dict({table: {key: value}})
    text = str(err.value)
    assert f"[{table}] {key}" in text
    if hint is None:
        assert "did you mean" not in text
    else:
        assert hint in text


@pytest.mark.parametrize("key", ["start_year", "full_effect_year", "groups"])
def test_healthy_ageing_refuses_keys_it_cannot_honour(key: str) -> None:
    """Every key has an effect or is refused: `enabled = false, start_year = 2035` used to
    change 2025 demand silently."""
    value: Any = ["sykepleier"] if key == "groups" else 2035
    with pytest.raises(ConfigError, match=f"{key}: not allowed here: a property of the population"):
        Scenario.from_dict({"friskere_aldring": {"enabled": False, key: value}})


@pytest.mark.parametrize("name", sorted(shipped_scenarios()))
def test_to_toml_of_a_shipped_scenario_reloads_to_the_same_projection(
    name: str, tmp_path: Path
) -> None:
    import helsemodlite as hm

    sc = load_scenario(name)
    path = tmp_path / f"{name}.toml"
    path.write_text(sc.to_toml(), encoding="utf-8")
    back = load_scenario(path)
    assert back.name == sc.name and back.title == sc.title
    assert {k: v for k, v in back.to_dict().items() if k in HOOK_TABLES} == {
        k: v for k, v in sc.to_dict().items() if k in HOOK_TABLES
    }
    np.testing.assert_array_equal(
        hm.project(back, detail=False).gap, hm.project(sc, detail=False).gap
    )


def test_to_toml_of_a_combined_scenario_reloads(tmp_path: Path) -> None:
    import helsemodlite as hm

    combined = hm.combine(["heltid_10", "avgangsalder_1", "tasen_modellen"])
    path = tmp_path / "kombinert.toml"
    path.write_text(combined.to_toml(), encoding="utf-8")
    back = load_scenario(path)
    np.testing.assert_array_equal(
        hm.project(back, detail=False).gap, hm.project(combined, detail=False).gap
    )


@settings(max_examples=40)
@given(scenario_dicts())
def test_to_toml_round_trips_any_valid_scenario(d: dict) -> None:
    sc = Scenario.from_dict(d, name="x")
    back = Scenario.from_dict(tomllib.loads(sc.to_toml()), name="x")
    assert {k: v for k, v in back.to_dict().items() if k in HOOK_TABLES} == {
        k: v for k, v in sc.to_dict().items() if k in HOOK_TABLES
    }
