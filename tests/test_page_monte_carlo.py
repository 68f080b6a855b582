"""The Monte Carlo page through AppTest: widgets and shared links drive the estimates, and every number
matches vae_core computed independently here with the same seed."""

import math
import re

import pytest

from tests.apptest import assert_clean, metric_value, open_page, rendered
from tests.mc_reference import iwae_runs
from ui.i18n import catalogue
from vae_core.monte_carlo import convergence, estimator_repeats, exact_moments
from vae_core.toy_model import Toy, elbo, log_evidence, posterior_kl

PAGE = "views/monte_carlo.py"
EN = catalogue("en")
EXACT = {
    "recon": "E_q[log p(x|z)], exact",
    "kl": "KL(q‖p(z)), exact",
    "pi": "π, exact",
    "exp": "E[eˣ], exact",
    "tail": "P(X > 2), exact",
    "square": "E[X²], exact",
}


def estimate_label(L):
    return f"$Q_L$, run 1, L = {L:,}"


def metric(at, label):
    return next(m for m in at.metric if m.label == label)


def test_defaults_and_url():
    at = rendered(PAGE, "en")
    assert_clean(at)
    assert {
        k: at.query_params[k] for k in ("target", "L", "runs", "seed", "Lhist", "x", "w", "noise", "qmu", "qsigma")
    } == {
        "target": "recon",
        "L": "10000",
        "runs": "20",
        "seed": "0",
        "Lhist": "10",
        "x": "1.5",
        "w": "1",
        "noise": "0.5",
        "qmu": "0",
        "qsigma": "1",
    }
    conv = convergence("recon", 10_000, 20, 0, Toy())
    assert metric_value(at, EXACT["recon"]) == pytest.approx(exact_moments("recon")[0], abs=5e-5)
    assert metric_value(at, estimate_label(10_000)) == pytest.approx(conv.mean[0, -1], abs=5e-5)
    assert f"{conv.se[0, -1]:.4f}" in metric(at, estimate_label(10_000)).delta
    assert f"{conv.sd / 100:.4f}" in metric(at, EXACT["recon"]).delta  # σ/√L, exact
    assert metric_value(at, "log p(x)") == pytest.approx(float(log_evidence(1.5, 1, 0.5)), abs=5e-5)
    assert metric_value(at, "ELBO") == pytest.approx(float(elbo(1.5, 1, 0.5, 0, 1)), abs=5e-5)


def test_same_url_same_picture():
    params = {"target": "exp", "L": "1000", "runs": "5", "seed": "123", "Lhist": "50"}
    first, second = open_page(PAGE, "en", **params), open_page(PAGE, "zh", **params)
    assert [m.value for m in first.metric] == [m.value for m in second.metric]
    conv = convergence("exp", 1_000, 5, 123)
    assert metric_value(first, estimate_label(1_000)) == pytest.approx(conv.mean[0, -1], abs=5e-5)
    assert (
        first.selectbox(key="monte_carlo_target").value == "exp"
        and first.select_slider(key="monte_carlo_L").value == 1_000
    )
    # the histogram caption quotes the repeats' own standard deviation, same seed
    sd_hat = f"{estimator_repeats('exp', 50, 2_000, 123).std(ddof=1):.4f}"
    assert any(sd_hat in c.value for c in first.caption)


def test_resample_draws_a_new_seed_that_reproduces():
    at = open_page(PAGE, "en", L="1000", runs="3")
    before = metric_value(at, estimate_label(1_000))
    {b.label: b for b in at.button}["Resample"].click().run()
    assert_clean(at)
    seed = int(at.query_params["seed"])
    assert seed != 0 and at.number_input(key="monte_carlo_seed").value == seed
    after = metric_value(at, estimate_label(1_000))
    assert after != before
    assert after == pytest.approx(convergence("recon", 1_000, 3, seed).mean[0, -1], abs=5e-5)
    again = open_page(PAGE, "en", L="1000", runs="3", seed=str(seed))
    assert metric_value(again, estimate_label(1_000)) == after


def test_widgets_update_metrics_and_url():
    at = open_page(PAGE, "en")
    at.selectbox(key="monte_carlo_target").set_value("pi").run()
    at.select_slider(key="monte_carlo_L").set_value(2_000).run()
    at.slider(key="monte_carlo_runs").set_value(3).run()
    at.number_input(key="monte_carlo_seed").set_value(7).run()
    at.select_slider(key="monte_carlo_Lhist").set_value(1).run()
    assert_clean(at)
    assert {k: at.query_params[k] for k in ("target", "L", "runs", "seed", "Lhist")} == {
        "target": "pi",
        "L": "2000",
        "runs": "3",
        "seed": "7",
        "Lhist": "1",
    }
    assert metric_value(at, EXACT["pi"]) == pytest.approx(math.pi, abs=5e-5)
    assert metric_value(at, estimate_label(2_000)) == pytest.approx(
        convergence("pi", 2_000, 3, 7).mean[0, -1], abs=5e-5
    )
    # the IWAE section follows L, runs and seed too (it does not depend on the target)
    it = iwae_runs(2_000, 3, 7)
    assert metric_value(at, "IWAE, L = 2,000") == pytest.approx(it.iwae[:, -1].mean(), abs=5e-5)


def test_toy_model_sliders_move_the_toy_targets_and_the_ledger():
    at = open_page(PAGE, "en", L="500", runs="4", seed="2")
    for key, value in (("x", 2.0), ("w", 1.5), ("noise", 0.8), ("qmu", 0.3), ("qsigma", 0.6)):
        at.slider(key=f"monte_carlo_{key}").set_value(value).run()
    assert_clean(at)
    toy = Toy(2.0, 1.5, 0.8, 0.3, 0.6)
    assert metric_value(at, EXACT["recon"]) == pytest.approx(exact_moments("recon", toy)[0], abs=5e-5)
    assert metric_value(at, estimate_label(500)) == pytest.approx(
        convergence("recon", 500, 4, 2, toy).mean[0, -1], abs=5e-5
    )
    assert metric_value(at, "KL(q‖p(z|x))") == pytest.approx(float(posterior_kl(*toy)), abs=5e-5)
    assert metric_value(at, "log p(x)") == pytest.approx(metric_value(at, "ELBO") + float(posterior_kl(*toy)), abs=2e-4)
    assert at.query_params["qsigma"] == "0.6" and at.query_params["x"] == "2"
    at.selectbox(key="monte_carlo_target").set_value("kl").run()
    assert metric_value(at, EXACT["kl"]) == pytest.approx(exact_moments("kl", toy)[0], abs=5e-5)


def test_zero_variance_case_explains_itself():
    at = open_page(PAGE, "en", target="kl")  # q = N(0, 1) is the prior: log q/p ≡ 0
    assert_clean(at)
    assert metric_value(at, EXACT["kl"]) == 0.0 and metric_value(at, estimate_label(10_000)) == 0.0
    assert len(at.info) == 2  # in place of the error plot and of the histogram
    assert at.select_slider(key="monte_carlo_Lhist").value == 10  # the control stays, so the URL keeps it


def test_infinite_weight_variance_is_flagged():
    at = open_page(PAGE, "en", qsigma="0.3", L="1000", runs="5")
    assert_clean(at)
    assert any("infinite variance" in w.value for w in at.warning)
    assert not open_page(PAGE, "en", qsigma="0.6", L="1000", runs="5").warning


def test_largest_setting_renders_everything_finite():
    at = open_page(PAGE, "en", L="100000", runs="50", Lhist="1000", target="tail")
    assert_clean(at)
    for m in at.metric:
        assert re.fullmatch(r"[−-]?\d+\.\d+", m.value.replace("−", "-")), (m.label, m.value)
    est = metric_value(at, estimate_label(100_000))
    assert abs(est - exact_moments("tail")[0]) < 5 * math.sqrt(exact_moments("tail")[1] / 100_000)


def test_check_table_is_lazy_and_agrees_with_the_closed_form():
    at = open_page(PAGE, "en", target="square", L="5000", runs="10", seed="4")
    assert not any(m.value.startswith("| Method") for m in at.markdown)  # closed: no quadrature per move
    at.session_state["monte_carlo_check_open"] = True
    at.run()
    table = next(m.value for m in at.markdown if m.value.startswith("| Method"))
    rows = table.splitlines()[2:]
    assert "1.000000" in rows[0] and "2.000000" in rows[0]
    assert "1.000000" in rows[1] and "2.000000" in rows[1]  # quadrature
    pooled = convergence("square", 5_000, 10, 4).mean[:, -1].mean()  # equal runs: the mean of the run means
    assert f"{pooled:.6f}" in rows[2] and "50,000 samples" in rows[2]


def test_no_standard_error_is_never_shown_as_certainty():
    """One run has no spread to take a s.e. from, and ten draws that all miss the tail give a sample
    s.e. of 0 although the estimator's true s.e. is 0.047: both say so instead of '± 0.0000'."""
    at = open_page(PAGE, "en", target="tail", L="10", runs="1", seed="0")
    deltas = {m.label: m.proto.delta for m in at.metric}
    assert deltas["$Q_L$, run 1, L = 10"] == EN["monte_carlo.se_all_equal"]
    assert deltas["IWAE, L = 10"] == EN["monte_carlo.se_one_run"]
    table = next(m.value for m in at.markdown if m.value.startswith("| L |"))
    assert all(row.count("± —") == 1 for row in table.splitlines()[2:])
    assert EN["monte_carlo.one_run_note"] in [c.value for c in at.caption]
    at = open_page(PAGE, "en", target="tail", L="10000", runs="2", seed="0")  # draws vary: a real s.e.
    delta = {m.label: m.proto.delta for m in at.metric}["$Q_L$, run 1, L = 10,000"]
    assert delta.startswith("± ") and float(delta.split()[1]) > 0


def test_live_view_position_is_in_the_url_and_a_new_L_shows_its_whole_run():
    """The live view's n (where a drag or a play stopped) is the URL's ``n``; AppTest cannot drive the
    component, so set what its release sets. A new L resets it to the whole run."""
    at = open_page(PAGE, "en", L="1000", runs="3", n="50")
    assert_clean(at)
    assert at.query_params["n"] == "50" and at.session_state["monte_carlo_n"] == 50
    at.session_state["monte_carlo_n"] = 7
    at.run()
    assert at.query_params["n"] == "7"
    assert metric_value(at, estimate_label(1_000)) == pytest.approx(
        convergence("recon", 1_000, 3, 0).mean[0, -1], abs=5e-5
    )  # the page's metrics stay at L
    at.select_slider(key="monte_carlo_L").set_value(2_000).run()
    assert at.query_params["n"] == "100000"  # clamped to L in the view: the whole run
    assert open_page(PAGE, "en", n="abc").warning  # a bad n is replaced, with the usual warning
