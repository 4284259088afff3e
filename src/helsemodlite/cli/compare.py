"""compare: the effects of scenarios against the reference, scenarios × years."""

from __future__ import annotations

import argparse
import sys

from .. import dims
from ..errors import ConfigError
from ..numformat import plain
from .common import MODEL_NOTES, all_groups, check_csv_options, csv_args, inputs_arg, scenarios_arg
from .text import format_arsverk, print_notes, printable, wrap

COMPARE_TITLES = {
    "gap": "Virkning på gapet (tilbud − etterspørsel) mot referansebanen, årsverk: scenario − "
    "referanse, positivt = mindre underskudd.",
    "supply": "Virkning på tilbudet mot referansebanen, årsverk: scenario − referanse.",
    "demand": "Virkning på etterspørselen mot referansebanen, årsverk: scenario − referanse "
    "(positivt = mer etterspørsel).",
}


def render_compare(table) -> str:  # type: ignore[no-untyped-def]
    """The table of :func:`helsemodlite.compare_table` as text: a row per scenario (per group
    and scenario when there are several groups), a column per year, rounded to the nearest 100;
    a line before ``kombinert``."""
    from ..scenarios.combine import COMBINED

    years = [c for c in table.columns if isinstance(c, int)]
    groups = list(dict.fromkeys(table["group"]))
    several = len(groups) > 1
    if several:
        who = f"{len(groups)} grupper"
    elif groups[0] == dims.SUM_LABEL:
        who = "Sum, 14 utdanningsgrupper"
    else:
        who = dims.group_label(groups[0])
    title = f"{COMPARE_TITLES[table.attrs['variable']]} {who}, avrundet til nærmeste 100."
    group_w = max(len("Utdanningsgruppe"), *(len(dims.group_label(g)) for g in groups))
    name_w = max(len("Scenario"), *(len(str(n)) for n in table["scenario"]))
    widths = [max(8, len(str(y)), *(len(format_arsverk(v)) for v in table[y])) + 2 for y in years]
    lead = group_w + 2 if several else 0
    rule = "-" * (lead + name_w + sum(widths))
    head = ("Utdanningsgruppe".ljust(group_w + 2) if several else "") + "Scenario".ljust(name_w)
    header = "".join(str(y).rjust(w) for y, w in zip(years, widths, strict=True))
    lines = [wrap(title), "", head + header]
    lines.append(rule)
    last_group = None
    values_of = table[years].to_numpy()
    for i, (group, name) in enumerate(zip(table["group"], table["scenario"], strict=True)):
        group, name = str(group), str(name)
        new_group = several and last_group is not None and group != last_group
        # a line between groups; with one row each, before the Sum only (as the gap table)
        if new_group and (len(table) > len(groups) or group == dims.SUM_LABEL):
            lines.append(rule)
        if name == COMBINED:
            lines.append(("".ljust(lead) + "-" * (name_w + sum(widths))) if several else rule)
        label = dims.group_label(group) if several and group != last_group else ""
        values = values_of[i]
        lines.append(
            (label.ljust(group_w + 2) if several else "")
            + name.ljust(name_w)
            + "".join(format_arsverk(v).rjust(w) for v, w in zip(values, widths, strict=True))
        )
        last_group = group
    return "\n".join(lines)


def _overlap_lines(table) -> list[str]:  # type: ignore[no-untyped-def]
    """kombinert − sum_enkelttiltak per group of the table (the overlap the plan warns about)."""
    from ..report.labels import DEFINITE
    from ..scenarios.combine import COMBINED, SUM_OF_SINGLES

    years = [c for c in table.columns if isinstance(c, int)]
    groups = list(dict.fromkeys(table["group"]))
    out = []
    for g in groups:
        rows = table[table["group"] == g].set_index("scenario")
        diff = rows.loc[COMBINED, years] - rows.loc[SUM_OF_SINGLES, years]
        where = f", {dims.group_label(g)}" if len(groups) > 1 else ""
        out.append(
            f"Overlapp (kombinert − sum av enkelttiltak), {DEFINITE[table.attrs['variable']]}"
            f"{where}: " + ", ".join(f"{y}: {plain(v)}" for y, v in diff.items())
        )
    return out


def _cmd_compare(args: argparse.Namespace) -> int:
    from ..api import compare, compare_table, write_compare
    from ..io.tables import to_csv_text, with_labels

    check_csv_options(args, "--csv", "--out")
    if args.groups and args.group:
        raise ConfigError("compare: give --group ID… or --groups (every group), not both")
    groups = all_groups(args.inputs) if args.groups else args.group
    years = tuple(args.years) if args.years else None
    if args.out is not None:
        done = write_compare(
            args.scenarios,
            args.out,
            combined=args.combined,
            years=years,
            groups=groups,
            variable=args.variable,
            labels=args.labels,
            dialect=args.dialect,
            inputs=args.inputs,
        )
        df, table = done.comparison, done.table
    else:
        df = compare(args.scenarios, combined=args.combined, inputs=args.inputs, years=years)
        table = compare_table(df, variable=args.variable, groups=groups)
    print_notes(df.attrs.get("notes", []))
    if args.csv:
        long = with_labels(df) if args.labels else df  # every group and variable, as always
        sys.stdout.write(to_csv_text(long, args.dialect))
    else:
        print(printable(render_compare(table)))
        if args.combined:
            print()
            for line in _overlap_lines(table):
                print(wrap(line))
    if args.out is not None:
        where = f"→ {done.target}/ (compare.csv, compare_long.csv, compare.xlsx, run.json)"
        print(printable(where), file=sys.stderr if args.csv else sys.stdout)
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "compare",
        help="effects of scenarios against the reference: one table, scenarios × years",
        description="Prints one table: a row per scenario (with --combined also kombinert, all "
        "of them in one projection, and sum_enkelttiltak, the sum of the single effects), a "
        "column per year, the change of --variable against the reference (scenario − "
        "reference, årsverk). --out DIR writes it as CSV and Excel (docs/scenarios.md, "
        '"Comparing scenarios").',
    )
    scenarios_arg(p, "+")
    p.add_argument(
        "--combined",
        action="store_true",
        help="also all scenarios together in one projection, beside the sum of the single effects",
    )
    p.add_argument(
        "--variable",
        choices=("supply", "demand", "gap"),
        default="gap",
        help="the change shown: supply (tilbud), demand (etterspørsel) or gap (default)",
    )
    p.add_argument(
        "--group",
        nargs="+",
        action="extend",
        metavar="ID",
        default=None,
        help="one or several groups, --group a b or --group a --group b (ids as in "
        "`helsemodlite gap-table --csv`, or Sum; default: Sum)",
    )
    p.add_argument(
        "--groups", action="store_true", help="every group and the Sum (the per-group breakdown)"
    )
    p.add_argument(
        "--years", type=int, nargs="+", metavar="YEAR", help="columns (default 2025 2030 2035 2040)"
    )
    p.add_argument(
        "--out",
        metavar="DIR",
        default=None,
        help="also write compare.csv, compare_long.csv, compare.xlsx and run.json there: a new "
        "or empty directory, or a previous compare folder (replaced whole)",
    )
    p.add_argument(
        "--csv",
        action="store_true",
        help="machine-readable long CSV on stdout (scenario, year, group, supply, demand, gap)",
    )
    csv_args(p)
    inputs_arg(p)
    p.set_defaults(func=_cmd_compare, notes=MODEL_NOTES)
