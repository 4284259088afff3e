"""Errors raised on bad input. All are ``ValueError`` and carry every problem found."""

from __future__ import annotations


class HelsemodliteError(ValueError):
    """Base class: a list of problems, each a full sentence naming file, key/column and row."""

    def __init__(self, problems: list[str] | str, *, title: str = "") -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        self.title = title
        super().__init__(self.message())

    def message(self) -> str:
        head = self.title or f"{len(self.problems)} problem(s)"
        if len(self.problems) == 1 and not self.title:
            return self.problems[0]
        return head + ":\n" + "\n".join(f"  - {p}" for p in self.problems)


class ConfigError(HelsemodliteError):
    """A scenario file or scenario dict is invalid."""


class InputError(HelsemodliteError):
    """An inputs directory is incomplete or invalid."""


class ResultError(HelsemodliteError):
    """A projection produced values that cannot be served (NaN or infinite): the inputs are
    implausible in a way the input checks did not catch. Never printed as a number."""
