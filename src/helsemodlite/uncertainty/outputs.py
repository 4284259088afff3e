"""The files of ``helsemodlite uncertainty --out DIR`` (docs/uncertainty.md), as bytes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from .._version import __version__
from ..io.outputs import UNCERTAINTY_FILES, _inputs_label, _utf8, environment
from ..io.read import calibration_status
from ..io.tables import to_csv_text
from ..model.inputs import Inputs
from .simulate import Simulation


def _spec_label(spec: Path) -> str:
    """The embedded file is named as such (run.json does not depend on the machine)."""
    root = _inputs_label(spec.parent.parent)
    if root is not None and root.startswith("embedded"):
        return f"{root} {spec.parent.name}/{spec.name}"
    return str(spec)


def simulation_record(
    sim: Simulation, inputs: Inputs, scenario: Any, chunk: int, sobol: Any = None
) -> dict[str, Any]:
    """run.json: what reproduces the simulation (seed, draws, the declared widths' file and
    sha256, the inputs) and no timestamps."""
    spec = Path(sim.spec.source)
    try:
        spec_sha = hashlib.sha256(spec.read_bytes()).hexdigest()
    except OSError:
        spec_sha = None
    return {
        "helsemodlite_version": __version__,
        "environment": environment(),
        "kind": "uncertainty",
        "scenario": None if scenario is None else scenario.to_dict(),
        "draws": sim.n_draws,
        "seed": sim.inputs_drawn.seed,
        "chunk": chunk,
        "draw_0": "the reference inputs",
        "uncertainty_file": _spec_label(spec),
        "uncertainty_file_sha256": spec_sha,
        "inputs_directory": _inputs_label(inputs.directory),
        "input_files_sha256": inputs.file_hashes,
        "years": [inputs.years[0], inputs.years[-1]],
        "calibration": calibration_status(inputs),
        "sobol": None if sobol is None else {"n": sobol.attrs["n"], "runs": sobol.attrs["runs"]},
        "outputs": [
            f
            for f in UNCERTAINTY_FILES
            if (f != "effect_quantiles.csv" or scenario) and (f != "sobol.csv" or sobol is not None)
        ],
    }


def simulation_files(
    sim: Simulation, inputs: Inputs, scenario: Any, chunk: int, year: int, sobol: Any = None
) -> dict[str, bytes]:
    """Every file's bytes; ``sobol``: the frame of :func:`.sobol.sobol`, if computed."""
    files = {
        "quantiles.csv": _utf8(to_csv_text(sim.quantiles())),
        "prob_shortage.csv": _utf8(to_csv_text(sim.prob_shortage())),
        "drivers.csv": _utf8(to_csv_text(sim.drivers(year).assign(year=year))),
        "sampled_inputs.csv": _utf8(to_csv_text(sim.sampled().rename_axis("draw").reset_index())),
    }
    if scenario is not None:
        files["effect_quantiles.csv"] = _utf8(to_csv_text(sim.effect_quantiles()))
    if sobol is not None:
        files["sobol.csv"] = _utf8(to_csv_text(sobol.assign(year=sobol.attrs["year"])))
    record = simulation_record(sim, inputs, scenario, chunk, sobol)
    files["run.json"] = _utf8(json.dumps(record, ensure_ascii=False, indent=2) + "\n")
    return files
