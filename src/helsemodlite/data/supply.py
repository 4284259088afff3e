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
   (assumed base rate + transitions to further-education groups), sick leave (hesospers
   2011/2007 per-group shares scaled to the recent level).

Arrays are indexed ``(group, sex, age)`` in dims order; counts in persons, årsverk in
agreed hours / 37.5.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import dims
from .estimation import EModel, PModel, fit_e_wls, fit_p_glm

GROUPS = dims.GROUPS
SEXES = dims.SEXES
AGES = np.arange(dims.AGE_MIN, dims.AGE_MAX + 1)
EST_YEAR = 2015
BASE_YEAR = dims.BASE_YEAR
HS_BANDS = ((20, 39, "hs_15_39"), (40, 54, "hs_40_54"), (55, 66, "hs_55_66"))
OLD_BANDS = ((67, 69), (70, 74), (75, 79))
CHECK_AGE_MAX = 74
"""Upper age of the roll-forward check (SSB's aggregates cover ages 15-74)."""


# --------------------------------------------------------------------------------------------
# Reading inputs
# --------------------------------------------------------------------------------------------


def _csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, comment="#")


@dataclass
class SupplySources:
    """Public tables used by the supply build (see inputs/sources.toml)."""

    hesospers: pd.DataFrame
    labour_status: pd.DataFrame
    arsverk_hs: pd.DataFrame
    share_hs_2011: pd.DataFrame
    hours_2011: pd.DataFrame
    hpr: pd.DataFrame
    aggregates: pd.DataFrame
    mx: pd.DataFrame
    persons_15_74: pd.DataFrame
    inflows: pd.DataFrame
    """Observed annual inflow counts (``observed_inflow_series``)."""


def read_sources(sources_dir: Path) -> SupplySources:
    """Read the public tables of the supply build from ``sources_dir``."""
    d = Path(sources_dir)
    return SupplySources(
        hesospers=_csv(d / "hesospers_2013_2015_by_education.csv"),
        labour_status=_csv(d / "hesospers_2007_2011_persons_by_labour_status.csv"),
        arsverk_hs=_csv(d / "hesospers_2007_2011_arsverk_in_hs.csv"),
        share_hs_2011=_csv(d / "hesospers_2011_share_employed_in_hs.csv"),
        hours_2011=_csv(d / "hesospers_2011_weekly_hours_in_hs.csv"),
        hpr=_csv(d / "hpr_authorised_2013_2016.csv"),
        aggregates=_csv(d / "hesospers_aggregates_2015_2023.csv"),
        mx=_csv(d / "wpp2024_norway_mortality_mx_5yr.csv"),
        persons_15_74=_csv(d / "hesospers_2010_2011_persons_15_74.csv"),
        inflows=observed_inflow_series(d),
    )


INFLOW_SOURCES = {
    "authorisations": "hdir_authorisations_by_education_region_2019_2020.csv",
    "jordmor_authorisations": "hdir_jordmor_new_authorisations_2012_2020.csv",
    "completions": "dbh_completions_jordmor_helsesykepleie_2010_2020.csv",
    "fagbrev": "hdir_fagbrev_helsearbeiderfaget_2019_2024.csv",
}
"""Source tables of the observed inflows (inputs/sources.toml)."""


def observed_inflow_series(sources_dir: Path) -> pd.DataFrame:
    """Observed annual inflow counts, one row per group x flow x year.

    Columns: group, flow (``graduates`` / ``immigrants``), year, value (persons), file.
    Immigrants are the foreign-educated authorisations *before* the settle share.

    - helsefagarbeider graduates: fag-/svennebrev in helsearbeiderfaget by school year (year =
      the calendar year the school year ends);
    - fysioterapeut graduates / immigrants: authorisations to Norway-educated / educated
      abroad (HPR, 2019-2020); helsefagarbeider immigrants: authorisations educated abroad;
    - jordmor: new authorisations x the published Norwegian share (graduates) and x its
      complement (immigrants), 2012-2020;
    - helsesykepleier graduates: completed videreutdanninger + mastergrader (DBH), single years.
    """
    d = Path(sources_dir)
    rows: list[dict[str, Any]] = []

    def add(group: str, flow: str, year: Any, value: Any, key: str) -> None:
        rows.append(
            {
                "group": group,
                "flow": flow,
                "year": int(year),
                "value": float(value),
                "file": INFLOW_SOURCES[key],
            }
        )

    fag = _csv(d / INFLOW_SOURCES["fagbrev"])
    for r in fag.itertuples(index=False):
        add("helsefagarbeider", "graduates", r.year, r.helsearbeiderfaget, "fagbrev")
    auth = _csv(d / INFLOW_SOURCES["authorisations"])
    for r in auth.itertuples(index=False):
        if r.profession == "fysioterapeut":
            add("fysioterapeut", "graduates", r.year, r.norge, "authorisations")
        if r.profession in ("fysioterapeut", "helsefagarbeider"):
            add(str(r.profession), "immigrants", r.year, r.utland_total, "authorisations")
    jm = _csv(d / INFLOW_SOURCES["jordmor_authorisations"])
    for r in jm.itertuples(index=False):
        share = float(r.share_norwegian_educated_pct) / 100.0
        n = float(r.new_authorisations)
        add("jordmor", "graduates", r.year, n * share, "jordmor_authorisations")
        add("jordmor", "immigrants", r.year, n * (1.0 - share), "jordmor_authorisations")
    comp = _csv(d / INFLOW_SOURCES["completions"])
    one_year = comp[
        (comp["first_year"] == comp["last_year"]) & (comp["education"] == "helsesykepleie")
    ]
    for r in one_year.itertuples(index=False):
        add("helsesykepleier", "graduates", r.last_year, r.total, "completions")
    out = pd.DataFrame(rows, columns=["group", "flow", "year", "value", "file"])
    return out.sort_values(["group", "flow", "year"], ignore_index=True)


@dataclass
class SupplyAssumptions:
    """Supply assumptions (inputs/assumptions/supply*.toml|csv)."""

    toml: dict[str, Any]
    groups: pd.DataFrame
    flows: pd.DataFrame
    transitions: pd.DataFrame
    sick_leave: pd.DataFrame

    def value(self, section: str, key: str) -> Any:
        """The ``value`` field of a scalar assumption."""
        return self.toml[section][key]["value"]


def read_assumptions(assumptions_dir: Path) -> SupplyAssumptions:
    """Read the supply assumptions from ``assumptions_dir``."""
    d = Path(assumptions_dir)
    with open(d / "supply.toml", "rb") as fh:
        toml = tomllib.load(fh)
    flows = _csv(d / "supply_flows.csv").set_index("group").reindex(list(GROUPS))
    if flows["graduates"].isna().any():
        raise ValueError("supply_flows.csv must list every group of dims.GROUPS")
    for col in FLOW_STATUS_COLUMNS:
        bad = sorted(set(flows[col].astype(str)) - {"observed", "assumed"})
        if bad:
            raise ValueError(f"supply_flows.csv, column {col}: {bad} (expected observed/assumed)")
    return SupplyAssumptions(
        toml=toml,
        groups=_csv(d / "supply_groups.csv"),
        flows=flows,
        transitions=_csv(d / "supply_transitions.csv"),
        sick_leave=_csv(d / "supply_sick_leave.csv").set_index("group"),
    )


# --------------------------------------------------------------------------------------------
# Demography helpers
# --------------------------------------------------------------------------------------------


def death_probabilities(mx: pd.DataFrame, period: str, ages: np.ndarray) -> np.ndarray:
    """One-year death probability q[sex, age] from WPP 5-year ``mx`` of ``period``.

    log mx is interpolated linearly between the mid-points of the 5-year groups;
    q = 1 − exp(−mx). Shape ``(2, len(ages))``.
    """
    out = np.empty((2, len(ages)))
    for s, sex in enumerate(SEXES):
        sub = mx[mx["sex"] == sex]
        start = sub["age"].astype(str).str.rstrip("+").astype(float).to_numpy()
        width = np.diff(np.append(start, start[-1] + 5.0))
        mid = start + width / 2.0
        logm = np.log(sub[period].to_numpy(float))
        out[s] = 1.0 - np.exp(-np.exp(np.interp(ages + 0.5, mid, logm)))
    return out


def shifted_gamma_pmf(mean: float, sd: float, ages: np.ndarray, shift: float) -> np.ndarray:
    """Probability of completing at each single age (ages[0] collects everything below).

    Age at completion = shift + Gamma with the given mean and sd; sums to 1 over ``ages``.
    """
    from scipy.stats import gamma

    m = max(mean - shift, 0.5)
    k = (m / sd) ** 2
    theta = sd**2 / m
    upper = gamma.cdf(ages + 0.5 - shift, k, scale=theta)
    pmf = np.diff(np.concatenate([[0.0], upper]))
    return pmf / pmf.sum()


def exit_profile(rate: float, ages: np.ndarray) -> np.ndarray:
    """Other-exit probability by age: ``rate`` up to 64, linearly to 0 at 72, 0 after."""
    taper = np.clip((72.0 - ages) / (72.0 - 64.0), 0.0, 1.0)
    return rate * taper


def _female_share(row: pd.Series, years: np.ndarray) -> np.ndarray:
    f75, f15 = float(row["female_1975"]), float(row["female_2015"])
    frac = np.clip((years - 1975) / 40.0, 0.0, 1.0)
    return f75 + (f15 - f75) * frac


# --------------------------------------------------------------------------------------------
# 1. Stock 2015
# --------------------------------------------------------------------------------------------


def _lf_2015(hes: pd.DataFrame, categories: list[str]) -> tuple[float, str]:
    rows = hes[hes["ssb_category"].isin(categories)]
    by_year = rows.groupby("year")["lf_total"].sum()
    if 2015 in by_year.index and len(rows[rows["year"] == 2015]) == len(categories):
        return float(by_year[2015]), "observed 2015"
    lf13, lf14 = float(by_year[2013]), float(by_year[2014])
    return lf14 * lf14 / lf13, "extrapolated from 2013-2014"


def _persons_ratio(ls: pd.DataFrame, categories: list[str]) -> tuple[float, int]:
    rows = ls[ls["ssb_category"].isin(categories)]
    year = int(rows["year"].max())
    rows = rows[rows["year"] == year]
    return float(rows["persons"].sum() / rows["lf"].sum()), year


def _growth(src: SupplySources, row: pd.Series, categories: list[str]) -> float:
    how = str(row["growth_source"])
    if how.startswith("hpr:"):
        hpr = src.hpr.set_index("profession").loc[how[4:]]
        return float((hpr["auth_or_lic_2016_01_01"] / hpr["auth_or_lic_2013_01_02"]) ** (1 / 3) - 1)
    if how == "lf":
        rows = src.hesospers[src.hesospers["ssb_category"].isin(categories)]
        lf = rows.groupby("year")["lf_total"].sum()
        return float((lf[2015] / lf[2013]) ** 0.5 - 1)
    return float(row["growth"])


def _component_profile(
    row: pd.Series,
    growth: tuple[float, float],
    ages: np.ndarray,
    q: np.ndarray,
    x: np.ndarray,
    shift: float,
    break_year: int = 1990,
) -> np.ndarray:
    """Unscaled age-sex profile of one component in 2015, shape (2, len(ages)).

    Entry cohorts: C(t) = exp(g_late (t − 2015)) for t >= break_year and continuous
    exp(g_late (break − 2015) + g_early (t − break)) before; zero outside [open, close].
    """
    pmf = shifted_gamma_pmf(row["entry_age_mean"], row["entry_age_sd"], ages, shift)
    a_idx, e_idx = np.meshgrid(np.arange(len(ages)), np.arange(len(ages)), indexing="ij")
    entry_year = EST_YEAR - (a_idx - e_idx)
    valid = (
        (e_idx <= a_idx) & (entry_year >= row["entry_open"]) & (entry_year <= row["entry_close"])
    )
    g_early, g_late = growth
    log_c = np.where(
        entry_year >= break_year,
        g_late * (entry_year - EST_YEAR),
        g_late * (break_year - EST_YEAR) + g_early * (entry_year - break_year),
    )
    cohort = np.where(valid, np.exp(log_c), 0.0)
    fshare = _female_share(row, entry_year.astype(float))
    comp = np.zeros((2, len(ages)))
    for s in range(2):
        logsurv = np.concatenate([[0.0], np.cumsum(np.log(1.0 - q[s] - x))])[: len(ages)]
        surv = np.exp(logsurv[a_idx] - logsurv[e_idx])
        share = fshare if s == 0 else 1.0 - fshare
        comp[s] = (cohort * pmf[e_idx] * share * surv).sum(axis=1)
    return comp


def _tail_share(src: SupplySources, ratio_cats: list[str]) -> float | None:
    """Observed share aged 75-85 among persons 15-85 in 2011 (Table 1 minus Table 2), or None."""
    t1 = src.labour_status[src.labour_status["year"] == 2011].set_index("ssb_category")
    t2 = src.persons_15_74.set_index("ssb_category")
    cats2 = []
    for c in ratio_cats:
        cats2 += ["Helsesøster", "Jordmor"] if c == "Helsesøster og jordmor" else [c]
    if not all(c in t1.index for c in ratio_cats) or not all(c in t2.index for c in cats2):
        return None
    p85 = float(t1.loc[ratio_cats, "persons"].sum())
    p74 = float(t2.loc[cats2, "persons_2011"].sum())
    return (p85 - p74) / p85


def _component_bands(hes: pd.DataFrame, categories: list[str]) -> tuple[np.ndarray, int]:
    """Employed in HS aged 15-39 and 40-54 in the latest year with age bands."""
    rows = hes[hes["ssb_category"].isin(categories)].dropna(subset=["hs_employed_all"])
    year = int(rows["year"].max())
    rows = rows[rows["year"] == year]
    return np.array([rows["hs_15_39"].sum(), rows["hs_40_54"].sum()], float), year


def _fit_growth(
    row: pd.Series,
    prior: float,
    tail: float | None,
    hs: np.ndarray,
    ages: np.ndarray,
    q: np.ndarray,
    x: np.ndarray,
    shift: float,
    bounds: tuple[float, float],
    break_year: int,
) -> tuple[tuple[float, float], str]:
    """Cohort growth (early, late) fitted to the observed moments of the age distribution.

    Moments: (1) persons 20-39 / 40-54 = employed in HS 15-39 / 40-54 (prime-age plateau of P);
    (2) share aged 75-85 among persons 20-85 = 2011 observation (where available). With both, the
    two rates are solved jointly; with (1) only, g_early = prior and g_late is solved; if nothing
    can be solved, (prior, prior).
    """
    from scipy.optimize import brentq, least_squares

    young = (ages >= 20) & (ages <= 39)
    mid = (ages >= 40) & (ages <= 54)
    old = ages >= 75

    def moments(gr: tuple[float, float]) -> np.ndarray:
        c = _component_profile(row, gr, ages, q, x, shift, break_year).sum(axis=0)
        m1 = np.log(c[young].sum() / c[mid].sum()) - np.log(hs[0] / hs[1])
        m2 = 0.0 if tail is None else 10.0 * (c[old].sum() / c.sum() - tail)
        return np.array([m1, m2])

    lo, hi = bounds
    if tail is not None and tail > 0:
        res = least_squares(
            moments, x0=[prior, prior], bounds=([lo, lo], [hi, hi]), xtol=1e-12, ftol=1e-12
        )
        if np.max(np.abs(res.fun)) < 1e-4:
            return (float(res.x[0]), float(res.x[1])), "fitted: plateau + tail"

    def f(gl: float) -> float:
        return float(moments((prior, gl))[0])

    if f(lo) * f(hi) < 0:
        return (prior, float(brentq(f, lo, hi, xtol=1e-10))), "fitted: plateau (early = prior)"
    return (prior, prior), "prior"


def reconstruct_stock(
    src: SupplySources, asm: SupplyAssumptions
) -> tuple[np.ndarray, pd.DataFrame]:
    """Stock of persons 4th quarter 2015, shape (group, sex, age 20..79), and a component table.

    Per component: N(s, a) ∝ Σ_e C(2015 − (a − e)) f(e) φ_s(t) S_s(e → a), where C(t) =
    exp(growth (t − 2015)) between entry_open and entry_close, f = entry-age pmf, φ = female share
    of the entry cohort, S = survival (WPP 2015-2020 mortality and the group's exit rate). The
    growth rates before / after ``growth_break_year`` are fitted (_fit_growth) to the observed
    share aged 75-85 (2011, hesospers Table 1 minus Table 2) and to the ratio of employed in HS
    15-39 / 40-54 under a prime-age plateau of P; fallback: HPR / LF growth or the assumed
    value. Scaled so that ages 20..85 sum to LF 2015 x persons/LF; ages 80..85 are then dropped.
    """
    amax = int(asm.value("stock", "age_max_reconstruction"))
    shift = float(asm.value("stock", "entry_age_shift"))
    bounds = tuple(asm.value("stock", "growth_fit_bounds"))
    break_year = int(asm.value("stock", "growth_break_year"))
    ages = np.arange(dims.AGE_MIN, amax + 1).astype(float)
    q = death_probabilities(src.mx, "2015-2020", ages)
    stock = np.zeros((len(GROUPS), 2, len(AGES)))
    rows_out = []
    for _, row in asm.groups.iterrows():
        g = GROUPS.index(row["group"])
        cats = str(row["ssb_categories"]).split("|")
        lf, lf_note = _lf_2015(src.hesospers, cats)
        ratio_cats = (
            ["Lege uten spesialitet", "Lege med spesialitet"]
            if row["ratio_categories"] == "lege"
            else str(row["ratio_categories"]).split("|")
        )
        ratio, ratio_year = _persons_ratio(src.labour_status, ratio_cats)
        prior_growth = _growth(src, row, cats)
        x = exit_profile(float(asm.flows.loc[row["group"], "exit_rate"]), ages)
        tail = _tail_share(src, ratio_cats)
        hs, band_year = _component_bands(src.hesospers, cats)
        growth, how = _fit_growth(
            row, prior_growth, tail, hs, ages, q, x, shift, bounds, break_year
        )
        comp = _component_profile(row, growth, ages, q, x, shift, break_year)
        persons = lf * ratio
        comp *= persons / comp.sum()
        stock[g] += comp[:, : len(AGES)]
        rows_out.append(
            {
                "component": row["component"],
                "group": row["group"],
                "lf_2015": lf,
                "lf_note": lf_note,
                "persons_per_lf": ratio,
                "ratio_year": ratio_year,
                "persons_15_85": persons,
                "prior_growth": prior_growth,
                "growth_source": row["growth_source"],
                "growth_early": growth[0],
                "growth_late": growth[1],
                "growth_method": how,
                "tail_share_2011": np.nan if tail is None else tail,
                "persons_20_79": comp[:, : len(AGES)].sum(),
                "persons_75_85": comp[:, ages >= 75].sum(),
                "female_share": comp[0].sum() / comp.sum(),
            }
        )
    return stock, pd.DataFrame(rows_out)


# --------------------------------------------------------------------------------------------
# 2. P estimation data
# --------------------------------------------------------------------------------------------


def hs_employed_bands(
    src: SupplySources, asm: SupplyAssumptions, stock: np.ndarray
) -> pd.DataFrame:
    """Employed in HS by group and age band in the estimation year (observed bands + 67+ split).

    2015 where published; otherwise (lege, tannlege, psykolog) 2013 scaled by LF 2015 / LF 2013.
    The 67+ band is split over 67-69 / 70-74 / 75-79 by the assumed shares in supply.toml; the
    75-79 part is capped at ``p_75_79_max`` x reconstructed persons 75-79 (the excess is moved
    to 67-74), so that small, young groups do not get a spurious P at 75+.
    """
    persons = stock.sum(axis=1)
    p75_pub, p75_priv = asm.value("retirement", "p_75_79_max")
    hes = src.hesospers[src.hesospers["group14"].isin(GROUPS)]
    split_pub = asm.value("retirement", "split_public")
    split_priv = asm.value("retirement", "split_private")
    private = set(asm.value("retirement", "private_groups"))
    rows = []
    for g in GROUPS:
        sub = hes[hes["group14"] == g]
        years = sub.dropna(subset=["hs_employed_all"])["year"]
        year = 2015 if 2015 in set(years) else int(years.max())
        obs = sub[sub["year"] == year]
        scale = 1.0
        if year != EST_YEAR:
            lf = sub.groupby("year")["lf_total"].sum()
            scale = float(lf[2014] / lf[2013]) ** (EST_YEAR - year)
        for lo, hi, col in HS_BANDS:
            rows.append((g, lo, hi, float(obs[col].sum()) * scale, year))
        old = float(obs["hs_67plus"].sum()) * scale
        split = split_priv if g in private else split_pub
        p_max = p75_priv if g in private else p75_pub
        persons_75 = float(persons[GROUPS.index(g), AGES >= 75].sum())
        s75 = min(old * split[2], p_max * persons_75)
        rest = (old - s75) / (split[0] + split[1])
        for (lo, hi), sh in zip(OLD_BANDS[:2], split[:2], strict=True):
            rows.append((g, lo, hi, rest * sh, year))
        rows.append((g, *OLD_BANDS[2], s75, year))
    return pd.DataFrame(rows, columns=["group", "age_lo", "age_hi", "successes", "data_year"])


def p_estimation_data(bands: pd.DataFrame, stock: np.ndarray) -> pd.DataFrame:
    """Single-age estimation rows: band successes spread over ages ∝ persons (both sexes).

    Successes are capped at 98 % of trials (a reconstructed band smaller than its employment).
    """
    persons = stock.sum(axis=1)  # (group, age)
    out = []
    for b, r in enumerate(bands.itertuples(index=False)):
        g = GROUPS.index(r.group)
        idx = (r.age_lo <= AGES) & (r.age_hi >= AGES)
        trials = persons[g, idx]
        succ = r.successes * trials / trials.sum()
        succ = np.minimum(succ, 0.98 * trials)
        for a, t, s in zip(AGES[idx], trials, succ, strict=True):
            out.append((r.group, int(a), float(s), float(t), b))
    return pd.DataFrame(out, columns=["group", "age", "successes", "trials", "band"])


# --------------------------------------------------------------------------------------------
# 3. Flows and roll-forward
# --------------------------------------------------------------------------------------------


FLOW_STATUS_COLUMNS = ("graduates_status", "immigrants_status")
"""supply_flows.csv: whether each group's reference inflow is observed or assumed."""


def reference_inflows(inflows: pd.DataFrame, asm: SupplyAssumptions) -> pd.DataFrame:
    """Reference (base-year) graduates and immigrants per group, in dims.GROUPS order.

    A flow marked ``observed`` in supply_flows.csv is the mean of the last ``window`` observed
    years of ``inflows`` (``observed_inflow_series``); immigrants are then multiplied by the
    group's settle share (``[immigrant_settle_share]``: authorisations to foreign-educated
    persons include some who never settle). A flow marked ``assumed`` keeps the value of
    supply_flows.csv. Columns: graduates, immigrants, graduates_status, immigrants_status,
    graduates_assumed, immigrants_assumed, graduates_years, immigrants_years, settle_share.
    """
    window = int(asm.value("observed_inflows", "window"))
    settle = asm.toml.get("immigrant_settle_share", {})
    out = pd.DataFrame(index=pd.Index(list(GROUPS), name="group"))
    for flow in ("graduates", "immigrants"):
        status = asm.flows[f"{flow}_status"].astype(str)
        values, years = [], []
        for g in GROUPS:
            if status[g] != "observed":
                values.append(float(asm.flows.loc[g, flow]))
                years.append("")
                continue
            obs = inflows[(inflows["group"] == g) & (inflows["flow"] == flow)]
            obs = obs.sort_values("year").tail(window)
            if obs.empty:
                raise ValueError(f"supply_flows.csv: {g} {flow} is 'observed' but no source has it")
            level = float(obs["value"].mean())
            if flow == "immigrants":
                if g not in settle:
                    raise ValueError(f"supply.toml [immigrant_settle_share] has no entry for {g}")
                level *= float(settle[g]["value"])
            values.append(level)
            first, last = int(obs["year"].min()), int(obs["year"].max())
            years.append(str(last) if first == last else f"{first}-{last}")
        out[flow] = values
        out[f"{flow}_status"] = status.to_numpy()
        out[f"{flow}_assumed"] = asm.flows[flow].to_numpy(float)
        out[f"{flow}_years"] = years
    out["settle_share"] = [float(settle[g]["value"]) if g in settle else np.nan for g in GROUPS]
    return out


@dataclass
class Flows:
    """Reference flows, arrays (group, sex, age 20..79): persons per year / rates per year."""

    graduates: np.ndarray
    immigrants: np.ndarray
    base_exit: np.ndarray
    transitions: np.ndarray
    """Persons per year leaving the origin group by further education (origin's sex x age)."""


def build_flows(asm: SupplyAssumptions, levels: pd.DataFrame | None = None) -> Flows:
    """Graduates, immigrants, base exit rates and transition counts.

    ``levels`` (``reference_inflows``) gives the reference graduates and immigrants per group;
    without it the supply_flows.csv values are used. Age and sex distributions, exit rates and
    transitions always come from the assumptions.
    """
    shift = float(asm.value("stock", "entry_age_shift"))
    if levels is None:
        levels = asm.flows[["graduates", "immigrants"]]
    shape = (len(GROUPS), 2, len(AGES))
    grad, imm, xb, trans = (np.zeros(shape) for _ in range(4))
    for g, name in enumerate(GROUPS):
        f = asm.flows.loc[name]
        sex = np.array([f["female_share"], 1.0 - f["female_share"]])
        gp = shifted_gamma_pmf(f["grad_age_mean"], f["grad_age_sd"], AGES.astype(float), shift)
        ip = shifted_gamma_pmf(f["imm_age_mean"], f["imm_age_sd"], AGES.astype(float), shift)
        grad[g] = float(levels.loc[name, "graduates"]) * sex[:, None] * gp[None, :]
        imm[g] = float(levels.loc[name, "immigrants"]) * sex[:, None] * ip[None, :]
        xb[g] = exit_profile(float(f["exit_rate"]), AGES.astype(float))[None, :]
    for t in asm.transitions.itertuples(index=False):
        o, d = GROUPS.index(t.origin), GROUPS.index(t.destination)
        trans[o] += t.share * grad[d]
    return Flows(grad, imm, xb, trans)


def exit_rates(flows: Flows, stock: np.ndarray, cap: float = 0.3) -> np.ndarray:
    """Total other-exit probability: base rate + transitions / stock (capped)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        tr = np.where(stock > 1e-9, flows.transitions / stock, 0.0)
    return np.clip(flows.base_exit + tr, 0.0, cap)


def step(stock: np.ndarray, q: np.ndarray, x: np.ndarray, flows: Flows) -> np.ndarray:
    """One year of the cohort mechanics: survive/exit, age by one year, add inflows.

    ``q`` has shape (sex, age); persons aged 79 leave the stock (aged out).
    """
    surv = stock * (1.0 - q[None] - x)
    new = np.zeros_like(stock)
    new[:, :, 1:] = surv[:, :, :-1]
    return new + flows.graduates + flows.immigrants


def roll_forward(
    stock0: np.ndarray, src: SupplySources, flows: Flows, first: int, last: int
) -> dict[int, np.ndarray]:
    """Stocks 4th quarter ``first`` .. ``last`` starting from ``stock0`` in ``first``."""
    q_by = {
        p: death_probabilities(src.mx, p, AGES.astype(float)) for p in ("2015-2020", "2020-2025")
    }
    out = {first: stock0}
    s = stock0
    for year in range(first + 1, last + 1):
        q = q_by["2015-2020" if year <= 2020 else "2020-2025"]
        s = step(s, q, exit_rates(flows, s), flows)
        out[year] = s
    return out


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
    bands = hs_employed_bands(src, asm, stock15)
    pdata = p_estimation_data(bands, stock15)
    pm = asm.toml["p_model"]
    pmodel = fit_p_glm(
        pdata,
        GROUPS,
        max_degree=int(pm["max_degree"]["value"]),
        center=float(pm["age_center"]["value"]),
        scale=float(pm["age_scale"]["value"]),
        knot=float(pm["old_age_knot"]["value"]),
    )

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
    e_levels = e_raw * factor
    fte = e_levels.to_numpy()[:, None] * profile[None, :] / norm[:, None]
    fte = np.clip(fte, 0.0, 1.5)

    sick, _ = sick_leave_shares(src, asm)
    x24 = exit_rates(flows, m24)

    n = len(GROUPS) * 2 * len(AGES)
    frame = pd.DataFrame(
        {
            "group": np.repeat(np.array(GROUPS), 2 * len(AGES)),
            "sex": np.tile(np.repeat(np.array(SEXES), len(AGES)), len(GROUPS)),
            "age": np.tile(AGES, 2 * len(GROUPS)),
            "stock": np.round(m24.reshape(n), 3),
            "p_work": np.round(np.broadcast_to(p_base[:, None, :], m24.shape).reshape(n), 6),
            "fte": np.round(np.broadcast_to(fte[:, None, :], m24.shape).reshape(n), 6),
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
    """personnel.csv conforming to helsemodlite.schema: one row per group x sex x age
    (dims.GROUPS x dims.SEXES x dims.AGES, in that order), columns group, sex, age, stock, p_work,
    fte, exit_rate, graduates, immigrants, sick_leave; all finite, counts >= 0, rates in [0, 1].
    Values rounded (counts to 3 decimals, rates to 6 decimals) for stable output."""
    return build_supply(sources_dir, assumptions_dir).personnel


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
