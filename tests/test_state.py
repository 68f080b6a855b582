"""URL parameter parsing: bad input is replaced or clamped, good input is honoured exactly."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ui.state import BoolParam, ChoiceParam, FloatParam, IntParam

SIGMA = FloatParam("sigma1", 1.0, 0.1, 5.0, 0.01)


@pytest.mark.parametrize(
    ("raw", "value", "problem"),
    [
        ("0.57", 0.57, None),
        ("5", 5.0, None),
        ("abc", 1.0, "common.url_not_number"),
        ("nan", 1.0, "common.url_not_number"),
        ("inf", 1.0, "common.url_not_number"),
        ("", 1.0, "common.url_not_number"),
        ("0", 0.1, "common.url_clamped"),
        ("-3", 0.1, "common.url_clamped"),
        ("1e308", 5.0, "common.url_clamped"),
        ("0.573", 0.57, "common.url_rounded"),
    ],
)
def test_float_param(raw, value, problem):
    assert SIGMA.parse(raw) == (value, problem)


@given(st.integers(-500, 500))
def test_every_two_decimal_value_is_honoured_exactly(hundredths):
    mu = FloatParam("mu1", 0.0, -5.0, 5.0, 0.01)
    raw = f"{hundredths / 100:.2f}"
    value, problem = mu.parse(raw)
    assert problem is None
    assert value == float(raw)
    assert mu.parse(mu.fmt(value)) == (value, None)


def test_float_format_is_short():
    assert SIGMA.fmt(1.5) == "1.5" and SIGMA.fmt(2.0) == "2" and SIGMA.fmt(-0.0) == "0"


def test_int_param():
    seed = IntParam("seed", 0, 0, 2**31 - 1)
    assert seed.parse("42") == (42, None)
    assert seed.parse("-1") == (0, "common.url_clamped")
    assert seed.parse("1e308") == (2**31 - 1, "common.url_clamped")
    assert seed.parse("4.5") == (4, "common.url_rounded")
    assert seed.parse("x") == (0, "common.url_not_number")


def test_choice_and_bool():
    n = ChoiceParam("n", 1000, (100, 1000, 10000))
    assert n.parse("10000") == (10000, None)
    assert n.parse("7") == (1000, "common.url_bad_choice")
    # the same number spelled another way is that option; a near miss or a non-number is not
    assert [n.parse(raw)[0] for raw in ("1e4", "10,000", "10000.0", " 100 ")] == [10000, 10000, 10000, 100]
    assert n.parse("10001") == (1000, "common.url_bad_choice")
    assert n.parse("nan") == n.parse("inf") == n.parse("1e400") == (1000, "common.url_bad_choice")
    lr = ChoiceParam("lr", 0.2, (0.05, 0.2, 1.0))
    assert lr.parse("1") == (1.0, None) and lr.parse(".2") == (0.2, None)
    words = ChoiceParam("f", "log", ("log", "sqrt"))
    assert words.parse("1") == ("log", "common.url_bad_choice")
    flag = BoolParam("joint", False)
    assert flag.parse("1") == (True, None) and flag.parse("off") == (False, None)
    assert flag.parse("maybe") == (False, "common.url_bad_choice")
