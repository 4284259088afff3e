"""The StatBank tables the build can refresh: what each feeds, the structure the build expects,
the query, and the conversion of the answer to the build's source file (docs/data.md).

A table is checked against its declaration before any data is fetched: the dimension ids must
be the expected ones, and every code the query needs must exist (for single ages, exactly the
expected set). A table that changed is refused with what changed; the build's files are then
left as they were.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ... import dims
from ...errors import InputError
from ...numformat import number
from .jsonstat import Dataset

AGES_07459 = tuple(f"{a:03d}" for a in range(105)) + ("105+",)


@dataclass(frozen=True)
class Table:
    id: str
    title: str
    feeds: str
    """What the table feeds in the build (docs/data.md)."""
    role: str
    """The catalogue role of the converted file (inputs/sources.toml)."""
    dimensions: tuple[str, ...]
    fixed: dict[str, tuple[str, ...]]
    """Codes selected as they are (each must exist)."""
    exact: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Dimensions selected whole, whose codes must be exactly these."""
    time: str = "Tid"
    first_period: str = ""
    """The first period fetched (all from it on)."""
    cycle_days: int = 400
    """Longer than the usual update cycle: a table not updated for longer gets a warning."""
    used_by_build: bool = True
    convert: Callable[[pd.DataFrame, Dataset], tuple[str, str]] | None = None
    """(file name, CSV text) of the build's source file from the tidy cells."""
    catalogue: dict[str, str] = field(default_factory=dict)

    whole_numbers: bool = False
    """Counts: every value a whole number (the CSV reader refuses ``28.000`` outright)."""
    reference_day: str = ""
    """The day of the year a period stands for (``01-01`` for 1 January), for the catalogue."""

    def reference_date(self, years: str) -> str:
        """The catalogue's ``reference_date`` of the fetched periods ("2024-01-01, …")."""
        if not self.reference_day:
            return years
        return ", ".join(f"{y.strip()}-{self.reference_day}" for y in years.split(","))

    def selection(self, meta: Dataset) -> dict[str, list[str]]:
        sel: dict[str, list[str]] = {d: list(c) for d, c in self.fixed.items()}
        sel.update({d: list(c) for d, c in self.exact.items()})
        sel[self.time] = [t for t in meta.codes[self.time] if t >= self.first_period]
        return {d: sel[d] for d in meta.ids}


def _period_problems(table: Table, meta: Dataset, where: str) -> list[str]:
    """Periods are years; the base year is there for a table the build uses."""
    problems: list[str] = []
    periods: tuple[str, ...] = tuple(meta.codes.get(table.time, ()))
    odd = [t for t in periods if not re.fullmatch(r"\d{4}", t)]
    if odd:
        problems.append(
            f"{where}: {table.time} codes must be years (four digits), got "
            f"{', '.join(map(repr, odd[:3]))}"
        )
    elif table.time in meta.codes and table.used_by_build and table.first_period not in periods:
        problems.append(f"{where}: no period {table.first_period} (the base year)")
    elif table.time in meta.codes and not any(t >= table.first_period for t in periods):
        problems.append(f"{where}: no period from {table.first_period} on")
    return problems


def check_structure(table: Table, meta: Dataset, where: str) -> None:
    """Refuse a table whose dimensions or codes differ from what the build expects."""
    problems = []
    if meta.ids != table.dimensions:
        missing = [d for d in table.dimensions if d not in meta.ids]
        extra = [d for d in meta.ids if d not in table.dimensions]
        what = []
        if missing:
            what.append(f"missing {', '.join(missing)}")
        if extra:
            what.append(f"new {', '.join(extra)}")
        if not what:
            what.append(f"order {', '.join(meta.ids)}")
        problems.append(
            f"{where}: the dimensions changed ({'; '.join(what)}); the build expects "
            f"{', '.join(table.dimensions)}"
        )
    for d, codes in table.fixed.items():
        absent = [c for c in codes if c not in meta.codes.get(d, ())]
        if d in meta.codes and absent:
            problems.append(f"{where}: {d} has no code(s) {', '.join(absent)}")
    for d, codes in table.exact.items():
        got = meta.codes.get(d)
        if got is not None and tuple(got) != codes:
            gone = [c for c in codes if c not in got][:5]
            new = [c for c in got if c not in codes][:5]
            problems.append(
                f"{where}: the codes of {d} changed (no longer: {', '.join(gone) or '-'}; new: "
                f"{', '.join(new) or '-'}; or a new order)"
            )
    problems += _period_problems(table, meta, where)
    if problems:
        raise InputError(problems, title=f"StatBank table {table.id} changed")


def _counts(cells: pd.DataFrame, table: str, most: float) -> None:
    """Persons: whole numbers from 0 to ``most``."""
    v = cells["value"].to_numpy(dtype=float)
    bad = ~np.isfinite(v) | (v < 0) | (v > most) | (v != np.round(v))
    if bad.any():
        first = cells[bad].iloc[0]
        where = ", ".join(f"{c}={first[c]}" for c in cells.columns if c not in ("value", "status"))
        raise InputError(
            f"StatBank table {table}: {int(bad.sum())} cell(s) are not a count of persons "
            f"(whole numbers 0-{number(most)}; first: {where} = {first['value']!r})"
        )


def _convert_07459(cells: pd.DataFrame, ds: Dataset) -> tuple[str, str]:
    """The build's population_base file: age, female_YYYY, male_YYYY (105 = 105 or older)."""
    _refuse_missing(cells, "07459")
    _counts(cells, "07459", 1e6)
    years = sorted(cells["Tid"].unique())
    sex = {"2": "female", "1": "male"}
    age = cells["Alder"].map(lambda a: 105 if a == "105+" else int(a))
    wide = (
        cells.assign(age=age, col=cells["Kjonn"].map(sex) + "_" + cells["Tid"])
        .pivot_table(index="age", columns="col", values="value", aggfunc="sum")
        .reindex(list(dims.POP_AGES))
    )
    cols = [f"{sex[k]}_{y}" for y in years for k in ("2", "1")]
    wide = wide[cols]
    totals = ", ".join(
        f"{y} = {number(wide[[f'female_{y}', f'male_{y}']].to_numpy().sum())}" for y in years
    )
    lines = [
        "# Statistics Norway (SSB) table 07459: population of Norway on 1 January, by sex and "
        "single year of age (105 = 105 or older).",
        f"# https://www.ssb.no/statbank/table/07459 . Totals: {totals}.",
        "age," + ",".join(cols),
    ]
    for a, row in wide.iterrows():
        lines.append(f"{a}," + ",".join(str(int(round(v))) for v in row.to_numpy()))
    name = f"population_norway_1jan_{years[0]}_{years[-1]}_single_age_sex.csv"
    return name, "\n".join(lines) + "\n"


def _convert_07902(cells: pd.DataFrame, ds: Dataset) -> tuple[str, str]:
    """A tidy life table: sex, age, year, death probability (per 1 000) and life expectancy."""
    _refuse_missing(cells, "07902")
    sex = {"1": "M", "2": "F"}
    wide = cells.assign(sex=cells["Kjonn"].map(sex), age=cells["AlderX"].astype(int)).pivot_table(
        index=["sex", "age", "Tid"], columns="ContentsCode", values="value", aggfunc="sum"
    )
    wide = (
        wide.rename(
            columns={
                "Dodssannsynlighet": "death_probability_per_1000",
                "ForvGjenLevetid": "life_expectancy",
            }
        )
        .reset_index()
        .rename(columns={"Tid": "year"})
    )
    years = sorted(cells["Tid"].unique())
    head = (
        "# Statistics Norway (SSB) table 07902: life tables, by sex and single year of age "
        f"({years[0]}-{years[-1]}). Fetched by `helsemodlite inputs update`; not used by the "
        "build yet (mortality comes from UN WPP 2024, docs/data.md).\n"
    )
    body = wide[["sex", "age", "year", "death_probability_per_1000", "life_expectancy"]]
    return f"ssb_07902_life_tables_{years[0]}_{years[-1]}.csv", head + body.to_csv(
        index=False, lineterminator="\n"
    )


def _refuse_missing(cells: pd.DataFrame, table: str) -> None:
    bad = cells[~np.isfinite(cells["value"].to_numpy(dtype=float))]
    if len(bad):
        first = bad.iloc[0]
        where = ", ".join(f"{c}={first[c]}" for c in cells.columns if c not in ("value", "status"))
        raise InputError(
            f"StatBank table {table}: {len(bad)} cell(s) have no value (first: {where}, "
            f"status {first['status']!r}); the build needs every cell"
        )


TABLES: dict[str, Table] = {
    "07459": Table(
        id="07459",
        title="Befolkning, etter region, kjønn, alder og år (1. januar)",
        feeds="the base population by sex and single age (population_base): the projection's "
        "start (2024) and the checks of the population module (later years)",
        role="population_base",
        dimensions=("Region", "Kjonn", "Alder", "ContentsCode", "Tid"),
        fixed={"Region": ("0",), "Kjonn": ("1", "2"), "ContentsCode": ("Personer1",)},
        exact={"Alder": AGES_07459},
        first_period=str(dims.BASE_YEAR),
        cycle_days=400,
        convert=_convert_07459,
        whole_numbers=True,
        reference_day="01-01",
        catalogue={
            "publisher": "Statistics Norway (SSB)",
            "title": "Population, by sex and single year of age, 1 January",
            "url": "https://www.ssb.no/statbank/table/07459",
            "unit": "persons",
        },
    ),
    "07902": Table(
        id="07902",
        title="Dødelighetstabeller, etter kjønn og alder",
        feeds="nothing yet: stored beside the sources for a later mortality build (the build's "
        "mortality is UN WPP 2024)",
        role="ssb_life_tables",
        dimensions=("Kjonn", "AlderX", "ContentsCode", "Tid"),
        fixed={"Kjonn": ("1", "2"), "ContentsCode": ("Dodssannsynlighet", "ForvGjenLevetid")},
        exact={"AlderX": tuple(f"{a:03d}" for a in range(107))},
        first_period="2019",
        cycle_days=400,
        used_by_build=False,
        convert=_convert_07902,
        catalogue={
            "publisher": "Statistics Norway (SSB)",
            "title": "Life tables, by sex and single year of age",
            "url": "https://www.ssb.no/statbank/table/07902",
            "unit": "per 1 000 / years",
        },
    ),
}
"""The tables ``inputs update`` and ``inputs import`` handle."""

NOT_YET: dict[str, str] = {
    "13599": "the national projection by sex, single age and alternative: its dimension and "
    "alternative codes could not be confirmed offline, and the build uses national totals "
    "only (14288)",
    "14288": "the projection's national totals: the build's file is a typed extract of the "
    "published table; its StatBank structure could not be confirmed offline",
    "12441": "sick leave by industry: the build uses KS's quarterly municipal figures "
    "(assumptions/supply.toml [sick_leave]); the table's codes could not be confirmed offline",
    "13953": "agreed årsverk in the specialist health service by occupation: the build uses the "
    "published key figures (sources/ssb_specialist_health_key_figures_2021_2022.csv); the "
    "table's codes could not be confirmed offline",
}
"""Tables the issue names that ``update`` does not fetch yet, and why."""


def table(table_id: str) -> Table:
    if table_id in TABLES:
        return TABLES[table_id]
    if table_id in NOT_YET:
        raise InputError(f"StatBank table {table_id}: not supported yet - {NOT_YET[table_id]}")
    raise InputError(
        f"StatBank table {table_id}: not a table the build uses (supported: {', '.join(TABLES)})"
    )
