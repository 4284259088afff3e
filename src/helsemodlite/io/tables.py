"""Tables of a projection (pandas): the :class:`Projection` users get, the one CSV format.

Every table is a view of the projection's arrays (:mod:`helsemodlite.model.projection`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .. import dims
from ..checks import switch
from ..errors import ConfigError
from ..model.engine import FLOWS, aggregate_residual, stock_flow_residual
from ..model.projection import ProjectionData

FLOAT_FORMAT = "%.10g"


CSV_DIALECTS = ("standard", "excel-no")
"""CSV dialects of every CSV output (``--dialect``): ``standard`` (``,`` and a decimal point,
the default, unchanged) and ``excel-no`` (what Excel with Norwegian settings opens directly: ``;``
between fields, a decimal comma and a UTF-8 byte order mark, so that æ, ø and å survive)."""
BOM = "\ufeff"


def check_dialect(dialect: object) -> str:
    """``dialect`` if it is one of :data:`CSV_DIALECTS`, else a :class:`ConfigError` naming it."""
    if dialect not in CSV_DIALECTS:
        raise ConfigError(
            f"--dialect: unknown CSV dialect {dialect!r}; expected one of {', '.join(CSV_DIALECTS)}"
        )
    return str(dialect)


def to_csv_text(df: pd.DataFrame, dialect: str = "standard") -> str:
    """The one CSV formatting of the project: fixed float format, '\\n' line ends, no index.

    ``dialect="excel-no"``: the same rows with ``;`` and a decimal comma, after a byte order
    mark (reads back with ``pd.read_csv(path, sep=";", decimal=",")``)."""
    if check_dialect(dialect) == "excel-no":
        text = df.to_csv(
            index=False, sep=";", decimal=",", float_format=FLOAT_FORMAT, lineterminator="\n"
        )
        return BOM + text
    return df.to_csv(index=False, float_format=FLOAT_FORMAT, lineterminator="\n")


def with_labels(frame: pd.DataFrame, unit: str | None = "årsverk") -> pd.DataFrame:
    """``frame`` (with a ``group`` column of ids) for people: SSB's label ``group_label`` after
    ``group``, then ``unit`` (when given and not already a column), and ``is_total`` last (the
    ``Sum`` rows) unless the frame has it already."""
    out = frame.copy()
    at = list(out.columns).index("group") + 1
    out.insert(at, "group_label", out["group"].map(lambda g: dims.group_label(str(g))))
    if unit is not None and "unit" not in out.columns:
        out.insert(at + 1, "unit", unit)
    return mark_totals(out)


def mark_totals(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with ``is_total`` last: True on the ``Sum`` rows (the 14 groups), so that
    summing the rows where it is False never double-counts."""
    if "is_total" in frame.columns:
        return frame
    return frame.assign(is_total=frame["group"] == dims.SUM_LABEL)


SUMMARY_COLUMNS = ("year", "group", "supply", "demand", "gap")
LONG_COLUMNS = ("scenario", "year", "group", "sex", "age", "variable", "unit", "value", "is_total")
"""The one output schema: every table and file is a view of it. ``sex`` and ``age`` are empty
(NA) on rows that cover all sexes and ages; ``is_total`` marks the ``Sum`` rows (the 14 groups),
so that summing over groups never double-counts."""
UNITS = {"supply": "årsverk", "demand": "årsverk", "gap": "årsverk", "arsverk": "årsverk"}
"""Unit of each variable; every other (stock, employed, flows) counts persons."""
AGE_BANDS = ((20, 29), (30, 39), (40, 49), (50, 59), (60, 66), (67, 79))
"""Age bands of :meth:`Projection.by_age_band` (the personnel ages 20–79)."""
DETAIL_VARIABLES = ("stock", "employed", "arsverk", *FLOWS)


def check_years(years: object, available: tuple[int, ...]) -> tuple[int, ...]:
    """``years`` as a tuple of ints, each covered by the projection; else :class:`ConfigError`
    naming the years the inputs cover (one rule for every table and command)."""
    if isinstance(years, int | np.integer):
        years = (years,)
    if not isinstance(years, Iterable) or isinstance(years, str | bytes):
        raise ConfigError(f"years must be a list of years, got {type(years).__name__}")
    wanted: tuple[object, ...] = tuple(years)
    if not wanted:
        raise ConfigError("years: give at least one year")
    bad = [y for y in wanted if not isinstance(y, int | np.integer) or isinstance(y, bool)]
    if bad:
        raise ConfigError(f"years must be whole numbers, got {bad[0]!r}")
    missing = [int(y) for y in wanted if y not in available]  # type: ignore[call-overload]
    if missing:
        shown = ", ".join(map(str, missing))
        raise ConfigError(
            f"year(s) {shown} outside the projection: the inputs cover "
            f"{available[0]}–{available[-1]}"
        )
    return tuple(dict.fromkeys(int(y) for y in wanted))  # type: ignore[call-overload]


def year_or_default(year: int | None, available: tuple[int, ...]) -> int:
    """``year`` checked against the projection; None: 2040, the publication's last column,
    or the last projection year when the inputs end before it (one rule for the commands)."""
    if year is None:
        last = dims.GAP_TABLE_YEARS[-1]
        return last if last in available else available[-1]
    (out,) = check_years((year,), available)
    return out


COMPARE_VARIABLES = ("supply", "demand", "gap")
"""The variables of :func:`comparison_table` (``compare --variable``)."""


def check_groups(
    groups: object, available: Sequence[str], what: str = "--group"
) -> tuple[str, ...]:
    """``groups`` (an id or a sequence of ids; None: the ``Sum``) as a tuple without repeats,
    each one of ``available``; else a :class:`ConfigError` naming the unknown ones."""
    import difflib

    if groups is None:
        return (dims.SUM_LABEL,)
    items = [groups] if isinstance(groups, str) else groups
    if not isinstance(items, Iterable) or isinstance(items, bytes):
        raise ConfigError(f"{what}: expected a group id or a list of ids, got {groups!r}")
    wanted = list(items)
    if not wanted or not all(isinstance(g, str) for g in wanted):
        raise ConfigError(f"{what}: expected one or more group ids, got {groups!r}")
    unknown = [g for g in wanted if g not in available]
    if unknown:
        hints = []
        for g in unknown:
            close = (
                difflib.get_close_matches(g, available, n=1)
                or [a for a in available if a.lower().startswith(g.lower())][:1]
            )
            hints.append(f"{g!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise ConfigError(
            f"{what}: unknown group {', '.join(hints)}; expected one of {', '.join(available)}"
        )
    return tuple(dict.fromkeys(wanted))


def check_variable(variable: object) -> str:
    """``variable`` if it is one of :data:`COMPARE_VARIABLES`, else a :class:`ConfigError`."""
    if variable not in COMPARE_VARIABLES:
        raise ConfigError(
            f"--variable: unknown variable {variable!r}; expected one of "
            f"{', '.join(COMPARE_VARIABLES)}"
        )
    return str(variable)


def comparison_table(
    comparison: pd.DataFrame, *, variable: str = "gap", groups: object = None
) -> pd.DataFrame:
    """One table of a comparison (the frame of :func:`helsemodlite.compare`): a row per group
    and scenario (the groups in the order given, within each the scenarios in the comparison's
    order, ``kombinert`` and ``sum_enkelttiltak`` last), a column per year, the change of
    ``variable`` (``supply``, ``demand`` or ``gap``; årsverk, scenario − reference, unrounded).
    Columns ``group, scenario, <years…>, is_total``; ``groups``: ids and/or ``Sum`` (default
    the ``Sum``)."""
    check_variable(variable)
    need = {"group", "scenario", "year", variable}
    if not isinstance(comparison, pd.DataFrame) or not need <= set(comparison.columns):
        raise ConfigError(
            "compare_table: expected the frame of helsemodlite.compare() (columns group, "
            f"scenario, year, supply, demand, gap), got {type(comparison).__name__}"
        )
    available = list(dict.fromkeys(str(g) for g in comparison["group"]))
    chosen = check_groups(groups, available)
    if dims.SUM_LABEL in chosen and dims.SUM_LABEL not in available:
        raise ConfigError(
            f"compare_table: the frame has no {dims.SUM_LABEL} rows (the default); give groups "
            f"from {', '.join(available) or 'its groups (it has none)'}"
        )
    try:
        year = comparison["year"].astype(int)
    except (TypeError, ValueError):
        raise ConfigError("compare_table: column year must hold whole years") from None
    years = list(dict.fromkeys(year.tolist()))
    scenarios = list(dict.fromkeys(str(s) for s in comparison["scenario"]))
    sub = comparison.assign(year=year)[comparison["group"].isin(chosen)]
    try:
        wide = sub.pivot(index=["group", "scenario"], columns="year", values=variable)
    except ValueError:
        raise ConfigError(
            "compare_table: the frame repeats a (group, scenario, year); give the frame of one "
            "helsemodlite.compare()"
        ) from None
    rows = pd.MultiIndex.from_product([list(chosen), scenarios], names=["group", "scenario"])
    wide = wide.reindex(index=rows, columns=years)
    missing = wide.isna().stack()
    if missing.any():  # a scenario without rows for a group or a year
        g, sc, y = missing[missing].index[0]
        raise ConfigError(
            f"compare_table: no {variable} for scenario {sc!r}, group {g!r}, year {y} in the "
            "frame; give the whole frame of helsemodlite.compare() (filter the table it returns)"
        )
    wide.columns = pd.Index([int(y) for y in years], name=None)
    out = wide.reset_index()
    out["is_total"] = out["group"] == dims.SUM_LABEL
    out.attrs["variable"] = variable
    out.attrs["notes"] = list(comparison.attrs.get("notes", []))
    return out


DRIVER_LABELS = {
    "basisår": "Gap i basisåret (det kalibrerte underskuddet)",
    "avgang": "Avgang fra basisårets bestand (død, utvandring, andre avganger, alder)",
    "utdannede": "Nyutdannede",
    "innvandrere": "Innvandrere med helseutdanning",
    "tiltak_tilbud": "Tiltak på tilbudssiden (stillingsprosent, avgangsalder, sykefravær, …)",
    "befolkning": "Befolkningsvekst og aldring",
    "friskere_aldring": "Friskere aldring",
    "standardvekst": "Standardvekst",
    "trend": "Kalibrert trend i etterspørselen",
    "tiltak_etterspørsel": "Tiltak på etterspørselssiden (produktivitet, tidstyver, oppgavedeling)",
}
"""Display labels of the drivers of :meth:`Projection.decompose` (the gap: + helps, − hurts)."""


def default_years(available: tuple[int, ...]) -> tuple[tuple[int, ...], str | None]:
    """The gap table's default columns: the publication's (2025, 2030, 2035, 2040) when the
    inputs cover them; else those covered, or every fifth year from the first projection year,
    with a note saying what is shown instead."""
    wanted = dims.GAP_TABLE_YEARS
    covered = tuple(y for y in wanted if y in available[1:])
    if covered == wanted:
        return wanted, None
    if not covered:
        covered = available[1::5] + (() if (len(available) - 2) % 5 == 0 else available[-1:])
    shown = ", ".join(map(str, covered))
    return covered, (
        f"the inputs cover {available[0]}–{available[-1]}, not all of the publication's years "
        f"({', '.join(map(str, wanted))}); showing {shown}"
    )


class Projection(ProjectionData):
    """The result of :func:`helsemodlite.project`: the arrays of
    :class:`~helsemodlite.model.projection.ProjectionData` and their tables (one long schema;
    everything else is a pivot). Arrays have dims (draw, year, group) unless stated;
    ``gap = supply − demand``, negative is a shortage, as in the publication.
    """

    # -- tables ---------------------------------------------------------------------------------

    def summary(self, *, with_scenario: bool | None = None) -> pd.DataFrame:
        """Long table ``[scenario,] year, group, supply, demand, gap`` for every year and group,
        plus a ``Sum`` row per year (the 14 groups). Årsverk, unrounded.

        The ``scenario`` column is included for batches (:func:`helsemodlite.project_batch`,
        also of one scenario) and for several draws, or when asked for.
        """
        if with_scenario is None:
            with_scenario = self.n_draws > 1 or bool(self.meta.get("batch"))
        groups = list(self.inputs.groups) + [dims.SUM_LABEL]
        sup = np.concatenate([self.supply, self.supply.sum(-1, keepdims=True)], axis=-1)
        dem = np.concatenate([self.demand, self.demand.sum(-1, keepdims=True)], axis=-1)
        n_d, n_y, n_g = sup.shape
        frame = pd.DataFrame(
            {
                "scenario": np.repeat(np.array(self.scenarios, dtype=object), n_y * n_g),
                "year": np.tile(np.repeat(np.array(self.years), n_g), n_d),
                "group": np.tile(np.array(groups, dtype=object), n_d * n_y),
                "supply": sup.ravel(),
                "demand": dem.ravel(),
                "gap": (sup - dem).ravel(),
            }
        )
        if not with_scenario:
            frame = frame.drop(columns="scenario")
        return frame

    def long(self, *, detail: bool = False, labels: bool = False) -> pd.DataFrame:
        """The one long schema (:data:`LONG_COLUMNS`): supply, demand and gap per scenario, year
        and group, with ``Sum`` rows (``is_total``); with ``detail``, also every supply cell by
        sex and single age (stock, employed, årsverk and the flows; needs a run with detail).
        ``labels`` adds SSB's group label (``group_label``)."""
        detail, labels = switch(detail, "long: detail"), switch(labels, "long: labels")
        wide = self.summary(with_scenario=True)
        totals = wide.melt(
            id_vars=["scenario", "year", "group"],
            value_vars=["supply", "demand", "gap"],
            var_name="variable",
            value_name="value",
        )
        totals["sex"] = pd.Series(pd.NA, index=totals.index, dtype="string")
        totals["age"] = pd.Series(pd.NA, index=totals.index, dtype="Int64")
        parts = [totals]
        if detail:
            for d in range(self.n_draws):
                cells = self.detail(draw=d)
                cells.insert(0, "scenario", self.scenarios[d])
                cells["sex"] = cells["sex"].astype("string")
                cells["age"] = cells["age"].astype("Int64")
                parts.append(cells)
        out = pd.concat(parts, ignore_index=True)
        out["unit"] = out["variable"].map(UNITS).fillna("personer")
        out["is_total"] = out["group"] == dims.SUM_LABEL
        out = out[list(LONG_COLUMNS)]
        if labels:
            out.insert(3, "group_label", out["group"].map(dims.group_label))
        return out

    def decompose(self, *, draw: int = 0) -> pd.DataFrame:
        """The gap of every group and year split into named drivers (docs/model.md,
        "Decomposition"): ``year, group, driver, label, value`` (årsverk; ``group`` includes
        ``Sum``). For each year and group the ``value`` of all drivers adds up exactly to the
        gap: ``basisår`` (the base-year gap, shortage included) plus the changes since."""
        from ..model.decompose import DRIVERS, decompose

        draw = self._check_draw(draw)
        if "path" not in self.meta:
            raise ConfigError("decompose(): this projection does not keep its paths")
        plan: Any = self.meta["plan"]
        parts = decompose(self.inputs, self.meta["path"], plan, self.supply, self.demand)
        n_y, groups = len(self.years), list(self.inputs.groups)
        cubes = {"basisår": np.broadcast_to(parts["gap_base"][draw], (n_y, len(groups)))}
        cubes.update({k: parts[k][draw] for k in DRIVERS})
        frames = []
        for driver, cube in cubes.items():
            long = self._long_with_sum(cube)
            frames.append(long.assign(driver=driver, label=DRIVER_LABELS[driver]))
        out = pd.concat(frames, ignore_index=True)
        return out[["year", "group", "driver", "label", "value"]]

    def _long_with_sum(self, cube: np.ndarray) -> pd.DataFrame:
        """A (year, group) array as long ``year, group, value`` rows, a ``Sum`` group added."""
        with_sum = np.concatenate([cube, cube.sum(axis=1, keepdims=True)], axis=1)
        groups = [*self.inputs.groups, dims.SUM_LABEL]
        frame = pd.DataFrame(with_sum, index=list(self.years), columns=groups)
        return frame.stack().rename("value").rename_axis(["year", "group"]).reset_index()

    def demand_by_age(self, *, draw: int = 0) -> pd.DataFrame:
        """The demand change driven by the population (the ``befolkning`` driver of
        :meth:`decompose`, with the opposite sign: more demand positive) split by the users'
        age band: ``year, group, age_band, value`` (årsverk since the base year; ``group``
        includes ``Sum``; ``age_band`` 0-17 … 90+ and ``fødsler`` for the birth-driven service
        areas). Adds up exactly to −``befolkning`` in every year and group. Which ages carry
        the growth of demand, period by period (docs/model.md, "Decomposition")."""
        from ..model.decompose import POPULATION_BANDS, population_demand_by_age

        draw = self._check_draw(draw)
        plan: Any = self.meta.get("plan")
        if plan is None:
            raise ConfigError("demand_by_age(): this projection does not keep its plan")
        labels, cube = population_demand_by_age(self.inputs, plan, POPULATION_BANDS)
        frames = []
        for i, name in enumerate(labels):
            frames.append(self._long_with_sum(cube[draw, :, i]).assign(age_band=name))
        out = pd.concat(frames, ignore_index=True)
        return out[["year", "group", "age_band", "value"]]

    def supply_by_source(self, *, draw: int = 0) -> pd.DataFrame:
        """Supply årsverk by where they come from, by age band (:data:`AGE_BANDS`): ``year, group,
        age_band, source, value`` with ``source`` one of ``basisbestand`` (survivors of the
        base-year stock), ``utdannede`` and ``innvandrere`` (of the projection years; these three
        at the reference P, E and sick leave) and ``tiltak_tilbud`` (what the scenario's measures
        on P, E and sick leave add: where +1 year of exit age acts). Adds up to the projection's
        årsverk."""
        from ..model.decompose import supply_by_source

        draw = self._check_draw(draw)
        if "path" not in self.meta:
            raise ConfigError("supply_by_source(): this projection does not keep its paths")
        plan: Any = self.meta["plan"]
        cells = supply_by_source(self.inputs, self.meta["path"], plan)
        edges = [lo for lo, _ in AGE_BANDS] + [AGE_BANDS[-1][1] + 1]
        ages = np.asarray(self.inputs.ages)
        band_of = np.searchsorted(edges, ages, side="right") - 1
        names = [f"{lo}-{hi}" for lo, hi in AGE_BANDS]
        frames = []
        for source, cube in cells.items():
            by_age = cube[draw].sum(axis=2)  # (year, group, age)
            for b, name in enumerate(names):
                sel = band_of == b
                if not sel.any():
                    continue
                value = by_age[..., sel].sum(axis=-1)  # (year, group)
                frame = pd.DataFrame(
                    value, index=list(self.years), columns=list(self.inputs.groups)
                )
                long = frame.stack().rename("value").rename_axis(["year", "group"]).reset_index()
                frames.append(long.assign(age_band=name, source=source))
        out = pd.concat(frames, ignore_index=True)
        return out[["year", "group", "age_band", "source", "value"]]

    def by_age_band(self, variable: str = "arsverk", *, draw: int = 0) -> pd.DataFrame:
        """A view of the detail by age band (:data:`AGE_BANDS`): year × group × band."""
        if variable not in DETAIL_VARIABLES:
            raise ConfigError(
                f"by_age_band: variable must be one of {', '.join(DETAIL_VARIABLES)}, got "
                f"{variable!r}"
            )
        cells = self.detail(draw=draw)
        cells = cells[cells["variable"] == variable]
        edges = [lo for lo, _ in AGE_BANDS] + [AGE_BANDS[-1][1] + 1]
        names = [f"{lo}-{hi}" for lo, hi in AGE_BANDS]
        band = pd.cut(cells["age"], bins=edges, right=False, labels=names)
        return (
            cells.assign(age_band=band)
            .groupby(["year", "group", "age_band"], observed=True)["value"]
            .sum()
            .unstack("age_band")
        )

    def gap_table(
        self, years: Sequence[int] | None = None, *, draw: int = 0, labels: bool = True
    ) -> pd.DataFrame:
        """Groups × years in the publication's layout: its row order, a ``Sum`` row, negative =
        shortage. Index = display labels (or group ids with ``labels=False``). Unrounded.
        ``years`` default: :func:`default_years` (a note in ``attrs["note"]`` when they are not
        the publication's)."""
        labels = switch(labels, "gap_table: labels")
        note = None
        if years is None:
            years, note = default_years(self.years)
        years = check_years(years, self.years)
        draw = self._check_draw(draw)
        cols = [self.years.index(y) for y in years]
        gap = self.gap[draw][cols]  # (year, group)
        order = [g for g in dims.PUBLICATION_ORDER if g in self.inputs.groups] + [
            g for g in self.inputs.groups if g not in dims.PUBLICATION_ORDER
        ]
        rows = [gap[:, self.inputs.groups.index(g)] for g in order] + [gap.sum(axis=1)]
        names = [dims.group_label(g) if labels else g for g in order] + [dims.SUM_LABEL]
        table = pd.DataFrame(
            np.array(rows), index=pd.Index(names, name="group"), columns=list(years)
        )
        if note:
            table.attrs["note"] = note
        return table

    def detail(self, *, draw: int = 0) -> pd.DataFrame:
        """Long table ``year, group, sex, age, variable, value`` of every supply cell: stock,
        employed (N·P), årsverk and the flows of the year (persons). Needs a single-draw run
        with detail (the default of :func:`helsemodlite.project`)."""
        cells = self.supply_result.cells
        draw = self._check_draw(draw)
        if not cells:
            raise ConfigError(
                "this projection was run without detail (project(..., detail=False) and "
                "project_batch keep totals only); use helsemodlite.project(...) with its default "
                "detail=True"
            )
        inp = self.inputs
        idx = pd.MultiIndex.from_product(
            [inp.years, inp.groups, inp.sexes, inp.ages], names=["year", "group", "sex", "age"]
        ).to_frame(index=False)
        frames = []
        for var in DETAIL_VARIABLES:
            f = idx.copy()
            f["variable"] = var
            f["value"] = cells[var][draw].ravel()
            frames.append(f)
        return pd.concat(frames, ignore_index=True)

    def services(self, *, draw: int = 0) -> pd.DataFrame:
        """Demand by year, service area and staffing category (long: year, service, category,
        demand), with the calibrated demand trend and the demand-side measures; the base-year
        shortage is a group-level term and not in it."""
        draw = self._check_draw(draw)
        inp = self.inputs
        cats = list(inp.groups) + list(inp.outside)
        idx = pd.MultiIndex.from_product(
            [inp.years, inp.services, cats], names=["year", "service", "category"]
        )
        return pd.DataFrame({"demand": self.demand_cells[draw].ravel()}, index=idx).reset_index()

    # -- accounting checks ------------------------------------------------------------------------

    def check_accounting(self, tol: float = 1e-6) -> pd.DataFrame:
        """Rows where ``stock[t] = stock[t−1] + inflow − outflow`` fails (empty = fine).

        Checks every cell when detail was kept, the group totals otherwise.
        """
        if isinstance(tol, bool) or not isinstance(tol, int | float) or not tol >= 0:
            raise ConfigError(f"check_accounting: tol must be a number ≥ 0, got {tol!r}")
        if self.supply_result.cells:
            resid = stock_flow_residual(self.supply_result)
            bad = np.argwhere(
                np.abs(resid)
                > tol * np.maximum(1.0, np.abs(self.supply_result.cells["stock"][:, 1:]))
            )
            inp = self.inputs
            return pd.DataFrame(
                [
                    (
                        self.scenarios[d],
                        inp.years[y + 1],
                        inp.groups[g],
                        inp.sexes[s],
                        inp.ages[a],
                        resid[d, y, g, s, a],
                    )
                    for d, y, g, s, a in bad
                ],
                columns=["scenario", "year", "group", "sex", "age", "residual"],
            )
        resid = aggregate_residual(self.supply_result)
        bad = np.argwhere(np.abs(resid) > tol * np.maximum(1.0, self.supply_result.stock[:, 1:]))
        return pd.DataFrame(
            [
                (self.scenarios[d], self.years[y + 1], self.inputs.groups[g], resid[d, y, g])
                for d, y, g in bad
            ],
            columns=["scenario", "year", "group", "residual"],
        )
