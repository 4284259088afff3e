"""The parser of every command, the notes on the inputs before a command, and the one place
that turns errors into messages and exit codes."""

from __future__ import annotations

import argparse
import contextlib
import errno
import sys
from collections.abc import Sequence
from pathlib import Path

from ..errors import HelsemodliteError
from . import (
    backtest,
    calibrate,
    compare,
    docs,
    explain,
    explore,
    inputs,
    run,
    scenarios,
    solve,
    uncertainty,
)
from .common import EXIT_BAD_INPUT
from .text import print_notes, printable

EXIT_INTERRUPTED = 130
_OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EFBIG})
"""Errors of writing to standard output (a full disk, /dev/full): a message, not a traceback."""

COMMANDS = (
    run,
    compare,
    explain,
    uncertainty,
    solve,
    explore,
    scenarios,
    inputs,
    calibrate,
    backtest,
    docs,
)
"""The groups of commands in the order ``--help`` lists them: projecting and comparing first,
then explaining, uncertainty, the inverse and the explorer, the scenarios and the inputs, and
the documentation last."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="helsemodlite",
        description="Projections of supply of and demand for health personnel in Norway "
        "(in the spirit of SSB's Helsemod).",
    )
    from .._version import __version__

    parser.add_argument("--version", action="version", version=f"helsemodlite {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS:
        module.register(sub)
    return parser


def _input_notes(args: argparse.Namespace) -> None:
    """The notes on the inputs directory, once, before the command: model/ older than its
    sources or assumptions (``build``), and a calibration fitted on other inputs
    (``calibration``), as the command declared with ``set_defaults(notes=...)``. Inputs that
    cannot be read are the command's to report."""
    which = getattr(args, "notes", ())
    if not which:
        return
    from ..api import resolve_inputs
    from ..io.build_record import build_note
    from ..io.read import calibration_note, default_inputs_dir

    given = getattr(args, "inputs", None)
    notes = [build_note(Path(given) if given else default_inputs_dir())]
    if "calibration" in which:
        with contextlib.suppress(HelsemodliteError):
            notes.append(calibration_note(resolve_inputs(given)))
    print_notes([n for n in notes if n])


BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _single_threaded_blas() -> None:
    """One BLAS thread for the commands, unless the user set one (docs/performance.md): the
    model's linear algebra is many small problems (the estimation's least squares, a few
    matrix products), where threads gain nothing on an idle machine and cost many times over
    on a busy one (backtest on 2 cores beside another process: 18 s with OpenBLAS' threads,
    5.6 s with one). Only before numpy is imported (a new process), so it never changes a
    Python session that called main()."""
    if "numpy" in sys.modules:
        return
    import os

    for var in BLAS_THREADS:
        os.environ.setdefault(var, "1")


def _escape_what_the_terminal_cannot_show() -> None:
    """A terminal or pipe whose encoding lacks æ, ø, å or − (PYTHONIOENCODING=ascii, an old
    Windows console) gets escapes such as \\xe5 instead of a UnicodeEncodeError from the first
    Norwegian heading."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if callable(reconfigure) and getattr(stream, "errors", None) == "strict":
            reconfigure(errors="backslashreplace")


def main(argv: Sequence[str] | None = None) -> int:
    _single_threaded_blas()
    _escape_what_the_terminal_cannot_show()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _input_notes(args)
        code = int(args.func(args))
        sys.stdout.flush()  # a full disk or closed pipe is reported here, not at exit
        return code
    except HelsemodliteError as exc:
        print(printable(f"helsemodlite: error: {exc}"), file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        # Every write is whole-or-nothing (io.atomic), so an interrupt loses nothing.
        print("helsemodlite: interrupted; nothing half-written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as exc:
        if exc.errno not in _OUTPUT_ERRNOS:
            raise
        print(f"helsemodlite: error: cannot write the output ({exc.strerror})", file=sys.stderr)
        return EXIT_BAD_INPUT
