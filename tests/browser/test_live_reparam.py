"""The live reparameterization view in Chromium: the browser's closed forms and sampled terms equal
vae_core.gradients', a drag of μ redraws many times with no rerun until release, and the release
settles the page (metrics, URL)."""

import re

import numpy as np
import pytest

from harness.browser import wait_settled
from harness.live import SentFrames, call_js, drag_range, sweep
from ui.figures_reparameterization import ratio_text
from ui.i18n import catalogue
from vae_core.gradients import (
    FUNCTIONS,
    exact_gradient,
    expectation,
    f_derivative,
    f_value,
    pathwise_terms,
    per_sample_variances,
    running_estimates,
    score_terms,
    variance_ratio,
)

pytestmark = pytest.mark.browser
RTOL = 1e-9
URL = "/reparameterization?lang=en"
VARIANCES = ("pathwise_mu", "pathwise_sigma", "score_mu", "score_sigma", "baseline_mu", "baseline_sigma")


def random_states(n: int, seed: int) -> np.ndarray:
    """(n, 3) states (μ, σ, k) over the page's slider ranges (σ and k log-uniform)."""
    rng = np.random.default_rng(seed)
    return np.column_stack(
        [
            rng.uniform(-3, 3, n),
            np.exp(rng.uniform(np.log(0.1), np.log(3), n)),
            np.exp(rng.uniform(np.log(0.1), np.log(10), n)),
        ]
    )


@pytest.mark.parametrize("kind", FUNCTIONS)
def test_closed_forms_match_vae_core(light_page, kind):
    states = random_states(500, seed=FUNCTIONS.index(kind))
    rows = [[kind, *s] for s in states.tolist()]
    mu, sigma, k = states.T
    np.testing.assert_allclose(
        call_js(light_page, "gradients", "expectation", rows), expectation(kind, mu, sigma, k), rtol=RTOL, atol=1e-300
    )
    js = np.array(call_js(light_page, "gradients", "exactGradient", rows))
    for col, want in enumerate(exact_gradient(kind, mu, sigma, k)):
        np.testing.assert_allclose(js[:, col], want, rtol=RTOL, atol=1e-300)
    js = call_js(light_page, "gradients", "perSampleVariances", rows)
    var = per_sample_variances(kind, mu, sigma, k)
    for name in VARIANCES:
        got = np.array([row[name] for row in js])
        want = getattr(var, name)
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=0, err_msg=name)
    ratios = [
        [float(getattr(var, f"score_{w}")[i]), float(getattr(var, f"pathwise_{w}")[i])]
        for i in range(len(mu))
        for w in ("mu", "sigma")
    ]
    want = variance_ratio(*np.array(ratios).T)
    np.testing.assert_allclose(call_js(light_page, "gradients", "varianceRatio", ratios), want, rtol=RTOL)


@pytest.mark.parametrize("kind", FUNCTIONS)
def test_per_sample_terms_match_vae_core(light_page, kind):
    states = random_states(500, seed=10 + FUNCTIONS.index(kind))
    z = np.random.default_rng(5).normal(0, 3, 500)
    eps = np.random.default_rng(6).standard_normal(500)
    mu, sigma, k = states.T
    zrows = [[kind, zi, ki] for zi, ki in zip(z, k, strict=True)]
    np.testing.assert_allclose(
        call_js(light_page, "gradients", "fValue", zrows), f_value(kind, z, k), rtol=RTOL, atol=1e-300
    )
    np.testing.assert_allclose(
        call_js(light_page, "gradients", "fDerivative", zrows), f_derivative(kind, z, k), rtol=RTOL, atol=1e-300
    )
    rows = [[kind, *s, e] for s, e in zip(states.tolist(), eps, strict=True)]
    js = np.array(call_js(light_page, "gradients", "pathwiseTerms", rows))
    np.testing.assert_allclose(js.T, pathwise_terms(kind, mu, sigma, k, eps), rtol=RTOL, atol=1e-300)
    base = np.random.default_rng(7).normal(0, 1, 500)
    rows = [[kind, *s, e, b] for s, e, b in zip(states.tolist(), eps, base, strict=True)]
    js = np.array(call_js(light_page, "gradients", "scoreTerms", rows))
    np.testing.assert_allclose(js.T, score_terms(kind, mu, sigma, k, eps, base), rtol=RTOL, atol=1e-300)


@pytest.mark.parametrize("kind", FUNCTIONS)
def test_sample_means_equal_running_estimates(light_page, kind):
    """The means the view shows for its 30 fixed ε are running_estimates' at L = 30 for one run of the
    page's seed (its ε are the same draws), for all three estimators."""
    states = random_states(500, seed=20 + FUNCTIONS.index(kind))
    seeds = np.random.default_rng(8).integers(0, 2**31 - 1, 500)
    rows, want = [], []
    for (mu, sigma, k), seed in zip(states.tolist(), seeds, strict=True):
        eps = np.random.default_rng(int(seed)).standard_normal(30)
        rows.append([kind, mu, sigma, k, eps.tolist()])
        run = running_estimates(kind, mu, sigma, k, [30], 1, int(seed))
        want.append([run[name][0, -1] for name in ("pathwise", "score", "baseline")])
    got = call_js(light_page, "gradients", "sampleEstimates", rows)
    got = np.array([[row[name] for name in ("pathwise", "score", "baseline")] for row in got])
    want = np.array(want)
    scale = np.abs(want).max(axis=1, keepdims=True)  # sums of 30 terms: round-off relative to their size
    assert np.all(np.abs(got - want) <= 1e-9 * np.maximum(np.abs(want), scale)), np.abs(got - want).max()


def test_ratio_text_matches_the_page(light_page):
    ratios = [0.0, 1e-4, 0.001234, 0.5, 1.0, 7.5, 21.75, 99.4, 123.75, 5_432.1, 999_999.0, 1.36e6, 1e300]
    assert call_js(light_page, "gradients", "ratioText", [[r] for r in ratios]) == [ratio_text(r) for r in ratios]


def test_drag_moves_samples_live_and_reruns_once_on_release(page, app_url):
    sent = SentFrames(page)
    page.goto(app_url + URL)
    wait_settled(page)
    page.locator('input[data-name="mu"]').evaluate("e => e.scrollIntoView({block: 'center'})")
    frames_before = page.evaluate("() => window.__liveStats.reparam.frames")
    mark = sent.mark()
    readout = page.locator(".live-readout-value").first
    seen = drag_range(page, 'input[data-name="mu"]', readout.inner_text, sweep(30))
    assert len(set(seen)) >= 10, seen  # the picture changes during the drag…
    assert page.evaluate("() => window.__liveStats.reparam.frames") - frames_before >= 10
    assert sent.since(mark) == 0  # …without a single message to the server
    page.mouse.up()
    page.wait_for_url(re.compile(r"[?&]mu=0(&|$)"))  # the sweep ends where it began: the slider's middle
    wait_settled(page)
    assert sent.since(mark) >= 1
    d_mu, d_sigma = (f"{float(g):.4f}" for g in exact_gradient("quad", 0.0, 1.0, 3.0))
    assert readout.inner_text().replace("−", "-") == d_mu
    metrics = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
    assert metrics[:2] == [d_mu, d_sigma]
    assert page.locator('[data-testid="stException"]').count() == 0 and not page.js_errors


def test_keyboard_and_language(page, app_url):
    page.goto(f"{app_url}/reparameterization?lang=zh&f=cos&k=5")
    wait_settled(page)
    slider = page.locator('input[data-name="sigma"]')
    assert slider.get_attribute("aria-label") == catalogue("zh")["reparameterization.sigma_label"]
    aria = page.locator("canvas.live-plot").first.get_attribute("aria-label")
    assert aria == catalogue("zh")["live_vae.reparam_chart_aria"].format(n=30)
    slider.focus()
    for _ in range(3):
        slider.press("ArrowLeft")
    page.wait_for_url(re.compile(r"sigma=0\.97"))
    wait_settled(page)
    d_mu = float(exact_gradient("cos", 1.0, 0.97, 5.0)[0])
    assert page.locator(".live-readout-value").first.inner_text().replace("−", "-") == f"{d_mu:.4f}"
    var = per_sample_variances("cos", 1.0, 0.97, 5.0)
    ratio = ratio_text(float(variance_ratio(var.score_mu, var.pathwise_mu)))
    assert page.locator(".live-readout-value").nth(2).inner_text() == ratio
