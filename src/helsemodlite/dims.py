"""The shape of the model, declared once.

Every array in helsemodlite is indexed by some of the dimensions below, always in the order
they are listed here: ``(draw, year, group, sex, age)`` for personnel arrays and
``(draw, year, sex, pop_age)`` for population arrays (the leading ``draw`` axis is the scenario /
Monte Carlo axis and is omitted where an array has no such variation). Coordinates are plain
tuples so that they can be used as pandas categories and as numpy index positions alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

BASE_YEAR: Final = 2024
"""Base year of the embedded data set and of its build (personnel stocks, service use and
staffing observed for 2024). The runtime takes the base year and the horizon from the inputs
(``Inputs.years``: the years of the population files, base year first)."""

HORIZON: Final = 2050
"""Last year of the embedded data set (the published gap table stops at 2040)."""

YEARS: Final = tuple(range(BASE_YEAR, HORIZON + 1))
"""Years of the embedded data set; values refer to the 4th quarter (stocks) or the whole year
(årsverk)."""

YEAR_MIN: Final = 1900
YEAR_MAX: Final = 2200
"""Years any input file or scenario may name (a wider value is a typing error); whether a year
is in the projection is checked against the inputs."""

GAP_TABLE_YEARS: Final = (2025, 2030, 2035, 2040)

# The 14 education groups: canonical id -> display label as SSB publishes it.
GROUP_LABELS: Final = {
    "bioingenior": "Bioingeniør",
    "ergoterapeut": "Ergoterapeut",
    "fysioterapeut": "Fysioterapeut",
    "helsefagarbeider": "Helsefagarbeider",
    "helsesekretaer": "Helsesekretær (inkl. tannhelsesekretær)",
    "helsesykepleier": "Helsesykepleier",
    "jordmor": "Jordmor",
    "lege": "Lege",
    "psykolog": "Psykologer",
    "radiograf": "Radiograf",
    "sykepleier": "Sykepleier",
    "tannlege": "Tannlege",
    "tannpleier": "Tannpleier",
    "vernepleier": "Vernepleier",
}
GROUPS: Final = tuple(GROUP_LABELS)
"""Canonical group ids, alphabetical: the order of the ``group`` axis of every array."""

PUBLICATION_ORDER: Final = (
    "sykepleier",
    "helsefagarbeider",
    "vernepleier",
    "helsesekretaer",
    "bioingenior",
    "jordmor",
    "radiograf",
    "tannlege",
    "helsesykepleier",
    "fysioterapeut",
    "ergoterapeut",
    "psykolog",
    "tannpleier",
    "lege",
)
"""Row order of the gap table in Helsepersonellplan 2040."""


def in_publication_order(groups: Sequence[str]) -> list[str]:
    """``groups`` in the gap table's order, any group the publication does not have last."""
    known = [g for g in PUBLICATION_ORDER if g in groups]
    return known + [g for g in groups if g not in known]


# Personnel outside the 14 groups: demand only, no supply projection (as in Helsemod).
OUTSIDE_LABELS: Final = {
    "annen_helseutdanning": "Annen helseutdanning",
    "administrasjon_service": "Annen utdanning i administrasjon og service",
    "uten_relevant_helseutdanning": "Uten relevant helseutdanning",
}
OUTSIDE: Final = tuple(OUTSIDE_LABELS)
OUTSIDE_TARGET: Final = "utenfor"
"""Where a task shift sends work that leaves the modelled personnel altogether."""
SPECIALIST_SERVICES: Final = ("somatikk", "psykisk_helsevern", "tsb", "fodsel")
"""Service ids of the specialist health service in the default inputs (about 140 000 årsverk in
2024): the default scope of ``[tidstyver]`` and the specialist part of the demand build."""
CATEGORIES: Final = GROUPS + OUTSIDE
"""Staffing categories of the demand side: the 14 groups, then the three outside categories."""

SEXES: Final = ("F", "M")
"""Sex codes: F = kvinner (female), M = menn (male)."""

AGE_MIN: Final = 20
AGE_MAX: Final = 79
AGES: Final = tuple(range(AGE_MIN, AGE_MAX + 1))
"""Single years of age of the personnel stocks. Persons older than AGE_MAX leave the stock
(flow ``aged_out``); inflows younger than AGE_MIN are counted at AGE_MIN."""

POP_AGE_MAX: Final = 105
POP_AGES: Final = tuple(range(POP_AGE_MAX + 1))
"""Single years of age of the population, 0 … 105 where 105 means 105 or older."""

POPULATION_ALTERNATIVES: Final = ("MMMM", "HHMH", "LLML")
"""SSB's 2024-round national alternatives (fertility, life expectancy, internal migration,
immigration). MMMM is the main alternative and the reference."""
REFERENCE_POPULATION: Final = "MMMM"

SUM_LABEL: Final = "Sum"

AXES: Final = (
    "draw",
    "alternative",
    "year",
    "service",
    "category",
    "group",
    "sex",
    "age",
    "pop_age",
)
"""Every axis of the model, in the order in which an array that has several of them holds them.
``draw`` is the scenario / Monte Carlo axis (leading, where present); ``category`` is the
staffing category of the demand side (groups, then outside categories); ``age`` the personnel
ages and ``pop_age`` the population ages. A new axis (e.g. a health region, planned for a later
wave) is declared here, given coordinates by the inputs and summed over by the kernels; the
field declarations of :mod:`helsemodlite.model.inputs` name the axes of every array."""

ARSVERK_HOURS_PER_WEEK: Final = 37.5
"""One årsverk is 37.5 agreed hours a week."""


def group_label(group: str) -> str:
    """Display label of a group id, an outside category id, or ``Sum``."""
    if group in GROUP_LABELS:
        return GROUP_LABELS[group]
    if group in OUTSIDE_LABELS:
        return OUTSIDE_LABELS[group]
    return group
