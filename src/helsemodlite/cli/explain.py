"""explain: the gap of a year split into named drivers, and supply and demand by age band."""

from __future__ import annotations

import argparse

from .. import dims
from .common import DEFAULT_YEAR_HELP, MODEL_NOTES, inputs_arg
from .text import print_notes, printable, render_gap_table, wrap


def _cmd_explain(args: argparse.Namespace) -> int:
    from ..api import project
    from ..io.tables import year_or_default

    proj = project(args.scenario, inputs=args.inputs, detail=False)
    year = year_or_default(args.year, proj.years)
    print_notes(proj.notes)
    if args.group is not None:
        from ..io.tables import check_groups

        known = [*dims.in_publication_order(proj.inputs.groups), dims.SUM_LABEL]
        check_groups(args.group, known, what="explain --group")
    if args.by_age:
        return _explain_by_age(proj, args, year)
    parts = proj.decompose()
    if args.group is not None:
        parts = parts[parts.group.isin([args.group, dims.SUM_LABEL])]
    table = parts[parts.year == year].pivot(index="group", columns="driver", values="value")
    shown = set(parts.group)
    order = [dims.group_label(g) for g in dims.PUBLICATION_ORDER if g in shown]
    table.index = [dims.group_label(g) if g != dims.SUM_LABEL else g for g in table.index]
    table = table.loc[[*order, dims.SUM_LABEL], list(dict.fromkeys(parts.driver))]
    table["gap"] = table.sum(axis=1)
    labels = parts.drop_duplicates("driver").set_index("driver").label
    zero = [d for d in labels.index if table[d].abs().max() < 0.5]  # 0 in every group
    title = wrap(
        f"Gapet i {year} fordelt på drivere, årsverk (+ bedrer, − forverrer), avrundet til "
        f"nærmeste 100. Scenario: {proj.scenarios[0]}."
    )
    print(printable(render_gap_table(table.drop(columns=zero), title)))
    print()
    for driver, label in labels.items():
        if driver not in zero:
            print(printable(f"  {driver}: {label}"))
    if zero:
        print(printable(f"  Utelatt, 0 for alle grupper: {', '.join(zero)}."))
    return 0


SOURCE_LABELS = {
    "basisbestand": "Basisårets bestand",
    "utdannede": "Nyutdannede",
    "innvandrere": "Innvandrere",
    "tiltak_tilbud": "Tiltak",
}


def _by_band(frame, group: str, year: int, columns: str | None):  # type: ignore[no-untyped-def]
    """Rows of one group and year as an age band × source table with a Sum row (the Sum of the
    groups summed here where the frame has no Sum rows of its own)."""
    sub = frame[(frame.group == group) & (frame.year == year)]
    if sub.empty and group == dims.SUM_LABEL:
        keys = ["age_band"] + ([] if columns is None else [columns])
        sub = frame[frame.year == year].groupby(keys, sort=False, as_index=False)["value"].sum()
    if columns is None:
        table = sub.set_index("age_band")[["value"]]
    else:
        table = sub.pivot(index="age_band", columns=columns, values="value")
        table = table[list(dict.fromkeys(sub[columns]))].rename(columns=SOURCE_LABELS)
    table = table.loc[list(dict.fromkeys(sub.age_band))]
    table.loc[dims.SUM_LABEL] = table.sum(axis=0)
    return table


def _explain_by_age(proj, args: argparse.Namespace, year: int) -> int:  # type: ignore[no-untyped-def]
    """explain --by-age: supply by source and age band, a measure's supply effect by age band,
    and the population-driven demand growth by the users' age band (docs/model.md)."""
    from ..api import supply_effect_by_age

    group = args.group or dims.SUM_LABEL
    who = dims.group_label(group) if group != dims.SUM_LABEL else "14 utdanningsgrupper"
    base = proj.years[0]
    supply = _by_band(proj.supply_by_source(), group, year, "source")
    if args.scenario is None:
        supply = supply.drop(columns=SOURCE_LABELS["tiltak_tilbud"])
    supply["I alt"] = supply.sum(axis=1)
    blocks = [
        render_gap_table(
            supply,
            f"Tilbud {year} etter kilde og alder, årsverk ({who}; scenario: {proj.scenarios[0]}).",
            header="Alder",
        )
    ]
    if args.scenario is not None:
        effect = _by_band(
            supply_effect_by_age(args.scenario, inputs=args.inputs), group, year, "source"
        )
        effect["I alt"] = effect.sum(axis=1)
        blocks.append(
            render_gap_table(
                effect,
                f"Tiltakenes virkning på tilbudet {year} etter alder, årsverk (scenario − "
                "referanse): hvor virker tiltaket?",
                header="Alder",
            )
        )
    demand = _by_band(proj.demand_by_age(), group, year, None)
    demand.columns = [f"{base}–{year}"]
    blocks.append(
        render_gap_table(
            demand,
            f"Vekst i etterspørselen fra befolkningen {base}–{year} etter brukernes alder, "
            "årsverk (befolkningsvekst og aldring; fødsler: jordmortjenesten).",
            header="Alder",
        )
    )
    print("\n\n".join(blocks))
    print(
        "\nAvrundet til nærmeste 100. Summene er eksakte (docs/model.md, «Decomposition: what "
        "moves the gap»)."
    )
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "explain", help="the gap of a year split into named drivers that add up exactly"
    )
    p.add_argument("scenario", nargs="?", default=None, metavar="SCENARIO")
    p.add_argument("--year", type=int, default=None, help=DEFAULT_YEAR_HELP.format("to explain"))
    p.add_argument(
        "--by-age",
        action="store_true",
        help="supply by source and age band, the scenario's supply effect by age band, and "
        "demand growth by the users' age band",
    )
    p.add_argument("--group", default=None, metavar="GROUP", help="one group (default: Sum)")
    inputs_arg(p)
    p.set_defaults(func=_cmd_explain, notes=MODEL_NOTES)
