"""The live layer's fixed charts in Chromium (static/live/chart.js): what the Monte Carlo errors and
IWAE charts and the reparameterization spread and sweep charts draw is vae_core's own numbers (bit
for bit: float64 from the server), their log axes cover the data as plotly's autorange did, a release
of L or k redraws them from the rerun's numbers, and the pages draw no Plotly figure for them.
One page load per page; the spec builders themselves are tests/test_live_charts.py's."""

import json
import re

import numpy as np
import pytest
from playwright.sync_api import expect as expect_attribute

from harness.browser import wait_settled
from ui.monte_carlo_data import POINTS, REPEATS
from ui.reparameterization_data import COUNTS, K_GRID, RUNS
from vae_core.gradients import per_sample_variances, running_estimates, variance_ratio
from vae_core.monte_carlo import Toy, estimator_repeats, toy_views

pytestmark = pytest.mark.browser
CHART = ".live-chart canvas.live-plot"


def drawn(page, index: int, expect: str = "") -> list[dict]:
    """The panels chart ``index`` of the page drew last (its canvas' data-state), once it holds ``expect``."""
    canvas = page.locator(CHART).nth(index)
    expect_attribute(canvas).to_have_attribute("data-state", re.compile(re.escape(expect) if expect else "."))
    return json.loads(canvas.get_attribute("data-state"))


def runs(trace: dict, k: int) -> np.ndarray:
    """A NaN-gapped trace's values → (runs, k)."""
    y = np.array([np.nan if v is None else v for v in trace["y"]]).reshape(-1, k + 1)
    return y[:, :-1]


def values(trace: dict) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in trace["y"]])


def covers(span, data) -> None:
    """A log axis' range holds every positive value and starts/ends within a decade of them."""
    data = data[np.isfinite(data) & (data > 0)]
    assert span[0] <= data.min() and span[1] >= data.max()
    assert span[0] > data.min() / 10 and span[1] < data.max() * 10


def test_monte_carlo_errors_and_iwae_draw_the_servers_numbers_and_follow_a_release_of_L(page, app_url):
    plotly_requests = []
    page.on("request", lambda r: plotly_requests.append(r.url) if "plotly" in r.url.lower() else None)
    page.goto(f"{app_url}/monte-carlo?lang=en&target=recon&L=2000&runs=6&seed=4&Lhist=10")
    wait_settled(page, timeout_ms=120_000)
    assert page.locator('[data-testid="stPlotlyChart"]').count() == 0 and plotly_requests == []  # no Plotly at all
    views = toy_views(2_000, 6, 4, Toy(), POINTS)
    conv, it = views.recon, views.iwae
    k = conv.n.size
    (errors,) = drawn(page, 0)
    err_runs, rms, ref = errors["traces"]
    err = np.abs(conv.mean - conv.exact)
    np.testing.assert_array_equal(np.nan_to_num(runs(err_runs, k)), np.where(err > 0, err, 0))
    np.testing.assert_allclose(values(rms), np.sqrt(np.mean(err**2, axis=0)), rtol=1e-12)
    np.testing.assert_allclose(values(ref), conv.sd / np.sqrt(conv.n), rtol=1e-12)
    assert errors["x"] == [pytest.approx(1.0), pytest.approx(2_000.0)]  # n from 1 to L, as plotly's autorange
    covers(errors["y"], np.concatenate([err.ravel(), values(rms), values(ref)]))

    # the histogram (drawn between the two, in the right-hand column): the repeats' density on its edges
    (hist,) = drawn(page, 1)
    repeats = estimator_repeats("recon", 10, REPEATS, 4, Toy())
    edges, density = np.array(hist["traces"][0]["x"]), values(hist["traces"][0])
    assert hist["traces"][0]["kind"] == "steps" and edges[0] <= repeats.min() and edges[-1] >= repeats.max()
    np.testing.assert_allclose(density, np.histogram(repeats, edges, density=True)[0], rtol=1e-12)
    peak = 1 / (conv.sd / np.sqrt(10) * np.sqrt(2 * np.pi))  # the CLT normal N(exact, σ²/L) at its mean
    assert peak * 0.98 <= values(hist["traces"][1]).max() <= peak * (1 + 1e-12)
    assert hist["y"][0] == 0 and hist["y"][1] >= max(density.max(), peak * 0.98)
    assert hist["x"][0] < conv.exact < hist["x"][1]

    (iwae,) = drawn(page, 2)
    np.testing.assert_array_equal(runs(iwae["traces"][0], k), it.avg_log)
    np.testing.assert_allclose(values(iwae["traces"][1]), it.avg_log.mean(axis=0), rtol=1e-12)
    np.testing.assert_array_equal(runs(iwae["traces"][2], k), it.iwae)
    np.testing.assert_allclose(values(iwae["traces"][3]), it.iwae.mean(axis=0), rtol=1e-12)
    assert iwae["y"][0] < it.elbo < it.log_px < iwae["y"][1]
    legend = page.locator(".live-chart-legend:not([hidden])").nth(2).inner_text()
    assert "ELBO = " in legend and "log p(x) = " in legend

    # a release of L (a Streamlit slider: the keyboard moves it one option) redraws both from the rerun
    page.locator('[data-testid="stSlider"]').filter(has_text="L — samples per run").get_by_role("slider").press(
        "ArrowRight"
    )
    page.wait_for_url(re.compile(r"[?&]L=5000(&|$)"))
    wait_settled(page)
    views = toy_views(5_000, 6, 4, Toy(), POINTS)
    (errors,) = drawn(page, 0, expect="5000")
    assert errors["x"][1] == pytest.approx(5_000.0)
    err = np.abs(views.recon.mean - views.recon.exact)
    np.testing.assert_allclose(values(errors["traces"][1]), np.sqrt(np.mean(err**2, axis=0)), rtol=1e-12)
    (iwae,) = drawn(page, 2)
    np.testing.assert_allclose(values(iwae["traces"][3]), views.iwae.iwae.mean(axis=0), rtol=1e-12)
    assert page.locator('[data-testid="stException"]').count() == 0 and not page.js_errors


def test_reparameterization_spread_and_sweep_draw_the_servers_numbers_and_k_moves_only_the_marker(page, app_url):
    kind, mu, sigma, k, seed = "cos", 0.5, 1.2, 4.0, 3
    page.goto(f"{app_url}/reparameterization?lang=en&f={kind}&mu={mu}&sigma={sigma}&k={k}&baseline=1&seed={seed}")
    wait_settled(page, timeout_ms=120_000)
    assert page.locator('[data-testid="stPlotlyChart"]').count() == 0
    est = running_estimates(kind, mu, sigma, k, COUNTS, RUNS, seed)
    spread = drawn(page, 0)
    for col, panel in enumerate(spread):
        pathwise = panel["traces"][-1]  # drawn last, on top
        np.testing.assert_array_equal(runs(pathwise, COUNTS.size), est["pathwise"][:, :, col])
        score = panel["traces"][3]
        np.testing.assert_array_equal(runs(score, COUNTS.size), est["score"][:, :, col])
        assert panel["x"] == [pytest.approx(1.0), pytest.approx(float(COUNTS[-1]))]

    var = per_sample_variances(kind, mu, sigma, K_GRID)
    (sweep,) = drawn(page, 1)
    np.testing.assert_allclose(
        values(sweep["traces"][0]), np.clip(variance_ratio(var.score_mu, var.pathwise_mu), 1e-8, 1e8), rtol=1e-12
    )
    assert sweep["marks"] == [k]
    assert page.locator(".live-chart-note").filter(has_text="RP has the smaller variance").count() == 1

    page.locator('[data-testid="stSlider"]').get_by_role("slider").first.press("ArrowRight")  # k + 0.01
    page.wait_for_url(re.compile(r"[?&]k=4\.01(&|$)"))
    wait_settled(page)
    (after,) = drawn(page, 1, expect="[4.01]")
    assert after["marks"] == [4.01] and after["traces"] == sweep["traces"]  # the curves do not depend on k
    est = running_estimates(kind, mu, sigma, 4.01, COUNTS, RUNS, seed)
    spread = drawn(page, 0)
    np.testing.assert_array_equal(runs(spread[0]["traces"][-1], COUNTS.size), est["pathwise"][:, :, 0])
    assert page.locator('[data-testid="stException"]').count() == 0 and not page.js_errors


PIXEL_JS = """(canvas, fractions) => {
  const ctx = canvas.getContext('2d');
  const at = ([fx, fy]) => ctx.getImageData(Math.round(fx * canvas.width), Math.round(fy * canvas.height), 1, 1).data;
  return fractions.map((f) => Array.from(at(f)));
}"""


def test_gaussian_kl_colour_key_is_drawn_without_plotly_in_the_pages_language(page, app_url):
    """The key's bar is plotly's Viridis from 10⁻³ to 10⁴ (its two ends' pixels are the scale's end
    colours), its ticks are the real values, and its title and legend are the page's, in Chinese."""
    plotly_requests = []
    page.on("request", lambda r: plotly_requests.append(r.url) if "plotly" in r.url.lower() else None)
    page.goto(f"{app_url}/gaussian-kl?lang=zh&land=qp")
    wait_settled(page, timeout_ms=120_000)
    assert page.locator('[data-testid="stPlotlyChart"]').count() == 0 and plotly_requests == []
    (key,) = drawn(page, 0)
    assert key["x"] == [pytest.approx(-3.03), pytest.approx(4.03)] and key["traces"][0]["kind"] == "gradient"
    canvas = page.locator(CHART).nth(0)
    # the spec's margins (40 px each side of a 7.06-decade axis): sample 0.2 decades inside each end, mid-height
    left, right = canvas.evaluate(
        """(c) => { const w = c.clientWidth, inner = w - 80, at = (v) => (40 + inner * (v + 3.03) / 7.06) / w;
                    return [at(-2.9), at(3.9)]; }"""
    )
    lo, hi = canvas.evaluate(PIXEL_JS, [[left, 0.3], [right, 0.3]])
    assert all(abs(a - b) <= 12 for a, b in zip(lo[:3], (0x44, 0x01, 0x54), strict=True)), lo  # Viridis' ends
    assert all(abs(a - b) <= 12 for a, b in zip(hi[:3], (0xFD, 0xE7, 0x25), strict=True)), hi
    chart = page.locator(".live-chart").nth(0)
    assert chart.locator(".live-chart-title").inner_text() == "KL(q‖p)"
    legend = chart.locator(".live-chart-legend:not([hidden])").inner_text()
    assert "q = p（KL = 0）" in legend and "当前的 q" in legend
    assert chart.locator(".live-chart-marker svg").count() == 2
    assert page.locator('[data-testid="stException"]').count() == 0 and not page.js_errors


def test_diffusion_ledger_and_denoising_bars_draw_vae_cores_ledger_without_plotly(page, app_url):
    from vae_core import diffusion as d

    plotly_requests = []
    page.on("request", lambda r: plotly_requests.append(r.url) if "plotly" in r.url.lower() else None)
    page.goto(f"{app_url}/diffusion?lang=en&T=20&sched=cosine&x0=-1.2&mh=1&sh=2&var=beta_tilde&prior=standard")
    wait_settled(page, timeout_ms=120_000)
    assert page.locator('[data-testid="stPlotlyChart"]').count() == 0 and plotly_requests == []
    sched = d.make_schedule(20, "cosine")
    led = d.ledger(-1.2, sched, d.gaussian_reverse(sched, 1.0, 2.0, "beta_tilde", "standard"))
    (ledger,) = drawn(page, 0)
    heights = [tr["y"][0] - tr["y0"][0] for tr in ledger["traces"]]
    terms = [-led.reconstruction, led.prior_matching, float(np.sum(led.denoising)), -led.log_evidence, led.gap]
    np.testing.assert_allclose(heights, terms, rtol=1e-12, atol=1e-12)
    assert ledger["hlines"] == [pytest.approx(-float(led.elbo), abs=1e-9)]
    assert ledger["y"][0] <= min(0.0, *(tr["y"][0] for tr in ledger["traces"])) and ledger["y"][1] >= -led.elbo
    (bars,) = drawn(page, 1)
    assert bars["traces"][0]["x"] == list(range(2, 21))
    np.testing.assert_array_equal(values(bars["traces"][0]), np.asarray(led.denoising, float))
    legend = page.locator(".live-chart-legend:not([hidden])").first.inner_text()
    assert "−log p(x₀)" in legend and "prior matching" in legend
    assert page.locator('[data-testid="stException"]').count() == 0 and not page.js_errors
