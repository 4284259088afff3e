"""The wheel carries the documentation: docs/ is copied into the package as helsemodlite/docs/,
so that `helsemodlite docs PAGE` reads the pages a message names (docs/calibration.md, ...) on a
machine that has only the wheel. Everything else is in pyproject.toml."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

DOCS = Path(__file__).resolve().parent / "docs"


class BuildPyWithDocs(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False) or not DOCS.is_dir():
            return  # an editable install reads docs/ of the checkout
        target = Path(self.build_lib) / "helsemodlite" / "docs"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(DOCS, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))


setup(cmdclass={"build_py": BuildPyWithDocs})
