"""docs: the documentation pages, from the checkout or from the installed wheel (setup.py
copies docs/ into the package), so that every "docs/NAME.md" a message names can be read on a
machine without the source tree."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import ConfigError
from .text import printable


def docs_dir() -> Path | None:
    """The folder of the pages: inside the installed package (a wheel), or docs/ of the
    checkout (an editable install); None when neither is there."""
    package = Path(__file__).resolve().parents[1]
    for candidate in (package / "docs", package.parents[1] / "docs"):
        if (candidate / "model.md").is_file():
            return candidate
    return None


def _pages(folder: Path) -> dict[str, Path]:
    return {p.stem: p for p in sorted(folder.glob("*.md"))}


def _heading(path: Path) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return ""


def _cmd_docs(args: argparse.Namespace) -> int:
    folder = docs_dir()
    if folder is None:
        raise ConfigError("docs: the documentation is not installed with this copy of helsemodlite")
    pages = _pages(folder)
    if args.page is None and args.path:
        print(printable(str(folder)))
        return 0
    if args.page is None:
        width = max(map(len, pages))
        print(printable(f"Dokumentasjonen ({folder}); les en side med `helsemodlite docs NAVN`:\n"))
        for name, path in pages.items():
            print(printable(f"{name.ljust(width)}  {_heading(path)}"))
        return 0
    name = Path(args.page).name.removesuffix(".md")
    if name not in pages:
        import difflib

        close = difflib.get_close_matches(name, list(pages), n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        raise ConfigError(f"docs: no page {args.page!r} ({hint}pages: {', '.join(pages)})")
    if args.path:
        print(printable(str(pages[name])))
    else:
        sys.stdout.write(printable(pages[name].read_text(encoding="utf-8")))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "docs",
        help="the documentation: list the pages, or print one (e.g. docs calibration)",
        description="Prints a page of the documentation (Markdown), from the checkout or from "
        "the installed package: every 'docs/NAME.md' a message or another page names can be "
        "read with `helsemodlite docs NAME`, also where only the wheel is installed.",
    )
    p.add_argument(
        "page", nargs="?", metavar="PAGE", help="a page, e.g. calibration or docs/calibration.md"
    )
    p.add_argument(
        "--path", action="store_true", help="print where the page (or, alone, the folder) is"
    )
    p.set_defaults(func=_cmd_docs)
