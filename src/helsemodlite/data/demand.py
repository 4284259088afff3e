"""Demand-side base data: service areas, use profiles by sex and age, staffing composition 2024.

Builds the three model-ready demand files of :mod:`helsemodlite.io.schema` from the public tables in
``inputs/sources/`` and the documented assumptions in ``inputs/assumptions/``:

- ``services.csv``: one row per service area k with its 2024 årsverk (all staff), demographic driver
  (``population`` or ``births``), healthier-ageing flag and public-financing flag;
- ``service_use.csv``: relative use per person of each area by sex and single age 0..105
  (scaled so that the 2024-population-weighted mean of every area is 1);
- ``staffing.csv``: årsverk 2024 by area and staffing category (14 groups + 3 outside categories),
  balanced by RAS / iterative proportional fitting (:func:`balance_staffing`) so that the rows sum
  to the 14-group supply and the published outside-category totals and the columns to the area
  årsverk.

The public service areas sum to the published 2024 demand of 343 500 årsverk; the non-public area
``annen_helse`` is the residual that makes 14-group demand in 2024 equal to 14-group supply and
the outside-category totals equal to their published values (see docs/_data_demand.md).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import dims
from .catalogue import source_file

PRIOR_FILE = "demand_staffing_prior.csv"
BANDS_FILE = "demand_use_bands.csv"
TOML_FILE = "demand.toml"

NON_PUBLIC_SERVICE = "annen_helse"
"""The service area outside the publicly financed services (size = residual)."""

SPECIALIST_SERVICES = dims.SPECIALIST_SERVICES
"""Areas that together make up specialist health services (used in checks and docs)."""

_N_AGES = len(dims.POP_AGES)
_AGES = np.arange(_N_AGES, dtype=float)
_ARSVERK_DECIMALS = 3
_USE_DECIMALS = 8


# ------------------------------------------------------------------------------------------------
# RAS / iterative proportional fitting
# ------------------------------------------------------------------------------------------------


def _ras_start(
    prior: pd.DataFrame, row_totals: pd.Series, col_totals: pd.Series, tol: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Checked starting point of :func:`balance_staffing`: prior, row and (rescaled) column
    totals as arrays in the prior's order, and the scale of the tolerance."""
    if not isinstance(prior, pd.DataFrame):
        raise ValueError("prior must be a pandas DataFrame")
    rows = pd.Series(row_totals, dtype=float)
    cols = pd.Series(col_totals, dtype=float)
    if set(rows.index) != set(prior.index) or len(rows) != len(prior.index):
        raise ValueError("row_totals must be indexed exactly by the prior's rows")
    if set(cols.index) != set(prior.columns) or len(cols) != len(prior.columns):
        raise ValueError("col_totals must be indexed exactly by the prior's columns")
    rows = rows.reindex(prior.index)
    cols = cols.reindex(prior.columns)
    x = prior.to_numpy(dtype=float, copy=True)
    r = rows.to_numpy()
    c = cols.to_numpy()
    for name, arr in (("prior", x), ("row_totals", r), ("col_totals", c)):
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} contains non-finite values")
        if np.any(arr < 0):
            raise ValueError(f"{name} contains negative values")
    total_r, total_c = float(r.sum()), float(c.sum())
    scale = max(total_r, total_c, 1.0)
    if abs(total_r - total_c) > tol * scale:
        raise ValueError(
            f"inconsistent totals: rows sum to {total_r:.6f}, columns to {total_c:.6f} "
            f"(difference {total_r - total_c:.6f} exceeds tolerance {tol * scale:.3g})"
        )
    if total_c > 0:
        c = c * (total_r / total_c)
    for axis, totals, labels in ((1, r, prior.index), (0, c, prior.columns)):
        empty = (x.sum(axis=axis) <= 0) & (totals > 0)
        if np.any(empty):
            bad = [str(lbl) for lbl in np.asarray(labels)[empty]]
            raise ValueError(f"positive totals but an all-zero prior for: {', '.join(bad)}")

    return x, r, c, scale


def balance_staffing(
    prior: pd.DataFrame,
    row_totals: pd.Series,
    col_totals: pd.Series,
    *,
    tol: float = 1e-9,
    max_iter: int = 10_000,
) -> pd.DataFrame:
    """Scale a non-negative prior matrix to given row and column totals (RAS / IPF).

    Dims: ``prior`` is (row, column), e.g. (staffing category, service area), in årsverk or any
    non-negative unit; ``row_totals`` is indexed by ``prior.index`` and ``col_totals`` by
    ``prior.columns``, in the unit of the result. Returns a matrix with the same labels whose
    row sums equal ``row_totals`` and column sums equal ``col_totals`` (relative tolerance ``tol``
    of the grand total) and which is of the form ``diag(r) · prior · diag(s)``: zeros of the prior
    stay zero. The column totals are rescaled by the ratio of the two grand totals (a difference
    of at most ``tol`` relative) before iterating.

    Raises ``ValueError`` if the totals are inconsistent (grand totals differ by more than ``tol``
    relative, negative values, labels not matching) or if the prior cannot reach them (a row or
    column with a positive total and an all-zero prior, or no convergence within ``max_iter``).
    """
    x, r, c, scale = _ras_start(prior, row_totals, col_totals, tol)
    converged = False
    for _ in range(max_iter):
        rs = x.sum(axis=1)
        x *= np.divide(r, rs, out=np.zeros_like(r), where=rs > 0)[:, None]
        cs = x.sum(axis=0)
        x *= np.divide(c, cs, out=np.zeros_like(c), where=cs > 0)[None, :]
        if np.max(np.abs(x.sum(axis=1) - r)) <= tol * scale:
            converged = True
            break
    if not converged:
        raise ValueError(f"RAS did not converge within {max_iter} iterations (infeasible prior?)")
    return pd.DataFrame(x, index=prior.index.copy(), columns=prior.columns.copy())


# ------------------------------------------------------------------------------------------------
# Reading inputs
# ------------------------------------------------------------------------------------------------


def load_config(assumptions_dir: Path) -> dict[str, Any]:
    """Parsed ``demand.toml`` (services, pinned cells, totals, use parameters)."""
    with open(Path(assumptions_dir) / TOML_FILE, "rb") as fh:
        return tomllib.load(fh)


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, comment="#", skipinitialspace=True)


def load_population_2024(sources_dir: Path) -> pd.DataFrame:
    """Population 1.1.2024, dims (age 0..105) x (F, M), persons (SSB 07459)."""
    df = _read_csv(source_file(Path(sources_dir), "population_base")).set_index("age").sort_index()
    pop = pd.DataFrame({"F": df["female_2024"], "M": df["male_2024"]}).astype(float)
    return pop.reindex(list(dims.POP_AGES)).fillna(0.0)


def load_prior_composition(assumptions_dir: Path) -> pd.DataFrame:
    """Prior staffing composition, dims (category) x (service), per cent of area årsverk."""
    prior = _read_csv(Path(assumptions_dir) / PRIOR_FILE).set_index("category")
    missing = set(dims.CATEGORIES) - set(prior.index)
    extra = set(prior.index) - set(dims.CATEGORIES)
    if missing or extra:
        raise ValueError(
            f"{PRIOR_FILE}: categories missing {sorted(missing)}, extra {sorted(extra)}"
        )
    return prior.reindex(list(dims.CATEGORIES)).astype(float)


# ------------------------------------------------------------------------------------------------
# Service areas and staffing
# ------------------------------------------------------------------------------------------------


def service_table(config: dict[str, Any], total_arsverk: float) -> pd.DataFrame:
    """Service areas with 2024 årsverk; the non-public residual = total_arsverk − public total.

    ``total_arsverk`` is the sum of all row totals (14-group supply + outside totals), årsverk.
    Raises ``ValueError`` if the public areas do not sum to the published public demand or if
    the residual is not positive.
    """
    services = config["services"]
    public_total = float(config["totals"]["public_demand_2024"]["value"])
    rows = []
    residual_names = []
    for name, spec in services.items():
        size = spec["arsverk_2024"]
        if size == "residual":
            residual_names.append(name)
            size = np.nan
        rows.append(
            {
                "service": name,
                "label": spec["label"],
                "arsverk_2024": float(size),
                "driver": spec["driver"],
                "healthy_ageing": int(spec["healthy_ageing"]),
                "public": int(spec["public"]),
            }
        )
    table = pd.DataFrame(rows).set_index("service")
    if len(residual_names) != 1:
        raise ValueError(
            "demand.toml must define exactly one service with arsverk_2024 = 'residual'"
        )
    public_sum = table.loc[table["public"] == 1, "arsverk_2024"].sum()
    if abs(public_sum - public_total) > 0.5:
        raise ValueError(f"public service areas sum to {public_sum}, not {public_total}")
    residual = total_arsverk - table["arsverk_2024"].sum(skipna=True)
    if residual <= 0:
        raise ValueError(
            f"total årsverk {total_arsverk:.1f} leaves no room for the area {residual_names[0]} "
            f"(residual {residual:.1f}); supply_2024 is too small for the published totals"
        )
    table.loc[residual_names[0], "arsverk_2024"] = residual
    bad = set(table["driver"]) - {"population", "births"}
    if bad:
        raise ValueError(f"unknown drivers {sorted(bad)}")
    return table


def row_totals_2024(config: dict[str, Any], supply_2024: pd.Series) -> pd.Series:
    """Row totals by staffing category (dims.CATEGORIES), årsverk 2024: supply + outside totals."""
    supply = pd.Series(supply_2024, dtype=float)
    if set(supply.index) != set(dims.GROUPS) or len(supply) != len(dims.GROUPS):
        raise ValueError("supply_2024 must be indexed exactly by dims.GROUPS")
    if not np.all(np.isfinite(supply.to_numpy())) or (supply <= 0).any():
        raise ValueError("supply_2024 must be finite and positive")
    outside = config["totals"]["outside_2024"]
    values = [float(supply[g]) for g in dims.GROUPS] + [float(outside[c]) for c in dims.OUTSIDE]
    return pd.Series(values, index=list(dims.CATEGORIES), name="arsverk_2024")


def build_staffing_matrix(
    assumptions_dir: Path, supply_2024: pd.Series
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Prior and balanced staffing matrices, dims (category) x (service), årsverk 2024.

    Returns ``(services, prior, balanced)``: the service table (index service), the prior matrix
    (composition shares x area årsverk, pinned cells at their published values) and the RAS-
    balanced matrix. Pinned cells are held fixed; RAS runs on the other cells with the pinned
    values subtracted from the row and column totals.
    """
    config = load_config(assumptions_dir)
    rows = row_totals_2024(config, supply_2024)
    services = service_table(config, float(rows.sum()))
    pct = load_prior_composition(assumptions_dir)
    if set(pct.columns) != set(services.index):
        raise ValueError(f"{PRIOR_FILE}: columns must be the service areas of {TOML_FILE}")
    pct = pct[list(services.index)]
    if (pct < 0).to_numpy().any():
        raise ValueError(f"{PRIOR_FILE}: negative shares")
    shares = pct / pct.sum(axis=0)
    cols = services["arsverk_2024"]
    prior = shares * cols

    pinned = pd.DataFrame(0.0, index=prior.index, columns=prior.columns)
    is_pinned = pd.DataFrame(False, index=prior.index, columns=prior.columns)
    for cell in config.get("pinned_cell", []):
        pinned.loc[cell["category"], cell["service"]] = float(cell["value"])
        is_pinned.loc[cell["category"], cell["service"]] = True
    free_prior = prior.mask(is_pinned, 0.0)
    free_rows = rows - pinned.sum(axis=1)
    free_cols = cols - pinned.sum(axis=0)
    if (free_rows < 0).any() or (free_cols < 0).any():
        raise ValueError("pinned cells exceed their row or column totals")
    balanced = balance_staffing(free_prior, free_rows, free_cols) + pinned
    prior = prior.mask(is_pinned, pinned)
    return services, prior, balanced


def staffing_share_deviations(prior: pd.DataFrame, balanced: pd.DataFrame) -> pd.DataFrame:
    """Prior vs balanced composition shares (per cent of area årsverk), largest deviations first.

    Columns: service, category, prior_pct, balanced_pct, diff_pp (percentage points), prior and
    balanced årsverk.
    """
    p = prior / prior.sum(axis=0) * 100
    b = balanced / balanced.sum(axis=0) * 100
    out = pd.DataFrame(
        {
            "prior_pct": p.stack(),
            "balanced_pct": b.stack(),
            "prior_arsverk": prior.stack(),
            "balanced_arsverk": balanced.stack(),
        }
    )
    out["diff_pp"] = out["balanced_pct"] - out["prior_pct"]
    out.index.names = ["category", "service"]
    out = out.reset_index()[
        ["service", "category", "prior_pct", "balanced_pct", "diff_pp"]
        + ["prior_arsverk", "balanced_arsverk"]
    ]
    order = out["diff_pp"].abs().sort_values(ascending=False, kind="mergesort").index
    return out.loc[order].reset_index(drop=True)


# ------------------------------------------------------------------------------------------------
# Use profiles
# ------------------------------------------------------------------------------------------------


def smooth_bands(
    age_from: np.ndarray,
    age_to: np.ndarray,
    values: np.ndarray,
    weights: np.ndarray | None = None,
    *,
    open_band_offset: float = 2.5,
) -> np.ndarray:
    """Single-age profile (ages 0..105) from a step profile by age band.

    Bands must tile 0..105 without gaps or overlaps. Method: linear interpolation between band
    midpoints (constant beyond the first and last midpoint; a band ending at 105 that is wider than
    ten years gets its midpoint at ``age_from + open_band_offset``), then each band is rescaled so
    that its ``weights``-weighted mean (e.g. 2024 population by age) equals the band value.
    Returns an array of length 106 in the unit of ``values``; zero bands stay zero.
    """
    lo = np.asarray(age_from, dtype=int)
    hi = np.asarray(age_to, dtype=int)
    val = np.asarray(values, dtype=float)
    order = np.argsort(lo)
    lo, hi, val = lo[order], hi[order], val[order]
    expected = 0
    for a, b in zip(lo, hi, strict=True):
        if a != expected or b < a:
            raise ValueError(f"age bands must tile 0..{dims.POP_AGE_MAX} (problem at {a}-{b})")
        expected = b + 1
    if expected != _N_AGES:
        raise ValueError(f"age bands must end at {dims.POP_AGE_MAX}")
    w = np.ones(_N_AGES) if weights is None else np.asarray(weights, dtype=float)
    mids = (lo + hi) / 2.0
    open_last = (hi == dims.POP_AGE_MAX) & (hi - lo > 10)
    mids = np.where(open_last, lo + open_band_offset, mids)
    out = np.interp(_AGES, mids, val)
    for a, b, v in zip(lo, hi, val, strict=True):
        seg = slice(a, b + 1)
        if v == 0:
            out[seg] = 0.0
            continue
        ww = w[seg] if w[seg].sum() > 0 else np.ones(b - a + 1)
        mean = float(np.dot(ww, out[seg]) / ww.sum())
        out[seg] = out[seg] * (v / mean) if mean > 0 else v
    return out


def _band_bounds(label: str) -> tuple[int, int]:
    label = str(label).strip()
    if label.endswith("+"):
        return int(label[:-1]), dims.POP_AGE_MAX
    a, b = label.split("-")
    return int(a), int(b)


def _step(age_from: list[int], age_to: list[int], values: list[float]) -> np.ndarray:
    out = np.zeros(_N_AGES)
    for a, b, v in zip(age_from, age_to, values, strict=True):
        out[a : min(b, dims.POP_AGE_MAX) + 1] = v
    return out


def _split_by_sex(
    both: np.ndarray, ratio_f_m: np.ndarray, pop: pd.DataFrame
) -> dict[str, np.ndarray]:
    """Split a both-sexes profile into F and M with F = ratio·M, keeping the pop-weighted mean."""
    pf, pm = pop["F"].to_numpy(), pop["M"].to_numpy()
    denom = ratio_f_m * pf + pm
    factor = np.divide(pf + pm, denom, out=np.ones_like(denom), where=denom > 0)
    male = both * factor
    return {"F": male * ratio_f_m, "M": male}


def _smooth_sex(bands: pd.DataFrame, pop: pd.DataFrame, offset: float) -> dict[str, np.ndarray]:
    """Smooth a band table with columns sex (F/M/all), age_from, age_to, value per sex."""
    out = {}
    for sex in dims.SEXES:
        sub = bands[(bands["sex"] == sex) | (bands["sex"] == "all")]
        out[sex] = smooth_bands(
            sub["age_from"].to_numpy(),
            sub["age_to"].to_numpy(),
            sub["value"].to_numpy(),
            pop[sex].to_numpy(),
            open_band_offset=offset,
        )
    return out


def _ratio_by_age(spec: dict[str, Any]) -> np.ndarray:
    """Step female/male ratio from demand.toml keys age_0_66, age_67_79, age_80_plus."""
    return _step(
        [0, 67, 80],
        [66, 79, dims.POP_AGE_MAX],
        [spec["age_0_66"], spec["age_67_79"], spec["age_80_plus"]],
    )


def _smooth(
    bounds: list[tuple[int, int]], values: np.ndarray, pop: np.ndarray, offset: float
) -> np.ndarray:
    """Band values (with their (lo, hi) bounds) as single ages, band levels kept (smooth_bands)."""
    lo = np.array([b[0] for b in bounds])
    hi = np.array([b[1] for b in bounds])
    return smooth_bands(lo, hi, values, pop, open_band_offset=offset)


def _profile_fastlege(sources_dir: Path, pop: pd.DataFrame, offset: float) -> dict[str, np.ndarray]:
    gp = _read_csv(source_file(sources_dir, "use_gp_by_age"))
    gp = gp[gp["group"].str.match(r"^\d")]
    bounds = [_band_bounds(g) for g in gp["group"]]
    both_pop = (pop["F"] + pop["M"]).to_numpy()
    both = _smooth(bounds, (gp["mean_fastlege"] + gp["mean_legevakt"]).to_numpy(), both_pop, offset)
    sx = _read_csv(source_file(sources_dir, "use_gp_by_sex"))
    sx = sx[sx["age_band"] != "all"]
    sb = [_band_bounds(g) for g in sx["age_band"]]
    ratio = _step(
        [b[0] for b in sb],
        [b[1] for b in sb],
        (sx["consultations_f"] / sx["consultations_m"]).tolist(),
    )
    return _split_by_sex(both, ratio, pop)


def _profile_somatikk(
    sources_dir: Path, bands: pd.DataFrame, config: dict[str, Any], pop: pd.DataFrame, offset: float
) -> dict[str, np.ndarray]:
    st = _read_csv(source_file(sources_dir, "use_somatic_stays"))
    st = st[st["age_band"] != "all"]
    adj = config["use"]["somatic_obstetric_adjustment"]
    a_lo, a_hi = adj["ages"]
    rows = []
    for _, rec in st.iterrows():
        a, b = _band_bounds(rec["age_band"])
        f = rec["stays_f"]
        if a >= a_lo and b <= a_hi:
            f = rec["stays_m"] * float(adj["value"])
        rows.append({"sex": "F", "age_from": a, "age_to": b, "value": f})
        rows.append({"sex": "M", "age_from": a, "age_to": b, "value": rec["stays_m"]})
    old = bands[bands["service"] == "somatikk"][["sex", "age_from", "age_to", "value"]]
    table = pd.concat([pd.DataFrame(rows), old], ignore_index=True)
    return _smooth_sex(table, pop, offset)


def _profile_home(
    sources_dir: Path, config: dict[str, Any], pop: pd.DataFrame, offset: float
) -> dict[str, np.ndarray]:
    hs = _read_csv(source_file(sources_dir, "use_home_services"))
    hs = hs[(hs["table"] == "b") & (hs["age_band"] != "all")]
    p09 = config["use"]["population_2009"]
    denom = {
        "0-17": p09["age_0_17"],
        "18-49": p09["age_18_49"],
        "50-66": p09["age_50_66"],
        "67-79": p09["age_67_79"],
        "80-89": p09["age_80_89"],
        "90+": p09["age_90_plus"],
    }
    bounds = [_band_bounds(g) for g in hs["age_band"]]
    per_capita = [
        u * h / denom[g]
        for g, u, h in zip(hs["age_band"], hs["users"], hs["mean_hours_per_week"], strict=True)
    ]
    both = _smooth(bounds, np.array(per_capita), (pop["F"] + pop["M"]).to_numpy(), offset)
    return _split_by_sex(both, _ratio_by_age(config["use"]["sex_ratio_home"]), pop)


def _profile_institution(
    sources_dir: Path, config: dict[str, Any], pop: pd.DataFrame, offset: float
) -> dict[str, np.ndarray]:
    ins = _read_csv(source_file(sources_dir, "use_institutions"))
    ins = ins[ins["year"] == 2010]
    p10 = config["use"]["population_2010"]
    denom = {
        "0-66": p10["age_0_66"],
        "67-79": p10["age_67_79"],
        "80-89": p10["age_80_89"],
        "90+": p10["age_90_plus"],
    }
    bounds = [_band_bounds(g) for g in ins["age_band"]]
    rate = [r / denom[g] for g, r in zip(ins["age_band"], ins["residents"], strict=True)]
    both = _smooth(bounds, np.array(rate), (pop["F"] + pop["M"]).to_numpy(), offset)
    return _split_by_sex(both, _ratio_by_age(config["use"]["sex_ratio_institution"]), pop)


def _profile_mental(
    sources_dir: Path, bands: pd.DataFrame, config: dict[str, Any], pop: pd.DataFrame, offset: float
) -> dict[str, np.ndarray]:
    mh = _read_csv(source_file(sources_dir, "use_mental_health"))
    share = mh[(mh["table"] == "a")].set_index("age_band")["value"]
    counts = mh[(mh["table"] == "b") & (mh["age_band"] != "18+")]
    rows = []
    for band, pct in share.items():
        a, b = _band_bounds(band)
        nf = float(counts[(counts["age_band"] == band) & (counts["sex"] == "F")]["value"].iloc[0])
        nm = float(counts[(counts["age_band"] == band) & (counts["sex"] == "M")]["value"].iloc[0])
        pf, pm = pop["F"].iloc[a : b + 1].sum(), pop["M"].iloc[a : b + 1].sum()
        ratio = (nf / pf) / (nm / pm)  # F/M ratio of patient rates (2006 counts, 2024 population)
        male = pct * (pf + pm) / (ratio * pf + pm)
        rows.append({"sex": "F", "age_from": a, "age_to": b, "value": male * ratio})
        rows.append({"sex": "M", "age_from": a, "age_to": b, "value": male})
    child = pd.DataFrame(rows)
    adult = bands[bands["service"] == "psykisk_helsevern"][["sex", "age_from", "age_to", "value"]]

    def volume(tab: pd.DataFrame) -> float:
        tot = 0.0
        for _, r in tab.iterrows():
            sexes = dims.SEXES if r["sex"] == "all" else (r["sex"],)
            for s in sexes:
                tot += r["value"] * pop[s].iloc[int(r["age_from"]) : int(r["age_to"]) + 1].sum()
        return tot

    target = float(config["use"]["bup_share"]["value"])
    vc, va = volume(child), volume(adult)
    k = target * va / ((1.0 - target) * vc)
    child["value"] *= k
    return _smooth_sex(pd.concat([child, adult], ignore_index=True), pop, offset)


def build_use_profiles(
    sources_dir: Path, assumptions_dir: Path, services: list[str] | None = None
) -> pd.DataFrame:
    """Relative use per person, long (service, sex, age, use); dims service x SEXES x POP_AGES.

    Scaled so that each area's 2024-population-weighted mean use is 1 (unitless index).
    """
    sources_dir, assumptions_dir = Path(sources_dir), Path(assumptions_dir)
    config = load_config(assumptions_dir)
    pop = load_population_2024(sources_dir)
    bands = _read_csv(assumptions_dir / BANDS_FILE)
    offset = float(config["use"]["smoothing"]["open_band_midpoint_offset"])
    names = list(config["services"]) if services is None else list(services)
    profiles: dict[str, dict[str, np.ndarray]] = {}
    for name in names:
        if name == "fastlege_legevakt":
            prof = _profile_fastlege(sources_dir, pop, offset)
        elif name == "somatikk":
            prof = _profile_somatikk(sources_dir, bands, config, pop, offset)
        elif name == "hjemmetjenester":
            prof = _profile_home(sources_dir, config, pop, offset)
        elif name == "institusjon":
            prof = _profile_institution(sources_dir, config, pop, offset)
        elif name == "psykisk_helsevern":
            prof = _profile_mental(sources_dir, bands, config, pop, offset)
        else:
            sub = bands[bands["service"] == name]
            if sub.empty:
                raise ValueError(f"{BANDS_FILE}: no use profile for service {name}")
            prof = _smooth_sex(sub, pop, offset)
        volume = sum(float(np.dot(prof[s], pop[s].to_numpy())) for s in dims.SEXES)
        if volume <= 0:
            raise ValueError(f"use profile of {name} is zero")
        mean = volume / float(pop.to_numpy().sum())
        profiles[name] = {s: prof[s] / mean for s in dims.SEXES}
    frames = [
        pd.DataFrame({"service": name, "sex": s, "age": list(dims.POP_AGES), "use": prof[s]})
        for name, prof in profiles.items()
        for s in dims.SEXES
    ]
    out = pd.concat(frames, ignore_index=True)
    out["use"] = out["use"].clip(lower=0.0).round(_USE_DECIMALS)
    return out.sort_values(["service", "sex", "age"], kind="mergesort").reset_index(drop=True)


# ------------------------------------------------------------------------------------------------
# Public entry point
# ------------------------------------------------------------------------------------------------


def build_demand(
    sources_dir: Path, assumptions_dir: Path, supply_2024: pd.Series
) -> dict[str, pd.DataFrame]:
    """supply_2024: årsverk 2024 by group id (index = dims.GROUPS). Returns {"services.csv": ...,
    "service_use.csv": ..., "staffing.csv": ...} conforming to io.schema, sorted by keys,
    values rounded (årsverk to 3 decimals) for deterministic output. The staffing table's totals
    match supply_2024 per group, the published outside-category totals, and services.arsverk_2024
    per area (within rounding)."""
    sources_dir, assumptions_dir = Path(sources_dir), Path(assumptions_dir)
    services, _prior, balanced = build_staffing_matrix(assumptions_dir, supply_2024)

    svc = services.reset_index()[
        ["service", "label", "arsverk_2024", "driver", "healthy_ageing", "public"]
    ]
    svc["arsverk_2024"] = svc["arsverk_2024"].round(_ARSVERK_DECIMALS)
    svc = svc.sort_values("service", kind="mergesort").reset_index(drop=True)

    staffing = balanced.stack().rename("arsverk_2024").reset_index()
    staffing.columns = ["category", "service", "arsverk_2024"]
    staffing = staffing[["service", "category", "arsverk_2024"]]
    staffing["arsverk_2024"] = staffing["arsverk_2024"].clip(lower=0.0).round(_ARSVERK_DECIMALS)
    staffing = staffing.sort_values(["service", "category"], kind="mergesort").reset_index(
        drop=True
    )

    use = build_use_profiles(sources_dir, assumptions_dir, list(services.index))
    return {"services.csv": svc, "service_use.csv": use, "staffing.csv": staffing}
