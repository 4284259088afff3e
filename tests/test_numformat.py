"""Numbers in Norwegian print (helsemodlite.numformat): the one definition every layer uses."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helsemodlite.numformat import MINUS, THIN, arsverk, number


@pytest.mark.parametrize(
    ("value", "kwargs", "text"),
    [
        (12345.6, {}, "12 346"),
        (-12345.6, {}, f"{MINUS}12 346"),
        (-12345.6, {"minus": "-"}, "-12 346"),
        (-12345.6, {"decimals": 1, "sep": THIN}, f"{MINUS}12{THIN}345,6"),
        (1660.2, {"sign": True}, "+1 660"),
        (36.24, {"decimals": 1, "sign": True}, "+36,2"),
        (-0.4, {}, "0"),
        (-0.04, {"decimals": 1}, "0,0"),
        (0.0, {"sign": True}, "0"),
        (1_000_000, {}, "1 000 000"),
    ],
)
def test_number(value: float, kwargs: dict[str, object], text: str) -> None:
    assert number(value, **kwargs) == text  # type: ignore[arg-type]


def test_not_a_number_is_a_dash_not_nan() -> None:
    for bad in (math.nan, math.inf, -math.inf):
        assert number(bad, sign=True) == "–" and arsverk(bad) == "–"


def test_arsverk_rounds_to_the_nearest_hundred_as_the_publication() -> None:
    assert arsverk(-42374.0, minus="-") == "-42 400"
    assert arsverk(-49.9) == "0"  # no "-0"
    assert arsverk(149.9) == "100"
    assert arsverk(-9882.0, sep=THIN) == f"{MINUS}9{THIN}900"


@given(st.floats(-1e9, 1e9, allow_nan=False), st.integers(0, 3), st.booleans())
def test_number_reads_back_and_never_signs_a_zero(value: float, decimals: int, sign: bool) -> None:
    text = number(value, decimals, sign=sign, minus="-")
    if text.lstrip("+-").strip("0,") == "":  # rounds to zero
        assert text[0] not in "+-", text
    back = float(text.replace(" ", "").replace(",", "."))
    assert math.isclose(back, value, abs_tol=0.5 * 10**-decimals + 1e-9 * abs(value))
    assert text.startswith("+") == (sign and back > 0)
