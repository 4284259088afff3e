"""backtest: the out-of-sample back-test of the supply base (2015 base, projected to 2020)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import dims
from ..errors import ConfigError
from ..numformat import plain
from .common import inputs_arg

BACKTEST_LABELS = {
    "personer_indeks": "Personer med utdanningen, indeks 2015 = 1",
    "sysselsatte_hs_indeks": "Sysselsatte i helse og omsorg, indeks 2015 = 1",
    "andel_55pluss": "Andel av sysselsatte som er 55 år+, prosent",
    "endring_andel_55pluss": "Endring i andel 55 år+ (kommunal), prosentpoeng",
    "sysselsatte_67pluss_vekst": "Sysselsatte 67 år+, indeks 2015 = 1",
    "leger_yrkesaktive_vekst": "Yrkesaktive leger under 70, indeks 2015 = 1",
    "alder_hpr": "Andel 55-74 år av personer 35-74 år, prosent (HPR 2013, alle yrker)",
    "kvinner_hpr": "Andel kvinner 20-74 år, prosent (HPR 2013, alle yrker)",
    "p_ung": "Andel i helsetjenesten, personer 20-39 år, prosent (kull fulgt fra eksamen)",
}


def _cmd_backtest(args: argparse.Namespace) -> int:
    from ..data.backtest import KNOWN_OUTSIDE, run_backtest
    from ..io.read import default_inputs_dir

    root = Path(args.inputs) if args.inputs else default_inputs_dir()
    if not root.is_dir():
        what = "does not exist" if not root.exists() else "is not a directory"
        raise ConfigError(f"backtest --inputs {root}: the inputs directory {what}")
    bt = run_backtest(root / "sources", root / "assumptions")
    if args.csv:
        bt.table.to_csv(sys.stdout, index=False, lineterminator="\n")
        return 0
    print(
        "Etterprøving utenfor utvalget: grunnlaget for 2015 bygd på observasjoner til og med "
        "2016, framskrevet til 2020 (aggregatet til 2023) og sammenlignet med det som ble "
        "observert (docs/backtest.md)."
    )
    for check, sub in bt.table.groupby("check", sort=False):
        print(f"\n{BACKTEST_LABELS.get(str(check), str(check))}")
        points = sub["unit"].iloc[0] == "points"
        for r in sub.itertuples(index=False):
            places = 1 if points else 3  # decimal commas, as in the notes below
            diff = plain(r.difference if points else 100 * r.difference, 1, sign=True)
            diff = f"{diff:>6} {'p' if points else '%'}"
            if r.within is None:
                verdict = "veiledende"
            elif r.within:
                verdict = "innenfor"
            else:
                known = (r.check, r.group) in KNOWN_OUTSIDE
                verdict = "utenfor (kjent, se under)" if known else "UTENFOR"
            label = dims.group_label(r.group) if r.group in dims.GROUPS else "Alle grupper"
            print(
                f"  {label:<24} {r.year}  observert {plain(r.observed, places).rjust(8)}  "
                f"modell {plain(r.model, places).rjust(8)}  avvik {diff}  {verdict}"
            )
    failures = bt.failures
    print(
        f"\n{len(bt.judged)} vurderte kontroller, {len(failures)} utenfor toleransen "
        "(sysselsatte ±5 %, andel 55+ ±3 prosentpoeng)."
    )
    for (check, group), reason in KNOWN_OUTSIDE.items():
        print(f"  - {BACKTEST_LABELS.get(check, check)}, {dims.group_label(group)}: {reason}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "backtest",
        help="out-of-sample back-test of the supply base: 2015 base, projected to 2020 (2023), "
        "against what was observed",
    )
    p.add_argument("--csv", action="store_true", help="the comparison table as CSV on stdout")
    inputs_arg(p)
    p.set_defaults(func=_cmd_backtest)
