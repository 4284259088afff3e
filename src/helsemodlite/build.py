"""The deterministic build step: public sources + assumptions -> model-ready arrays.

``helsemodlite inputs build`` runs it. The model-ready files are committed, so runs need no
estimation; a test rebuilds them and checks they are identical.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import tomllib
from pathlib import Path

import pandas as pd

from . import dims
from .inputs import default_inputs_dir, writable_inputs_dir
from .schema import SCHEMAS

FLOAT_FORMAT = "%.10g"


def to_csv_text(df: pd.DataFrame) -> str:
    """The one CSV formatting of the project: fixed float format, '\\n' line ends, no index."""
    return df.to_csv(index=False, float_format=FLOAT_FORMAT, lineterminator="\n")


def build_parameters(assumptions_dir: Path) -> pd.DataFrame:
    """parameters.csv from ``assumptions/reference.toml``."""
    with (assumptions_dir / "reference.toml").open("rb") as fh:
        doc = tomllib.load(fh)
    rows = [
        {
            "parameter": name,
            "value": float(entry["value"]),
            "unit": entry["unit"],
            "source": f"assumptions/reference.toml ({entry['kind']})",
        }
        for name, entry in sorted(doc.items())
    ]
    return pd.DataFrame(rows, columns=["parameter", "value", "unit", "source"])


def supply_by_group(personnel: pd.DataFrame) -> pd.Series:
    """Base-year supply Σ stock·P·E by group (årsverk), in dims.GROUPS order."""
    arsverk = personnel["stock"] * personnel["p_work"] * personnel["fte"]
    return arsverk.groupby(personnel["group"]).sum().reindex(list(dims.GROUPS))


def build_tables(inputs_dir: Path | None = None) -> dict[str, pd.DataFrame]:
    """Build every model-ready table from ``sources/`` and ``assumptions/``."""
    from .demand_data import build_demand
    from .population import build_population
    from .supply_data import build_personnel

    root = Path(inputs_dir) if inputs_dir is not None else default_inputs_dir()
    sources, assumptions = root / "sources", root / "assumptions"
    tables = dict(build_population(sources, assumptions))
    personnel = build_personnel(sources, assumptions)
    tables["personnel.csv"] = personnel
    tables.update(build_demand(sources, assumptions, supply_by_group(personnel)))
    tables["parameters.csv"] = build_parameters(assumptions)
    model_files = {s.name for s in SCHEMAS if s.folder == "model"}
    if set(tables) != model_files:
        raise RuntimeError(f"build produced {sorted(tables)}, expected {sorted(model_files)}")
    return tables


def write_files(texts: dict[str, str], directory: Path) -> None:
    """Write files atomically: all to a temporary directory beside the target, then each moved
    into place with an atomic rename. A failure leaves the old files untouched."""
    directory.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=directory))
    try:
        for name, text in texts.items():
            (tmp / name).write_text(text, encoding="utf-8", newline="")
        for name in texts:
            os.replace(tmp / name, directory / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def build_inputs(inputs_dir: Path | None = None, *, check_only: bool = False) -> list[str]:
    """Rebuild ``model/*.csv``. Returns the names of files whose content differs from the
    committed ones; with ``check_only`` nothing is written (and the embedded data set may be
    read). Writing needs an inputs directory of the user's (see
    :func:`helsemodlite.inputs.writable_inputs_dir`)."""
    if check_only:
        root = Path(inputs_dir) if inputs_dir is not None else default_inputs_dir()
    else:
        root = writable_inputs_dir(inputs_dir, "inputs build")
    texts = {name: to_csv_text(df) for name, df in build_tables(root).items()}
    model = root / "model"
    changed = [
        name
        for name, text in sorted(texts.items())
        if not (model / name).is_file() or (model / name).read_text(encoding="utf-8") != text
    ]
    if not check_only:
        write_files(texts, model)
    return changed
