"""The DDPM in the browser (static/live/ddpm_model.js) against torch, on the exported int8 weights
(vae_core.ddpm_export.quantized_model, the network the browser runs): ε̂, x̂₀ and one reverse step's mean
μ_θ on fixed inputs to 1e-5; a seeded chain replayed in torch with the browser's own draws; a full
sample from a seed is a digit (the model card's nearest-neighbour measure)."""

import re

import numpy as np
import pytest
import torch

from harness.browser import wait_settled
from harness.live import SentFrames, drag_range, sweep
from scripts.export_browser import DDPM_EXPORT_DIR
from ui import diffusion_data as data
from vae_core.data import load_digits, load_holdout_binary, to_unit_interval
from vae_core.ddpm_export import quantized_model

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("one_cpu_thread")]
TOL = 1e-5


def call_async(page, function: str, *args):
    return page.evaluate(
        """async ([fn, args]) => {
             const m = await import(new URL("app/static/live/ddpm_model.js", window.location.href).href);
             return await m[fn](...args);
           }""",
        [function, list(args)],
    )


@pytest.fixture(scope="module")
def net():
    return quantized_model(DDPM_EXPORT_DIR)


def replay(net, x_start, t_start, z):
    """The reverse chain in torch from x_t_start with the given per-step draws (rows: t = t_start … 2)."""
    x = torch.tensor(np.asarray(x_start, np.float32))[None]
    with torch.inference_mode():
        for k, step in enumerate(range(t_start, 1, -1)):
            t = torch.tensor([step])
            x = net.p_mean(x, t) + torch.sqrt(net.sigma2[step - 1]) * torch.tensor(z[k], dtype=torch.float32)[None]
        probs = torch.special.ndtr(net.p_mean(x, torch.tensor([1])) / torch.sqrt(net.sigma2[0]))
    return x[0].numpy(), probs[0].numpy()


def test_eps_x0_and_mean_match_torch(light_page, net):
    rng = np.random.default_rng(11)
    bits = load_holdout_binary()[:12]
    ts = [1, 2, 3, 10, 50, 137, 300, 500, 701, 900, 999, 1000]
    pairs = enumerate(zip(bits, ts, strict=True))
    x = np.stack([data.noised(data.signed(b), net.schedule, t, 100 + i) for i, (b, t) in pairs])
    x[-1] = rng.standard_normal(784)  # pure noise at t = T
    js = call_async(light_page, "predictMany", [[row.tolist(), t] for row, t in zip(x, ts, strict=True)])
    xt, tt = torch.tensor(x, dtype=torch.float32), torch.tensor(ts)
    with torch.inference_mode():
        eps, x0, mean = net.eps(xt, tt).numpy(), net.predict_x0(xt, tt).numpy(), net.p_mean(xt, tt).numpy()
    got = np.array(js)  # (12, 3, 784)
    np.testing.assert_allclose(got[:, 1], x0, atol=TOL, rtol=0)
    np.testing.assert_allclose(got[:, 2], mean, atol=TOL, rtol=0)
    # ε̂ = (x_t − √ᾱ_t x̂₀)/√(1 − ᾱ_t): at t = 1 float32's rounding of x̂₀ is divided by 0.01
    scale = 1.0 / np.sqrt(net.schedule.one_minus_alpha_bar[ts])
    assert np.all(np.abs(got[:, 0] - eps).max(axis=1) <= TOL * np.maximum(1.0, scale))


def test_seeded_draws_are_standard_normal(light_page):
    z = np.array(call_async(light_page, "gaussianArray", 7, 200_000))
    assert abs(z.mean()) < 5 / np.sqrt(len(z)) and abs(z.var() - 1) < 5 * np.sqrt(2 / len(z))
    assert abs(np.mean(z**4) - 3) < 0.05 and abs(np.mean(np.abs(z) > 1.96) - 0.05) < 0.003
    again = call_async(light_page, "gaussianArray", 7, 1000)
    other = call_async(light_page, "gaussianArray", 8, 1000)
    assert again == z[:1000].tolist() and other != again


def test_denoise_from_here_replayed_in_torch(light_page, net):
    """From a holdout digit noised to t = 120 (the noise view's x_t), the browser's chain equals torch's
    with the same draws, and at this small t the digit comes back."""
    bits = load_holdout_binary()[3]
    t0, seed = 120, 5
    x_start = data.noised(data.signed(bits), net.schedule, t0, 0)
    js = call_async(light_page, "chain", seed, [60], {"t": t0, "x": x_start.tolist()})
    z = np.array(call_async(light_page, "gaussianArray", seed, 784 * (t0 - 1))).reshape(t0 - 1, 784)
    x1, probs = replay(net, x_start, t0, z)
    np.testing.assert_allclose(js["x1"], x1, atol=1e-3, rtol=0)
    np.testing.assert_allclose(js["probs"], probs, atol=1e-3, rtol=0)
    back = np.asarray(js["probs"]) > 0.5
    assert np.mean(back != bits.astype(bool)) < 0.03  # the same digit, within a few pixels


def test_full_sample_from_a_seed_is_a_digit(light_page, net):
    """x_T from seed 3, 999 steps in the browser: torch, replaying the browser's draws, ends at the same
    picture, and it is digit-like: far nearer a training digit than its own pixels shuffled."""
    seed = 3
    js = call_async(light_page, "chain", seed, [1000])
    draws = np.array(call_async(light_page, "gaussianArray", seed, 784 * 1000)).reshape(1000, 784)
    np.testing.assert_array_equal(js["kept"]["1000"], draws[0])
    _, probs = replay(net, draws[0], 1000, draws[1:])
    got = np.asarray(js["probs"])
    assert np.mean((got > 0.5) != (probs > 0.5)) < 0.01
    # the model card's measure (Euclidean distance in [0, 1]^784 to the nearest training digit) against a
    # control with the same ink and no shape: the sample's own pixels, shuffled
    train = to_unit_interval(load_digits("train")[0]).reshape(-1, 784)

    def nearest(image):
        return float(np.sqrt(((train - image) ** 2).sum(axis=1)).min())

    shuffled = np.random.default_rng(0).permutation(got)
    assert nearest(got) < 0.8 * nearest(shuffled), (nearest(got), nearest(shuffled))
    holdout_ink = load_holdout_binary().mean(axis=1)
    assert holdout_ink.min() <= got.mean() <= holdout_ink.max()


def state(page) -> dict:
    import json

    return json.loads(page.locator("div.live-figure[data-state]").last.get_attribute("data-state"))


def test_draw_view_plays_scrubs_and_reports_only_its_seed_and_start(page, app_url):
    """No weights before play; play runs all 1000 steps with no rerun; scrubbing moves along the kept
    steps; a new seed and "denoise from here" each report once (the URL follows); under reduced motion
    play shows the end at once."""
    fetched = []
    page.on("request", lambda r: fetched.append(r.url) if "/static/ddpm/" in r.url else None)
    sent = SentFrames(page)
    page.goto(f"{app_url}/diffusion?lang=en&section=draw&t=60&digit=3")
    wait_settled(page)
    assert state(page)["t"] == 1000 and state(page)["guessed"] == 1001 and not fetched
    mark = sent.mark()
    page.locator("button.ddpm-play").click()
    page.locator("div.live-figure[data-state*='\"guessed\":1,']").wait_for(state="attached", timeout=120_000)
    done = state(page)
    assert (done["t"], done["frontier"], done["steps"]) == (1, 1, 1000)
    assert sum(u.split("?")[0].endswith("ddpm_q8.bin") for u in fetched) == 1
    assert sent.since(mark) == 0  # playing never reruns the page
    seen = drag_range(page, 'input[data-name="dt"]', lambda: state(page)["t"], sweep(20))
    page.mouse.up()
    assert len(set(seen)) >= 8 and sent.since(mark) == 0  # scrubbing the kept steps: no rerun either
    page.locator("button.ddpm-seed").click()
    page.wait_for_url(re.compile(r"[?&]dseed=1(&|$)"))
    wait_settled(page)
    assert state(page)["seed"] == 1 and state(page)["steps"] == 0
    page.locator("button.ddpm-from-digit").click()
    page.wait_for_url(re.compile(r"[?&]dstart=digit(&|$)"))
    wait_settled(page)
    assert (state(page)["start"], state(page)["t0"], state(page)["t"]) == ("digit", 60, 60)
    assert sent.since(mark) == 2
    # reduced motion: play shows the finished picture (computed in chunks, no animation)
    page.emulate_media(reduced_motion="reduce")
    page.locator("button.ddpm-play").click()
    page.locator("div.live-figure[data-state*='\"guessed\":1,']").wait_for(state="attached", timeout=60_000)
    assert (state(page)["t"], state(page)["steps"], state(page)["playing"]) == (1, 60, False)
    page.emulate_media(reduced_motion="no-preference")
    assert sent.since(mark) == 2
    assert not page.js_errors
