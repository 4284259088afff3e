"""solve: what it takes to bring a group's gap to a target (one constant lever, or a costed
plan)."""

from __future__ import annotations

import argparse
from pathlib import Path

from .. import dims
from ..errors import ConfigError
from ..numformat import plain
from .common import MODEL_NOTES, inputs_arg
from .text import printable, render_gap_table, wrap


def _cmd_solve(args: argparse.Namespace) -> int:
    from ..api import solve
    from ..io.outputs import check_parents

    out = Path(args.out) if args.out else None
    if out is not None and (out.exists() or out.is_symlink()):
        what = "is a directory" if out.is_dir() else "exists (a file is never overwritten)"
        raise ConfigError(f"--out {out}: {what}; give a new file name, e.g. --out losning.toml")
    if out is not None:
        try:
            check_parents(out)
        except OSError as exc:
            raise ConfigError(f"--out {out}: cannot use this path ({exc.strerror or exc})") from exc
    groups = list(dict.fromkeys(args.group or ["sykepleier"]))
    levers = args.lever or ["graduates"]
    if args.cost is not None or len(levers) > 1:
        return _solve_costed(args, groups, levers, out)
    stray = [
        o for o, v in (("--max-step", args.max_step), ("--until", args.until)) if v is not None
    ]
    if stray:
        raise ConfigError(
            f"solve: {' and '.join(stray)} belong to the costed plan; add --cost LEVER=X, or "
            "leave them out"
        )
    from ..inverse import Solution

    sol = solve(levers[0], groups, args.year, args.target, args.start_year, inputs=args.inputs)
    assert isinstance(sol, Solution)
    _write_solved(out, sol.scenario)
    start = args.start_year or sol.gaps.index[1]
    target = plain(args.target)
    print(
        f"Hva som skal til for at gapet i {args.year} blir {target} årsverk: én fast endring "
        f"fra {start}, holdt hvert år ut perioden."
    )
    for g in groups:
        cut = " (gruppen har overskudd: målet nås med mindre)" if sol.values[g] < 0 else ""
        print(f"  {dims.group_label(g)}: {sol.describe(g)}{cut}")
    shown = [y for y in (2025, 2030, 2035, 2040) if y in sol.gaps.index]
    if sol.target_year not in shown:
        shown = sorted({*shown, sol.target_year})
    table = _gap_rows(sol, groups, shown)
    print()
    print(printable(render_gap_table(table, "Gap, årsverk: referanse og løst", header="")))
    if out is not None:
        print(printable(f"→ {out}"))
    return 0


def _write_solved(out: Path | None, scenario) -> None:  # type: ignore[no-untyped-def]
    """The solved scenario as TOML, before anything is printed: a closed pipe on the
    printing (``solve ... --out plan.toml | head``) never loses the file."""
    from ..io.atomic import write_new_file

    if out is None:
        return
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_new_file(out, scenario.to_toml().encode("utf-8"))
    except FileExistsError:
        raise ConfigError(f"--out {out}: exists; give a new file name") from None
    except OSError as exc:
        raise ConfigError(f"--out {out}: cannot write there ({exc.strerror or exc})") from exc


def _parse_costs(items: list[str] | None, levers: list[str]) -> dict[str, float]:
    if not items:
        raise ConfigError(
            f"solve: several levers ({', '.join(levers)}) need a relative cost each: "
            "--cost graduates=1 --cost immigrants=1.5"
        )
    costs: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if name.strip() in costs:
            raise ConfigError(f"--cost {name.strip()} is given twice; give each lever one cost")
        try:
            costs[name.strip()] = float(value)
        except ValueError:
            raise ConfigError(
                f"--cost {item!r}: expected LEVER=NUMBER, e.g. --cost graduates=1"
            ) from None
        if not sep:
            raise ConfigError(f"--cost {item!r}: expected LEVER=NUMBER, e.g. --cost graduates=1")
    return costs


PLAN_UNITS = {
    "graduates": "personer",
    "immigrants": "personer",
    "study_places": "studieplasser",
    "stillingsprosent": "%",
    "avgangsalder": "år",
}


def _solve_costed(args: argparse.Namespace, groups: list[str], levers: list[str], out) -> int:  # type: ignore[no-untyped-def]
    import pandas as pd

    from ..api import solve
    from ..inverse import LEVERS, CostedSolution

    costs = _parse_costs(args.cost, levers)
    step = 0.05 if args.max_step is None else None if args.max_step == 0 else args.max_step
    sol = solve(
        levers,
        groups,
        args.year,
        args.target,
        args.start_year,
        inputs=args.inputs,
        costs=costs,
        max_step=step,
        until=args.until,
    )
    assert isinstance(sol, CostedSolution)
    _write_solved(out, sol.scenario)
    target = plain(args.target)
    bound = "ingen grense" if step is None else f"{plain(step * 100, 1)} prosentpoeng"
    print(
        wrap(
            f"Billigste plan: gapet minst {target} årsverk "
            + (
                f"i {sol.until}"
                if sol.target_year == sol.until
                else f"hvert år {sol.target_year}–{sol.until}"
            )
            + ", "
            f"endring fra {sol.start_year}; største endring av en tilgang fra ett år til det "
            f"neste: {bound}. Relative kostnader: "
            + ", ".join(f"{LEVERS[k].label} {plain(v, 2)}" for k, v in sol.costs.items())
            + "."
        )
    )
    years = [y for y in sol.gaps.index if sol.start_year <= y <= sol.until]
    for g in groups:
        print()
        print(f"{dims.group_label(g)}:")
        for line in sol.describe(g):
            print(f"  {line}")
        rows = sol.plan[sol.plan.group == g]
        table = rows.pivot_table(index="lever", columns="year", values="amount", sort=False)
        table.index = [
            LEVERS[lv].label
            if LEVERS[lv].label == PLAN_UNITS[lv]
            else f"{LEVERS[lv].label} ({PLAN_UNITS[lv]})"
            for lv in table.index
        ]
        gaps = pd.DataFrame(
            [sol.reference.loc[years, g].to_numpy(), sol.gaps.loc[years, g].to_numpy()],
            index=["Gap, referanse", "Gap, med planen"],
            columns=years,
        )
        both = pd.concat([table[years], gaps]).T  # years as rows: narrow on any terminal
        both.index = [str(y) for y in years]
        text = both.round(0).to_string(float_format=plain)
        print(printable(text))
    if out is not None:
        print(printable(f"→ {out}"))
    return 0


def _gap_rows(sol, groups: list[str], years: list[int]):  # type: ignore[no-untyped-def]
    """Per group a row of the reference gap and one of the solved gap, a column per year."""
    import pandas as pd

    rows = {}
    for g in groups:
        label = dims.group_label(g)
        rows[f"{label}, referanse"] = sol.reference.loc[years, g].to_numpy()
        rows[f"{label}, løst"] = sol.gaps.loc[years, g].to_numpy()
    return pd.DataFrame(rows, index=[str(y) for y in years]).T


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "solve",
        help="what it takes: the constant lever value from a start year that brings a group's "
        "gap to a target",
        description="Solves, per group, the one constant value of a lever (graduates, "
        "immigrants, stillingsprosent, avgangsalder, study_places) from --start-year on at "
        "which the group's gap in --year equals --target; with --cost LEVER=X (one or several "
        "levers), the cheapest year-by-year plan that keeps the gap at least --target every "
        "year from --year to --until (docs/solve.md). Prints it with the gap path; --out "
        "writes it as a scenario file that reproduces it exactly.",
    )
    p.add_argument(
        "--lever",
        action="append",
        choices=("graduates", "immigrants", "stillingsprosent", "avgangsalder", "study_places"),
        help="the lever (default graduates); repeat with --cost for a costed plan",
    )
    p.add_argument(
        "--cost",
        action="append",
        metavar="LEVER=COST",
        help="relative cost of a lever (repeat): a costed plan, year by year, that keeps the gap "
        "at least --target every year from --year to --until (docs/solve.md)",
    )
    p.add_argument(
        "--max-step",
        type=float,
        default=None,
        help="costed plan: largest change of an inflow lever from one year to the next "
        "(default 0.05 = 5 percentage points; 0 = no bound)",
    )
    p.add_argument("--until", type=int, default=None, help="costed plan: last year (default 2040)")
    p.add_argument("--group", action="append", metavar="GROUP", help="a group (repeat for several)")
    p.add_argument("--year", type=int, default=2035, help="target year (default 2035)")
    p.add_argument("--target", type=float, default=0.0, help="target gap, årsverk (default 0)")
    p.add_argument("--start-year", type=int, default=None, help="first year of the change")
    p.add_argument("--out", default=None, metavar="FILE", help="write the scenario as TOML")
    inputs_arg(p)
    p.set_defaults(func=_cmd_solve, notes=MODEL_NOTES)
