"""Digit images for the page: upscaled on the server (browsers blur small images), tiled, and encoded
as lossless PNG (Streamlit would send arrays without alpha as lossy JPEG)."""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

from vae_core.data import IMAGE_SIDE


def data_uri(image: np.ndarray) -> str:
    """A small image inline as a PNG data URI: it arrives with the rerun's message, so the browser
    shows it without a second request (media files cost a round trip per slider move)."""
    return "data:image/png;base64," + base64.b64encode(png(image)).decode("ascii")


def png(image: np.ndarray) -> bytes:
    """uint8 grey (H, W) or RGB (H, W, 3) → PNG bytes (lossless; identical bytes keep the browser's copy)."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def upscale(image: np.ndarray, factor: int) -> np.ndarray:
    """A 28 × 28 image (flattened or not, values in [0, 1]) -> uint8 (28f, 28f), nearest neighbour.

    Browsers blur small images when they scale them; upscaling on the server keeps pixels sharp.
    """
    square = np.asarray(image, dtype=np.float64).reshape(IMAGE_SIDE, IMAGE_SIDE)
    return np.kron(np.rint(255 * square).astype(np.uint8), np.ones((factor, factor), dtype=np.uint8))


def mosaic(images: np.ndarray, gap: int = 2, background: float = 1.0) -> np.ndarray:
    """Tile images (R, C, 784) into one float array (R·28 + (R−1)·gap, C·28 + (C−1)·gap)."""
    rows, cols = images.shape[:2]
    step = IMAGE_SIDE + gap
    out = np.full((rows * step - gap, cols * step - gap), background, dtype=np.float32)
    for r in range(rows):
        for c in range(cols):
            out[r * step : r * step + IMAGE_SIDE, c * step : c * step + IMAGE_SIDE] = images[r, c].reshape(
                IMAGE_SIDE, IMAGE_SIDE
            )
    return out
