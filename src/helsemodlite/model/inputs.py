"""The model's inputs as arrays: :class:`Inputs` and :class:`Calibration` (numpy only).

Reading and checking files is :mod:`helsemodlite.io.read`; kernels trust an :class:`Inputs`.
Every array states its dims in the field's docstring (the axes of :mod:`helsemodlite.dims`).
An :class:`Inputs` is shared by every projection of a process, so it is read-only.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..errors import InputError

REQUIRED_PARAMETERS: dict[str, tuple[float, float]] = {
    "standard_growth": (-0.1, 0.1),
    "healthy_ageing_min_age": (0, 105),
    "healthy_ageing_share": (0.0, 1.0),
    "initial_shortage_total": (-1e6, 1e6),
}
"""Scalars the model reads from ``parameters``, with their allowed range."""

WHOLE_PARAMETERS = frozenset({"healthy_ageing_min_age"})
"""Parameters that must be whole numbers (an age)."""

FTE_MAX = 1.5
"""Upper bound on expected årsverk per employed person (extra jobs can push E above 1)."""

SICK_LEAVE_MAX = 0.5
"""Upper bound on the share of agreed årsverk lost to sick leave (about 0.06–0.10 in the data):
the sick-leave measure divides by 1 − share, so a share near 1 would give absurd supply."""

DRIVERS = ("population", "births")
"""Demographic drivers a service's demand can follow."""

ARRAY_AXES: dict[str, tuple[str, ...]] = {
    "population": ("alternative", "year", "sex", "pop_age"),
    "mortality": ("alternative", "year", "sex", "pop_age"),
    "births": ("alternative", "year"),
    "stock": ("group", "sex", "age"),
    "p_work": ("group", "sex", "age"),
    "fte": ("group", "sex", "age"),
    "fulltime_share": ("group", "sex", "age"),
    "exit_rate": ("group", "sex", "age"),
    "graduates": ("group", "sex", "age"),
    "immigrants": ("group", "sex", "age"),
    "sick_leave": ("group", "sex", "age"),
    "programme_years": ("group",),
    "completion_rate": ("group",),
    "service_arsverk": ("service",),
    "healthy_ageing": ("service",),
    "public": ("service",),
    "use": ("service", "sex", "pop_age"),
    "staffing": ("service", "category"),
    "transitions": ("group", "group"),
}
"""The axes of every array field of :class:`Inputs` (names of :data:`helsemodlite.dims.AXES`,
in that order): declared once, checked on every construction."""

_RANGES: dict[str, tuple[float, float]] = {
    "population": (0.0, np.inf),
    "births": (0.0, np.inf),
    "mortality": (0.0, 1.0),
    "stock": (0.0, np.inf),
    "p_work": (0.0, 1.0),
    "fte": (0.0, FTE_MAX),
    "fulltime_share": (0.0, 1.0),
    "exit_rate": (0.0, 1.0),
    "graduates": (0.0, np.inf),
    "immigrants": (0.0, np.inf),
    "sick_leave": (0.0, SICK_LEAVE_MAX),
    "programme_years": (0.5, 10.0),
    "completion_rate": (0.0, 1.0),
    "service_arsverk": (0.0, np.inf),
    "use": (0.0, np.inf),
    "staffing": (0.0, np.inf),
    "transitions": (0.0, 1.0),
}
"""Allowed values of each array field (all must also be finite)."""


def cycle_problem(where: str, origin_of: dict[str, str]) -> str | None:
    """The message for a cycle in destination → origin links of further education (the one
    text of the assumptions, the model file and :class:`Inputs`), or None."""
    cycle = transition_cycle(origin_of)
    if not cycle:
        return None
    return (
        f"{where}: the moves form a cycle ({' → '.join(cycle)}): a group is the highest "
        "completed education, so a chain of further educations cannot lead back to its start"
    )


def transition_cycle(origin_of: dict[str, str]) -> list[str]:
    """A cycle in destination → origin links of further education (e.g. [lege, psykolog,
    lege]), or []: a group is the highest completed education, so none may exist."""
    for start in origin_of:
        seen, g = [start], origin_of[start]
        while g in origin_of and g not in seen:
            seen.append(g)
            g = origin_of[g]
        if g in seen:
            return [*seen[seen.index(g) :], g][::-1]
    return []


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


CALIBRATION_FIELDS = (
    "graduates_factor",
    "immigrants_factor",
    "exit_factor",
    "initial_shortage",
    "demand_trend",
)
"""The per-group calibration arrays, in the column order of ``calibration/calibration.csv``."""


@dataclass(frozen=True)
class Calibration:
    """Calibrated time-invariant parameters per group (see docs/calibration.md).

    All arrays have dims ``(group,)``.
    """

    graduates_factor: np.ndarray
    """Factor on the reference graduates (1 = as in the data; fitted only where the graduates
    are an assumption, docs/calibration.md)."""
    immigrants_factor: np.ndarray
    """Factor on the reference immigrants (1 = as in the data)."""
    exit_factor: np.ndarray
    """Factor on the other-exit probability (1 = as in the data; exits are not observed)."""
    initial_shortage: np.ndarray
    """Base-year shortage in årsverk (positive = shortage), carried into every year's demand."""
    demand_trend: np.ndarray
    """Constant annual growth residual of the group's observed-composition demand."""

    def __post_init__(self) -> None:
        _freeze(self)

    @classmethod
    def neutral(cls, n_groups: int) -> Calibration:
        ones, zeros = np.ones(n_groups), np.zeros(n_groups)
        return cls(ones, ones.copy(), ones.copy(), zeros, zeros.copy())


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
    fulltime_share: np.ndarray
    """(group, sex, age): share of those working there in a full-time position (<= fte); read
    only by the stillingsprosent hook's per-person cap."""
    exit_rate: np.ndarray
    """(group, sex, age): annual probability of leaving the stock other than by death."""
    graduates: np.ndarray
    """(group, sex, age): domestic graduates per year, reference level (persons)."""
    immigrants: np.ndarray
    """(group, sex, age): immigrants with the education per year, reference level (persons)."""
    sick_leave: np.ndarray
    """(group, sex, age): base-year share of agreed årsverk lost to sick leave."""
    programme_years: np.ndarray
    """(group,): years from intake to graduation (the study_places key)."""
    completion_rate: np.ndarray
    """(group,): share of an intake that graduates into the group."""

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
    transitions: np.ndarray | None = None
    """(origin group, group): share of a group's domestic graduates who leave the origin's
    stock in the same year, sex and age (further education: new jordmødre are nurses); the
    diagonal is 0. None = no moves between groups (zeros)."""

    def __post_init__(self) -> None:
        if self.transitions is None:
            n = len(self.groups)
            object.__setattr__(self, "transitions", np.zeros((n, n)))
        # Inputs built in Python (dataclasses.replace, the toy) are checked like files: the
        # kernels trust an Inputs, so a wrong shape or value must fail here, clearly.
        problems = self.problems()
        if problems:
            raise InputError(problems, title="invalid Inputs")
        # An Inputs is shared by every projection of a process (the cache): it must not change
        # through a result (p.inputs.stock *= 2 raises). Arrays are read-only, parameters frozen.
        _freeze(self)
        if not isinstance(self.parameters, FrozenDict):
            object.__setattr__(self, "parameters", FrozenDict(self.parameters))

    def coordinates(self) -> dict[str, tuple[object, ...]]:
        """The coordinates of every axis of :data:`helsemodlite.dims.AXES` this object carries."""
        return {
            "alternative": self.alternatives,
            "year": self.years,
            "service": self.services,
            "category": (*self.groups, *self.outside),
            "group": self.groups,
            "sex": self.sexes,
            "age": self.ages,
            "pop_age": self.pop_ages,
        }

    def shapes(self) -> dict[str, tuple[int, ...]]:
        """The shape each array field must have: its axes (:data:`ARRAY_AXES`) sized by the
        coordinates."""
        coords = self.coordinates()
        return {name: tuple(len(coords[a]) for a in axes) for name, axes in ARRAY_AXES.items()}

    def problems(self) -> list[str]:
        """Everything wrong with this object's arrays and scalars (empty = valid)."""
        return self._array_problems() + self._scalar_problems() + self._transition_problems()

    def _transition_problems(self) -> list[str]:
        t = self.transitions
        n = len(self.groups)
        if not isinstance(t, np.ndarray) or t.shape != (n, n) or not np.isfinite(t).all():
            return []  # reported by _array_problems
        out = []
        if np.diag(t).any():
            out.append("Inputs.transitions: a group cannot move graduates out of itself")
        g = self.groups
        links = {g[d]: g[o] for o, d in zip(*np.nonzero(t), strict=True)}
        cycle = cycle_problem("Inputs.transitions", links)
        if cycle:
            out.append(cycle)
        over = np.flatnonzero(t.sum(axis=0) > 1.0 + 1e-12)
        if over.size:
            out.append(
                "Inputs.transitions: more than all graduates of "
                + ", ".join(self.groups[i] for i in over)
                + " come from other groups' stocks (the shares of a group sum above 1)"
            )
        return out

    def _array_problems(self) -> list[str]:
        out = []
        for name, shape in self.shapes().items():
            arr = getattr(self, name)
            if not isinstance(arr, np.ndarray) or arr.shape != shape:
                got = arr.shape if isinstance(arr, np.ndarray) else type(arr).__name__
                out.append(f"Inputs.{name}: expected an array of shape {shape}, got {got}")
                continue
            if arr.dtype.kind not in "fiub":
                out.append(f"Inputs.{name}: expected real numbers, got dtype {arr.dtype}")
                continue
            if name not in _RANGES:
                continue
            if not np.isfinite(arr).all():
                out.append(f"Inputs.{name}: holds NaN or infinite values")
                continue
            lo, hi = _RANGES[name]
            if arr.size and (arr.min() < lo or arr.max() > hi):
                out.append(
                    f"Inputs.{name}: values must lie in [{lo:g}, {hi:g}], found "
                    f"{arr.min():g} … {arr.max():g}"
                )
        return out

    def _scalar_problems(self) -> list[str]:
        out = []
        years = list(self.years)
        if (
            not years
            or any(not isinstance(y, int) for y in years)
            or years != list(range(years[0], years[0] + len(years)))
        ):
            out.append("Inputs.years: expected consecutive whole years, the base year first")
        if len(set(self.alternatives)) != len(self.alternatives):
            out.append("Inputs.alternatives: an alternative is listed twice")
        bad = [d for d in self.service_driver if d not in DRIVERS]
        if bad or len(self.service_driver) != len(self.services):
            out.append(
                f"Inputs.service_driver: one of {', '.join(DRIVERS)} per service, got "
                f"{self.service_driver!r}"
            )
        for name, (lo, hi) in REQUIRED_PARAMETERS.items():
            value = self.parameters.get(name) if isinstance(self.parameters, dict) else None
            if not isinstance(value, int | float) or not lo <= value <= hi:
                out.append(f"Inputs.parameters['{name}']: must be a number in [{lo:g}, {hi:g}]")
            elif name in WHOLE_PARAMETERS and value != int(value):
                out.append(f"Inputs.parameters['{name}']: must be a whole number, got {value:g}")
        if self.population_alternative not in self.alternatives:
            out.append(
                f"Inputs.population_alternative: '{self.population_alternative}' is not one of "
                f"the alternatives {', '.join(self.alternatives)}"
            )
        cal = self.calibration
        for name in CALIBRATION_FIELDS:
            arr = getattr(cal, name, None)
            if not isinstance(arr, np.ndarray) or arr.shape != (len(self.groups),):
                out.append(f"Inputs.calibration.{name}: expected an array of shape (group,)")
            elif not np.isfinite(arr).all():
                out.append(f"Inputs.calibration.{name}: holds NaN or infinite values")
            elif name.endswith("_factor") and (arr < 0).any():
                out.append(f"Inputs.calibration.{name}: factors must be >= 0")
        return out

    @property
    def moves(self) -> np.ndarray:
        """(origin group, group) the transition shares (zeros without transitions.csv)."""
        assert self.transitions is not None  # set in __post_init__
        return self.transitions

    @property
    def base_year(self) -> int:
        return self.years[0]

    @property
    def alternative_index(self) -> int:
        return self.alternatives.index(self.population_alternative)

    def with_calibration(self, calibration: Calibration) -> Inputs:
        return replace(self, calibration=calibration)
