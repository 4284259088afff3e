"""Property tests: invariants of the model that must hold for any inputs and any scenario.

Random toy inputs (tests/strategies.py) are small enough that hundreds of projections take
seconds. Every property is stated in the docstring of its test.
"""

from __future__ import annotations

import contextlib
import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import helsemodlite as hm
from helsemodlite import dims
from helsemodlite.model import engine
from helsemodlite.scenarios import declarations
from helsemodlite.testing import toy_inputs
from strategies import (
    HOOK_STRATEGIES,
    SUPPLY_HOOKS,
    TOY_GROUPS,
    declining_profiles,
    default_inputs,
    floats,
    grid,
    group_lists,
    keys,
    mangled_toml,
    py_values,
    scenario_dicts,
    senior_toy,
    timing,
    toml_document,
    toml_documents,
    toy_fields,
    toys,
)

CELL = (len(TOY_GROUPS), 2, 5)


def close_or_above(high: np.ndarray, low: np.ndarray, rtol: float = 1e-9) -> bool:
    """high ≥ low, up to rounding."""
    scale = np.maximum(1.0, np.maximum(np.abs(high), np.abs(low)))
    return bool(np.all(high - low >= -rtol * scale))


def batch(inputs: hm.Inputs, *scenarios: dict[str, Any]) -> hm.Projection:
    named = [hm.Scenario.from_dict(s, name=f"s{i}") for i, s in enumerate(scenarios)]
    return hm.project_batch(named, inputs=inputs)


# ------------------------------------------------------------------------------------------------
# Accounting


@given(toys(), scenario_dicts(SUPPLY_HOOKS))
def test_stock_flow_identity_and_no_negative_cells(inputs: hm.Inputs, sc: dict) -> None:
    """In every cell and year, stock[t] = survivors of stock[t−1] aged one year + inflows (and
    the oldest survivors leave as aged_out); stocks, employed, årsverk and flows are finite and
    never negative, under any supply scenario."""
    proj = hm.project(sc, inputs=inputs)
    res = proj.supply_result
    scale = max(1.0, float(np.abs(res.cells["stock"]).max()))
    assert np.abs(engine.stock_flow_residual(res)).max() <= 1e-9 * scale
    assert np.abs(engine.aggregate_residual(res)).max() <= 1e-9 * scale * 10
    assert proj.check_accounting().empty
    for name, cells in res.cells.items():
        assert np.isfinite(cells).all(), name
        assert (cells >= 0).all(), name
    assert np.isfinite(proj.demand).all()


# ------------------------------------------------------------------------------------------------
# Neutral scenarios


@st.composite
def neutral_scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """Every hook present with a zero change (random timing, groups and other keys)."""

    def grouped(body: dict[str, Any]) -> dict[str, Any]:
        if not any(isinstance(v, dict) for v in body.values()):
            body = {**body, **draw(timing())}
        if draw(st.booleans()) and "grupper" not in body:
            body["groups"] = draw(group_lists())
        return body

    change = st.sampled_from(["relative_change", "absolute_change"])
    options: dict[str, Any] = {
        "stillingsprosent": grouped({draw(change): 0.0, "cap": draw(floats(0.01, 1.5))}),
        "avgangsalder": grouped({"years": 0.0, "from_age": draw(st.integers(50, 79))}),
        "sykefravaer": grouped(
            draw(st.sampled_from([{"relative_change": 0.0}, {"relative_change": {"2026": 0.0}}]))
        ),
        "seniordeltakelse": grouped({draw(change): 0.0, "min_age": draw(st.integers(20, 79))}),
        "utdanningskapasitet": grouped(
            draw(
                st.sampled_from(
                    [{"relative_change": 0.0}, {"grupper": {"lege": {"relative_change": 0.0}}}]
                )
            )
        ),
        "innvandring": grouped({"relative_change": 0.0}),
        "produktivitet": grouped({"annual_rate": 0.0}),
        "friskere_aldring": draw(st.sampled_from([{}, {"enabled": True, "strength": 1.0}])),
        "befolkning": {"alternative": "MMMM"},
        "tidstyver": grouped({"level": "hoy", "realised_share": 0.0, "services": "all"}),
    }
    chosen = draw(st.lists(st.sampled_from(sorted(options)), unique=True))
    return {k: options[k] for k in chosen}


@given(toys(), neutral_scenarios())
def test_neutral_scenario_reproduces_the_reference_exactly(inputs: hm.Inputs, sc: dict) -> None:
    """No overrides, or every change zero: supply, demand and gap equal the reference bit for
    bit."""
    ref = hm.project(inputs=inputs)
    for scenario in ({}, sc):
        proj = hm.project(scenario, inputs=inputs)
        np.testing.assert_array_equal(proj.supply, ref.supply)
        np.testing.assert_array_equal(proj.demand, ref.demand)
        np.testing.assert_array_equal(
            proj.supply_result.cells["stock"], ref.supply_result.cells["stock"]
        )


@given(toys())
def test_standardvekst_at_the_reference_rate_reproduces_the_reference(inputs: hm.Inputs) -> None:
    """``[standardvekst]`` at the inputs' own rate changes nothing (up to rounding: the scenario
    path compounds with a cumulative product, the reference with a power)."""
    rate = inputs.parameters["standard_growth"]
    ref = hm.project(inputs=inputs, detail=False)
    proj = hm.project({"standardvekst": {"annual_rate": rate}}, inputs=inputs, detail=False)
    np.testing.assert_array_equal(proj.supply, ref.supply)
    np.testing.assert_allclose(proj.demand, ref.demand, rtol=1e-13, atol=1e-9)


@given(toys(), st.data())
def test_supply_hooks_for_groups_not_in_the_inputs_change_nothing(
    inputs: hm.Inputs, data: st.DataObject
) -> None:
    """A supply measure aimed only at groups the inputs do not have leaves supply unchanged."""
    others = [g for g in dims.GROUPS if g not in TOY_GROUPS]
    hook = data.draw(
        st.sampled_from(
            ["stillingsprosent", "avgangsalder", "sykefravaer", "seniordeltakelse", "innvandring"]
        )
    )
    body = data.draw(HOOK_STRATEGIES[hook])
    body.pop("grupper", None)  # per-group tables name toy groups
    assume(any(k in body for k in declarations.hook(hook).rule_keys()))
    body["groups"] = data.draw(st.lists(st.sampled_from(others), min_size=1, unique=True))
    ref = hm.project(inputs=inputs, detail=False)
    proj = hm.project({hook: body}, inputs=inputs, detail=False)
    np.testing.assert_array_equal(proj.supply, ref.supply)


# ------------------------------------------------------------------------------------------------
# Monotonicity


def two_values(lo: float, hi: float) -> st.SearchStrategy[tuple[float, float]]:
    return st.tuples(floats(lo, hi), floats(lo, hi)).map(sorted).map(tuple)


@st.composite
def shared_keys(draw: st.DrawFn) -> dict[str, Any]:
    out: dict[str, Any] = dict(draw(timing()))
    if draw(st.booleans()):
        out["groups"] = draw(group_lists())
    return out


@given(toys(), st.sampled_from(["relative_change", "absolute_change"]), st.data())
def test_larger_stillingsprosent_increase_never_lowers_supply(
    inputs: hm.Inputs, key: str, data: st.DataObject
) -> None:
    """With everything else equal, a larger change in stillingsprosent gives at least as much
    supply in every year and group (also across the cap and for negative changes)."""
    lo, hi = data.draw(two_values(-1.0, 1.0))
    extra = data.draw(shared_keys())
    if data.draw(st.booleans()):
        extra["cap"] = data.draw(floats(0.01, 1.5))
    if data.draw(st.booleans()):
        a = data.draw(st.integers(20, 24))
        extra["ages"] = [a, data.draw(st.integers(a, 79))]
    proj = batch(
        inputs, {"stillingsprosent": {key: lo, **extra}}, {"stillingsprosent": {key: hi, **extra}}
    )
    assert close_or_above(proj.supply[1], proj.supply[0])


@given(toys(), floats(0.0, 1.0), floats(0.01, 1.5), st.booleans())
def test_stillingsprosent_increase_respects_the_cap(
    inputs: hm.Inputs, change: float, cap: float, relative: bool
) -> None:
    """After an increase, no cell's expected årsverk per employed person exceeds the cap unless
    it was above the cap before (then it is unchanged), and no cell falls."""
    key = "relative_change" if relative else "absolute_change"
    change = change if relative else min(change, 1.0)
    proj = hm.project({"stillingsprosent": {key: change, "cap": cap}}, inputs=inputs)
    cells = proj.supply_result.cells
    employed = cells["employed"][0]  # (year, group, sex, age)
    ok = employed > 1e-6
    e_after = np.divide(cells["arsverk"][0], employed, out=np.zeros_like(employed), where=ok)
    e_before = np.broadcast_to(inputs.fte, e_after.shape)
    limit = np.maximum(e_before, cap)
    assert np.all((e_after <= limit * (1 + 1e-9) + 1e-12) | ~ok)
    assert np.all((e_after >= e_before * (1 - 1e-9) - 1e-12) | ~ok)


@given(st.data())
def test_later_exit_never_lowers_supply(data: st.DataObject) -> None:
    """Postponing exit by more years (from the same age, with P and E not rising with age)
    never lowers supply. Toy with personnel ages 55–69."""
    inputs = senior_toy(data.draw(declining_profiles()), data.draw(declining_profiles()) * 1.2)
    lo, hi = data.draw(two_values(-10.0, 10.0))
    extra = {"from_age": data.draw(st.integers(50, 79)), **data.draw(shared_keys())}
    proj = batch(
        inputs, {"avgangsalder": {"years": lo, **extra}}, {"avgangsalder": {"years": hi, **extra}}
    )
    assert close_or_above(proj.supply[1], proj.supply[0])


@pytest.mark.skipif(default_inputs() is None, reason="default data set not built yet")
def test_later_exit_never_lowers_supply_on_the_default_data() -> None:
    """On the default data set: exit postponed by 0, 1, 2, 3 years after 62 (the published
    scenarios), and by 1 year from 55, 62 and 67: supply never falls as the postponement grows."""
    years = (0.0, 1.0, 2.0, 3.0)
    proj = hm.project_batch(
        [
            hm.Scenario.from_dict({"avgangsalder": {"years": y, "from_age": 62}}, name=f"y{y}")
            for y in years
        ]
    )
    for i in range(1, len(years)):
        assert close_or_above(proj.supply[i], proj.supply[i - 1])
    assert proj.supply[3, -1].sum() > proj.supply[0, -1].sum()
    for age in (55, 67):
        one = hm.project_batch(
            [
                hm.Scenario.from_dict({"avgangsalder": {"years": y, "from_age": age}}, name=f"y{y}")
                for y in (0.0, 1.0)
            ]
        )
        assert close_or_above(one.supply[1], one.supply[0])


@given(toys(), two_values(-1.0, 1.0), shared_keys())
def test_larger_sick_leave_reduction_never_lowers_supply(
    inputs: hm.Inputs, changes: tuple[float, float], extra: dict
) -> None:
    """Sick leave changed by r1 ≤ r2 (r1 the larger reduction): supply(r1) ≥ supply(r2)."""
    lo, hi = changes
    proj = batch(
        inputs,
        {"sykefravaer": {"relative_change": lo, **extra}},
        {"sykefravaer": {"relative_change": hi, **extra}},
    )
    assert close_or_above(proj.supply[0], proj.supply[1])


@given(
    toys(),
    st.sampled_from(["utdanningskapasitet", "innvandring"]),
    two_values(-1.0, 1.0),
    shared_keys(),
)
def test_more_graduates_or_immigrants_never_lower_supply(
    inputs: hm.Inputs, hook: str, changes: tuple[float, float], extra: dict
) -> None:
    """A larger change in education capacity or immigration never lowers supply."""
    lo, hi = changes
    proj = batch(
        inputs, {hook: {"relative_change": lo, **extra}}, {hook: {"relative_change": hi, **extra}}
    )
    assert close_or_above(proj.supply[1], proj.supply[0])


@given(toy_fields(), grid(CELL, 0.0, 50.0), grid(CELL, 0.0, 50.0))
def test_more_inflow_in_the_data_never_lowers_supply(
    fields: dict, more_grads: np.ndarray, more_imms: np.ndarray
) -> None:
    """Adding graduates or immigrants to the inputs never lowers supply or stocks."""
    ref = hm.project(inputs=toy_inputs(**fields), detail=False)
    more = hm.project(
        inputs=toy_inputs(
            **{
                **fields,
                "graduates": fields["graduates"] + more_grads,
                "immigrants": fields["immigrants"] + more_imms,
            }
        ),
        detail=False,
    )
    assert close_or_above(more.supply, ref.supply)
    assert close_or_above(more.supply_result.stock, ref.supply_result.stock)


@given(toy_fields(), grid((1, 3, 2, 30), 0.0, 1000.0))
def test_more_population_never_lowers_demand(fields: dict, extra: np.ndarray) -> None:
    """More persons in any cohort of a projection year (the base year fixed) never lower
    demand. (The base year is the anchor of the demand index: base-year demand equals base-year
    supply whatever the population.)"""
    pop = fields["population"].copy()
    pop[:, 1:] += extra
    ref = hm.project(inputs=toy_inputs(**fields), detail=False)
    more = hm.project(inputs=toy_inputs(**{**fields, "population": pop}), detail=False)
    assert close_or_above(more.demand, ref.demand)
    np.testing.assert_array_equal(more.supply, ref.supply)


# ------------------------------------------------------------------------------------------------
# Linearity


@given(toy_fields(), floats(0.0, 10.0))
def test_demand_is_linear_in_the_projection_year_population(fields: dict, c: float) -> None:
    """Multiplying every cohort of every projection year by c multiplies observed-composition
    demand by c in those years; multiplying every year including the base year leaves demand
    unchanged (the index is relative to the base year)."""
    ref = hm.project(inputs=toy_inputs(**fields), detail=False)
    pop = fields["population"].copy()
    pop[:, 1:] *= c
    scaled = hm.project(inputs=toy_inputs(**{**fields, "population": pop}), detail=False)
    np.testing.assert_allclose(
        scaled.demand_observed[:, 1:], c * ref.demand_observed[:, 1:], rtol=1e-9, atol=1e-9
    )
    np.testing.assert_allclose(scaled.demand_observed[:, 0], ref.demand_observed[:, 0], rtol=1e-12)
    if c > 1e-6:  # (not so small that the population underflows to zero)
        everywhere = hm.project(
            inputs=toy_inputs(**{**fields, "population": fields["population"] * c}), detail=False
        )
        np.testing.assert_allclose(everywhere.demand, ref.demand, rtol=1e-9, atol=1e-9)


def test_doubling_every_projection_year_cohort_doubles_demand() -> None:
    """The hand-checkable case: the toy's population doubled from 2025 on."""
    pop = np.full((1, 4, 2, 30), 100.0)
    pop[:, 1:] *= 2
    proj = hm.project(inputs=toy_inputs(population=pop))
    assert proj.demand[0, :, 0].tolist() == pytest.approx([40.0, 80.0, 80.0, 80.0])


@given(toy_fields(), toy_fields(calibration=False), floats(0.0, 10.0))
def test_supply_is_linear_in_stock_and_inflows(fields: dict, other: dict, c: float) -> None:
    """With P, E, mortality and exit rates fixed, supply (and every flow) is homogeneous of
    degree one and additive in (initial stock, graduates, immigrants)."""
    keys = ("stock", "graduates", "immigrants")
    one = hm.project(inputs=toy_inputs(**fields), detail=False)
    scaled = hm.project(
        inputs=toy_inputs(**{**fields, **{k: c * fields[k] for k in keys}}), detail=False
    )
    np.testing.assert_allclose(scaled.supply, c * one.supply, rtol=1e-9, atol=1e-9)
    two = hm.project(inputs=toy_inputs(**{**fields, **{k: other[k] for k in keys}}), detail=False)
    both = hm.project(
        inputs=toy_inputs(**{**fields, **{k: fields[k] + other[k] for k in keys}}), detail=False
    )
    np.testing.assert_allclose(both.supply, one.supply + two.supply, rtol=1e-9, atol=1e-9)
    for k in engine.FLOWS:
        np.testing.assert_allclose(
            both.supply_result.flows[k],
            one.supply_result.flows[k] + two.supply_result.flows[k],
            rtol=1e-9,
            atol=1e-9,
        )


# ------------------------------------------------------------------------------------------------
# Tables and batches


def check_summary(summary: Any, groups: tuple[str, ...]) -> None:
    np.testing.assert_array_equal(
        summary.gap.to_numpy(), (summary.supply - summary.demand).to_numpy()
    )
    by = ["scenario", "year"] if "scenario" in summary.columns else ["year"]
    sums = summary[summary.group == dims.SUM_LABEL].set_index(by).sort_index()
    parts = summary[summary.group != dims.SUM_LABEL]
    assert set(parts.group) == set(groups)
    totals = parts.groupby(by)[["supply", "demand", "gap"]].sum().sort_index()
    np.testing.assert_allclose(
        sums[["supply", "demand", "gap"]].to_numpy(), totals.to_numpy(), rtol=1e-12, atol=1e-9
    )


@given(toys(), st.lists(scenario_dicts(), min_size=1, max_size=4))
def test_batch_equals_single_runs_and_summary_rows_add_up(
    inputs: hm.Inputs, dicts: list[dict]
) -> None:
    """``project_batch`` equals the single runs row for row; in every summary (single and batch)
    gap = supply − demand and each ``Sum`` row is the sum of the groups. The batch also holds
    every pair of the scenarios merged table by table, so each measure recurs in draws with
    other hooks beside it (a repeated measure is compiled once and copied)."""
    merged = [{**a, **b} for i, a in enumerate(dicts) for b in dicts[i + 1 :]]
    scs = [hm.Scenario.from_dict(d, name=f"s{i}") for i, d in enumerate(dicts)]
    for k, d in enumerate(merged):
        try:
            scs.append(hm.Scenario.from_dict(d, name=f"m{k}"))
        except hm.ConfigError:  # two valid files need not merge into a valid one
            continue
    summ = hm.project_batch(scs, inputs=inputs).summary(with_scenario=True)
    check_summary(summ, inputs.groups)
    for sc in scs:
        single = hm.project(sc, inputs=inputs).summary()
        check_summary(single, inputs.groups)
        mine = summ[summ.scenario == sc.name].drop(columns="scenario").reset_index(drop=True)
        assert mine[["year", "group"]].equals(single[["year", "group"]])
        np.testing.assert_allclose(
            mine[["supply", "demand", "gap"]].to_numpy(),
            single[["supply", "demand", "gap"]].to_numpy(),
            rtol=1e-12,
            atol=1e-9,
        )


@given(toys())
def test_gap_table_is_the_summary_gap(inputs: hm.Inputs) -> None:
    """The gap table is a pivot of the summary: same numbers, Sum row the column total."""
    proj = hm.project(inputs=inputs, detail=False)
    table = proj.gap_table(years=inputs.years[1:], labels=False)
    summ = proj.summary().set_index(["group", "year"])
    for group, year in itertools.product(table.index, table.columns):
        assert table.loc[group, year] == pytest.approx(
            summ.loc[(group, year), "gap"], rel=1e-12, abs=1e-9
        )


# ------------------------------------------------------------------------------------------------
# Scenario loader: only ConfigError, whatever the document


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def load_or_config_error(path: Path) -> hm.Scenario | None:
    try:
        return hm.load_scenario(path)
    except hm.ConfigError as exc:
        assert exc.problems and all(isinstance(p, str) and p for p in exc.problems)
        assert "Traceback" not in str(exc)
        return None


@given(st.one_of(toml_documents(), mangled_toml()))
def test_loader_raises_only_config_error_on_any_toml(scratch: Path, text: str) -> None:
    """``load_scenario`` on arbitrary TOML text (random nested tables, arrays and scalars with the
    real table and key names, and damaged valid files) returns a Scenario or raises ConfigError,
    nothing else."""
    path = scratch / "doc.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    load_or_config_error(path)


@given(st.binary(max_size=300))
def test_loader_raises_only_config_error_on_random_bytes(scratch: Path, data: bytes) -> None:
    path = scratch / "bytes.toml"
    path.write_bytes(data)
    load_or_config_error(path)


BASELINES = ["a.toml", "b.toml", "missing.toml", ".", "", "referanse", "../fuzz", "a.toml/x"]


@given(toml_documents(), toml_documents(), st.sampled_from(BASELINES), st.sampled_from(BASELINES))
def test_loader_raises_only_config_error_on_baseline_chains(
    scratch: Path, text_a: str, text_b: str, base_a: str, base_b: str
) -> None:
    """Two random documents whose baselines point at each other, at themselves, at a folder or
    at nothing: only ConfigError."""
    (scratch / "a.toml").write_text(
        f"baseline = {base_a!r}\n" + text_a, encoding="utf-8", errors="surrogatepass"
    )
    (scratch / "b.toml").write_text(
        f"baseline = {base_b!r}\n" + text_b, encoding="utf-8", errors="surrogatepass"
    )
    load_or_config_error(scratch / "a.toml")


@given(
    st.one_of(
        st.dictionaries(
            st.one_of(
                st.sampled_from(list(HOOK_STRATEGIES)), keys, st.integers(), st.none(), st.floats()
            ),
            py_values,
            max_size=5,
        ),
        py_values,
    )
)
def test_from_dict_raises_only_config_error(d: Any) -> None:
    """``Scenario.from_dict`` on arbitrary Python values (not only what TOML can give)."""
    with contextlib.suppress(hm.ConfigError):  # anything else propagates and fails the test
        hm.Scenario.from_dict(d)


@given(scenario_dicts())
def test_valid_dict_and_its_toml_file_give_the_same_scenario(scratch: Path, d: dict) -> None:
    """A valid scenario dict loads, and written as a TOML file loads to the same hooks."""
    from_dict = hm.Scenario.from_dict(d, name="x")
    path = scratch / "x.toml"
    path.write_text(toml_document(d), encoding="utf-8")
    from_file = hm.load_scenario(path)
    assert from_file.hooks() == from_dict.hooks()
