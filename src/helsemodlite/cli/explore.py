"""explore: start the local web page."""

from __future__ import annotations

import argparse

from .common import MODEL_NOTES, inputs_arg


def _cmd_explore(args: argparse.Namespace) -> int:
    from ..api import resolve_inputs
    from ..explore.serve import check_port, free_port, start

    resolve_inputs(args.inputs)  # a bad inputs directory is refused here, not on the page
    port = args.port if args.port is not None else free_port()
    check_port(port)
    import signal

    proc = start(port, args.inputs)
    print(f"helsemodlite explore: http://127.0.0.1:{port}/  (Ctrl-C stops it)", flush=True)

    def stop(*_: object) -> None:  # a plain kill stops the page's server too
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        proc.wait()
        return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "explore",
        help="a local web page: move the levers, see the gap move, download the scenario",
        description="Starts the explorer on 127.0.0.1 (docs/explore.md; pip install "
        "'helsemodlite[explore]') and prints its address. Nothing leaves this machine.",
    )
    p.add_argument("--port", type=int, default=None, help="port on 127.0.0.1 (default: a free one)")
    inputs_arg(p)
    p.set_defaults(func=_cmd_explore, notes=MODEL_NOTES)
