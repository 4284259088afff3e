"""The wheel carries the documentation: docs/ is copied into the package as helsemodlite/docs/,
so that `helsemodlite docs PAGE` reads the pages a message names (docs/calibration.md, ...) on a
machine that has only the wheel. The pictures (docs/img, 1.5 MB) stay out: the command prints
Markdown. Everything else is in pyproject.toml."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

DOCS = Path(__file__).resolve().parent / "docs"


class BuildPyWithDocs(build_py):
    def run(self) -> None:
        editable = getattr(self, "editable_mode", False)
        if not editable:  # a module deleted from src/ must not linger in build/ and the wheel
            shutil.rmtree(Path(self.build_lib) / "helsemodlite", ignore_errors=True)
        super().run()
        if editable or not DOCS.is_dir():
            return  # an editable install reads docs/ of the checkout
        target = Path(self.build_lib) / "helsemodlite" / "docs"
        shutil.copytree(DOCS, target, ignore=shutil.ignore_patterns("*.py", "__pycache__", "img"))


setup(cmdclass={"build_py": BuildPyWithDocs})
