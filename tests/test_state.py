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


def test_derive_takes_a_subset_under_another_prefix_with_its_changes():
    from ui.state import UrlState

    page = UrlState("page", FloatParam("lam", 0.3, 0.0, 1.0, 0.01), IntParam("step", 0, 0, 100), SIGMA)
    other = page.derive("lesson_x", ("lam", "step"), change={"lam": {"default": 0.5}}, rename={"step": "k"})
    assert other.page == "lesson_x" and list(other.params) == ["lam", "k"]
    assert other.params["lam"] == FloatParam("lam", 0.5, 0.0, 1.0, 0.01)
    assert other.params["k"] == IntParam("k", 0, 0, 100)
    assert other.key("k") == "lesson_x_k"
    assert page.params["lam"].default == 0.3  # the page's own parameters are untouched
    with pytest.raises(KeyError):
        page.derive("lesson_x", ("nope",))
    with pytest.raises(KeyError):  # a change for a parameter that is not taken is a typo, not a no-op
        page.derive("lesson_x", ("lam",), change={"step": {"default": 1}})


def test_the_lessons_states_are_their_pages_parameters_with_named_changes():
    """ui/lesson.py shows each page's live view under its own prefix: same ranges and steps as the page
    (read from the page's ``ui/<slug>_data.py``), differing only where the lesson says so."""
    from ui import elbo_data, gaussian_kl_data, latent_data, lesson, monte_carlo_data, reparameterization_data

    mc_l = monte_carlo_data.STATE.params["L"].default
    expected = {
        lesson.JENSEN_STATE: elbo_data.STATE.derive(
            "lesson_jensen", ("lam", "x1", "x2", "lnsigma"), change={"lam": {"default": 0.5}, "x1": {"default": 1.0}}
        ),
        lesson.LEDGER_STATE: elbo_data.STATE.derive("lesson_ledger", ("qmu", "qsigma", "step"), rename={"step": "k"}),
        lesson.KL_STATE: gaussian_kl_data.STATE.derive("lesson_kl", ("mu1", "sigma1", "mu2", "sigma2")),
        lesson.MC_STATE: monte_carlo_data.STATE.derive(
            "lesson_mc", ("n",), change={"n": {"default": mc_l, "hi": mc_l}}
        ),
        lesson.REPARAM_STATE: reparameterization_data.STATE.derive("lesson_reparam", ("mu", "sigma")),
        lesson.LATENT_STATE: latent_data.STATE.derive("lesson_latent", ("z1", "z2", "from", "to")),
    }
    for declared, derived in expected.items():
        assert (declared.page, declared.params) == (derived.page, derived.params)
    latent = latent_data.STATE.params
    assert lesson.LEDGER_DIGIT == latent["idx"].default
    assert lesson.LEDGER_ESTIMATES == tuple(latent[name].default for name in ("L", "k", "seed"))
    assert (lesson.MC_L, lesson.MC_RUNS) == (mc_l, monte_carlo_data.STATE.params["runs"].default)
    assert lesson.REPARAM_N == reparameterization_data.N_SHOWN
