"""The diffusion page through AppTest: shared links, widgets set by key, the fit button and the two
checks drive metrics and tables that must equal vae_core.diffusion (and, at T = 1, the toy model)."""

import math

import numpy as np
import pytest
from scipy import stats

from tests.apptest import assert_clean, metric_value, open_page
from ui.components import num
from vae_core import diffusion as d
from vae_core import toy_model

PAGE = "views/diffusion.py"
LINK = {
    "T": "5",
    "sched": "cosine",
    "m": "0.3",
    "s": "0.8",
    "x0": "-1.2",
    "mh": "1",
    "sh": "2",
    "var": "beta_tilde",
    "prior": "standard",
}


def expected(T, kind, x0, mh, sh, variance, prior):
    sched = d.make_schedule(T, kind)
    return d.ledger(x0, sched, d.gaussian_reverse(sched, mh, sh, variance, prior))


def assert_ledger(at, led):
    assert metric_value(at, "log p(x₀)") == pytest.approx(float(led.log_evidence), abs=6e-5)
    assert metric_value(at, "ELBO") == pytest.approx(float(led.elbo), abs=6e-5)
    assert metric_value(at, "gap (KL)") == pytest.approx(float(led.gap), abs=6e-5)


def markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_shared_link_reproduces_the_ledger():
    at = open_page(PAGE, "en", **LINK)
    assert_clean(at)
    assert_ledger(at, expected(5, "cosine", -1.2, 1.0, 2.0, "beta_tilde", "standard"))
    assert {k: at.query_params[k] for k in LINK} == LINK
    assert metric_value(at, "gap (KL)") > 0.01  # a wrong model leaves a visible gap


def test_widgets_by_key_update_metrics_and_url():
    at = open_page(PAGE, "en")
    at.select_slider(key="diffusion_T").set_value(50).run()
    at.slider(key="diffusion_x0").set_value(0.4).run()
    at.button_group(key="diffusion_var").set_value("optimal").run()
    assert_clean(at)
    assert_ledger(at, expected(50, "linear", 0.4, 0.5, 1.5, "optimal", "standard"))
    assert (at.query_params["T"], at.query_params["x0"], at.query_params["var"]) == ("50", "0.4", "optimal")


def test_fit_closes_the_gap_and_gives_the_data_density():
    """Fit = the argmax of the expected ELBO: m̂ = m, ŝ = s, optimal variances, fitted prior. Then the gap is 0
    and log p(x₀) = log N(x₀; m, s²) (scipy)."""
    at = open_page(PAGE, "en", T="20", m="0.7", s="0.5", x0="1.1")
    [fit] = [b for b in at.button if b.label == "Fit"]
    fit.click().run()
    assert_clean(at)
    assert (at.query_params["mh"], at.query_params["sh"]) == ("0.7", "0.5")
    assert (at.query_params["var"], at.query_params["prior"]) == ("optimal", "exact")
    assert metric_value(at, "gap (KL)") == pytest.approx(0.0, abs=1e-4)
    assert metric_value(at, "log p(x₀)") == pytest.approx(stats.norm.logpdf(1.1, 0.7, 0.5), abs=6e-5)
    assert metric_value(at, "ELBO") == pytest.approx(stats.norm.logpdf(1.1, 0.7, 0.5), abs=1e-4)
    assert at.success


def test_one_step_is_the_toy_model():
    """T = 1 in the ledger: no denoising chart; and the bridge table shows the ELBO page's toy model's numbers."""
    at = open_page(PAGE, "en", T="1")
    assert_clean(at)
    assert_ledger(at, expected(1, "linear", 1.5, 0.5, 1.5, "beta", "standard"))
    toy = toy_model.Toy()
    qmu, qsigma = 0.8 * toy.x, 0.6
    text = markdown(at)
    for value in (
        toy_model.log_evidence(toy.x, toy.w, toy.noise),
        toy_model.elbo(toy.x, toy.w, toy.noise, qmu, qsigma),
        toy_model.posterior_kl(toy.x, toy.w, toy.noise, qmu, qsigma),
    ):
        assert text.count(num(float(value))) >= 2  # once per row: diffusion ledger and toy model
    assert f"qmu={qmu:.2f}&qsigma={qsigma:.2f}" in text


def test_check_recomputes_by_monte_carlo_with_the_seed_in_the_url():
    at = open_page(PAGE, "en", T="10", seed="7", n="4000")
    at.session_state["diffusion_check_open"] = True
    at.run()
    assert_clean(at)
    assert at.query_params["seed"] == "7" and at.query_params["n"] == "4000"
    sched = d.make_schedule(10, "linear")
    rev = d.gaussian_reverse(sched, 0.5, 1.5, "beta", "standard")
    est = d.path_estimates(1.5, sched, rev, 4000, 7)
    text = markdown(at)
    assert f"{num(est.elbo)} ± {num(est.elbo_se)}" in text
    assert "Monte Carlo, 4,000 paths, seed 7" in text
    led = d.ledger(1.5, sched, rev)
    assert abs(est.elbo - float(led.elbo)) < 4 * est.elbo_se  # the estimate agrees with the closed form


def settled(at) -> str:
    [caption] = [c.value for c in at.caption if c.value.startswith("Settled at t")]
    return caption


def test_noise_section_follows_t_schedule_and_digit():
    """The live view's t (released value) drives the server's settled numbers and the URL."""
    at = open_page(PAGE, "en", digit="3", t="250", nsched="cosine")
    assert_clean(at)
    ab = d.make_schedule(1000, "cosine").alpha_bar[250]
    assert f"ᾱ_t = {num(ab, 6)}, SNR = {ab / (1 - ab):.4g}" in settled(at)
    at.session_state["diffusion_t"] = 600  # what a released drag of the live slider sets
    at.run()
    ab = d.make_schedule(1000, "cosine").alpha_bar[600]
    assert f"t = 600: ᾱ_t = {num(ab, 6)}" in settled(at)
    assert (at.query_params["t"], at.query_params["digit"], at.query_params["nsched"]) == ("600", "3", "cosine")


def test_noised_digit_is_the_closed_form_with_one_seeded_eps():
    from ui import diffusion_data as data

    sched = d.make_schedule(1000, "linear")
    x0 = data.signed(np.array([0, 1, 1, 0]))
    assert x0.tolist() == [-1, 1, 1, -1]
    eps = np.random.default_rng(5).standard_normal(4)
    for t in (0, 1, 300, 1000):
        want = math.sqrt(sched.alpha_bar[t]) * x0 + math.sqrt(1 - sched.alpha_bar[t]) * eps
        np.testing.assert_allclose(data.noised(x0, sched, t, 5), want, atol=1e-12)


@pytest.mark.parametrize(("kind", "t"), [("linear", 1), ("linear", 400), ("cosine", 1000)])
def test_jump_and_walk_agree_with_the_closed_form(kind, t):
    from ui import diffusion_data as data

    for row in data.jump_vs_walk(kind, t, 4000, 11):
        for mean, mean_se, var, var_se in (row.jump, row.walk):
            assert abs(mean - row.mean) < 4 * mean_se
            assert abs(var - row.var) < 4 * var_se


def test_noise_check_table_in_chinese():
    at = open_page(PAGE, "zh", t="100", nseed="3")
    at.session_state["diffusion_noise_check_open"] = True
    at.run()
    assert_clean(at)
    assert "逐步走 100 步" in markdown(at)


# --- draw= links: /draw's digit noised on this page -------------------------------------------------
def live_data(at, name: str) -> dict:
    """The data dict the live view ``live_<name>`` received in this run."""
    import json

    for view in at.get("bidi_component"):
        data = json.loads(view.proto.json)
        if isinstance(data, list) and data and isinstance(data[0], dict) and name in view.proto.component_name:
            return data[0]
    raise AssertionError(f"no live view {name}")


def test_a_drawing_from_draw_is_noised_and_denoised_here():
    from ui import diffusion_data as data
    from vae_core.preprocess import pack

    bits, _ = data.holdout_digits()
    drawing = bits[42].copy()
    drawing[:28] = 1  # a drawing no holdout digit is: a bar along the top
    packed = pack(drawing)
    at = open_page(PAGE, "en", draw=packed, t="300")
    assert_clean(at)
    sent = "".join("1" if b else "0" for b in drawing)
    assert live_data(at, "noise")["bits"] == sent and live_data(at, "ddpm")["bits"] == sent
    assert live_data(at, "ddpm")["t_from"] == 300
    assert at.query_params["draw"] == packed  # kept in the URL (a link reproduces it)
    assert not [n for n in at.number_input if n.key == "diffusion_digit"]  # no holdout digit to choose
    at.button[[b.label for b in at.button].index("Back to the holdout digits")].click().run()
    assert "draw" not in at.query_params and live_data(at, "noise")["bits"] != sent


def test_a_bad_draw_link_warns_and_shows_a_holdout_digit():
    at = open_page(PAGE, "en", draw="not-a-drawing")
    assert not at.exception
    assert any("does not hold a drawing" in w.value for w in at.warning)
    assert "draw" not in at.query_params


def test_the_draw_page_links_its_drawing_here():
    from ui import draw_data

    at = open_page("views/draw.py", "zh")
    assert_clean(at)
    packed = draw_data.STATE.params["draw"].default
    assert any(f"/diffusion?draw={packed}&section=noise" in m.value for m in at.markdown)


def test_bound_terms_figure_is_valid_plotly():
    import plotly.graph_objects as go

    from ui.figures_diffusion import bound_terms_figure

    fig = bound_terms_figure([("recon", 0.0, "recon"), ("prior", 0.016, "prior"), ("t=101..1000", 97.8, "denoise")])
    checked = go.Figure(fig.to_dict())  # plotly's validation (the page builds figures without it)
    assert list(checked.data[0].x) == [97.8, 0.016, 0.0]  # top to bottom as listed
