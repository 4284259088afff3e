"""gap-table, run and report: project the reference or scenarios and print or write them."""

from __future__ import annotations

import argparse
import sys

from .common import (
    DEFAULT_YEAR_HELP,
    MODEL_NOTES,
    check_csv_options,
    csv_args,
    inputs_arg,
    scenarios_arg,
)
from .text import print_notes, printable, render_gap_table


def _cmd_gap_table(args: argparse.Namespace) -> int:
    from ..api import project

    check_csv_options(args, "--csv")
    years = tuple(args.years) if args.years else None
    proj = project(args.scenario, inputs=args.inputs, detail=False)
    table = proj.gap_table(years=years)
    print_notes([*proj.notes, *([table.attrs["note"]] if table.attrs.get("note") else [])])
    if args.csv:
        from ..io.outputs import gap_table_csv

        text = gap_table_csv(
            proj, years=tuple(table.columns), labels=args.labels, dialect=args.dialect
        )
        sys.stdout.write(text)
    else:
        name = proj.scenarios[0]
        title = (
            "Differanse mellom tilbud og etterspørsel, årsverk (negativt tall = underskudd). "
            f"Scenario: {name}. 14 utdanningsgrupper, avrundet til nærmeste 100."
        )
        print(render_gap_table(table, title))
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from ..api import run_scenarios

    runs = run_scenarios(
        args.scenarios,
        out=args.out,
        inputs=args.inputs,
        labels=args.labels,
        dialect=args.dialect,
    )
    for run in runs:
        print_notes(run.projection.notes)
        if not args.quiet:
            title = f"Scenario: {run.scenario.name} — {run.scenario.title}"
            print(printable(render_gap_table(run.projection.gap_table(), title)))
            print(printable(f"→ {run.target}/\n"))
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from ..api import resolve_inputs, write_report
    from ..io.tables import year_or_default

    years = resolve_inputs(args.inputs).years

    target = write_report(
        args.scenarios,
        args.out,
        inputs=args.inputs,
        draws=args.draws,
        seed=args.seed,
        year=year_or_default(args.year, years),
        horizon=year_or_default(args.horizon, years),
        svg=args.svg,
    )
    print(printable(f"→ {target}/report.html (med figurene som PNG og report.xlsx)"))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("gap-table", help="print the 2025–2040 gap table (reference or scenario)")
    p.add_argument(
        "--csv", action="store_true", help="CSV on stdout: group,2025,2030,2035,2040 (unrounded)"
    )
    p.add_argument(
        "--scenario",
        metavar="SCENARIO",
        default=None,
        help="scenario TOML file or the name of a shipped scenario (helsemodlite scenarios list)",
    )
    p.add_argument("--years", type=int, nargs="+", metavar="YEAR", help="columns to show")
    csv_args(p)
    inputs_arg(p)
    p.set_defaults(func=_cmd_gap_table, notes=MODEL_NOTES)
    p = sub.add_parser("run", help="run scenario files and write their outputs")
    scenarios_arg(p, "+")
    p.add_argument(
        "--out",
        metavar="DIR",
        default=None,
        help="output directory (default outputs/<scenario name>/; with several scenarios, "
        "DIR/<scenario name>/). Only a new or empty directory or a previous run's output "
        "directory is replaced.",
    )
    p.add_argument("--quiet", action="store_true", help="do not print the gap tables")
    csv_args(p)
    inputs_arg(p)
    p.set_defaults(func=_cmd_run, notes=MODEL_NOTES)
    p = sub.add_parser(
        "report",
        help="a report to hand on: report.html (one self-contained file), the charts as PNG "
        "and report.xlsx, for the reference and scenarios",
        description="Writes DIR/report.html (charts embedded, no network needed, in Norwegian: "
        "gap tables, charts, the scenarios' definitions, each measure's effect alone and "
        "combined, the inputs' provenance, the calibration fit and how to reproduce it), every "
        "chart as PNG, report.xlsx (one sheet per table) and run.json. With no scenario it "
        "reports the reference run (docs/report.md).",
    )
    scenarios_arg(p, "*")
    p.add_argument(
        "--out",
        metavar="DIR",
        required=True,
        help="report folder: a new or empty directory, or a previous report folder (replaced "
        "whole); never another directory",
    )
    p.add_argument(
        "--draws", type=int, default=500, help="Monte Carlo draws of the fan charts (0: none)"
    )
    p.add_argument("--seed", type=int, default=0, help="master seed of the draws (default 0)")
    p.add_argument(
        "--year", type=int, default=None, help=DEFAULT_YEAR_HELP.format("of waterfall, effects")
    )
    p.add_argument(
        "--horizon", type=int, default=None, help=DEFAULT_YEAR_HELP.format("ending the paths")
    )
    p.add_argument("--svg", action="store_true", help="also write every chart as SVG")
    inputs_arg(p)
    p.set_defaults(func=_cmd_report, notes=MODEL_NOTES)
