"""Command-line interface: a thin adapter over the public Python API.

Every sub-command parses its arguments, calls one API function and prints or writes the result.
Bad input (inputs directory, scenario file, arguments) exits with code 2 and a message naming
the file and key or column, without a traceback and without writing anything.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from . import dims
from .errors import ConfigError, HelsemodliteError

EXIT_BAD_INPUT = 2
CSV_DIALECTS = ("standard", "excel-no")
"""As :data:`helsemodlite.io.tables.CSV_DIALECTS` (kept here so ``--help`` needs no pandas)."""
EXIT_INTERRUPTED = 130
_OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EFBIG})
"""Errors of writing to standard output (a full disk, /dev/full): a message, not a traceback."""


def format_arsverk(value: float) -> str:
    """Rounded to the nearest 100, thousands separated by a space, as in the publication."""
    rounded = int(round(value / 100.0)) * 100
    text = f"{abs(rounded):,}".replace(",", " ")
    return f"-{text}" if rounded < 0 else text


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


def _cmd_gap_table(args: argparse.Namespace) -> int:
    from .api import project

    _check_csv_options(args, "--csv")
    years = tuple(args.years) if args.years else None
    proj = project(args.scenario, inputs=args.inputs, detail=False)
    table = proj.gap_table(years=years)
    print_notes([*proj.notes, *([table.attrs["note"]] if table.attrs.get("note") else [])])
    if args.csv:
        from .io.outputs import gap_table_csv

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


def _cmd_explain(args: argparse.Namespace) -> int:
    from .api import project
    from .io.tables import year_or_default

    proj = project(args.scenario, inputs=args.inputs, detail=False)
    year = year_or_default(args.year, proj.years)
    print_notes(proj.notes)
    if args.group is not None and args.group not in (*proj.inputs.groups, dims.SUM_LABEL):
        raise ConfigError(
            f"explain --group: unknown group {args.group!r} (expected one of "
            f"{', '.join(proj.inputs.groups)} or {dims.SUM_LABEL})"
        )
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
    title = _wrap(
        f"Gapet i {year} fordelt på drivere, årsverk (+ bedrer, − forverrer), avrundet til "
        f"nærmeste 100. Scenario: {proj.scenarios[0]}."
    )
    print(_printable(render_gap_table(table.drop(columns=zero), title)))
    print()
    for driver, label in labels.items():
        if driver not in zero:
            print(_printable(f"  {driver}: {label}"))
    if zero:
        print(_printable(f"  Utelatt, 0 for alle grupper: {', '.join(zero)}."))
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
    from .api import supply_effect_by_age

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


def _progress(done: int, total: int) -> None:
    """A one-line progress count on a terminal; nothing when stderr is not a TTY."""
    if sys.stderr.isatty():
        end = "\n" if done >= total else ""
        print(f"\r  trekk {done:,}/{total:,}".replace(",", " "), end=end, file=sys.stderr)


def _comma(x: float, decimals: int) -> str:
    """A number with a decimal comma and a real minus sign (Norwegian)."""
    return f"{x:.{decimals}f}".replace(".", ",").replace("-", "−")


def _spaced(n: float) -> str:
    """A whole number with a space between thousands and a plain minus (never "-0")."""
    return f"{round(float(n)) + 0:,.0f}".replace(",", " ")


def _wrap(text: str, width: int = 100) -> str:
    """Text filled to ``width``, never breaking a number from its unit or its thousands, nor a
    label from its value ("80 %", "20 700", "Scenario: heltid_10")."""
    import re
    import textwrap

    keep = "\u00a0"  # textwrap breaks at ASCII whitespace only
    text = re.sub(r"(\d) (?=%|\d{3}\b)", rf"\1{keep}", text)
    text = re.sub(r"(Scenario:) (?=\S)", rf"\1{keep}", text)
    return textwrap.fill(text, width=width, break_on_hyphens=False).replace(keep, " ")


def _quantile_rows(frame, variable: str):  # type: ignore[no-untyped-def]
    cols = ["q05", "q25", "q50", "q75", "q95"]
    sub = frame[frame.variable == variable]
    table = sub.set_index(["year", "group"])[cols]
    table.columns = ["5 %", "25 %", "median", "75 %", "95 %"]
    return table


def _cmd_uncertainty(args: argparse.Namespace) -> int:
    from .api import as_scenario, resolve_inputs, simulate
    from .io.outputs import write_many
    from .io.tables import year_or_default

    inp = resolve_inputs(args.inputs)
    year = year_or_default(args.year, inp.years)
    scenarios = [None] if not args.scenarios else [as_scenario(s) for s in args.scenarios]
    names = ["referanse" if s is None else s.name for s in scenarios]
    if len(set(names)) < len(names):
        raise ConfigError(
            f"uncertainty: a scenario name appears twice ({', '.join(names)}); each writes "
            '--out DIR/<name>/: give each file its own `name = "..."`'
        )
    from .api import project, uncertainty_spec
    from .scenarios.compile import scenario_paths

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
        from .io.outputs import UNCERTAINTY_FILES, check_target

        for t in targets:
            check_target(t, UNCERTAINTY_FILES)
    _check_sobol(args.sobol, year, inp.years)
    items: list[tuple[Path, dict[str, bytes]]] = []
    with _executor(args) as executor:
        for sc, name in zip(scenarios, names, strict=True):
            sim = simulate(
                sc,
                draws=args.draws,
                seed=args.seed,
                inputs=inp,
                spec=spec,
                chunk=args.chunk,
                progress=_progress,
                executor=executor,
            )
            print(_printable(_render_simulation(sim, name, year)))
            sob = None
            if args.sobol is not None:
                from .api import sobol

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
                print(_printable(_render_sobol(sob)))
            if targets:
                from .uncertainty.outputs import simulation_files

                files = simulation_files(sim, inp, sc, args.chunk, year, sob)
                items.append((targets[len(items)], files))
    if items:
        from .io.outputs import UNCERTAINTY_FILES

        for t in write_many(items, allowed=UNCERTAINTY_FILES):
            print(_printable(f"→ {t}/"))
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
        _wrap(
            f"Sobol-indekser for gapet {a['year']} (Sum), egen utvalgsplan: n = {a['n']:,}, "
            f"{a['runs']:,} framskrivinger; 95 %-intervaller ved bootstrap.".replace(",", " ")
        ),
        f"  {'Forutsetning':<32} {'førsteordens S1':>24} {'total ST':>24}",
    ]
    for r in rows.itertuples():
        s1 = f"{_comma(r.S1, 2):>5} [{_comma(r.S1_lo, 2):>5}; {_comma(r.S1_hi, 2):>5}]"
        st = f"{_comma(r.ST, 2):>5} [{_comma(r.ST_lo, 2):>5}; {_comma(r.ST_hi, 2):>5}]"
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
        _wrap(
            f"Usikkerhet: {_spaced(sim.n_draws)} trekk, startverdi (seed) "
            f"{sim.inputs_drawn.seed} (trekk 0 = referansens forutsetninger). Scenario: {name}. "
            "Differanse tilbud − etterspørsel, årsverk (negativt = underskudd), avrundet til "
            "nærmeste 100."
        ),
        *(
            [
                _wrap(
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
        _wrap(
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
        out += ["", _wrap(f"Ingen rangering av hva som driver spredningen: {why}")]
        return "\n".join(out)
    out += [
        "",
        _wrap(
            f"Hva forklarer spredningen i gapet {year} (Sum)? Rangregresjon, justert R² = "
            f"{_comma(drv.attrs['r2'], 2)}; hver forutsetnings andel av forklart varians:"
        ),
    ]
    out += [f"  {r.label:<32} {_comma(r.share * 100, 1):>5} %" for r in drv.itertuples()]
    if drv.attrs.get("note"):
        k = drv.attrs["columns"]
        out.append(
            f"  Merk: {drv.attrs['draws']} trekk er for få for {k} forklaringsvariabler til en "
            f"pålitelig rangering; bruk minst {10 * k} trekk."
        )
    return "\n".join(out)


def _cmd_solve(args: argparse.Namespace) -> int:
    from .api import solve
    from .io.outputs import check_parents

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
    from .inverse import Solution

    sol = solve(levers[0], groups, args.year, args.target, args.start_year, inputs=args.inputs)
    assert isinstance(sol, Solution)
    start = args.start_year or sol.gaps.index[1]
    target = f"{args.target:,.0f}".replace(",", " ")
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
    table = pd_table(sol, groups, shown)
    print()
    print(_printable(render_gap_table(table, "Gap, årsverk: referanse og løst", header="")))
    _write_solved(out, sol.scenario)
    return 0


def _write_solved(out: Path | None, scenario) -> None:  # type: ignore[no-untyped-def]
    from .io.atomic import write_new_file

    if out is None:
        return
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_new_file(out, scenario.to_toml().encode("utf-8"))
    except FileExistsError:
        raise ConfigError(f"--out {out}: exists; give a new file name") from None
    except OSError as exc:
        raise ConfigError(f"--out {out}: cannot write there ({exc.strerror or exc})") from exc
    print(_printable(f"→ {out}"))


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

    from .api import solve
    from .inverse import LEVERS, CostedSolution

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
    target = f"{args.target:,.0f}".replace(",", " ")
    bound = "ingen grense" if step is None else f"{_comma(step * 100, 1)} prosentpoeng"
    print(
        _wrap(
            f"Billigste plan: gapet minst {target} årsverk "
            + (
                f"i {sol.until}"
                if sol.target_year == sol.until
                else f"hvert år {sol.target_year}–{sol.until}"
            )
            + ", "
            f"endring fra {sol.start_year}; største endring av en tilgang fra ett år til det "
            f"neste: {bound}. Relative kostnader: "
            + ", ".join(f"{LEVERS[k].label} {_comma(v, 2)}" for k, v in sol.costs.items())
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
        text = both.round(0).to_string(float_format=lambda x: f"{x:,.0f}".replace(",", " "))
        print(_printable(text.replace("-", "−")))
    _write_solved(out, sol.scenario)
    return 0


def pd_table(sol, groups: list[str], years: list[int]):  # type: ignore[no-untyped-def]
    import pandas as pd

    rows = {}
    for g in groups:
        label = dims.group_label(g)
        rows[f"{label}, referanse"] = sol.reference.loc[years, g].to_numpy()
        rows[f"{label}, løst"] = sol.gaps.loc[years, g].to_numpy()
    return pd.DataFrame(rows, index=[str(y) for y in years]).T


BACKTEST_LABELS = {
    "personer_indeks": "Personer med utdanningen, indeks 2015 = 1",
    "sysselsatte_hs_indeks": "Sysselsatte i helse og omsorg, indeks 2015 = 1",
    "andel_55pluss": "Andel av sysselsatte som er 55 år+, prosent",
    "endring_andel_55pluss": "Endring i andel 55 år+ (kommunal), prosentpoeng",
    "sysselsatte_67pluss_vekst": "Sysselsatte 67 år+, indeks 2015 = 1",
    "leger_yrkesaktive_vekst": "Yrkesaktive leger under 70, indeks 2015 = 1",
    "alder_hpr": "Andel 55-74 år av personer 35-74 år, prosent (HPR 2013, alle yrker)",
    "kvinner_hpr": "Andel kvinner 20-74 år, prosent (HPR 2013, alle yrker)",
    "p_ung": "Andel i helsetjenesten, personer 20-39 år, prosent (kull fulgt fra eksamen)",
}


def _cmd_backtest(args: argparse.Namespace) -> int:
    from .data.backtest import KNOWN_OUTSIDE, run_backtest
    from .io.read import default_inputs_dir

    root = Path(args.inputs) if args.inputs else default_inputs_dir()
    bt = run_backtest(root / "sources", root / "assumptions")
    if args.csv:
        bt.table.to_csv(sys.stdout, index=False, lineterminator="\n")
        return 0
    print(
        "Etterprøving utenfor utvalget: grunnlaget for 2015 bygd på observasjoner til og med "
        "2016, framskrevet til 2020 (aggregatet til 2023) og sammenlignet med det som ble "
        "observert (docs/backtest.md)."
    )
    for check, sub in bt.table.groupby("check", sort=False):
        print(f"\n{BACKTEST_LABELS.get(str(check), str(check))}")
        points = sub["unit"].iloc[0] == "points"
        for r in sub.itertuples(index=False):
            places = 1 if points else 3  # decimal commas, as in the notes below
            diff = f"{r.difference:+6.1f} p" if points else f"{100 * r.difference:+6.1f} %"
            diff = diff.replace(".", ",").replace("-", "−")
            if r.within is None:
                verdict = "veiledende"
            elif r.within:
                verdict = "innenfor"
            else:
                known = (r.check, r.group) in KNOWN_OUTSIDE
                verdict = "utenfor (kjent, se under)" if known else "UTENFOR"
            label = dims.group_label(r.group) if r.group in dims.GROUPS else "Alle grupper"
            print(
                f"  {label:<24} {r.year}  observert {_comma(r.observed, places).rjust(8)}  "
                f"modell {_comma(r.model, places).rjust(8)}  avvik {diff}  {verdict}"
            )
    failures = bt.failures
    print(
        f"\n{len(bt.judged)} vurderte kontroller, {len(failures)} utenfor toleransen "
        "(sysselsatte ±5 %, andel 55+ ±3 prosentpoeng)."
    )
    for (check, group), reason in KNOWN_OUTSIDE.items():
        print(f"  - {BACKTEST_LABELS.get(check, check)}, {dims.group_label(group)}: {reason}")
    return 0


def _cmd_inputs_check(args: argparse.Namespace) -> int:
    from .io.read import check_inputs, default_inputs_dir

    directory = Path(args.inputs) if args.inputs else default_inputs_dir()
    problems = check_inputs(directory)
    spec = directory / "assumptions" / "uncertainty.toml"
    if not problems and spec.exists():  # the declared uncertainty, read by `uncertainty`
        from .api import uncertainty_spec

        try:
            uncertainty_spec(directory, spec)
        except ConfigError as exc:
            problems = list(exc.problems)
    if problems:
        print(
            f"helsemodlite: {len(problems)} problem(s) in inputs directory {directory}:",
            file=sys.stderr,
        )
        for p in problems:
            print(f"  - {p}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"inputs OK: {directory}")
    return 0


def _cmd_inputs_export(args: argparse.Namespace) -> int:
    from .io.read import export_inputs

    target = export_inputs(args.directory)
    print(f"exported the embedded data set to {target}/ (use it with --inputs {target})")
    return 0


def _cmd_scenarios_list(args: argparse.Namespace) -> int:
    from .scenarios.files import shipped_catalogue

    rows = shipped_catalogue()
    width = max(len(name) for name, _ in rows)
    print("Scenarier som følger med (bruk navnet der en fil kan stå, f.eks. run heltid_10):\n")
    for name, title in rows:
        print(f"{name.ljust(width)}  {title}")
    return 0


def _cmd_scenarios_schema(args: argparse.Namespace) -> int:
    import json

    from .scenarios.derived import json_schema

    sys.stdout.write(json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n")
    return 0


def _cmd_scenarios_show(args: argparse.Namespace) -> int:
    from .scenarios.files import scenario_text

    sys.stdout.write(scenario_text(args.name))
    return 0


def _cmd_inputs_build(args: argparse.Namespace) -> int:
    from .data.build import REBUILD_RTOL, build_inputs, model_differences

    if args.check:
        diffs = model_differences(args.inputs)
        if diffs:
            print(
                f"model files differ from a rebuild (beyond relative {REBUILD_RTOL:g}); "
                "largest difference per file:",
                file=sys.stderr,
            )
            for d in diffs:
                print(f"  - {d}", file=sys.stderr)
            return 1
        print(f"model files agree with a rebuild (relative tolerance {REBUILD_RTOL:g})")
        return 0
    changed = build_inputs(args.inputs)
    print(
        f"rebuilt {Path(args.inputs) / 'model'}/"
        + (f" (changed: {', '.join(changed)})" if changed else " (no changes)")
    )
    return 0


def _now():  # type: ignore[no-untyped-def]
    import datetime as dt

    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _cmd_inputs_update(args: argparse.Namespace) -> int:
    from .data.statbank.client import Client
    from .data.statbank.tables import TABLES
    from .data.statbank.update import check_target, describe, fetch, plan, verify_build, write

    if args.inputs is None and not args.dry_run:
        raise ConfigError(
            "inputs update: --inputs DIR is required (your own inputs directory: "
            "`helsemodlite inputs export DIR` makes one), or --dry-run to see what it would fetch"
        )
    target = check_target(Path(args.inputs)) if args.inputs else None
    ids = list(dict.fromkeys(args.table or TABLES))
    client = Client(args.base_url)
    items = plan(client, ids, _now())
    for line in describe(items, client):
        print(_printable(line))
    if args.dry_run:
        print("(dry run: nothing fetched, nothing written)")
        return 0
    assert target is not None
    fetch(client, items)
    for f in items:
        written = write(target, f, _now(), verify=verify_build if f.table.used_by_build else None)
        print(_printable(f"{f.table.id}: wrote {', '.join(written)}"))
    print(
        f"next: helsemodlite inputs build --inputs {target}   (then `inputs diff` against the "
        "old directory to see what the new data change)"
    )
    return 0


def _cmd_inputs_import(args: argparse.Namespace) -> int:
    from .data.statbank.csvfile import download_url
    from .data.statbank.tables import table
    from .data.statbank.update import check_target, read_import, verify_build, write

    if args.url and (args.file is not None or args.inputs is not None):
        raise ConfigError(
            "inputs import: --url only prints the download addresses; run it without FILE and "
            "--inputs, then import the downloaded file without --url"
        )
    if args.url:
        t = table(args.table)
        print(f"{t.id} {t.title}: download one of these and import it with --inputs DIR FILE")
        print(f"  JSON-stat2: {download_url(t, 'json-stat2')}")
        print(f"  CSV:        {download_url(t, 'csv')}")
        return 0
    if args.file is None or args.inputs is None:
        raise ConfigError(
            "inputs import: FILE and --inputs DIR are required (or --url to see what to download)"
        )
    target = check_target(Path(args.inputs))
    f = read_import(Path(args.file), args.table, _now())
    for w in f.warnings:
        print(_printable(f"warning: {w}"), file=sys.stderr)
    check = verify_build if f.table.used_by_build else None
    written = write(target, f, _now(), verify=check, imported=Path(args.file).name)
    print(_printable(f"{f.table.id}: wrote {', '.join(written)}"))
    print(f"next: helsemodlite inputs build --inputs {target}")
    return 0


def _cmd_inputs_diff(args: argparse.Namespace) -> int:
    import pandas as pd

    from .api import project
    from .data.statbank.diff import file_changes
    from .io.build_record import build_note
    from .io.read import calibration_note

    changes = file_changes(Path(args.old), Path(args.new))
    print(f"Filer som er endret fra {args.old} til {args.new}: {len(changes) or 'ingen'}")
    for c in changes:
        kind = {"added": "ny", "removed": "fjernet", "changed": "endret"}.get(c.kind, c.kind)
        print(_printable(f"  {kind:<7} {c.path}"))
        for d in c.detail:
            print(_printable(f"          {d}"))
    if args.targets is not None and args.calibration != "refit":
        raise ConfigError("inputs diff: --targets goes with --calibration refit")
    projs = []
    for d in (args.old, args.new):
        if args.calibration == "refit":
            from .data.calibrate import refitted_inputs

            proj = project(inputs=refitted_inputs(Path(d), args.targets), detail=False)
        else:
            proj = project(inputs=d, detail=False)
            for note in (build_note(Path(d)), calibration_note(proj.inputs)):
                if note:
                    print(_printable(f"note ({d}): {note}"), file=sys.stderr)
        projs.append(proj)
    how = (
        "kalibreringen tilpasset på nytt for hver mappe"
        + (f" (mål: {args.targets})" if args.targets else " (de publiserte målene)")
        if args.calibration == "refit"
        else "hver mappes lagrede kalibrering (keep): endringen er det de nye dataene gjør"
    )
    print(_printable(f"\nKalibrering: {how}."))
    common = [y for y in projs[0].years if y in projs[1].years]
    if args.years:
        years = tuple(dict.fromkeys(args.years))
        missing = [y for y in years if y not in common]
        if missing:
            raise ConfigError(
                f"inputs diff: --years {', '.join(map(str, missing))} not projected by both "
                f"directories (common years {common[0]}–{common[-1]})"
            )
    else:
        years = tuple(y for y in (2025, 2030, 2035, 2040) if y in common) or (common[-1],)
    tables = [p.gap_table(years=years) for p in projs]
    old, new = tables
    both = pd.concat({"gammel": old, "ny": new, "endring": new - old}, axis=1)
    print()
    for y in old.columns:
        block = both.xs(y, axis=1, level=1)[["gammel", "ny", "endring"]]
        print(
            _printable(render_gap_table(block, f"Referansebanens gap {y}: gammel og ny", header=""))
        )
        print()
    return 0


def _cmd_explore(args: argparse.Namespace) -> int:
    from .api import resolve_inputs
    from .explore.serve import check_port, free_port, start

    resolve_inputs(args.inputs)  # a bad inputs directory is refused here, not on the page
    port = args.port if args.port is not None else free_port()
    check_port(port)
    import signal

    proc = start(port, args.inputs)
    print(f"helsemodlite explore: http://127.0.0.1:{port}/  (Ctrl-C stops it)", flush=True)

    def stop(*_: object) -> None:  # a plain kill stops the page's server too
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        proc.wait()
        return 0


CALIBRATION_COLUMNS = {
    "group": "Gruppe",
    "fitted": "Tilpasset",
    "graduates_factor": "Faktor nyutdannede",
    "immigrants_factor": "Faktor innvandrere",
    "exit_factor": "Faktor avgang",
    "initial_shortage": "Underskudd basisår",
    "demand_trend": "Etterspørselstrend",
}
FITTED_WORDS = {
    "inflow": "tilgang",
    "immigrants": "innvandrere",
    "exits": "avgang",
    "shortage": "underskudd",
    "trend": "trend",
}
FIT_QUANTITIES = {
    "gap": "gap",
    "supply_total": "tilbud i alt",
    "demand_total_excl_shortage": "etterspørsel i alt (uten underskudd)",
    "initial_shortage_total": "underskudd i basisåret i alt",
}


def calibration_text(table, report) -> str:  # type: ignore[no-untyped-def]
    """The two tables ``calibrate`` prints, with Norwegian headings and labels: the parameters
    per group (the demand trend only when one is fitted) and each target against the model."""
    import pandas as pd

    par = table.copy()
    if "demand_trend" in par and not par["demand_trend"].astype(float).any():
        par = par.drop(columns="demand_trend")
    par["group"] = par["group"].map(dims.group_label)
    par["fitted"] = par["fitted"].map(
        lambda f: " + ".join(FITTED_WORDS.get(w, w) for w in str(f).split("+"))
    )
    for c in ("graduates_factor", "immigrants_factor", "exit_factor"):
        if c in par:
            par[c] = par[c].map(lambda v: f"{v:.3f}".replace(".", ","))
    par["initial_shortage"] = par["initial_shortage"].map(_spaced)
    par = par.rename(columns=CALIBRATION_COLUMNS)
    fit = pd.DataFrame(
        {
            "Størrelse": report["quantity"].map(lambda q: FIT_QUANTITIES.get(q, q)),
            "Gruppe": report["group"].map(dims.group_label),
            "År": report["year"],
            "Publisert": report["published"].map(_spaced),
            "Modell": report["model"].map(_spaced),
            "Toleranse": report["tolerance"].map(
                lambda t: "mykt mål" if pd.isna(t) else _spaced(t)
            ),
            "Avvik": report["residual"].map(_spaced),
        }
    )
    par, fit = _left(par, ["Gruppe", "Tilpasset"]), _left(fit, ["Størrelse", "Gruppe"])
    return "\n".join(
        [
            "Kalibrerte parametre per gruppe (faktorer på referansens tilgang og avgang; "
            "underskudd i årsverk):",
            par.to_string(index=False),
            "",
            "Målene og modellen (årsverk; avvik = modell − publisert):",
            fit.to_string(index=False),
        ]
    )


def _left(frame, columns: list[str]):  # type: ignore[no-untyped-def]
    """Text columns left-aligned in ``to_string``: every cell and the heading padded to the
    column's width."""
    out = frame.copy()
    names = {}
    for c in columns:
        width = max(len(c), *(len(v) for v in out[c]))
        out[c] = [v.ljust(width) for v in out[c]]
        names[c] = c.ljust(width)
    return out.rename(columns=names)


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from .data.calibrate import calibrate, calibrated_outside_fit
    from .io.read import default_inputs_dir

    table, report = calibrate(
        args.inputs,
        write=not args.dry_run,
        targets=args.targets,
        refit_published=args.refit_published,
    )
    print(_printable(calibration_text(table, report)))
    n_par = int(table["fitted"].str.count(r"\+").sum() + len(table))
    n_tgt = int(report["tolerance"].notna().sum())
    soft = len(report) - n_tgt
    print(
        f"\n{n_par} frie parametre (per gruppe de som står under «Tilpasset») tilpasset "
        f"{n_tgt} mål og {soft} {'mykt' if soft == 1 else 'myke'} mål, med priorer mot "
        "dataene (docs/calibration.md)"
    )
    root = Path(args.inputs) if args.inputs else default_inputs_dir()
    outside = calibrated_outside_fit(root)
    if outside:
        print(
            f"og {len(outside)} kalibrert utenfor denne tilpasningen, hver mot et eget mål "
            f"({', '.join(outside)}; assumptions/reference.toml): {n_par + len(outside)} "
            f"parametre for {n_tgt} mål"
        )
    if args.dry_run:
        print("--dry-run: ingenting skrevet")
    else:
        print(_printable(f"→ {root / 'calibration'}/ (calibration.csv, fit.csv, calibration.toml)"))
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from .api import run_scenarios

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
            print(_printable(render_gap_table(run.projection.gap_table(), title)))
            print(_printable(f"→ {run.target}/\n"))
    return 0


_CONTROL = {i: f"\\x{i:02x}" for i in (*range(32), 127)}
"""Control characters (from file names, say) shown as escapes in a one-line note."""


def print_notes(notes: Sequence[str]) -> None:
    for note in notes:
        print(_printable(f"helsemodlite: note: {note}".translate(_CONTROL)), file=sys.stderr)


def _printable(text: str) -> str:
    """Text that any terminal encoding can print: undecodable bytes of file names (lone
    surrogates) and unencodable characters shown as escapes instead of raising."""
    encoding = getattr(sys.stderr, "encoding", None) or "utf-8"
    return text.encode(encoding, "backslashreplace").decode(encoding, "replace")


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
    from .scenarios.combine import COMBINED

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
    lines = [_wrap(title), "", head + header]
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
    from .report.labels import DEFINITE
    from .scenarios.combine import COMBINED, SUM_OF_SINGLES

    years = [c for c in table.columns if isinstance(c, int)]
    groups = list(dict.fromkeys(table["group"]))
    out = []
    for g in groups:
        rows = table[table["group"] == g].set_index("scenario")
        diff = rows.loc[COMBINED, years] - rows.loc[SUM_OF_SINGLES, years]
        where = f", {dims.group_label(g)}" if len(groups) > 1 else ""
        out.append(
            f"Overlapp (kombinert − sum av enkelttiltak), {DEFINITE[table.attrs['variable']]}"
            f"{where}: "
            + ", ".join(f"{y}: {round(v) + 0:,}".replace(",", " ") for y, v in diff.items())
        )
    return out


def _all_groups(inputs) -> list[str]:  # type: ignore[no-untyped-def]
    """Every group in the publication's order, then the Sum (``--groups``)."""
    from .api import resolve_inputs

    have = resolve_inputs(inputs).groups
    order = [g for g in dims.PUBLICATION_ORDER if g in have]
    return [*order, *(g for g in have if g not in order), dims.SUM_LABEL]


def _check_csv_options(args: argparse.Namespace, *targets: str) -> None:
    """--labels and --dialect shape CSV files: refused where the command writes none."""
    from .io.tables import check_dialect

    check_dialect(args.dialect)
    if not any(getattr(args, t.lstrip("-").replace("-", "_")) for t in targets):
        given = [
            o
            for o, on in (("--labels", args.labels), ("--dialect", args.dialect != "standard"))
            if on
        ]
        if given:
            raise ConfigError(
                f"{args.command}: {' and '.join(given)} "
                + ("applies" if len(given) == 1 else "apply")
                + " to CSV output only; add "
                + " or ".join(targets)
            )


def _cmd_compare(args: argparse.Namespace) -> int:
    from .api import compare, compare_table, write_compare
    from .io.tables import to_csv_text, with_labels

    _check_csv_options(args, "--csv", "--out")
    if args.groups and args.group:
        raise ConfigError("compare: give --group ID… or --groups (every group), not both")
    groups = _all_groups(args.inputs) if args.groups else args.group
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
        print(_printable(render_compare(table)))
        if args.combined:
            print()
            for line in _overlap_lines(table):
                print(_wrap(line))
    if args.out is not None:
        where = f"→ {done.target}/ (compare.csv, compare_long.csv, compare.xlsx, run.json)"
        print(_printable(where), file=sys.stderr if args.csv else sys.stdout)
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from .api import resolve_inputs, write_report
    from .io.tables import year_or_default

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
    print(_printable(f"→ {target}/report.html (med figurene som PNG og report.xlsx)"))
    return 0


DEFAULT_YEAR_HELP = "year {} (default 2040, or the inputs' last year before it)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="helsemodlite",
        description="Projections of supply of and demand for health personnel in Norway "
        "(in the spirit of SSB's Helsemod).",
    )
    from ._version import __version__

    parser.add_argument("--version", action="version", version=f"helsemodlite {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def inputs_arg(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--inputs",
            metavar="DIR",
            default=None,
            help="inputs directory (default: the embedded data set)",
        )

    def csv_args(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--labels",
            action="store_true",
            help="CSV with SSB's group labels (group_label), the unit and is_total (the Sum rows)",
        )
        p.add_argument(
            "--dialect",
            choices=CSV_DIALECTS,
            default="standard",
            help="CSV dialect: standard (',' and decimal point, the default) or excel-no "
            "(';', decimal comma and a UTF-8 BOM, for Excel with Norwegian settings)",
        )

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
    p.set_defaults(func=_cmd_gap_table)

    p = sub.add_parser("inputs", help="check or rebuild an inputs directory")
    isub = p.add_subparsers(dest="inputs_command", required=True, metavar="ACTION")
    c = isub.add_parser("check", help="validate an inputs directory")
    inputs_arg(c)
    c.set_defaults(func=_cmd_inputs_check)
    b = isub.add_parser("build", help="rebuild model-ready files from sources and assumptions")
    inputs_arg(b)
    b.add_argument("--check", action="store_true", help="only report whether files would change")
    b.set_defaults(func=_cmd_inputs_build)
    e = isub.add_parser(
        "export", help="copy the embedded data set to DIR, as a starting point for your own"
    )
    e.add_argument("directory", metavar="DIR", help="a new (or empty) directory")
    e.set_defaults(func=_cmd_inputs_export)
    u = isub.add_parser(
        "update",
        help="refresh source tables from SSB's StatBank API into your inputs directory",
        description="Reads each table's record and metadata (warns when discontinued or not "
        "updated for longer than its cycle, refuses a changed structure), fetches the data in "
        "extracts within SSB's 800 000-cell limit, and writes the raw JSON-stat2 answers, a "
        "manifest, the converted source file and its catalogue entry into --inputs (never the "
        "embedded data set). Then run `inputs build` (docs/data.md).",
    )
    u.add_argument("--inputs", default=None, metavar="DIR", help="your inputs directory")
    u.add_argument(
        "--table", action="append", metavar="ID", help="a table id (repeat; default all)"
    )
    u.add_argument(
        "--dry-run", action="store_true", help="show what would be fetched, fetch nothing"
    )
    u.add_argument(
        "--base-url", default="https://data.ssb.no/api/pxwebapi/v2", help=argparse.SUPPRESS
    )
    u.set_defaults(func=_cmd_inputs_update)
    m = isub.add_parser(
        "import",
        help="a StatBank table downloaded by hand (JSON-stat2 or CSV) into your inputs directory",
        description="For machines without access to data.ssb.no: `--url` prints the addresses "
        "to download in a browser; the file (JSON-stat2, or StatBank CSV with codes) is then "
        "checked and written as `inputs update` writes a fetched table (docs/data.md).",
    )
    m.add_argument(
        "file", nargs="?", metavar="FILE", help="the table's data: JSON-stat2 or StatBank CSV"
    )
    m.add_argument("--table", required=True, metavar="ID", help="the table id, e.g. 07459")
    m.add_argument("--inputs", metavar="DIR", help="your inputs directory")
    m.add_argument(
        "--url", action="store_true", help="print the download addresses of --table and stop"
    )
    m.set_defaults(func=_cmd_inputs_import)
    f = isub.add_parser(
        "diff", help="what changed between two inputs directories, and what it does to the gap"
    )
    f.add_argument("old", metavar="OLD")
    f.add_argument("new", metavar="NEW")
    f.add_argument("--years", type=int, nargs="+", default=None, help="years of the gap table")
    f.add_argument(
        "--calibration",
        choices=("keep", "refit"),
        default="keep",
        help="keep (default): each directory's stored calibration, so the change is what the new "
        "data do; refit: fit each directory again, in memory, to the published targets (or "
        "--targets FILE), so the change is what is left once both are pinned to the same targets",
    )
    f.add_argument(
        "--targets", default=None, metavar="FILE", help="targets of the refit (with refit)"
    )
    f.set_defaults(func=_cmd_inputs_diff)

    p = sub.add_parser("scenarios", help="the shipped scenarios")
    ssub = p.add_subparsers(dest="scenarios_command", required=True, metavar="ACTION")
    c = ssub.add_parser("list", help="list the shipped scenarios with their titles")
    c.set_defaults(func=_cmd_scenarios_list)
    c = ssub.add_parser("show", help="print a shipped scenario file")
    c.add_argument("name", metavar="NAME", help="a shipped scenario's name, e.g. heltid_10")
    c.set_defaults(func=_cmd_scenarios_show)
    c = ssub.add_parser(
        "schema", help="print the JSON Schema of a scenario file (for editors such as VS Code)"
    )
    c.set_defaults(func=_cmd_scenarios_schema)

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
    p.set_defaults(func=_cmd_explain)

    p = sub.add_parser(
        "uncertainty",
        help="Monte Carlo over the declared uncertainty: quantiles of supply, demand and gap, "
        "the chance of a shortage and what drives the spread",
        description="Draws every uncertain input (assumptions/uncertainty.toml; "
        "docs/uncertainty.md) and projects all draws as one vectorised batch, in chunks. Draw 0 "
        "is the reference. With a scenario, the same draws run with and without its measures, "
        "so the interval of the effect is the effect's own.",
    )
    p.add_argument("scenarios", nargs="*", metavar="SCENARIO")
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
    p.set_defaults(func=_cmd_uncertainty)

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
    p.set_defaults(func=_cmd_solve)

    p = sub.add_parser(
        "explore",
        help="a local web page: move the levers, see the gap move, download the scenario",
        description="Starts the explorer on 127.0.0.1 (docs/explore.md; pip install "
        "'helsemodlite[explore]') and prints its address. Nothing leaves this machine.",
    )
    p.add_argument("--port", type=int, default=None, help="port on 127.0.0.1 (default: a free one)")
    inputs_arg(p)
    p.set_defaults(func=_cmd_explore)

    p = sub.add_parser(
        "backtest",
        help="out-of-sample back-test of the supply base: 2015 base, projected to 2020 (2023), "
        "against what was observed",
    )
    p.add_argument("--csv", action="store_true", help="the comparison table as CSV on stdout")
    inputs_arg(p)
    p.set_defaults(func=_cmd_backtest)

    p = sub.add_parser(
        "calibrate",
        help="refit the calibration (to the published reference path, or to --targets FILE)",
        description="Refit the calibrated parameters. Without this command a changed inputs "
        "directory keeps its calibration, so the numbers show what the new data change. After "
        "the inputs changed, refitting to the published 2026 targets pins the published gap "
        "again by construction, and needs --refit-published; --targets FILE fits to your own "
        "targets (columns quantity, group, year, value, as "
        "sources/helsepersonellplan_2040_reference_path.csv).",
    )
    inputs_arg(p)
    p.add_argument("--dry-run", action="store_true", help="fit and print, do not write")
    p.add_argument("--targets", type=Path, metavar="FILE", help="fit to these targets")
    p.add_argument(
        "--refit-published",
        action="store_true",
        help="refit to the published targets although the inputs changed since the last fit",
    )
    p.set_defaults(func=_cmd_calibrate)

    p = sub.add_parser("run", help="run scenario files and write their outputs")
    p.add_argument(
        "scenarios", nargs="+", metavar="SCENARIO", help="scenario TOML files or shipped names"
    )
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
    p.set_defaults(func=_cmd_run)

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
    p.add_argument(
        "scenarios", nargs="*", metavar="SCENARIO", help="scenario TOML files or shipped names"
    )
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
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser(
        "compare",
        help="effects of scenarios against the reference: one table, scenarios × years",
        description="Prints one table: a row per scenario (with --combined also kombinert, all "
        "of them in one projection, and sum_enkelttiltak, the sum of the single effects), a "
        "column per year, the change of --variable against the reference (scenario − "
        "reference, årsverk). --out DIR writes it as CSV and Excel (docs/scenarios.md, "
        '"Comparing scenarios").',
    )
    p.add_argument(
        "scenarios", nargs="+", metavar="SCENARIO", help="scenario TOML files or shipped names"
    )
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
    p.set_defaults(func=_cmd_compare)
    return parser


_READ_MODEL = (
    _cmd_gap_table,
    _cmd_explain,
    _cmd_uncertainty,
    _cmd_solve,
    _cmd_run,
    _cmd_compare,
    _cmd_report,
    _cmd_calibrate,
    _cmd_explore,
    _cmd_inputs_check,
)
"""Commands that use ``model/`` of one inputs directory: they say first when the sources or
assumptions beside it changed since it was built (io.build_record)."""


def _input_notes(args: argparse.Namespace) -> None:
    """The notes on the inputs directory, once, before the command: model/ older than its
    sources or assumptions, and (but for calibrate, which refuses that case itself) a
    calibration fitted on other inputs. Inputs that cannot be read are the command's to
    report."""
    if args.func not in _READ_MODEL:
        return
    from .api import resolve_inputs
    from .io.build_record import build_note
    from .io.read import calibration_note, default_inputs_dir

    given = getattr(args, "inputs", None)
    notes = [build_note(Path(given) if given else default_inputs_dir())]
    if args.func is not _cmd_calibrate:
        with contextlib.suppress(HelsemodliteError):
            notes.append(calibration_note(resolve_inputs(given)))
    print_notes([n for n in notes if n])


BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _single_threaded_blas() -> None:
    """One BLAS thread for the commands, unless the user set one (docs/performance.md): the
    model's linear algebra is many small problems (the estimation's least squares, a few
    matrix products), where threads gain nothing on an idle machine and cost many times over
    on a busy one (backtest on 2 cores beside another process: 18 s with OpenBLAS' threads,
    5.6 s with one). Only before numpy is imported (a new process), so it never changes a
    Python session that called main()."""
    if "numpy" in sys.modules:
        return
    import os

    for var in BLAS_THREADS:
        os.environ.setdefault(var, "1")


def main(argv: Sequence[str] | None = None) -> int:
    _single_threaded_blas()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _input_notes(args)
        code = int(args.func(args))
        sys.stdout.flush()  # a full disk or closed pipe is reported here, not at exit
        return code
    except HelsemodliteError as exc:
        print(_printable(f"helsemodlite: error: {exc}"), file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        # Every write is whole-or-nothing (io.atomic), so an interrupt loses nothing.
        print("helsemodlite: interrupted; nothing half-written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as exc:
        if exc.errno not in _OUTPUT_ERRNOS:
            raise
        print(f"helsemodlite: error: cannot write the output ({exc.strerror})", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
