"""The Gaussian KL page through AppTest: sliders, presets and shared links drive the metrics."""

import pytest

from tests.apptest import assert_clean, metric_value, open_page, rendered
from vae_core.gaussian import kl_normal

PAGE = "views/gaussian_kl.py"


def test_shared_link_reproduces_the_view():
    at = open_page(PAGE, "en", mu1="0.5", sigma1="0.7", mu2="-1", sigma2="2")
    assert_clean(at)
    assert metric_value(at, "KL(p‖q)") == pytest.approx(float(kl_normal(0.5, 0.7, -1, 2)), abs=5e-5)
    assert metric_value(at, "KL(q‖p)") == pytest.approx(float(kl_normal(-1, 2, 0.5, 0.7)), abs=5e-5)
    assert {k: at.query_params[k] for k in ("mu1", "sigma1", "mu2", "sigma2")} == {
        "mu1": "0.5",
        "sigma1": "0.7",
        "mu2": "-1",
        "sigma2": "2",
    }
    assert at.session_state["gaussian_kl_sigma1"] == 0.7  # the live view starts from it


def test_defaults():
    at = rendered(PAGE, "zh")
    assert metric_value(at, "KL(p‖q)") == pytest.approx(float(kl_normal(0, 1, 1, 1.5)), abs=5e-5)


def test_released_values_update_metrics_and_url():
    at = open_page(PAGE, "en")
    # What a finished drag on the live view does (its release callback sets the page state).
    at.session_state["gaussian_kl_mu2"] = -2.5
    at.run()
    at.session_state["gaussian_kl_sigma2"] = 0.3
    at.run()
    assert_clean(at)
    assert metric_value(at, "KL(p‖q)") == pytest.approx(float(kl_normal(0, 1, -2.5, 0.3)), abs=5e-5)
    assert at.query_params["mu2"] == "-2.5" and at.query_params["sigma2"] == "0.3"


def test_presets():
    at = open_page(PAGE, "en", mu1="0.5", sigma1="0.7", mu2="-1", sigma2="2")
    buttons = {b.label: b for b in at.button}
    buttons["Swap p and q"].click().run()
    assert (at.session_state["gaussian_kl_mu1"], at.session_state["gaussian_kl_sigma1"]) == (-1.0, 2.0)
    assert metric_value(at, "KL(p‖q)") == pytest.approx(float(kl_normal(-1, 2, 0.5, 0.7)), abs=5e-5)
    {b.label: b for b in at.button}["q = p"].click().run()
    assert metric_value(at, "KL(p‖q)") == 0.0 and metric_value(at, "KL(q‖p)") == 0.0
    {b.label: b for b in at.button}["q = N(0, 1) (the VAE prior)"].click().run()
    assert metric_value(at, "KL(p‖q)") == pytest.approx(float(kl_normal(-1, 2, 0, 1)), abs=5e-5)
    assert at.success, "the VAE-prior note should appear when q is the prior"


def test_extreme_sliders_stay_finite():
    at = open_page(PAGE, "en", mu1="-5", sigma1="5", mu2="5", sigma2="0.1")
    assert_clean(at)
    assert metric_value(at, "KL(p‖q)") == pytest.approx(float(kl_normal(-5, 5, 5, 0.1)), rel=1e-6)
    at = open_page(PAGE, "en", mu1="5", sigma1="0.1", mu2="-5", sigma2="5", n="100000")
    assert_clean(at)
    assert metric_value(at, "KL(q‖p)") == pytest.approx(float(kl_normal(-5, 5, 5, 0.1)), rel=1e-6)


def test_check_table_agrees_with_closed_form():
    at = open_page(PAGE, "en", mu1="0.5", sigma1="0.7", mu2="-1", sigma2="2", n="100000", seed="3")
    assert not [m for m in at.markdown if m.value.startswith("| Method")]  # closed: nothing computed
    assert (at.query_params["n"], at.query_params["seed"]) == ("100000", "3")  # ...but kept in the URL
    at.session_state["gaussian_kl_check_open"] = True  # what a click on the expander does
    at.run()
    table = next(m.value for m in at.markdown if m.value.startswith("| Method"))
    closed = f"{float(kl_normal(0.5, 0.7, -1, 2)):.6f}"
    rows = table.splitlines()[2:]
    assert closed in rows[0] and closed in rows[1]  # closed form and quadrature agree to 6 decimals
    assert "N = 100,000, seed 3" in rows[2]
