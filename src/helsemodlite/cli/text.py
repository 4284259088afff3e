"""How the commands print: the gap table, Norwegian numbers, wrapped text and notes that
any terminal can show."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from ..numformat import arsverk, plain


def format_arsverk(value: float) -> str:
    """Rounded to the nearest 100, thousands separated by a space and a hyphen-minus, as in the
    publication's tables."""
    return arsverk(value, minus="-")


def render_gap_table(table, title: str, header: str = "Utdanningsgruppe") -> str:  # type: ignore[no-untyped-def]
    """Plain-text gap table: row labels, rounded to nearest 100, Sum row last."""
    label_w = max(len(header), *(len(str(i)) for i in table.index))
    cols = [str(c) for c in table.columns]
    widths = [  # wide enough for the header and every formatted value of the column
        max(8, len(c), *(len(format_arsverk(v)) for v in table[col]))
        for c, col in zip(cols, table.columns, strict=True)
    ]
    lines = [title, ""]
    lines.append(
        header.ljust(label_w) + "".join(c.rjust(w + 2) for c, w in zip(cols, widths, strict=True))
    )
    lines.append("-" * (label_w + sum(w + 2 for w in widths)))
    for label, row in table.iterrows():
        if label == "Sum":
            lines.append("-" * (label_w + sum(w + 2 for w in widths)))
        cells = "".join(format_arsverk(v).rjust(w + 2) for v, w in zip(row, widths, strict=True))
        lines.append(str(label).ljust(label_w) + cells)
    return "\n".join(lines)


def progress(done: int, total: int) -> None:
    """A one-line progress count on a terminal; nothing when stderr is not a TTY."""
    if sys.stderr.isatty():
        end = "\n" if done >= total else ""
        print(f"\r  trekk {plain(done)}/{plain(total)}", end=end, file=sys.stderr)


def wrap(text: str, width: int = 100) -> str:
    """Text filled to ``width``, never breaking a number from its unit or its thousands, nor a
    label from its value ("80 %", "20 700", "Scenario: heltid_10")."""
    import re
    import textwrap

    keep = "\u00a0"  # textwrap breaks at ASCII whitespace only
    text = re.sub(r"(\d) (?=%|\d{3}\b)", rf"\1{keep}", text)
    text = re.sub(r"(Scenario:) (?=\S)", rf"\1{keep}", text)
    return textwrap.fill(text, width=width, break_on_hyphens=False).replace(keep, " ")


_CONTROL = {i: f"\\x{i:02x}" for i in (*range(32), 127)}
"""Control characters (from file names, say) shown as escapes in a one-line note."""


def print_notes(notes: Sequence[str]) -> None:
    for note in notes:
        print(printable(f"helsemodlite: note: {note}".translate(_CONTROL)), file=sys.stderr)


def printable(text: str) -> str:
    """Text that any terminal encoding can print: undecodable bytes of file names (lone
    surrogates) and unencodable characters shown as escapes instead of raising, on standard
    output and standard error alike (the escapes are ASCII, so both passes keep them)."""
    for stream in (sys.stdout, sys.stderr):
        encoding = getattr(stream, "encoding", None) or "utf-8"
        text = text.encode(encoding, "backslashreplace").decode(encoding, "replace")
    return text
