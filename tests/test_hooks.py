"""Each scenario hook on the toy model: its direction and a hand-checkable value."""

from __future__ import annotations

import numpy as np
import pytest

import helsemodlite as hm
from helsemodlite.testing import toy_inputs


@pytest.fixture(scope="module")
def toy() -> hm.Inputs:
    return toy_inputs()


@pytest.fixture(scope="module")
def ref(toy: hm.Inputs) -> hm.Projection:
    return hm.project(inputs=toy)


def supply(toy: hm.Inputs, scenario: dict) -> np.ndarray:
    return hm.project(scenario, inputs=toy).supply[0, :, 0]


def demand(toy: hm.Inputs, scenario: dict) -> np.ndarray:
    return hm.project(scenario, inputs=toy).demand[0]


def test_neutral_hooks_equal_the_reference(toy: hm.Inputs, ref: hm.Projection) -> None:
    neutral = {
        "stillingsprosent": {"relative_change": 0.0},
        "sykefravaer": {"relative_change": 0.0},
        "seniordeltakelse": {"relative_change": 0.0},
        "utdanningskapasitet": {"relative_change": 0.0},
        "innvandring": {"relative_change": 0.0},
        "standardvekst": {"annual_rate": 0.005 * 0},  # the toy's reference rate is 0
        "produktivitet": {"annual_rate": 0.0},
    }
    proj = hm.project(neutral, inputs=toy)
    np.testing.assert_array_equal(proj.supply, ref.supply)
    np.testing.assert_allclose(proj.demand, ref.demand)


def test_stillingsprosent_relative_and_cap(toy: hm.Inputs) -> None:
    # E = 0.8: +10 % → 0.88 everywhere; 2025 supply = 41 persons × 2 × 0.5 × 0.88 = 36.08
    s = supply(toy, {"stillingsprosent": {"relative_change": 0.1}})
    assert s[1] == pytest.approx(36.08)
    # +50 % would give 1.2 but the cap is 1.0: 41 × 2 × 0.5 × 1.0 = 41
    s = supply(toy, {"stillingsprosent": {"relative_change": 0.5}})
    assert s[1] == pytest.approx(41.0)
    s = supply(toy, {"stillingsprosent": {"relative_change": 0.5, "cap": 0.9}})
    assert s[1] == pytest.approx(41 * 0.9)


def test_stillingsprosent_cap_never_lowers_a_cell_above_it() -> None:
    inp = toy_inputs(fte=1.1)
    ref = hm.project(inputs=inp).supply
    s = hm.project({"stillingsprosent": {"relative_change": 0.1}}, inputs=inp).supply
    np.testing.assert_allclose(s, ref)


def test_stillingsprosent_per_person_caps_the_full_timers() -> None:
    """per_person: a two-point distribution - full-timers (fulltime_share) at 1 cannot rise;
    part-timers at (E − f)/(1 − f) rise up to the cap."""
    sc = {"stillingsprosent": {"relative_change": 0.1, "per_person": True}}
    plain = toy_inputs()  # no full-time share: per person is the cell average
    np.testing.assert_allclose(
        hm.project(sc, inputs=plain).supply,
        hm.project({"stillingsprosent": {"relative_change": 0.1}}, inputs=plain).supply,
    )
    inp = toy_inputs(fulltime_share=0.5)
    # E 0.8 = 0.5 × 1 + 0.5 × 0.6; part-timers 0.6 → 0.66: E 0.83 (the average rule: 0.88).
    # 2025: 41 persons × 2 sexes × P 0.5 × 0.83 × (1 − 0.1)/(1 − 0.1)
    s = hm.project(sc, inputs=inp).supply[0, 1]
    assert s.tolist() == pytest.approx([41 * 0.83, 41 * 0.83])
    # +50 %: part-timers 0.9, still below the cap; +100 %: capped at 1, E 1.0
    big = {"stillingsprosent": {"relative_change": 1.0, "per_person": True}}
    assert hm.project(big, inputs=inp).supply[0, 1, 0] == pytest.approx(41.0)
    # a full-time share above E is read as E (the part-timers then have 0): nothing can rise
    over = toy_inputs(fulltime_share=1.0)
    np.testing.assert_allclose(hm.project(sc, inputs=over).supply, hm.project(inputs=over).supply)
    # the reference is untouched by the new input
    np.testing.assert_allclose(hm.project(inputs=inp).supply, hm.project(inputs=plain).supply)


def test_stillingsprosent_ages_phase_and_groups(toy: hm.Inputs) -> None:
    sc = {
        "stillingsprosent": {
            "absolute_change": 0.1,
            "ages": [23, 24],
            "groups": ["lege"],
            "start_year": 2025,
            "full_effect_year": 2026,
        }
    }
    proj = hm.project(sc, inputs=toy)
    # sykepleier untouched; lege 2025 at half effect on ages 23–24 (20 persons per sex)
    assert proj.supply[0, 1, 0] == pytest.approx(32.8)
    assert proj.supply[0, 1, 1] == pytest.approx(32.8 + 2 * 20 * 0.5 * 0.05)
    assert proj.supply[0, 2, 1] == pytest.approx(25.6 + 2 * 20 * 0.5 * 0.1)


def test_sykefravaer_reduction_raises_supply(toy: hm.Inputs) -> None:
    # sick leave 0.1 → 0.05: factor 0.95 / 0.9
    s = supply(toy, {"sykefravaer": {"relative_change": -0.5}})
    assert s[1] == pytest.approx(32.8 * 0.95 / 0.9)
    assert s[0] == pytest.approx(40.0)  # base year untouched
    assert supply(toy, {"sykefravaer": {"relative_change": 0.5}})[1] < 32.8


def test_seniordeltakelse_absolute_and_relative(toy: hm.Inputs) -> None:
    # P 0.5 → 0.6 at ages ≥ 22 (30 persons per sex in 2025)
    s = supply(toy, {"seniordeltakelse": {"absolute_change": 0.1, "min_age": 22}})
    assert s[1] == pytest.approx((0.5 * 11 + 0.6 * 30) * 2 * 0.8)
    s = supply(toy, {"seniordeltakelse": {"relative_change": 1.0, "min_age": 22}})
    assert s[1] == pytest.approx((0.5 * 11 + 1.0 * 30) * 2 * 0.8)  # P doubled, capped at 1
    s = supply(toy, {"seniordeltakelse": {"absolute_change": 0.8, "min_age": 22}})
    assert s[1] == pytest.approx((0.5 * 11 + 1.0 * 30) * 2 * 0.8)  # 0.5 + 0.8 capped at 1


def test_utdanningskapasitet_and_innvandring(toy: hm.Inputs) -> None:
    s = supply(toy, {"utdanningskapasitet": {"relative_change": 1.0}})
    assert s[1] == pytest.approx((40 + 2) * 0.8)  # 2 graduates per sex instead of 1
    fixed = {
        "utdanningskapasitet": {"grupper": {"lege": {"fixed_graduates": 10, "start_year": 2026}}}
    }
    proj = hm.project(fixed, inputs=toy)
    grads = proj.supply_result.flows["graduates"][0, :, 1]
    assert grads.tolist() == pytest.approx([0, 2, 10, 10])
    assert proj.supply_result.flows["graduates"][0, 2, 0] == pytest.approx(2)
    inp = toy_inputs(immigrants=1.0)
    base = hm.project(inputs=inp).supply_result.flows["immigrants"][0, 1, 0]
    more = hm.project({"innvandring": {"relative_change": 0.5}}, inputs=inp)
    assert more.supply_result.flows["immigrants"][0, 1, 0] == pytest.approx(1.5 * base)


def test_utdanningskapasitet_follows_population() -> None:
    pop = np.full((1, 4, 2, 30), 100.0) * np.array([1.0, 1.1, 1.21, 1.331])[None, :, None, None]
    inp = toy_inputs(population=pop)
    proj = hm.project({"utdanningskapasitet": {"follow_population": True}}, inputs=inp)
    grads = proj.supply_result.flows["graduates"][0, :, 0]
    assert grads[1:].tolist() == pytest.approx([2.2, 2.42, 2.662])


def test_standardvekst_and_produktivitet(toy: hm.Inputs) -> None:
    d = demand(toy, {"standardvekst": {"annual_rate": 0.1}})
    assert d[3, 0] == pytest.approx(40 * 1.1**3)
    d = demand(toy, {"produktivitet": {"annual_rate": 0.01}})
    assert d[:, 0].tolist() == pytest.approx([40, 39.6, 39.204, 38.81196])


def test_oppgavedeling_moves_arsverk(toy: hm.Inputs) -> None:
    sc = {
        "oppgavedeling": [
            {
                "from": "sykepleier",
                "to": "lege",
                "arsverk": 6,
                "start_year": 2025,
                "full_effect_year": 2027,
                "conversion": 0.5,
            }
        ]
    }
    d = demand(toy, sc)
    assert d[:, 0].tolist() == pytest.approx([40, 38, 36, 34])
    assert d[:, 1].tolist() == pytest.approx([40, 41, 42, 43])
    out = demand(toy, {"oppgavedeling": [{"from": "sykepleier", "to": "utenfor", "share": 0.25}]})
    assert out[1:, 0].tolist() == pytest.approx([30, 30, 30])
    assert out[1:, 1].tolist() == pytest.approx([40, 40, 40])


def test_friskere_aldring_off_raises_demand_when_mortality_falls() -> None:
    q = np.full((1, 4, 2, 30), 0.05)
    q[:, 1:, :, 25:] = 0.02
    use = np.ones((2, 2, 30))
    use[:, :, 25:] = np.linspace(1, 4, 5)
    inp = toy_inputs(mortality=q, use=use)
    on = hm.project(inputs=inp).demand[0, 3, 0]
    off = hm.project({"friskere_aldring": {"enabled": False}}, inputs=inp).demand[0, 3, 0]
    assert off > on


def test_unknown_service_is_a_config_error(toy: hm.Inputs) -> None:
    with pytest.raises(hm.ConfigError, match="unknown service 'finnes_ikke'"):
        hm.project(
            {"produktivitet": {"annual_rate": 0.01, "services": ["finnes_ikke"]}}, inputs=toy
        )


def test_batch_equals_single_runs(toy: hm.Inputs) -> None:
    scenarios = [
        hm.Scenario.from_dict({"stillingsprosent": {"relative_change": r}}, name=f"s{i}")
        for i, r in enumerate([0.0, 0.05, 0.1])
    ] + [hm.Scenario.from_dict({"produktivitet": {"annual_rate": 0.01}}, name="p")]
    batch = hm.project_batch(scenarios, inputs=toy).summary()
    for sc in scenarios:
        single = hm.project(sc, inputs=toy).summary()
        mine = batch[batch.scenario == sc.name].drop(columns="scenario").reset_index(drop=True)
        np.testing.assert_allclose(
            mine[["supply", "demand", "gap"]].to_numpy(),
            single[["supply", "demand", "gap"]].to_numpy(),
        )


def test_a_batch_of_one_keeps_its_scenario_column(toy: hm.Inputs) -> None:
    """Code written for a sweep of any length: the column is there for one scenario too."""
    sc = hm.Scenario.from_dict({"stillingsprosent": {"relative_change": 0.05}}, name="s")
    one = hm.project_batch([sc], inputs=toy).summary()
    assert list(one.columns[:2]) == ["scenario", "year"]
    assert set(one.scenario) == {"s"}
    assert "scenario" not in hm.project(sc, inputs=toy).summary()


def test_a_batch_that_repeats_measures_equals_its_single_runs() -> None:
    """A grid of variants repeats each measure in many draws; the batch compiles a repeated
    supply measure once and copies its rows (scenarios.compile._ROW_HOOKS). On the default
    data, every draw of such a grid — per-group values, year paths, age ranges, timing, other
    hooks beside it — equals its single run."""
    exit_age = [
        {"years": 1.0, "from_age": 62},
        {"years": 2.0, "from_age": 60, "start_year": 2027, "full_effect_year": 2030},
    ]
    position = [
        {"relative_change": 0.1, "ages": [20, 49]},
        {"relative_change": 0.05, "grupper": {"sykepleier": {"absolute_change": 0.03}}},
        {"relative_change": {"2026": 0.02, "2030": 0.1}, "per_person": True},
    ]
    other = [
        {},
        {"sykefravaer": {"relative_change": -0.1}},
        {"seniordeltakelse": {"absolute_change": 0.05, "min_age": 60}},
        {"innvandring": {"relative_change": 0.2}, "befolkning": {"alternative": "HHMH"}},
    ]
    scenarios = [
        hm.Scenario.from_dict({"avgangsalder": a, "stillingsprosent": p, **o}, name=f"v{i}_{j}_{k}")
        for i, a in enumerate(exit_age)
        for j, p in enumerate(position)
        for k, o in enumerate(other)
    ]
    batch = hm.project_batch(scenarios)
    for d, sc in enumerate(scenarios):
        single = hm.project(sc, detail=False)
        np.testing.assert_allclose(batch.supply[d], single.supply[0], rtol=1e-12, atol=1e-9)
        np.testing.assert_allclose(batch.demand[d], single.demand[0], rtol=1e-12, atol=1e-9)


def test_tidstyver_frees_the_published_share(toy: hm.Inputs) -> None:
    # Middle scenario: sykepleiere/vernepleiere 17 %, leger og psykologer 15 % of working time,
    # here in service "a" (all of the toy's group demand), full effect from 2025.
    sc = {"tidstyver": {"level": "middels", "services": ["a"]}}
    d = demand(toy, sc)
    assert d[1:, 0].tolist() == pytest.approx([40 * 0.83] * 3)
    assert d[1:, 1].tolist() == pytest.approx([40 * 0.85] * 3)
    half = demand(toy, {"tidstyver": {"level": "hoy", "realised_share": 0.5, "services": ["a"]}})
    assert half[1, 0] == pytest.approx(40 * (1 - 0.5 * 0.28))
    low = demand(toy, {"tidstyver": {"level": "lav", "services": ["a"]}})
    assert (low[1:] > d[1:]).all()


def test_befolkning_alternatives_order_demand() -> None:
    """On the default data: the high alternative gives more demand than the main one, the low
    alternative less (and the main alternative equals the reference)."""
    proj = hm.project_batch(
        [
            hm.Scenario.from_dict({"befolkning": {"alternative": a}}, name=a)
            for a in ("LLML", "MMMM", "HHMH")
        ]
    )
    ref = hm.project(detail=False)
    y = proj.years.index(2040)
    low, main, high = proj.demand[:, y].sum(axis=1)
    assert low < main < high
    np.testing.assert_allclose(proj.demand[1], ref.demand[0])


def test_a_task_shift_moves_exactly_the_arsverk_it_names() -> None:
    """One truth in every output: the calibrated demand trend is in the cells before the shift,
    so summary() and services() both show the named årsverk moved in the full-effect year."""
    shift = {
        "oppgavedeling": [
            {
                "from": "sykepleier",
                "to": "helsefagarbeider",
                "arsverk": 1000,
                "service": "institusjon",
                "start_year": 2025,
                "full_effect_year": 2035,
            }
        ]
    }
    ref, sc = hm.project(detail=False), hm.project(shift)
    y = sc.years.index(2035)
    g = sc.inputs.groups.index("sykepleier")
    assert sc.demand[0, y, g] - ref.demand[0, y, g] == pytest.approx(-1000.0, abs=1e-6)
    moved = sc.services().query("year == 2035 and service == 'institusjon'")
    base = ref.services().query("year == 2035 and service == 'institusjon'")
    diff = dict(zip(moved.category, moved.demand.to_numpy() - base.demand.to_numpy(), strict=True))
    assert diff["sykepleier"] == pytest.approx(-1000.0, abs=1e-6)
    assert diff["helsefagarbeider"] == pytest.approx(1000.0, abs=1e-6)


def test_fixed_graduates_for_a_group_without_graduates_is_a_note_not_inf() -> None:
    """Found by hypothesis: a reference of 5e-324 graduates made the factor overflow."""
    import dataclasses

    toy = toy_inputs()
    toy = dataclasses.replace(toy, graduates=toy.graduates * 0 + 5e-324)
    group = toy.groups[0]
    proj = hm.project(
        {"utdanningskapasitet": {"grupper": {group: {"fixed_graduates": 1.0}}}}, inputs=toy
    )
    assert np.isfinite(proj.supply).all()
    assert any("no graduates in the inputs" in n for n in proj.notes)


def test_study_places_give_graduates_a_programme_later() -> None:
    """Extra study places from a year: graduates rise by places × completion rate, programme
    years later (toy: 3 years, 80 %)."""
    from helsemodlite.testing import TOY_YEARS

    inp = toy_inputs()
    first = TOY_YEARS[1]
    sc = {"utdanningskapasitet": {"study_places": 5, "start_year": first}}
    p = hm.project(sc, inputs=inp)
    r = hm.project(inputs=inp)
    extra = p.supply_result.flows["graduates"][0] - r.supply_result.flows["graduates"][0]
    n = len(TOY_YEARS)
    for i in range(n):  # the toy has 4 years: none reaches graduation before the last + 2
        expected = 5 * 0.8 if i >= 1 + 3 else 0.0
        assert extra[i].tolist() == pytest.approx([expected, expected]), i
    longer = toy_inputs(programme_years=np.array([1.0, 2.0]), completion_rate=np.array([1.0, 0.5]))
    e = (
        hm.project(sc, inputs=longer).supply_result.flows["graduates"][0]
        - hm.project(inputs=longer).supply_result.flows["graduates"][0]
    )
    assert e[1].tolist() == pytest.approx([0.0, 0.0])
    assert e[2].tolist() == pytest.approx([5.0, 0.0])
    assert e[3].tolist() == pytest.approx([5.0, 2.5])
    # fewer places can remove the graduates, never more than all of them
    cut = {"utdanningskapasitet": {"study_places": -1000, "start_year": first}}
    g = hm.project(cut, inputs=longer).supply_result.flows["graduates"][0]
    assert (g >= 0).all() and g[2, 0] == 0.0


def test_more_jordmor_graduates_are_nurses_who_leave_the_sykepleier_stock() -> None:
    """Further education is a move (model/transitions.csv): +100 jordmor graduates a year take
    100 persons a year out of the nurses' stock at the same ages, so the nurses' supply falls
    while the midwives' rises, and the move adds no person."""
    more = hm.Scenario.from_dict(
        {"utdanningskapasitet": {"grupper": {"jordmor": {"fixed_graduates": 217}}}}, name="j"
    )
    ref, proj = hm.project(detail=False), hm.project(more, detail=False)
    g = {name: ref.inputs.groups.index(name) for name in ("sykepleier", "jordmor")}
    y = ref.years.index(2040)
    grads = ref.supply_result.flows["graduates"][0, 1, g["jordmor"]]
    assert 90 < 217 - grads < 110  # about 100 more a year (the observed level is about 117)
    extra = (
        proj.supply_result.flows["further_education"] - ref.supply_result.flows["further_education"]
    )
    assert extra[0, 1:, g["sykepleier"]] == pytest.approx(217 - grads)
    persons = proj.supply_result.stock - ref.supply_result.stock
    assert persons[0, y, g["sykepleier"]] < -1000 < 1000 < persons[0, y, g["jordmor"]]
    # the year they move, no person is added; later the groups' exits differ (jordmor ~2 %)
    assert persons[0, 1].sum() == pytest.approx(0.0, abs=1e-9 * ref.supply_result.stock[0, 1].sum())
    assert proj.supply[0, y, g["sykepleier"]] < ref.supply[0, y, g["sykepleier"]]


def test_a_task_shift_of_all_demand_says_the_surplus_leaves_demand_negative() -> None:
    """tannlege has a base-year surplus (a negative shortage): moving all of its observed
    demand leaves demand below 0, which the projection says rather than hides."""
    sc = hm.Scenario.from_dict(
        {"oppgavedeling": [{"from": "tannlege", "to": "tannpleier", "share": 1.0}]}, name="alt"
    )
    proj = hm.project(sc, detail=False)
    assert (proj.demand[0, 1:, proj.inputs.groups.index("tannlege")] < 0).all()
    assert any("demand for tannlege is negative from 2025" in n for n in proj.notes)
    assert not any("negative" in n for n in hm.project(detail=False).notes)
