"""Norwegian labels and number formatting for charts, the HTML report and the workbook.

Numbers are årsverk written as in Norwegian print: thousands separated by a thin space (the
narrow no-break space U+202F, so a number never breaks across lines), a real minus sign
(U+2212) and a decimal comma. Group names are SSB's (:data:`helsemodlite.dims.GROUP_LABELS`).
"""

from __future__ import annotations

import math

from .. import dims, numformat
from ..io.tables import AGE_BANDS
from ..numformat import THIN

GAP_CONVENTION = (
    "Gap = tilbud − etterspørsel, årsverk. Negativt tall = underskudd, som i "
    "Helsepersonellplan 2040."
)

VARIABLE_LABELS = {"supply": "Tilbud", "demand": "Etterspørsel", "gap": "Gap"}
DEFINITE = {"supply": "tilbudet", "demand": "etterspørselen", "gap": "gapet"}
"""The variables in the definite form (``virkning på gapet``)."""

SCENARIO_LABELS = {
    "referanse": "Referansebane",
    "kombinert": "Alle tiltak samlet",
    "sum_enkelttiltak": "Sum av enkelttiltak",
}
"""Display names of the rows that helsemodlite adds itself."""

DRIVER_SHORT = {
    "basisår": "Gap i basisåret",
    "avgang": "Avgang",
    "utdannede": "Nyutdannede",
    "innvandrere": "Innvandrere",
    "tiltak_tilbud": "Tiltak, tilbud",
    "befolkning": "Befolkning og aldring",
    "friskere_aldring": "Friskere aldring",
    "standardvekst": "Standardvekst",
    "trend": "Kalibrert trend",
    "tiltak_etterspørsel": "Tiltak, etterspørsel",
}
"""Short labels of the drivers of :meth:`~helsemodlite.Projection.decompose` (chart axes)."""

AGE_BAND_LABELS = {f"{lo}-{hi}": f"{lo}–{hi} år" for lo, hi in AGE_BANDS}


def group_label(group: str) -> str:
    """SSB's label of a group id; ``Sum`` stays ``Sum``."""
    return dims.group_label(group)


def scenario_label(name: str, titles: dict[str, str] | None = None) -> str:
    """A scenario's display name: its title when known, else the name (``referanse``,
    ``kombinert`` and ``sum_enkelttiltak`` in words)."""
    if titles and name in titles:
        return titles[name]
    return SCENARIO_LABELS.get(name, name)


def number(value: float, decimals: int = 0) -> str:
    """A number in Norwegian print: ``-12345.6`` → ``−12 346`` (thin space, minus sign)."""
    if value is None or not math.isfinite(value):
        return "–"
    return numformat.number(value, decimals, sep=THIN)


def arsverk(value: float, step: int = 100) -> str:
    """Årsverk rounded to the nearest ``step`` (100 as in the publication), formatted."""
    if value is None or not math.isfinite(value):
        return "–"
    return number(round(value / step) * step)


def signed(value: float, step: int = 100) -> str:
    """Like :func:`arsverk` with an explicit plus sign for a positive change."""
    text = arsverk(value, step)
    rounded = round(value / step) * step if math.isfinite(value) else 0
    return f"+{text}" if rounded > 0 else text


def percent(share: float, decimals: int = 0) -> str:
    """A share (0.25) as ``25 %`` (with a thin space, as Norwegian print)."""
    return f"{number(100 * share, decimals)}{THIN}%"


def inputs_label(label: str) -> str:
    """The inputs directory as the report names it: the embedded data set in words (run.json
    keeps the machine-independent English record)."""
    if label.startswith("embedded default"):
        return "det innebygde standard-datasettet (helsemodlite inputs/)"
    return label


def method_label(method: str) -> str:
    """The calibration's method as the report names it (calibration.toml keeps the record)."""
    if method.startswith("scipy.optimize.least_squares"):
        return (
            "regularisert minste kvadraters metode (scipy.optimize.least_squares, trf; "
            "helsemodlite.data.calibrate)"
        )
    return method
