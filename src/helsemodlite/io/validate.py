"""Validating model-ready input files against their schemas (:mod:`.schema`): one message per
problem, naming file, column and line, and the checks across files.
"""

from __future__ import annotations

import errno
import hashlib
import io
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd

from .. import dims
from ..model.inputs import DRIVERS, cycle_problem
from .schema import (
    CODE,
    MAX_COUNT,
    MAX_VALUE,
    MAX_YEAR,
    MIN_YEAR,
    REQUIRED_PARAMETERS,
    SCHEMAS,
    WHOLE_PARAMETERS,
    Discovered,
    FileSchema,
)

MAX_REPORTED_ROWS = 5
"""At most this many offending lines are listed per file and rule (then a count)."""


KIND_BOUNDS: dict[str, tuple[float, float]] = {
    "count": (0.0, MAX_COUNT),
    "positive": (0.0, MAX_COUNT),
    "rate": (0.0, 1.0),
    "nonneg": (0.0, MAX_VALUE),
    "real": (-MAX_VALUE, MAX_VALUE),
    "flag": (0.0, 1.0),
}
"""Bounds of each value kind (see :mod:`helsemodlite.io.schema`); ``positive`` excludes 0."""

KIND_TEXT = {
    "count": "a count of persons or årsverk",
    "positive": "a strictly positive count",
    "rate": "a rate",
    "nonneg": "a non-negative value",
    "real": "a value",
    "flag": "a flag",
}


# --------------------------------------------------------------------------------------------
# Reading and checking


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _leading_comment_lines(data: bytes) -> int:
    n = 0
    for line in data.decode("utf-8", errors="replace").splitlines():
        if not line.startswith("#"):
            break
        n += 1
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


def _semicolon_header(data: bytes, expected: list[str]) -> bool:
    """True when the header line is the expected columns separated by ';'."""
    for line in data.decode("utf-8-sig", errors="replace").splitlines():
        if line.strip() and not line.startswith("#"):
            cells = [c.strip().strip('"') for c in line.strip().split(";")]
            return len(cells) > 1 and set(expected) <= set(cells)
    return False


def _open_table(
    path: Path, data: bytes | None, schema: FileSchema, rel: str, problems: list[str]
) -> tuple[pd.DataFrame, int] | None:
    """The raw text cells of a model file and the line number of its first data row, or None
    (with the problem recorded) when it is missing, not a file, not a CSV or lacks columns."""
    if data is None:
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
    nul = data.find(b"\x00")
    if nul >= 0:
        problems.append(
            f"{rel}: holds a NUL byte at offset {nul} (a binary or damaged file, not CSV text)"
        )
        return None
    if _semicolon_header(data, expected):
        problems.append(
            f"{rel}: the columns are separated by ';' (as Norwegian Excel saves CSV); expected "
            f"comma-separated columns {', '.join(expected)} with '.' as the decimal point. "
            "Save as 'CSV UTF-8 (comma delimited)', or convert with "
            "pandas.read_csv(f, sep=';', decimal=',').to_csv(f, index=False)"
        )
        return None
    try:
        raw = pd.read_csv(
            io.BytesIO(data), comment="#", dtype=str, keep_default_na=False, skip_blank_lines=True
        )
    except UnicodeDecodeError:
        try:  # pandas decodes in chunks: find the byte in the whole file
            data.decode("utf-8")
            at = 0
        except UnicodeDecodeError as whole:
            at = whole.start
        line = data[:at].count(b"\n") + 1
        problems.append(
            f"{rel}: line {line} is not UTF-8 text (byte 0x{data[at]:02x}; a file saved as "
            "Latin-1 or Windows-1252?); save it as UTF-8 (in Excel: 'CSV UTF-8')"
        )
        return None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        problems.append(f"{rel}: cannot be read as CSV ({str(exc).strip()})")
        return None
    header = [str(c) for c in raw.columns]
    twice = sorted(
        {
            c.rsplit(".", 1)[0]
            for c in header
            if c.rsplit(".", 1)[0] in expected and c not in expected
        }
    )
    if twice:
        problems.append(f"{rel}: column(s) {', '.join(twice)} appear more than once in the header")
        return None
    missing = [c for c in expected if c not in raw.columns]
    for col in missing:
        problems.append(f"{rel}: missing column '{col}' (expected columns: {', '.join(expected)})")
    if missing and schema.name == "calibration.csv" and "inflow_factor" in raw.columns:
        problems.append(
            f"{rel}: written by an earlier helsemodlite (one inflow_factor on graduates and "
            "immigrants together); refit with `helsemodlite calibrate --inputs DIR`, or set "
            "graduates_factor = immigrants_factor = inflow_factor, exit_factor = 1 and "
            "fitted = inflow by hand"
        )
    if missing:
        return None
    return raw, _leading_comment_lines(data) + 2  # header line, then 1-based lines


def _key_column(
    where: str, cells: pd.Series, coords: tuple[object, ...] | Discovered | None, offset: int
) -> tuple[pd.Series, list[str]]:
    """A key column checked against its coordinates: (values, problems)."""
    problems = []
    empty = (cells == "").to_numpy()
    if empty.any():
        problems.append(f"{where} is empty at {_lines('line', empty, offset)}")
    if coords is None or coords == CODE:
        return cells, problems
    if isinstance(coords, Discovered):  # YEAR: whole years in a sane range
        coords = tuple(range(MIN_YEAR, MAX_YEAR + 1))
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


def _read_bytes(path: Path) -> bytes | None:
    """The content of a regular file (read once: what is hashed is what is parsed), or None."""
    if not path.is_file():
        return None
    try:
        return path.read_bytes()
    except OSError:
        return None


def _read_table(
    path: Path, schema: FileSchema, problems: list[str], data: bytes | None = None
) -> pd.DataFrame | None:
    """Read and validate one file. Returns the typed frame, or None if it is unusable."""
    rel = f"{schema.folder}/{schema.name}"
    if data is None:
        data = _read_bytes(path)
    opened = _open_table(path, data, schema, rel, problems)
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
    free = [k for k in keys if not isinstance(schema.keys[k], tuple)]
    fixed = [k for k in keys if isinstance(schema.keys[k], tuple)]
    # For each declared coordinate, report a value that is missing entirely (clearest message).
    for k in fixed:
        coords = schema.keys[k]
        assert isinstance(coords, tuple)
        present = set(df[k].tolist())
        absent = [c for c in coords if c not in present]
        if absent:
            shown = ", ".join(map(str, absent[:10])) + (" …" if len(absent) > 10 else "")
            problems.append(f"{rel}: column '{k}' does not cover {shown} (no rows at all)")
    if any(p.startswith(rel) and "no rows at all" in p for p in problems):
        return
    n_free = math.prod(df[k].nunique() for k in free)  # every combination of the values found
    expected = n_free * math.prod(len(_coords(schema, k)) for k in fixed)
    if len(df) != expected:
        full = pd.MultiIndex.from_product(
            [sorted(set(df[k])) if k in free else list(_coords(schema, k)) for k in keys],
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


def _coords(schema: FileSchema, key: str) -> tuple[object, ...]:
    coords = schema.keys[key]
    assert isinstance(coords, tuple)
    return coords


POPULATION_FILES = ("population.csv", "mortality.csv", "births.csv")


def _check_population_coordinates(tables: dict[str, pd.DataFrame], problems: list[str]) -> None:
    """The population files take their years and alternatives from the data: the same in all
    three, the years a contiguous run of at least two (the base year first)."""
    found = {n: tables[n] for n in POPULATION_FILES if n in tables}
    if not found:
        return
    first, df = next(iter(found.items()))
    years = sorted(int(y) for y in set(df["year"]))
    if len(years) < 2 or years != list(range(years[0], years[-1] + 1)):
        shown = f"{years[0]}..{years[-1]}" if years else "none"
        gaps = sorted(set(range(years[0], years[-1] + 1)) - set(years)) if years else []
        why = f" (missing {', '.join(map(str, gaps[:5]))})" if gaps else ""
        problems.append(
            f"model/{first}: column 'year' must be a run of consecutive years, the base year "
            f"first and at least one projection year; found {shown}{why}"
        )
    alts = set(df["alternative"])
    for name, other in found.items():
        if set(int(y) for y in set(other["year"])) != set(years):
            theirs = sorted(int(y) for y in set(other["year"]))
            problems.append(
                f"model/{name}: years {theirs[0]}..{theirs[-1]} differ from those of "
                f"model/{first} ({years[0]}..{years[-1]}); the population files must cover "
                "the same years"
            )
        if set(other["alternative"]) != alts:
            problems.append(
                f"model/{name}: alternatives {', '.join(sorted(set(other['alternative'])))} "
                f"differ from those of model/{first} ({', '.join(sorted(alts))})"
            )


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
    _check_population_coordinates(tables, problems)
    population = tables.get("population.csv")
    if population is not None:
        totals = population.groupby(["alternative", "year"])["persons"].sum()
        for (alt, year), value in totals[totals <= 0].items():
            problems.append(
                f"model/population.csv: the population of {alt} in {int(year)} sums to "
                f"{value:g}; every year of every alternative needs people"
            )
    params = tables.get("parameters.csv")
    if params is not None:
        _check_parameters(params, problems)
    transitions = tables.get("transitions.csv")
    if transitions is not None:
        _check_transitions(transitions, problems)


def _check_transitions(df: pd.DataFrame, problems: list[str]) -> None:
    """Each origin is another of the 14 groups, or empty with share 0."""
    rel = "model/transitions.csv"
    for row in df.itertuples(index=False):
        origin = str(row.origin).strip()
        if not origin:
            if row.share > 0:
                problems.append(
                    f"{rel}: group '{row.group}' has share {row.share:g} but no origin (expected "
                    f"one of {', '.join(dims.GROUPS)}, or share 0)"
                )
        elif origin not in dims.GROUPS:
            problems.append(
                f"{rel}: column 'origin' of group '{row.group}' is '{origin}' (expected one of "
                f"{', '.join(dims.GROUPS)}, or empty)"
            )
        elif origin == row.group:
            problems.append(f"{rel}: group '{row.group}' cannot have itself as origin")
    if any(rel in p for p in problems):
        return
    links = {str(r.group): str(r.origin).strip() for r in df.itertuples() if r.share > 0}
    cycle = cycle_problem(rel, {g: o for g, o in links.items() if o})
    if cycle:
        problems.append(cycle)


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
    import difflib

    for name in [n for n in values if n not in REQUIRED_PARAMETERS]:  # a typo would be ignored
        close = difflib.get_close_matches(str(name), list(REQUIRED_PARAMETERS), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        problems.append(
            f"model/parameters.csv: unknown parameter '{name}' (the model reads "
            f"{', '.join(REQUIRED_PARAMETERS)}){hint}"
        )
    for name, (lo, hi) in REQUIRED_PARAMETERS.items():
        if name not in values:
            problems.append(f"model/parameters.csv: missing parameter '{name}'")
        elif not lo <= values[name] <= hi:
            problems.append(
                f"model/parameters.csv: parameter '{name}' must be in "
                f"[{lo:g}, {hi:g}], got {values[name]:g}"
            )
        elif name in WHOLE_PARAMETERS and values[name] != int(values[name]):
            problems.append(
                f"model/parameters.csv: parameter '{name}' must be a whole number, "
                f"got {values[name]:g}"
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
        if schema.optional and describe_non_file(path) == "missing":
            continue
        data = _read_bytes(path)
        df = _read_table(path, schema, problems, data)
        if df is not None:
            tables[schema.name] = df
        if data is not None:
            hashes[f"{schema.folder}/{schema.name}"] = _sha256(data)
    _cross_checks(tables, problems)
    return tables, problems, hashes
