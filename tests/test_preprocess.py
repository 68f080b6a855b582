"""The drawing page's Python side: MNIST-style preprocessing (vae_core/preprocess.py), the `draw=`
format, and uploaded pictures (ui/draw_data.py). The JS mirror is held equal in
tests/browser/test_live_draw.py."""

import io
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from ui.draw_data import MAX_UPLOAD_BYTES, DrawParam, UploadError, read_upload, upload_to_grey
from vae_core.preprocess import (
    BOX,
    PACKED_CHARS,
    DrawFormatError,
    binarize,
    pack,
    preprocess_strokes,
    render,
    starter_packed,
    to_mnist,
    unpack,
)

STROKES = json.loads((Path(__file__).parent / "data" / "strokes.json").read_text())["cases"]


# --- the draw= format -----------------------------------------------------------------------------
# 784 pixels drawn as 98 random bytes (the same space of digits as 784 drawn booleans, which cost
# hypothesis ~16 s for 200 examples)
@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=98, max_size=98).filter(any))
def test_pack_round_trips(raw):
    bits = np.unpackbits(np.frombuffer(raw, dtype=np.uint8))
    assert bits.shape == (784,)
    text = pack(bits)
    assert len(text) == PACKED_CHARS == 131
    assert set(text) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    np.testing.assert_array_equal(unpack(text), bits)


def test_pack_matches_numpy_packbits_bit_order():
    bits = np.zeros(784, dtype=np.uint8)
    bits[[0, 9, 783]] = 1
    raw = np.packbits(bits).tobytes()
    assert raw[0] == 0x80 and raw[1] == 0x40 and raw[-1] == 0x01
    np.testing.assert_array_equal(unpack(pack(bits)), bits)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "length"),
        ("abc", "length"),
        ("A" * 130, "length"),
        ("A" * 132, "length"),
        ("A" * 130 + "=", "chars"),
        ("A" * 130 + "+", "chars"),
        ("<script>" + "A" * 123, "chars"),
        ("A" * 131, "empty"),
    ],
)
def test_unpack_rejects_garbage(raw, reason):
    with pytest.raises(DrawFormatError) as err:
        unpack(raw)
    assert err.value.reason == reason


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.text(max_size=200), st.text(alphabet="AQgw-_09", min_size=131, max_size=131)))
def test_any_url_value_gives_a_drawing(raw):
    """Whatever `draw=` holds, the page gets a drawing: the value itself when it is one (no
    message), else the starter digit with a message."""
    value, problem = DrawParam().parse(raw)
    assert len(value) == 131 and unpack(value).any()
    try:
        expected = pack(unpack(raw.strip()))
    except DrawFormatError as err:
        assert (value, problem) == (starter_packed(), f"draw.url_{err.reason}")
    else:
        assert (value, problem) == (expected, None)


# --- preprocessing ---------------------------------------------------------------------------------
@pytest.mark.parametrize("case", STROKES, ids=lambda c: c["name"])
def test_preprocessing_is_mnist_like(case):
    base = unpack(case["base"]) if case.get("base") else None
    grey = preprocess_strokes(case["strokes"], base)
    assert grey.shape == (28, 28) and grey.min() >= 0 and grey.max() <= 1 and grey.max() > 0.5
    rows, cols = np.flatnonzero(grey.max(axis=1) > 0), np.flatnonzero(grey.max(axis=0) > 0)
    height, width = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
    assert max(height, width) <= BOX + 1 and max(height, width) >= BOX - 1  # the long side fits 20
    centre = np.arange(28) + 0.5
    com = (grey.sum(axis=1) @ centre / grey.sum(), grey.sum(axis=0) @ centre / grey.sum())
    assert all(abs(c - 14) <= 0.5 + 1e-9 for c in com) or case["name"] == "tap"


def test_position_does_not_matter():
    """The same strokes drawn in the middle or in a corner give the same digit (crop + centring)."""
    middle = [[[0.3, 0.2], [0.7, 0.2], [0.45, 0.85]]]
    corner = [[[x - 0.25, y + 0.125] for x, y in middle[0]]]
    a, b = binarize(preprocess_strokes(middle)), binarize(preprocess_strokes(corner))
    assert np.mean(a != b) < 0.01


def test_empty_pad_is_all_zeros():
    assert not to_mnist(render([])).any()


def test_starter_digit_is_a_drawing():
    assert unpack(starter_packed()).sum() > 50


# --- uploads -----------------------------------------------------------------------------------------
def _png(array, mode="L", **save) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array, mode=mode).save(buffer, format=save.pop("format", "PNG"), **save)
    return buffer.getvalue()


def _paper_digit(dark_on_light=True, size=(300, 240)) -> np.ndarray:
    """A thick '1' on paper: dark ink on light (a scan) or light on dark (like MNIST)."""
    image = np.full(size, 235 if dark_on_light else 20, dtype=np.uint8)
    image[40:260, 110:135] = 25 if dark_on_light else 240
    return image


@pytest.mark.parametrize("dark_on_light", [True, False])
def test_upload_inverts_dark_on_light_and_centres(dark_on_light):
    grey = upload_to_grey(_png(_paper_digit(dark_on_light)))
    assert grey.shape == (28, 28)
    assert grey[4:24, 13:15].mean() > 0.95 and grey[:, :8].max() == 0  # a bright vertical bar, centred
    assert grey.sum(axis=0) @ (np.arange(28) + 0.5) / grey.sum() == pytest.approx(14, abs=0.6)


def test_upload_jpeg_and_transparent_png():
    rgb = np.stack([_paper_digit()] * 3, axis=-1)
    assert unpack(read_upload(_png(rgb, mode="RGB", format="JPEG", quality=80))).sum() > 30
    rgba = np.zeros((100, 100, 4), dtype=np.uint8)  # transparent paper, black ink
    rgba[20:80, 45:55] = (0, 0, 0, 255)
    assert unpack(read_upload(_png(rgba, mode="RGBA"))).sum() > 30


def test_upload_same_as_drawing():
    """A drawing rendered to a PNG and uploaded gives the pad's digit (both share to_mnist)."""
    case = STROKES[0]
    raster = np.rint(255 * render(case["strokes"])).astype(np.uint8)
    drawn = binarize(preprocess_strokes(case["strokes"]))
    uploaded = unpack(read_upload(_png(raster)))
    assert np.mean(drawn != uploaded) < 0.02


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "not_image"),
        (b"this is not an image at all", "not_image"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "not_image"),  # a PNG signature and nothing after it
        (b"0" * (MAX_UPLOAD_BYTES + 1), "large"),
        (_png(np.full((50, 50), 255, dtype=np.uint8)), "empty"),  # all white
        (_png(np.zeros((50, 50), dtype=np.uint8)), "empty"),  # all black
        (_png(np.full((50, 50), 128, dtype=np.uint8), format="GIF"), "format"),
        (_png(np.full((50, 50), 128, dtype=np.uint8), format="BMP"), "format"),
    ],
)
def test_bad_uploads_get_a_reason(data, reason):
    with pytest.raises(UploadError) as err:
        read_upload(data)
    assert err.value.reason == reason


def test_animated_png_is_refused():
    frames = [Image.fromarray(_paper_digit(True)), Image.fromarray(_paper_digit(False))]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="PNG", save_all=True, append_images=frames[1:])
    with pytest.raises(UploadError) as err:
        read_upload(buffer.getvalue())
    assert err.value.reason == "animated"


def test_huge_canvas_is_refused_before_decoding():
    buffer = io.BytesIO()
    Image.new("1", (8000, 8000)).save(buffer, format="PNG")  # tiny file, 64 M pixels
    assert len(buffer.getvalue()) < MAX_UPLOAD_BYTES
    with pytest.raises(UploadError) as err:
        read_upload(buffer.getvalue())
    assert err.value.reason == "pixels"
