#!/usr/bin/env python3
"""Writes one bad input file per class the converter must reject cleanly.

Usage: make_bad_inputs.py DATA_DIR OUT_DIR

Every file is derived from the reference data in DATA_DIR or built here with numpy, so the
tests need no fixture committed to the repository.
"""
import gzip
import pickle
import sys
from pathlib import Path

import numpy as np


def main(data_dir, out):
    data_dir, out = Path(data_dir), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    weights_bytes = (data_dir / "sample_weight.pkl").read_bytes()
    with open(data_dir / "sample_weight.pkl", "rb") as f:
        weights = pickle.load(f)

    def save(name, obj):
        with open(out / name, "wb") as f:
            pickle.dump(obj, f, protocol=3)

    (out / "empty.pkl").write_bytes(b"")
    (out / "truncated.pkl").write_bytes(weights_bytes[: len(weights_bytes) // 2])
    (out / "not_a_pickle.pkl").write_bytes(b"this is a text file, not a pickle\n" * 4)
    save("missing_weight.pkl", {k: v for k, v in weights.items() if k != "W3"})
    save("missing_bias.pkl", {k: v for k, v in weights.items() if k != "b2"})
    mismatched = dict(weights)
    mismatched["W2"] = np.zeros((60, 100), np.float32)
    save("mismatched.pkl", mismatched)
    nan = {k: v.copy() for k, v in weights.items()}
    nan["W2"][3, 7] = np.nan
    save("nan.pkl", nan)
    inf = {k: v.copy() for k, v in weights.items()}
    inf["b1"][4] = np.inf
    save("inf.pkl", inf)

    images = gzip.decompress((data_dir / "t10k-images-idx3-ubyte.gz").read_bytes())
    labels = gzip.decompress((data_dir / "t10k-labels-idx1-ubyte.gz").read_bytes())
    (out / "images.idx").write_bytes(images[: 16 + 784 * 100])
    header = bytearray(images[:16])
    header[4:8] = (100).to_bytes(4, "big")
    (out / "images-100.idx").write_bytes(bytes(header) + images[16 : 16 + 784 * 100])
    (out / "bad_magic.idx").write_bytes(b"\x00\x00\x09\x03" + images[4 : 16 + 784 * 100])
    (out / "labels-99.idx").write_bytes(b"\x00\x00\x08\x01" + (99).to_bytes(4, "big") + labels[8 : 8 + 99])
    gz = gzip.compress(labels)
    (out / "truncated.gz").write_bytes(gz[: len(gz) // 2])


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
