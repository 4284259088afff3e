"""inputs: check, build, export, update, import and diff an inputs directory."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import ConfigError
from .common import EXIT_BAD_INPUT, MODEL_NOTES, inputs_arg
from .text import printable, render_gap_table


def _cmd_inputs_check(args: argparse.Namespace) -> int:
    from ..io.read import check_inputs, default_inputs_dir

    directory = Path(args.inputs) if args.inputs else default_inputs_dir()
    problems = check_inputs(directory)
    spec = directory / "assumptions" / "uncertainty.toml"
    if not problems and spec.exists():  # the declared uncertainty, read by `uncertainty`
        from ..api import uncertainty_spec

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
    from ..io.read import export_inputs

    target = export_inputs(args.directory)
    print(f"exported the embedded data set to {target}/ (use it with --inputs {target})")
    return 0


def _cmd_inputs_build(args: argparse.Namespace) -> int:
    from ..data.build import REBUILD_RTOL, build_inputs, model_differences

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
    from ..data.statbank.client import Client
    from ..data.statbank.tables import TABLES
    from ..data.statbank.update import check_target, describe, fetch, plan, verify_build, write

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
        print(printable(line))
    if args.dry_run:
        print("(dry run: nothing fetched, nothing written)")
        return 0
    assert target is not None
    fetch(client, items)
    for f in items:
        written = write(target, f, _now(), verify=verify_build if f.table.used_by_build else None)
        print(printable(f"{f.table.id}: wrote {', '.join(written)}"))
    print(
        f"next: helsemodlite inputs build --inputs {target}   (then `inputs diff` against the "
        "old directory to see what the new data change)"
    )
    return 0


def _cmd_inputs_import(args: argparse.Namespace) -> int:
    from ..data.statbank.csvfile import download_url
    from ..data.statbank.tables import table
    from ..data.statbank.update import check_target, read_import, verify_build, write

    if args.url and (args.file is not None or args.inputs is not None):
        raise ConfigError(
            "inputs import: --url only prints the download addresses; run it without FILE and "
            "--inputs, then import the downloaded file without --url"
        )
    if args.url:
        t = table(args.table)
        print(
            f"{t.id} {t.title}: download one of these, then: helsemodlite inputs import FILE "
            f"--table {t.id} --inputs DIR"
        )
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
        print(printable(f"warning: {w}"), file=sys.stderr)
    check = verify_build if f.table.used_by_build else None
    written = write(target, f, _now(), verify=check, imported=Path(args.file).name)
    print(printable(f"{f.table.id}: wrote {', '.join(written)}"))
    print(f"next: helsemodlite inputs build --inputs {target}")
    return 0


def _cmd_inputs_diff(args: argparse.Namespace) -> int:
    import pandas as pd

    from ..api import project
    from ..data.statbank.diff import file_changes
    from ..io.build_record import build_note
    from ..io.read import calibration_note

    changes = file_changes(Path(args.old), Path(args.new))
    print(f"Filer som er endret fra {args.old} til {args.new}: {len(changes) or 'ingen'}")
    for c in changes:
        kind = {"added": "ny", "removed": "fjernet", "changed": "endret"}.get(c.kind, c.kind)
        print(printable(f"  {kind:<7} {c.path}"))
        for d in c.detail:
            print(printable(f"          {d}"))
    if args.targets is not None and args.calibration != "refit":
        raise ConfigError("inputs diff: --targets goes with --calibration refit")
    projs = []
    for d in (args.old, args.new):
        if args.calibration == "refit":
            from ..data.calibrate import refitted_inputs

            proj = project(inputs=refitted_inputs(Path(d), args.targets), detail=False)
        else:
            proj = project(inputs=d, detail=False)
            for note in (build_note(Path(d)), calibration_note(proj.inputs)):
                if note:
                    print(printable(f"note ({d}): {note}"), file=sys.stderr)
        projs.append(proj)
    how = (
        "kalibreringen tilpasset på nytt for hver mappe"
        + (f" (mål: {args.targets})" if args.targets else " (de publiserte målene)")
        if args.calibration == "refit"
        else "hver mappes lagrede kalibrering (keep): endringen er det de nye dataene gjør"
    )
    print(printable(f"\nKalibrering: {how}."))
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
            printable(render_gap_table(block, f"Referansebanens gap {y}: gammel og ny", header=""))
        )
        print()
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "inputs", help="check, build, export, update (from SSB), import or diff inputs directories"
    )
    isub = p.add_subparsers(dest="inputs_command", required=True, metavar="ACTION")
    c = isub.add_parser("check", help="validate an inputs directory")
    inputs_arg(c)
    c.set_defaults(func=_cmd_inputs_check, notes=MODEL_NOTES)
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
