"""The live layer's fixed charts (ui/live/chart.py, drawn by static/live/chart.js) carry the numbers the
Plotly figures they replaced drew: every curve recomputed here from vae_core's own results with plain
numpy (the oracle), decoded from the base64 the browser gets, in both languages with the same keys.
tests/browser/test_live_charts.py holds what the browser draws equal to these specs."""

import base64

import numpy as np
import pytest

import ui.i18n
from ui.figures_monte_carlo import error_chart, iwae_chart
from ui.figures_reparameterization import COLOURS, spread_chart, sweep_chart
from ui.i18n import catalogue
from ui.monte_carlo_data import POINTS
from ui.reparameterization_data import COUNTS, K_GRID, RUNS
from vae_core.gradients import exact_gradient, per_sample_variances, running_estimates
from vae_core.monte_carlo import Toy, chi_square, convergence, loglog_slope, toy_views


def decode(b64: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(b64), dtype="<f8")


def runs_of(trace: dict, k: int) -> np.ndarray:
    """A runs trace → (runs, k) rows: its x is sent once (k values), its rows one after the other."""
    assert decode(trace["x"]).size == k
    return decode(trace["y"]).reshape(trace["rows"], k)


@pytest.fixture(params=["en", "zh"])
def lang(request, monkeypatch):
    monkeypatch.setattr(ui.i18n, "current_lang", lambda: request.param)
    return request.param


def labels(chart: dict) -> list[str]:
    return [item["label"] for item in chart["legend"]]


def test_error_chart_is_every_runs_error_their_rms_and_sigma_over_root_n(lang):
    conv = convergence("exp", 2_000, 6, 4, Toy(), POINTS)
    rms = np.sqrt(((conv.mean - conv.exact) ** 2).mean(axis=0))
    slope = loglog_slope(conv.n, rms)
    chart = error_chart(conv, slope)
    (panel,) = chart["panels"]
    k = conv.n.size
    err, line, ref = panel["traces"]
    np.testing.assert_array_equal(decode(err["x"]), conv.n)
    np.testing.assert_allclose(runs_of(err, k), np.abs(conv.mean - conv.exact), rtol=0, atol=0)
    np.testing.assert_allclose(decode(line["y"]), rms, rtol=1e-15)
    np.testing.assert_allclose(decode(ref["y"]), conv.sd / np.sqrt(conv.n), rtol=1e-15)
    assert panel["x"]["log"] and panel["y"]["log"] and panel["x"]["range"] is None  # autorange, as plotly's
    cat = catalogue(lang)
    assert labels(chart) == [
        cat["monte_carlo.err_runs"],
        cat["monte_carlo.rms"].format(slope=f"{slope:.2f}".replace("-", "−")),
        cat["monte_carlo.reference"],
    ]
    assert panel["x"]["title"] == cat["monte_carlo.axis_n"] and panel["y"]["title"] == cat["monte_carlo.axis_err"]


def test_iwae_chart_is_the_runs_their_means_the_asymptote_and_the_two_bounds(lang):
    toy = Toy()
    it = toy_views(1_000, 5, 2, toy, POINTS).iwae
    chi2 = chi_square(toy)
    chart = iwae_chart(it, chi2)
    (panel,) = chart["panels"]
    k = it.n.size
    avg_runs, avg_mean, iwae_runs, iwae_mean, *rest = panel["traces"]
    np.testing.assert_array_equal(runs_of(avg_runs, k), it.avg_log)
    np.testing.assert_array_equal(runs_of(iwae_runs, k), it.iwae)
    np.testing.assert_allclose(decode(avg_mean["y"]), it.avg_log.sum(axis=0) / 5, rtol=1e-14)
    np.testing.assert_allclose(decode(iwae_mean["y"]), it.iwae.sum(axis=0) / 5, rtol=1e-14)
    if rest:  # the delta method's asymptote, from L ≥ 10 χ² on
        n = decode(rest[0]["x"])
        assert n.min() >= max(1.0, 10 * chi2)
        np.testing.assert_allclose(decode(rest[0]["y"]), it.log_px - chi2 / (2 * n), rtol=1e-15)
    band, top, bottom = panel["shapes"]
    assert (band["y0"], band["y1"], top["y"], bottom["y"]) == (it.elbo, it.log_px, it.log_px, it.elbo)
    lo, hi = panel["y"]["range"]
    assert lo < it.elbo < it.log_px < hi
    assert chart["legend_columns"] == 2 and len(chart["legend"]) == len(panel["traces"]) + 2
    assert labels(chart)[-2:] == [f"log p(x) = {it.log_px:.4f}", f"ELBO = {it.elbo:.4f}"]  # as ui.components.num


def test_iwae_chart_of_one_run_has_no_run_lines():
    it = toy_views(100, 1, 0, Toy(), POINTS).iwae
    chart = iwae_chart(it, chi_square(Toy()))
    assert all(t["width"] == 3 for t in chart["panels"][0]["traces"][:2])


@pytest.mark.parametrize("shown", [("pathwise", "score"), ("pathwise", "score", "baseline")])
def test_spread_chart_is_the_running_estimates_inside_their_exact_bands(lang, shown):
    kind, mu, sigma, k, seed = "cos", 0.7, 1.3, 4.0, 5
    runs = running_estimates(kind, mu, sigma, k, COUNTS, RUNS, seed)
    var = per_sample_variances(kind, mu, sigma, k)
    exact = tuple(float(g) for g in exact_gradient(kind, mu, sigma, k))
    chart = spread_chart(runs, COUNTS, var, exact, shown)
    assert [p["title"] for p in chart["panels"]] == ["∂/∂μ E_q[f]", "∂/∂σ E_q[f]"]
    for col, (wrt, panel) in enumerate(zip(("mu", "sigma"), chart["panels"], strict=True)):
        bands, lines = panel["traces"][: len(shown)], panel["traces"][len(shown) :]
        for name, band in zip(shown, bands, strict=True):
            size = decode(band["x"])
            assert size[0] == (2 if name == "baseline" else 1) and band["color"] == COLOURS[name]
            half = 2 * np.sqrt(var.get(name, wrt)) / np.sqrt(size)
            np.testing.assert_allclose(decode(band["y"]), exact[col] + half, rtol=1e-14)
            np.testing.assert_allclose(decode(band["y0"]), exact[col] - half, rtol=1e-14)
        assert lines[-1]["color"] == COLOURS["pathwise"]  # drawn last: on top
        for line in lines:
            name = next(n for n in shown if COLOURS[n] == line["color"])
            keep = COUNTS >= (2 if name == "baseline" else 1)
            np.testing.assert_array_equal(runs_of(line, int(keep.sum())), runs[name][:, keep, col])
        assert panel["shapes"] == [{"kind": "hline", "y": exact[col], "color": "text", "width": 1.5, "dash": "dash"}]
        lo, hi = panel["y"]["range"]
        assert lo < exact[col] < hi and hi - exact[col] == pytest.approx(exact[col] - lo)
    cat = catalogue(lang)
    assert labels(chart) == [cat[f"reparameterization.est_{n}"] for n in shown] + [cat["reparameterization.exact"]]
    assert chart["legend_at"] == "bottom"


def test_sweep_chart_marks_k_and_its_curves_do_not_depend_on_it(lang):
    var = per_sample_variances("quad", 1.0, 1.0, K_GRID)
    shown = ("pathwise", "score", "baseline")
    a, b = sweep_chart(var, K_GRID, 3.0, shown), sweep_chart(var, K_GRID, 7.0, shown)
    assert a["panels"][0]["traces"] == b["panels"][0]["traces"]  # a k move changes only the marker
    assert [s["x"] for s in a["panels"][0]["shapes"] if s["kind"] == "vline"] == [3.0]
    ratio = decode(a["panels"][0]["traces"][0]["y"])
    np.testing.assert_allclose(ratio, np.clip(var.score_mu / var.pathwise_mu, 1e-8, 1e8), rtol=1e-15)
    cat = catalogue(lang)
    assert [(n["text"], n["y"], n["side"]) for n in a["panels"][0]["notes"]] == [
        (cat["reparameterization.sweep_rp_wins"], 1.0, "above"),
        (cat["reparameterization.sweep_sf_wins"], 1.0, "below"),
    ]
    lo, hi = a["panels"][0]["y"]["range"]
    assert lo < 1 < hi and lo <= ratio.min() and ratio.max() <= hi
    assert len(labels(a)) == 4 and labels(a)[0] == cat["reparameterization.est_score"] + " · ∂μ"


@pytest.mark.parametrize("direction", ["pq", "qp"])
def test_kl_colour_key_is_the_landscapes_colour_scale_over_its_range_with_real_values_on_the_ticks(lang, direction):
    from ui.figures_gaussian_kl import COLORSCALE, KL_LOG_RANGE, colour_key_chart

    chart = colour_key_chart(direction)
    (panel,) = chart["panels"]
    (bar,) = panel["traces"]
    assert (bar["kind"], bar["lo"], bar["hi"]) == ("gradient", -3.0, 4.0) == ("gradient", *map(float, KL_LOG_RANGE))
    assert bar["stops"] == [[float(a), c] for a, c in COLORSCALE]  # the stops kl_landscape.js paints the cells with
    assert bar["stops"][0] == [0.0, "#440154"] and bar["stops"][-1] == [1.0, "#fde725"]  # Viridis, independently
    assert panel["x"]["range"] == [-3.03, 4.03] and panel["y"]["hidden"]
    assert panel["x"]["ticks"] == [
        [-3.0, "0.001"],
        [-2.0, "0.01"],
        [-1.0, "0.1"],
        [0.0, "1"],
        [1.0, "10"],
        [2.0, "100"],
        [3.0, "1000"],
        [4.0, "10000"],
    ]
    cat = catalogue(lang)
    assert chart["title"] == cat[f"gaussian_kl.land_{direction}"]
    assert [(i["label"], i["kind"], i["symbol"], i["color"]) for i in chart["legend"]] == [
        (cat["gaussian_kl.minimum"], "marker", "star", "white"),
        (cat["gaussian_kl.current_q"], "marker", "x", "#ff7f0e"),  # the cross on the landscape: Q_ORANGE
    ]


@pytest.mark.parametrize(("target", "L"), [("exp", 10), ("tail", 1000), ("recon", 1)])
def test_histogram_chart_is_the_repeats_density_under_the_clt_normal(lang, target, L):
    from ui.figures_monte_carlo import histogram_chart
    from vae_core.monte_carlo import lattice_step

    rng = np.random.default_rng(7)
    values = rng.normal(1.0, 0.3 / np.sqrt(L), 4_000)  # stand-in repeats; the oracle below is numpy's own
    exact, sd = 1.0, 0.3
    chart = histogram_chart(values, target, L, exact, sd, 4_000)
    (panel,) = chart["panels"]
    bars, normal = panel["traces"]
    edges, density = decode(bars["x"]), decode(bars["y"])
    assert bars["kind"] == "steps" and edges.size == density.size + 1
    counts, _ = np.histogram(values, edges)
    np.testing.assert_array_equal(counts.sum(), values.size)  # the edges reach every value
    np.testing.assert_allclose(density, counts / (values.size * np.diff(edges)), rtol=1e-12)
    step = lattice_step(target)
    if step:  # bins a whole number of lattice spacings wide
        width = np.diff(edges)[0] / (step / L)
        assert width == pytest.approx(round(width))
    x = decode(normal["x"])
    clt = sd / np.sqrt(L)
    np.testing.assert_allclose(
        decode(normal["y"]), np.exp(-0.5 * ((x - exact) / clt) ** 2) / (clt * np.sqrt(2 * np.pi)), rtol=1e-12
    )
    lo, hi = panel["x"]["range"]
    assert (lo, hi) == (x[0], x[-1]) and lo < exact - 4 * clt and hi > exact + 4 * clt
    assert panel["y"]["range"][0] == 0 and panel["y"]["range"][1] >= max(density.max(), decode(normal["y"]).max())
    assert panel["shapes"] == [{"kind": "vline", "x": exact, "color": "text", "width": 1.5, "dash": None}]
    cat = catalogue(lang)
    repeats = "4,000" if lang == "en" else "4000"  # Chinese text groups no thousands (ui.i18n.t)
    assert labels(chart) == [cat["monte_carlo.hist_bars"].format(repeats=repeats), cat["monte_carlo.clt"]]
    assert (panel["x"]["title"], panel["y"]["title"]) == (cat["monte_carlo.axis_q"], cat["monte_carlo.axis_density"])


@pytest.mark.parametrize(("T", "x0"), [(10, 1.5), (1, -2.0), (50, 0.3)])
def test_diffusion_ledger_stacks_the_terms_of_vae_cores_ledger_into_two_bars_of_height_minus_elbo(lang, T, x0):
    from ui.components import GAP_RED, NEG_PURPLE, P_BLUE, PRIOR_GREY, Q_ORANGE
    from ui.figures_diffusion import ledger_chart
    from vae_core import diffusion as d

    sched = d.make_schedule(T, "linear")
    led = d.ledger(x0, sched, d.gaussian_reverse(sched, 0.5, 1.5, "beta", "standard"))
    denoise = float(np.sum(led.denoising))
    terms = [-float(led.reconstruction), float(led.prior_matching), denoise, -float(led.log_evidence), float(led.gap)]
    chart = ledger_chart(
        -float(led.log_evidence), -float(led.reconstruction), float(led.prior_matching), denoise, float(led.gap)
    )
    (panel,) = chart["panels"]
    segs = [(decode(b["x"])[0], decode(b["y0"])[0], decode(b["y"])[0], b["color"]) for b in panel["traces"]]
    assert [c for *_, c in segs] == [Q_ORANGE, PRIOR_GREY, NEG_PURPLE, P_BLUE, GAP_RED]
    assert [x for x, *_ in segs] == [0, 0, 0, 1, 1]
    for (_, base, top, _), value in zip(segs, terms, strict=True):
        assert top - base == pytest.approx(value, abs=1e-12)  # each segment is its term's height
    for bar in (0, 1):  # positives stacked upward from 0, negatives downward from 0, no overlap
        ups = sorted((b, t_) for x, b, t_, _ in segs if x == bar and t_ >= b)
        downs = sorted(((t_, b) for x, b, t_, _ in segs if x == bar and t_ < b), reverse=True)
        assert all(a[1] == pytest.approx(b[0]) for a, b in zip(ups, ups[1:], strict=False)) and (
            not ups or ups[0][0] == 0
        )
        assert not downs or max(b for _, b in downs) == 0
        net = sum(t_ - b for x, b, t_, _ in segs if x == bar)
        assert net == pytest.approx(-float(led.elbo), abs=1e-9)  # eq. 1.4.10: both bars are −ELBO tall
    (line,) = panel["shapes"]
    assert line["kind"] == "hline" and line["y"] == pytest.approx(-float(led.elbo), abs=1e-9) and line["dash"] == "dot"
    lo, hi = panel["y"]["range"]
    assert lo <= min(0, *[b for _, b, *_ in segs], *[t_ for _, _, t_, _ in segs]) and hi >= line["y"]
    cat = catalogue(lang)
    assert labels(chart) == [
        cat["diffusion.term_recon"],
        cat["diffusion.term_prior"],
        cat["diffusion.term_denoise"],
        "−log p(x₀)",
        cat["diffusion.term_gap"],
    ]
    assert [label for _, label in panel["x"]["ticks"]] == [cat["diffusion.bar_terms"], cat["diffusion.bar_evidence"]]
    assert panel["y"]["title"] == cat["diffusion.bar_axis"]


@pytest.mark.parametrize("T", [2, 10, 1000])
def test_diffusion_denoising_bars_are_vae_cores_kls_at_t_2_to_T(lang, T):
    from ui.figures_diffusion import denoising_chart
    from vae_core import diffusion as d

    sched = d.make_schedule(T, "cosine")
    led = d.ledger(0.4, sched, d.gaussian_reverse(sched, 0.5, 1.5, "beta", "standard"))
    chart = denoising_chart(np.asarray(led.denoising, float))
    ((bars,),) = [p["traces"] for p in chart["panels"]]
    np.testing.assert_array_equal(decode(bars["x"]), np.arange(2, T + 1))
    np.testing.assert_array_equal(decode(bars["y"]), np.asarray(led.denoising, float))
    ticks = [v for v, _ in chart["panels"][0]["x"]["ticks"]]
    assert 1 <= len(ticks) <= 12 and ticks[0] >= 2 and ticks[-1] <= T and all(v == int(v) for v in ticks)
    assert chart["panels"][0]["x"]["range"] == [1.5, T + 0.5] and not chart["legend"]
    assert chart["panels"][0]["y"]["title"] == catalogue(lang)["diffusion.denoise_axis"]
