"""The supply build's base stock and flows: the 2015 stock reconstruction, P estimation data,
graduate and immigrant flows and the roll-forward to the base year (:mod:`.supply`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import dims
from ..model.cohort import cohort_step
from .supply_sources import (
    AGES,
    EST_YEAR,
    GROUPS,
    HS_BANDS,
    OLD_BANDS,
    SupplyAssumptions,
    SupplySources,
    _female_share,
    death_probabilities,
    exit_profile,
    shifted_gamma_pmf,
)

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


@dataclass(frozen=True)
class YoungMoment:
    """The reconstruction's moment on the young ages of one component.

    ``ratio``: persons 20-39 / 40-54 = (employed in HS 15-39 / 40-54) / ``kappa``, i.e.
    P(20-39) = kappa x P(40-54) (kappa = 1: the prime-age plateau). ``level``: persons 20-39 =
    employed in HS 15-39 / ``p_young`` (P of the young band from evidence), as a share of the
    component's persons (``persons``).
    """

    kind: str = "ratio"
    kappa: float = 1.0
    p_young: float = np.nan
    persons: float = np.nan

    def target(self, hs: np.ndarray) -> float:
        """log of the target: persons 20-39 / 40-54 (ratio) or / all persons (level)."""
        if self.kind == "level":
            return float(np.log(hs[0] / (self.p_young * self.persons)))
        return float(np.log(hs[0] / hs[1]) - np.log(self.kappa))


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
    young_moment: YoungMoment | None = None,
) -> tuple[tuple[float, float], str]:
    """Cohort growth (early, late) fitted to the observed moments of the age distribution.

    Moments: (1) the young ages (:class:`YoungMoment`; by default persons 20-39 / 40-54 =
    employed in HS 15-39 / 40-54, the prime-age plateau of P); (2) share aged 75-85 among
    persons 20-85 = 2011 observation (where available). With both, the two rates are solved
    jointly; with (1) only, g_early = prior and g_late is solved; if nothing can be solved,
    (prior, prior).
    """
    from scipy.optimize import brentq, least_squares

    ym = young_moment or YoungMoment()
    young = (ages >= 20) & (ages <= 39)
    mid = (ages >= 40) & (ages <= 54)
    old = ages >= 75
    target = ym.target(hs)
    name = "plateau" if ym.kind == "ratio" and ym.kappa == 1.0 else f"young {ym.kind}"

    def moments(gr: tuple[float, float]) -> np.ndarray:
        c = _component_profile(row, gr, ages, q, x, shift, break_year).sum(axis=0)
        base = c.sum() if ym.kind == "level" else c[mid].sum()
        m1 = np.log(c[young].sum() / base) - target
        m2 = 0.0 if tail is None else 10.0 * (c[old].sum() / c.sum() - tail)
        return np.array([m1, m2])

    lo, hi = bounds
    if tail is not None and tail > 0:
        res = least_squares(
            moments, x0=[prior, prior], bounds=([lo, lo], [hi, hi]), xtol=1e-12, ftol=1e-12
        )
        if np.max(np.abs(res.fun)) < 1e-4:
            return (float(res.x[0]), float(res.x[1])), f"fitted: {name} + tail"

    def f(gl: float) -> float:
        return float(moments((prior, gl))[0])

    if f(lo) * f(hi) < 0:
        return (prior, float(brentq(f, lo, hi, xtol=1e-10))), f"fitted: {name} (early = prior)"
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
    evidence = _young_p_evidence(src, asm)
    order = sorted(asm.groups.index, key=lambda i: asm.groups.loc[i, "group"] not in evidence)
    kappa_parts: list[tuple[float, float]] = []  # (kappa, persons 20-54) of evidence components
    for i in order:
        row = asm.groups.loc[i]
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
        persons = lf * ratio
        if row["group"] in evidence:
            ym = YoungMoment("level", p_young=evidence[row["group"]], persons=persons)
        elif evidence:
            w = np.array([p for _, p in kappa_parts])
            ym = YoungMoment("ratio", kappa=float(np.dot([k for k, _ in kappa_parts], w) / w.sum()))
        else:
            ym = YoungMoment()
        growth, how = _fit_growth(
            row, prior_growth, tail, hs, ages, q, x, shift, bounds, break_year, ym
        )
        comp = _component_profile(row, growth, ages, q, x, shift, break_year)
        comp *= persons / comp.sum()
        tot = comp.sum(axis=0)
        young = (ages >= 20) & (ages <= 39)
        mid = (ages >= 40) & (ages <= 54)
        kappa = float((hs[0] / tot[young].sum()) / (hs[1] / tot[mid].sum()))
        if row["group"] in evidence:
            kappa_parts.append((kappa, float(tot[young | mid].sum())))
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
                "young_moment": ym.kind if evidence else "plateau",
                "p_young_target": ym.p_young,
                "p_20_39_over_40_54": kappa,
                "tail_share_2011": np.nan if tail is None else tail,
                "persons_20_79": comp[:, : len(AGES)].sum(),
                "persons_75_85": comp[:, ages >= 75].sum(),
                "female_share": comp[0].sum() / comp.sum(),
            }
        )
    table = pd.DataFrame(rows_out, index=order).sort_index()  # back in the assumptions' order
    return stock, table.reset_index(drop=True)


def _young_p_evidence(src: SupplySources, asm: SupplyAssumptions) -> dict[str, float]:
    """group → P of the young band from the cohort studies, when ``[stock] young_moment`` is
    ``cohort``; empty for ``plateau`` (or when the key is absent: inputs from before it)."""
    entry = asm.toml.get("stock", {}).get("young_moment")
    mode = "plateau" if entry is None else str(entry["value"])
    if mode == "plateau":
        return {}
    if mode != "cohort":
        raise ValueError(
            f'supply.toml [stock] young_moment: expected "plateau" or "cohort", got {mode!r}'
        )
    if src.young_p is None:
        raise ValueError(
            'supply.toml [stock] young_moment = "cohort" needs the catalogued source with '
            'role = "young_p_evidence" (sources.toml)'
        )
    ev = src.young_p
    return {str(g): float(v["share_in_hs"].mean()) for g, v in ev.groupby("group14")}


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
    abnormal = asm.toml.get("observed_inflows", {}).get("abnormal_deviation")
    limit = None if abnormal is None else float(abnormal["value"])
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
            obs = obs.sort_values("year")
            if obs.empty:
                raise ValueError(f"supply_flows.csv: {g} {flow} is 'observed' but no source has it")
            left_out = abnormal_last_year(obs, window, limit)
            if left_out is not None:
                obs = obs[obs["year"] != left_out]
            obs = obs.tail(window)
            level = float(obs["value"].mean())
            if flow == "immigrants":
                if g not in settle:
                    raise ValueError(f"supply.toml [immigrant_settle_share] has no entry for {g}")
                level *= float(settle[g]["value"])
            values.append(level)
            first, last = int(obs["year"].min()), int(obs["year"].max())
            span = str(last) if first == last else f"{first}-{last}"
            years.append(span if left_out is None else f"{span} ({left_out} left out: abnormal)")
        out[flow] = values
        out[f"{flow}_status"] = status.to_numpy()
        out[f"{flow}_assumed"] = asm.flows[flow].to_numpy(float)
        out[f"{flow}_years"] = years
    out["settle_share"] = [float(settle[g]["value"]) if g in settle else np.nan for g in GROUPS]
    return out


def abnormal_last_year(obs: pd.DataFrame, window: int, limit: float | None) -> int | None:
    """The last observed year, if it is abnormal: further than ``limit`` (relative) from the
    median of the up to ``window`` years before it (at least two). SSB's rule in the same
    spirit: the nurses' base year 2023 instead of an abnormally low 2024. None otherwise, or
    without a limit (inputs from before ``[observed_inflows] abnormal_deviation``)."""
    if limit is None or len(obs) < 3:
        return None
    before = obs["value"].iloc[:-1].tail(window)
    ref = float(before.median())
    last = float(obs["value"].iloc[-1])
    if ref > 0 and abs(last / ref - 1.0) > limit:
        return int(obs["year"].iloc[-1])
    return None


@dataclass
class Flows:
    """Reference flows, arrays (group, sex, age 20..79): persons per year / rates per year."""

    graduates: np.ndarray
    immigrants: np.ndarray
    base_exit: np.ndarray
    transitions: np.ndarray
    """Persons per year leaving the origin group by further education (origin's sex x age):
    the transition share x the destination's graduates, in the same cells (a count, as in the
    runtime model, :func:`..model.engine.further_education`)."""


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


def step(stock: np.ndarray, q: np.ndarray, flows: Flows) -> np.ndarray:
    """One year of the cohort mechanics: survive/exit, age by one year, add the inflows and
    take out the moves to other groups (further education).

    ``q`` has shape (sex, age); persons aged 79 leave the stock (aged out).
    """
    new = cohort_step(stock, q[None], flows.base_exit, (flows.graduates, flows.immigrants)).stock
    # no one leaves a cell that is empty, as in the runtime year loop (engine._Moves)
    return new - np.minimum(flows.transitions, np.maximum(new, 0.0))


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
        s = step(s, q, flows)
        out[year] = s
    return out
