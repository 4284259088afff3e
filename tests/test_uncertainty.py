"""Monte Carlo over the declared uncertainty (issue "Uncertainty bands …"; docs/uncertainty.md)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import helsemodlite as hm
from helsemodlite.cli import main

SPEC = hm.default_inputs_dir() / "assumptions" / "uncertainty.toml"


@pytest.fixture(scope="module")
def inputs() -> hm.Inputs:
    return hm.load_inputs()


@pytest.fixture(scope="module")
def spec(inputs: hm.Inputs):  # type: ignore[no-untyped-def]
    return hm.uncertainty_spec(inputs)


@pytest.fixture(scope="module")
def sim(inputs: hm.Inputs, spec) -> hm.Simulation:  # type: ignore[no-untyped-def]
    return hm.simulate(draws=300, seed=7, inputs=inputs, spec=spec, chunk=128)


def test_draw_0_is_the_reference(sim: hm.Simulation, inputs: hm.Inputs) -> None:
    ref = hm.project(inputs=inputs, detail=False)
    np.testing.assert_allclose(sim.supply[0, :, :-1], ref.supply[0], rtol=1e-12)
    np.testing.assert_allclose(sim.demand[0, :, :-1], ref.demand[0], rtol=1e-12)
    np.testing.assert_allclose(sim.gap[0, :, -1], ref.gap[0].sum(axis=1), rtol=1e-12)


def test_same_seed_same_result_whatever_the_chunk(sim: hm.Simulation, inputs, spec) -> None:  # type: ignore[no-untyped-def]
    again = hm.simulate(draws=300, seed=7, inputs=inputs, spec=spec, chunk=1000)
    np.testing.assert_allclose(again.gap, sim.gap, rtol=1e-12, atol=1e-8)
    pd.testing.assert_frame_equal(again.quantiles(), sim.quantiles())
    other = hm.simulate(draws=300, seed=8, inputs=inputs, spec=spec, chunk=128)
    assert not np.allclose(other.gap[1:], sim.gap[1:])
    # a longer run starts with the same draws: draw k does not depend on the number of draws
    longer = hm.simulate(draws=310, seed=7, inputs=inputs, spec=spec, chunk=64)
    np.testing.assert_allclose(longer.gap[:300], sim.gap, rtol=1e-12, atol=1e-8)


def test_chunks_that_draw_other_population_alternatives_give_the_same_numbers(inputs, spec) -> None:  # type: ignore[no-untyped-def]
    """The fast path's components cover every alternative of the whole run, not only those of
    the first chunk (else a later chunk's other alternatives took the year loop)."""
    one = hm.simulate(draws=40, seed=1, inputs=inputs, spec=spec)
    drawn = one.inputs_drawn.alternative
    assert set(drawn[10:]) - set(drawn[:10]), "the first chunk of 10 must miss an alternative"
    for chunk in (10, 3):
        again = hm.simulate(draws=40, seed=1, inputs=inputs, spec=spec, chunk=chunk)
        np.testing.assert_allclose(again.supply, one.supply, rtol=1e-12, atol=1e-8)


def test_all_widths_zero_reproduce_the_reference(inputs, spec) -> None:  # type: ignore[no-untyped-def]
    flat = hm.simulate(draws=20, seed=1, inputs=inputs, spec=spec.with_zero(), chunk=8)
    np.testing.assert_allclose(flat.gap, np.broadcast_to(flat.gap[0], flat.gap.shape), atol=1e-6)
    q = flat.quantiles()
    assert np.allclose(q.q05, q.q95)


@pytest.mark.parametrize(
    "name", ["standardvekst", "e_drift", "graduates", "befolkning", "staffing_drift"]
)
def test_a_width_set_to_zero_narrows_the_spread(sim: hm.Simulation, inputs, spec, name) -> None:  # type: ignore[no-untyped-def]
    less = hm.simulate(draws=300, seed=7, inputs=inputs, spec=spec.with_zero(name), chunk=300)
    y = sim.years.index(2040)

    def spread(s: hm.Simulation) -> float:
        return float(np.quantile(s.gap[:, y, -1], 0.9) - np.quantile(s.gap[:, y, -1], 0.1))

    assert spread(less) < spread(sim)
    # the other inputs keep their draws (one stream each)
    others = [k for k in sim.inputs_drawn.values if k != name]
    for k in others:
        np.testing.assert_array_equal(less.inputs_drawn.values[k], sim.inputs_drawn.values[k])


def test_the_reference_lies_inside_the_central_band(sim: hm.Simulation) -> None:
    q = sim.quantiles()
    gap = q[q.variable == "gap"].set_index(["year", "group"])
    for yi, year in enumerate(sim.years):
        for gi, group in enumerate(sim.groups):
            lo, hi = gap.loc[(year, group), ["q05", "q95"]]
            assert lo <= sim.gap[0, yi, gi] <= hi, (year, group)
    assert list(q.columns) == ["year", "group", "variable", "q05", "q25", "q50", "q75", "q95"]
    assert set(q.variable) == {"supply", "demand", "gap"} and "Sum" in set(q.group)


def test_prob_shortage_counts_the_draws(sim: hm.Simulation) -> None:
    p = sim.prob_shortage().set_index(["year", "group"]).prob
    y = sim.years.index(2040)
    assert p[(2040, "Sum")] == pytest.approx((sim.gap[:, y, -1] < 0).mean())
    assert p.between(0, 1).all()
    d = sim.draws()
    assert len(d) == sim.n_draws * len(sim.years) * len(sim.groups)


def test_drivers_rank_the_inputs(sim: hm.Simulation, inputs, spec) -> None:  # type: ignore[no-untyped-def]
    drv = sim.drivers(2040)
    assert drv.share.sum() == pytest.approx(1.0)
    assert 0.5 < drv.attrs["r2"] <= 1.0
    assert list(drv.columns) == ["input", "label", "srrc", "r2_alone", "share"]
    assert drv.attrs["columns"] == 64 and "use at least 640" in drv.attrs["note"]
    enough = hm.simulate(draws=700, seed=7, inputs=inputs, spec=spec).drivers(2040)
    assert enough.attrs["note"] == "" and enough.share.sum() == pytest.approx(1.0)
    # the population alternative is a category (indicator columns), not a number
    assert set(sim.sampled().befolkning) <= set(inputs.alternatives)
    assert "befolkning" in set(drv.input)
    few = hm.simulate(draws=20, seed=3, inputs=inputs, spec=spec).drivers(2040)
    assert few.empty and "too few for a ranking" in few.attrs["note"]
    only = spec.with_zero(*[k for k in spec.inputs if k != "standardvekst"])
    one = hm.simulate(draws=100, seed=3, inputs=inputs, spec=only)
    top = one.drivers(2040)
    assert list(top.input) == ["standardvekst"] and top.srrc.iloc[0] < -0.95
    with pytest.raises(hm.ConfigError, match="not projected"):
        sim.drivers(2070)
    single = hm.simulate(draws=1, seed=3, inputs=inputs, spec=spec)
    assert single.drivers(2040).empty and "nothing to rank" in single.drivers(2040).attrs["note"]


def test_uncertainty_with_one_draw_says_there_is_nothing_to_rank(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from helsemodlite.cli import main

    assert main(["uncertainty", "--draws", "1"]) == 0
    out = capsys.readouterr().out
    assert "Ingen rangering" in out and "varierer ikke over 1 trekk" in " ".join(out.split())
    assert "Rangregresjon" not in out


def test_the_effect_of_a_measure_is_paired(inputs, spec) -> None:  # type: ignore[no-untyped-def]
    s = hm.simulate("heltid_10", draws=150, seed=2, inputs=inputs, spec=spec)
    effect = hm.compare(["heltid_10"], inputs=inputs).set_index(["group", "year"])
    y = s.years.index(2040)
    assert s.effect_supply is not None and s.effect_demand is not None
    e0 = s.effect_supply[0, y, -1] - s.effect_demand[0, y, -1]
    assert e0 == pytest.approx(effect.gap.loc[("Sum", 2040)], rel=1e-9)
    eq = s.effect_quantiles()
    lv = s.quantiles()

    def iqr(f: pd.DataFrame) -> float:
        r = f[(f.variable == "gap") & (f.group == "Sum") & (f.year == 2040)].iloc[0]
        return float(r.q75 - r.q25)

    assert iqr(eq) < 0.2 * iqr(lv)
    with pytest.raises(hm.ConfigError, match="without a scenario"):
        hm.simulate(draws=2, inputs=inputs, spec=spec).effect_quantiles()


def test_a_toy_with_a_spec_of_its_own(tmp_path: Path) -> None:
    from helsemodlite.testing import toy_inputs

    toy = toy_inputs(exit_rate=0.05)
    path = tmp_path / "u.toml"
    path.write_text(
        '[exits]\ndistribution = "lognormal"\nsd = 0.5\nby_group = true\nkind = "judgement"\n',
        encoding="utf-8",
    )
    s = hm.simulate(draws=50, seed=0, inputs=toy, spec=path)
    assert s.gap[:, 1:, :].std(axis=0).max() > 0  # exits move supply
    first = s.inputs_drawn.values["exits"]
    ref = hm.project(inputs=toy)
    np.testing.assert_allclose(s.supply[0, :, :-1], ref.supply[0])
    # supply falls with the exit factor of the draw (group 0, last year)
    order = np.argsort(first[:, 0])
    assert s.supply[order[-1], -1, 0] < s.supply[order[0], -1, 0]


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[grads]\ndistribution = 'lognormal'\nsd = 0.1\n", "unknown table(s) [grads]"),
        ("[graduates]\ndistribution = 'normal'\nsd = 0.1\n", "distribution must be 'lognormal'"),
        ("[graduates]\ndistribution = 'lognormal'\nsd = -1\n", "sd must be >= 0"),
        ("[graduates]\ndistribution = 'lognormal'\n", "missing key(s) sd"),
        (
            "[graduates]\ndistribution = 'lognormal'\nsd = 0.1\nby_group = true\n"
            "groups = { kokk = 0.1 }\n",
            "unknown group 'kokk'",
        ),
        ("[exits]\ndistribution = 'lognormal'\nsd = 0.1\ncorrelation = 2\n", "correlation must"),
        ("[befolkning]\ndistribution = 'discrete'\nweights = { XXXX = 1 }\n", "'XXXX' is not"),
        ("[standardvekst]\ndistribution = 'normal'\nsd = 0.1\nmean = 0.01\n", "no mean"),
        ("[standardvekst]\ndistribution = 'normal'\nsd = 0.1\nby_group = true\n", "one value"),
        ("[friskere_aldring]\ndistribution = 'triangular'\nlo = 1\nmode = 0\nhi = 2\n", "lo <="),
        ("[exits\n", "not valid TOML"),
        ("", "declares no uncertain input"),
        ("[initial_shortage]\ndistribution = 'normal'\nsd = 0.1\nmean = -1\n", "a factor"),
        (
            "[p_drift]\ndistribution = 'normal'\nsd = 0.5\nkind = 'judgement'\n",
            "sd must be <= 0.02",
        ),
        ("[befolkning]\ndistribution = 'discrete'\nweights = { HHMH = 1 }\n", "is a scenario"),
        (
            "[befolkning]\ndistribution = 'discrete'\nweights = { HHMH = 0.5, LLML = 0.4 }\n",
            "add up to 1",
        ),
        ("[exits]\ndistribution = 'lognormal'\nsd = 0.1\n", "kind must be"),
        (
            "[friskere_aldring]\ndistribution = 'triangular'\nlo = 2\nmode = 2\nhi = 2\n",
            "one value for",
        ),
    ],
)
def test_bad_uncertainty_files_are_refused(
    tmp_path: Path, text: str, needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "u.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(hm.ConfigError, match=None) as info:
        hm.uncertainty_spec(spec=path)
    assert needle in str(info.value) and str(path) in str(info.value), str(info.value)
    assert main(["uncertainty", "--draws", "5", "--spec", str(path)]) == 2
    assert needle in capsys.readouterr().err


def test_bad_counts_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--draws", "0"], ["--seed", "-1"], ["--chunk", "0"], ["--year", "2070"]):
        assert main(["uncertainty", *argv]) == 2
    assert "Traceback" not in capsys.readouterr().err
    with pytest.raises(hm.ConfigError, match="draws must be"):
        hm.simulate(draws=2.5)  # type: ignore[arg-type]
    with pytest.raises(hm.ConfigError, match="progress must be a function"):
        hm.simulate(draws=5, progress=1)  # type: ignore[arg-type]


def test_cli_prints_and_writes_the_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "usikkerhet"
    argv = ["uncertainty", "heltid_10", "--draws", "40", "--seed", "5", "--out", str(out)]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "Sum, 14 grupper" in text and "Tiltakenes virkning" in text
    assert "Usikkerhet: 40 trekk, startverdi" in text and "Ingen rangering" in text  # 40 < 130
    names = {p.name for p in out.iterdir()}
    assert names == {
        "quantiles.csv",
        "effect_quantiles.csv",
        "prob_shortage.csv",
        "drivers.csv",
        "sampled_inputs.csv",
        "run.json",
    }
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["seed"] == 5 and record["draws"] == 40 and record["kind"] == "uncertainty"
    assert record["uncertainty_file_sha256"]
    q = pd.read_csv(out / "quantiles.csv")
    assert q.notna().all().all()
    before = (out / "quantiles.csv").read_bytes()
    assert main(argv) == 0  # a previous run's output may be replaced: the same bytes
    assert (out / "quantiles.csv").read_bytes() == before
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me", encoding="utf-8")
    assert main(["uncertainty", "--draws", "5", "--out", str(foreign)]) == 2
    assert (foreign / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_the_weighted_sum_is_the_year_loop(inputs, spec, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """method="auto" (components on an exit-factor grid, weighted per draw) agrees with the year
    loop for every draw to interpolation accuracy; draws it cannot cover (P would pass 1, an exit
    factor off the grid) go through the loop and agree exactly."""
    for scenario in (None, "avgangsalder_2", "plan_samlet"):
        fast = hm.simulate(scenario, draws=120, seed=11, inputs=inputs, spec=spec, chunk=50)
        loop = hm.simulate(
            scenario, draws=120, seed=11, inputs=inputs, spec=spec, chunk=50, method="loop"
        )
        np.testing.assert_allclose(fast.supply, loop.supply, rtol=1e-5, atol=0.5)
        np.testing.assert_allclose(fast.demand, loop.demand, rtol=1e-12)
    wide = tmp_path / "wide.toml"
    wide.write_text(
        "[p_drift]\ndistribution = 'normal'\nsd = 0.02\nkind = 'judgement'\n"
        "[exits]\ndistribution = 'lognormal'\nsd = 1.5\nby_group = true\nkind = 'judgement'\n",
        encoding="utf-8",
    )
    from helsemodlite.model.paths import ReferencePath
    from helsemodlite.uncertainty.fast import components, fast_supply

    w = hm.uncertainty_spec(inputs, wide)
    fast = hm.simulate(draws=60, seed=2, inputs=inputs, spec=w)
    loop = hm.simulate(draws=60, seed=2, inputs=inputs, spec=w, method="loop")
    np.testing.assert_allclose(fast.supply, loop.supply, rtol=1e-5, atol=0.5)
    comp = components(inputs, ReferencePath(inputs), (inputs.alternative_index,))
    _, slow = fast_supply(comp, fast.inputs_drawn, inputs.years)
    assert 0 < slow.sum() < len(slow)  # both kinds of draws were exercised
    with pytest.raises(hm.ConfigError, match="method"):
        hm.simulate(draws=2, inputs=inputs, spec=spec, method="fast")


def test_a_spec_as_a_dict_a_directory_and_inputs_check(tmp_path: Path, inputs) -> None:  # type: ignore[no-untyped-def]
    d = {"exits": {"distribution": "lognormal", "sd": 0.2, "by_group": True, "kind": "judgement"}}
    s = hm.simulate(draws=5, inputs=inputs, spec=d)
    assert s.spec.source == "simulate(spec={...})" and set(s.spec.inputs) == {"exits"}
    with pytest.raises(hm.ConfigError, match="is a directory"):
        hm.uncertainty_spec(spec=tmp_path)
    root = tmp_path / "inputs"
    hm.export_inputs(root)
    (root / "assumptions" / "uncertainty.toml").write_text("[grads]\n", encoding="utf-8")
    assert main(["inputs", "check", "--inputs", str(root)]) == 2


def test_population_scenarios_keep_their_alternative_and_pair_with_the_reference(
    inputs, spec
) -> None:  # type: ignore[no-untyped-def]
    hh = hm.simulate("befolkning_hhmh", draws=80, seed=1, inputs=inputs, spec=spec)
    effect = hm.compare(["befolkning_hhmh"], inputs=inputs).set_index(["group", "year"]).gap
    eq = hh.effect_quantiles()
    row = eq[(eq.group == "Sum") & (eq.variable == "gap") & (eq.year == 2040)].iloc[0]
    assert row.q05 <= effect.loc[("Sum", 2040)] <= row.q95
    assert row.q95 < 0  # the high alternative always widens the gap: paired on MMMM
    mm = hm.simulate("befolkning_mmmm", draws=80, seed=1, inputs=inputs, spec=spec)
    assert mm.effect_supply is not None
    assert np.abs(mm.effect_supply).max() < 1e-6 and np.abs(mm.effect_demand).max() < 1e-6


def test_the_cli_checks_every_scenario_before_running(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[sykefravaer]\nrelative_change = -0.1\nstart_year = 2099\n", encoding="utf-8")
    assert main(["uncertainty", "heltid_10", str(bad), "--draws", "5"]) == 2
    assert "Sum, 14 grupper" not in capsys.readouterr().out  # nothing printed first


def test_local_processes_and_dask_give_the_same_numbers(inputs, spec) -> None:  # type: ignore[no-untyped-def]
    """The chunks are pure functions of the sampled draws: in this process, in two local
    processes and on a two-worker Dask cluster the quantiles and the paired effect agree."""
    from concurrent.futures import ProcessPoolExecutor

    distributed = pytest.importorskip("distributed")
    here = hm.simulate("heltid_10", draws=96, seed=4, inputs=inputs, spec=spec, chunk=32)
    with ProcessPoolExecutor(max_workers=2) as pool:
        procs = hm.simulate(
            "heltid_10", draws=96, seed=4, inputs=inputs, spec=spec, chunk=24, executor=pool
        )
    pd.testing.assert_frame_equal(here.quantiles(), procs.quantiles())
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        dask = hm.simulate(
            "heltid_10", draws=96, seed=4, inputs=inputs, spec=spec, chunk=48, executor=client
        )
        assert len(client.scheduler_info()["workers"]) == 2
    pd.testing.assert_frame_equal(here.quantiles(), dask.quantiles())
    pd.testing.assert_frame_equal(here.effect_quantiles(), dask.effect_quantiles())
    other = hm.simulate(draws=96, seed=5, inputs=inputs, spec=spec, executor=2)
    assert not here.quantiles().equals(other.quantiles())
    with pytest.raises(hm.ConfigError, match="executor must be"):
        hm.simulate(draws=4, inputs=inputs, spec=spec, executor="lots")


def test_sobol_indices_find_what_was_switched_on(inputs, spec) -> None:  # type: ignore[no-untyped-def]
    """With only standardvekst and the population alternative uncertain, their total indices
    carry the variance and the others are exactly 0; the same seed gives the same indices."""
    two = spec.with_zero(*[k for k in spec.inputs if k not in ("standardvekst", "befolkning")])
    sob = hm.sobol(n=200, seed=2, year=2040, inputs=inputs, spec=two)
    assert sob.attrs["runs"] == 200 * 4 and set(sob.input) == {"standardvekst", "befolkning"}
    total = sob[sob.group == "Sum"].set_index("input")
    assert total.ST.sum() == pytest.approx(1.0, abs=0.15)
    assert total.loc["standardvekst", "ST"] > total.loc["befolkning", "ST"] > 0.05
    assert (sob.ST_lo <= sob.ST).all() and (sob.ST_hi >= sob.ST).all()
    again = hm.sobol(n=200, seed=2, year=2040, inputs=inputs, spec=two, chunk=77)
    pd.testing.assert_frame_equal(sob, again)
    with pytest.raises(hm.ConfigError, match="width of 0"):
        hm.sobol(n=20, inputs=inputs, spec=spec.with_zero())
    with pytest.raises(hm.ConfigError, match="not a projection year"):
        hm.sobol(n=20, year=2024, inputs=inputs, spec=spec)


def test_cli_sobol_and_workers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "u"
    argv = ["uncertainty", "--draws", "30", "--sobol", "20", "--workers", "2", "--out", str(out)]
    assert main(argv) == 0
    text = " ".join(capsys.readouterr().out.split())  # the heading is wrapped
    runs = 20 * (len(hm.uncertainty_spec(None).inputs) + 2)
    assert f"Sobol-indekser for gapet 2040 (Sum), egen utvalgsplan: n = 20, {runs} " in text
    sob = pd.read_csv(out / "sobol.csv")
    assert {"S1", "ST", "group", "input"} <= set(sob.columns) and sob.notna().all().all()
    assert json.loads((out / "run.json").read_text(encoding="utf-8"))["sobol"]["n"] == 20
    assert main(["uncertainty", "--draws", "5", "--sobol", "3"]) == 2
    assert main(["uncertainty", "--draws", "5", "--workers", "2", "--scheduler", "x:1"]) == 2
    assert "not both" in capsys.readouterr().err


def test_summaries_refuse_what_they_cannot_label(sim: hm.Simulation) -> None:
    cols = sim.quantiles(q=(0.025, 0.5, 0.975)).columns.tolist()
    assert cols[-3:] == ["q2.5", "q50", "q97.5"]
    for q in ((0.5, 0.5), (float("nan"),), (1.5,), "x"):
        with pytest.raises(hm.ConfigError, match="quantiles"):
            sim.quantiles(q=q)  # type: ignore[arg-type]
    for t in (float("nan"), "x", True):
        with pytest.raises(hm.ConfigError, match="threshold"):
            sim.prob_shortage(threshold=t)  # type: ignore[arg-type]


def test_runs_too_large_for_memory_are_refused_before_any_work() -> None:
    with pytest.raises(hm.ConfigError, match="use at most"):
        hm.simulate(draws=2_000_000)
    with pytest.raises(hm.ConfigError, match="chunk"):
        hm.simulate(draws=10, chunk=100_000)


def test_drifts_never_take_supply_below_zero(inputs, spec, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """At the widest drift allowed, P, E and the sick-leave share stay within their bounds."""
    wide = {
        "p_drift": {"distribution": "normal", "sd": 0.02, "kind": "judgement"},
        "e_drift": {"distribution": "normal", "sd": 0.02, "kind": "judgement"},
        "sick_leave_drift": {"distribution": "normal", "sd": 0.05, "kind": "judgement"},
    }
    s = hm.simulate(draws=300, seed=1, inputs=inputs, spec=wide)
    assert (s.supply >= 0).all() and np.isfinite(s.gap).all()
    assert (s.inputs_drawn.values["p_drift"] >= -1 / (len(inputs.years) - 1)).all()


def test_drivers_need_enough_draws_and_ignore_inputs_that_do_nothing(inputs, spec) -> None:  # type: ignore[no-untyped-def]
    few = hm.simulate(draws=30, seed=1, inputs=inputs, spec=spec).drivers(2040)
    assert few.empty and "too few for a ranking" in few.attrs["note"]
    # with no graduates and no immigrants at all, their factors (14 columns each) move
    # nothing: once R² is adjusted for the columns they get (almost) no share
    none_in = {
        "utdanningskapasitet": {"relative_change": -1.0},
        "innvandring": {"relative_change": -1.0},
    }
    keep = ("standardvekst", "graduates", "immigrants")
    three = spec.with_zero(*[k for k in spec.inputs if k not in keep])
    d = hm.simulate(none_in, draws=300, seed=2, inputs=inputs, spec=three).drivers(2040)
    share = d.set_index("input")["share"]
    assert share["standardvekst"] > 0.95 and share.get("graduates", 0) < 0.03


def test_uncertainty_never_replaces_another_commands_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "runout"
    assert main(["run", "heltid_10", "--out", str(out), "--quiet"]) == 0
    assert main(["uncertainty", "--draws", "5", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert (out / "summary.csv").is_file() and "output of another command" in err


def test_a_population_scenario_reports_the_alternative_it_used(inputs, spec) -> None:  # type: ignore[no-untyped-def]
    s = hm.simulate("befolkning_hhmh", draws=20, seed=1, inputs=inputs, spec=spec)
    assert set(s.sampled().befolkning) == {"HHMH"} and s.fixed_alternative == "HHMH"


def test_draws_whose_moves_could_empty_a_cell_take_the_year_loop() -> None:
    """2 500 jordmor graduates a year leave the nurses a headroom of about 1.7: draws with
    jordmor graduates factors above 0.8 × that take the year loop (which limits every move to
    the persons in the cell), the others the fast path (unlimited, linear) — both kinds occur
    here, and the result equals the loop's throughout; 5 000 a year, which empties cells,
    projects with no stock below zero and a note."""
    from helsemodlite.model.paths import ReferencePath
    from helsemodlite.scenarios.compile import scenario_paths
    from helsemodlite.uncertainty import fast

    inp = hm.load_inputs()
    room = fast.move_headroom(inp, ReferencePath(inp), inp.alternative_index)
    moves_out = inp.moves.sum(axis=1) > 0
    assert np.isfinite(room[moves_out]).all() and (room[moves_out] > 5).all()
    assert np.isinf(room[~moves_out]).all()

    def jordmor(n: int) -> hm.Scenario:
        doc = {"utdanningskapasitet": {"grupper": {"jordmor": {"fixed_graduates": n}}}}
        return hm.Scenario.from_dict(doc, name=f"j{n}")

    edge = jordmor(2500)
    path, *_ = scenario_paths(inp, [edge])
    nurses = inp.groups.index("sykepleier")
    assert 1.3 < fast.move_headroom(inp, path, inp.alternative_index)[nurses] < 2.2
    spec = {
        "graduates": {
            "distribution": "lognormal",
            "sd": 0.1,
            "by_group": True,
            "groups": {"jordmor": 0.4},
            "kind": "judgement",
            "evidence": "a test",
        }
    }
    auto = hm.simulate(edge, draws=200, seed=1, spec=spec)
    loop = hm.simulate(edge, draws=200, seed=1, spec=spec, method="loop")
    pulled = auto.inputs_drawn.values["graduates"][:, inp.groups.index("jordmor")]
    limit = fast.HEADROOM_SAFETY * fast.move_headroom(inp, path, inp.alternative_index)[nurses]
    assert (pulled > limit).any() and (pulled < limit).any()  # both paths are used
    np.testing.assert_allclose(auto.supply, loop.supply, atol=0.2)
    emptied = hm.project(jordmor(5000))
    assert emptied.supply_result.cells["stock"].min() >= 0.0
    assert any("could not be moved" in n for n in emptied.notes)
