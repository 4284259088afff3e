"""Charts (hm.plot): every chart renders and shows what it should - axis labels, Norwegian
group names, the sign convention, the number of series."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import helsemodlite as hm
from helsemodlite import dims
from helsemodlite.report import labels as lb
from helsemodlite.report import plot

PNG = b"\x89PNG\r\n\x1a\n"
SCENARIOS = ["heltid_10", "avgangsalder_1", "sykefravaer_minus10"]


@pytest.fixture(scope="module")
def ref():
    return hm.project()


@pytest.fixture(scope="module")
def scenario_runs():
    return [hm.project(s) for s in SCENARIOS]


@pytest.fixture(scope="module")
def comparison():
    return hm.compare(SCENARIOS, combined=True)


@pytest.fixture(scope="module")
def sim():
    return hm.simulate("heltid_10", draws=30, seed=1)


def texts(fig) -> str:
    """Every text a reader sees: figure texts, titles, axis labels, tick labels, legends."""
    out = [t.get_text() for t in fig.texts]
    if fig._suptitle is not None:
        out.append(fig._suptitle.get_text())
    for leg in fig.legends:
        out += [t.get_text() for t in leg.get_texts()]
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        out += [ax.get_title(loc="left"), ax.get_xlabel(), ax.get_ylabel()]
        out += [t.get_text() for t in ax.texts]
        out += [t.get_text() for t in ax.get_yticklabels() + ax.get_xticklabels()]
        if ax.get_legend() is not None:
            out += [t.get_text() for t in ax.get_legend().get_texts()]
    return "\n".join(out)


def visible(fig):
    return [ax for ax in fig.axes if ax.get_visible()]


def rendered(fig) -> bytes:
    data = plot.png(fig)
    assert data.startswith(PNG) and len(data) > 10_000
    return data


def test_number_formatting():
    assert lb.number(-42374.9) == "\u221242\u202f375"
    assert lb.arsverk(-42374.9) == "\u221242\u202f400"
    assert lb.arsverk(-40) == "0"
    assert lb.signed(20800.4) == "+20\u202f800"
    assert lb.percent(0.96) == "96\u202f%"
    assert lb.number(float("nan")) == "–"


def test_gap_paths_panels_series_and_convention(ref, scenario_runs):
    fig = plot.gap_paths([ref, *scenario_runs], titles={"heltid_10": "Heltid +10 %"})
    axes = visible(fig)
    assert len(axes) == 15
    titles = [ax.get_title(loc="left") for ax in axes]
    assert titles[0] == "Sum, 14 grupper"
    assert titles[1:] == [dims.GROUP_LABELS[g] for g in dims.PUBLICATION_ORDER]
    for ax in axes:
        assert len([ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]) == 4
    sum_line = axes[0].get_lines()[0]
    x, y = sum_line.get_data()
    assert x[0] == 2024 and x[-1] == 2040
    assert y[-1] == pytest.approx(ref.gap_table().loc["Sum", 2040])
    shown = texts(fig)
    assert "Negativt tall = underskudd" in shown and "Gap, årsverk" in shown
    assert "Referansebane" in shown and "Heltid +10 %" in shown and "avgangsalder_1" in shown
    rendered(fig)
    # tick labels in Norwegian print (thin space, minus sign)
    fmt = axes[0].yaxis.get_major_formatter()
    assert fmt(-40000, 0) == "\u221240\u202f000"


def test_gap_paths_to_2050_and_one_group(ref):
    fig = plot.gap_paths(ref, groups=["sykepleier"], horizon=2050)
    (ax,) = visible(fig)
    assert ax.get_title(loc="left") == "Sykepleier"
    assert ax.get_lines()[0].get_data()[0][-1] == 2050


def test_supply_demand_small_multiples_show_base_year_shortage(ref):
    fig = plot.supply_demand(ref)
    axes = visible(fig)
    assert len(axes) == 15
    for ax in axes:
        labels = [ln.get_label() for ln in ax.get_lines()]
        assert labels == ["Tilbud", "Etterspørsel"]
        assert len(ax.collections) == 2  # shortage and surplus areas
    s, d = (ln.get_data()[1] for ln in axes[0].get_lines())
    assert d[0] - s[0] == pytest.approx(-ref.gap[0, 0].sum())  # the base-year shortage
    shown = texts(fig)
    base_gap = lb.arsverk(float(ref.gap[0, 0].sum()))  # −8 500 with the embedded data
    assert base_gap.startswith("\u22128\u202f")
    assert f"Gap 2024: {base_gap}" in shown and "Underskudd (etterspørsel > tilbud)" in shown
    rendered(fig)


def test_effects_alone_combined_and_sum_of_singles(comparison):
    fig = plot.effects(comparison, titles={"heltid_10": "Heltid +10 %"})
    (ax,) = visible(fig)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [
        "Heltid +10 %",
        "avgangsalder_1",
        "sykefravaer_minus10",
        "Sum av enkelttiltak",
        "Alle tiltak samlet",
    ]
    # three single bars, three stacked segments, one combined bar
    assert len(ax.patches) == 7
    s2040 = comparison[(comparison.group == "Sum") & (comparison.year == 2040)]
    combined = float(s2040[s2040.scenario == "kombinert"].gap.iloc[0])
    widths = sorted(p.get_width() for p in ax.patches)
    assert widths[-1] == pytest.approx(combined)
    shown = texts(fig)
    assert "samspill og overlapp" in shown and "Positivt tall = gapet bedres" in shown
    assert "Endring i gapet mot referansebanen, årsverk" in shown
    rendered(fig)


def test_effects_refuses_what_is_not_a_comparison(ref, comparison):
    with pytest.raises(hm.ConfigError, match="hm.compare"):
        plot.effects(ref.summary())
    with pytest.raises(hm.ConfigError, match="no rows"):
        plot.effects(comparison, year=2031)


def test_demand_by_service_area_and_category(ref):
    fig = plot.demand_by_service(ref)
    left, right = visible(fig)
    assert len(left.get_yticks()) == len(ref.inputs.services)
    assert len(right.get_yticks()) == len(ref.inputs.groups) + len(ref.inputs.outside)
    assert len(left.containers) == 2  # 2024 and 2040
    shown = texts(fig)
    assert "Institusjoner (sykehjem m.m.)" in shown and "Sykepleier" in shown
    assert "Uten relevant helseutdanning" in shown and "Etter tjenesteområde" in shown
    total = sum(b.get_width() for b in left.containers[0])
    assert total == pytest.approx(ref.services().query("year == 2024").demand.sum())
    rendered(fig)


def test_supply_by_age_band(ref):
    fig = plot.supply_by_age(ref, years=(2024, 2030, 2040))
    axes = visible(fig)
    assert len(axes) == 15
    for ax in axes:
        assert len(ax.containers) == 3 and all(len(c) == 6 for c in ax.containers)
    assert [t.get_text() for t in axes[0].get_xticklabels()][0] == "20–29"
    total = sum(b.get_height() for b in axes[0].containers[0])
    assert total == pytest.approx(ref.supply[0, 0].sum())
    rendered(fig)


def test_waterfall_adds_up_to_the_gap(ref):
    fig = plot.gap_waterfall(ref, year=2035)
    (ax,) = visible(fig)
    names = [t.get_text() for t in ax.get_xticklabels()]
    assert names[0] == "Gap 2024" and names[-1] == "Gap 2035"
    bars = ax.patches
    steps = sum(b.get_height() for b in bars[1:-1])
    assert bars[0].get_height() + steps == pytest.approx(bars[-1].get_height())
    assert bars[-1].get_height() == pytest.approx(ref.gap_table(years=[2035]).loc["Sum", 2035])
    assert "Grønt bedrer gapet" in texts(fig)
    rendered(fig)
    one = plot.gap_waterfall(ref, group="lege")
    assert "Lege" in texts(one)


def test_fan_states_the_intervals(sim):
    fig = plot.fan(sim, groups=["Sum", "sykepleier"])
    axes = visible(fig)
    assert len(axes) == 2
    for ax in axes:
        assert len(ax.collections) == 2  # the two bands
        assert [ln.get_label() for ln in ax.get_lines()[:2]] == [
            "Median",
            "Trekk 0 (referansens forutsetninger)",
        ]
    shown = texts(fig)
    assert "5–95 %" in shown and "25–75 %" in shown and "30 trekk" in shown
    median = axes[0].get_lines()[0].get_data()[1]
    assert median[-1] == pytest.approx(np.median(sim.gap[:, sim.years.index(2040), -1]))
    rendered(fig)
    effect = plot.fan(sim, effect=True)
    assert "virkning" in texts(effect)
    rendered(effect)


def test_fan_refusals(ref):
    reference_sim = hm.simulate(draws=10)
    with pytest.raises(hm.ConfigError, match="without a scenario"):
        plot.fan(reference_sim, effect=True)
    with pytest.raises(hm.ConfigError, match="hm.simulate"):
        plot.fan(ref)
    with pytest.raises(hm.ConfigError, match="unknown group"):
        plot.fan(reference_sim, groups=["nurse"])


def test_bad_group_and_year_are_clear_errors(ref):
    with pytest.raises(hm.ConfigError, match="unknown group.*'nurse'"):
        plot.gap_paths(ref, groups=["nurse"])
    with pytest.raises(hm.ConfigError, match="outside the projection"):
        plot.gap_paths(ref, horizon=2070)
    with pytest.raises(hm.ConfigError, match="Projection"):
        plot.supply_demand("heltid_10")
    for empty in (plot.gap_paths, plot.supply_demand, plot.supply_by_age):
        with pytest.raises(hm.ConfigError, match="one or more group ids"):
            empty(ref, groups=[])
    with pytest.raises(hm.ConfigError, match="Projection"):
        plot.gap_paths(None)
    one = plot.gap_paths(ref, groups="lege")  # one id, as compare_table and solve take it
    assert len(visible(one)) == 1 and "Lege" in texts(one)


def test_waterfall_refuses_the_decomposition_of_another_projection(ref, scenario_runs):
    other = scenario_runs[0].decompose()
    with pytest.raises(hm.ConfigError, match="add up to this projection's gap"):
        plot.gap_waterfall(ref, decomposition=other)
    with pytest.raises(hm.ConfigError, match="add up to this projection's gap"):
        plot.gap_waterfall(ref, decomposition=ref.decompose().query("year < 2040"))
    with pytest.raises(hm.ConfigError, match="frame of projection.decompose"):
        plot.gap_waterfall(ref, decomposition=5)  # type: ignore[arg-type]
    mine = plot.gap_waterfall(ref, decomposition=ref.decompose())
    assert texts(mine) == texts(plot.gap_waterfall(ref))


def test_png_is_reproducible_and_svg_keeps_text(ref):
    fig = plot.gap_waterfall(ref)
    assert plot.png(fig) == plot.png(plot.gap_waterfall(ref))
    svg = plot.svg(fig).decode("utf-8")
    assert svg.startswith("<?xml") and "Befolkning og" in svg and "<dc:date>" not in svg


def test_public_namespace_and_lazy_matplotlib():
    assert "plot" in hm.__all__ and hm.plot is plot
    code = (
        "import sys, helsemodlite as hm, helsemodlite.api, helsemodlite.cli; hm.plot; "
        "print('matplotlib' in sys.modules, 'xlsxwriter' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
