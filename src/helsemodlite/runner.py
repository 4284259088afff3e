"""Running scenarios to files, comparing them with the reference, and their CLI commands.

Outputs of one run (``outputs/<scenario>/`` by default): ``summary.csv`` (scenario, year, group,
supply, demand, gap), ``detail.parquet`` (long schema), ``gap_table.csv`` and ``run.json`` (the
resolved scenario, package version and a hash of every input file; no timestamps, so two runs give
identical files). A directory is written in full to a temporary sibling and then swapped into
place, so an existing output directory is never half overwritten.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from . import __version__, dims
from .api import InputsLike, project, project_batch, resolve_inputs, scenario_list
from .atomic import recover, write_dir
from .build import to_csv_text
from .errors import ConfigError
from .projection import Projection, check_years

COMBINED = "kombinert"
SUM_OF_SINGLES = "sum_enkelttiltak"
_PROVENANCE_KEYS = ("source", "baseline_chain")


def _scenario(obj: Any) -> Any:
    from .hooks import _as_scenario

    return _as_scenario(obj)


def summary_csv(proj: Projection, draw: int = 0) -> str:
    """summary.csv text: fixed column order, row order (year, group) and float format."""
    frame = proj.summary(with_scenario=True)
    frame = frame[frame["scenario"] == proj.scenarios[draw]]
    return to_csv_text(frame.reset_index(drop=True))


def gap_table_csv(proj: Projection, draw: int = 0) -> str:
    table = proj.gap_table(draw=draw, labels=False)
    table.columns = [str(c) for c in table.columns]
    return table.to_csv(float_format="%.6f", lineterminator="\n")


def _inputs_label(directory: Path | None) -> str | None:
    """The embedded data set is named as such (so run.json does not depend on the machine)."""
    from .inputs import default_inputs_dir

    if directory is None:
        return None
    if Path(directory).resolve() == default_inputs_dir().resolve():
        return "embedded default (helsemodlite inputs/)"
    return str(directory)


_RECORDED_PACKAGES = ("numpy", "pandas", "pyarrow", "scipy", "statsmodels")


def environment() -> dict[str, str]:
    """Versions that can change a result: Python and the numerical libraries (scipy and
    statsmodels where this process loaded them)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in _RECORDED_PACKAGES:
        if name in ("scipy", "statsmodels") and name not in sys.modules:
            continue
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            continue
    return out


def run_record(proj: Projection, scenario: Any) -> dict[str, Any]:
    """What run.json holds: enough to trace and re-run a result (no timestamps)."""
    inp = proj.inputs
    return {
        "helsemodlite_version": __version__,
        "environment": environment(),
        "scenario": scenario.to_dict(),
        "inputs_directory": _inputs_label(inp.directory),
        "input_files_sha256": inp.file_hashes,
        "population_alternative_default": inp.population_alternative,
        "years": [inp.years[0], inp.years[-1]],
        "outputs": list(OUTPUT_FILES),
        "notes": proj.notes,
    }


OUTPUT_FILES = ("summary.csv", "detail.parquet", "gap_table.csv", "run.json")


def _check_target(target: Path) -> None:
    """Only a missing path, an empty directory or a previous run's output may be replaced."""
    text = os.fspath(target)
    if not text.strip():
        raise ConfigError("--out: empty path; give a directory")
    try:
        resolved = Path(target).resolve()
        cwd = Path.cwd().resolve()
        if resolved == cwd or resolved in cwd.parents:
            raise ConfigError(
                f"--out {target}: is the current directory or one of its parents; "
                "give a new subdirectory, e.g. --out outputs/mitt_scenario"
            )
        recover(Path(target))
        if target.is_symlink() or (target.exists() and not target.is_dir()):
            raise ConfigError(f"--out {target}: exists and is not a directory; give a directory")
        if target.is_dir():
            foreign = sorted(p.name for p in target.iterdir() if p.name not in OUTPUT_FILES)
            if foreign:
                shown = ", ".join(foreign[:5]) + (" …" if len(foreign) > 5 else "")
                raise ConfigError(
                    f"--out {target}: the directory holds files that are not helsemodlite "
                    f"outputs ({shown}); refusing to replace it. Give a new or empty directory, "
                    "or a previous run's output directory."
                )
    except OSError as exc:
        raise ConfigError(f"--out {target}: cannot use this path ({_reason(exc)})") from exc


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _write_dir_atomically(target: Path, files: dict[str, bytes]) -> None:
    """Write ``files`` into ``target`` as a whole (see :mod:`helsemodlite.atomic`).

    If anything fails, the previous content of ``target`` is left (or put back) in place.
    """
    _check_target(target)
    try:
        write_dir(target, files)
    except OSError as exc:
        raise ConfigError(f"--out {target}: cannot write there ({_reason(exc)})") from exc


def write_outputs(proj: Projection, scenario: Any, target: Path) -> Path:
    """Write the four outputs of a single-scenario projection (with detail) into ``target``."""
    import io

    buf = io.BytesIO()
    detail = proj.detail()
    detail.insert(0, "scenario", scenario.name)
    detail.to_parquet(buf, index=False)
    files = {
        "summary.csv": summary_csv(proj).encode(),
        "detail.parquet": buf.getvalue(),
        "gap_table.csv": gap_table_csv(proj).encode(),
        "run.json": (
            json.dumps(run_record(proj, scenario), ensure_ascii=False, indent=2) + "\n"
        ).encode(),
    }
    _write_dir_atomically(Path(target), files)
    return Path(target)


def run_to_dir(
    scenario: Any,
    out: Path | None = None,
    *,
    inputs: InputsLike = None,
    outputs_root: Path | None = None,
) -> Path:
    """Run one scenario and write its outputs. Returns the output directory."""
    sc = _scenario(scenario)
    target = out if out is not None else (outputs_root or Path("outputs")) / sc.name
    return write_outputs(project(sc, inputs=inputs, detail=True), sc, Path(target))


def _combine(scenarios: Sequence[Any], name: str) -> tuple[Any, list[str]]:
    """The combined scenario, and a note for every table a later scenario replaced."""
    from .scenario import Scenario

    merged: dict[str, Any] = {}
    owner: dict[str, str] = {}
    replaced: list[str] = []
    for obj in scenarios:
        sc = _scenario(obj)
        for key, value in sc.to_dict().items():
            if key in _PROVENANCE_KEYS or key in ("name", "title", "description", "baseline"):
                continue
            if key == "oppgavedeling":
                merged.setdefault(key, []).extend(value)
                continue
            if key in merged and merged[key] != value:
                replaced.append(f"[{key}] of {owner[key]} replaced by {sc.name}")
            merged[key] = value
            owner[key] = sc.name
    merged["title"] = "Kombinert: " + ", ".join(_scenario(s).name for s in scenarios)
    merged["description"] = (
        "All scenarios in one projection; a later scenario's table "
        "replaces an earlier one's. " + "; ".join(replaced)
    ).strip()
    return Scenario.from_dict(merged, name=name), replaced


def combine(scenarios: Sequence[Any], name: str = COMBINED) -> Any:
    """One scenario with the hooks of all: a later scenario's table replaces an earlier one's
    (as when stacking reforms); ``oppgavedeling`` entries are concatenated."""
    return _combine(scenarios, name)[0]


def compare(
    scenarios: Sequence[Any],
    *,
    combined: bool = False,
    inputs: InputsLike = None,
    years: Sequence[int] = dims.GAP_TABLE_YEARS,
) -> pd.DataFrame:
    """Effects against the reference: ``scenario, group, year, supply, demand, gap`` as changes
    (scenario − reference, årsverk), per group and Sum, for ``years``.

    With ``combined``, two more scenarios: all together in one projection (``kombinert``) and the
    plain sum of the single effects (``sum_enkelttiltak``) — their difference is the overlap.
    ``attrs["notes"]`` lists what a user must know (tables a later scenario replaced in the
    combined run, capped task shifts).
    """
    inp = resolve_inputs(inputs)
    years = check_years(years, inp.years)
    scs = [_scenario(s) for s in scenario_list(scenarios, "compare")]
    names = [s.name for s in scs]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise ConfigError(f"scenario names must be unique; repeated: {', '.join(dup)}")
    batch = list(scs)
    notes: list[str] = []
    if combined:
        together, replaced = _combine(scs, COMBINED)
        batch.append(together)
        notes += [f"combined run: {note}" for note in replaced]
    ref = project(inputs=inp, detail=False).summary()
    proj = project_batch(batch, inputs=inp)
    notes += proj.notes
    summ = proj.summary(with_scenario=True)
    merged = summ.merge(ref, on=["year", "group"], suffixes=("", "_ref"))
    for col in ("supply", "demand", "gap"):
        merged[col] = merged[col] - merged[f"{col}_ref"]
    out = merged[merged["year"].isin(list(years))][
        ["scenario", "group", "year", "supply", "demand", "gap"]
    ]
    if combined:
        singles = (
            out[out.scenario.isin(names)]
            .groupby(["group", "year"], sort=False)[["supply", "demand", "gap"]]
            .sum()
            .reset_index()
        )
        singles.insert(0, "scenario", SUM_OF_SINGLES)
        out = pd.concat([out, singles], ignore_index=True)
    order = {g: i for i, g in enumerate([*dims.PUBLICATION_ORDER, dims.SUM_LABEL])}
    sc_order = {n: i for i, n in enumerate([*names, COMBINED, SUM_OF_SINGLES])}
    out = (
        out.assign(_s=out.scenario.map(sc_order), _g=out.group.map(order))
        .sort_values(["_s", "_g", "year"], kind="stable")
        .drop(columns=["_s", "_g"])
    ).reset_index(drop=True)
    out.attrs["notes"] = notes
    return out


# ------------------------------------------------------------------------------------------------
# CLI


def cmd_run(args: argparse.Namespace) -> int:
    from .cli import render_gap_table

    scs = [_scenario(p) for p in args.scenarios]  # validate every file before writing anything
    names = [s.name for s in scs]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        files = "; ".join(
            f"{n}: "
            + ", ".join(str(a) for a, s in zip(args.scenarios, scs, strict=True) if s.name == n)
            for n in dup
        )
        raise ConfigError(
            f"scenario names must be unique, as each run writes outputs/<name>/ ({files}); "
            'give each file its own `name = "..."`'
        )
    if args.out is not None and not args.out.strip():
        raise ConfigError("--out: empty path; give a directory")
    if args.out is not None and len(scs) > 1:
        outs = [Path(args.out) / s.name for s in scs]
    else:
        outs = [Path(args.out) if args.out is not None else Path("outputs") / s.name for s in scs]
    for out in outs:
        _check_target(out)
    inputs = resolve_inputs(args.inputs)
    for sc, out in zip(scs, outs, strict=True):
        proj = project(sc, inputs=inputs, detail=True)
        target = write_outputs(proj, sc, out)
        print_notes(proj.notes)
        if not args.quiet:
            print(render_gap_table(proj.gap_table(), f"Scenario: {sc.name} — {sc.title}"))
            print(f"→ {target}/\n")
    return 0


def print_notes(notes: Sequence[str]) -> None:
    for note in notes:
        print(f"helsemodlite: note: {note}", file=sys.stderr)


def render_compare(df: pd.DataFrame, variable: str = "gap") -> str:
    """Wide text table: rows scenario × group, columns years, the chosen variable."""
    from .cli import format_arsverk

    wide = df.pivot_table(index=["scenario", "group"], columns="year", values=variable, sort=False)
    lines = []
    label_w = max(len(str(g)) for g in dims.GROUP_LABELS.values())
    for scenario, block in wide.groupby(level=0, sort=False):
        what = {"supply": "tilbud", "demand": "etterspørsel", "gap": "gap"}[variable]
        lines.append(f"\n{scenario}  (endring i {what} mot referansebanen, årsverk)")
        lines.append("".ljust(label_w) + "".join(str(y).rjust(9) for y in wide.columns))
        for (_, group), row in block.iterrows():
            lines.append(
                dims.group_label(str(group)).ljust(label_w)
                + "".join(format_arsverk(v).rjust(9) for v in row)
            )
    return "\n".join(lines)


def cmd_compare(args: argparse.Namespace) -> int:
    df = compare(args.scenarios, combined=args.combined, inputs=args.inputs)
    print_notes(df.attrs.get("notes", []))
    if args.csv:
        sys.stdout.write(to_csv_text(df))
        return 0
    sums = df[df.group == dims.SUM_LABEL] if not args.groups else df
    print(
        "Virkning mot referansebanen (negativt gap = underskudd). Tilbud, etterspørsel og "
        "gap, 14 grupper, årsverk."
    )
    for variable in ("supply", "demand", "gap"):
        print(render_compare(sums, variable))

    if args.combined:
        overlap = df[(df.group == dims.SUM_LABEL)].pivot_table(
            index="scenario", columns="year", values="gap", sort=False
        )
        diff = overlap.loc[COMBINED] - overlap.loc[SUM_OF_SINGLES]
        print(
            "\nOverlapp (kombinert − sum av enkelttiltak), gap: "
            + ", ".join(f"{y}: {v:,.0f}".replace(",", " ") for y, v in diff.items())
        )
    return 0
