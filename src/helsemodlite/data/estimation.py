"""Estimation of the supply-side behaviour P (probability of working in health and care services)
and E (expected årsverk per person working there), in the way SSB's Helsemod does it but on the
grouped public data available to helsemodlite.

- P: binomial GLM with logit link, polynomial in age. The public data are age-band aggregates
  (employed in NACE 86-88 by band, persons by band reconstructed), so the estimation data set is
  band-level successes/trials spread over single ages in proportion to persons. The model is
  pooled over groups: group-specific intercepts, a group-specific slope on ``max(age - knot, 0)``
  (retirement tail) and a common age polynomial whose degree (1..5) is chosen by BIC computed on
  the number of band observations.
- E: weighted least squares of årsverk per employed on group intercepts, a measure effect and a
  linear year trend (observations 2007 and 2011, weighted by employed). The public data hold no
  age variation of E within a group, so the age polynomial of E has degree 0 here; the age profile
  is an explicit assumption applied afterwards (see supply_data).

statsmodels is imported inside the functions (never at module import time).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


def age_polynomial(ages: np.ndarray, degree: int, center: float, scale: float) -> np.ndarray:
    """Raw polynomial columns z, z², …, z^degree of standardised age z = (age − center) / scale.

    Shape ``(len(ages), degree)``; dimensionless.
    """
    z = (np.asarray(ages, dtype=float) - center) / scale
    return (
        np.column_stack([z**k for k in range(1, degree + 1)]) if degree else np.empty((len(z), 0))
    )


@dataclass
class PModel:
    """Fitted pooled logit model of P[group, age] (same for both sexes)."""

    groups: tuple[str, ...]
    degree: int
    params: np.ndarray
    center: float
    scale: float
    knot: float
    bic: dict[int, float] = field(default_factory=dict)
    n_bands: int = 0
    group_degree: int = 0
    """Degree of the group-specific age polynomial on top of the common one (0: intercept and
    old-age slope only)."""

    def design(self, group_idx: np.ndarray, ages: np.ndarray) -> np.ndarray:
        """Design matrix rows for (group index, age) pairs."""
        n_g = len(self.groups)
        onehot = np.zeros((len(ages), n_g))
        onehot[np.arange(len(ages)), group_idx] = 1.0
        old = np.maximum(np.asarray(ages, float) - self.knot, 0.0) / 10.0
        own = age_polynomial(ages, self.group_degree, self.center, self.scale)
        return np.column_stack(
            [
                onehot,
                onehot * old[:, None],
                *(onehot * own[:, k, None] for k in range(self.group_degree)),
                age_polynomial(ages, self.degree, self.center, self.scale),
            ]
        )

    def logit(self, ages: np.ndarray) -> np.ndarray:
        """Linear predictor, shape ``(n_groups, len(ages))``."""
        ages = np.asarray(ages, float)
        out = np.empty((len(self.groups), len(ages)))
        for g in range(len(self.groups)):
            out[g] = self.design(np.full(len(ages), g), ages) @ self.params
        return out

    def predict(self, ages: np.ndarray, shift: float = 0.0) -> np.ndarray:
        """P[group, age] in [0, 1]; ``shift`` is added on the logit scale."""
        return 1.0 / (1.0 + np.exp(-(self.logit(ages) + shift)))


def fit_p_glm(
    data: pd.DataFrame,
    groups: tuple[str, ...],
    *,
    max_degree: int = 5,
    center: float = 50.0,
    scale: float = 15.0,
    knot: float = 60.0,
    n_iter: int = 6,
    group_degree: int = 0,
) -> PModel:
    """Fit the pooled binomial logit model of P.

    ``data``: one row per group x single age with columns ``group``, ``age``, ``successes``
    (persons employed in health and care, may be fractional), ``trials`` (persons) and ``band``
    (band id). Band successes are first spread in proportion to persons, then re-spread in
    proportion to persons x fitted P (``n_iter`` EM steps). BIC = deviance + k log(number of
    bands). Returns the BIC-preferred model.
    """
    import statsmodels.api as sm

    gidx = data["group"].map({g: i for i, g in enumerate(groups)}).to_numpy()
    ages = data["age"].to_numpy(float)
    trials = data["trials"].to_numpy(float)
    band = data["band"].to_numpy()
    band_succ = (
        pd.Series(data["successes"].to_numpy(float)).groupby(band).transform("sum").to_numpy()
    )
    n_bands = int(data[["group", "band"]].drop_duplicates().shape[0])
    fits: dict[int, tuple[float, np.ndarray]] = {}
    for degree in range(1, max_degree + 1):
        model = PModel(groups, degree, np.zeros(0), center, scale, knot, group_degree=group_degree)
        exog = model.design(gidx, ages)
        succ = data["successes"].to_numpy(float)
        for _ in range(n_iter):
            endog = np.column_stack([succ, trials - succ])
            res = sm.GLM(endog, exog, family=sm.families.Binomial()).fit(method="irls", tol=1e-12)
            # Re-spread each band's successes over its ages in proportion to trials x fitted P
            # (EM step for band-aggregated binomial data), capped below the trials.
            w = trials * np.asarray(res.fittedvalues)
            w_band = pd.Series(w).groupby(band).transform("sum").to_numpy()
            succ = np.minimum(band_succ * w / w_band, 0.98 * trials)
        bic = float(res.deviance + exog.shape[1] * np.log(n_bands))
        fits[degree] = (bic, np.asarray(res.params))
    best = min(fits, key=lambda d: (round(fits[d][0], 6), d))
    return PModel(
        groups,
        best,
        fits[best][1],
        center,
        scale,
        knot,
        bic={d: f[0] for d, f in fits.items()},
        n_bands=n_bands,
        group_degree=group_degree,
    )


@dataclass
class EModel:
    """Fitted WLS model of årsverk per employed in HS: group level, measure effect, year trend."""

    levels: dict[str, float]
    """Group intercepts at the trend reference year, measure 'arsverk'."""
    measure_effects: dict[str, float]
    trend: float
    """Common change per year (årsverk per employed)."""
    reference_year: int
    n_obs: int

    def level(self, group: str, year: int, trend_cap: float | None = None) -> float:
        """Expected årsverk per employed in HS of ``group`` in ``year`` (measure 'arsverk')."""
        trend = self.trend if trend_cap is None else min(self.trend, trend_cap)
        return self.levels[group] + trend * (year - self.reference_year)


def fit_e_wls(data: pd.DataFrame, reference_year: int = 2011) -> EModel:
    """Fit the WLS model of E.

    ``data``: one row per group x year x measure with columns ``group``, ``year``, ``measure``
    ('arsverk' = avtalte årsverk / employed in HS; 'hours' = agreed weekly hours per person / 37.5),
    ``y`` (årsverk per employed) and ``weight`` (employed in HS).
    """
    import statsmodels.api as sm

    groups = sorted(data["group"].unique())
    measures = [m for m in sorted(data["measure"].unique()) if m != "arsverk"]
    cols = [(data["group"] == g).astype(float).to_numpy() for g in groups]
    cols += [(data["measure"] == m).astype(float).to_numpy() for m in measures]
    cols.append((data["year"] - reference_year).to_numpy(float))
    exog = np.column_stack(cols)
    res = sm.WLS(data["y"].to_numpy(float), exog, weights=data["weight"].to_numpy(float)).fit()
    p = np.asarray(res.params)
    return EModel(
        levels={g: float(p[i]) for i, g in enumerate(groups)},
        measure_effects={m: float(p[len(groups) + j]) for j, m in enumerate(measures)},
        trend=float(p[-1]),
        reference_year=reference_year,
        n_obs=len(data),
    )
