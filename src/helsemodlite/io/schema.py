"""Schemas of the model-ready input files (``inputs/model/*.csv``).

One declaration per file: its key columns with the coordinates they must cover completely, and its
value columns with the kind of value they hold. ``helsemodlite inputs check`` validates any inputs
directory against these declarations; the loader trusts a directory that passed.

Value kinds:

- ``count``: a number of persons or årsverk, finite, >= 0 and at most :data:`MAX_COUNT`;
- ``positive``: a count that must be > 0 (the base-year drivers: births);
- ``rate``: a probability or share, finite and in [0, 1];
- ``nonneg``: any finite number >= 0 (e.g. a relative use index, expected årsverk per person);
- ``real``: any finite number (e.g. a calibrated base-year shortage, which may be negative);
- ``flag``: 0 or 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import dims
from ..model.inputs import FTE_MAX, SICK_LEAVE_MAX
from ..model.inputs import REQUIRED_PARAMETERS as MODEL_PARAMETERS
from ..model.inputs import WHOLE_PARAMETERS as MODEL_WHOLE_PARAMETERS


@dataclass(frozen=True)
class Discovered:
    """Coordinates a key column takes from the data rather than from the code: the years of the
    population files (any contiguous run of whole years, checked across files) and the
    population alternatives (SSB's codes, e.g. MMMM, HHMH, LLML, MMML)."""

    kind: str
    """``year`` (whole numbers in [MIN_YEAR, MAX_YEAR]) or ``code`` (a non-empty text id)."""


YEAR = Discovered("year")
CODE = Discovered("code")
MIN_YEAR, MAX_YEAR = dims.YEAR_MIN, dims.YEAR_MAX
"""Years a file may hold (a wider range is a typing error)."""


@dataclass(frozen=True)
class FileSchema:
    """Declaration of one model-ready CSV file."""

    name: str
    """File name inside ``inputs/model/`` (or ``inputs/calibration/``)."""
    keys: dict[str, tuple[object, ...] | Discovered | None]
    """Key columns and the coordinates each must cover; ``None`` = free text ids; a
    :class:`Discovered` key takes its coordinates from the data (covered as a full product
    with the other keys)."""
    values: dict[str, str]
    """Value columns and their kind (see module docstring)."""
    text: tuple[str, ...] = ()
    """Other (descriptive, non-key) text columns that must be present."""
    unique_keys: bool = True
    description: str = ""
    value_bounds: dict[str, tuple[float, float]] = field(default_factory=dict)
    """Extra bounds on a value column (inclusive), beyond its kind."""
    folder: str = "model"
    optional: bool = False
    """The file may be absent (then the model does without what it holds, as it did before the
    file existed); when present it is checked like every other file."""


MAX_COUNT = 1e8
"""No cell of a Norwegian table holds more than 100 million persons or årsverk: a larger value is
a unit or typing error (the population is 5.6 million), and absurd magnitudes such as 1e308
would overflow the arithmetic."""

MAX_VALUE = 1e9
"""Bound on the magnitude of any other value (use indices, parameters)."""


_POPULATION_KEYS: dict[str, tuple[object, ...] | Discovered | None] = {
    "alternative": CODE,
    "year": YEAR,
    "sex": dims.SEXES,
    "age": dims.POP_AGES,
}
"""Keys of the population-shaped files (population and mortality)."""

SCHEMAS: tuple[FileSchema, ...] = (
    FileSchema(
        name="population.csv",
        keys=dict(_POPULATION_KEYS),
        values={"persons": "count"},
        description="Population on 1 January by alternative, sex and single age (105 = 105+).",
    ),
    FileSchema(
        name="mortality.csv",
        keys=dict(_POPULATION_KEYS),
        values={"q": "rate"},
        description="Probability of dying within the year for a person of this age on 1 January.",
    ),
    FileSchema(
        name="births.csv",
        keys={"alternative": CODE, "year": YEAR},
        values={"births": "positive"},
        description="Live births during the year.",
    ),
    FileSchema(
        name="personnel.csv",
        keys={"group": dims.GROUPS, "sex": dims.SEXES, "age": dims.AGES},
        values={
            "stock": "count",
            "p_work": "rate",
            "fte": "nonneg",
            "fulltime_share": "rate",
            "exit_rate": "rate",
            "graduates": "count",
            "immigrants": "count",
            "sick_leave": "rate",
        },
        value_bounds={"fte": (0.0, FTE_MAX), "sick_leave": (0.0, SICK_LEAVE_MAX)},
        description=(
            "Supply side per group x sex x age in the base year: stock of persons with the "
            "education (4th quarter 2024), probability of working in health and care services P, "
            "expected årsverk per person working there E, other exits (emigration etc.) per year, "
            "annual inflow of domestic graduates and immigrants (reference level), and the share "
            "of agreed årsverk lost to sick leave."
        ),
    ),
    FileSchema(
        name="services.csv",
        keys={"service": None},
        values={"arsverk_2024": "positive", "healthy_ageing": "flag", "public": "flag"},
        text=("label", "driver"),
        description=(
            "Service areas of the demand side: 2024 årsverk (all staff), the demographic driver "
            "('population' or 'births'), whether healthier ageing applies, whether publicly "
            "financed."
        ),
    ),
    FileSchema(
        name="service_use.csv",
        keys={"service": None, "sex": dims.SEXES, "age": dims.POP_AGES},
        values={"use": "nonneg"},
        description="Relative use of each service per person by sex and age (any scale).",
    ),
    FileSchema(
        name="staffing.csv",
        keys={"service": None, "category": dims.CATEGORIES},
        values={"arsverk_2024": "count"},
        description="Årsverk 2024 by service area and staffing category (14 groups + 3 outside).",
    ),
    FileSchema(
        name="parameters.csv",
        keys={"parameter": None},
        values={"value": "real"},
        text=("unit", "source"),
        description="Scalar reference assumptions.",
    ),
    FileSchema(
        name="education.csv",
        keys={"group": dims.GROUPS},
        values={"programme_years": "positive", "completion_rate": "rate"},
        value_bounds={"programme_years": (0.5, 10.0)},
        description=(
            "The education pipeline per group: years from intake to graduation and the share "
            "of an intake that graduates (read only by the study_places key)."
        ),
    ),
    FileSchema(
        name="transitions.csv",
        keys={"group": dims.GROUPS},
        values={"share": "rate"},
        text=("origin",),
        optional=True,
        description=(
            "Further education as a move between groups: 'share' of the group's domestic "
            "graduates are persons who leave the stock of group 'origin' (empty: none) in the "
            "same year, sex and age, e.g. new jordmødre are nurses. Optional: without the file "
            "no one moves between groups (inputs from before it carried the moves in the "
            "origin's exit_rate)."
        ),
    ),
    FileSchema(
        name="calibration.csv",
        keys={"group": dims.GROUPS},
        values={
            "graduates_factor": "nonneg",
            "immigrants_factor": "nonneg",
            "exit_factor": "nonneg",
            "initial_shortage": "real",
            "demand_trend": "real",
        },
        text=("fitted",),
        value_bounds={
            "demand_trend": (-0.1, 0.1),
            "graduates_factor": (0.0, 10.0),
            "immigrants_factor": (0.0, 10.0),
            "exit_factor": (0.0, 20.0),
        },
        folder="calibration",
        description=(
            "Calibrated time-invariant parameters per group (see docs/calibration.md): factors "
            "on the reference graduates, immigrants and other-exit probability, base-year "
            "shortage (årsverk, positive = shortage), constant annual demand-trend residual "
            "(0 unless fitted); 'fitted' names the parameters the fit chose for the group."
        ),
    ),
)

SCHEMA_BY_NAME = {s.name: s for s in SCHEMAS}

# Scalars that ``parameters.csv`` must define, with their allowed range: those the model reads.
REQUIRED_PARAMETERS = MODEL_PARAMETERS
WHOLE_PARAMETERS = MODEL_WHOLE_PARAMETERS
