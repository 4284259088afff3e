"""The files of ``helsemodlite compare --out DIR``: the table as CSV, every number as long CSV,
both in a workbook, and run.json (docs/scenarios.md, "Comparing scenarios").

``compare.csv`` is the table the command prints, unrounded: ``group, scenario, variable,
<years…>, is_total`` (``is_total`` marks the ``Sum`` rows, so summing the other rows never
double-counts).
``compare_long.csv`` is the frame of :func:`helsemodlite.compare` for the same years (every
group, supply, demand and gap), as ``compare --csv`` prints it, with ``is_total``. With
``labels`` both carry SSB's group label and the unit; ``dialect`` is one of
:data:`~helsemodlite.io.tables.CSV_DIALECTS`. ``compare.xlsx`` holds the same two tables with
Norwegian headers, numbers as numbers, and a sheet saying how it was made.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from .. import dims
from ..io.outputs import _utf8
from ..io.tables import mark_totals, to_csv_text, with_labels
from . import labels as lb
from .xlsx import Sheet, workbook

TABLE_SHEET = "Virkning"
LONG_SHEET = "Alle tall"
RECORD_SHEET = "Grunnlag"
SUM_COLUMN = "Sumrad (ikke summer med gruppene)"
"""The Sum marker's header, as in report.xlsx."""


def _year_columns(table: pd.DataFrame) -> list[Any]:
    return [c for c in table.columns if isinstance(c, int)]


def table_sheet(table: pd.DataFrame) -> pd.DataFrame:
    """The table with Norwegian headers: scenario, group label, a column per year, Sumrad."""
    years = _year_columns(table)
    out = pd.DataFrame(
        {
            "Utdanningsgruppe": [lb.group_label(str(g)) for g in table["group"]],
            "Gruppe-id": table["group"].astype(str),
            "Scenario": table["scenario"].astype(str),
        }
    )
    for y in years:
        out[str(y)] = table[y].astype(float)
    out[SUM_COLUMN] = table["is_total"].astype(bool)
    return out


def long_sheet(comparison: pd.DataFrame) -> pd.DataFrame:
    """Every number of the comparison with Norwegian headers."""
    return pd.DataFrame(
        {
            "Scenario": comparison["scenario"].astype(str),
            "År": comparison["year"].astype("int64"),
            "Gruppe-id": comparison["group"].astype(str),
            "Utdanningsgruppe": [lb.group_label(str(g)) for g in comparison["group"]],
            SUM_COLUMN: (comparison["group"] == dims.SUM_LABEL).astype(bool),
            "Endring i tilbud (årsverk)": comparison["supply"].astype(float),
            "Endring i etterspørsel (årsverk)": comparison["demand"].astype(float),
            "Endring i gap (årsverk)": comparison["gap"].astype(float),
        }
    )


def record_sheet(record: dict[str, Any]) -> pd.DataFrame:
    variable = str(record["variable"])
    rows = [
        ("Program", f"helsemodlite {record['helsemodlite_version']}"),
        ("Kommando", str(record.get("command", ""))),
        ("Tabellen viser", f"Endring i {lb.DEFINITE[variable]} mot referansebanen, årsverk"),
        ("Grupper", ", ".join(lb.group_label(g) for g in record["groups"])),
        ("År", ", ".join(str(y) for y in record["years"])),
        ("Kombinert", "ja" if record["combined"] else "nei"),
        ("Inputs", str(record["inputs_directory"])),
        *((f"Scenario: {s['name']}", str(s.get("title", ""))) for s in record["scenarios"]),
        *((f"Merknad {i}", n) for i, n in enumerate(record["notes"], start=1)),
        *((f"Bibliotek: {k}", v) for k, v in record["environment"].items()),
        *((f"SHA-256: {f}", h) for f, h in record["input_files_sha256"].items()),
        ("Fortegn", lb.GAP_CONVENTION),
        ("Sumrad", "Sum = de 14 utdanningsgruppene; summer bare radene som ikke er Sumrad."),
    ]
    return pd.DataFrame({"Felt": [k for k, _ in rows], "Verdi": [v for _, v in rows]})


def compare_files(
    comparison: pd.DataFrame,
    table: pd.DataFrame,
    record: dict[str, Any],
    *,
    labels: bool = False,
    dialect: str = "standard",
) -> dict[str, bytes]:
    """The four files of ``compare --out``, as bytes (``record``: run.json without
    ``outputs``)."""
    years = _year_columns(table)
    flat = table.rename(columns={y: str(y) for y in years})
    flat.insert(2, "variable", str(record["variable"]))
    long = comparison.reset_index(drop=True)
    csv_table = with_labels(flat) if labels else mark_totals(flat)
    csv_long = with_labels(long) if labels else mark_totals(long)
    files = {
        "compare.csv": _utf8(to_csv_text(csv_table, dialect)),
        "compare_long.csv": _utf8(to_csv_text(csv_long, dialect)),
        "compare.xlsx": workbook(
            [
                Sheet(TABLE_SHEET, table_sheet(table)),
                Sheet(LONG_SHEET, long_sheet(long)),
                Sheet(RECORD_SHEET, record_sheet(record)),
            ],
            title="helsemodlite compare",
        ),
    }
    full = {**record, "outputs": sorted([*files, "run.json"])}
    files["run.json"] = _utf8(json.dumps(full, ensure_ascii=False, indent=2) + "\n")
    return files
