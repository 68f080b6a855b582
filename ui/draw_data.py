"""The drawing page's data side (views/draw.py lays it out): the `draw=` URL parameter
(:data:`STATE`, also used by the lesson),
uploaded pictures → the same MNIST-style preprocessing as the pad, and the cached exact ledger
of one drawn digit (vae_core.latent on the packed 28 × 28 binary image)."""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import streamlit as st
from PIL import Image, ImageOps, UnidentifiedImageError

from ui.state import UrlState
from vae_core import latent
from vae_core.preprocess import RASTER, DrawFormatError, binarize, pack, starter_packed, to_mnist, unpack

MAX_UPLOAD_MB = 2
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024
MAX_PIXELS = 40_000_000  # a small file may still declare a huge canvas: refuse before decoding it
UPLOAD_FORMATS = ("PNG", "JPEG")
INK_FLOOR = 0.2  # after background removal, fainter grey counts as paper, not ink
IS_SAMPLES, IS_SEED, MC_SAMPLES = 300, 0, 100  # q's draws in the zoom; the check's Monte Carlo recon term


@dataclass(frozen=True)
class DrawParam:
    """The `draw=` URL parameter: a drawn digit as 131 base64url characters (ui.state.UrlState
    calls ``parse`` and ``fmt``; the value kept in session state is the canonical string)."""

    name: str = "draw"
    default: str = starter_packed()

    def parse(self, raw: str) -> tuple[str, str | None]:
        try:
            return pack(unpack(raw.strip())), None
        except DrawFormatError as err:
            return self.default, f"draw.url_{err.reason}"

    def fmt(self, value: str) -> str:
        return value


STATE = UrlState("draw", DrawParam())


def bits(packed: str) -> np.ndarray:
    """The packed digit → uint8 (784,) of 0/1 (the value was validated when it was stored)."""
    return unpack(packed)


# --- uploads ------------------------------------------------------------------------------------
class UploadError(ValueError):
    """An upload that cannot become a digit; ``reason`` names the message (``draw.upload_<reason>``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def upload_to_grey(data: bytes) -> np.ndarray:
    """A PNG/JPEG file's bytes → the pad's preprocessing → grey float64 (28, 28).

    Transparent pixels count as white paper; a picture whose border is brighter than its middle is
    dark ink on light paper and is inverted, so the ink is bright as in MNIST; the paper's level is
    subtracted and the ink stretched to [0, 1]. Raises :class:`UploadError` ("large", "not_image",
    "format", "animated", "pixels", "empty").
    """
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadError("large")
    try:
        image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError, ValueError) as err:
        raise UploadError("not_image") from err
    if image.format not in UPLOAD_FORMATS:
        raise UploadError("format")
    if getattr(image, "is_animated", False) or getattr(image, "n_frames", 1) > 1:
        raise UploadError("animated")
    if image.width * image.height > MAX_PIXELS:
        raise UploadError("pixels")
    try:
        image = ImageOps.exif_transpose(image)
        if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
            rgba = image.convert("RGBA")
            paper = Image.new("RGBA", rgba.size, "white")
            image = Image.alpha_composite(paper, rgba)
        image = image.convert("L")
        image.thumbnail((RASTER, RASTER), Image.Resampling.BOX)
    except (OSError, ValueError, Image.DecompressionBombError) as err:
        raise UploadError("not_image") from err
    grey = np.asarray(image, dtype=np.float64) / 255.0
    return to_mnist(ink_from_grey(grey))


def ink_from_grey(grey: np.ndarray) -> np.ndarray:
    """A grey picture (H, W) in [0, 1] → ink in [0, 1]: bright ink on dark paper, paper at 0.
    Raises :class:`UploadError` ("empty") when nothing stands out from the paper."""
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    if np.median(border) > 0.5:  # light paper, dark ink: invert
        grey, border = 1.0 - grey, 1.0 - border
    paper = float(np.median(border))
    contrast = float(grey.max()) - paper
    if contrast < INK_FLOOR:
        raise UploadError("empty")
    ink = np.clip((grey - paper) / contrast, 0.0, 1.0)
    ink[ink < INK_FLOOR] = 0.0
    return ink


def read_upload(data: bytes) -> str:
    """An uploaded file → the packed binary digit; raises :class:`UploadError`."""
    digit = binarize(upload_to_grey(data))
    if not digit.any():
        raise UploadError("empty")
    return pack(digit)


# --- the ledger of one drawn digit (cached by the packed string) ----------------------------------
@st.cache_data(max_entries=16, show_spinner=False)  # ≤ 1 MB each (a 360² float64 grid)
def digit_posterior(_model, key, packed: str):
    return latent.digit_posterior(_model, bits(packed))


@st.cache_data(max_entries=16, show_spinner=False)
def digit_q(_model, key, packed: str) -> dict:
    """q_φ(z|x) = N(μ, diag σ²) of the server's float32 model for the digit — the ledger's numbers —
    for the pad to show at rest (the browser's encoder runs on rounded weights)."""
    mu, sd = latent.encode(_model, bits(packed)[None])
    return {"image": packed, "mu": mu[0].tolist(), "sd": sd[0].tolist()}


@st.cache_data(max_entries=16, show_spinner=False)
def digit_extras(_model, key, packed: str):
    """q's draws for the zoom (importance sampling, seed IS_SEED), the Monte Carlo recon term for
    the check, the reconstruction at μ and the zoom's window."""
    x = bits(packed)
    imp = latent.importance_estimate(_model, x, IS_SAMPLES, IS_SEED)
    elbo = latent.elbo_estimate(_model, x, MC_SAMPLES, IS_SEED)
    post = digit_posterior(_model, key, packed)
    return imp, elbo, latent.decode_means(_model, post.mu_q)[0], post.view_box()
