"""helsemodlite: open projections of supply of and demand for health personnel in Norway.

The public API is listed in ``__all__``; everything else is an implementation detail. Heavy
modules (pandas, statsmodels, scipy) are imported on first use, so ``import helsemodlite`` is fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .errors import ConfigError, HelsemodliteError, InputError

_LAZY = {
    "project": ("api", "project"),
    "project_batch": ("api", "project_batch"),
    "Scenario": ("scenarios.files", "Scenario"),
    "load_scenario": ("scenarios.files", "load_scenario"),
    "compare": ("api", "compare"),
    "compare_table": ("api", "compare_table"),
    "write_compare": ("api", "write_compare"),
    "supply_effect_by_age": ("api", "supply_effect_by_age"),
    "simulate": ("api", "simulate"),
    "solve": ("api", "solve"),
    "sobol": ("api", "sobol"),
    "write_report": ("api", "write_report"),
    "plot": ("report", "plot"),
    "Simulation": ("uncertainty.simulate", "Simulation"),
    "uncertainty_spec": ("api", "uncertainty_spec"),
    "combine": ("scenarios.combine", "combine"),
    "run_to_dir": ("api", "run_to_dir"),
    "Projection": ("io.tables", "Projection"),
    "Inputs": ("model.inputs", "Inputs"),
    "load_inputs": ("io.read", "load_inputs"),
    "check_inputs": ("io.read", "check_inputs"),
    "default_inputs_dir": ("io.read", "default_inputs_dir"),
    "export_inputs": ("io.read", "export_inputs"),
    "shipped_scenarios": ("embedded", "shipped_scenarios"),
    "scenario_json_schema": ("scenarios.derived", "json_schema"),
}

__all__ = [
    "ConfigError",
    "HelsemodliteError",
    "InputError",
    "Inputs",
    "Projection",
    "Scenario",
    "Simulation",
    "__version__",
    "check_inputs",
    "combine",
    "compare",
    "compare_table",
    "default_inputs_dir",
    "export_inputs",
    "load_inputs",
    "load_scenario",
    "plot",
    "project",
    "project_batch",
    "run_to_dir",
    "scenario_json_schema",
    "shipped_scenarios",
    "simulate",
    "sobol",
    "solve",
    "supply_effect_by_age",
    "uncertainty_spec",
    "write_compare",
    "write_report",
]

if TYPE_CHECKING:
    from .api import (
        compare,
        compare_table,
        project,
        project_batch,
        run_to_dir,
        simulate,
        sobol,
        solve,
        supply_effect_by_age,
        uncertainty_spec,
        write_compare,
        write_report,
    )
    from .embedded import shipped_scenarios
    from .io.read import check_inputs, default_inputs_dir, export_inputs, load_inputs
    from .io.tables import Projection
    from .model.inputs import Inputs
    from .report import plot
    from .scenarios.combine import combine
    from .scenarios.derived import json_schema as scenario_json_schema
    from .scenarios.files import Scenario, load_scenario
    from .uncertainty.simulate import Simulation


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(import_module(f".{module}", __name__), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'helsemodlite' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
