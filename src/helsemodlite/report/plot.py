"""Charts of projections, comparisons and simulations (``hm.plot``): each function takes
computed objects and returns a :class:`matplotlib.figure.Figure`, in Norwegian, with SSB's
group names and årsverk written with thin-space thousands.

matplotlib is imported inside the functions only, so ``import helsemodlite`` stays fast. The
figures are built without pyplot (no global state, no interactive backend): ``fig.savefig``
renders with Agg, and :func:`png` gives the bytes the report embeds. In a notebook, show one
with ``display(fig)``.

Sign convention everywhere: gap = supply − demand, negative = shortage (underskudd), as in
Helsepersonellplan 2040; every chart that shows a gap says so on the chart.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .. import dims
from ..errors import ConfigError
from ..io.tables import AGE_BANDS, Projection, check_groups, check_years
from ..numformat import plain
from ..scenarios.combine import COMBINED, SUM_OF_SINGLES
from . import labels as lb

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "demand_by_service",
    "effects",
    "fan",
    "gap_paths",
    "gap_waterfall",
    "png",
    "supply_by_age",
    "supply_demand",
    "svg",
]

REFERENCE_COLOR = "#1a1a1a"
PALETTE = ("#1f6fb2", "#d9822b", "#2e9e5b", "#8e44ad", "#c0392b", "#16a5a5", "#b8860b", "#7f8c8d")
SUPPLY_COLOR = "#1f6fb2"
DEMAND_COLOR = "#d9822b"
SHORTAGE_COLOR = "#c0392b"
SURPLUS_COLOR = "#2e9e5b"
BAND_COLOR = "#1f6fb2"

STYLE: dict[str, Any] = {
    "font.size": 9.0,
    "axes.titlesize": 9.5,
    "axes.titleweight": "bold",
    "axes.labelsize": 9.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "axes.unicode_minus": True,
    "legend.frameon": False,
    "legend.fontsize": 8.5,
    "figure.titlesize": 11.0,
    "svg.fonttype": "none",
}
"""One look for every chart, applied while a figure is built (the user's rcParams are left
alone)."""

DPI = 120


# -- helpers ----------------------------------------------------------------------------------


@contextmanager
def _style() -> Iterator[None]:
    import matplotlib

    with matplotlib.rc_context(STYLE):  # type: ignore[arg-type]
        yield


def _figure(width: float, height: float, *, constrained: bool = True) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained" if constrained else None)


def _arsverk_axis(ax: Axes, axis: str = "y") -> None:
    from matplotlib.ticker import FuncFormatter

    fmt = FuncFormatter(lambda v, _pos: lb.number(v))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def _year_axis(ax: Axes, first: int, last: int) -> None:
    from matplotlib.ticker import FixedLocator, FuncFormatter

    ticks = [first, *range((first // 5 + 1) * 5, last + 1, 5)]
    if ticks[1:] and ticks[1] - first < 3:  # 2024 and 2025 would collide
        ticks.pop(1)
    if last not in ticks and last - ticks[-1] >= 3:
        ticks.append(last)
    # A locator and a formatter, not set_xticks: the ticks are made once, when drawn.
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: str(round(v))))
    ax.set_xlim(first, last)


def _panel_groups(groups: Sequence[str] | None, available: Sequence[str]) -> list[str]:
    """Sum first, then the publication's order (or the groups asked for, checked)."""
    if groups is None:
        return [dims.SUM_LABEL, *dims.in_publication_order(available)]
    return list(check_groups(groups, [*available, dims.SUM_LABEL], what="plot: groups"))


def _panel_title(group: str, n_groups: int) -> str:
    return f"Sum, {n_groups} grupper" if group == dims.SUM_LABEL else lb.group_label(group)


PANEL_HEIGHT = 2.0
"""Height of one small-multiples panel (inches), without its title and tick labels."""
_TOP, _BOTTOM, _LEFT, _RIGHT, _HGAP, _WGAP = 0.9, 0.7, 0.85, 0.3, 0.6, 0.8
"""Margins and gaps of the small multiples (inches): a fixed layout, because constrained
layout costs as much as drawing a figure of 15 panels."""


def _grid_figure(
    n: int,
    ncols: int = 3,
    width: float = 11.0,
    panel_height: float = PANEL_HEIGHT,
    legend_rows: int = 1,
) -> tuple[Figure, list[Axes]]:
    """A figure of ``n`` panels in ``ncols`` columns with fixed margins: room for a two-line
    title on top (:func:`_title` makes more when needed) and a legend below."""
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    bottom = _BOTTOM + max(legend_rows - 1, 0) * _LEGEND_ROW  # room for every legend row
    height = _TOP + bottom + nrows * panel_height + (nrows - 1) * _HGAP
    fig = _figure(width, height, constrained=False)
    panel_w = (width - _LEFT - _RIGHT - (ncols - 1) * _WGAP) / ncols
    axes = fig.subplots(
        nrows,
        ncols,
        squeeze=False,
        gridspec_kw={
            "left": _LEFT / width,
            "right": 1 - _RIGHT / width,
            "top": 1 - _TOP / height,
            "bottom": bottom / height,
            "hspace": _HGAP / panel_height,
            "wspace": _WGAP / panel_w,
        },
    ).ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, list(axes[:n])


_LINE = 0.2
"""Height of one title line at 10.5 pt (inches)."""
_LEGEND_ROW = 0.3
"""Height of one more row of a legend below the panels (inches)."""


def _title(fig: Figure, *lines: str, grid: bool = False) -> None:
    """The figure's title: the first line, then the explanations, each wrapped to the width.
    On small multiples the figure grows at the top when the title needs more than two lines,
    so it never runs into the panels' titles."""
    width = int(fig.get_figwidth() / 0.085)
    text = "\n".join(_wrap(line, width) for line in lines)
    if not grid:
        fig.suptitle(text, x=0.01, ha="left", fontsize=10.5)
        return
    n_lines = text.count("\n") + 1
    gs = fig.axes[0].get_gridspec()
    assert gs is not None
    height = fig.get_figheight()
    top_in = (1 - float(gs.top or 0.9)) * height
    bottom_in = float(gs.bottom or 0.1) * height
    extra = max(0.0, 0.5 + _LINE * n_lines - top_in)
    if extra > 0:
        height += extra
        fig.set_figheight(height)
        gs.update(top=1 - (top_in + extra) / height, bottom=bottom_in / height)
    fig.text(0.01, 1 - 0.1 / height, text, va="top", ha="left", fontsize=10.5)


def _legend_below(fig: Figure, axes: Sequence[Axes], ncols: int) -> None:
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", bbox_to_anchor=(0.5, 0.0), ncols=ncols)


def _horizon(years: Sequence[int], horizon: int | None) -> int:
    last = years[-1] if horizon is None else int(horizon)
    check_years((last,), tuple(years))
    return last


def _projections(projections: Projection | Sequence[Projection]) -> list[Projection]:
    if isinstance(projections, Projection):
        items = [projections]
    elif isinstance(projections, Iterable) and not isinstance(projections, str | bytes):
        items = list(projections)  # a list, a tuple, a generator, an array of projections
    else:
        items = []
    if not items or not all(isinstance(p, Projection) for p in items):
        raise ConfigError("plot: give a Projection (hm.project) or a list of them")
    return items


def _with_sum(cube: np.ndarray) -> np.ndarray:
    """(year, group) → (year, group + Sum)."""
    return np.concatenate([cube, cube.sum(axis=-1, keepdims=True)], axis=-1)


def _column(groups: Sequence[str], group: str) -> int:
    return len(groups) if group == dims.SUM_LABEL else list(groups).index(group)


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def png(fig: Figure, dpi: int = DPI) -> bytes:
    """The figure as PNG bytes (Agg; no timestamp, so the same figure gives the same bytes)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None}, facecolor="white")
    return buf.getvalue()


def svg(fig: Figure) -> bytes:
    """The figure as SVG bytes (text kept as text, so it stays searchable and editable; no
    date)."""
    buf = io.BytesIO()
    with _style():
        fig.savefig(buf, format="svg", metadata={"Date": None}, facecolor="white")
    return buf.getvalue()


# -- gap paths --------------------------------------------------------------------------------


def gap_paths(
    projections: Projection | Sequence[Projection],
    *,
    groups: Sequence[str] | None = None,
    horizon: int | None = 2040,
    titles: dict[str, str] | None = None,
) -> Figure:
    """The gap of every scenario, year by year from the base year to ``horizon`` (2040; up to
    the inputs' last year): one panel for the Sum and one per group (``groups``: ids or
    ``Sum``; default all, in the publication's order). ``projections``: one projection (every
    scenario of a batch is a line) or several; the reference is drawn black. ``titles`` maps a
    scenario name to its legend label. Negative = shortage, stated on the chart."""
    projs = _projections(projections)
    first = projs[0]
    years = list(first.years)
    last = _horizon(years, horizon)
    shown = [i for i, y in enumerate(years) if y <= last]
    panel = _panel_groups(groups, first.inputs.groups)
    series = [(p.scenarios[d], _with_sum(p.gap[d])) for p in projs for d in range(p.n_draws)]
    n_groups = len(first.inputs.groups)
    ncols = min(3, len(series))
    with _style():
        fig, axes = _grid_figure(len(panel), legend_rows=-(-len(series) // ncols))
        # every scenario its own look: the palette, then the palette dashed, then dotted
        looks = [(c, ls) for ls in ("-", "--", ":") for c in PALETTE]
        styles: list[dict[str, Any]] = []
        k = 0
        for name, _ in series:
            if name == "referanse":
                styles.append({"color": REFERENCE_COLOR, "lw": 2.0, "zorder": 3})
            else:
                color, dash = looks[k % len(looks)]
                styles.append({"color": color, "ls": dash, "lw": 1.5, "zorder": 2})
                k += 1
        for ax, group in zip(axes, panel, strict=True):
            col = _column(first.inputs.groups, group)
            for (name, cube), style in zip(series, styles, strict=True):
                ax.plot(
                    [years[i] for i in shown],
                    cube[shown, col],
                    label=_wrap(lb.scenario_label(name, titles), 45),
                    **style,
                )
            ax.axhline(0.0, color="#555555", lw=0.8, zorder=1)
            ax.set_title(_panel_title(group, n_groups), loc="left")
            _year_axis(ax, years[0], last)
            _arsverk_axis(ax)
        for ax in axes[:: min(3, len(axes))]:
            ax.set_ylabel("Gap, årsverk")
        _legend_below(fig, axes, ncols)
        _title(
            fig,
            f"Gap mellom tilbud og etterspørsel, {years[0]}–{last}",
            lb.GAP_CONVENTION,
            grid=True,
        )
    return fig


# -- supply and demand ------------------------------------------------------------------------


def supply_demand(
    projection: Projection,
    *,
    draw: int = 0,
    groups: Sequence[str] | None = None,
    horizon: int | None = 2040,
    titles: dict[str, str] | None = None,
) -> Figure:
    """Supply (tilbud) and demand (etterspørsel) per group as small multiples, one panel per
    group and the Sum, base year to ``horizon``. The space between the lines is red where
    demand exceeds supply (a shortage, already in the base year for most groups) and green
    where supply exceeds it; each panel states the base-year and last-year gap."""
    proj = _projections(projection)[0]
    draw = proj._check_draw(draw)
    years = list(proj.years)
    last = _horizon(years, horizon)
    shown = [i for i, y in enumerate(years) if y <= last]
    x = np.array([years[i] for i in shown])
    supply = _with_sum(proj.supply[draw])[shown]
    demand = _with_sum(proj.demand[draw])[shown]
    panel = _panel_groups(groups, proj.inputs.groups)
    n_groups = len(proj.inputs.groups)
    with _style():
        fig, axes = _grid_figure(len(panel))
        for ax, group in zip(axes, panel, strict=True):
            col = _column(proj.inputs.groups, group)
            s, d = supply[:, col], demand[:, col]
            ax.plot(x, s, color=SUPPLY_COLOR, lw=1.8, label="Tilbud")
            ax.plot(x, d, color=DEMAND_COLOR, lw=1.8, label="Etterspørsel")
            ax.fill_between(
                x,
                s,
                d,
                where=d >= s,
                interpolate=True,
                color=SHORTAGE_COLOR,
                alpha=0.25,
                lw=0,
                label="Underskudd (etterspørsel > tilbud)",
            )
            ax.fill_between(
                x,
                s,
                d,
                where=s > d,
                interpolate=True,
                color=SURPLUS_COLOR,
                alpha=0.22,
                lw=0,
                label="Overskudd (tilbud > etterspørsel)",
            )
            ax.set_title(_panel_title(group, n_groups), loc="left")
            ax.text(
                0.02,
                0.97,
                f"Gap {x[0]}: {lb.arsverk(s[0] - d[0])}\nGap {x[-1]}: {lb.arsverk(s[-1] - d[-1])}",
                transform=ax.transAxes,
                va="top",
                fontsize=8,
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1.5},
            )
            _year_axis(ax, years[0], last)
            _arsverk_axis(ax)
        for ax in axes[:: min(3, len(axes))]:
            ax.set_ylabel("Årsverk")
        _legend_below(fig, axes, 4)
        _title(
            fig,
            f"Tilbud og etterspørsel per utdanningsgruppe, {years[0]}–{last}, årsverk "
            f"(scenario: {lb.scenario_label(proj.scenarios[draw], titles)})",
            "Rødt felt: underskudd, grønt: overskudd. Underskuddet i basisåret er med i "
            "etterspørselen. Aksene starter ikke på null.",
            grid=True,
        )
    return fig


# -- effects of measures ----------------------------------------------------------------------


def effects(
    comparison: pd.DataFrame,
    *,
    year: int = 2040,
    group: str = dims.SUM_LABEL,
    variable: str = "gap",
    titles: dict[str, str] | None = None,
) -> Figure:
    """Each measure's effect alone and, from ``hm.compare(..., combined=True)``, all measures
    together in one projection (``kombinert``) beside the sum of the single effects
    (``sum_enkelttiltak``, stacked from the singles): the difference is the overlap the plan
    warns about (measures that act on the same persons do not add up). Effects in årsverk,
    scenario − reference, in ``year`` for ``group`` (default the Sum)."""
    need = {"scenario", "year", "group", variable}
    if not isinstance(comparison, pd.DataFrame) or not need <= set(comparison.columns):
        raise ConfigError("plot.effects: give the frame of hm.compare(...)")
    sub = comparison[(comparison.group == group) & (comparison.year == year)]
    if sub.empty:
        raise ConfigError(
            f"plot.effects: no rows for group {group!r} in {year} (compare has years "
            f"{', '.join(map(str, sorted(set(comparison.year))))})"
        )
    values = dict(zip(sub.scenario, sub[variable], strict=True))
    singles = [n for n in values if n not in (COMBINED, SUM_OF_SINGLES)]
    combined = COMBINED in values and SUM_OF_SINGLES in values
    rows = [*singles, *([SUM_OF_SINGLES, COMBINED] if combined else [])]
    colors = {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(singles)}
    what = lb.DEFINITE[variable]
    with _style():
        fig = _figure(10.0, 1.9 + 0.55 * len(rows))
        ax = fig.subplots()
        ypos = np.arange(len(rows))[::-1]
        for y, name in zip(ypos, rows, strict=True):
            if name == SUM_OF_SINGLES:
                left_pos, left_neg = 0.0, 0.0
                for s in singles:
                    v = values[s]
                    start = left_pos if v >= 0 else left_neg
                    ax.barh(y, v, left=start, color=colors[s], alpha=0.55, height=0.6)
                    if v >= 0:
                        left_pos += v
                    else:
                        left_neg += v
            else:
                color = REFERENCE_COLOR if name == COMBINED else colors[name]
                ax.barh(y, values[name], color=color, height=0.6)
        span = max(1.0, *(abs(v) for v in values.values()))
        for y, name in zip(ypos, rows, strict=True):
            v = values[name]
            ax.text(
                v + (0.01 * span if v >= 0 else -0.01 * span),
                y,
                lb.signed(v),
                va="center",
                ha="left" if v >= 0 else "right",
                fontsize=8.5,
            )
        lo, hi = min(0.0, *values.values()), max(0.0, *values.values())
        ax.set_xlim(lo - (0.18 if lo < 0 else 0.02) * span, hi + (0.18 if hi > 0 else 0.02) * span)
        ax.set_yticks(ypos)
        ax.set_yticklabels([_wrap(lb.scenario_label(n, titles), 38) for n in rows])
        ax.axvline(0.0, color="#555555", lw=0.8)
        ax.grid(axis="y", visible=False)
        _arsverk_axis(ax, "x")
        ax.set_xlabel(f"Endring i {what} mot referansebanen, årsverk")
        who = "Sum, 14 grupper" if group == dims.SUM_LABEL else lb.group_label(group)
        head = [f"Tiltakenes virkning på {what} i {year} ({who}), årsverk mot referansebanen"]
        if combined:
            overlap = values[COMBINED] - values[SUM_OF_SINGLES]
            head.append(
                f"Alle tiltak samlet i én framskriving: {lb.signed(values[COMBINED])}; summen "
                f"av enkelttiltakene: {lb.signed(values[SUM_OF_SINGLES])}; forskjellen "
                f"(samspill og overlapp mellom tiltakene): {lb.signed(overlap)}."
            )
        if variable == "gap":
            head.append("Positivt tall = gapet bedres (mindre underskudd).")
        _title(fig, *head)
    return fig


# -- demand by service area -------------------------------------------------------------------


def demand_by_service(
    projection: Projection,
    *,
    years: Sequence[int] | None = None,
    draw: int = 0,
    titles: dict[str, str] | None = None,
) -> Figure:
    """Demand (årsverk) by service area and by staffing category (the 14 groups and the three
    categories outside them), in the base year and a later year (``years``, default base year
    and 2040 or the last year). From :meth:`Projection.services` (without the base-year
    shortage, a group-level term)."""
    proj = _projections(projection)[0]
    inp = proj.inputs
    wanted = years if years is not None else (proj.years[0], min(2040, proj.years[-1]))
    years = check_years(wanted, proj.years)
    draw = proj._check_draw(draw)
    cells = proj.services(draw=draw)
    cells = cells[cells.year.isin(years)]
    by_service = cells.pivot_table(index="service", columns="year", values="demand", aggfunc="sum")
    by_cat = cells.pivot_table(index="category", columns="year", values="demand", aggfunc="sum")
    service_label = dict(zip(inp.services, inp.service_labels, strict=True))
    from matplotlib.ticker import MaxNLocator

    with _style():
        fig = _figure(11.5, 7.5)
        axes = fig.subplots(1, 2)
        for ax, table, label, title in (
            (axes[0], by_service, service_label.get, "Etter tjenesteområde"),
            (axes[1], by_cat, lb.group_label, "Etter personellkategori"),
        ):
            table = table.sort_values(years[0])
            pos = np.arange(len(table))
            h = 0.8 / len(years)
            for k, y in enumerate(years):
                color = PALETTE[k % len(PALETTE)] if k else "#9bbbd9"
                ax.barh(
                    pos + (k - (len(years) - 1) / 2) * h,
                    table[y],
                    height=h,
                    color=color,
                    label=str(y),
                )
            ax.set_yticks(pos)
            ax.set_yticklabels([_wrap(str(label(i) or i), 34) for i in table.index], fontsize=8)
            ax.grid(axis="y", visible=False)
            _arsverk_axis(ax, "x")
            ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
            ax.set_xlabel("Årsverk")
            ax.set_title(title, loc="left")
        axes[0].legend(loc="lower right")
        _title(
            fig,
            f"Etterspørsel etter helsepersonell, årsverk, {' og '.join(map(str, years))} "
            f"(scenario: {lb.scenario_label(proj.scenarios[draw], titles)})",
            "Etter tjenesteområde og etter personellkategori (de 14 utdanningsgruppene og tre "
            "kategorier utenfor dem), uten underskuddet i basisåret.",
        )
    return fig


# -- supply by age band -----------------------------------------------------------------------


def supply_by_age(
    projection: Projection,
    *,
    years: Sequence[int] | None = None,
    groups: Sequence[str] | None = None,
    titles: dict[str, str] | None = None,
) -> Figure:
    """Supply (årsverk) by age band (20–29 … 67–79) in the base year and later years
    (``years``, default base year and 2040), one panel per group and the Sum: where the
    retirements bite. Needs a projection with detail (``hm.project()``)."""
    proj = _projections(projection)[0]
    wanted = years if years is not None else (proj.years[0], min(2040, proj.years[-1]))
    years = check_years(wanted, proj.years)
    table = proj.by_age_band("arsverk")
    bands = [f"{lo}-{hi}" for lo, hi in AGE_BANDS]
    panel = _panel_groups(groups, proj.inputs.groups)
    n_groups = len(proj.inputs.groups)
    with _style():
        fig, axes = _grid_figure(len(panel))
        pos = np.arange(len(bands))
        h = 0.8 / len(years)
        for ax, group in zip(axes, panel, strict=True):
            for k, y in enumerate(years):
                block = table.loc[y]
                row = block.sum(axis=0) if group == dims.SUM_LABEL else block.loc[group]
                color = PALETTE[k % len(PALETTE)] if k else "#9bbbd9"
                ax.bar(
                    pos + (k - (len(years) - 1) / 2) * h,
                    row[bands].to_numpy(),
                    width=h,
                    color=color,
                    label=str(y),
                )
            ax.set_xticks(pos)
            ax.set_xticklabels([b.replace("-", "–") for b in bands], fontsize=7.5)
            ax.grid(axis="x", visible=False)
            ax.set_title(_panel_title(group, n_groups), loc="left")
            _arsverk_axis(ax)
        for ax in axes[:: min(3, len(axes))]:
            ax.set_ylabel("Årsverk")
        _legend_below(fig, axes, len(years))
        _title(
            fig,
            "Tilbud etter alder, årsverk: hvor avgangene biter "
            f"(scenario: {lb.scenario_label(proj.scenarios[0], titles)})",
            "Aldersgrupper i år. Årsverk av personer med utdanningen i helse- og "
            "omsorgstjenestene.",
            grid=True,
        )
    return fig


# -- where the gap comes from -----------------------------------------------------------------


def _drivers_of(
    parts: object, proj: Projection, draw: int, group: str, year: int
) -> dict[str, float]:
    """driver → value of ``group`` in ``year``, from the frame of ``proj.decompose(draw)``;
    a frame of another projection (its drivers do not add up to this gap) is refused."""
    need = {"year", "group", "driver", "value"}
    if not isinstance(parts, pd.DataFrame) or not need <= set(parts.columns):
        raise ConfigError(
            "plot.gap_waterfall: decomposition must be the frame of projection.decompose() "
            "(columns year, group, driver, label, value)"
        )
    sub = parts[(parts.group == group) & (parts.year == year)]
    values = {str(d): float(v) for d, v in zip(sub.driver, sub.value, strict=True)}
    gap = proj.gap_table(years=(year,), draw=draw, labels=False).loc[group, year]
    if "basisår" not in values or abs(sum(values.values()) - gap) > 0.5:
        raise ConfigError(
            f"plot.gap_waterfall: decomposition has no drivers of {group} in {year} that add "
            f"up to this projection's gap ({plain(gap)}); give projection.decompose(draw="
            f"{draw}) of the projection drawn"
        )
    return values


def gap_waterfall(
    projection: Projection,
    *,
    year: int = 2040,
    group: str = dims.SUM_LABEL,
    draw: int = 0,
    titles: dict[str, str] | None = None,
    decomposition: pd.DataFrame | None = None,
) -> Figure:
    """A waterfall from the base-year gap to the gap in ``year``, one bar per driver of the
    exact decomposition (:meth:`Projection.decompose`): green bars improve the gap (more
    supply, less demand), red bars worsen it. Drivers without an effect are left out.
    ``decomposition``: the frame of ``projection.decompose(draw=draw)`` when already at hand."""
    proj = _projections(projection)[0]
    (year,) = check_years((year,), proj.years)
    _panel_groups([group], proj.inputs.groups)
    draw = proj._check_draw(draw)
    parts = proj.decompose(draw=draw) if decomposition is None else decomposition
    values = _drivers_of(parts, proj, draw, group, year)
    start = values.pop("basisår")
    steps = [(d, v) for d, v in values.items() if abs(v) >= 0.5]
    end = start + sum(v for _, v in steps)
    base = proj.years[0]
    with _style():
        fig = _figure(10.5, 5.4)
        ax = fig.subplots()
        names = [f"Gap {base}", *(lb.DRIVER_SHORT.get(d, d) for d, _ in steps), f"Gap {year}"]
        running = start
        ax.bar(0, start, color="#7f8c8d", width=0.65)
        tops = [start]
        for i, (_, v) in enumerate(steps, start=1):
            ax.bar(
                i, v, bottom=running, color=SURPLUS_COLOR if v > 0 else SHORTAGE_COLOR, width=0.65
            )
            ax.plot([i - 1.325, i + 0.325], [running, running], color="#555555", lw=0.6)
            running += v
            tops.append(running)
        n = len(steps) + 1
        ax.plot([n - 1.325, n + 0.325], [running, running], color="#555555", lw=0.6)
        ax.bar(n, end, color=REFERENCE_COLOR, width=0.65)
        span = max(abs(x) for x in [start, end, *tops, *(v for _, v in steps)])
        bars = [start, *(v for _, v in steps), end]
        levels = [start, *tops[1:], end]
        for i, (v, level) in enumerate(zip(bars, levels, strict=True)):
            text = lb.arsverk(v) if i in (0, n) else lb.signed(v)
            top = max(level, level - v if 0 < i < n else 0.0)
            bottom = min(level, level - v if 0 < i < n else 0.0)
            ypos, va = (top + 0.015 * span, "bottom") if v >= 0 else (bottom - 0.015 * span, "top")
            ax.text(i, ypos, text, ha="center", va=va, fontsize=8)
        ax.set_xticks(range(n + 1))
        ax.set_xticklabels([_wrap(str(t), 13) for t in names], fontsize=8)
        ax.axhline(0.0, color="#555555", lw=0.8)
        ax.grid(axis="x", visible=False)
        lo, hi = ax.get_ylim()
        ax.set_ylim(lo - 0.06 * span, hi + 0.06 * span)
        _arsverk_axis(ax)
        ax.set_ylabel("Årsverk")
        who = "Sum, 14 grupper" if group == dims.SUM_LABEL else lb.group_label(group)
        _title(
            fig,
            f"Hvor gapet kommer fra: fra gapet i {base} til gapet i {year} ({who}; scenario: "
            f"{lb.scenario_label(proj.scenarios[draw], titles)})",
            "Grønt bedrer gapet (mer tilbud eller mindre etterspørsel), rødt forverrer det. "
            "Summen av søylene er nøyaktig gapet (eksakt dekomponering).",
            lb.GAP_CONVENTION,
        )
    return fig


# -- fan charts -------------------------------------------------------------------------------


def fan(
    simulation: Any,
    *,
    groups: Sequence[str] = (dims.SUM_LABEL,),
    variable: str = "gap",
    effect: bool = False,
    horizon: int | None = 2040,
    titles: dict[str, str] | None = None,
) -> Figure:
    """Fan chart of a Monte Carlo run (``hm.simulate``): the 5–95 % and 25–75 % intervals of
    the draws and their median, with draw 0 (the reference inputs) as a dashed line, one panel
    per group in ``groups`` (default the Sum). ``effect``: the scenario's effect (scenario −
    reference on the same draws) instead of the level. ``variable``: gap, supply or demand."""
    for attr in ("supply", "demand", "years", "groups", "n_draws"):
        if not hasattr(simulation, attr):
            raise ConfigError("plot.fan: give the result of hm.simulate(...)")
    if variable not in lb.VARIABLE_LABELS:
        raise ConfigError(f"plot.fan: variable must be gap, supply or demand, got {variable!r}")
    if effect:
        if simulation.effect_supply is None:
            raise ConfigError("plot.fan(effect=True): the simulation was run without a scenario")
        arrays = {"supply": simulation.effect_supply, "demand": simulation.effect_demand}
    else:
        arrays = {"supply": simulation.supply, "demand": simulation.demand}
    arrays["gap"] = arrays["supply"] - arrays["demand"]
    cube = arrays[variable]  # (draw, year, group + Sum)
    years = list(simulation.years)
    last = _horizon(years, horizon)
    shown = [i for i, y in enumerate(years) if y <= last]
    x = [years[i] for i in shown]
    sim_groups = list(simulation.groups)
    groups = check_groups(groups, sim_groups, what="plot.fan: groups")
    q = np.quantile(cube[:, shown], (0.05, 0.25, 0.5, 0.75, 0.95), axis=0)
    n_groups = len(sim_groups) - 1
    what = lb.VARIABLE_LABELS[variable]
    with _style():
        one = len(groups) == 1
        fig, axes = _grid_figure(
            len(groups), width=9.0 if one else 11.0, panel_height=3.2 if one else PANEL_HEIGHT
        )
        for ax, group in zip(axes, groups, strict=True):
            gi = sim_groups.index(group)
            ax.fill_between(
                x,
                q[0, :, gi],
                q[4, :, gi],
                color=BAND_COLOR,
                alpha=0.18,
                lw=0,
                label="5–95 % av trekkene",
            )
            ax.fill_between(
                x,
                q[1, :, gi],
                q[3, :, gi],
                color=BAND_COLOR,
                alpha=0.38,
                lw=0,
                label="25–75 % av trekkene",
            )
            ax.plot(x, q[2, :, gi], color=BAND_COLOR, lw=1.8, label="Median")
            ax.plot(
                x,
                cube[0, shown, gi],
                color=REFERENCE_COLOR,
                lw=1.2,
                ls="--",
                label="Trekk 0 (referansens forutsetninger)",
            )
            if variable == "gap":
                ax.axhline(0.0, color="#555555", lw=0.8)
            ax.set_title(_panel_title(group, n_groups), loc="left")
            _year_axis(ax, years[0], last)
            _arsverk_axis(ax)
        for ax in axes[:: min(3, len(axes))]:
            ax.set_ylabel(f"Endring i {what.lower()}, årsverk" if effect else f"{what}, årsverk")
        _legend_below(fig, axes, 4)
        name = lb.scenario_label(str(simulation.scenario), titles)
        head = f"Usikkerhet i {lb.DEFINITE[variable]}, {years[0]}–{last}"
        if effect:
            head = (
                f"Usikkerhet i tiltakenes virkning på {lb.DEFINITE[variable]} ({name} − referanse)"
            )
        sub = (
            f"Bånd: 5–95 % og 25–75 % av {simulation.n_draws} trekk (Monte Carlo over de "
            "oppgitte usikre forutsetningene). "
            + (lb.GAP_CONVENTION if variable == "gap" and not effect else "Årsverk.")
        )
        _title(fig, head, sub, grid=True)
    return fig
