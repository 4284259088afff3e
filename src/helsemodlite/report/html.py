"""The self-contained HTML report: one file, no network, no JavaScript.

A report is a list of :class:`Section` of blocks (paragraphs, charts, tables, facts,
preformatted text) that :mod:`helsemodlite.report.build` puts together; this module only turns
them into markup. Charts are embedded as base64 PNG (``data:`` URLs), the style sheet is
inline, links are plain text targets that load nothing, so the file reads the same offline,
from an e-mail attachment or printed to PDF.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

import pandas as pd

from .. import dims
from ..numformat import MINUS
from . import labels as lb


@dataclass(frozen=True)
class Para:
    text: str


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Chart:
    """A chart: its file name in the report folder, a caption and the PNG bytes."""

    file: str
    caption: str
    png: bytes
    alt: str = ""


@dataclass(frozen=True)
class Table:
    """A table of numbers: the index holds the row labels, the columns the headers. ``fmt``:
    ``arsverk`` (rounded to the nearest 100), ``signed`` (the same with a plus sign),
    ``number`` (whole numbers), ``percent`` (shares) or ``text``."""

    caption: str
    frame: pd.DataFrame
    fmt: str = "arsverk"
    header: str = ""
    note: str = ""


@dataclass(frozen=True)
class Facts:
    rows: Sequence[tuple[str, str]]


@dataclass(frozen=True)
class Pre:
    text: str
    caption: str = ""


@dataclass(frozen=True)
class Row:
    """Tables side by side (wrapping to the next line where the page is narrow)."""

    tables: Sequence[Table]


Block = Para | Heading | Chart | Table | Facts | Pre | Row


@dataclass
class Section:
    id: str
    heading: str
    blocks: list[Block] = field(default_factory=list)


STYLE = """
body { font-family: "DejaVu Sans", "Segoe UI", Arial, sans-serif; color: #1a1a1a;
       max-width: 1120px; margin: 2em auto; padding: 0 1.2em; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: .2em; }
h2 { font-size: 1.25em; border-bottom: 2px solid #1f6fb2; padding-bottom: .15em;
     margin-top: 2.2em; }
h3 { font-size: 1.05em; margin-top: 1.6em; }
p.lead { color: #444; margin-top: 0; }
nav ol { columns: 2; font-size: .95em; }
figure { margin: 1.2em 0; }
figure img { width: 100%; height: auto; border: 1px solid #e5e5e5; }
figcaption { font-size: .9em; color: #444; margin-top: .3em; }
table { border-collapse: collapse; margin: .8em 0 1.4em; font-size: .9em; }
div.row { display: flex; flex-wrap: wrap; gap: 0 2.2em; align-items: flex-start; }
div.row table { max-width: 520px; }
caption { text-align: left; font-weight: bold; padding-bottom: .4em; }
th, td { padding: .25em .7em; border-bottom: 1px solid #e2e2e2; }
th { background: #f2f5f9; text-align: left; vertical-align: bottom; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody th { font-weight: 600; }
th, td { vertical-align: top; }
table.text { width: 100%; font-size: .82em; }
table.text tbody th { overflow-wrap: anywhere; min-width: 13em; max-width: 19em;
                      font-weight: normal; }
td.neg { color: #a0281b; }
tr.sum td, tr.sum th { font-weight: bold; border-top: 2px solid #555; }
thead th.num { white-space: normal; max-width: 10em; }
td.text { max-width: 34em; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2em 1.2em; }
dt { font-weight: bold; }
dd { margin: 0; overflow-wrap: anywhere; }
pre { background: #f6f6f6; padding: .8em; overflow-x: auto; font-size: .85em;
      white-space: pre-wrap; }
p.note, .note { font-size: .88em; color: #555; }
@media print { body { max-width: none; } figure, table { break-inside: avoid; } }
"""


def _cell(value: object, fmt: str) -> tuple[str, str]:
    """(text, css class) of one table cell."""
    if isinstance(value, int | float) and not isinstance(value, bool) and fmt != "text":
        v = float(value)
        if not math.isfinite(v):
            return "–", "num"
        if fmt == "signed":
            text = lb.signed(v)
        elif fmt == "number":
            text = lb.number(v)
        elif fmt == "percent":
            text = lb.percent(v)
        else:
            text = lb.arsverk(v)
        neg = text.startswith(MINUS)
        return text, "num neg" if neg else "num"
    return ("" if value is None or value is pd.NA else str(value)), "text"


def _table(t: Table) -> str:
    cols = [str(c) for c in t.frame.columns]
    numeric = [pd.api.types.is_numeric_dtype(t.frame[c]) for c in t.frame.columns]
    head = "".join(
        f'<th class="{"num" if n else ""}">{escape(c)}</th>'
        for c, n in zip(cols, numeric, strict=True)
    )
    rows = []
    for label, row in t.frame.iterrows():
        cells = "".join(
            '<td class="{1}">{0}</td>'.format(*(escape(x) for x in _cell(v, t.fmt)))
            for v in row.tolist()
        )
        css = ' class="sum"' if str(label) in (dims.SUM_LABEL, "Sum, 14 grupper") else ""
        rows.append(f"<tr{css}><th>{escape(str(label))}</th>{cells}</tr>")
    note = f'<p class="note">{escape(t.note)}</p>' if t.note else ""
    return (
        f'<table class="{"text" if t.fmt == "text" else "numbers"}">'
        f"<caption>{escape(t.caption)}</caption>"
        f"<thead><tr><th>{escape(t.header)}</th>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>{note}"
    )


def _chart(c: Chart) -> str:
    data = base64.b64encode(c.png).decode("ascii")
    alt = escape(c.alt or c.caption)
    return (
        f'<figure id="fig-{escape(c.file)}"><img src="data:image/png;base64,{data}" '
        f'alt="{alt}"><figcaption>{escape(c.caption)} (Fil: {escape(c.file)})</figcaption>'
        "</figure>"
    )


def _block(b: Block) -> str:
    if isinstance(b, Para):
        return f"<p>{escape(b.text)}</p>"
    if isinstance(b, Heading):
        return f"<h3>{escape(b.text)}</h3>"
    if isinstance(b, Chart):
        return _chart(b)
    if isinstance(b, Table):
        return _table(b)
    if isinstance(b, Row):
        return '<div class="row">' + "".join(_table(t) for t in b.tables) + "</div>"
    if isinstance(b, Facts):
        items = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in b.rows)
        return f"<dl>{items}</dl>"
    cap = f'<p class="note">{escape(b.caption)}</p>' if b.caption else ""
    return f"{cap}<pre>{escape(b.text)}</pre>"


def render(title: str, lead: Sequence[str], sections: Sequence[Section]) -> str:
    """The whole report as one HTML document (UTF-8, no external resources)."""
    toc = "".join(f'<li><a href="#{escape(s.id)}">{escape(s.heading)}</a></li>' for s in sections)
    body = "".join(
        f'<section id="{escape(s.id)}"><h2>{escape(s.heading)}</h2>'
        + "".join(_block(b) for b in s.blocks)
        + "</section>"
        for s in sections
    )
    leads = "".join(f'<p class="lead">{escape(x)}</p>' for x in lead)
    return (
        '<!DOCTYPE html>\n<html lang="nb">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "img-src data:; style-src 'unsafe-inline'\">\n"
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"<header><h1>{escape(title)}</h1>{leads}</header>\n"
        f"<nav><h2>Innhold</h2><ol>{toc}</ol></nav>\n{body}\n</body>\n</html>\n"
    )
