"""MNIST-style preprocessing of a hand-drawn digit, and the `draw=` URL format.

The reference for static/live/preprocess.js: the browser runs the same steps at every frame
while you draw, and a browser test holds both equal on recorded strokes (tests/data/strokes.json).

1. **Render** the strokes (polylines in pad coordinates [0, 1]², x right, y down) on a
   ``RASTER`` × ``RASTER`` grey raster with a round brush of radius ``BRUSH`` raster pixels and a
   one-pixel anti-aliased edge: a pixel's ink is clip(BRUSH + ½ − d, 0, 1), d the distance from
   its centre to the nearest stroke. A starting picture (``base``, a 28 × 28 binary image) is
   rendered first as blocks of RASTER/28 pixels.
2. **Crop** the inked bounding box and **scale** it to fit 20 × 20, keeping its aspect ratio:
   the box's longer side becomes 20 pixels, each output pixel the exact area average of the
   raster under it (anti-aliased grey, like MNIST's).
3. **Centre**: place the 20 × 20 box in 28 × 28 and move it by whole pixels so that its centre
   of mass lands on the centre (14, 14), as far as the 4-pixel margin allows.
4. **Binarize** for the model, whose likelihood is Bernoulli on binary pixels: ink ≥ ½ → 1
   (``THRESHOLD``, one fixed rule, so a drawing has one set of numbers).

`draw=` holds the 784 bits packed MSB-first (``np.packbits``, as the holdout in the data file),
98 bytes, base64url without padding: 131 characters.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Sequence

import numpy as np

from vae_core.data import IMAGE_SIDE, N_PIXELS

RASTER = 280  # side of the drawing raster, pixels (10 per output pixel)
BRUSH = 11.0  # brush radius on the raster: ~2–3 MNIST pixels wide for a digit drawn ~200 px tall
BOX = 20  # the digit's bounding box is scaled to fit BOX × BOX (MNIST)
MARGIN = (IMAGE_SIDE - BOX) // 2  # 4: how far the centre-of-mass shift may move the box
THRESHOLD = 0.5  # binarization: grey ≥ THRESHOLD is ink
PACKED_BYTES = N_PIXELS // 8  # 98
PACKED_CHARS = math.ceil(PACKED_BYTES * 4 / 3)  # 131 base64url characters, no padding
_BASE64URL = re.compile(r"^[A-Za-z0-9_-]*$")

Stroke = Sequence[Sequence[float]]  # [[x, y], …] in [0, 1]², y down


# --- 1. render ----------------------------------------------------------------------------------
def _segment(raster: np.ndarray, ax: float, ay: float, bx: float, by: float) -> None:
    """Ink the round-brush segment a→b (raster pixels) into ``raster`` (max). The operations and
    their order are those of preprocess.js, so both give the same float64 values."""
    reach = BRUSH + 1.0
    x0, x1 = max(0, math.floor(min(ax, bx) - reach)), min(RASTER, math.ceil(max(ax, bx) + reach))
    y0, y1 = max(0, math.floor(min(ay, by) - reach)), min(RASTER, math.ceil(max(ay, by) + reach))
    if x0 >= x1 or y0 >= y1:
        return
    px = np.arange(x0, x1, dtype=np.float64)[None, :] + 0.5
    py = np.arange(y0, y1, dtype=np.float64)[:, None] + 0.5
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    t = np.clip(((px - ax) * dx + (py - ay) * dy) / length2, 0.0, 1.0) if length2 > 0 else np.zeros((1, 1))
    ex, ey = px - (ax + t * dx), py - (ay + t * dy)
    ink = np.clip(BRUSH + 0.5 - np.sqrt(ex * ex + ey * ey), 0.0, 1.0)
    np.maximum(raster[y0:y1, x0:x1], ink, out=raster[y0:y1, x0:x1])


def render(strokes: Sequence[Stroke], base: np.ndarray | None = None) -> np.ndarray:
    """Strokes (and an optional 28 × 28 binary starting picture) → float64 (RASTER, RASTER) ink in [0, 1]."""
    raster = np.zeros((RASTER, RASTER))
    if base is not None:
        block = RASTER // IMAGE_SIDE
        raster[:] = np.kron(
            np.asarray(base, dtype=np.float64).reshape(IMAGE_SIDE, IMAGE_SIDE) > 0, np.ones((block, block))
        )
    for stroke in strokes:
        points = [(float(x) * RASTER, float(y) * RASTER) for x, y in stroke]
        if not points:
            continue
        _segment(raster, *points[0], *points[0])  # a tap is a dot; JS inks the first point alike
        for (ax, ay), (bx, by) in zip(points, points[1:], strict=False):
            _segment(raster, ax, ay, bx, by)
    return raster


# --- 2.–3. crop, scale to 20 × 20, centre of mass to the centre -------------------------------------
def _area_weights(start: float, cell: float, lo: int, hi: int) -> np.ndarray:
    """(BOX, hi − lo) overlap of output cell i = [start + i·cell, start + (i+1)·cell) with source
    pixel [r, r + 1), r = lo … hi − 1: the exact box filter of an area average."""
    edges = start + cell * np.arange(BOX + 1, dtype=np.float64)
    r = np.arange(lo, hi, dtype=np.float64)
    return np.clip(np.minimum(edges[1:, None], r[None, :] + 1) - np.maximum(edges[:-1, None], r[None, :]), 0, None)


def to_mnist(ink: np.ndarray) -> np.ndarray:
    """Any grey ink image (H, W) in [0, 1] → float64 (28, 28): bounding box scaled to fit 20 × 20
    (aspect kept, area-averaged), centre of mass moved to (14, 14). All zeros if nothing is inked."""
    ink = np.asarray(ink, dtype=np.float64)
    rows, cols = np.flatnonzero(ink.max(axis=1) > 0), np.flatnonzero(ink.max(axis=0) > 0)
    out = np.zeros((IMAGE_SIDE, IMAGE_SIDE))
    if rows.size == 0:
        return out
    r0, r1, c0, c1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    side = max(r1 - r0, c1 - c0)  # the longer side fits BOX; the shorter one is centred
    cell = side / BOX
    wy = _area_weights((r0 + r1) / 2 - side / 2, cell, r0, r1)
    wx = _area_weights((c0 + c1) / 2 - side / 2, cell, c0, c1)
    box = wy @ ink[r0:r1, c0:c1] @ wx.T / (cell * cell)  # (BOX, BOX)
    mass = box.sum()
    centre = np.arange(BOX) + 0.5 + MARGIN
    shift_y = _shift(IMAGE_SIDE / 2 - float(box.sum(axis=1) @ centre) / mass)
    shift_x = _shift(IMAGE_SIDE / 2 - float(box.sum(axis=0) @ centre) / mass)
    top, left = MARGIN + shift_y, MARGIN + shift_x
    out[top : top + BOX, left : left + BOX] = np.clip(box, 0.0, 1.0)
    return out


def _shift(offset: float) -> int:
    """Whole-pixel move toward the centre (rounding half up, as JS Math.floor(x + 0.5)), ≤ MARGIN."""
    return int(min(max(math.floor(offset + 0.5), -MARGIN), MARGIN))


def binarize(grey: np.ndarray) -> np.ndarray:
    """The model's input: uint8 (784,) with 1 where grey ≥ THRESHOLD (Bernoulli pixels are binary)."""
    return (np.asarray(grey, dtype=np.float64).reshape(-1) >= THRESHOLD).astype(np.uint8)


def preprocess_strokes(strokes: Sequence[Stroke], base: np.ndarray | None = None) -> np.ndarray:
    """Strokes → grey float64 (28, 28), the reference of preprocess.js ``mnistFromStrokes``."""
    return to_mnist(render(strokes, base))


# --- the `draw=` format -----------------------------------------------------------------------------
class DrawFormatError(ValueError):
    """A `draw=` value that is not a drawing; ``reason`` is "length", "chars" or "empty"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def pack(bits: np.ndarray) -> str:
    """784 binary pixels → 131 base64url characters (98 bytes, MSB first, no padding)."""
    bits = np.asarray(bits).reshape(-1)
    if bits.size != N_PIXELS:
        raise ValueError(f"expected {N_PIXELS} pixels, got {bits.size}")
    return base64.urlsafe_b64encode(np.packbits(bits > 0).tobytes()).decode("ascii").rstrip("=")


def unpack(text: str) -> np.ndarray:
    """The inverse of :func:`pack` → uint8 (784,); raises :class:`DrawFormatError` for a wrong
    length, characters outside base64url, or an image without ink."""
    if len(text) != PACKED_CHARS:
        raise DrawFormatError("length")
    if not _BASE64URL.match(text):
        raise DrawFormatError("chars")
    try:
        raw = base64.urlsafe_b64decode(text + "=")
    except (binascii.Error, ValueError) as err:
        raise DrawFormatError("chars") from err
    bits = np.unpackbits(np.frombuffer(raw, dtype=np.uint8), count=N_PIXELS)
    if not bits.any():
        raise DrawFormatError("empty")
    return bits


# --- the starter digit ------------------------------------------------------------------------------
STARTER_STROKES: tuple[tuple[tuple[float, float], ...], ...] = (
    # a "2": hook, diagonal, base — the pad's picture until you draw your own
    (
        (0.33, 0.30),
        (0.38, 0.22),
        (0.47, 0.18),
        (0.57, 0.19),
        (0.64, 0.25),
        (0.66, 0.34),
        (0.62, 0.44),
        (0.53, 0.54),
        (0.43, 0.64),
        (0.34, 0.75),
        (0.31, 0.80),
        (0.42, 0.80),
        (0.55, 0.80),
        (0.69, 0.80),
    ),
)


def starter_packed() -> str:
    """The starter digit in the `draw=` format (the page's default)."""
    return pack(binarize(preprocess_strokes(STARTER_STROKES)))
