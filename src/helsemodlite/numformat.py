"""Numbers in Norwegian print, one definition for every layer: thousands separated by a space
(``12 346``), a decimal comma (``36,2``), and a minus sign; a value that rounds to zero has no
sign, so never ``-0``.

Where a number is typeset — the report, the charts, the explorer — it has the minus sign
(U+2212, :func:`number`); the report's HTML separates thousands by a narrow no-break space
(``sep=THIN``), so a number is never broken over two lines. Text for the terminal and the
strings of the API keep the hyphen-minus of the gap table (:func:`plain`), so that a number
copied into a spreadsheet or a program still reads as negative.
"""

from __future__ import annotations

import math

MINUS = "\u2212"
"""The minus sign (U+2212), as Norwegian typesetting writes it."""
THIN = "\u202f"
"""A narrow no-break space, the report's thousands separator."""


def number(
    value: float, decimals: int = 0, *, sign: bool = False, sep: str = " ", minus: str = MINUS
) -> str:
    """``value`` with ``decimals`` places in Norwegian print: ``-12345.6`` → ``−12 346``;
    ``sign=True`` writes a plus before positive values (``+1 660``); not a number: "–"."""
    if not math.isfinite(value):
        return "–"
    text = f"{abs(float(value)):,.{decimals}f}".replace(",", "\0").replace(".", ",")
    text = text.replace("\0", sep)
    if text.strip("0,") == "" or value == 0:  # rounds to zero: no sign
        return text
    if value < 0:
        return minus + text
    return "+" + text if sign else text


def plain(value: float, decimals: int = 0, *, sign: bool = False) -> str:
    """:func:`number` with the hyphen-minus: for the terminal and the API's strings."""
    return number(value, decimals, sign=sign, minus="-")


def arsverk(value: float, step: int = 100, *, sep: str = " ", minus: str = MINUS) -> str:
    """Årsverk rounded to the nearest ``step`` (100 as in the publication), in Norwegian
    print."""
    if not math.isfinite(value):
        return "–"
    return number(round(float(value) / step) * step, sep=sep, minus=minus)
