"""The model's inputs as arrays: :class:`Inputs` and :class:`Calibration` (numpy only).

Reading and checking files is :mod:`helsemodlite.io.read`; kernels trust an :class:`Inputs`.
Every array states its dims in the field's docstring (the axes of :mod:`helsemodlite.dims`).
An :class:`Inputs` is shared by every projection of a process, so it is read-only.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np


class FrozenDict(dict[str, float]):
    """A dict that refuses changes (the scalar parameters of a shared, cached :class:`Inputs`)."""

    def _refuse(self, *args: object, **kwargs: object) -> None:
        raise TypeError("Inputs are read-only; build a changed copy with dataclasses.replace")

    __setitem__ = __delitem__ = _refuse  # type: ignore[assignment]
    clear = pop = popitem = setdefault = update = _refuse  # type: ignore[assignment]
    __ior__ = _refuse  # type: ignore[assignment]

    def __reduce__(self) -> tuple[type, tuple[dict[str, float]]]:
        return (FrozenDict, (dict(self),))


def _freeze(obj: object) -> None:
    """Make every numpy array field of a dataclass read-only (shared caches stay intact)."""
    for value in vars(obj).values():
        if isinstance(value, np.ndarray):
            value.setflags(write=False)


@dataclass(frozen=True)
class Calibration:
    """Calibrated time-invariant parameters per group (see docs/calibration.md).

    All arrays have dims ``(group,)``.
    """

    inflow_factor: np.ndarray
    """Factor on the reference inflow of graduates and immigrants (1 = as in the data)."""
    initial_shortage: np.ndarray
    """Base-year shortage in årsverk (positive = shortage), carried into every year's demand."""
    demand_trend: np.ndarray
    """Constant annual growth residual of the group's observed-composition demand."""

    def __post_init__(self) -> None:
        _freeze(self)

    @classmethod
    def neutral(cls, n_groups: int) -> Calibration:
        return cls(np.ones(n_groups), np.zeros(n_groups), np.zeros(n_groups))


@dataclass(frozen=True)
class Inputs:
    """A validated data set as numpy arrays. Dims are stated per field."""

    directory: Path | None
    groups: tuple[str, ...]
    sexes: tuple[str, ...]
    ages: tuple[int, ...]
    years: tuple[int, ...]
    pop_ages: tuple[int, ...]
    alternatives: tuple[str, ...]
    population_alternative: str
    """The alternative used when a scenario does not choose one."""

    population: np.ndarray
    """(alternative, year, sex, pop_age): persons on 1 January."""
    mortality: np.ndarray
    """(alternative, year, sex, pop_age): probability of dying during the year."""
    births: np.ndarray
    """(alternative, year): live births."""

    stock: np.ndarray
    """(group, sex, age): persons with the education, 4th quarter of the base year."""
    p_work: np.ndarray
    """(group, sex, age): probability of working in health and care services."""
    fte: np.ndarray
    """(group, sex, age): expected årsverk per person working there."""
    exit_rate: np.ndarray
    """(group, sex, age): annual probability of leaving the stock other than by death."""
    graduates: np.ndarray
    """(group, sex, age): domestic graduates per year, reference level (persons)."""
    immigrants: np.ndarray
    """(group, sex, age): immigrants with the education per year, reference level (persons)."""
    sick_leave: np.ndarray
    """(group, sex, age): base-year share of agreed årsverk lost to sick leave."""

    services: tuple[str, ...]
    service_labels: tuple[str, ...]
    service_arsverk: np.ndarray
    """(service,): årsverk 2024, all staff."""
    service_driver: tuple[str, ...]
    healthy_ageing: np.ndarray
    """(service,) bool: healthier ageing applies."""
    public: np.ndarray
    """(service,) bool: publicly financed."""
    use: np.ndarray
    """(service, sex, pop_age): relative use per person."""
    staffing: np.ndarray
    """(service, category): årsverk in the base year, categories = groups + outside."""
    outside: tuple[str, ...]

    parameters: dict[str, float]
    calibration: Calibration
    file_hashes: dict[str, str] = field(default_factory=dict)
    """sha256 of every file read, by path relative to the inputs directory."""

    def __post_init__(self) -> None:
        # An Inputs is shared by every projection of a process (the cache): it must not change
        # through a result (p.inputs.stock *= 2 raises). Arrays are read-only, parameters frozen.
        _freeze(self)
        if not isinstance(self.parameters, FrozenDict):
            object.__setattr__(self, "parameters", FrozenDict(self.parameters))

    @property
    def base_year(self) -> int:
        return self.years[0]

    @property
    def alternative_index(self) -> int:
        return self.alternatives.index(self.population_alternative)

    def with_calibration(self, calibration: Calibration) -> Inputs:
        return replace(self, calibration=calibration)
