"""The deterministic build step: public sources + assumptions -> model-ready arrays.

``helsemodlite inputs build`` runs it. The model-ready files are committed, so runs need no
estimation; a test rebuilds them and checks they are identical.
"""

from __future__ import annotations

import csv
import io
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import dims
from ..errors import InputError
from ..io.atomic import write_files_into
from ..io.build_record import BUILD_RECORD, build_record_text
from ..io.read import (
    check_model_texts,
    default_inputs_dir,
    writable_inputs_dir,
)
from ..io.schema import SCHEMA_BY_NAME, SCHEMAS
from ..io.tables import to_csv_text
from ..io.validate import describe_non_file
from .catalogue import CATALOGUE


def build_parameters(assumptions_dir: Path) -> pd.DataFrame:
    """parameters.csv from ``assumptions/reference.toml`` (every entry a table with a numeric
    ``value`` and ``unit`` and ``kind`` strings; problems name the file and the entry)."""
    with (assumptions_dir / "reference.toml").open("rb") as fh:
        doc = tomllib.load(fh)
    problems = []
    rows = []
    for name, entry in sorted(doc.items()):
        where = f"assumptions/reference.toml: [{name}]"
        if not isinstance(entry, dict):
            problems.append(f"{where}: must be a table with value, unit and kind")
            continue
        value = entry.get("value")
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(f"{where} value: must be a number, got {value!r}")
        for key in ("unit", "kind"):
            if not isinstance(entry.get(key), str):
                problems.append(f"{where} {key}: must be a string, got {entry.get(key)!r}")
        if not problems:
            rows.append(
                {
                    "parameter": name,
                    "value": float(value),  # type: ignore[arg-type]
                    "unit": entry["unit"],
                    "source": f"assumptions/reference.toml ({entry['kind']})",
                }
            )
    if problems:
        raise InputError(problems, title="inputs build: invalid assumptions")
    return pd.DataFrame(rows, columns=["parameter", "value", "unit", "source"])


EDUCATION_FILE = "education_pipeline.csv"


def build_education(assumptions_dir: Path) -> pd.DataFrame:
    """education.csv from ``assumptions/education_pipeline.csv`` (one row per group; problems
    name the file, the column and the row)."""
    where = f"assumptions/{EDUCATION_FILE}"
    df = pd.read_csv(assumptions_dir / EDUCATION_FILE, comment="#")
    problems = [
        f"{where}: missing column '{c}'"
        for c in ("group", "programme_years", "completion_rate")
        if c not in df.columns
    ]
    if problems:
        raise InputError(problems, title="inputs build: invalid assumptions")
    missing = sorted(set(dims.GROUPS) - set(df["group"]))
    extra = sorted(set(df["group"]) - set(dims.GROUPS))
    if missing or extra or df["group"].duplicated().any():
        problems.append(
            f"{where}: needs one row per group (missing: {', '.join(missing) or '-'}; unknown: "
            f"{', '.join(extra) or '-'})"
        )
    for col, lo, hi in (("programme_years", 0.5, 10.0), ("completion_rate", 0.0, 1.0)):
        v = pd.to_numeric(df[col], errors="coerce")
        bad = df["group"][~v.between(lo, hi)]
        if not bad.empty:
            problems.append(f"{where}: {col} must be a number in [{lo:g}, {hi:g}] ({bad.iloc[0]})")
    if problems:
        raise InputError(problems, title="inputs build: invalid assumptions")
    out = df[["group", "programme_years", "completion_rate"]].astype(
        {"programme_years": float, "completion_rate": float}
    )
    return out.sort_values("group", kind="mergesort").reset_index(drop=True)


def supply_by_group(personnel: pd.DataFrame) -> pd.Series:
    """Base-year supply Σ stock·P·E by group (årsverk), in dims.GROUPS order."""
    arsverk = personnel["stock"] * personnel["p_work"] * personnel["fte"]
    return arsverk.groupby(personnel["group"]).sum().reindex(list(dims.GROUPS))


MAY_BE_EMPTY = frozenset({"supply_transitions.csv"})
"""Assumptions tables whose header alone is a meaningful choice (no moves between groups)."""


def _csv_problems(path: Path, rel: str) -> list[str]:
    """A CSV file must be a readable regular UTF-8 file whose every line has the header's
    number of fields (a truncated or hand-damaged file does not)."""
    if not path.is_file():
        found = describe_non_file(path)
        return [f"{rel}: missing file" if found == "missing" else f"{rel}: found {found}"]
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            lines = [ln for ln in fh if ln.strip() and not ln.startswith("#")]
    except UnicodeDecodeError as exc:
        return [f"{rel}: not a UTF-8 text file (invalid byte at offset {exc.start})"]
    except OSError as exc:
        return [f"{rel}: cannot be read ({exc.strerror})"]
    if len(lines) < 2 and not (lines and path.name in MAY_BE_EMPTY):
        return [f"{rel}: no data rows"]
    rows = list(csv.reader(lines))
    width = len(rows[0])
    bad = [i for i, r in enumerate(rows[1:], start=2) if len(r) != width]
    if bad:
        return [
            f"{rel}: data row {bad[0]} has {len(rows[bad[0] - 1])} fields, the header {width} "
            f"({len(bad)} such row(s); a truncated or damaged file?)"
        ]
    return []


BUILD_ASSUMPTIONS = (
    "demand.toml",
    "demand_staffing_prior.csv",
    "demand_use_bands.csv",
    "education_pipeline.csv",
    "population.toml",
    "population_calibration.csv",
    "reference.toml",
    "supply.toml",
    "supply_flows.csv",
    "supply_groups.csv",
    "supply_sick_leave.csv",
    "supply_transitions.csv",
)
"""The assumptions files ``inputs build`` reads (each must exist; a missing one is named)."""


def preflight(root: Path) -> list[str]:
    """Problems that would stop the build, found before it starts: the catalogue and every
    source it lists, and every assumptions file, must exist and parse (each named)."""
    problems: list[str] = []
    catalogue = root / CATALOGUE
    files: list[str] = []
    try:
        with catalogue.open("rb") as fh:
            doc = tomllib.load(fh)
        files = [str(entry["file"]) for entry in doc.get("source", [])]
    except FileNotFoundError:
        problems.append(
            f"{CATALOGUE}: missing file (the catalogue of sources/, expected at {catalogue})"
        )
    except tomllib.TOMLDecodeError as exc:
        problems.append(f"{CATALOGUE}: TOML syntax error: {exc}")
    except (OSError, KeyError, TypeError, AttributeError) as exc:
        problems.append(f"{CATALOGUE}: every [[source]] needs a 'file' ({exc!r})")
    for name in files:
        problems += _csv_problems(root / "sources" / name, f"sources/{name}")
    return problems + _assumption_problems(root / "assumptions")


def _assumption_problems(assumptions: Path) -> list[str]:
    """Every assumptions file the build reads exists; every TOML and CSV there parses."""
    problems: list[str] = []
    if not assumptions.is_dir():
        problems.append(f"assumptions/: missing directory (expected at {assumptions})")
        return problems
    for name in BUILD_ASSUMPTIONS:
        if not (assumptions / name).is_file():
            problems.append(f"assumptions/{name}: missing file (the build reads it)")
    for path in sorted(assumptions.iterdir()):
        rel = f"assumptions/{path.name}"
        if path.suffix == ".toml":
            try:
                with path.open("rb") as fh:
                    tomllib.load(fh)
            except tomllib.TOMLDecodeError as exc:
                problems.append(f"{rel}: TOML syntax error: {exc}")
            except (OSError, UnicodeDecodeError) as exc:
                problems.append(f"{rel}: cannot be read ({exc})")
        elif path.suffix == ".csv":
            problems += _csv_problems(path, rel)
    return problems


BUILD_READ_ERRORS = (KeyError, IndexError, ValueError, TypeError)
"""What a source or assumption that parses but lacks a row, column or key the build needs raises
inside the build. After :func:`preflight`, the build's only inputs are those files, so such an
error is reported as the data's problem, with its type and text, not as a traceback."""


def build_tables(inputs_dir: Path | None = None) -> dict[str, pd.DataFrame]:
    """Build every model-ready table from ``sources/`` and ``assumptions/``.

    Raises :class:`InputError` when a file is missing or does not parse (:func:`preflight`), or
    when the build cannot use what it read (naming the error)."""
    root = Path(inputs_dir) if inputs_dir is not None else default_inputs_dir()
    problems = preflight(root)
    if problems:
        raise InputError(problems, title=f"inputs build: cannot build from {root}")
    try:
        return _build_tables(root)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - only data errors are turned into InputError
        if not _is_data_error(exc):
            raise
        raise InputError(
            f"inputs build: the sources and assumptions in {root} parse, but the build cannot use "
            f"them: {type(exc).__name__}: {exc}. A table may lack rows, columns or keys the build "
            "needs; compare with the embedded data set (helsemodlite inputs export DIR)"
        ) from exc


def _is_data_error(exc: Exception) -> bool:
    """An error the build's data can cause: a missing row, column or key, a value of the wrong
    kind, or an estimation that the data make impossible (statsmodels, numpy, scipy)."""
    if isinstance(exc, BUILD_READ_ERRORS):
        return True
    module = type(exc).__module__ or ""
    return module.startswith(("statsmodels", "numpy", "scipy", "pandas"))


def _build_tables(root: Path) -> dict[str, pd.DataFrame]:
    from .demand import build_demand
    from .population import build_population
    from .supply import build_personnel, build_transitions

    sources, assumptions = root / "sources", root / "assumptions"
    tables = dict(build_population(sources, assumptions))
    personnel = build_personnel(sources, assumptions)
    tables["personnel.csv"] = personnel
    tables.update(build_demand(sources, assumptions, supply_by_group(personnel)))
    tables["parameters.csv"] = build_parameters(assumptions)
    tables["education.csv"] = build_education(assumptions)
    tables["transitions.csv"] = build_transitions(assumptions)
    model_files = {s.name for s in SCHEMAS if s.folder == "model"}
    if set(tables) != model_files:  # a defect of the build itself, not of the data
        raise RuntimeError(f"build produced {sorted(tables)}, expected {sorted(model_files)}")
    return tables


REBUILD_RTOL = 1e-6
"""Tolerance of :func:`model_differences`: a rebuilt value may differ from the committed one by
``REBUILD_RTOL`` × (|value| + :data:`COLUMN_FLOOR` × the largest |value| of its column). That
is far below anything that moves a published figure (the gap table rounds to 100 årsverk), and
far above the last-digit flips of an optimiser or a BLAS across library versions. One birth or
one person more in any cell exceeds it, and so does an edit of a small parameter beside a large
one in ``parameters.csv`` (standardvekst 0.005 → 0.007 beside the shortage of 8 600)."""
COLUMN_FLOOR = 1e-3
"""The column's scale in the tolerance: cells near zero are judged at 10⁻³ of the largest (a
fitted cell of 1e-12 may flip its last digits), not at all of it (which hid a change of 0.002
in a column holding 8 600; found by a new-user review)."""


@dataclass(frozen=True)
class Difference:
    """How a rebuilt model file differs from the committed one (the largest difference)."""

    file: str
    column: str
    where: str
    committed: object
    rebuilt: object

    def __str__(self) -> str:
        return (
            f"{self.file}: column '{self.column}' at {self.where}: committed {self.committed}, "
            f"rebuilt {self.rebuilt}"
        )


def _text(col: pd.Series) -> np.ndarray:
    """A column as text, an empty cell (NaN, whatever the column's dtype) as ""."""
    return np.where(col.isna().to_numpy(), "", col.astype(str).to_numpy())


def table_difference(
    name: str, committed: pd.DataFrame, rebuilt: pd.DataFrame, rtol: float = REBUILD_RTOL
) -> Difference | None:
    """The largest difference beyond the tolerance between two versions of a model file (keys
    and text columns must match exactly), or None when they agree."""
    schema = SCHEMA_BY_NAME[name]
    keys = list(schema.keys)
    if list(committed.columns) != list(rebuilt.columns):
        return Difference(
            name, "(header)", "line 1", list(committed.columns), list(rebuilt.columns)
        )
    a = committed.sort_values(keys, kind="stable").reset_index(drop=True)
    b = rebuilt.sort_values(keys, kind="stable").reset_index(drop=True)
    if len(a) != len(b):
        return Difference(name, "(rows)", "row count", len(a), len(b))
    for col in [*keys, *schema.text]:
        # an empty cell is NaN, which pandas' str dtype keeps as NaN (NaN != NaN): compare text
        same = _text(a[col]) == _text(b[col])
        if not same.all():
            i = int(np.flatnonzero(~same)[0])
            return Difference(name, col, f"row {i + 1}", a[col].iloc[i], b[col].iloc[i])
    worst: tuple[float, Difference] | None = None
    for col in schema.values:
        x = a[col].to_numpy(dtype=float)
        y = b[col].to_numpy(dtype=float)
        tol = rtol * (np.abs(x) + COLUMN_FLOOR * np.nanmax(np.abs(x), initial=0.0))
        excess = np.abs(x - y) - tol
        excess[np.isnan(x) != np.isnan(y)] = np.inf
        excess[np.isnan(x) & np.isnan(y)] = -np.inf
        i = int(np.argmax(excess))
        if excess[i] > 0 and (worst is None or excess[i] > worst[0]):
            where = ", ".join(f"{k}={a[k].iloc[i]}" for k in keys)
            worst = (float(excess[i]), Difference(name, col, where, x[i], y[i]))
    return None if worst is None else worst[1]


def model_differences(
    inputs_dir: Path | None = None, tables: dict[str, pd.DataFrame] | None = None
) -> list[Difference]:
    """Rebuild the model files (unless ``tables`` are given) and compare them numerically with
    the committed ones (:data:`REBUILD_RTOL`); one :class:`Difference` per differing file."""
    root = Path(inputs_dir) if inputs_dir is not None else default_inputs_dir()
    tables = build_tables(root) if tables is None else tables
    out = []
    for name, df in sorted(tables.items()):
        path = root / "model" / name
        if not path.is_file():
            out.append(Difference(name, "(file)", str(path), "missing", "built"))
            continue
        committed = pd.read_csv(path, comment="#", keep_default_na=False, na_values=[""])
        rebuilt = pd.read_csv(io.StringIO(to_csv_text(df)), keep_default_na=False, na_values=[""])
        diff = table_difference(name, committed, rebuilt)
        if diff is not None:
            out.append(diff)
    return out


def build_inputs(inputs_dir: Path | None = None, *, check_only: bool = False) -> list[str]:
    """Rebuild ``model/*.csv``; returns the names of the files that differ from the present
    ones beyond :data:`REBUILD_RTOL`.

    With ``check_only`` nothing is written (and the embedded data set may be read). Writing
    needs an inputs directory of the user's (:func:`helsemodlite.inputs.writable_inputs_dir`);
    everything built is validated against the input schemas first, and nothing is replaced
    unless all of it is valid. Only the files that differ beyond the tolerance are replaced
    (by atomic renames); the others keep their bytes.
    """
    if check_only:
        root = Path(inputs_dir) if inputs_dir is not None else default_inputs_dir()
    else:
        root = writable_inputs_dir(inputs_dir, "inputs build", writes=("model",))
        where = root / BUILD_RECORD
        if where.exists() and not where.is_file():  # refused before anything is built
            raise InputError(f"{where}: is not a file; remove it (inputs build writes it)")
    tables = build_tables(root)
    changed = [d.file for d in model_differences(root, tables)]
    if not check_only:
        texts = {name: to_csv_text(df) for name, df in tables.items()}
        problems = check_model_texts(texts, root)
        if problems:
            raise InputError(
                problems,
                title=f"inputs build: the files built from {root} are invalid; nothing written",
            )
        # Only the files that changed beyond the tolerance are replaced: a rebuild that agrees
        # with a file (the last digit of a float may differ between runs of the fits) leaves
        # its bytes, so the calibration's file hashes stay valid for unchanged files.
        files = {n: t for n, t in texts.items() if n in changed}
        record = build_record_text(root)  # what model/ is built from (io.build_record)
        present = root / BUILD_RECORD
        try:
            same = present.is_file() and present.read_bytes() == record.encode("utf-8")
        except OSError:
            same = False
        if not same:
            files[Path(BUILD_RECORD).name] = record
        write_files_into(root / "model", files)
    return changed
