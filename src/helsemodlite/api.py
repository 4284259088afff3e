"""The public entry points: load the inputs once (cached), compile scenarios to paths, run the
kernels, compare with the reference, and run scenarios to output files. Returns data; only
:mod:`helsemodlite.cli` prints."""

from __future__ import annotations

import hashlib
import numbers
import os
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from . import dims
from ._version import __version__
from .checks import switch, whole
from .errors import ConfigError, InputError
from .inverse import CostedSolution, Solution, solve_costed
from .inverse import solve as solve_lever
from .inverse.costed import DEFAULT_MAX_STEP
from .io.outputs import check_target, output_files, write_many, write_outputs
from .io.read import as_path, default_inputs_dir, load_inputs
from .io.schema import SCHEMAS
from .io.tables import (
    Projection,
    check_dialect,
    check_groups,
    check_variable,
    check_years,
    comparison_table,
    default_years,
)
from .model.inputs import Inputs
from .model.paths import ReferencePath, reference_demand_plan
from .model.run import run as run_kernels
from .scenarios.combine import COMBINED, SUM_OF_SINGLES, combine_with_notes
from .scenarios.compile import as_scenario, scenario_list, scenario_paths
from .scenarios.measures import REFERENCE_NAME
from .uncertainty.simulate import DEFAULT_CHUNK, Simulation
from .uncertainty.simulate import simulate as run_simulation
from .uncertainty.spec import SPEC_FILE, UncertaintySpec, read_spec, spec_from_dict

InputsLike = Inputs | str | Path | None


CACHE_SIZE = 8
"""Inputs directories kept loaded per process."""


@dataclass
class _Cached:
    stamp: tuple[object, ...]
    inputs: Inputs


_CACHE: OrderedDict[str, _Cached] = OrderedDict()


def _input_files(directory: Path) -> list[Path]:
    return [directory / s.folder / s.name for s in SCHEMAS]


def _file_stamp(directory: Path) -> tuple[object, ...]:
    """Identity of every file the loader reads: inode, size, mtime_ns and ctime_ns (ctime changes
    on every write, even one that restores the mtime, as ``cp -p``, ``rsync -a``, ``tar x`` do)."""
    out: list[object] = []
    for path in _input_files(directory):
        try:
            st = path.stat()
        except OSError:
            out.append(None)
            continue
        out.append((st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns))
    return tuple(out)


def _content_hashes(directory: Path) -> dict[str, str] | None:
    hashes = {}
    for path in _input_files(directory):
        try:
            hashes[path.relative_to(directory).as_posix()] = hashlib.sha256(
                path.read_bytes()
            ).hexdigest()
        except OSError:
            return None
    return hashes


def resolve_inputs(inputs: InputsLike = None) -> Inputs:
    """An :class:`Inputs` from an object, a directory, or the default data set.

    Loaded directories are cached per process. A cached entry is served while no input file's
    inode, size, mtime or ctime changed; when one did, the files are hashed and the entry is
    reused only if their content is unchanged, else the directory is reloaded. (Hashing on every
    call would cost as much as a projection.) Cached inputs are read-only.
    """
    if isinstance(inputs, Inputs):
        return inputs
    directory = as_path(inputs, "inputs") if inputs is not None else default_inputs_dir()
    try:
        key = str(directory.resolve())
    except (OSError, RuntimeError) as exc:
        raise InputError(f"{directory}: cannot use this inputs path ({exc})") from exc
    stamp = _file_stamp(directory)
    hit = _CACHE.get(key)
    if hit is not None and hit.stamp != stamp:
        hashes = _content_hashes(directory)
        hit = hit if hashes is not None and hashes == hit.inputs.file_hashes else None
        if hit is not None:
            hit.stamp = stamp
    if hit is None:
        hit = _Cached(stamp, load_inputs(directory))
        _CACHE[key] = hit
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    _CACHE.move_to_end(key)
    return hit.inputs


def clear_cache() -> None:
    """Forget every loaded inputs directory."""
    _CACHE.clear()


def run(
    inputs: Inputs,
    path: Any,
    plan: Any,
    names: tuple[str, ...],
    *,
    detail: bool,
    adjust: Any = None,
) -> Projection:
    """Run the kernels (:func:`helsemodlite.model.run.run`) and wrap the arrays as a
    :class:`Projection` with its tables."""
    data = run_kernels(inputs, path, plan, names, detail=detail, adjust=adjust)
    return Projection(**{f: getattr(data, f) for f in data.__dataclass_fields__})


def project(scenario: Any = None, *, inputs: InputsLike = None, detail: bool = True) -> Projection:
    """Project supply, demand and gap from the base year to the horizon.

    ``scenario``: None (the reference), a :class:`~helsemodlite.Scenario`, a path to a scenario
    TOML file, or a dict with the keys of such a file. ``inputs``: an :class:`Inputs`, an inputs
    directory, or None for the embedded default data set.
    """
    detail = switch(detail, "project: detail")
    inp = resolve_inputs(inputs)
    if scenario is None:
        return run(
            inp, ReferencePath(inp), reference_demand_plan(inp), ("referanse",), detail=detail
        )
    path, plan, names, adjust = scenario_paths(inp, [scenario])
    return run(inp, path, plan, names, detail=detail, adjust=adjust)


def project_batch(scenarios: Sequence[Any], *, inputs: InputsLike = None) -> Projection:
    """Project many scenarios as one vectorised batch (one draw per scenario).

    Returns one :class:`Projection` whose ``summary()`` has a leading ``scenario`` column and
    equals, row for row, the single runs. Cell detail is not kept (totals only).
    """
    inp = resolve_inputs(inputs)
    path, plan, names, adjust = scenario_paths(inp, scenario_list(scenarios, "project_batch"))
    proj = run(inp, path, plan, names, detail=False, adjust=adjust)
    proj.meta["batch"] = True  # summary() has its scenario column for a batch of one too
    return proj


@dataclass(frozen=True)
class Run:
    """One scenario run to files: the scenario, its projection and where it was written."""

    scenario: Any
    projection: Projection
    target: Path


def run_scenarios(
    scenarios: Sequence[Any],
    *,
    out: str | Path | None = None,
    inputs: InputsLike = None,
    labels: bool = False,
    dialect: str = "standard",
) -> list[Run]:
    """Run scenarios and write each one's outputs (what ``helsemodlite run`` does).

    Every scenario is validated and every target checked before anything is written. Targets:
    ``out`` for one scenario, ``out/<name>/`` for several, ``outputs/<name>/`` without ``out``.
    Two scenarios with one name are refused (both would write ``outputs/<name>/``).
    ``labels`` adds SSB's group labels, the unit and the ``is_total`` marker to the CSV files;
    ``dialect="excel-no"`` writes them for Norwegian Excel (``;``, decimal comma).
    """
    labels = switch(labels, "run_scenarios: labels")
    check_dialect(dialect)
    refs = scenario_list(scenarios, "run_scenarios")
    scs = [as_scenario(p) for p in refs]
    names = [s.name for s in scs]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        pairs = list(zip(refs, scs, strict=True))
        files = "; ".join(
            f"{n}: " + ", ".join(str(r) for r, s in pairs if s.name == n) for n in dup
        )
        raise ConfigError(
            f"scenario names must be unique, as each run writes outputs/<name>/ ({files}); "
            'give each file its own `name = "..."`'
        )
    impostors = [s.name for s in scs if s.name == REFERENCE_NAME and not s.is_reference]
    if impostors:
        raise ConfigError(
            f'scenario name "{REFERENCE_NAME}" is the reference path\'s; a scenario that changes '
            "something needs another name (it would be written to outputs/referanse/)"
        )
    if out is not None and not str(out).strip():
        raise ConfigError("--out: empty path; give a directory")
    if out is not None and len(scs) > 1:
        targets = [Path(out) / s.name for s in scs]
    else:
        targets = [Path(out) if out is not None else Path("outputs") / s.name for s in scs]
    for target in targets:
        check_target(target)
    inp = resolve_inputs(inputs)
    # Every scenario is projected before anything is written: one that fails (e.g. an unknown
    # service id, checked against the inputs) leaves every target as it was.
    projections = [project(sc, inputs=inp, detail=True) for sc in scs]
    contents = [
        output_files(proj, sc, labels=labels, dialect=dialect)
        for sc, proj in zip(scs, projections, strict=True)
    ]
    written = write_many(list(zip(targets, contents, strict=True)))  # all or none
    return [
        Run(sc, proj, target) for sc, proj, target in zip(scs, projections, written, strict=True)
    ]


def run_to_dir(
    scenario: Any,
    out: Path | None = None,
    *,
    inputs: InputsLike = None,
    outputs_root: Path | None = None,
) -> Path:
    """Run one scenario and write its outputs. Returns the output directory."""
    sc = as_scenario(scenario)
    root = as_out_path(outputs_root, "outputs_root") if outputs_root is not None else None
    target = as_out_path(out, "out") if out is not None else (root or Path("outputs")) / sc.name
    return write_outputs(project(sc, inputs=inputs, detail=True), sc, target)


def as_out_path(value: object, what: str) -> Path:
    """An output path from a str or os.PathLike; anything else is a :class:`ConfigError`."""
    if isinstance(value, str | os.PathLike) and not isinstance(value, bytes):
        return Path(value)
    raise ConfigError(f"{what}: expected a directory path (str or pathlib.Path), got {value!r}")


def compare(
    scenarios: Sequence[Any],
    *,
    combined: bool = False,
    inputs: InputsLike = None,
    years: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Effects against the reference: ``scenario, year, group, supply, demand, gap`` as changes
    (scenario − reference, årsverk), per group and Sum, for ``years``.

    With ``combined``, two more scenarios: all together in one projection (``kombinert``) and the
    plain sum of the single effects (``sum_enkelttiltak``) — their difference is the overlap.
    ``attrs["notes"]`` lists what a user must know (hooks merged per group in the
    combined run, capped task shifts).
    """
    combined = switch(combined, "compare: combined")
    inp = resolve_inputs(inputs)
    years = check_years(default_years(inp.years)[0] if years is None else years, inp.years)
    scs = [as_scenario(s) for s in scenario_list(scenarios, "compare")]
    names = [s.name for s in scs]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise ConfigError(
            f"scenario names must be unique; repeated: {', '.join(dup)} (give each its own name: "
            'name = "..." in the file, or Scenario.from_dict(..., name="..."))'
        )
    reserved = sorted({COMBINED, SUM_OF_SINGLES, REFERENCE_NAME} & set(names))
    if reserved:
        raise ConfigError(
            f"scenario name(s) {', '.join(reserved)} are reserved for the rows compare adds "
            "(kombinert, sum_enkelttiltak) and the reference; give the scenario another name"
        )
    batch = list(scs)
    notes: list[str] = []
    if combined:
        together, merged = combine_with_notes(scs, COMBINED)
        batch.append(together)
        notes += [f"combined run: {note}" for note in merged]
    ref = project(inputs=inp, detail=False).summary()
    proj = project_batch(batch, inputs=inp)
    notes += proj.notes
    summ = proj.summary(with_scenario=True)
    merged = summ.merge(ref, on=["year", "group"], suffixes=("", "_ref"))
    for col in ("supply", "demand", "gap"):
        merged[col] = merged[col] - merged[f"{col}_ref"]
    out = merged[merged["year"].isin(list(years))][
        ["scenario", "year", "group", "supply", "demand", "gap"]
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


def compare_table(
    comparison: pd.DataFrame, *, variable: str = "gap", groups: str | Sequence[str] | None = None
) -> pd.DataFrame:
    """One table of a :func:`compare` frame (what ``helsemodlite compare`` prints): a row per
    group and scenario (``kombinert`` and ``sum_enkelttiltak`` last within each group), a column
    per year, the change of ``variable`` (``supply``, ``demand`` or ``gap``; årsverk, scenario −
    reference, unrounded); columns ``group, scenario, <years…>, is_total``. ``groups``: one id,
    several, or ``Sum`` (the default)."""
    return comparison_table(comparison, variable=variable, groups=groups)


@dataclass(frozen=True)
class CompareRun:
    """What :func:`write_compare` computed and wrote: the frame of :func:`compare`, its table
    (:func:`compare_table`) and the folder."""

    comparison: pd.DataFrame
    table: pd.DataFrame
    target: Path


def write_compare(
    scenarios: Sequence[Any],
    out: str | Path,
    *,
    combined: bool = False,
    years: Sequence[int] | None = None,
    groups: str | Sequence[str] | None = None,
    variable: str = "gap",
    labels: bool = False,
    dialect: str = "standard",
    inputs: InputsLike = None,
) -> CompareRun:
    """:func:`compare` and :func:`compare_table`, written to the folder ``out`` (``helsemodlite
    compare --out``): ``compare.csv`` (the table), ``compare_long.csv`` (every group and
    variable), ``compare.xlsx`` (both, Norwegian headers, numbers as numbers) and ``run.json``.
    ``labels`` and ``dialect`` as :func:`run_scenarios`.

    Every argument is checked before anything is computed, and everything is computed before
    anything is written; ``out`` must be new, empty or a previous ``compare --out`` folder."""
    from .io.outputs import COMPARE_FILES
    from .report.compare import compare_files

    target = as_out_path(out, "out")
    check_target(target, COMPARE_FILES)
    labels = switch(labels, "write_compare: labels")
    check_dialect(dialect)
    check_variable(variable)
    inp = resolve_inputs(inputs)
    check_groups(groups, [*inp.groups, dims.SUM_LABEL])
    if years is not None:
        check_years(years, inp.years)
    refs = scenario_list(scenarios, "write_compare")
    df = compare(refs, combined=combined, inputs=inp, years=years)
    table = comparison_table(df, variable=variable, groups=groups)
    record = compare_record(inp, refs, df, table, combined=combined, labels=labels, dialect=dialect)
    record["command"] = _compare_command(refs, target, inputs, record)
    files = compare_files(df, table, record, labels=labels, dialect=dialect)
    written = write_many([(target, files)], allowed=COMPARE_FILES)[0]
    return CompareRun(df, table, written)


def compare_record(
    inp: Inputs,
    refs: Sequence[Any],
    comparison: pd.DataFrame,
    table: pd.DataFrame,
    *,
    combined: bool,
    labels: bool,
    dialect: str,
) -> dict[str, Any]:
    """run.json of a ``compare --out`` folder (no timestamps): enough to trace and re-run it."""
    from .io.outputs import _inputs_label, environment
    from .io.read import calibration_status

    return {
        "helsemodlite_version": __version__,
        "kind": "compare",
        "environment": environment(uses=("xlsxwriter",)),
        "scenarios": [as_scenario(r).to_dict() for r in refs],
        "combined": bool(combined),
        "years": [int(c) for c in table.columns if isinstance(c, int)],
        "groups": list(dict.fromkeys(str(g) for g in table["group"])),
        "variable": table.attrs["variable"],
        "csv": {"labels": bool(labels), "dialect": dialect},
        "inputs_directory": _inputs_label(inp.directory),
        "input_files_sha256": inp.file_hashes,
        "calibration": calibration_status(inp),
        "notes": list(comparison.attrs.get("notes", [])),
    }


def _compare_command(
    refs: Sequence[Any], target: Path, inputs: InputsLike, record: dict[str, Any]
) -> str:
    """The command that writes the same folder (a scenario given in Python as ``NAME.toml``)."""
    import shlex

    args = ["helsemodlite", "compare"]
    for ref in refs:
        if isinstance(ref, str | os.PathLike) and not isinstance(ref, bytes):
            args.append(os.fspath(ref))
        else:
            sc = as_scenario(ref)
            source = None if sc.source is None else os.fspath(sc.source)
            if source is None:
                args.append(f"{sc.name}.toml")
            else:
                args.append(sc.name if source.startswith("shipped:") else source)
    if record["combined"]:
        args.append("--combined")
    args += ["--group", *record["groups"], "--years", *map(str, record["years"])]
    args += ["--variable", record["variable"], "--out", os.fspath(target)]
    if record["csv"]["labels"]:
        args.append("--labels")
    if record["csv"]["dialect"] != "standard":
        args += ["--dialect", record["csv"]["dialect"]]
    if isinstance(inputs, str | os.PathLike):
        args += ["--inputs", os.fspath(inputs)]
    return shlex.join(args)


def supply_effect_by_age(scenario: Any, *, inputs: InputsLike = None) -> pd.DataFrame:
    """Where a scenario's supply effect acts: ``year, group, age_band, source, value``, the
    scenario's :meth:`Projection.supply_by_source` minus the reference's (årsverk). An inflow
    measure shows in ``utdannede`` or ``innvandrere`` at the ages its extra graduates or
    immigrants have reached; a measure on P, E or sick leave in ``tiltak_tilbud`` (+1 year of
    exit age: from 60 only). Summed over bands and sources it is the supply column of
    :func:`compare` for every group and year."""
    inp = resolve_inputs(inputs)
    keys = ["year", "group", "age_band", "source"]
    mine = project(scenario, inputs=inp, detail=False).supply_by_source()
    ref = project(inputs=inp, detail=False).supply_by_source()
    both = mine.merge(ref, on=keys, suffixes=("", "_ref"), validate="one_to_one")
    both["value"] = both["value"] - both["value_ref"]
    return both[[*keys, "value"]]


REPORT_DRAWS = 500
"""Monte Carlo draws of a report's fan charts (``--draws 0``: none)."""


def write_report(
    scenarios: Sequence[Any] = (),
    out: str | Path = "",
    *,
    inputs: InputsLike = None,
    draws: int = REPORT_DRAWS,
    seed: int = 0,
    year: int = 2040,
    horizon: int = 2040,
    svg: bool = False,
) -> Path:
    """Write a report folder (``helsemodlite report``; docs/report.md): ``report.html`` (one
    self-contained file), every chart as PNG (with ``svg`` also as SVG), ``report.xlsx`` and
    ``run.json``, for the reference and each of ``scenarios`` (shipped names, files, dicts or
    Scenarios; none: the reference run alone). ``draws`` Monte Carlo draws from ``seed`` for
    the fan charts (0: none); ``year``: the year of the waterfall and the effects chart;
    ``horizon``: the last year of the paths.

    Everything is checked and computed before anything is written; the folder is written whole
    to a temporary sibling and swapped into place. ``out`` must be new, empty or a previous
    report folder (never another directory). Returns ``out``."""
    from .report.build import ALL_REPORT_FILES, ReportInputs, ScenarioRun, report_files
    from .report.provenance import collect

    if isinstance(out, str) and not out.strip():  # Path("") would be the current directory
        raise ConfigError(
            "report: the output folder (--out) is empty; give a directory, e.g. rapport"
        )
    target = as_out_path(out, "out")
    refs = (
        []
        if isinstance(scenarios, Sequence) and not scenarios
        else scenario_list(scenarios, "write_report")
    )
    draws, seed, year, horizon = (
        whole(v, f"report: {name}")
        for name, v in (("draws", draws), ("seed", seed), ("year", year), ("horizon", horizon))
    )
    svg = switch(svg, "report: svg")
    if draws < 0 or seed < 0:
        raise ConfigError(f"report: draws and seed must be ≥ 0, got {draws} and {seed}")
    if 0 < draws < MIN_REPORT_DRAWS:
        raise ConfigError(
            f"report: {draws} draws give no meaningful bands; give at least {MIN_REPORT_DRAWS} "
            "(the default is 500), or 0 for a report without the uncertainty section"
        )
    check_target(target, ALL_REPORT_FILES)
    scs = _report_scenarios(refs)
    inp = resolve_inputs(inputs)
    check_years((year, horizon), inp.years)
    if not inp.years[0] < year <= horizon or horizon <= inp.years[0]:
        raise ConfigError(
            f"report: the year of the effects ({year}) must lie after the base year "
            f"{inp.years[0]} and not after the last year of the paths (horizon {horizon})"
        )
    years = tuple(dict.fromkeys([*default_years(inp.years)[0], year]))
    reference = project(inputs=inp, detail=True)
    runs = [
        ScenarioRun(sc, project(sc, inputs=inp, detail=True), _scenario_text(ref, sc))
        for ref, sc in zip(refs, scs, strict=True)
    ]
    apart = _why_not_together(scs)
    comparison = (
        compare(scs, combined=len(scs) > 1 and not apart, inputs=inp, years=sorted(years))
        if scs
        else None
    )
    if comparison is not None and apart:
        comparison.attrs["notes"] = [
            *comparison.attrs.get("notes", []),
            f"Tiltakene er ikke kjørt samlet i én framskriving ({apart}); de vises hver for "
            "seg, uten «alle tiltak samlet».",
        ]
    sim, combined_sim = _report_simulations([] if apart else scs, inp, draws, seed)
    settings = {
        "Trekk (Monte Carlo)": draws,
        "Startverdi (seed)": seed,
        "År for drivere og virkninger": year,
        "Siste år i figurene": horizon,
    }
    command = _report_command(refs, scs, target, inputs, draws, seed, year, horizon, svg)
    data = ReportInputs(
        reference=reference,
        runs=runs,
        comparison=comparison,
        simulation=sim,
        combined_simulation=combined_sim,
        provenance=collect(inp, command, settings),
        year=year,
        horizon=horizon,
        svg=svg,
        titles={sc.name: sc.title for sc in scs},
    )
    return write_many([(target, report_files(data))], allowed=ALL_REPORT_FILES)[0]


MIN_REPORT_DRAWS = 20
"""Fewer draws give quantiles that mean nothing (1 draw is the reference itself)."""


def _why_not_together(scs: Sequence[Any]) -> str:
    """Why the scenarios cannot run as one projection (variants of one measure, two population
    alternatives), or "" when they can: the report then shows them side by side only."""
    from .scenarios.combine import combine

    if len(scs) < 2:
        return ""
    try:
        combine(scs)
    except ConfigError as exc:
        return str(exc)
    return ""


def _report_scenarios(refs: Sequence[Any]) -> list[Any]:
    """The report's scenarios, validated, with unique names that are not the reserved ones."""
    scs = [as_scenario(r) for r in refs]
    names = [s.name for s in scs]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ConfigError(f"report: scenario names must be unique; repeated: {', '.join(dup)}")
    reserved = sorted({COMBINED, SUM_OF_SINGLES, REFERENCE_NAME} & set(names))
    if reserved:
        raise ConfigError(
            f"report: scenario name(s) {', '.join(reserved)} are reserved for the reference and "
            "the rows a report adds (kombinert, sum_enkelttiltak); give the scenario another name"
        )
    return scs


def _scenario_text(ref: Any, sc: Any) -> str:
    """The text of the file that defines a scenario (its TOML when it was given in Python)."""
    from .scenarios.files import locate_scenario

    try:
        if isinstance(ref, str | os.PathLike) and not isinstance(ref, bytes):
            return locate_scenario(ref).read_text(encoding="utf-8")
        if sc.source is not None:
            return Path(sc.source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        pass
    return str(sc.to_toml())


def _report_simulations(
    scs: Sequence[Any], inp: Inputs, draws: int, seed: int
) -> tuple[Simulation | None, Simulation | None]:
    """Monte Carlo of the reference and of all measures together (None without draws)."""
    from dataclasses import replace

    from .scenarios.combine import combine

    if draws == 0:
        return None, None
    spec = uncertainty_spec(inp)
    if not scs:
        return simulate(None, draws=draws, seed=seed, inputs=inp, spec=spec), None
    together = scs[0] if len(scs) == 1 else combine(scs)
    both = simulate(together, draws=draws, seed=seed, inputs=inp, spec=spec)
    if together.hooks().get("befolkning") is not None or both.effect_supply is None:
        # A befolkning scenario pairs with a reference of its own alternative: run it apart.
        return simulate(None, draws=draws, seed=seed, inputs=inp, spec=spec), both
    # The paired run holds the reference on the same draws: one Monte Carlo run, not two.
    assert both.effect_demand is not None
    reference = replace(
        both,
        supply=both.supply - both.effect_supply,
        demand=both.demand - both.effect_demand,
        effect_supply=None,
        effect_demand=None,
        scenario=REFERENCE_NAME,
    )
    return reference, both


def _report_command(
    refs: Sequence[Any],
    scs: Sequence[Any],
    target: Path,
    inputs: InputsLike,
    draws: int,
    seed: int,
    year: int,
    horizon: int,
    svg: bool,
) -> str:
    """The command that writes the same report: shipped names and paths as given; a scenario
    given in Python as ``NAME.toml`` (the report shows its text, to be saved under that name)."""
    import shlex

    args = ["helsemodlite", "report"]
    for ref, sc in zip(refs, scs, strict=True):
        if isinstance(ref, str | os.PathLike) and not isinstance(ref, bytes):
            args.append(os.fspath(ref))
        elif sc.source is not None:
            args.append(os.fspath(sc.source))
        else:
            args.append(f"{sc.name}.toml")
    args += ["--out", os.fspath(target)]
    if isinstance(inputs, str | os.PathLike):
        args += ["--inputs", os.fspath(inputs)]
    for flag, value, default in (
        ("--draws", draws, REPORT_DRAWS),
        ("--seed", seed, 0),
        ("--year", year, 2040),
        ("--horizon", horizon, 2040),
    ):
        if value != default:
            args += [flag, str(value)]
    if svg:
        args.append("--svg")
    return shlex.join(args)


def uncertainty_spec(inputs: InputsLike = None, spec: Any = None) -> UncertaintySpec:
    """The declared uncertainty: ``spec`` (an :class:`UncertaintySpec`, a TOML path, or a dict
    with the tables of such a file), else the
    inputs directory's ``assumptions/uncertainty.toml``, else the embedded data set's."""
    if isinstance(spec, UncertaintySpec):
        return spec
    inp = resolve_inputs(inputs)
    if isinstance(spec, dict):
        return spec_from_dict(
            spec, inp.groups, inp.alternatives, "simulate(spec={...})", _reference_alt(inp)
        )
    if spec is not None:
        path = as_path(spec, "simulate: spec")
    else:
        own = None if inp.directory is None else Path(inp.directory) / SPEC_FILE
        path = own if own is not None and own.is_file() else default_inputs_dir() / SPEC_FILE
    return read_spec(path, inp.groups, inp.alternatives, _reference_alt(inp))


def _reference_alt(inp: Inputs) -> str:
    return str(inp.alternatives[inp.alternative_index])


def simulate(
    scenario: Any = None,
    *,
    draws: int = 1000,
    seed: int = 0,
    inputs: InputsLike = None,
    spec: Any = None,
    chunk: int = DEFAULT_CHUNK,
    progress: Any = None,
    method: str = "auto",
    executor: Any = None,
) -> Simulation:
    """Monte Carlo over the declared uncertainty (docs/uncertainty.md): ``draws`` draws from
    ``seed``, draw 0 the reference inputs, run in chunks of ``chunk`` on the batch axis. With a
    scenario, the same draws run with and without its measures (``effect_quantiles()``).
    ``spec``: see :func:`uncertainty_spec`. ``progress(done, total)`` is called per chunk.
    ``method``: ``auto`` (supply as a weighted sum of component projections where exact, the
    year loop elsewhere) or ``loop`` (the year loop for every draw). ``executor``: None (this
    process), a number of local processes, or a ``concurrent.futures`` executor or
    ``dask.distributed.Client``; the same numbers whichever."""
    inp = resolve_inputs(inputs)
    sc = None if scenario is None else as_scenario(scenario)
    return run_simulation(
        inp,
        uncertainty_spec(inp, spec),
        sc,
        draws=draws,
        seed=seed,
        chunk=chunk,
        progress=progress,
        method=method,
        executor=executor,
    )


def sobol(
    scenario: Any = None,
    *,
    n: int = 1000,
    seed: int = 0,
    year: int = 2040,
    inputs: InputsLike = None,
    spec: Any = None,
    chunk: int = DEFAULT_CHUNK,
    executor: Any = None,
) -> pd.DataFrame:
    """Sobol indices of the gap in ``year`` per group and the Sum (docs/uncertainty.md): first
    order ``S1`` and total ``ST`` of every declared input, with bootstrap 95 % intervals, from
    a design of its own (``n·(k + 2)`` projections for k inputs with a width)."""
    from .uncertainty.sobol import sobol as run_sobol

    inp = resolve_inputs(inputs)
    sc = None if scenario is None else as_scenario(scenario)
    return run_sobol(
        inp,
        uncertainty_spec(inp, spec),
        sc,
        n=n,
        seed=seed,
        year=year,
        chunk=chunk,
        executor=executor,
    )


_UNSET: Any = object()


def solve(
    lever: str | Sequence[str] = "graduates",
    group: str | Sequence[str] = "sykepleier",
    target_year: int = 2035,
    target_gap: float = 0.0,
    start_year: int | None = None,
    *,
    inputs: InputsLike = None,
    costs: Mapping[str, float] | None = None,
    max_step: float | None = _UNSET,
    until: int | None = None,
) -> Solution | CostedSolution:
    """What it takes (docs/solve.md).

    Without ``costs``: the one constant value of ``lever`` (graduates, immigrants,
    stillingsprosent, avgangsalder, study_places) per group, from ``start_year`` (default: the
    first projection year), that makes the group's gap in ``target_year`` equal ``target_gap``.
    Returns a :class:`~helsemodlite.inverse.Solution`: ``.scenario`` (reproduces it exactly,
    also through ``to_toml()``), ``.values``, ``.gaps`` and ``.reference`` (year × group).

    With ``costs`` (lever → relative cost; one or several levers): the cheapest plan, year by
    year, that keeps the gap at least ``target_gap`` in every year from ``target_year`` to
    ``until`` (default 2040), each inflow lever changing by at most ``max_step`` a year
    (default 0.05; None: unbounded). Returns a :class:`~helsemodlite.inverse.CostedSolution`
    (``.plan``, ``.total_cost``, ``.scenario``, ``.gaps``)."""
    groups = _names("group", group)
    levers = _names("lever", lever)
    target_year = _whole("target_year", target_year)
    start_year = None if start_year is None else _whole("start_year", start_year)
    until = None if until is None else _whole("until", until)
    if isinstance(target_gap, bool) or not isinstance(target_gap, numbers.Real):
        raise ConfigError(f"solve: target_gap must be a number of årsverk, got {target_gap!r}")
    inp = resolve_inputs(inputs)
    if costs is None:
        given = [
            k for k, v in (("max_step", max_step), ("until", until)) if v not in (_UNSET, None)
        ]
        if given:
            raise ConfigError(
                f"solve: {' and '.join(given)} belong to the costed plan; give costs "
                '(costs={"graduates": 1.0}) or leave them out'
            )
        if len(levers) != 1:
            raise ConfigError(
                f"solve: several levers ({', '.join(map(str, levers))}) need relative costs "
                '(costs={"graduates": 1.0, "immigrants": 1.5}) to be weighed against each other'
            )
        return solve_lever(inp, levers[0], groups, target_year, float(target_gap), start_year)
    return solve_costed(
        inp,
        levers,
        groups,
        target_year,
        float(target_gap),
        start_year,
        costs=dict(costs) if isinstance(costs, Mapping) else costs,
        max_step=DEFAULT_MAX_STEP if max_step is _UNSET else max_step,
        until=until,
    )


def _names(what: str, value: Any) -> list[str]:
    """One id or a sequence of ids, each a string, without repeats."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, Sequence) or not items or not all(isinstance(x, str) for x in items):
        raise ConfigError(f"solve: {what} must be an id or a list of ids, got {value!r}")
    return list(dict.fromkeys(items))


def _whole(what: str, value: Any) -> int:
    """A year: a whole number (not a bool, not 2035.5, not "2035"; np.int64 and 2035.0 are)."""
    return whole(value, f"solve: {what}", noun="whole year")
