"""Checks of plain arguments of the public functions, one rule for every layer: a whole number
is an int, a numpy integer (a year taken from a DataFrame) or a float without a fraction — not
a bool, not text; a switch is True or False, not a string that happens to be truthy."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .errors import ConfigError


def whole(value: Any, what: str, *, low: int | None = None, noun: str = "whole number") -> int:
    """``value`` as an int, at least ``low``; else a :class:`ConfigError` naming ``what``."""
    ok = isinstance(value, numbers.Integral) or (
        isinstance(value, numbers.Real) and float(value).is_integer()
    )
    if isinstance(value, bool) or not ok or (low is not None and int(value) < low):
        floor = f" >= {low}" if low is not None else ""
        raise ConfigError(f"{what} must be a {noun}{floor}, got {value!r}")
    return int(value)


def switch(value: Any, what: str) -> bool:
    """``value`` if it is True or False (a numpy bool too); else a :class:`ConfigError`."""
    if not isinstance(value, bool | np.bool_):
        raise ConfigError(f"{what} must be True or False, got {value!r}")
    return bool(value)
