"""The model in the browser (static/live/model.js) against torch with the same exported weights
(vae_core.export_browser.rounded_model: int8 rows, dequantized alike): the decoder on 200 latent
points (pixel probabilities within 1e-5; the decoder-only model /latent loads gives the same) and the
encoder on all 500 holdout digits (μ within 1e-4, log σ² within 1e-4). What the rounding costs
against the float32 model is measured in tests/test_export_browser.py."""

import numpy as np
import pytest
import torch

from vae_core.data import load_holdout_binary

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("one_cpu_thread")]


def call_async(page, function: str, rows: list, options: dict | None = None) -> list:
    return page.evaluate(
        """async ([fn, rows, options]) => {
             const m = await import(new URL("app/static/live/model.js", window.location.href).href);
             return await m[fn](rows, options);
           }""",
        [function, rows, options or {}],
    )


def test_decoder_matches_torch(light_page, browser_model):
    page = light_page
    z = np.random.default_rng(5).uniform(-4, 4, (200, 2))
    js = np.array(call_async(page, "decodeMany", z.tolist()))
    with torch.no_grad():
        expected = torch.sigmoid(browser_model.decode(torch.tensor(z, dtype=torch.float32))).numpy()
    assert js.shape == (200, 784)
    np.testing.assert_allclose(js, expected, atol=1e-5, rtol=0)
    decoder_only = np.array(call_async(page, "decodeMany", z[:20].tolist(), {"encoder": False}))
    np.testing.assert_array_equal(decoder_only, js[:20])


def test_encoder_matches_torch_on_every_holdout_digit(light_page, browser_model):
    page = light_page
    x = load_holdout_binary().astype(np.float32)
    js = call_async(page, "encodeMany", x.tolist())
    mu_js = np.array([row[0] for row in js])
    logvar_js = np.array([row[1] for row in js])
    with torch.no_grad():
        mu, logvar = browser_model.encode(torch.from_numpy(x))
    np.testing.assert_allclose(mu_js, mu.numpy(), atol=1e-4, rtol=0)
    np.testing.assert_allclose(logvar_js, logvar.numpy(), atol=1e-4, rtol=0)
