"""Reading and validating an inputs directory (the edge where data enter the model).

An inputs directory holds ``model/*.csv`` (model-ready arrays, see :mod:`helsemodlite.schema`)
and ``calibration/calibration.csv``. :func:`check_inputs` validates a directory and returns every
problem found, each naming file, column and line; :func:`load_inputs` validates and returns an
:class:`Inputs` of numpy arrays in the dimension order of :mod:`helsemodlite.dims`. Kernels trust
an :class:`Inputs`.
"""

from __future__ import annotations

import errno
import hashlib
import math
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import dims
from ..embedded import embedded_inputs_dir, is_within_source_checkout
from ..errors import InputError
from ..model.inputs import Calibration, Inputs
from .atomic import current_umask, replace_dir
from .schema import MAX_COUNT, MAX_VALUE, REQUIRED_PARAMETERS, SCHEMAS, FileSchema

MAX_REPORTED_ROWS = 5
"""At most this many offending lines are listed per file and rule (then a count)."""

DRIVERS = ("population", "births")

KIND_BOUNDS: dict[str, tuple[float, float]] = {
    "count": (0.0, MAX_COUNT),
    "positive": (0.0, MAX_COUNT),
    "rate": (0.0, 1.0),
    "nonneg": (0.0, MAX_VALUE),
    "real": (-MAX_VALUE, MAX_VALUE),
    "flag": (0.0, 1.0),
}
"""Bounds of each value kind (see :mod:`helsemodlite.schema`); ``positive`` excludes 0."""

KIND_TEXT = {
    "count": "a count of persons or årsverk",
    "positive": "a strictly positive count",
    "rate": "a rate",
    "nonneg": "a non-negative value",
    "real": "a value",
    "flag": "a flag",
}


def default_inputs_dir() -> Path:
    """The embedded default data set, package data of the installed package
    (``helsemodlite/embedded/inputs``).

    ``HELSEMODLITE_INPUTS`` overrides it.
    """
    env = os.environ.get("HELSEMODLITE_INPUTS")
    if env:
        return Path(env)
    return embedded_inputs_dir()


def writable_inputs_dir(inputs_dir: str | Path | None, command: str) -> Path:
    """The inputs directory a writing command (``inputs build``, ``calibrate``) may write into.

    The embedded data set is package data: it is never written to, except by a maintainer
    working in a source checkout who names it with ``--inputs`` explicitly.
    """
    if inputs_dir is None:
        raise InputError(
            f"{command} writes into an inputs directory: give --inputs DIR. The embedded data "
            "set is read-only; `helsemodlite inputs export DIR` copies it out as a starting point"
        )
    root = Path(inputs_dir)
    try:
        embedded = root.resolve() == embedded_inputs_dir().resolve()
    except (OSError, RuntimeError) as exc:
        raise InputError(f"--inputs {root}: cannot use this path ({exc})") from exc
    if embedded and not is_within_source_checkout():
        raise InputError(
            f"--inputs {root}: is the embedded data set inside the installed package; {command} "
            "never writes there. Copy it with `helsemodlite inputs export DIR` and use DIR"
        )
    return root


def export_inputs(target: str | Path) -> Path:
    """Copy the embedded data set (sources, assumptions, model, calibration, the catalogue) to
    ``target``, which must not exist or be an empty directory. Written as a whole or not at all.
    """
    target = Path(target)
    try:
        if target.is_symlink() or (target.exists() and not target.is_dir()):
            raise InputError(f"{target}: exists and is not a directory")
        if target.is_dir() and any(target.iterdir()):
            raise InputError(
                f"{target}: is not empty; export writes a new directory and replaces nothing"
            )
        replace_dir(target, _copy_embedded)
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
    for path in tmp.rglob("*"):
        path.chmod((0o777 if path.is_dir() else 0o666) & ~mask)


# --------------------------------------------------------------------------------------------
# Reading and checking


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _leading_comment_lines(path: Path) -> int:
    n = 0
    with path.open("r", encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if line.startswith("#"):
                n += 1
            else:
                break
    return n


def _lines(label: str, mask: np.ndarray, offset: int) -> str:
    rows = np.flatnonzero(mask)
    shown = ", ".join(str(int(r) + offset) for r in rows[:MAX_REPORTED_ROWS])
    more = f" and {len(rows) - MAX_REPORTED_ROWS} more" if len(rows) > MAX_REPORTED_ROWS else ""
    return f"{label} {shown}{more}"


def describe_non_file(path: Path) -> str:
    """What sits at ``path`` where a regular file was expected (``"missing"`` if nothing)."""
    import stat

    try:
        st = path.stat()
    except RuntimeError:
        return "a symbolic link loop"
    except OSError as exc:
        if path.is_symlink():
            if exc.errno == errno.ELOOP:
                return "a symbolic link loop"
            return f"a broken symbolic link (to {os.readlink(path)})"
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return "missing"
        return f"a path that cannot be read ({exc.strerror})"
    if stat.S_ISDIR(st.st_mode):
        return "a directory"
    if stat.S_ISFIFO(st.st_mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(st.st_mode):
        return "a socket"
    if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
        return "a device"
    return "something that is not a regular file"


def _semicolon_header(path: Path, expected: list[str]) -> bool:
    """True when the header line is the expected columns separated by ';'."""
    try:
        with path.open("r", encoding="utf-8-sig", errors="replace") as fh:
            for line in fh:
                if line.strip() and not line.startswith("#"):
                    cells = [c.strip().strip('"') for c in line.strip().split(";")]
                    return len(cells) > 1 and set(expected) <= set(cells)
    except OSError:
        return False
    return False


def _open_table(
    path: Path, schema: FileSchema, rel: str, problems: list[str]
) -> tuple[pd.DataFrame, int] | None:
    """The raw text cells of a model file and the line number of its first data row, or None
    (with the problem recorded) when it is missing, not a file, not a CSV or lacks columns."""
    if not path.is_file():
        found = describe_non_file(path)
        if found == "missing":
            hint = (
                "; create it with `helsemodlite calibrate --inputs DIR`"
                if schema.folder == "calibration"
                else ""
            )
            problems.append(f"{rel}: missing file (expected at {path}){hint}")
        else:
            problems.append(f"{rel}: expected a CSV file at {path}, found {found}")
        return None
    expected = list(schema.keys) + list(schema.text) + list(schema.values)
    if _semicolon_header(path, expected):
        problems.append(
            f"{rel}: the columns are separated by ';' (as Norwegian Excel saves CSV); expected "
            f"comma-separated columns {', '.join(expected)} with '.' as the decimal point. "
            "Save as 'CSV UTF-8 (comma delimited)', or convert with "
            "pandas.read_csv(f, sep=';', decimal=',').to_csv(f, index=False)"
        )
        return None
    try:
        raw = pd.read_csv(
            path, comment="#", dtype=str, keep_default_na=False, skip_blank_lines=True
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        problems.append(f"{rel}: cannot be read as CSV ({str(exc).strip()})")
        return None
    missing = [c for c in expected if c not in raw.columns]
    for col in missing:
        problems.append(f"{rel}: missing column '{col}' (expected columns: {', '.join(expected)})")
    if missing:
        return None
    return raw, _leading_comment_lines(path) + 2  # header line, then 1-based lines


def _key_column(
    where: str, cells: pd.Series, coords: tuple[object, ...] | None, offset: int
) -> tuple[pd.Series, list[str]]:
    """A key column checked against its coordinates: (values, problems)."""
    problems = []
    empty = (cells == "").to_numpy()
    if empty.any():
        problems.append(f"{where} is empty at {_lines('line', empty, offset)}")
    if coords is None:
        return cells, problems
    if not isinstance(coords[0], int):
        unknown = (~cells.isin(coords)).to_numpy() & ~empty
        if unknown.any():
            problems.append(
                f"{where} has unknown values at {_lines('line', unknown, offset)} "
                f"(e.g. '{cells[unknown].iloc[0]}'; expected one of {', '.join(map(str, coords))})"
            )
        return cells, problems
    num = pd.to_numeric(cells, errors="coerce")
    bad = (num.isna() | (num != num.round())).to_numpy() & ~empty
    if bad.any():
        problems.append(
            f"{where} must hold whole numbers; {_lines('line', bad, offset)} "
            f"(e.g. '{cells[bad].iloc[0]}')"
        )
    vals = num.where(~pd.Series(bad | empty, index=num.index))
    unknown = (~vals.isin(coords) & vals.notna()).to_numpy()
    if unknown.any():
        problems.append(
            f"{where} has values outside {coords[0]}..{coords[-1]} at "
            f"{_lines('line', unknown, offset)} (e.g. {vals[unknown].iloc[0]:g})"
        )
    return vals, problems


def _value_column(
    where: str, cells: pd.Series, kind: str, bounds: tuple[float, float] | None, offset: int
) -> tuple[np.ndarray, list[str]]:
    """A value column parsed and checked against its kind and bounds: (values, problems)."""
    problems = []
    num = pd.to_numeric(cells, errors="coerce")
    blank = (cells == "").to_numpy()
    nan_text = cells.str.lower().isin(["nan", "na", "n/a", "null", "none"]).to_numpy()
    nonnum = num.isna().to_numpy() & ~blank & ~nan_text
    arr = num.to_numpy(dtype=float)
    fin = np.isfinite(arr)
    lo, hi = KIND_BOUNDS[kind]
    if bounds is not None:
        lo, hi = max(lo, bounds[0]), min(hi, bounds[1])
    below = fin & ((arr <= lo) if kind == "positive" else (arr < lo))
    what = KIND_TEXT[kind]
    rules = [  # (cells, text, example shown)
        (blank, "has missing values at", None),
        (nan_text, "has NaN at", None),
        (nonnum, "has non-numeric values at", "text"),
        (np.isinf(arr), "has infinite values at", None),
        (below, f"must be {'>' if kind == 'positive' else '>='} {lo:g} ({what});", "number"),
        (fin & (arr > hi), f"must be <= {hi:g} ({what});", "number"),
        (
            fin & ~np.isin(arr, [0.0, 1.0]) if kind == "flag" else fin & False,
            "must be 0 or 1;",
            None,
        ),
    ]
    for mask, text, example in rules:
        if not mask.any():
            continue
        shown = {
            None: "",
            "text": f" (e.g. '{cells[mask].iloc[0]}')",
            "number": f" (e.g. {arr[mask][0]:g})",
        }[example]
        problems.append(f"{where} {text} {_lines('line', mask, offset)}{shown}")
    return arr, problems


def _read_table(path: Path, schema: FileSchema, problems: list[str]) -> pd.DataFrame | None:
    """Read and validate one file. Returns the typed frame, or None if it is unusable."""
    rel = f"{schema.folder}/{schema.name}"
    opened = _open_table(path, schema, rel, problems)
    if opened is None:
        return None
    raw, offset = opened
    n_before = len(problems)
    out = pd.DataFrame(index=raw.index)
    for col, coords in schema.keys.items():
        out[col], found = _key_column(
            f"{rel}: column '{col}'", raw[col].str.strip(), coords, offset
        )
        problems += found
    for col in schema.text:
        out[col] = raw[col]
    for col, kind in schema.values.items():
        where = f"{rel}: column '{col}'"
        bounds = schema.value_bounds.get(col)
        out[col], found = _value_column(where, raw[col].str.strip(), kind, bounds, offset)
        problems += found
    if len(problems) > n_before:
        return None
    keys = list(schema.keys)
    if schema.unique_keys:
        dup = out.duplicated(subset=keys, keep="first").to_numpy()
        if dup.any():
            problems.append(
                f"{rel}: duplicate rows for the same {' x '.join(keys)} at "
                f"{_lines('line', dup, offset)}"
            )
            return None
    # Coverage: every combination of the declared coordinates must be present.
    _check_coverage(rel, out, schema, problems)
    return out if len(problems) == n_before else None


def _check_coverage(rel: str, df: pd.DataFrame, schema: FileSchema, problems: list[str]) -> None:
    keys = list(schema.keys)
    free = [k for k in keys if schema.keys[k] is None]
    fixed = [k for k in keys if schema.keys[k] is not None]
    # For each declared coordinate, report a value that is missing entirely (clearest message).
    for k in fixed:
        coords = schema.keys[k]
        assert coords is not None
        present = set(df[k].tolist())
        absent = [c for c in coords if c not in present]
        if absent:
            shown = ", ".join(map(str, absent[:10])) + (" …" if len(absent) > 10 else "")
            problems.append(f"{rel}: column '{k}' does not cover {shown} (no rows at all)")
    if any(p.startswith(rel) and "no rows at all" in p for p in problems):
        return
    n_free = len(df[free].drop_duplicates()) if free else 1
    expected = n_free * math.prod(len(schema.keys[k] or ()) for k in fixed)
    if len(df) != expected:
        full = pd.MultiIndex.from_product(
            [
                sorted(set(df[k])) if schema.keys[k] is None else list(schema.keys[k] or ())
                for k in keys
            ],
            names=keys,
        )
        have = pd.MultiIndex.from_frame(df[keys])
        missing = full.difference(have)
        shown = "; ".join(
            ", ".join(f"{k}={v}" for k, v in zip(keys, m, strict=True))
            for m in list(missing)[:MAX_REPORTED_ROWS]
        )
        more = (
            f" and {len(missing) - MAX_REPORTED_ROWS} more"
            if len(missing) > MAX_REPORTED_ROWS
            else ""
        )
        problems.append(f"{rel}: incomplete coverage of {' x '.join(keys)}; missing {shown}{more}")


def _cross_checks(tables: dict[str, pd.DataFrame], problems: list[str]) -> None:
    """Checks across files: service ids, staffing and use against services.csv, base-year
    drivers, required parameters."""
    services = tables.get("services.csv")
    if services is not None:
        _check_service_ids(services, tables, problems)
        _check_staffing(services, tables.get("staffing.csv"), problems)
        use = tables.get("service_use.csv")
        if use is not None:
            tot = use.groupby("service")["use"].sum()
            for svc in tot.index[tot <= 0]:
                problems.append(f"model/service_use.csv: service '{svc}' has zero use at all ages")
            population = tables.get("population.csv")
            if population is not None and not (tot <= 0).any():
                _check_base_drivers(services, use, population, problems)
    params = tables.get("parameters.csv")
    if params is not None:
        _check_parameters(params, problems)


def _check_service_ids(
    services: pd.DataFrame, tables: dict[str, pd.DataFrame], problems: list[str]
) -> None:
    bad = ~services["driver"].str.strip().isin(DRIVERS)
    if bad.any():
        problems.append(
            f"model/services.csv: column 'driver' must be one of {', '.join(DRIVERS)}; got "
            f"'{services.loc[bad, 'driver'].iloc[0]}' for service "
            f"'{services.loc[bad, 'service'].iloc[0]}'"
        )
    ids = set(services["service"])
    for name in ("service_use.csv", "staffing.csv"):
        other = tables.get(name)
        if other is None:
            continue
        theirs = set(other["service"])
        if theirs - ids:
            problems.append(
                f"model/{name}: column 'service' has services not in "
                f"services.csv: {', '.join(sorted(theirs - ids))}"
            )
        if ids - theirs:
            problems.append(
                f"model/{name}: no rows for service(s) "
                f"{', '.join(sorted(ids - theirs))} of services.csv"
            )


def _check_staffing(
    services: pd.DataFrame, staffing: pd.DataFrame | None, problems: list[str]
) -> None:
    """Staffing sums to each service's årsverk, and every group is staffed somewhere."""
    if staffing is None:
        return
    if not set(staffing["service"]) ^ set(services["service"]):
        tot = staffing.groupby("service")["arsverk_2024"].sum()
        want = services.set_index("service")["arsverk_2024"]
        rel_dev = (tot - want.reindex(tot.index)).abs() / want.reindex(tot.index).clip(lower=1)
        for svc in rel_dev.index[rel_dev > 1e-3]:
            problems.append(
                f"model/staffing.csv: årsverk of service '{svc}' sum to {tot[svc]:.1f}, but "
                f"services.csv says {want[svc]:.1f}"
            )
    by_group = staffing.groupby("category")["arsverk_2024"].sum()
    for group in [g for g in dims.GROUPS if by_group.get(g, 0.0) <= 0]:
        problems.append(
            f"model/staffing.csv: group '{group}' has no årsverk in any service area, "
            "so its demand cannot be split over the services"
        )


def _check_parameters(params: pd.DataFrame, problems: list[str]) -> None:
    values = dict(zip(params["parameter"], params["value"], strict=True))
    for name, (lo, hi) in REQUIRED_PARAMETERS.items():
        if name not in values:
            problems.append(f"model/parameters.csv: missing parameter '{name}'")
        elif not lo <= values[name] <= hi:
            problems.append(
                f"model/parameters.csv: parameter '{name}' must be in "
                f"[{lo:g}, {hi:g}], got {values[name]:g}"
            )


def _check_base_drivers(
    services: pd.DataFrame, use: pd.DataFrame, population: pd.DataFrame, problems: list[str]
) -> None:
    """Every population-driven service needs a base-year driver: Σ population × use > 0 in the
    base year, for every alternative (demand is indexed on it; zero would divide by zero)."""
    base = population[population["year"] == population["year"].min()]
    by_service = services.set_index("service")["driver"].str.strip()
    merged = base.merge(use, on=["sex", "age"])
    merged["weight"] = merged["persons"] * merged["use"]
    driver = merged.groupby(["service", "alternative"])["weight"].sum()
    for (svc, alt), value in driver.items():
        if by_service.get(svc) == "population" and not value > 0:
            problems.append(
                f"model/population.csv: the base-year population ({int(base['year'].iloc[0])}, "
                f"alternative {alt}) weighted by the use of service '{svc}' is zero; the "
                "base-year population must be positive where the service is used"
            )


def _read_all(
    directory: Path, *, calibrated: bool = True
) -> tuple[dict[str, pd.DataFrame], list[str], dict[str, str]]:
    problems: list[str] = []
    tables: dict[str, pd.DataFrame] = {}
    hashes: dict[str, str] = {}
    if not directory.is_dir():
        found = describe_non_file(directory)
        if found == "missing":
            problem = f"{directory}: inputs directory does not exist"
        elif found == "something that is not a regular file":
            problem = f"{directory}: is a file, not an inputs directory"
        else:
            problem = f"{directory}: expected an inputs directory, found {found}"
        return tables, [problem], hashes
    for schema in SCHEMAS:
        path = directory / schema.folder / schema.name
        if schema.name == "calibration.csv" and not calibrated:
            continue
        df = _read_table(path, schema, problems)
        if df is not None:
            tables[schema.name] = df
        if path.is_file():
            hashes[f"{schema.folder}/{schema.name}"] = _sha256(path)
    _cross_checks(tables, problems)
    return tables, problems, hashes


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
    directory = Path(inputs) if inputs is not None else default_inputs_dir()
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
    population: str = dims.REFERENCE_POPULATION,
    calibrated: bool = True,
) -> Inputs:
    """Read and validate an inputs directory (default: the embedded data set).

    ``population`` picks the default population alternative (``MMMM``, ``HHMH`` or ``LLML``).
    ``calibrated=False`` skips ``calibration/calibration.csv`` and uses neutral values (this is
    what the calibration step itself reads). Raises :class:`InputError` listing every problem.
    """
    directory = Path(inputs) if inputs is not None else default_inputs_dir()
    if population not in dims.POPULATION_ALTERNATIVES:
        raise InputError(
            f"population alternative '{population}' is unknown; expected one of "
            f"{', '.join(dims.POPULATION_ALTERNATIVES)}"
        )
    tables, problems, hashes = _read_all(directory, calibrated=calibrated)
    if problems:
        raise InputError(problems, title=f"invalid inputs directory {directory}")
    return inputs_from_tables(tables, directory=directory, population=population, hashes=hashes)


def inputs_from_tables(
    tables: dict[str, pd.DataFrame],
    *,
    directory: Path | None = None,
    population: str = dims.REFERENCE_POPULATION,
    hashes: dict[str, str] | None = None,
) -> Inputs:
    """Build :class:`Inputs` from validated long tables (keys as in :mod:`schema`)."""
    alts = list(dims.POPULATION_ALTERNATIVES)
    years, sexes = list(dims.YEARS), list(dims.SEXES)
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
        Calibration(
            inflow_factor=_cube(calib, ["group"], [groups], "inflow_factor"),
            initial_shortage=_cube(calib, ["group"], [groups], "initial_shortage"),
            demand_trend=_cube(calib, ["group"], [groups], "demand_trend"),
        )
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
        exit_rate=pcube("exit_rate"),
        graduates=pcube("graduates"),
        immigrants=pcube("immigrants"),
        sick_leave=pcube("sick_leave"),
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
    )
