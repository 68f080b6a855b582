"""ui.images: nearest-neighbour upscaling, tiling and lossless PNG, checked pixel by pixel."""

import io

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from ui import images


@settings(max_examples=30, deadline=None)
@given(factor=st.integers(1, 12), seed=st.integers(0, 1000))
def test_upscale_is_nearest_neighbour(factor, seed):
    image = np.random.default_rng(seed).random(784)
    big = images.upscale(image, factor)
    assert big.shape == (28 * factor, 28 * factor) and big.dtype == np.uint8
    expected = np.rint(255 * image.reshape(28, 28)).astype(np.uint8)
    for dr in range(factor):
        for dc in range(factor):
            np.testing.assert_array_equal(big[dr::factor, dc::factor], expected)


def test_mosaic_places_each_tile():
    tiles_in = np.arange(2 * 3 * 784, dtype=np.float32).reshape(2, 3, 784)
    tiles = images.mosaic(tiles_in, gap=2, background=-1.0)
    assert tiles.shape == (2 * 28 + 2, 3 * 28 + 2 * 2)
    for r in range(2):
        for c in range(3):
            np.testing.assert_array_equal(
                tiles[r * 30 : r * 30 + 28, c * 30 : c * 30 + 28], tiles_in[r, c].reshape(28, 28)
            )
    assert np.all(tiles[28:30, :] == -1.0)


def test_png_round_trips_exactly():
    grey = np.random.default_rng(0).integers(0, 256, (28, 28), dtype=np.uint8)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(images.png(grey)))), grey)
    assert images.data_uri(grey).startswith("data:image/png;base64,")
