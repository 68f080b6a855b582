"""The latent explorer through AppTest: a shared link reproduces the view, the settled draw is the
decoder's at the released z, buttons and clicks on the pad move z and the ledger, the live views get
small data (no weights), and every number on the ledger equals vae_core computed independently here.

AppTest cannot drive the live pad (a browser component): a finished drag's outcome is seeded by
setting the page's URL-state session keys, as the pad's release callback does
(tests/browser/test_live_latent.py drives the real pad in Chromium)."""

import base64
import io
import json
import re

import numpy as np
import plotly.graph_objects as go
import pytest
import torch
from PIL import Image

from tests.apptest import assert_clean, metric_value, open_page, rendered
from ui.i18n import catalogue

PAGE = "views/latent.py"
EN, ZH = catalogue("en"), catalogue("zh")
SAMPLE_ZOOM = 3  # the server's binary draw x ~ p_θ(x|z) is shown at 28 × 3 pixels


@pytest.fixture(scope="module")
def holdout():
    from vae_core.data import load_digits, load_holdout_binary

    return load_holdout_binary(), load_digits("holdout")[1]


def data_uri_images(at) -> list[np.ndarray]:
    """The page's inline (data-URI) images, decoded to arrays, in page order."""
    out = []
    for element in at.get("image"):
        for url in element.value:
            if url.startswith("data:image/png;base64,"):
                out.append(np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))))
    return out


def settled_sample(at) -> np.ndarray:
    small = [image for image in data_uri_images(at) if image.shape == (28 * SAMPLE_ZOOM, 28 * SAMPLE_ZOOM)]
    assert len(small) == 1, [image.shape for image in data_uri_images(at)]
    return small[0]


def expected_sample(model, z1: float, z2: float, seed: int = 0) -> np.ndarray:
    """The decoder called directly (sigmoid of its logits), one seeded Bernoulli draw, upscaled."""
    from vae_core.latent import bernoulli_sample

    with torch.no_grad():
        means = torch.sigmoid(model.decode(torch.tensor([[z1, z2]], dtype=torch.float32)))[0].numpy()
    draw = 255 * bernoulli_sample(means, seed).reshape(28, 28)  # ink white, as upscale() writes it
    return np.repeat(np.repeat(draw, SAMPLE_ZOOM, axis=0), SAMPLE_ZOOM, axis=1)


def latent_components(at) -> list:
    return [e for e in at.get("bidi_component") if e.proto.component_name == "live_latent"]


def live_data(at) -> dict[str, dict]:
    """The live views' data as the browser receives it, by element key suffix (pad, path)."""
    out = {}
    for element in latent_components(at):
        data = json.loads(element.proto.json)
        data = data[0] if isinstance(data, list) else data  # ui.live.mount wraps it (no pandas)
        out[data["mode"]] = data
    return out


def texts(at) -> str:
    """Markdown, captions and image captions, one per line."""
    image_captions = [c for element in at.get("image") for c in element.captions]
    return "\n".join([*(m.value for m in [*at.markdown, *at.caption]), *image_captions])


def test_shared_link_reproduces_the_view_in_chinese(model, holdout):
    from vae_core import latent

    at = open_page(PAGE, "zh", z1="1.5", z2="-0.5", idx="7")
    assert_clean(at)
    assert at.title[0].value == ZH["latent.title"]
    params = {k: at.query_params[k] for k in ("z1", "z2", "idx", "lang")}
    assert params == {"z1": "1.5", "z2": "-0.5", "idx": "7", "lang": "zh"}
    assert (at.session_state["latent_z1"], at.session_state["latent_z2"]) == (1.5, -0.5)
    assert live_data(at)["pad"]["values"] == {"z1": 1.5, "z2": -0.5}  # the pad starts from the link's z
    np.testing.assert_array_equal(settled_sample(at), expected_sample(model, 1.5, -0.5))
    # the ledger of digit 7, each number recomputed here from vae_core
    x = holdout[0][7]
    post = latent.digit_posterior(model, x)
    elbo = latent.elbo_estimate(model, x, 100, 0)
    imp = latent.importance_estimate(model, x, 5000, 0)
    assert metric_value(at, "log p(x)") == pytest.approx(post.log_px, abs=1e-4)
    assert metric_value(at, "KL(q‖p(z))") == pytest.approx(elbo.kl, abs=1e-4)
    assert metric_value(at, ZH["common.recon_metric"]) == pytest.approx(elbo.recon, abs=1e-4)
    assert metric_value(at, "ELBO") == pytest.approx(elbo.recon - elbo.kl, abs=1e-4)
    assert metric_value(at, "KL(q‖p(z|x))") == pytest.approx(post.kl_posterior, abs=1e-4)
    assert metric_value(at, "log p̂(x), k = 5000") == pytest.approx(imp.log_px, abs=1e-4)  # zh: no separator
    assert metric_value(at, "ELBO") <= metric_value(at, "log p(x)")


def test_a_released_z_updates_the_url_and_the_server_views(model):
    from vae_core.latent import log_prior_density, manifold_cell

    at = open_page(PAGE, "en")
    assert_clean(at)
    np.testing.assert_array_equal(settled_sample(at), expected_sample(model, 0.0, 0.0))
    # What a finished drag on the pad does (its release callback sets the page state).
    at.session_state["latent_z1"] = -2.37
    at.session_state["latent_z2"] = 3.99
    at.run()
    assert_clean(at)
    assert (at.query_params["z1"], at.query_params["z2"]) == ("-2.37", "3.99")
    np.testing.assert_array_equal(settled_sample(at), expected_sample(model, -2.37, 3.99))
    assert f"**z = (-2.37, 3.99)** · log p(z) = {log_prior_density((-2.37, 3.99)):.2f} nats" in texts(at)
    row, col = manifold_cell((-2.37, 3.99), 15)
    assert EN["latent.manifold_cell"].format(row=row + 1, col=col + 1, n=15) in texts(at)
    assert live_data(at)["pad"]["values"] == {"z1": -2.37, "z2": 3.99}


def test_sample_from_the_prior_is_seeded_and_sets_the_sliders(model):
    at = open_page(PAGE, "en")
    next(b for b in at.button if b.label == EN["latent.sample_prior"]).click().run()
    assert_clean(at)
    z = np.round(np.random.default_rng(1).standard_normal(2), 2)
    assert at.query_params["draw"] == "1"
    assert (at.session_state["latent_z1"], at.session_state["latent_z2"]) == (z[0], z[1])
    assert live_data(at)["pad"]["values"] == {"z1": z[0], "z2": z[1]}  # the pad's star follows
    np.testing.assert_array_equal(settled_sample(at), expected_sample(model, z[0], z[1]))
    assert EN["latent.draw_caption"].format(draw=1) in texts(at)


def test_a_clicked_digit_goes_to_the_ledger_and_the_interpolation(holdout):
    """AppTest cannot click the pad; the release callback's outcome is seeded instead."""
    at = open_page(PAGE, "en")
    at.session_state["latent_clicked"] = 250
    at.run()
    assert EN["latent.clicked"].format(idx=250, label=holdout[1][250]) in texts(at)
    next(b for b in at.button if b.label == EN["latent.to_ledger"]).click().run()
    assert_clean(at)
    assert at.query_params["idx"] == "250"
    assert EN["latent.ledger_x"].format(idx=250, label=holdout[1][250]) in texts(at)
    next(b for b in at.button if b.label == EN["latent.to_from"]).click().run()
    assert at.query_params["from"] == "250"


def test_manifold_frame_follows_z_and_grid_size():
    from vae_core.latent import manifold_cell

    at = open_page(PAGE, "en", z1="0.8", z2="-1.3", n="30")
    assert_clean(at)
    assert at.query_params["n"] == "30"
    row, col = manifold_cell((0.8, -1.3), 30)
    assert EN["latent.manifold_cell"].format(row=row + 1, col=col + 1, n=30) in texts(at)
    at.slider(key="latent_n").set_value(5).run()
    row, col = manifold_cell((0.8, -1.3), 5)
    assert EN["latent.manifold_cell"].format(row=row + 1, col=col + 1, n=5) in texts(at)
    assert at.query_params["n"] == "5"


def test_interpolation_ends_and_swap(holdout):
    labels = holdout[1]
    at = open_page(PAGE, "en", **{"from": "50", "to": "450"})
    assert_clean(at)
    caption = EN["latent.interp_caption"].format(start=50, a=labels[50], end=450, b=labels[450], frames=10)
    assert caption in texts(at)
    classes = re.search(r"at each frame: ([\d →]+)\.", texts(at)).group(1).split(" → ")
    assert classes[0] == str(labels[50]) and classes[-1] == str(labels[450]) and len(classes) == 10
    next(b for b in at.button if b.label == EN["latent.interp_swap"]).click().run()
    assert (at.query_params["from"], at.query_params["to"]) == ("450", "50")


def test_ledger_controls_drive_the_estimates(model, holdout):
    from vae_core import latent

    at = open_page(PAGE, "en", idx="118", L="10", k="10", seed="42")
    assert_clean(at)
    x = holdout[0][118]
    elbo = latent.elbo_estimate(model, x, 10, 42)
    imp = latent.importance_estimate(model, x, 10, 42)
    assert metric_value(at, "log p(x|z) (recon)") == pytest.approx(elbo.recon, abs=1e-4)
    assert metric_value(at, "log p̂(x), k = 10") == pytest.approx(imp.log_px, abs=1e-4)
    at.select_slider(key="latent_k").set_value(1000).run()
    assert metric_value(at, "log p̂(x), k = 1,000") == pytest.approx(
        latent.importance_estimate(model, x, 1000, 42).log_px, abs=1e-4
    )
    assert at.query_params["k"] == "1000"
    post = latent.digit_posterior(model, x)
    assert metric_value(at, "ELBO") < metric_value(at, "log p(x)") == pytest.approx(post.log_px, abs=1e-4)


def test_figures_are_valid_and_the_live_views_get_small_data(model):
    """The page builds figures from plain dicts without validation; validate them once here. The live
    views get indices, a box and strings — the weights and codes are static files, not rerun data."""
    at = open_page(PAGE, "en", idx="7", **{"from": "50", "to": "450"})
    charts = at.get("plotly_chart")
    assert len(charts) == 2
    for chart in charts:
        go.Figure(json.loads(chart.proto.spec))  # raises on an invalid property
    assert not at.get("vega_lite_chart")  # the map is drawn in the browser now
    views = live_data(at)
    assert set(views) == {"pad", "path"}
    assert views["pad"]["marks"]["idx"] == 7 and views["path"]["path"] == {"from": 50, "to": 450}
    assert views["pad"]["ranges"]["z1"] == {"lo": -4.0, "hi": 4.0, "step": 0.01}
    for element in latent_components(at):
        assert len(element.proto.json) < 4000, len(element.proto.json)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_live_views_speak_the_page_language(lang):
    cat = catalogue(lang)
    at = open_page(PAGE, lang, **{"from": "50", "to": "450"})
    views = live_data(at)
    assert views["pad"]["text"]["pad_aria"] == cat["live_latent.pad_aria"]
    assert views["path"]["text"]["path_aria"] == cat["live_latent.path_aria"].format(start=50, end=450)
    assert cat["live_latent.map_intro"] in texts(at)


def test_model_card_numbers_are_shown():
    from vae_core.checkpoint import load_model_card

    card = load_model_card()
    at = rendered(PAGE, "en")
    about = texts(at)
    assert f"{card['holdout']['neg_elbo']['mean']:.2f}" in about
    assert f"{card['holdout']['neg_log_px_grid']['mean']:.2f}" in about
    assert "`cpu`" in about  # the device the model runs on


def test_missing_digits_file_gives_a_plain_message(monkeypatch, tmp_path):
    import streamlit as st

    from vae_core import data

    monkeypatch.setattr(data, "DIGITS_PATH", tmp_path / "digits.npz")
    st.cache_data.clear()  # the holdout digits may be cached from an earlier test
    try:
        at = open_page(PAGE, "en")
        assert_clean(at)
        assert [e.value for e in at.error] == [EN["latent.no_data"]]
        assert str(tmp_path) in " ".join(c.value for c in at.code)
        assert not at.metric
    finally:
        st.cache_data.clear()
