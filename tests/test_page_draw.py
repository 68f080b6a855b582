"""The drawing page through AppTest: the starter digit's exact ledger, `draw=` links (good and
garbled), and the upload messages."""

import pytest

from tests.apptest import assert_clean, metric_value, open_page, rendered
from ui.draw_data import MAX_UPLOAD_MB
from vae_core.preprocess import binarize, pack, preprocess_strokes, starter_packed, unpack

pytestmark = pytest.mark.usefixtures("one_cpu_thread")
PAGE = "views/draw.py"
SEVEN = [[[0.25, 0.22], [0.72, 0.22], [0.42, 0.82]]]


def ledger(at) -> dict[str, float]:
    return {
        label: metric_value(at, label)
        for label in ("log p(x)", "ELBO", "KL(q‖p(z|x))", "E_q[log p(x|z)]", "KL(q‖p(z))")
    }


def test_starter_digit_ledger_obeys_the_bound():
    at = rendered(PAGE, "en")
    assert_clean(at)
    assert at.query_params["draw"] == starter_packed()
    numbers = ledger(at)
    assert numbers["ELBO"] <= numbers["log p(x)"]
    assert numbers["log p(x)"] - numbers["ELBO"] == pytest.approx(numbers["KL(q‖p(z|x))"], abs=2e-3)
    assert numbers["ELBO"] == pytest.approx(numbers["E_q[log p(x|z)]"] - numbers["KL(q‖p(z))"], abs=2e-4)
    assert any("≤" in s.value for s in at.success)


def test_draw_link_gives_that_digits_numbers(model):
    from vae_core import latent

    packed = pack(binarize(preprocess_strokes(SEVEN)))
    at = open_page(PAGE, "zh", draw=packed)
    assert_clean(at)
    assert not at.warning
    assert at.query_params["draw"] == packed
    post = latent.digit_posterior(model, unpack(packed))
    assert metric_value(at, "log p(x)") == pytest.approx(post.log_px, abs=1e-4)
    assert metric_value(at, "KL(q‖p(z|x))") == pytest.approx(post.kl_posterior, abs=1e-4)


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("abc", "131 characters"),
        ("A" * 130 + "*", "base64url"),
        ("A" * 131, "empty drawing"),
        (starter_packed()[:-1], "131 characters"),
    ],
)
def test_garbled_link_warns_and_shows_the_starter(raw, words):
    at = open_page(PAGE, "en", draw=raw)
    assert_clean(at)
    assert any(words in w.value for w in at.warning), [w.value for w in at.warning]
    assert at.query_params["draw"] == starter_packed()
    assert metric_value(at, "ELBO") <= metric_value(at, "log p(x)")


@pytest.mark.parametrize(
    ("reason", "kind"),
    [("ok", "success"), ("empty", "error"), ("large", "error"), ("not_image", "error"), ("animated", "error")],
)
def test_upload_messages(reason, kind):
    at = open_page(PAGE, "en")
    at.session_state["draw_upload_message"] = (reason, "my `digit`.png")
    at.run()
    assert_clean(at)
    texts = [e.value for e in getattr(at, kind)]
    assert any("my 'digit'.png" in text for text in texts), texts
    if reason == "large":
        assert any(f"{MAX_UPLOAD_MB} MB" in text for text in texts)
