"""Sources, assumptions and demography helpers of the supply build (:mod:`.supply`)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import dims
from .catalogue import roles, source_file

FLOW_STATUS_COLUMNS = ("graduates_status", "immigrants_status")
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


def _csv_with_line(path: Path) -> tuple[pd.DataFrame, int]:
    """The table and the file line of its first data row (after the # lines and the header)."""
    text = path.read_text(encoding="utf-8-sig").splitlines()
    comments = next((i for i, t in enumerate(text) if not t.startswith("#")), len(text))
    return _csv(path), comments + 2


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
    young_p: pd.DataFrame | None = None
    """P of young graduates from cohort studies (role ``young_p_evidence``), if catalogued."""


def read_sources(sources_dir: Path) -> SupplySources:
    """Read the public tables of the supply build from ``sources_dir``."""
    d = Path(sources_dir)
    return SupplySources(
        hesospers=_csv(source_file(d, "personnel_by_education")),
        labour_status=_csv(source_file(d, "personnel_labour_status")),
        arsverk_hs=_csv(source_file(d, "personnel_arsverk_hs")),
        share_hs_2011=_csv(source_file(d, "personnel_share_hs")),
        hours_2011=_csv(source_file(d, "personnel_weekly_hours")),
        hpr=_csv(source_file(d, "authorised_personnel")),
        aggregates=_csv(source_file(d, "personnel_aggregates")),
        mx=_csv(source_file(d, "mortality_rates")),
        persons_15_74=_csv(source_file(d, "personnel_15_74")),
        inflows=observed_inflow_series(d),
        young_p=_csv(source_file(d, "young_p_evidence"))
        if _has_role(d, "young_p_evidence")
        else None,
    )


def _has_role(sources_dir: Path, role: str) -> bool:
    return role in roles(Path(sources_dir).parent)


INFLOW_ROLES = {
    "authorisations": "inflow_authorisations",
    "jordmor_authorisations": "inflow_jordmor_authorisations",
    "completions": "inflow_completions",
    "fagbrev": "inflow_fagbrev",
}
"""Catalogue roles of the source tables of the observed inflows (inputs/sources.toml)."""


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
    files = {key: source_file(d, role) for key, role in INFLOW_ROLES.items()}
    rows: list[dict[str, Any]] = []

    def add(group: str, flow: str, year: Any, value: Any, key: str) -> None:
        rows.append(
            {
                "group": group,
                "flow": flow,
                "year": int(year),
                "value": float(value),
                "file": files[key].name,
            }
        )

    fag = _csv(files["fagbrev"])
    for r in fag.itertuples(index=False):
        add("helsefagarbeider", "graduates", r.year, r.helsearbeiderfaget, "fagbrev")
    auth = _csv(files["authorisations"])
    for r in auth.itertuples(index=False):
        if r.profession == "fysioterapeut":
            add("fysioterapeut", "graduates", r.year, r.norge, "authorisations")
        if r.profession in ("fysioterapeut", "helsefagarbeider"):
            add(str(r.profession), "immigrants", r.year, r.utland_total, "authorisations")
    jm = _csv(files["jordmor_authorisations"])
    for r in jm.itertuples(index=False):
        share = float(r.share_norwegian_educated_pct) / 100.0
        n = float(r.new_authorisations)
        add("jordmor", "graduates", r.year, n * share, "jordmor_authorisations")
        add("jordmor", "immigrants", r.year, n * (1.0 - share), "jordmor_authorisations")
    comp = _csv(files["completions"])
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
        transitions=_transitions(*_csv_with_line(d / "supply_transitions.csv")),
        sick_leave=_csv(d / "supply_sick_leave.csv").set_index("group"),
    )


TRANSITIONS_FILE = "assumptions/supply_transitions.csv"


def _transitions(df: pd.DataFrame, first_line: int) -> pd.DataFrame:
    """The further-education moves, checked: columns origin, destination, share; both groups
    of dims.GROUPS and different; at most one origin per destination; share in [0, 1]; no
    cycle (a group is the highest education, so no chain of moves leads back to where it
    began). No rows: no moves. ``first_line``: the file line of the first data row."""
    from ..errors import InputError

    where = TRANSITIONS_FILE
    missing = [c for c in ("origin", "destination", "share") if c not in df.columns]
    if missing:
        hint = "; the columns are separated by ';'? expected ','" if len(df.columns) == 1 else ""
        raise InputError(
            f"{where}: missing column(s) {', '.join(missing)} (expected origin, destination, "
            f"share, rationale){hint}",
            title="inputs build: invalid assumptions",
        )
    df = df.copy()
    for col in ("origin", "destination"):
        df[col] = df[col].astype(str).str.strip()
    problems = []
    for i, row in enumerate(df.itertuples(index=False)):
        line = f"{where}, line {first_line + i}"
        for col in ("origin", "destination"):
            if getattr(row, col) not in GROUPS:
                problems.append(
                    f"{line}: {col} '{getattr(row, col)}' is not one of {', '.join(GROUPS)}"
                )
        if row.origin == row.destination:
            problems.append(f"{line}: origin and destination are the same group")
        share = pd.to_numeric(pd.Series([row.share]), errors="coerce").iloc[0]
        if not 0.0 <= share <= 1.0:  # NaN fails too
            problems.append(f"{line}: share must be a number in [0, 1], got {row.share!r}")
    twice = sorted(set(df["destination"][df["destination"].duplicated()]))
    if twice:
        problems.append(
            f"{where}: {', '.join(map(str, twice))} listed as destination more than once (one "
            "origin per group: model/transitions.csv holds one row per group)"
        )
    if problems:
        raise InputError(problems, title="inputs build: invalid assumptions")
    from ..model.inputs import cycle_problem

    cycle = cycle_problem(where, dict(zip(df["destination"], df["origin"], strict=True)))
    if cycle:
        raise InputError(cycle, title="inputs build: invalid assumptions")
    return df.astype({"share": float})


def transitions_table(asm: SupplyAssumptions) -> pd.DataFrame:
    """model/transitions.csv: one row per group (dims.GROUPS order), its origin and share."""
    t = asm.transitions.set_index("destination")
    return pd.DataFrame(
        {
            "group": list(GROUPS),
            "origin": [str(t.loc[g, "origin"]) if g in t.index else "" for g in GROUPS],
            "share": [float(t.loc[g, "share"]) if g in t.index else 0.0 for g in GROUPS],
        }
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
