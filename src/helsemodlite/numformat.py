"""Numbers in Norwegian print, one definition for every layer: thousands separated by a space
(``12 346``), a decimal comma (``36,2``), and a minus sign; a value that rounds to zero has no
sign, so never ``-0``.

The plain-text tables keep the hyphen-minus of the publication's tables and of CSV-minded
readers (``minus="-"``); prose, the report and the explorer use the real minus sign. The
report's HTML separates thousands by a narrow no-break space (``sep=THIN``), so a number is
never broken over two lines.
"""

from __future__ import annotations

MINUS = "\u2212"
"""The minus sign (U+2212), as Norwegian typesetting writes it."""
THIN = "\u202f"
"""A narrow no-break space, the report's thousands separator."""


def number(
    value: float, decimals: int = 0, *, sign: bool = False, sep: str = " ", minus: str = MINUS
) -> str:
    """``value`` with ``decimals`` places in Norwegian print: ``-12345.6`` → ``−12 346``;
    ``sign=True`` writes a plus before positive values (``+1 660``)."""
    text = f"{abs(float(value)):,.{decimals}f}".replace(",", "\0").replace(".", ",")
    text = text.replace("\0", sep)
    if text.strip("0,") == "" or value == 0:  # rounds to zero: no sign
        return text
    if value < 0:
        return minus + text
    return "+" + text if sign else text


def arsverk(value: float, step: int = 100, *, sep: str = " ", minus: str = MINUS) -> str:
    """Årsverk rounded to the nearest ``step`` (100 as in the publication), in Norwegian
    print."""
    return number(round(float(value) / step) * step, sep=sep, minus=minus)
