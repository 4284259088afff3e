"""Reading and validating an inputs directory (the edge where data enter the model).

An inputs directory holds ``model/*.csv`` (model-ready arrays, see :mod:`helsemodlite.io.schema`)
and ``calibration/calibration.csv``. :func:`check_inputs` validates a directory and returns every
problem found, each naming file, column and line; :func:`load_inputs` validates and returns an
:class:`Inputs` of numpy arrays in the dimension order of :mod:`helsemodlite.dims`. Kernels trust
an :class:`Inputs`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import dims
from ..embedded import embedded_inputs_dir, inside_package, is_within_source_checkout
from ..errors import InputError
from ..model.inputs import CALIBRATION_FIELDS, Calibration, Inputs
from .atomic import current_umask, replace_dir
from .validate import (
    _read_all,
)


def default_inputs_dir() -> Path:
    """The embedded default data set, package data of the installed package
    (``helsemodlite/embedded/inputs``).

    ``HELSEMODLITE_INPUTS`` overrides it.
    """
    env = os.environ.get("HELSEMODLITE_INPUTS")
    if env:
        return Path(env)
    return embedded_inputs_dir()


def writable_inputs_dir(
    inputs_dir: str | Path | None, command: str, writes: tuple[str, ...] = ()
) -> Path:
    """The inputs directory a writing command (``inputs build``, ``calibrate``) may write into.

    The embedded data set is package data: it is never written to, also not through a symbolic
    link to it or to one of its folders (``writes`` names the folders the command writes), except
    by a maintainer working in a source checkout who names it with ``--inputs``.
    """
    if inputs_dir is None:
        raise InputError(
            f"{command} writes into an inputs directory: give --inputs DIR. The embedded data "
            "set is read-only; `helsemodlite inputs export DIR` copies it out as a starting point"
        )
    root = as_path(inputs_dir, "--inputs")
    if is_within_source_checkout():
        return root
    try:
        embedded = embedded_inputs_dir().resolve()
        targets = [root, *(root / w for w in writes)]
        inside = [t for t in targets if t.resolve() == embedded or embedded in t.resolve().parents]
    except (OSError, RuntimeError) as exc:
        raise InputError(f"--inputs {root}: cannot use this path ({exc})") from exc
    if inside:
        raise InputError(
            f"--inputs {root}: {inside[0]} is (or links into) the embedded data set inside the "
            f"installed package; {command} never writes there. Copy it with "
            "`helsemodlite inputs export DIR` and use DIR"
        )
    return root


def as_path(value: object, what: str) -> Path:
    """A usable path from a str or os.PathLike; anything else, a NUL byte, or a path the
    operating system refuses (too long, a symbolic-link loop) is an :class:`InputError`
    naming ``what``. A path that does not exist yet is fine."""
    if not isinstance(value, str | os.PathLike) or isinstance(value, bytes):
        raise InputError(f"{what}: expected a path (str or pathlib.Path), got {value!r}")
    text = os.fspath(value)
    if not isinstance(text, str) or "\x00" in text:
        raise InputError(f"{what}: {text!r} is not a usable path (it holds a NUL byte)")
    path = Path(text)
    try:
        os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        pass
    except OSError as exc:
        raise InputError(f"{what} {path}: cannot use this path ({exc.strerror})") from exc
    return path


def export_inputs(target: str | Path) -> Path:
    """Copy the embedded data set (sources, assumptions, model, calibration, the catalogue) to
    ``target``, which must not exist or be an empty directory. Written as a whole or not at all.
    """
    target = as_path(target, "export directory")
    try:
        if target.is_symlink() or (target.exists() and not target.is_dir()):
            raise InputError(f"{target}: exists and is not a directory")
        if target.is_dir() and any(target.iterdir()):
            raise InputError(
                f"{target}: is not empty; export writes a new directory and replaces nothing"
            )
        if inside_package(target):
            raise InputError(f"{target}: is inside the installed helsemodlite package")
        replace_dir(target, _copy_embedded)
    except shutil.Error as exc:  # copytree collects one error per file: name the first
        errors = exc.args[0] if exc.args and isinstance(exc.args[0], list) else []
        first = errors[0][2] if errors and len(errors[0]) == 3 else str(exc)[:200]
        raise InputError(
            f"{target}: cannot write there ({first}; {len(errors)} file(s) not copied); "
            "nothing was left behind"
        ) from exc
    except OSError as exc:
        raise InputError(f"{target}: cannot write there ({exc.strerror or exc})") from exc
    return target


def _copy_embedded(tmp: Path) -> None:
    """Copy the embedded data set into ``tmp`` as the user's own files: fresh permissions from
    the umask, not the (possibly read-only) modes of the installed package."""
    shutil.copytree(
        embedded_inputs_dir(),
        tmp,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("__pycache__", ".*"),
        copy_function=shutil.copyfile,
    )
    mask = current_umask()
    for path in [tmp, *tmp.rglob("*")]:
        path.chmod((0o777 if path.is_dir() else 0o666) & ~mask)


def check_model_texts(texts: dict[str, str], root: Path) -> list[str]:
    """Validate model files about to be written (name → CSV text) against the schemas, together
    with the calibration present in ``root`` (if any). Returns the problems found."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="helsemodlite-check-") as tmp:
        model = Path(tmp) / "model"
        model.mkdir()
        for name, text in texts.items():
            (model / name).write_text(text, encoding="utf-8", newline="")
        calibration = Path(root) / "calibration"
        calibrated = (calibration / "calibration.csv").is_file()
        if calibrated:
            shutil.copytree(calibration, Path(tmp) / "calibration")
        _, problems, _ = _read_all(Path(tmp), calibrated=calibrated)
    return problems


def check_inputs(inputs: str | Path | None = None) -> list[str]:
    """Validate an inputs directory. Returns the list of problems (empty = valid)."""
    directory = as_path(inputs, "inputs") if inputs is not None else default_inputs_dir()
    _, problems, _ = _read_all(directory)
    return problems


# --------------------------------------------------------------------------------------------
# To arrays


def _cube(
    df: pd.DataFrame, keys: list[str], coords: Sequence[Sequence[Any]], value: str
) -> np.ndarray:
    """Reshape a complete, unique long table into an array with the given coordinate order."""
    codes = [
        pd.Categorical(df[k], categories=list(c)).codes.astype(np.int64)
        for k, c in zip(keys, coords, strict=True)
    ]
    shape = tuple(len(c) for c in coords)
    flat = np.ravel_multi_index(codes, shape)
    out = np.empty(int(np.prod(shape)))
    out[flat] = df[value].to_numpy(dtype=float)
    return out.reshape(shape)


def load_inputs(
    inputs: str | Path | None = None,
    *,
    population: str | None = None,
    calibrated: bool = True,
) -> Inputs:
    """Read and validate an inputs directory (default: the embedded data set).

    The years (base year first) and the population alternatives are those of the population
    files. ``population`` picks the default alternative (default: the reference,
    :func:`reference_alternative`). ``calibrated=False`` skips ``calibration/calibration.csv``
    and uses neutral values (this is what the calibration step itself reads). Raises
    :class:`InputError` listing every problem.
    """
    directory = as_path(inputs, "inputs") if inputs is not None else default_inputs_dir()
    tables, problems, hashes = _read_all(directory, calibrated=calibrated)
    if problems:
        raise InputError(problems, title=f"invalid inputs directory {directory}")
    return inputs_from_tables(tables, directory=directory, population=population, hashes=hashes)


CALIBRATION_RECORD = "calibration/calibration.toml"
"""What a calibration was fitted to: targets, date, method and the sha256 of every model file
the fit read (``[fitted_inputs]``)."""


def read_calibration_record(directory: Path) -> dict[str, Any]:
    """The calibration record of an inputs directory ({} when there is none or it cannot be
    read: a record is documentation, never a reason to refuse a run)."""
    import tomllib

    path = directory / CALIBRATION_RECORD
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}


def calibration_record_problem(directory: Path) -> str | None:
    """Why the calibration record of a directory with one cannot be read (None: it can, or
    there is none)."""
    import tomllib

    path = directory / CALIBRATION_RECORD
    try:
        if path.is_file():
            tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return f"{path}: cannot be read ({exc})"
    return None


def fitted_inputs_changes(record: dict[str, Any], hashes: dict[str, str]) -> list[str] | None:
    """Model files whose content differs from the ones the calibration was fitted on (None
    when the record does not say what they were)."""
    fitted = record.get("fitted_inputs")
    if not isinstance(fitted, dict) or not fitted:
        return None
    current = {k: v for k, v in hashes.items() if not k.startswith("calibration/")}
    return sorted(k for k in set(current) | set(fitted) if current.get(k) != fitted.get(k))


def calibration_status(inputs: Inputs) -> dict[str, Any]:
    """Which calibration a projection used and whether its inputs are the ones it was fitted
    on (run.json records it; the CLI says so when they are not)."""
    if "calibration/calibration.csv" not in inputs.file_hashes:
        source = "none (neutral values)" if inputs.directory is not None else "given in Python"
        return {"calibration": source, "fitted_inputs_match": None}
    assert inputs.directory is not None
    record = read_calibration_record(inputs.directory)
    changed = fitted_inputs_changes(record, inputs.file_hashes)
    return {
        "calibration": "calibration/calibration.csv",
        "targets": record.get("targets"),
        "fitted_on": record.get("fitted_on"),
        "fitted_inputs_match": None if changed is None else not changed,
        "changed_since_fit": changed or [],
    }


def calibration_note(inputs: Inputs) -> str | None:
    """A note when the calibration was fitted on other inputs (the default: kept as it is), or
    when its record cannot be read (so that is not known)."""
    status = calibration_status(inputs)
    problem = (
        calibration_record_problem(inputs.directory)
        if status["calibration"] == "calibration/calibration.csv" and inputs.directory
        else None
    )
    if problem:
        return (
            f"{problem}; whether the calibration was fitted on these inputs is not known (the "
            "record is documentation: the parameters in calibration/calibration.csv are used)"
        )
    if status["fitted_inputs_match"] is not False:
        return None
    return (
        f"the calibration (fitted {status['fitted_on']} to {status['targets']}) was fitted on "
        f"other inputs; changed since: {', '.join(status['changed_since_fit'])}. It is kept, so "
        "the numbers show what the new data change; to refit see `helsemodlite calibrate --help`"
    )


def reference_alternative(alternatives: Sequence[str]) -> str:
    """SSB's main alternative ``MMMM`` when the inputs have it, else the first of the file."""
    return (
        dims.REFERENCE_POPULATION if dims.REFERENCE_POPULATION in alternatives else alternatives[0]
    )


def inputs_from_tables(
    tables: dict[str, pd.DataFrame],
    *,
    directory: Path | None = None,
    population: str | None = None,
    hashes: dict[str, str] | None = None,
) -> Inputs:
    """Build :class:`Inputs` from validated long tables (keys as in :mod:`schema`); the years
    and alternatives are those of ``population.csv`` (alternatives in file order)."""
    pop_df = tables["population.csv"]
    alts = list(dict.fromkeys(pop_df["alternative"]))
    if population is None:
        population = reference_alternative(alts)
    elif population not in alts:
        raise InputError(
            f"population alternative '{population}' is not in the inputs; they have "
            f"{', '.join(alts)}"
        )
    years = sorted(int(y) for y in set(pop_df["year"]))
    sexes = list(dims.SEXES)
    pop_ages, ages, groups = list(dims.POP_AGES), list(dims.AGES), list(dims.GROUPS)
    pop_keys = ["alternative", "year", "sex", "age"]
    pop_coords: list[Sequence[Any]] = [alts, years, sexes, pop_ages]
    personnel = tables["personnel.csv"]
    pkeys = ["group", "sex", "age"]
    pcoords: list[Sequence[Any]] = [groups, sexes, ages]

    def pcube(v: str) -> np.ndarray:
        return _cube(personnel, pkeys, pcoords, v)

    services_df = tables["services.csv"].sort_values("service", kind="stable")
    services = tuple(services_df["service"])
    params = tables["parameters.csv"]
    calib = tables.get("calibration.csv")
    calibration = (
        Calibration(*(_cube(calib, ["group"], [groups], name) for name in CALIBRATION_FIELDS))
        if calib is not None
        else Calibration.neutral(len(groups))
    )
    return Inputs(
        directory=directory,
        groups=tuple(groups),
        sexes=tuple(sexes),
        ages=tuple(ages),
        years=tuple(years),
        pop_ages=tuple(pop_ages),
        alternatives=tuple(alts),
        population_alternative=population,
        population=_cube(tables["population.csv"], pop_keys, pop_coords, "persons"),
        mortality=_cube(tables["mortality.csv"], pop_keys, pop_coords, "q"),
        births=_cube(tables["births.csv"], ["alternative", "year"], [alts, years], "births"),
        stock=pcube("stock"),
        p_work=pcube("p_work"),
        fte=pcube("fte"),
        fulltime_share=pcube("fulltime_share"),
        exit_rate=pcube("exit_rate"),
        graduates=pcube("graduates"),
        immigrants=pcube("immigrants"),
        sick_leave=pcube("sick_leave"),
        programme_years=_cube(tables["education.csv"], ["group"], [groups], "programme_years"),
        completion_rate=_cube(tables["education.csv"], ["group"], [groups], "completion_rate"),
        services=services,
        service_labels=tuple(services_df["label"]),
        service_arsverk=services_df["arsverk_2024"].to_numpy(dtype=float),
        service_driver=tuple(services_df["driver"].str.strip()),
        healthy_ageing=services_df["healthy_ageing"].to_numpy() > 0.5,
        public=services_df["public"].to_numpy() > 0.5,
        use=_cube(
            tables["service_use.csv"],
            ["service", "sex", "age"],
            [list(services), sexes, pop_ages],
            "use",
        ),
        staffing=_cube(
            tables["staffing.csv"],
            ["service", "category"],
            [list(services), list(dims.CATEGORIES)],
            "arsverk_2024",
        ),
        outside=dims.OUTSIDE,
        parameters={
            str(k): float(v) for k, v in zip(params["parameter"], params["value"], strict=True)
        },
        calibration=calibration,
        file_hashes=dict(sorted((hashes or {}).items())),
        transitions=_transitions(tables.get("transitions.csv"), groups),
    )


def _transitions(df: pd.DataFrame | None, groups: list[str]) -> np.ndarray | None:
    """(origin, group) shares from ``transitions.csv`` (checked), or None without the file."""
    if df is None:
        return None
    out = np.zeros((len(groups), len(groups)))
    for row in df.itertuples(index=False):
        origin = str(row.origin).strip()
        if origin:
            out[groups.index(origin), groups.index(row.group)] = float(row.share)
    return out
