"""The ELBO page through AppTest: shared links, sliders, presets, the optimizer and the Monte Carlo view
drive the metrics, checked against the closed forms and against quadrature."""

import math

import pytest

from tests.apptest import assert_clean, metric_value, open_page, rendered
from vae_core.jensen import lognormal, two_point
from vae_core.toy_model import (
    ascend_elbo,
    elbo,
    log_evidence,
    posterior_kl,
    quadrature_check,
    weight_estimates,
)

PAGE = "views/elbo.py"
LEDGER = ("log p(x)", "ELBO", "KL(q‖p(z|x))")
DONE_WHEN = {"x": "2", "w": "1.5", "noise": "0.8", "qmu": "0.3", "qsigma": "0.6"}


def ledger(at):
    return tuple(metric_value(at, label) for label in LEDGER)


def estimate(at, label):
    """A '±' metric → (value, standard error)."""
    (text,) = [m.value for m in at.metric if m.label == label]
    value, se = text.replace("−", "-").split("±")
    return float(value), float(se)


def test_issue_link_reproduces_the_view_and_agrees_with_quadrature():
    at = open_page(PAGE, "en", **DONE_WHEN)
    assert_clean(at)
    assert not at.warning
    quad = quadrature_check(2.0, 1.5, 0.8, 0.3, 0.6)  # no closed form involved
    lp, lower, kl = ledger(at)
    assert lp == pytest.approx(quad["log_evidence"], abs=5e-5)
    assert lower == pytest.approx(quad["elbo"], abs=5e-5)
    assert kl == pytest.approx(quad["posterior_kl"], abs=5e-5)
    assert {k: at.query_params[k] for k in DONE_WHEN} == DONE_WHEN
    assert at.session_state["elbo_qsigma"] == 0.6  # the live ledger starts from it
    # the derivations and the ledger formula carry the same numbers
    assert any(f"{lp:.4f}={lower:.4f}+{kl:.4f}" in el.value for el in at.get("latex"))


def test_defaults_in_chinese():
    at = rendered(PAGE, "zh")
    assert ledger(at) == pytest.approx(
        (float(log_evidence(1.5, 1, 0.5)), float(elbo(1.5, 1, 0.5, 0, 1)), float(posterior_kl(1.5, 1, 0.5, 0, 1))),
        abs=5e-5,
    )


def test_moving_q_keeps_log_evidence_and_moves_the_split():
    at = open_page(PAGE, "en")
    lp0, lower0, kl0 = ledger(at)
    # What a finished drag on the live ledger does (its release callback sets the page state).
    at.session_state["elbo_qmu"] = 0.8
    at.run()
    at.session_state["elbo_qsigma"] = 0.5
    at.run()
    assert_clean(at)
    lp, lower, kl = ledger(at)
    assert lp == lp0  # q is not the model: the evidence does not move
    assert lower == pytest.approx(float(elbo(1.5, 1, 0.5, 0.8, 0.5)), abs=5e-5)
    assert lower > lower0 and kl < kl0
    assert lp == pytest.approx(lower + kl, abs=2e-4)  # eq. 1.4.10 up to display rounding
    assert at.query_params["qmu"] == "0.8" and at.query_params["qsigma"] == "0.5"
    assert any("log p(x) did not change" in c.value for c in at.caption)
    assert not any("fixed" in i.value for i in at.info)


def test_moving_the_model_moves_log_evidence_and_says_so():
    at = open_page(PAGE, "en")
    lp0 = metric_value(at, "log p(x)")
    at.slider(key="elbo_w").set_value(2.0).run()
    lp = metric_value(at, "log p(x)")
    assert lp == pytest.approx(float(log_evidence(1.5, 2.0, 0.5)), abs=5e-5) and lp != lp0
    assert any("fixed" in i.value and f"{lp - lp0:+.4f}" in i.value for i in at.info)
    assert at.query_params["w"] == "2"


def test_posterior_preset_closes_the_gap_and_prior_preset_at_w_zero():
    at = open_page(PAGE, "en", **DONE_WHEN)
    {b.label: b for b in at.button}["q = posterior (nearest on the sliders)"].click().run()
    lp, lower, kl = ledger(at)
    assert kl == 0.0 and lower == pytest.approx(lp, abs=1e-4)
    at = open_page(PAGE, "en", w="0", qmu="2", qsigma="0.3")  # w = 0: x says nothing about z
    assert_clean(at)
    {b.label: b for b in at.button}["q = prior N(0, 1)"].click().run()
    lp, lower, kl = ledger(at)
    assert kl == 0.0 and lower == lp == pytest.approx(float(log_evidence(1.5, 0, 0.5)), abs=5e-5)


@pytest.mark.parametrize("link", [{}, DONE_WHEN])
def test_optimizer_path_closes_the_gap(link):
    at = open_page(PAGE, "en", **link)
    lp = metric_value(at, "log p(x)")
    assert metric_value(at, "KL(qₖ‖p(z|x))") == metric_value(at, "KL(q‖p(z|x))")  # step 0 is your q
    at.slider(key="elbo_step").set_value(100).run()
    assert_clean(at)
    assert metric_value(at, "KL(qₖ‖p(z|x))") < 1e-3
    assert metric_value(at, "ELBO(qₖ)") == pytest.approx(lp, abs=1e-3)
    assert metric_value(at, "log p(x)") == lp  # the ledger above is untouched by the optimizer
    assert at.query_params["step"] == "100"


def test_plain_gradient_on_a_narrow_posterior_is_flagged():
    at = open_page(PAGE, "en", x="4", w="3", noise="0.1", qmu="-4", qsigma="3", opt="plain", step="100")
    assert_clean(at)
    assert metric_value(at, "KL(qₖ‖p(z|x))") > 1e-3
    assert any("still" in w.value for w in at.warning)
    at.radio(key="elbo_opt").set_value("natural").run()
    assert metric_value(at, "KL(qₖ‖p(z|x))") < 1e-3
    assert at.query_params["opt"] == "natural"


def test_monte_carlo_estimates_are_seeded_and_honest():
    at = open_page(PAGE, "en", L="100000", seed="3", **DONE_WHEN)
    assert_clean(at)
    lower_hat, lower_se = estimate(at, "(1/L) Σ log wᵢ")
    lp_hat, lp_se = estimate(at, "log (1/L) Σ wᵢ")
    direct = weight_estimates(2.0, 1.5, 0.8, 0.3, 0.6, 100_000, 3)
    assert (lower_hat, lp_hat) == (round(direct.elbo, 4), round(direct.log_evidence, 4))
    assert abs(lower_hat - metric_value(at, "ELBO")) < 4 * lower_se
    assert abs(lp_hat - metric_value(at, "log p(x)")) < 4 * lp_se
    assert any("L = 100,000, seed 3" in c.value for c in at.caption)
    at.number_input(key="elbo_seed").set_value(4).run()
    assert estimate(at, "(1/L) Σ log wᵢ")[0] != lower_hat and at.query_params["seed"] == "4"


def test_too_narrow_q_warns_about_the_weights():
    at = open_page(PAGE, "en", noise="3", qsigma="0.1", w="1")
    assert_clean(at)
    assert any("infinite variance" in w.value for w in at.warning)


def test_jensen_two_point_and_lognormal():
    at = open_page(PAGE, "en", f="square", lam="0.25", x1="1", x2="3")
    j = two_point("square", 1.0, 3.0, 0.25)
    assert metric_value(at, "f(E[X])") == pytest.approx(j.f_of_mean, abs=5e-5)
    assert metric_value(at, "E[f(X)]") == pytest.approx(j.mean_of_f, abs=5e-5)
    assert metric_value(at, "|E[f(X)] − f(E[X])|") == pytest.approx(0.75, abs=5e-5)  # = Var X
    assert any("convex" in m.value for m in at.markdown)
    at.radio(key="elbo_dist").set_value("lognormal").run()
    at.session_state["elbo_lnsigma"] = 0.9  # a release of the live Jensen view's σ
    at.run()
    assert metric_value(at, "|E[f(X)] − f(E[X])|") == pytest.approx(lognormal("square", 0.9).gap, abs=5e-5)
    assert at.query_params["lam"] == "0.25"  # the hidden two-point controls keep their values in the URL
    at = open_page(PAGE, "zh", f="log", dist="lognormal", lnsigma="1.2")
    assert metric_value(at, "|E[f(X)] − f(E[X])|") == pytest.approx(1.2**2 / 2, abs=5e-5)
    assert math.isclose(metric_value(at, "E[f(X)]"), 0.0, abs_tol=1e-12)


def test_release_of_the_optimizer_animation_settles_part_3():
    """What the live ledger reports at the end of "Optimize q": q unchanged, step = 100."""
    at = open_page(PAGE, "en", **DONE_WHEN)
    lower0 = metric_value(at, "ELBO")
    at.session_state["elbo_step"] = 100
    at.run()
    assert_clean(at)
    path = ascend_elbo(2.0, 1.5, 0.8, 0.3, 0.6, steps=100, lr=0.2, natural=True)
    assert metric_value(at, "ELBO(qₖ)") == pytest.approx(float(path.elbo[-1]), abs=5e-5)
    assert metric_value(at, "KL(qₖ‖p(z|x))") == pytest.approx(float(path.kl[-1]), abs=5e-5)
    assert metric_value(at, "ELBO") == lower0  # part 2's metrics stay those of the start q
    assert at.query_params["step"] == "100"
    # a preset is a new start: the step goes back to 0, so the live ledger shows that q
    {b.label: b for b in at.button}["q = prior N(0, 1)"].click().run()
    assert at.query_params["step"] == "0" and at.query_params["qmu"] == "0"
    assert metric_value(at, "KL(qₖ‖p(z|x))") == metric_value(at, "KL(q‖p(z|x))")


def test_optimizer_settings_change_the_path():
    """opt and lr change part 3's path (in a browser they rerun parts 2–4: the live ledger plays that path)."""
    at = open_page(PAGE, "en", step="5")
    before = metric_value(at, "ELBO(qₖ)")
    at.select_slider(key="elbo_lr").set_value(0.05).run()
    assert_clean(at)
    path = ascend_elbo(1.5, 1.0, 0.5, 0.0, 1.0, steps=100, lr=0.05, natural=True)
    assert metric_value(at, "ELBO(qₖ)") == pytest.approx(float(path.elbo[5]), abs=5e-5) != before
    assert at.query_params["lr"] == "0.05"
