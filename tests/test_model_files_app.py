"""Reliability of the shared model: damaged weight files give a plain message on the pages
that use the model and leave every other page alone; the one cached model serves concurrent
sessions exactly as it serves one.

The shipped files are never touched: each test copies them to a temporary folder, damages the
copy, and points vae_core.checkpoint.MODEL_DIR at it.
"""

import json
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import streamlit as st

from tests.apptest import assert_clean, open_page
from ui.i18n import catalogue
from ui.registry import HOME, built_pages
from vae_core import checkpoint

EN = catalogue("en")


def _damage(folder, kind: str) -> None:
    weights, card_path = folder / checkpoint.WEIGHTS_NAME, folder / checkpoint.CARD_NAME
    card = json.loads(card_path.read_text(encoding="utf-8"))
    if kind == "missing weights":
        weights.unlink()
    elif kind == "truncated weights":
        data = weights.read_bytes()
        weights.write_bytes(data[: len(data) // 2])
    elif kind == "wrong checksum":
        card["weights_sha256"] = "0" * 64
        card_path.write_text(json.dumps(card), encoding="utf-8")
    elif kind == "missing card":
        card_path.unlink()
    elif kind == "corrupt card":
        card_path.write_text('{"weights_sha256": ', encoding="utf-8")
    elif kind == "garbage with a matching checksum":
        weights.write_bytes(b"not a torch checkpoint" * 100)
        card["weights_sha256"] = checkpoint.file_sha256(weights)
        card_path.write_text(json.dumps(card), encoding="utf-8")
    else:
        raise ValueError(kind)


@pytest.fixture
def damaged(monkeypatch, tmp_path):
    """A function kind -> folder: a damaged copy of the shipped model, made the app's MODEL_DIR."""
    if not (checkpoint.MODEL_DIR / checkpoint.WEIGHTS_NAME).is_file():
        pytest.skip("the shipped model files are not in this checkout")

    def make(kind: str):
        folder = tmp_path / "model"
        shutil.copytree(checkpoint.MODEL_DIR, folder)
        _damage(folder, kind)
        monkeypatch.setattr(checkpoint, "MODEL_DIR", folder)
        st.cache_resource.clear()
        return folder

    yield make
    st.cache_resource.clear()


KINDS = [
    "missing weights",
    "truncated weights",
    "wrong checksum",
    "missing card",
    "corrupt card",
    "garbage with a matching checksum",
]


@pytest.mark.parametrize("kind", KINDS)
def test_damaged_files_give_a_plain_message_on_the_latent_page(damaged, kind):
    folder = damaged(kind)
    at = open_page("views/latent.py", "en")
    assert_clean(at)
    assert at.title[0].value == EN["latent.title"]
    assert [e.value for e in at.error] == [EN["common.model_missing"]]
    details = " ".join(c.value for c in at.code)
    assert str(folder) in details and "git checkout -- assets/model" in details  # says where, and how to restore
    assert not at.metric and not at.slider  # nothing half-drawn


@pytest.mark.parametrize("kind", ["truncated weights", "missing card", "garbage with a matching checksum"])
def test_damaged_files_leave_the_rest_of_the_reparameterization_page_working(damaged, kind):
    damaged(kind)
    at = open_page("views/reparameterization.py", "en")
    assert_clean(at)
    assert any(e.value == EN["common.model_missing"] for e in at.error)
    assert any(m.label == "∂E_q[f]/∂μ" for m in at.metric)  # the toy sections still compute


def test_damaged_files_give_a_plain_message_on_the_drawing_page(damaged):
    damaged("truncated weights")
    at = open_page("views/draw.py", "en")
    assert_clean(at)
    assert any(e.value == EN["common.model_missing"] for e in at.error)


@pytest.mark.parametrize("page", [p for p in built_pages() if p.uses_model], ids=lambda p: p.slug)
def test_every_model_page_says_plainly_that_the_model_is_missing(damaged, page):
    damaged("truncated weights")
    at = open_page(page.file, "en")
    assert_clean(at)
    assert any(e.value == EN["common.model_missing"] for e in at.error)


@pytest.mark.parametrize("page", [HOME, *(p for p in built_pages() if not p.uses_model)], ids=lambda p: p.slug)
def test_other_pages_do_not_notice_a_damaged_model(damaged, page):
    damaged("truncated weights")
    at = open_page(page.file, "en")
    assert_clean(at)
    assert not at.error


def test_restored_files_work_again(damaged, monkeypatch):
    shipped = checkpoint.MODEL_DIR
    damaged("wrong checksum")
    assert any(e.value == EN["common.model_missing"] for e in open_page("views/latent.py", "en").error)
    monkeypatch.setattr(checkpoint, "MODEL_DIR", shipped)
    at = open_page("views/latent.py", "en")
    assert_clean(at)
    assert not at.error and at.metric


def test_one_cached_model_serves_concurrent_sessions_like_one(monkeypatch):
    """Eight sessions ask for the model at once: it loads once, every session gets the same object,
    and inference from eight threads at once equals inference one call at a time."""
    from ui import model as ui_model
    from vae_core import latent

    if not (checkpoint.MODEL_DIR / checkpoint.WEIGHTS_NAME).is_file():
        pytest.skip("the shipped model files are not in this checkout")
    st.cache_resource.clear()
    loads = []
    real_load = checkpoint.load_numpy_checkpoint

    def counting_load(*args, **kwargs):
        loads.append(threading.get_ident())
        return real_load(*args, **kwargs)

    monkeypatch.setattr(checkpoint, "load_numpy_checkpoint", counting_load)
    sha = checkpoint.load_model_card()["weights_sha256"]
    start = threading.Barrier(8)

    def session(i: int):
        start.wait()
        model = ui_model._load(str(checkpoint.MODEL_DIR), sha)
        rng = np.random.default_rng(i)
        z = rng.uniform(-4, 4, size=(64, 2))
        x = (rng.random((16, 784)) < 0.3).astype(np.float32)
        return (
            model,
            latent.decode_means(model, z),
            latent.encode(model, x)[0],
            latent.importance_estimate(model, x[0], 200, seed=i).log_px,
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(session, range(8)))
    assert len(loads) == 1
    model = results[0][0]
    assert all(r[0] is model for r in results)
    assert all(not array.flags.writeable for array in model.state.values())  # no session can change it
    for i, (_, means, mu, log_px) in enumerate(results):
        rng = np.random.default_rng(i)
        z = rng.uniform(-4, 4, size=(64, 2))
        x = (rng.random((16, 784)) < 0.3).astype(np.float32)
        np.testing.assert_allclose(means, latent.decode_means(model, z), rtol=0, atol=1e-6)
        np.testing.assert_allclose(mu, latent.encode(model, x)[0], rtol=0, atol=1e-6)
        assert log_px == pytest.approx(latent.importance_estimate(model, x[0], 200, seed=i).log_px, abs=1e-4)
    st.cache_resource.clear()
