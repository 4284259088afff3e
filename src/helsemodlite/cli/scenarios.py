"""scenarios: list, show and describe (JSON Schema) the shipped scenarios."""

from __future__ import annotations

import argparse
import sys

from .text import printable


def _cmd_scenarios_list(args: argparse.Namespace) -> int:
    from ..scenarios.files import shipped_catalogue

    rows = shipped_catalogue()
    width = max(len(name) for name, _ in rows)
    print("Scenarier som følger med (bruk navnet der en fil kan stå, f.eks. run heltid_10):\n")
    for name, title in rows:
        print(f"{name.ljust(width)}  {title}")
    return 0


def _cmd_scenarios_schema(args: argparse.Namespace) -> int:
    import json

    from ..scenarios.derived import json_schema

    sys.stdout.write(json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n")
    return 0


def _cmd_scenarios_show(args: argparse.Namespace) -> int:
    from ..scenarios.files import scenario_text

    sys.stdout.write(printable(scenario_text(args.name)))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("scenarios", help="the shipped scenarios")
    ssub = p.add_subparsers(dest="scenarios_command", required=True, metavar="ACTION")
    c = ssub.add_parser("list", help="list the shipped scenarios with their titles")
    c.set_defaults(func=_cmd_scenarios_list)
    c = ssub.add_parser("show", help="print a shipped scenario file")
    c.add_argument("name", metavar="NAME", help="a shipped scenario's name, e.g. heltid_10")
    c.set_defaults(func=_cmd_scenarios_show)
    c = ssub.add_parser(
        "schema", help="print the JSON Schema of a scenario file (for editors such as VS Code)"
    )
    c.set_defaults(func=_cmd_scenarios_schema)
