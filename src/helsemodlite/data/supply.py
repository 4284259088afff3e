"""Build of the supply-side base data ``personnel.csv`` (group x sex x age, base year 2024).

Pipeline (every step documented in docs/_data_supply.md):

1. **Stock 2015** (estimation year): per SSB education category, the number of persons 15-85 is
   labour force 2015 (hesospers) x persons / labour force (hesospers Table 1, 2011; lege 2008;
   tannlege 2007). Its age-sex distribution is reconstructed with a stable-population model:
   entry cohorts growing at the category's HPR (or labour-force) growth rate between its first
   and last entry year, entry ages from a shifted gamma distribution, survival from UN WPP
   mortality and the group's exit rate.
2. **P** (probability of working in NACE 86-88): pooled binomial GLM (estimation.fit_p_glm) on
   band-level successes (employed in HS by age band, 2015/2013) over reconstructed persons.
3. **Roll-forward 2015 -> 2024** with the cohort mechanics of the engine (ageing, WPP mortality,
   exits, transitions between groups, constant reference inflows); a common logit drift of P is
   calibrated to SSB's aggregate ratio employed-in-HS / persons 2015-2023 (revision-chained).
4. **E** (årsverk per employed in HS): WLS (estimation.fit_e_wls) on 2007/2011 observations,
   extrapolated to 2024; assumed relative age profile.
5. **Flows**: graduates, immigrants (reference levels with shifted-gamma age distributions:
   observed where a public count exists - the mean of the last observed years of the source
   table, see ``observed_inflow_series`` / ``reference_inflows`` - assumed otherwise), exit rates
   (assumed base rate; the moves to further-education groups are counts in transitions.csv),
   sick leave (hesospers
   2011/2007 per-group shares scaled to the recent level).

Arrays are indexed ``(group, sex, age)`` in dims order; counts in persons, årsverk in
agreed hours / 37.5.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import dims
from ..errors import InputError
from .estimation import EModel, PModel, fit_e_wls, fit_p_glm
from .supply_sources import (
    AGES,
    BASE_YEAR,
    CHECK_AGE_MAX,
    EST_YEAR,
    GROUPS,
    SEXES,
    SupplyAssumptions,
    SupplySources,
    read_assumptions,
    read_sources,
    transitions_table,
)
from .supply_sources import (
    INFLOW_ROLES as INFLOW_ROLES,
)
from .supply_sources import (
    observed_inflow_series as observed_inflow_series,
)
from .supply_stock import (
    Flows,
    build_flows,
    hs_employed_bands,
    p_estimation_data,
    reconstruct_stock,
    reference_inflows,
    roll_forward,
)

# --------------------------------------------------------------------------------------------
# P drift, E, sick leave
# --------------------------------------------------------------------------------------------


def observed_ratio_change(aggr: pd.DataFrame) -> tuple[dict[int, float], dict[int, float]]:
    """Revision-chained indices (2015 = 1) of persons and of employed-in-HS / persons.

    Years up to 2019 use the old vintage, later years the revised vintage linked at 2019.
    """
    old = aggr[aggr["vintage"] == "old"].set_index("year")
    rev = aggr[aggr["vintage"] == "rev"].set_index("year")
    persons, ratio = {}, {}
    for y in sorted(set(aggr["year"])):
        if y <= 2019:
            persons[y] = old.loc[y, "persons"] / old.loc[2015, "persons"]
            r = old.loc[y, "employed_hs"] / old.loc[y, "persons"]
            ratio[y] = r / (old.loc[2015, "employed_hs"] / old.loc[2015, "persons"])
        else:
            link_p = old.loc[2019, "persons"] / old.loc[2015, "persons"]
            persons[y] = link_p * rev.loc[y, "persons"] / rev.loc[2019, "persons"]
            r_old = old.loc[2019, "employed_hs"] / old.loc[2019, "persons"]
            r_rev = rev.loc[2019, "employed_hs"] / rev.loc[2019, "persons"]
            r15 = old.loc[2015, "employed_hs"] / old.loc[2015, "persons"]
            ratio[y] = (r_old / r15) * (rev.loc[y, "employed_hs"] / rev.loc[y, "persons"]) / r_rev
    return persons, ratio


def _ratio(stock: np.ndarray, p: np.ndarray) -> float:
    m = stock[:, :, AGES <= CHECK_AGE_MAX]
    return float((m * p[:, None, AGES <= CHECK_AGE_MAX]).sum() / m.sum())


def calibrate_p_drift(
    pmodel: PModel, stocks: dict[int, np.ndarray], target_ratio: float, year: int
) -> float:
    """Logit shift δ such that ratio(year, δ) / ratio(2015, 0) equals ``target_ratio``."""
    from scipy.optimize import brentq

    base = _ratio(stocks[EST_YEAR], pmodel.predict(AGES))

    def f(delta: float) -> float:
        return _ratio(stocks[year], pmodel.predict(AGES, delta)) / base - target_ratio

    return float(brentq(f, -3.0, 3.0, xtol=1e-12))


def fit_p(
    src: SupplySources, asm: SupplyAssumptions, stock15: np.ndarray
) -> tuple[pd.DataFrame, PModel]:
    """The estimation-year bands of employed in HS and the P model fitted to them."""
    bands = hs_employed_bands(src, asm, stock15)
    pm = asm.toml["p_model"]
    pmodel = fit_p_glm(
        p_estimation_data(bands, stock15),
        GROUPS,
        max_degree=int(pm["max_degree"]["value"]),
        center=float(pm["age_center"]["value"]),
        scale=float(pm["age_scale"]["value"]),
        knot=float(pm["old_age_knot"]["value"]),
        group_degree=int(pm.get("group_degree", {"value": 0})["value"]),
    )
    return bands, pmodel


def p_band_fit(stock15: np.ndarray, bands: pd.DataFrame, pmodel: PModel) -> pd.DataFrame:
    """In-sample fit of P per group and age band in the estimation year (docs/calibration.md).

    Columns: group, band, employed_observed (band successes as estimated from the published
    bands, see :func:`hs_employed_bands`), employed_model (Σ persons × P over the band),
    persons (reconstructed), p_observed (= observed / persons), p_model, difference_pct
    (model / observed − 1, per cent). A p_observed near or above 1 says the reconstruction has
    too few persons in the band, not that nearly everyone works.
    """
    persons = stock15.sum(axis=1)
    p = pmodel.predict(AGES)
    rows = []
    for r in bands.itertuples(index=False):
        g = GROUPS.index(str(r.group))
        idx = (r.age_lo <= AGES) & (r.age_hi >= AGES)
        n = float(persons[g, idx].sum())
        model = float((persons[g, idx] * p[g, idx]).sum())
        rows.append(
            {
                "group": r.group,
                "band": f"{r.age_lo}-{r.age_hi}",
                "employed_observed": float(r.successes),
                "employed_model": model,
                "persons": n,
                "p_observed": float(r.successes) / n,
                "p_model": model / n,
                "difference_pct": 100.0 * (model / float(r.successes) - 1.0),
            }
        )
    return pd.DataFrame(rows)


def e_estimation_data(src: SupplySources) -> pd.DataFrame:
    """WLS rows: group x year x measure with y = årsverk per employed in HS and weight."""
    a = src.arsverk_hs[src.arsverk_hs["group14"].isin(GROUPS)]
    ars = a.groupby(["group14", "year"])[["employed_hs", "arsverk_hs"]].sum().reset_index()
    ars["y"] = ars["arsverk_hs"] / ars["employed_hs"]
    ars = ars.rename(columns={"group14": "group", "employed_hs": "weight"})
    ars["measure"] = "arsverk"
    share = src.share_hs_2011.set_index("ssb_category")["employed_hs"]
    jordmor_2011 = float(
        a[(a["year"] == 2011) & (a["ssb_category"] == "Jordmor")]["employed_hs"].iloc[0]
    )
    w = share.to_dict()
    w["Helsesøster"] = share["Helsesøster og jordmor"] - jordmor_2011
    w["Jordmor"] = jordmor_2011
    h = src.hours_2011.copy()
    h["w"] = h["ssb_category"].map(w)
    h["yw"] = h["hours_per_person"] / dims.ARSVERK_HOURS_PER_WEEK * h["w"]
    hrs = h.groupby("group14")[["yw", "w"]].sum().reset_index()
    hrs = pd.DataFrame(
        {
            "group": hrs["group14"],
            "year": 2011,
            "y": hrs["yw"] / hrs["w"],
            "weight": hrs["w"],
            "measure": "hours",
        }
    )
    cols = ["group", "year", "measure", "y", "weight"]
    return pd.concat([ars[cols], hrs[cols]], ignore_index=True).sort_values(
        cols[:3], ignore_index=True
    )


def fulltime_shares(asm: SupplyAssumptions) -> np.ndarray:
    """Full-time share per group (``supply.toml`` ``[working_time_distribution]``; ``default``
    for the groups without a figure), shape (group,)."""
    where = "assumptions/supply.toml: [working_time_distribution]"
    table = asm.toml.get("working_time_distribution")
    if not isinstance(table, dict) or "default" not in table:
        raise InputError(f"{where}: missing, or without a 'default' entry")
    unknown = sorted(set(table) - {*GROUPS, "default"})
    if unknown:
        raise InputError(f"{where}: unknown group(s) {', '.join(unknown)}")
    out = []
    for g in GROUPS:
        entry = table.get(g, table["default"])
        value = entry.get("value") if isinstance(entry, dict) else None
        if not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
            raise InputError(
                f"{where} {g if g in table else 'default'}: value must be a share "
                f"in [0, 1], got {value!r}"
            )
        out.append(float(value))
    return np.array(out)


def e_age_profile(asm: SupplyAssumptions) -> np.ndarray:
    """Assumed relative E by age (linear between anchor ages), shape (age,)."""
    xs = np.asarray(asm.value("e_model", "age_profile_ages"), float)
    ys = np.asarray(asm.value("e_model", "age_profile_values"), float)
    return np.interp(AGES.astype(float), xs, ys)


def sick_leave_shares(src: SupplySources, asm: SupplyAssumptions) -> tuple[pd.Series, float]:
    """Base-year share of agreed årsverk lost to doctor-certified sick leave, by group.

    Observed 2011 shares (2007 rescaled by the all-HS change 2007-2011 where 2011 is missing);
    assumed relative levels for the rest; all scaled by recent level / all-HS 2011 level.
    """
    a = src.arsverk_hs
    tot = a[a["group14"] == "ALL_HEALTH_SOCIAL"].set_index("year")
    all_share = 1.0 - tot["arsverk_hs_excl_sick"] / tot["arsverk_hs"]
    grp = (
        a[a["group14"].isin(GROUPS)]
        .groupby(["group14", "year"])[["arsverk_hs", "arsverk_hs_excl_sick"]]
        .sum()
    )
    share = (1.0 - grp["arsverk_hs_excl_sick"] / grp["arsverk_hs"]).unstack("year")
    out = {}
    for g in GROUPS:
        if g in share.index and not np.isnan(share.loc[g].get(2011, np.nan)):
            out[g] = float(share.loc[g, 2011])
        elif g in share.index and not np.isnan(share.loc[g].get(2007, np.nan)):
            out[g] = float(share.loc[g, 2007] * all_share[2011] / all_share[2007])
        else:
            out[g] = float(asm.sick_leave.loc[g, "relative_to_all_hs"] * all_share[2011])
    scale = float(asm.value("sick_leave", "recent_level_2024")) / float(all_share[2011])
    return pd.Series(out).reindex(list(GROUPS)) * scale, scale


# --------------------------------------------------------------------------------------------
# Orchestration
# --------------------------------------------------------------------------------------------


@dataclass
class SupplyBuild:
    """Everything the supply build computes (for docs, tests and checks)."""

    personnel: pd.DataFrame
    components: pd.DataFrame
    stocks: dict[int, np.ndarray]
    bands: pd.DataFrame
    pmodel: PModel
    p_drift_2023: float
    p_drift_base: float
    emodel: EModel
    e_levels: pd.Series
    e_levels_raw: pd.Series
    e_factor: float
    arsverk_raw_total: float
    sick_leave: pd.Series
    flows: Flows
    inflow_levels: pd.DataFrame
    """Reference graduates / immigrants per group with observed/assumed status."""
    p_base: np.ndarray
    observed_persons_index: dict[int, float]
    observed_ratio_index: dict[int, float]


def build_supply(sources_dir: Path, assumptions_dir: Path) -> SupplyBuild:
    """Run the whole supply build (deterministic)."""
    src = read_sources(sources_dir)
    asm = read_assumptions(assumptions_dir)

    stock15, components = reconstruct_stock(src, asm)
    bands, pmodel = fit_p(src, asm, stock15)

    inflow_levels = reference_inflows(src.inflows, asm)
    flows = build_flows(asm, inflow_levels)
    stocks = roll_forward(stock15, src, flows, EST_YEAR, BASE_YEAR)

    persons_idx, ratio_idx = observed_ratio_change(src.aggregates)
    last_obs = max(ratio_idx)
    drift = calibrate_p_drift(pmodel, stocks, ratio_idx[last_obs], last_obs)
    drift_base = drift * (BASE_YEAR - EST_YEAR) / (last_obs - EST_YEAR)
    p_base = pmodel.predict(AGES, drift_base)  # (group, age)

    edata = e_estimation_data(src)
    em = asm.toml["e_model"]
    emodel = fit_e_wls(edata, int(em["trend_reference_year"]["value"]))
    cap = float(em["trend_cap"]["value"])
    assumed = asm.toml["e_assumed_level_2024"]
    e_levels = pd.Series(
        {
            g: float(assumed[g]["value"]) if g in assumed else emodel.level(g, BASE_YEAR, cap)
            for g in GROUPS
        }
    )
    profile = e_age_profile(asm)
    m24 = stocks[BASE_YEAR]
    w = m24.sum(axis=1) * p_base  # employed in HS by group x age
    norm = (w * profile[None, :]).sum(axis=1) / w.sum(axis=1)
    e_raw = e_levels.copy()
    raw_total = float((w.sum(axis=1) * e_raw.to_numpy()).sum())
    cal = asm.toml["e_level_calibration"]
    factor = 1.0
    if bool(cal["enabled"]["value"]):
        factor = float(cal["target_total_2024"]["value"]) / raw_total
    # Where the level reconciliation sits (issue "Explained, not fitted", hypothesis 1): on P
    # (the share of the educated in the model's scope of health and care) by default, so that E
    # stays the contracted working time per employed the published evidence describes; on E as
    # before with applies_to = "E". The reference path is the same either way (P·E is).
    on = str(cal.get("applies_to", {"value": "E"})["value"])
    if on not in ("P", "E"):
        raise InputError(
            f'assumptions/supply.toml: [e_level_calibration] applies_to must be "P" or "E", '
            f"got {on!r}"
        )
    p_out = p_base * factor if on == "P" else p_base
    e_levels = e_raw if on == "P" else e_raw * factor
    fte = e_levels.to_numpy()[:, None] * profile[None, :] / norm[:, None]
    fte = np.clip(fte, 0.0, 1.5)
    fulltime = np.minimum(fulltime_shares(asm)[:, None] * profile[None, :], fte)

    sick, _ = sick_leave_shares(src, asm)
    x24 = np.clip(flows.base_exit, 0.0, 1.0)  # the moves to other groups: transitions.csv

    n = len(GROUPS) * 2 * len(AGES)
    frame = pd.DataFrame(
        {
            "group": np.repeat(np.array(GROUPS), 2 * len(AGES)),
            "sex": np.tile(np.repeat(np.array(SEXES), len(AGES)), len(GROUPS)),
            "age": np.tile(AGES, 2 * len(GROUPS)),
            "stock": np.round(m24.reshape(n), 3),
            "p_work": np.round(np.broadcast_to(p_out[:, None, :], m24.shape).reshape(n), 6),
            "fte": np.round(np.broadcast_to(fte[:, None, :], m24.shape).reshape(n), 6),
            "fulltime_share": np.round(
                np.broadcast_to(fulltime[:, None, :], m24.shape).reshape(n), 6
            ),
            "exit_rate": np.round(x24.reshape(n), 6),
            "graduates": np.round(flows.graduates.reshape(n), 3),
            "immigrants": np.round(flows.immigrants.reshape(n), 3),
            "sick_leave": np.round(np.repeat(sick.to_numpy(), 2 * len(AGES)), 6),
        }
    )
    frame = frame.replace(-0.0, 0.0)
    return SupplyBuild(
        personnel=frame,
        components=components,
        stocks=stocks,
        bands=bands,
        pmodel=pmodel,
        p_drift_2023=drift,
        p_drift_base=drift_base,
        emodel=emodel,
        e_levels=e_levels,
        e_levels_raw=e_raw,
        e_factor=factor,
        arsverk_raw_total=raw_total,
        sick_leave=sick,
        flows=flows,
        inflow_levels=inflow_levels,
        p_base=p_base,
        observed_persons_index=persons_idx,
        observed_ratio_index=ratio_idx,
    )


def build_personnel(sources_dir: Path, assumptions_dir: Path) -> pd.DataFrame:
    """personnel.csv conforming to helsemodlite.io.schema: one row per group x sex x age
    (dims.GROUPS x dims.SEXES x dims.AGES, in that order), columns group, sex, age, stock, p_work,
    fte, exit_rate, graduates, immigrants, sick_leave; all finite, counts >= 0, rates in [0, 1].
    Values rounded (counts to 3 decimals, rates to 6 decimals) for stable output."""
    return build_supply(sources_dir, assumptions_dir).personnel


def build_transitions(assumptions_dir: Path) -> pd.DataFrame:
    """transitions.csv conforming to helsemodlite.io.schema: per group the origin group whose
    stock its domestic graduates leave (further education) and the share of them who do."""
    return transitions_table(read_assumptions(assumptions_dir))


def check_against_aggregates(
    sources_dir: Path | None = None,
    assumptions_dir: Path | None = None,
    build: SupplyBuild | None = None,
) -> pd.DataFrame:
    """Roll-forward check: modelled vs SSB aggregate series 2015-2023 (index 2015 = 1).

    Columns: year, observed_persons_index (all health/social educations 15-74, revision-chained),
    model_persons_index (14 groups, ages 20-74), diff_persons_pp, observed_hs_index (employed in
    HS, chained), model_hs_index (Σ M·P with the calibrated drift interpolated linearly),
    diff_hs_pp, model_persons, model_employed_hs (levels, 14 groups, 20-74).
    """
    if build is None:
        if sources_dir is None or assumptions_dir is None:
            raise ValueError("give sources_dir and assumptions_dir, or a SupplyBuild")
        build = build_supply(sources_dir, assumptions_dir)
    last_obs = max(build.observed_ratio_index)
    keep = AGES <= CHECK_AGE_MAX
    rows = []
    base_p: float | None = None
    base_hs: float | None = None
    for year in sorted(build.observed_persons_index):
        m = build.stocks[year][:, :, keep]
        delta = build.p_drift_2023 * (year - EST_YEAR) / (last_obs - EST_YEAR)
        p = build.pmodel.predict(AGES, delta)[:, None, keep]
        persons, hs = float(m.sum()), float((m * p).sum())
        if base_p is None:
            base_p, base_hs = persons, hs
        assert base_p is not None and base_hs is not None
        obs_p = build.observed_persons_index[year]
        obs_hs = obs_p * build.observed_ratio_index[year]
        rows.append(
            {
                "year": year,
                "observed_persons_index": obs_p,
                "model_persons_index": persons / base_p,
                "diff_persons_pp": 100 * (persons / base_p - obs_p),
                "observed_hs_index": obs_hs,
                "model_hs_index": hs / base_hs,
                "diff_hs_pp": 100 * (hs / base_hs - obs_hs),
                "model_persons": persons,
                "model_employed_hs": hs,
            }
        )
    return pd.DataFrame(rows)


def summary_by_group(build: SupplyBuild) -> pd.DataFrame:
    """2024 per-group table: persons (20-79), employed in HS (Σ M·P), årsverk (Σ M·P·E)."""
    d = build.personnel
    emp = d["stock"] * d["p_work"]
    tab = pd.DataFrame(
        {
            "persons": d.groupby("group")["stock"].sum(),
            "employed_hs": emp.groupby(d["group"]).sum(),
            "arsverk": (emp * d["fte"]).groupby(d["group"]).sum(),
        }
    ).reindex(list(GROUPS))
    tab["female_share"] = (
        d[d["sex"] == "F"].groupby("group")["stock"].sum().reindex(list(GROUPS)) / tab["persons"]
    )
    return tab
