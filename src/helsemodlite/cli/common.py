"""What several commands share: exit codes, the --inputs and CSV options, the group list."""

from __future__ import annotations

import argparse

from .. import dims
from ..errors import ConfigError

EXIT_BAD_INPUT = 2
CSV_DIALECTS = ("standard", "excel-no")
"""As :data:`helsemodlite.io.tables.CSV_DIALECTS` (kept here so ``--help`` needs no pandas)."""
MODEL_NOTES = ("build", "calibration")
"""The notes a command that uses ``model/`` prints first (``set_defaults(notes=...)``; cli.entry):
model/ older than the sources or assumptions beside it (io.build_record), and a calibration
fitted on other inputs."""
DEFAULT_YEAR_HELP = "year {} (default 2040, or the inputs' last year before it)"


def check_csv_options(args: argparse.Namespace, *targets: str) -> None:
    """--labels and --dialect shape CSV files: refused where the command writes none."""
    from ..io.tables import check_dialect

    check_dialect(args.dialect)
    if not any(getattr(args, t.lstrip("-").replace("-", "_")) for t in targets):
        given = [
            o
            for o, on in (("--labels", args.labels), ("--dialect", args.dialect != "standard"))
            if on
        ]
        if given:
            raise ConfigError(
                f"{args.command}: {' and '.join(given)} "
                + ("applies" if len(given) == 1 else "apply")
                + " to CSV output only; add "
                + " or ".join(targets)
            )


def all_groups(inputs) -> list[str]:  # type: ignore[no-untyped-def]
    """Every group in the publication's order, then the Sum (``--groups``)."""
    from ..api import resolve_inputs

    return [*dims.in_publication_order(resolve_inputs(inputs).groups), dims.SUM_LABEL]


def scenarios_arg(p: argparse.ArgumentParser, nargs: str) -> None:
    """The positional SCENARIO arguments ("+": at least one, "*": none is the reference)."""
    p.add_argument(
        "scenarios", nargs=nargs, metavar="SCENARIO", help="scenario TOML files or shipped names"
    )


def inputs_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--inputs",
        metavar="DIR",
        default=None,
        help="inputs directory (default: the embedded data set)",
    )


def csv_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--labels",
        action="store_true",
        help="CSV with SSB's group labels (group_label), the unit and is_total (the Sum rows)",
    )
    p.add_argument(
        "--dialect",
        choices=CSV_DIALECTS,
        default="standard",
        help="CSV dialect: standard (',' and decimal point, the default) or excel-no "
        "(';', decimal comma and a UTF-8 BOM, for Excel with Norwegian settings)",
    )
