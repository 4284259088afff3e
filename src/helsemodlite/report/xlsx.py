"""The workbook ``report.xlsx``: one sheet per table, Norwegian headers, numbers as numbers.

Written with XlsxWriter (docs/report.md, "Why XlsxWriter"): write-only, no dependencies, and
the same content gives the same bytes (fixed timestamps inside the zip, a fixed creation date
here), like every other output of helsemodlite. Every sheet has one header row, frozen, with a
filter; årsverk are unrounded numbers shown with a thousands separator (Excel uses the
reader's locale: a space in Norwegian Excel), so they sum and chart as numbers.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from .._version import __version__

MAX_SHEET_NAME = 31
CREATED = datetime.datetime(2024, 1, 1)
"""A fixed creation date: the workbook is a function of its content (no timestamp)."""


@dataclass(frozen=True)
class Sheet:
    """One sheet: its name (at most 31 characters), a frame with Norwegian column names, and
    the number format of float columns (``#,##0`` whole årsverk by default)."""

    name: str
    frame: pd.DataFrame
    number_format: str = "#,##0"
    note: str = ""


def _width(frame: pd.DataFrame, col: str) -> float:
    if pd.api.types.is_float_dtype(frame[col]):
        return float(max(12, min(40, len(str(col)) + 2)))
    longest = max([len(str(col)), *(len(str(v)) for v in frame[col].head(500).tolist())])
    return float(min(60, max(8, longest + 2)))


def workbook(sheets: Sequence[Sheet], title: str = "helsemodlite") -> bytes:
    """The workbook's bytes. Float columns are written as numbers with ``number_format``,
    integer columns (years) as whole numbers, everything else as text."""
    import xlsxwriter

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "nan_inf_to_errors": True})
    book.set_properties(
        {
            "title": title,
            "author": f"helsemodlite {__version__}",
            "created": CREATED,
            "comments": "Skrevet av helsemodlite (helsemodlite report).",
        }
    )
    header = book.add_format({"bold": True, "bg_color": "#F2F5F9", "bottom": 1, "text_wrap": True})
    whole = book.add_format({"num_format": "0"})
    names: set[str] = set()
    for sheet in sheets:
        name = sheet.name[:MAX_SHEET_NAME]
        if name in names:
            raise ValueError(f"workbook: two sheets named {name!r}")
        names.add(name)
        ws = book.add_worksheet(name)
        frame = sheet.frame.reset_index(drop=True)
        number = book.add_format({"num_format": sheet.number_format})
        for j, col in enumerate(frame.columns):
            ws.write_string(0, j, str(col), header)
            series = frame[col]
            if pd.api.types.is_bool_dtype(series):
                fmt, kind = None, "bool"
            elif pd.api.types.is_integer_dtype(series):
                fmt, kind = whole, "number"
            elif pd.api.types.is_float_dtype(series):
                fmt, kind = number, "number"
            else:
                fmt, kind = None, "text"
            ws.set_column(j, j, _width(frame, col), fmt)
            for i, value in enumerate(series.tolist(), start=1):
                if value is None or value is pd.NA or (kind == "number" and value != value):
                    continue
                if kind == "number":
                    ws.write_number(i, j, float(value), fmt)
                elif kind == "bool":
                    ws.write_boolean(i, j, bool(value))
                else:
                    ws.write_string(i, j, str(value))
        ws.freeze_panes(1, 0)
        if len(frame.columns):
            ws.autofilter(0, 0, max(1, len(frame)), len(frame.columns) - 1)
    book.close()
    return buf.getvalue()
