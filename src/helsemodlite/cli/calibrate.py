"""calibrate: refit the calibrated parameters and print them with the fit."""

from __future__ import annotations

import argparse
from pathlib import Path

from .. import dims
from ..numformat import plain
from .common import inputs_arg
from .text import print_notes, printable

CALIBRATION_COLUMNS = {
    "group": "Gruppe",
    "fitted": "Tilpasset",
    "graduates_factor": "Faktor nyutdannede",
    "immigrants_factor": "Faktor innvandrere",
    "exit_factor": "Faktor avgang",
    "initial_shortage": "Underskudd basisår",
    "demand_trend": "Etterspørselstrend",
}


FITTED_WORDS = {
    "inflow": "tilgang",
    "immigrants": "innvandrere",
    "exits": "avgang",
    "shortage": "underskudd",
    "trend": "trend",
}


FIT_QUANTITIES = {
    "gap": "gap",
    "supply_total": "tilbud i alt",
    "demand_total_excl_shortage": "etterspørsel i alt (uten underskudd)",
    "initial_shortage_total": "underskudd i basisåret i alt",
}


def calibration_text(table, report) -> str:  # type: ignore[no-untyped-def]
    """The two tables ``calibrate`` prints, with Norwegian headings and labels: the parameters
    per group (the demand trend only when one is fitted) and each target against the model."""
    import pandas as pd

    par = table.copy()
    if "demand_trend" in par and not par["demand_trend"].astype(float).any():
        par = par.drop(columns="demand_trend")
    par["group"] = par["group"].map(dims.group_label)
    par["fitted"] = par["fitted"].map(
        lambda f: " + ".join(FITTED_WORDS.get(w, w) for w in str(f).split("+"))
    )
    for c in ("graduates_factor", "immigrants_factor", "exit_factor"):
        if c in par:
            par[c] = par[c].map(lambda v: plain(v, 3))
    par["initial_shortage"] = par["initial_shortage"].map(plain)
    par = par.rename(columns=CALIBRATION_COLUMNS)
    fit = pd.DataFrame(
        {
            "Størrelse": report["quantity"].map(lambda q: FIT_QUANTITIES.get(q, q)),
            "Gruppe": report["group"].map(dims.group_label),
            "År": report["year"],
            "Publisert": report["published"].map(plain),
            "Modell": report["model"].map(plain),
            "Toleranse": report["tolerance"].map(lambda t: "mykt mål" if pd.isna(t) else plain(t)),
            "Avvik": report["residual"].map(plain),
        }
    )
    par, fit = _left(par, ["Gruppe", "Tilpasset"]), _left(fit, ["Størrelse", "Gruppe"])
    return "\n".join(
        [
            "Kalibrerte parametre per gruppe (faktorer på referansens tilgang og avgang; "
            "underskudd i årsverk):",
            par.to_string(index=False),
            "",
            "Målene og modellen (årsverk; avvik = modell − publisert):",
            fit.to_string(index=False),
        ]
    )


def _left(frame, columns: list[str]):  # type: ignore[no-untyped-def]
    """Text columns left-aligned in ``to_string``: every cell and the heading padded to the
    column's width."""
    out = frame.copy()
    names = {}
    for c in columns:
        width = max(len(c), *(len(v) for v in out[c]))
        out[c] = [v.ljust(width) for v in out[c]]
        names[c] = c.ljust(width)
    return out.rename(columns=names)


def _missed_targets(report, groups: set[str]) -> list[str]:  # type: ignore[no-untyped-def]
    """A note when the fit leaves targets outside their tolerance, and when the gap targets of
    every group (``groups``: all of them given for that year) do not add up to the Sum's
    (targets of one's own that cannot all be met)."""
    notes = []
    hard = report[report["tolerance"].notna()]
    missed = hard[hard["residual"].abs() > hard["tolerance"]]
    if len(missed):
        worst = missed.loc[missed["residual"].abs().idxmax()]
        notes.append(
            f"{len(missed)} of {len(hard)} targets are not met within their tolerance (largest: "
            f"{worst['quantity']} {worst['group']} {worst['year']}, residual "
            f"{plain(worst['residual'])} against ±{plain(worst['tolerance'])}); see the table"
        )
    gap = report[report["quantity"] == "gap"]
    for year, rows in gap.groupby("year"):
        total = rows.loc[rows["group"] == dims.SUM_LABEL, "published"]
        parts = rows.loc[rows["group"] != dims.SUM_LABEL, "published"]
        if set(rows["group"]) - {dims.SUM_LABEL} != groups:
            continue  # targets for some groups only: their sum is not the Sum's
        # the published figures are rounded to 100: their sum may be off by about 50·√n
        slack = 100 * (1 + len(parts) ** 0.5)
        if len(total) and len(parts) and abs(float(total.iloc[0]) - parts.sum()) > slack:
            notes.append(
                f"the gap targets of the groups in {year} add up to {plain(parts.sum())}, the "
                f"Sum's target is {plain(total.iloc[0])}: both cannot be met"
            )
    return notes


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from ..data.calibrate import calibrate, calibrated_outside_fit
    from ..io.read import default_inputs_dir

    table, report = calibrate(
        args.inputs,
        write=not args.dry_run,
        targets=args.targets,
        refit_published=args.refit_published,
    )
    print(printable(calibration_text(table, report)))
    n_par = int(table["fitted"].str.count(r"\+").sum() + len(table))
    n_tgt = int(report["tolerance"].notna().sum())
    soft = len(report) - n_tgt
    print(
        f"\n{n_par} frie parametre (per gruppe de som står under «Tilpasset») tilpasset "
        f"{n_tgt} mål og {soft} {'mykt' if soft == 1 else 'myke'} mål, med priorer mot "
        "dataene (docs/calibration.md)"
    )
    root = Path(args.inputs) if args.inputs else default_inputs_dir()
    outside = calibrated_outside_fit(root)
    if outside:
        print(
            f"og {len(outside)} kalibrert utenfor denne tilpasningen, hver mot et eget mål "
            f"({', '.join(outside)}; assumptions/reference.toml): {n_par + len(outside)} "
            f"parametre for {n_tgt} mål"
        )
    print_notes(_missed_targets(report, set(table["group"])))
    if args.dry_run:
        print("--dry-run: ingenting skrevet")
    else:
        print(printable(f"→ {root / 'calibration'}/ (calibration.csv, fit.csv, calibration.toml)"))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "calibrate",
        help="refit the calibration (to the published reference path, or to --targets FILE)",
        description="Refit the calibrated parameters. Without this command a changed inputs "
        "directory keeps its calibration, so the numbers show what the new data change. After "
        "the inputs changed, refitting to the published 2026 targets pins the published gap "
        "again by construction, and needs --refit-published; --targets FILE fits to your own "
        "targets (columns quantity, group, year, value, as "
        "sources/helsepersonellplan_2040_reference_path.csv).",
    )
    inputs_arg(p)
    p.add_argument("--dry-run", action="store_true", help="fit and print, do not write")
    p.add_argument("--targets", type=Path, metavar="FILE", help="fit to these targets")
    p.add_argument(
        "--refit-published",
        action="store_true",
        help="refit to the published targets although the inputs changed since the last fit",
    )
    p.set_defaults(func=_cmd_calibrate, notes=("build",))
