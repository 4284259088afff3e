"""A toy data set for tests and examples: two groups, five ages, four years.

Small enough to check by hand: ``toy_inputs()`` has no deaths, no exits and one graduate a year
unless told otherwise, so its stocks can be computed in one's head.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .model.inputs import Calibration, Inputs

TOY_GROUPS = ("sykepleier", "lege")
TOY_AGES = (20, 21, 22, 23, 24)
TOY_YEARS = (2024, 2025, 2026, 2027)
TOY_POP_AGES = tuple(range(30))


def toy_inputs(**overrides: Any) -> Inputs:
    """A hand-checkable :class:`Inputs`. Keyword arguments replace fields (arrays broadcast).

    Defaults: 10 persons in every group × sex × age cell; P = 0.5, E = 0.8 (no full-time
    share; a 3-year programme with 80 % completion); no mortality, no exits; 1 graduate a year
    per group and sex at age 20, no immigrants, no moves between groups; sick leave 0.1; a
    constant population of 100 per sex and age; two services ("a" with all staff, "b" with none
    of the groups), use 1 at every age; standard growth 0; no calibration terms.
    """
    n_g, n_s, n_a, n_y, n_p = len(TOY_GROUPS), 2, len(TOY_AGES), len(TOY_YEARS), len(TOY_POP_AGES)
    cell = (n_g, n_s, n_a)
    grads = np.zeros(cell)
    grads[:, :, 0] = 1.0
    staffing = np.zeros((2, n_g + 1))
    staffing[0, :n_g] = 8.0 * n_s * n_a * 0.5 / 2  # any positive split; rescaled to supply
    staffing[0, n_g] = 30.0
    staffing[1, n_g] = 10.0
    fields: dict[str, Any] = dict(
        directory=None,
        groups=TOY_GROUPS,
        sexes=("F", "M"),
        ages=TOY_AGES,
        years=TOY_YEARS,
        pop_ages=TOY_POP_AGES,
        alternatives=("MMMM",),
        population_alternative="MMMM",
        population=np.full((1, n_y, n_s, n_p), 100.0),
        mortality=np.zeros((1, n_y, n_s, n_p)),
        births=np.full((1, n_y), 100.0),
        stock=np.full(cell, 10.0),
        p_work=np.full(cell, 0.5),
        fte=np.full(cell, 0.8),
        fulltime_share=np.zeros(cell),
        exit_rate=np.zeros(cell),
        graduates=grads,
        immigrants=np.zeros(cell),
        sick_leave=np.full(cell, 0.1),
        programme_years=np.full(n_g, 3.0),
        completion_rate=np.full(n_g, 0.8),
        services=("a", "b"),
        service_labels=("Tjeneste A", "Tjeneste B"),
        service_arsverk=staffing.sum(axis=1),
        service_driver=("population", "population"),
        healthy_ageing=np.array([True, False]),
        public=np.array([True, True]),
        use=np.ones((2, n_s, n_p)),
        staffing=staffing,
        outside=("uten_relevant_helseutdanning",),
        parameters={
            "standard_growth": 0.0,
            "healthy_ageing_min_age": 25.0,
            "healthy_ageing_share": 0.5,
            "initial_shortage_total": 0.0,
        },
        calibration=Calibration.neutral(n_g),
        transitions=np.zeros((n_g, n_g)),
    )
    for key, value in overrides.items():
        if key not in fields:
            raise TypeError(f"toy_inputs() got an unknown field {key!r}")
        ref = fields[key]
        if isinstance(ref, np.ndarray) and not isinstance(value, np.ndarray):
            value = np.broadcast_to(np.asarray(value, dtype=ref.dtype), ref.shape).copy()
        fields[key] = value
    if "fulltime_share" not in overrides:  # follows the cells of a toy with other ages
        fields["fulltime_share"] = np.zeros_like(np.asarray(fields["fte"], dtype=float))
    return Inputs(**fields)
