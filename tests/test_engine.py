"""Unit tests of the kernels on the toy model (numbers checkable by hand)."""

from __future__ import annotations

import numpy as np
import pytest

import helsemodlite as hm
from helsemodlite.model import engine
from helsemodlite.testing import toy_inputs


def test_toy_stock_ages_and_graduates_enter() -> None:
    proj = hm.project(inputs=toy_inputs())
    stock = proj.supply_result.cells["stock"][0]  # (year, group, sex, age)
    # 2025: the 10 persons aged 20–23 move up one age, 1 graduate enters at 20, the 24-year-olds
    # (10) age out.
    assert stock[1, 0, 0].tolist() == [1.0, 10.0, 10.0, 10.0, 10.0]
    assert stock[3, 0, 0].tolist() == [1.0, 1.0, 1.0, 10.0, 10.0]
    assert proj.supply_result.flows["aged_out"][0, 1, 0] == pytest.approx(20.0)


def _moves(share: float) -> np.ndarray:
    """Toy transitions: ``share`` of the lege graduates come from the sykepleier stock."""
    t = np.zeros((2, 2))
    t[0, 1] = share
    return t


def test_further_education_moves_persons_between_groups_and_loses_none() -> None:
    """A lege graduate who was a sykepleier leaves that stock in the same year, sex and age:
    a move, not a new person (no exits, deaths or ageing out in the toy's years), the flow is
    share × graduates, and the stock-flow accounts close in every cell."""
    plain = hm.project(inputs=toy_inputs())
    moved = hm.project(inputs=toy_inputs(transitions=_moves(0.5)))
    a, b = plain.supply_result, moved.supply_result
    fe_total = np.cumsum(b.flows["further_education"][0].sum(axis=1))
    assert fe_total[-1] == pytest.approx(3 * 0.5 * 2)  # three years, two sexes
    assert b.stock[0].sum(axis=1) == pytest.approx(a.stock[0].sum(axis=1) - fe_total)
    assert b.stock[0, 1:, 0] == pytest.approx(a.stock[0, 1:, 0] - 0.5 * 2 * np.arange(1, 4))
    assert b.stock[0, :, 1] == pytest.approx(a.stock[0, :, 1])  # the lege graduates still enter
    fe = b.flows["further_education"][0]
    assert fe[1:, 0] == pytest.approx(0.5 * 2) and fe[:, 1] == pytest.approx(0.0)
    assert np.abs(engine.stock_flow_residual(b)).max() < 1e-12
    assert np.abs(engine.aggregate_residual(b)).max() < 1e-12


def test_further_education_follows_the_destinations_graduates() -> None:
    """A count, not a rate: doubling the lege graduates doubles what the sykepleiere lose."""
    base = toy_inputs(transitions=_moves(0.25))
    more = toy_inputs(transitions=_moves(0.25), graduates=base.graduates * [[[1.0]], [[2.0]]])
    fe = [
        hm.project(inputs=i).supply_result.flows["further_education"][0, 1:, 0]
        for i in (base, more)
    ]
    assert fe[1] == pytest.approx(2.0 * fe[0])


def test_further_education_moves_no_one_from_an_empty_cell_and_says_so() -> None:
    """Nine lege graduates a year from a sykepleier cell that holds one person: one moves, the
    other eight count as new persons, the accounts still close, and the projection notes it."""
    inp = toy_inputs(transitions=_moves(1.0), graduates=toy_inputs().graduates * [[[1]], [[9]]])
    proj = hm.project(inputs=inp)
    res = proj.supply_result
    assert res.cells["stock"].min() >= 0.0
    assert res.flows["further_education"][0, 1:, 0] == pytest.approx(2 * 1.0)  # 1 per sex
    assert res.unmatched_moves is not None
    assert res.unmatched_moves[0].tolist() == pytest.approx([3 * 2 * 8.0, 0.0])
    assert np.abs(engine.stock_flow_residual(res)).max() < 1e-12
    (note,) = [n for n in proj.notes if "transitions.csv" in n]
    assert "48 of them" in note and "count as new persons" in note
    # the decomposition stays exact, and what could not move belongs to the graduates
    parts = proj.decompose()
    last = parts[parts.year == proj.years[-1]]
    total = last.groupby("group").value.sum()
    assert total["Sum"] == pytest.approx(float(proj.gap[0, -1].sum()))
    assert last[last.driver == "tiltak_tilbud"].value.abs().max() < 1e-9  # no measures here


def test_transitions_must_be_shares_of_other_groups() -> None:
    with pytest.raises(hm.InputError, match="cannot move graduates out of itself"):
        toy_inputs(transitions=np.eye(2) * 0.5)
    with pytest.raises(hm.InputError, match=r"transitions: values must lie in \[0, 1\]"):
        toy_inputs(transitions=_moves(1.5))


def test_toy_supply_is_stock_times_p_times_e() -> None:
    proj = hm.project(inputs=toy_inputs())
    # 2024: 10 persons × 5 ages × 2 sexes × P 0.5 × E 0.8 = 40 årsverk per group.
    assert proj.supply[0, 0].tolist() == pytest.approx([40.0, 40.0])
    # 2025: (4 × 10 + 1) × 2 × 0.4 = 32.8
    assert proj.supply[0, 1].tolist() == pytest.approx([32.8, 32.8])


def test_mortality_and_exits_remove_persons() -> None:
    inp = toy_inputs(mortality=0.1, exit_rate=0.05)
    proj = hm.project(inputs=inp)
    flows = proj.supply_result.flows
    # Year 1: 50 persons per group and sex at risk → 5 deaths and 2.5 exits, × 2 sexes.
    assert flows["deaths"][0, 1, 0] == pytest.approx(10.0)
    assert flows["exits"][0, 1, 0] == pytest.approx(5.0)
    assert proj.check_accounting().empty


def test_stock_flow_identity_holds_in_every_cell() -> None:
    rng = np.random.default_rng(1)
    shape = (2, 2, 5)
    inp = toy_inputs(
        stock=rng.uniform(0, 100, shape),
        mortality=rng.uniform(0, 0.05, (1, 4, 2, 30)),
        exit_rate=rng.uniform(0, 0.05, shape),
        graduates=rng.uniform(0, 5, shape),
        immigrants=rng.uniform(0, 5, shape),
    )
    proj = hm.project(inputs=inp)
    assert np.abs(engine.stock_flow_residual(proj.supply_result)).max() < 1e-9
    assert np.abs(engine.aggregate_residual(proj.supply_result)).max() < 1e-9
    assert (proj.supply_result.cells["stock"] >= 0).all()


def test_demand_equals_base_supply_in_base_year_and_follows_population() -> None:
    inp = toy_inputs(
        population=np.full((1, 4, 2, 30), 100.0) * np.array([1, 1.1, 1.2, 1.5])[None, :, None, None]
    )
    proj = hm.project(inputs=inp)
    assert proj.demand[0, 0].tolist() == pytest.approx(proj.supply[0, 0].tolist())
    # No healthier-ageing effect without mortality change; use is flat, so demand ∝ population.
    assert proj.demand[0, :, 0].tolist() == pytest.approx([40.0, 44.0, 48.0, 60.0])


def test_summed_demand_equals_the_sum_of_the_cells() -> None:
    """The Monte Carlo route (services summed before the draws' growth, no cells) gives what
    summing the cells gives, for draws that mix population alternatives, healthier-ageing
    strengths and growth paths (repeated ones included); with a demand-side measure it is the
    cells' route."""
    from helsemodlite.model.paths import reference_demand_plan
    from helsemodlite.model.run import group_demand, run_demand
    from helsemodlite.scenarios.compile import scenario_paths

    inp = hm.load_inputs()
    plan = reference_demand_plan(inp, 6)
    plan.alternative[:] = [0, 1, 0, 2, 1, 0]
    plan.healthy_ageing[[1, 4]] = 0.5
    plan.healthy_ageing[3] = np.linspace(0.0, 1.0, len(inp.years))
    plan.growth_index[2] = 1.01 ** np.arange(len(inp.years))
    _, observed, total = run_demand(inp, plan)
    fast_observed, fast_total = group_demand(inp, plan)
    np.testing.assert_allclose(fast_observed, observed, rtol=1e-12)
    np.testing.assert_allclose(fast_total, total, rtol=1e-12)
    assert len({round(float(v), 6) for v in observed[:, -1].sum(axis=1)}) == 4  # 0 = 5, 1 = 4
    _, plan, _, adjust = scenario_paths(inp, [{"produktivitet": {"annual_rate": 0.01}}])
    np.testing.assert_allclose(group_demand(inp, plan, adjust)[0], run_demand(inp, plan, adjust)[1])
    assert group_demand(inp, plan, adjust)[0][0, -1].sum() < observed[0, -1].sum()


def test_standard_growth_compounds() -> None:
    inp = toy_inputs(
        parameters={
            "standard_growth": 0.1,
            "healthy_ageing_min_age": 25.0,
            "healthy_ageing_share": 0.5,
            "initial_shortage_total": 0.0,
        }
    )
    proj = hm.project(inputs=inp)
    assert proj.demand[0, 3, 0] == pytest.approx(40.0 * 1.1**3)


def test_initial_shortage_is_carried_in_every_year() -> None:
    from helsemodlite.model.inputs import Calibration

    shortage = np.array([5.0, -2.0])
    ones = np.ones(2)
    inp = toy_inputs(calibration=Calibration(ones, ones, ones, shortage, np.zeros(2)))
    proj = hm.project(inputs=inp)
    assert proj.gap[0, :, 0].tolist()[0] == pytest.approx(-5.0)
    assert proj.gap[0, 0, 1] == pytest.approx(2.0)
    summary = proj.summary()
    sums = summary[summary.group == "Sum"].set_index("year")
    groups = summary[summary.group != "Sum"].groupby("year")[["supply", "demand", "gap"]].sum()
    assert np.allclose(sums[["supply", "demand", "gap"]].to_numpy(), groups.to_numpy())
    assert np.allclose(summary.gap, summary.supply - summary.demand)


def test_healthier_ageing_lowers_demand_when_mortality_falls() -> None:
    q = np.full((1, 4, 2, 30), 0.05)
    q[:, 1:, :, 25:] = 0.03  # mortality falls above 25 after the base year
    use = np.ones((2, 2, 30))
    use[:, :, 25:] = np.linspace(1, 3, 5)  # use rises with age above 25
    inp = toy_inputs(mortality=q, use=use)
    e = engine.remaining_life_expectancy(q[0], 25)
    assert (e[1:] > e[0]).all()
    with_ha = engine.demand_index(inp, 0, True)
    without = engine.demand_index(inp, 0, False)
    assert with_ha[0, 0] == pytest.approx(1.0)
    assert with_ha[1, 0] < without[1, 0]
    # Service "b" has healthy_ageing = False in the toy: unaffected.
    assert with_ha[1, 1] == pytest.approx(without[1, 1])


def test_remaining_life_expectancy_constant_hazard() -> None:
    # With q = 1 − e^{−m} at every age and an open last age, e ≈ 1/m for a long tail.
    m = 0.1
    q = np.full(400, 1 - np.exp(-m))
    assert engine.remaining_life_expectancy(q, 0) == pytest.approx(1 / m, rel=0.01)


def test_gap_table_layout_and_detail_schema() -> None:
    proj = hm.project(inputs=toy_inputs())
    table = proj.gap_table(years=(2025, 2027))
    assert list(table.index) == ["Sykepleier", "Lege", "Sum"]
    assert table.loc["Sum", 2027] == pytest.approx(table.iloc[:2][2027].sum())
    detail = proj.detail()
    assert list(detail.columns) == ["year", "group", "sex", "age", "variable", "value"]
    assert len(detail) == 4 * 2 * 2 * 5 * 9  # stock, employed, årsverk and the six flows
    with pytest.raises(ValueError, match="outside the projection"):
        proj.gap_table(years=(2060,))


def test_every_array_states_its_axes_in_the_declared_order() -> None:
    from helsemodlite import dims
    from helsemodlite.model.inputs import ARRAY_AXES

    inp = toy_inputs()
    for name, axes in ARRAY_AXES.items():
        assert set(axes) <= set(dims.AXES), name
        assert list(axes) == sorted(axes, key=dims.AXES.index), name  # the order of dims.AXES
        assert getattr(inp, name).shape == inp.shapes()[name]


def test_the_one_cohort_step_keeps_the_accounts() -> None:
    """model.cohort.cohort_step is the year step of the personnel model, the stock roll-forward
    and the population projection of the build: survivors age by one year, inflows are added,
    the oldest survivors leave (personnel) or stay in the open age group (population)."""
    from helsemodlite.data import population, supply_stock
    from helsemodlite.model import cohort

    rng = np.random.default_rng(7)
    stock = rng.uniform(0, 100, (3, 2, 6))
    q, x = rng.uniform(0, 0.2, (2, 6)), rng.uniform(0, 0.2, (3, 2, 6))
    inflow = rng.uniform(0, 10, (3, 2, 6))
    closed = cohort.cohort_step(stock, q, x, (inflow,))
    assert closed.exits is not None
    lost = closed.deaths.sum() + closed.exits.sum() + closed.aged_out.sum()
    assert closed.stock.sum() == pytest.approx(stock.sum() - lost + inflow.sum())
    np.testing.assert_allclose(closed.stock[..., 0], inflow[..., 0])
    np.testing.assert_allclose(closed.aged_out, closed.survivors[..., -1])
    opened = cohort.cohort_step(stock, q, None, (), open_top=True)
    assert opened.stock.sum() == pytest.approx(stock.sum() - opened.deaths.sum())
    assert not opened.aged_out.any()
    for module in (engine, population, supply_stock):  # one kernel, three users
        assert module.cohort_step is cohort.cohort_step


@pytest.mark.parametrize(
    "scenario", [None, "heltid_10", "plan_samlet", "utdanning_pluss10", "befolkning_hhmh"]
)
def test_the_decomposition_adds_up_to_the_gap_in_every_year(scenario: str | None) -> None:
    """Projection.decompose: the drivers add up exactly to each group's gap, in every year."""
    import helsemodlite as hm

    proj = hm.project(scenario, detail=False)
    parts = proj.decompose()
    total = parts.groupby(["year", "group"]).value.sum().unstack("group")
    np.testing.assert_allclose(total[list(proj.inputs.groups)].to_numpy(), proj.gap[0], atol=1e-6)
    np.testing.assert_allclose(total["Sum"].to_numpy(), proj.gap[0].sum(axis=1), atol=1e-6)
    first = parts[parts.year == proj.years[0]].set_index(["driver", "group"]).value
    assert np.allclose(first.drop("basisår", level="driver"), 0.0, atol=1e-6)  # base year
    late = parts[(parts.year == 2040) & (parts.group == "Sum")].set_index("driver").value
    assert late["avgang"] < 0 < late["utdannede"] and late["befolkning"] < 0
    if scenario is None:  # the reference has no measures
        assert abs(late["tiltak_tilbud"]) < 1e-6 and abs(late["tiltak_etterspørsel"]) < 1e-6
    if scenario == "heltid_10":
        effect = hm.compare(["heltid_10"]).set_index(["group", "year"]).gap.loc[("Sum", 2040)]
        assert late["tiltak_tilbud"] == pytest.approx(effect, rel=1e-9)


def test_explain_prints_the_drivers(capsys: pytest.CaptureFixture[str]) -> None:
    from helsemodlite.cli import main

    assert main(["explain", "heltid_10", "--year", "2035"]) == 0
    out = capsys.readouterr().out
    assert "Gapet i 2035" in out and "tiltak_tilbud" in out and "Sum" in out
    assert main(["explain", "--year", "2060"]) == 2


def test_explain_by_age_shows_where_supply_demand_and_a_measure_act(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import re

    from helsemodlite.cli import main

    assert main(["explain", "avgangsalder_1", "--by-age", "--group", "sykepleier"]) == 0
    out = capsys.readouterr().out
    assert "Tilbud 2040 etter kilde og alder" in out and "Sykepleier" in out
    assert "hvor virker tiltaket" in out and "etter brukernes alder" in out
    # The measure acts only from 60: its effect rows below 60 are 0, and its Sum is the
    # compare() supply effect of the group, rounded to 100.
    effect = out.split("hvor virker tiltaket?")[1].split("Vekst i etterspørselen")[0]
    last = re.compile(r"^(\S+)\s.*?(-?\d{1,3}(?:[ \u00a0\u202f]\d{3})*)\s*$")
    rows = {
        m[1]: int(re.sub(r"\D", "", m[2]) or 0) for m in map(last.match, effect.splitlines()) if m
    }
    assert all(rows[b] == 0 for b in ("20-29", "30-39", "40-49", "50-59")), rows
    expected = hm.compare(["avgangsalder_1"]).set_index(["group", "year"]).supply
    assert rows["Sum"] == pytest.approx(expected.loc[("sykepleier", 2040)], abs=50)
    assert main(["explain", "--by-age", "--group", "kokk"]) == 2
    assert "unknown group 'kokk'" in capsys.readouterr().err


def test_supply_by_source_adds_up_and_shows_where_a_measure_acts() -> None:
    """Projection.supply_by_source: base-year stock, graduates, immigrants and the measures add
    up to the årsverk of every group and year; a later exit acts only from age 60."""
    import helsemodlite as hm

    proj = hm.project("avgangsalder_1", detail=False)
    table = proj.supply_by_source()
    total = table.groupby(["year", "group"]).value.sum().unstack("group")
    np.testing.assert_allclose(
        total[list(proj.inputs.groups)].to_numpy(), proj.supply[0], atol=1e-6
    )
    late = table[(table.year == 2040) & (table.source == "tiltak_tilbud")]
    by_band = late.groupby("age_band").value.sum()
    assert by_band[["60-66", "67-79"]].min() > 100
    assert by_band.drop(["60-66", "67-79"]).abs().max() < 1e-6
    base = table[(table.year == proj.years[0])].groupby("source").value.sum()
    assert base["utdannede"] == 0 and base["innvandrere"] == 0 and base["basisbestand"] > 0


@pytest.mark.parametrize("scenario", [None, "befolkning_llml", "plan_samlet"])
def test_demand_by_age_adds_up_to_the_population_driver(scenario: str | None) -> None:
    """Projection.demand_by_age: the users' age bands and the births add up exactly to the
    population driver of decompose (opposite sign) in every year and group; births act through
    the birth-driven service area, jordmor's largest; the oldest old carry the growth after
    2030."""
    import helsemodlite as hm

    proj = hm.project(scenario, detail=False)
    by_age = proj.demand_by_age()
    parts = proj.decompose()
    pop = parts[parts.driver == "befolkning"].set_index(["year", "group"]).value
    total = by_age.groupby(["year", "group"]).value.sum()
    np.testing.assert_allclose(total.to_numpy(), -pop.reindex(total.index).to_numpy(), atol=1e-6)
    base = by_age[by_age.year == proj.years[0]]
    assert np.allclose(base.value, 0.0, atol=1e-9)
    births = by_age[(by_age.age_band == "fødsler") & (by_age.year == 2040)].set_index("group")
    share = births.value / by_age[by_age.year == 2040].groupby("group").value.sum().abs()
    assert share.drop("Sum").abs().idxmax() == "jordmor"
    wide = by_age[by_age.group == "Sum"].pivot(index="year", columns="age_band", values="value")
    growth = wide.loc[2040] - wide.loc[2030]
    assert growth[["85-89", "90+"]].sum() > 0.5 * growth.sum()


@pytest.mark.parametrize(
    ("scenario", "source"),
    [("utdanning_pluss10", "utdannede"), ("avgangsalder_1", "tiltak_tilbud")],
)
def test_supply_effect_by_age_adds_up_to_the_effect(scenario: str, source: str) -> None:
    """hm.supply_effect_by_age: scenario minus reference by source and age band; it adds up to
    compare's supply effect, and an inflow measure acts only through its inflow, from the
    youngest ages up; a later exit only from 60."""
    import helsemodlite as hm

    table = hm.supply_effect_by_age(scenario)
    effect = hm.compare([scenario], years=[2030, 2040]).set_index(["group", "year"]).supply
    total = table.groupby(["group", "year"]).value.sum()
    for (group, year), value in effect.drop("Sum", level="group").items():
        assert total[(group, year)] == pytest.approx(value, abs=1e-6)
    late = table[table.year == 2040]
    by_source = late.groupby("source").value.sum()
    assert by_source[source] > 100
    assert by_source.drop(source).abs().max() < 1e-6
    bands = late[late.source == source].groupby("age_band").value.sum()
    if source == "utdannede":
        assert bands.iloc[0] > 0 and bands.idxmax() != bands.index[-1]
    else:
        assert bands.drop(["60-66", "67-79"]).abs().max() < 1e-6


def test_the_exit_factor_scales_the_other_exits() -> None:
    from dataclasses import replace

    from helsemodlite.model.inputs import Calibration

    base = toy_inputs(exit_rate=0.05)
    ones = np.ones(len(base.groups))
    cal = Calibration(ones, ones, np.array([2.0, 1.0]), ones * 0, ones * 0)
    a = hm.project(inputs=base).supply_result.flows["exits"]
    b = hm.project(inputs=replace(base, calibration=cal)).supply_result.flows["exits"]
    assert a[0, 1].tolist() == pytest.approx([5.0, 5.0])  # as in the test above
    assert b[0, 1].tolist() == pytest.approx([10.0, 5.0])  # group 0's exits doubled


def test_explain_prints_the_notes_of_the_projection(
    tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    """A scenario whose moves by further education were limited says so in explain too."""
    from helsemodlite.cli import main

    path = tmp_path / "j.toml"
    path.write_text("[utdanningskapasitet.grupper.jordmor]\nfixed_graduates = 5000\n", "utf-8")
    assert main(["explain", str(path), "--year", "2040"]) == 0
    assert "could not be moved" in capsys.readouterr().err
