"""The ELBO page's live views in Chromium: Jensen's picture (part 1) and the ledger (part 2).

The browser's closed forms equal vae_core's; a drag redraws many times with no message to the
server until release, then the URL and the settled metrics follow; "Optimize q" plays the server's
gradient-ascent path to its last step (or jumps there for reduced-motion users)."""

import re

import numpy as np
import pytest

from harness.browser import at_rest, wait_settled
from harness.live import SentFrames, call_js, drag_range, sweep
from tests.browser.conftest import PHONE_TOUCH
from ui.figures_elbo import ledger_range
from vae_core import toy_model
from vae_core.jensen import FUNCTIONS, lognormal, lognormal_pdf, two_point
from vae_core.toy_model import ascend_elbo

pytestmark = pytest.mark.browser
RTOL = 1e-9
N = 500
FRAMES_JS = "(name) => { const s = (window.__liveStats || {})[name]; return s ? s.frames : 0; }"
SIGNATURES_JS = "(name) => Array.from(((window.__liveStats || {})[name] || {signatures: []}).signatures)"
METRICS_JS = """() => Object.fromEntries(Array.from(document.querySelectorAll('[data-testid="stMetric"]'), (m) =>
  [m.querySelector('[data-testid="stMetricLabel"]').innerText.trim(),
   m.querySelector('[data-testid="stMetricValue"]').innerText.trim()]))"""


def fmt(value: float) -> str:
    """static/live/plot.js fmt (4 decimals, U+2212 minus), as st.metric shows ui.components.num."""
    text = f"{0.0 if abs(value) < 5e-5 else value:.4f}"
    return text.replace("-", "−")


def settled_metrics(page) -> dict[str, str]:
    return {k: v.replace("-", "−") for k, v in page.evaluate(METRICS_JS).items()}


def view(page, control: str):
    """The live view that holds the control ``control`` (its shadow DOM is pierced by CSS locators)."""
    return page.locator(".live-root").filter(has=page.locator(f'input[data-name="{control}"]'))


def readouts(page, control: str) -> list[str]:
    return view(page, control).locator(".live-readout-value").all_inner_texts()


def open_elbo(page, app_url, **params):
    query = "&".join(f"{k}={v}" for k, v in {"lang": "en", **params}.items())
    page.goto(f"{app_url}/elbo?{query}")
    wait_settled(page)
    for name in ("jensen", "ledger"):  # the views mount after their modules load: wait for a first frame
        page.wait_for_function(f"() => ({FRAMES_JS})('{name}') > 0")


def toy_states(n: int, seed: int) -> np.ndarray:
    """(n, 5) states (x, w, noise, m, s) over the page's slider ranges (noise and s log-uniform)."""
    rng = np.random.default_rng(seed)
    x, w, m = rng.uniform(-4, 4, n), rng.uniform(-3, 3, n), rng.uniform(-4, 4, n)
    noise, s = np.exp(rng.uniform(np.log(0.1), np.log(3), (2, n)))
    return np.column_stack([x, w, noise, m, s])


# --- parity ---------------------------------------------------------------------------------------


def test_jensen_closed_forms_match_vae_core(light_page):
    page = light_page
    rng = np.random.default_rng(21)
    for f in FUNCTIONS:
        x1, x2 = rng.uniform(0.1, 6, (2, N))
        lam = rng.uniform(0, 1, N)
        js = np.array(call_js(page, "jensen_math", "twoPoint", [[f, *row] for row in zip(x1, x2, lam, strict=True)]))
        py = np.array([tuple(two_point(f, *row)) for row in zip(x1, x2, lam, strict=True)])
        np.testing.assert_allclose(js, py, rtol=RTOL, atol=0)
        gaps = call_js(page, "jensen_math", "gap", [[list(r)] for r in js])
        np.testing.assert_allclose(
            gaps, [two_point(f, *row).gap for row in zip(x1, x2, lam, strict=True)], rtol=RTOL, atol=0
        )
        sigma = rng.uniform(0.05, 1.5, N)
        js = np.array(call_js(page, "jensen_math", "lognormal", [[f, s] for s in sigma]))
        np.testing.assert_allclose(js, [tuple(lognormal(f, s)) for s in sigma], rtol=RTOL, atol=0)
    x, sigma = rng.uniform(0.001, 30, N), rng.uniform(0.05, 1.5, N)
    np.testing.assert_allclose(
        call_js(page, "jensen_math", "lognormalPdf", np.column_stack([x, sigma]).tolist()),
        lognormal_pdf(x, sigma),
        rtol=RTOL,
        atol=1e-300,
    )


def test_toy_model_closed_forms_match_vae_core(light_page):
    page = light_page
    states = toy_states(N, seed=22)
    rows = states.tolist()
    x, w, noise, m, s = states.T
    for fn, expected in (
        ("elbo", toy_model.elbo(x, w, noise, m, s)),
        ("posteriorKl", toy_model.posterior_kl(x, w, noise, m, s)),
        ("reconstructionTerm", toy_model.reconstruction_term(x, w, noise, m, s)),
    ):
        np.testing.assert_allclose(call_js(page, "toy_math", fn, rows), expected, rtol=RTOL, atol=0, err_msg=fn)
    np.testing.assert_allclose(
        call_js(page, "toy_math", "priorKl", states[:, 3:].tolist()), toy_model.prior_kl(m, s), rtol=RTOL, atol=0
    )
    model = states[:, :3].tolist()
    np.testing.assert_allclose(
        call_js(page, "toy_math", "logEvidence", model), toy_model.log_evidence(x, w, noise), rtol=RTOL, atol=0
    )
    np.testing.assert_allclose(
        call_js(page, "toy_math", "posterior", model),
        np.column_stack(toy_model.posterior(x, w, noise)),
        rtol=RTOL,
        atol=0,
    )
    z = np.random.default_rng(23).uniform(-8, 8, N)
    np.testing.assert_allclose(
        call_js(page, "toy_math", "logJoint", np.column_stack([z, states[:, :3]]).tolist()),
        toy_model.log_joint(z, x, w, noise),
        rtol=RTOL,
        atol=0,
    )
    # the axis of the ledger holds the same nice ends as the plotly ledger of part 3
    ledgers = call_js(page, "toy_math", "ledger", rows)
    triples = [[d["lp"], d["elbo"], d["recon"]] for d in ledgers]
    np.testing.assert_allclose(
        call_js(page, "elbo_common", "ledgerRange", triples), [ledger_range(*t) for t in triples], rtol=1e-12
    )


def test_ledger_along_the_optimizer_path_matches_the_server(light_page):
    """The animation shows q_k = (m_k, s_k) from the server's path; its ELBO and KL are the path's."""
    page = light_page
    rows, elbos, kls = [], [], []
    for x, w, noise, m, s in toy_states(6, seed=24):
        path = ascend_elbo(x, w, noise, m, s)
        rows += [[x, w, noise, mk, sk] for mk, sk in zip(path.m, path.s, strict=True)]
        elbos += list(path.elbo)
        kls += list(path.kl)
    assert len(rows) >= N
    np.testing.assert_allclose(call_js(page, "toy_math", "elbo", rows), elbos, rtol=RTOL, atol=0)
    np.testing.assert_allclose(call_js(page, "toy_math", "posteriorKl", rows), kls, rtol=RTOL, atol=1e-12)


# --- drags: many pictures, no rerun until release ----------------------------------------------------


def test_jensen_drag_redraws_live_and_settles_on_release(page, app_url):
    sent = SentFrames(page)
    open_elbo(page, app_url, f="square", x1="1", x2="3")
    frames0 = page.evaluate(FRAMES_JS, "jensen")
    mark = sent.mark()
    seen = drag_range(page, 'input[data-name="lam"]', lambda: readouts(page, "lam")[1], sweep(30))
    assert len(set(seen)) >= 10, seen
    assert page.evaluate(FRAMES_JS, "jensen") - frames0 >= 10
    assert sent.since(mark) == 0
    page.mouse.up()
    page.wait_for_url(re.compile(r"lam=0\.5(&|$)"))
    wait_settled(page)
    assert sent.since(mark) >= 1
    j = two_point("square", 1.0, 3.0, 0.5)
    shown = readouts(page, "lam")
    assert shown == [fmt(j.f_of_mean), fmt(j.mean_of_f), fmt(j.gap)]
    metrics = settled_metrics(page)
    assert [metrics["f(E[X])"], metrics["E[f(X)]"], metrics["|E[f(X)] − f(E[X])|"]] == shown
    assert not page.js_errors, page.js_errors


def test_jensen_lognormal_sigma_is_live(page, app_url):
    sent = SentFrames(page)
    open_elbo(page, app_url, dist="lognormal", f="log")
    assert view(page, "lam").locator('input[data-name="lam"]').is_hidden()
    mark = sent.mark()
    seen = drag_range(page, 'input[data-name="lnsigma"]', lambda: readouts(page, "lnsigma")[2], sweep(30))
    assert len(set(seen)) >= 10 and sent.since(mark) == 0
    page.mouse.up()
    page.wait_for_url(re.compile(r"lnsigma=0\.78(&|$)"))  # the middle of [0.05, 1.5] on the 0.01 grid
    wait_settled(page)
    assert (
        settled_metrics(page)["|E[f(X)] − f(E[X])|"] == fmt(lognormal("log", 0.78).gap) == readouts(page, "lnsigma")[2]
    )


def test_ledger_drag_moves_elbo_and_kl_but_not_the_evidence(page, app_url):
    sent = SentFrames(page)
    open_elbo(page, app_url, qmu="2", qsigma="0.5")
    page.locator('input[data-name="qmu"]').scroll_into_view_if_needed()
    frames0 = page.evaluate(FRAMES_JS, "ledger")
    mark = sent.mark()
    seen = drag_range(page, 'input[data-name="qmu"]', lambda: tuple(readouts(page, "qmu")), sweep(30))
    assert len({s[1] for s in seen}) >= 10 and len({s[2] for s in seen}) >= 10, seen  # ELBO and KL trade…
    assert {s[0] for s in seen} == {fmt(float(toy_model.log_evidence(1.5, 1, 0.5)))}  # …log p(x) stays put
    assert page.evaluate(FRAMES_JS, "ledger") - frames0 >= 10
    assert sent.since(mark) == 0
    page.mouse.up()
    page.wait_for_url(re.compile(r"qmu=0(&|$)"))
    wait_settled(page)
    lp, lower, kl = (
        float(f(1.5, 1, 0.5, 0, 0.5))
        for f in (lambda *a: toy_model.log_evidence(*a[:3]), toy_model.elbo, toy_model.posterior_kl)
    )
    assert readouts(page, "qmu") == [fmt(lp), fmt(lower), fmt(kl)]
    metrics = settled_metrics(page)
    assert [metrics["log p(x)"], metrics["ELBO"], metrics["KL(q‖p(z|x))"]] == readouts(page, "qmu")
    assert "qsigma=0.5" in page.url and not page.js_errors


def test_keyboard_and_aria_labels_in_both_languages(page, app_url):
    open_elbo(page, app_url)
    slider = page.locator('input[data-name="qmu"]')
    assert slider.get_attribute("aria-label") == "μ_q — mean of the variational distribution q"
    # the labels a learner reads show q as a subscript, never "μ_q" with a bare underscore
    q_header = view(page, "qmu").locator(".live-group").first
    assert q_header.inner_text() == "Variational q(z) = N(μq, σq²)" and q_header.locator("sub").count() == 2
    assert view(page, "qmu").get_by_text("μq — mean of q").count() == 1
    slider.focus()
    for _ in range(3):
        slider.press("ArrowRight")
    page.wait_for_url(re.compile(r"qmu=0\.03"))
    wait_settled(page)
    assert readouts(page, "qmu")[1] == fmt(float(toy_model.elbo(1.5, 1, 0.5, 0.03, 1)))
    open_elbo(page, app_url, lang="zh")
    assert page.locator('input[data-name="qmu"]').get_attribute("aria-label") == "μ_q：变分分布 q 的均值"
    assert page.locator('input[data-name="lam"]').get_attribute("aria-label") == "λ：X 取 x₁ 的概率"
    assert view(page, "qmu").get_by_role("button", name="从你的 q 出发，播放 ELBO 的梯度上升").count() == 1


# --- Optimize q ------------------------------------------------------------------------------------

START = {"x": "2", "w": "1.5", "noise": "0.8", "qmu": "-2", "qsigma": "0.4"}


def final_state():
    path = ascend_elbo(2.0, 1.5, 0.8, -2.0, 0.4, steps=100, lr=0.2, natural=True)
    return path, [fmt(float(toy_model.log_evidence(2.0, 1.5, 0.8))), fmt(path.elbo[-1]), fmt(path.kl[-1])]


def test_optimize_q_plays_the_server_path_to_its_end(page, app_url):
    sent = SentFrames(page)
    open_elbo(page, app_url, **START)
    ledger = view(page, "qmu")
    ledger.get_by_role("button", name="Playback speed 4×").click()
    mark = sent.mark()
    ledger.get_by_role("button", name="Play gradient ascent on the ELBO, starting from your q").click()
    ledger.get_by_text(re.compile(r"Step k = [4-9]\d of 100")).wait_for()
    assert sent.since(mark) == 0  # half way: nothing sent yet
    page.wait_for_url(re.compile(r"step=100(&|$)"), timeout=20_000)
    wait_settled(page)
    assert sent.since(mark) >= 1
    path, expected = final_state()
    assert readouts(page, "qmu") == expected
    steps_seen = {int(s.split("|")[0]) for s in page.evaluate(SIGNATURES_JS, "ledger")}
    assert len(steps_seen) >= 10 and 100 in steps_seen
    metrics = settled_metrics(page)
    assert [metrics["ELBO(qₖ)"], metrics["KL(qₖ‖p(z|x))"]] == expected[1:]
    assert metrics["ELBO"] == fmt(float(toy_model.elbo(2.0, 1.5, 0.8, -2.0, 0.4)))  # part 2's q is the start
    # dragging q again starts from the new q: step 0
    ledger.get_by_role("button", name="Back to step 0: your q").click()
    page.wait_for_url(re.compile(r"step=0(&|$)"))
    assert not page.js_errors, page.js_errors


def test_reduced_motion_gets_the_final_state_at_once(page, app_url):
    page.emulate_media(reduced_motion="reduce")
    open_elbo(page, app_url, **START)
    ledger = view(page, "qmu")
    assert ledger.get_by_text("Reduced motion is on").count() == 1
    ledger.get_by_role("button", name="Play gradient ascent on the ELBO, starting from your q").click()
    page.wait_for_url(re.compile(r"step=100(&|$)"))
    wait_settled(page)
    steps_seen = {int(s.split("|")[0]) for s in page.evaluate(SIGNATURES_JS, "ledger")}
    assert steps_seen == {0, 100}  # the start and the settled end, nothing in between
    assert readouts(page, "qmu") == final_state()[1]
    # part 3's step slider moves the view; the same report as before ("step 100") must still rerun
    thumb = page.get_by_role("slider", name="Show step k")
    thumb.focus()
    thumb.press("ArrowLeft")
    page.wait_for_url(re.compile(r"step=99(&|$)"))
    wait_settled(page)
    assert ledger.get_by_text("Step k = 99 of 100").count() == 1
    ledger.get_by_role("button", name="Play gradient ascent on the ELBO, starting from your q").click()
    page.wait_for_url(re.compile(r"step=100(&|$)"))


def test_touch_drag_on_a_phone(contexts, app_url):
    """A finger on a 390×844 phone drags σ_q: the ledger follows, nothing is sent until the finger lifts."""
    page = contexts.page(**PHONE_TOUCH)
    try:
        sent = SentFrames(page)
        open_elbo(page, app_url)
        slider = page.locator('input[data-name="qsigma"]')
        slider.scroll_into_view_if_needed()
        box = slider.bounding_box()
        x0, y = box["x"] + 9 + 0.31 * (box["width"] - 18), box["y"] + box["height"] / 2  # the thumb at σ_q = 1
        cdp = page.context.new_cdp_session(page)
        mark = sent.mark()
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x0, "y": y}]})
        seen = []
        for i in range(1, 16):
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x0 + 8 * i, "y": y}]})
            seen.append(readouts(page, "qsigma")[2])
        assert len(set(seen)) >= 10 and sent.since(mark) == 0
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        page.wait_for_url(re.compile(r"qsigma=(?!1&)\d"))
        wait_settled(page)
        qsigma = float(re.search(r"qsigma=([\d.]+)", page.url).group(1))
        assert readouts(page, "qsigma")[2] == fmt(float(toy_model.posterior_kl(1.5, 1, 0.5, 0, qsigma)))
        assert settled_metrics(page)["KL(q‖p(z|x))"] == readouts(page, "qsigma")[2]
    finally:
        page.close()


# --- layout ---------------------------------------------------------------------------------------

# Top of the check expander below the ledger's metrics, relative to the metrics box (the page may scroll).
BELOW_JS = """() => {
  const box = document.querySelector('.st-key-elbo_ledger_metrics').getBoundingClientRect();
  const check = document.querySelector('[data-testid="stExpander"]').getBoundingClientRect();
  return check.top - box.top;
}"""


def steady_below(page) -> float:
    """BELOW_JS on the settled page, once it is the same over a frame: wait_settled waits for the plotly
    chart between the two to draw, but a loaded run measured it mid-redraw once (143 px lower)."""
    return at_rest(page, lambda: page.evaluate(BELOW_JS), same=lambda a, b: abs(a - b) < 0.5)


@pytest.mark.parametrize(("width", "height"), [(1400, 900), (390, 844)])
def test_moving_theta_x_or_q_does_not_push_the_page_below_the_metrics(contexts, app_url, width, height):
    """The note after a move (θ/x: an info box; q: a caption) has a slot of its own: the check
    expander below the metrics stays where it was on the first view (also with the columns stacked)."""
    page = contexts.page(viewport={"width": width, "height": height}, locale="en-US")
    try:
        open_elbo(page, app_url)
        start = steady_below(page)
        moves = [
            ("x", page.get_by_role("slider", name="x — the observed data point"), r"x=1\.51"),
            ("qmu", page.locator('input[data-name="qmu"]'), r"qmu=0\.01"),
            ("w", page.get_by_role("slider", name="w — decoder weight (x ≈ w·z)"), r"w=1\.01"),
            ("qsigma", page.locator('input[data-name="qsigma"]'), r"qsigma=1\.01"),
        ]
        for name, slider, url in moves:
            slider.focus()
            slider.press("ArrowRight")
            page.wait_for_url(re.compile(url))
            wait_settled(page)
            below = steady_below(page)
            assert abs(below - start) <= 2, (name, start, below)
        assert not page.js_errors, page.js_errors
    finally:
        page.close()
