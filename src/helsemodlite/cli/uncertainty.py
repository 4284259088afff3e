"""uncertainty: Monte Carlo quantiles, the chance of a shortage, what drives the spread."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from .. import dims
from ..errors import ConfigError
from ..numformat import plain
from .common import DEFAULT_YEAR_HELP, MODEL_NOTES, inputs_arg, scenarios_arg
from .text import print_notes, printable, progress, render_gap_table, wrap


def _quantile_rows(frame, variable: str):  # type: ignore[no-untyped-def]
    cols = ["q05", "q25", "q50", "q75", "q95"]
    sub = frame[frame.variable == variable]
    table = sub.set_index(["year", "group"])[cols]
    table.columns = ["5 %", "25 %", "median", "75 %", "95 %"]
    return table


def _cmd_uncertainty(args: argparse.Namespace) -> int:
    from ..api import as_scenario, resolve_inputs, simulate
    from ..io.outputs import write_many
    from ..io.tables import year_or_default

    inp = resolve_inputs(args.inputs)
    year = year_or_default(args.year, inp.years)
    scenarios = [None] if not args.scenarios else [as_scenario(s) for s in args.scenarios]
    names = ["referanse" if s is None else s.name for s in scenarios]
    if len(set(names)) < len(names):
        raise ConfigError(
            f"uncertainty: a scenario name appears twice ({', '.join(names)}); each writes "
            '--out DIR/<name>/: give each file its own `name = "..."`'
        )
    from ..api import project, uncertainty_spec
    from ..scenarios.compile import scenario_paths

    for sc in scenarios:  # every scenario and the widths checked before anything runs
        if sc is not None:
            scenario_paths(inp, [sc])
            # the central projection's notes (draw 0 is the scenario itself), e.g. moves by
            # further education limited to the persons in a cell; draws beyond it alike
            print_notes(project(sc, inputs=inp, detail=False).notes)
    spec = uncertainty_spec(inp, args.spec)
    targets = []
    if args.out is not None:
        one = len(scenarios) == 1
        targets = [Path(args.out) if one else Path(args.out) / n for n in names]
        from ..io.outputs import UNCERTAINTY_FILES, check_target

        for t in targets:
            check_target(t, UNCERTAINTY_FILES)
    _check_sobol(args.sobol, year, inp.years)
    items: list[tuple[Path, dict[str, bytes]]] = []
    shown: list[str] = []  # with --out printed after writing: a closed pipe loses no file
    say = shown.append if targets else (lambda text: print(printable(text)))
    with _executor(args) as executor:
        for sc, name in zip(scenarios, names, strict=True):
            sim = simulate(
                sc,
                draws=args.draws,
                seed=args.seed,
                inputs=inp,
                spec=spec,
                chunk=args.chunk,
                progress=progress,
                executor=executor,
            )
            say(_render_simulation(sim, name, year))
            sob = None
            if args.sobol is not None:
                from ..api import sobol

                sob = sobol(
                    sc,
                    n=args.sobol,
                    seed=args.seed,
                    year=year,
                    inputs=inp,
                    spec=spec,
                    chunk=args.chunk,
                    executor=executor,
                )
                say(_render_sobol(sob))
            if targets:
                from ..uncertainty.outputs import simulation_files

                files = simulation_files(sim, inp, sc, args.chunk, year, sob)
                items.append((targets[len(items)], files))
    if items:
        from ..io.outputs import UNCERTAINTY_FILES

        written = write_many(items, allowed=UNCERTAINTY_FILES)
        for text in [*shown, *(f"→ {t}/" for t in written)]:
            print(printable(text))
    return 0


def _check_sobol(n: int | None, year: int, years: Sequence[int]) -> None:
    if n is None:
        return
    if n < 10:
        raise ConfigError(f"--sobol must be a whole number >= 10, got {n}")
    if year == years[0]:
        raise ConfigError(
            f"--sobol: --year {year} is the base year (no spread to decompose); give a year "
            f"{years[1]}–{years[-1]}"
        )


@contextlib.contextmanager
def _executor(args: argparse.Namespace) -> Iterator[Any]:
    """None (this process), local processes (--workers) or a Dask client (--scheduler)."""
    if args.workers is not None and args.scheduler is not None:
        raise ConfigError("give --workers or --scheduler, not both")
    if args.workers is not None:
        if args.workers < 1:
            raise ConfigError(f"--workers must be >= 1, got {args.workers}")
        yield args.workers
        return
    if args.scheduler is None:
        yield None
        return
    try:
        from distributed import Client
    except ImportError:
        raise ConfigError(
            "--scheduler needs dask.distributed: pip install 'helsemodlite[distributed]'"
        ) from None
    try:
        client = Client(args.scheduler, timeout="10s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise ConfigError(f"--scheduler {args.scheduler}: cannot connect ({exc})") from None
    with client:
        yield client


def _render_sobol(sob) -> str:  # type: ignore[no-untyped-def]
    a = sob.attrs
    rows = sob[sob.group == dims.SUM_LABEL]
    out = [
        "",
        wrap(
            f"Sobol-indekser for gapet {a['year']} (Sum), egen utvalgsplan: n = {plain(a['n'])}, "
            f"{plain(a['runs'])} framskrivinger; 95 %-intervaller ved bootstrap."
        ),
        f"  {'Forutsetning':<32} {'førsteordens S1':>24} {'total ST':>24}",
    ]
    for r in rows.itertuples():
        s1 = f"{plain(r.S1, 2):>5} [{plain(r.S1_lo, 2):>5}; {plain(r.S1_hi, 2):>5}]"
        st = f"{plain(r.ST, 2):>5} [{plain(r.ST_lo, 2):>5}; {plain(r.ST_hi, 2):>5}]"
        out.append(f"  {r.label:<32} {s1:>24} {st:>24}")
    return "\n".join(out)


def _render_simulation(sim, name: str, year: int) -> str:  # type: ignore[no-untyped-def]
    q = sim.quantiles()
    shown = [y for y in (2025, 2030, 2035, 2040) if y in sim.years] or [year]
    prob = sim.prob_shortage().set_index(["year", "group"])["prob"]
    gap = _quantile_rows(q, "gap")

    def block(table, rows, label_fn, title, header):  # type: ignore[no-untyped-def]
        t = table.loc[rows].copy()
        t.index = [label_fn(i) for i in t.index]
        return render_gap_table(t, title, header=header)

    sums = gap.loc[[(y, dims.SUM_LABEL) for y in shown]].copy()
    sums["trekk 0"] = [sim.gap[0, sim.years.index(y), -1] for y in shown]
    groups = [g for g in dims.PUBLICATION_ORDER if g in sim.groups]
    out = [
        wrap(
            f"Usikkerhet: {plain(sim.n_draws)} trekk, startverdi (seed) "
            f"{sim.inputs_drawn.seed} (trekk 0 = referansens forutsetninger). Scenario: {name}. "
            "Differanse tilbud − etterspørsel, årsverk (negativt = underskudd), avrundet til "
            "nærmeste 100."
        ),
        *(
            [
                wrap(
                    f"Merk: med {sim.n_draws} trekk er båndene ikke meningsfulle (trekk 0 er "
                    "referansen selv); bruk minst 100, helst 1 000 eller flere."
                )
            ]
            if sim.n_draws < 100
            else []
        ),
        "",
        block(sums, list(sums.index), lambda i: str(i[0]), "Sum, 14 grupper", "År"),
        "",
        wrap(
            "Sannsynlighet for underskudd (andel trekk med gap < 0), Sum: "
            + ", ".join(f"{y} {prob[(y, dims.SUM_LABEL)] * 100:.0f} %" for y in shown)
        ),
        "",
        block(
            gap,
            [(year, g) for g in groups] + [(year, dims.SUM_LABEL)],
            lambda i: dims.group_label(i[1]) if i[1] != dims.SUM_LABEL else i[1],
            f"Etter utdanningsgruppe, {year}",
            "Utdanningsgruppe",
        ),
    ]
    if sim.effect_supply is not None:
        eff = _quantile_rows(sim.effect_quantiles(), "gap")
        out += [
            "",
            block(
                eff,
                [(y, dims.SUM_LABEL) for y in shown],
                lambda i: str(i[0]),
                "Tiltakenes virkning på gapet (scenario − referanse på de samme trekkene), Sum",
                "År",
            ),
        ]
    drv = sim.drivers(year)
    if drv.empty:
        k, n = drv.attrs.get("columns", 0), drv.attrs.get("draws", sim.n_draws)
        why = (
            f"{n} trekk er for få for {k} forklaringsvariabler; bruk minst {10 * k} trekk."
            if k
            else f"gapet {year} (Sum) eller forutsetningene varierer ikke over {n} trekk."
        )
        out += ["", wrap(f"Ingen rangering av hva som driver spredningen: {why}")]
        return "\n".join(out)
    out += [
        "",
        wrap(
            f"Hva forklarer spredningen i gapet {year} (Sum)? Rangregresjon, justert R² = "
            f"{plain(drv.attrs['r2'], 2)}; hver forutsetnings andel av forklart varians:"
        ),
    ]
    out += [f"  {r.label:<32} {plain(r.share * 100, 1):>5} %" for r in drv.itertuples()]
    if drv.attrs.get("note"):
        k = drv.attrs["columns"]
        out.append(
            f"  Merk: {drv.attrs['draws']} trekk er for få for {k} forklaringsvariabler til en "
            f"pålitelig rangering; bruk minst {10 * k} trekk."
        )
    return "\n".join(out)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "uncertainty",
        help="Monte Carlo over the declared uncertainty: quantiles of supply, demand and gap, "
        "the chance of a shortage and what drives the spread",
        description="Draws every uncertain input (assumptions/uncertainty.toml; "
        "docs/uncertainty.md) and projects all draws as one vectorised batch, in chunks. Draw 0 "
        "is the reference. With a scenario, the same draws run with and without its measures, "
        "so the interval of the effect is the effect's own.",
    )
    scenarios_arg(p, "*")
    p.add_argument("--draws", type=int, default=1000, help="number of draws (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="master seed (default 0)")
    p.add_argument("--chunk", type=int, default=1000, help="draws per chunk (default 1000)")
    p.add_argument(
        "--year", type=int, default=None, help=DEFAULT_YEAR_HELP.format("of the table and drivers")
    )
    p.add_argument("--spec", default=None, metavar="FILE", help="an uncertainty TOML of your own")
    p.add_argument("--out", default=None, metavar="DIR", help="write quantiles.csv etc. there")
    p.add_argument(
        "--sobol",
        type=int,
        default=None,
        metavar="N",
        help="also Sobol indices of the gap in --year, from a design of N × (inputs + 2) runs",
    )
    p.add_argument(
        "--workers", type=int, default=None, metavar="N", help="run the chunks in N processes"
    )
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run the chunks on a dask.distributed cluster "
        "(pip install 'helsemodlite[distributed]')",
    )
    inputs_arg(p)
    p.set_defaults(func=_cmd_uncertainty, notes=MODEL_NOTES)
