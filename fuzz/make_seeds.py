#!/usr/bin/env python3
"""Writes the small pickle and IDX inputs from which fuzz/make_seeds.sh makes the seeds.

    python3 fuzz/make_seeds.py DATA_DIR OUT_DIR

DATA_DIR holds the book's sample_weight.pkl and the MNIST t10k files. The seeds are cut
from them so that they stay small (the book's pickle and blob are 181 KB each): its network
sliced to 16-8-12-10 and pickled the ways numpy users do (protocols 0 to 5, numpy 1.x's
`numpy.core` and 2.x's `numpy._core` module names, float16/32/64, both byte orders, C and
Fortran order, dict and OrderedDict with non-weight entries), plus a few pickles the
converter must refuse, and the first two MNIST test images and labels as IDX, raw and
gzipped.
"""

import collections
import gzip
import os
import pickle
import sys

import numpy as np


def book_slice(data_dir):
    """The book's network cut to 16-8-12-10, weights in the book's Fortran order."""
    with open(os.path.join(data_dir, "sample_weight.pkl"), "rb") as f:
        w = pickle.load(f)
    return {
        "W1": np.asfortranarray(w["W1"][200:216, :8]),
        "b1": w["b1"][:8].copy(),
        "W2": np.asfortranarray(w["W2"][:8, :12]),
        "b2": w["b2"][:12].copy(),
        "W3": np.asfortranarray(w["W3"][:12, :]),
        "b3": w["b3"].copy(),
    }


def numpy1(blob):
    """numpy 1.x names its module numpy.core; GLOBAL opcodes (protocols 0-3) hold it as text."""
    return blob.replace(b"numpy._core.", b"numpy.core.")


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def pickles(net, out):
    toy = {
        "W1": np.array([[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]], dtype=np.float32),
        "b1": np.array([0.1, 0.2, 0.3], dtype=np.float32),
        "W2": np.array([[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]], dtype=np.float32),
        "b2": np.array([0.1, 0.2], dtype=np.float32),
        "W3": np.array([[0.1, 0.3], [0.2, 0.4]], dtype=np.float32),
        "b3": np.array([0.1, 0.2], dtype=np.float32),
    }
    write(f"{out}/toy-p2-numpy1.pkl", numpy1(pickle.dumps(toy, protocol=2)))
    write(f"{out}/book16-p3-numpy1-fortran.pkl", numpy1(pickle.dumps(net, protocol=3)))
    write(f"{out}/book16-p0-numpy1.pkl", numpy1(pickle.dumps(net, protocol=0)))
    write(f"{out}/book16-p4.pkl", pickle.dumps(net, protocol=4))
    write(f"{out}/book16-p5.pkl", pickle.dumps(net, protocol=5))
    f64 = {k: v.astype(np.float64) for k, v in net.items()}
    write(f"{out}/book16-p4-float64.pkl", pickle.dumps(f64, protocol=4))
    f16be = {k: np.ascontiguousarray(v).astype(">f2") for k, v in toy.items()}
    write(f"{out}/toy-p5-float16-bigendian.pkl", pickle.dumps(f16be, protocol=5))
    f32be = {k: v.astype(">f4") for k, v in toy.items()}
    write(f"{out}/toy-p2-float32-bigendian.pkl", numpy1(pickle.dumps(f32be, protocol=2)))
    ordered = collections.OrderedDict(toy)
    ordered["epochs"] = 3
    ordered["name"] = "toy"
    ordered["sizes"] = [2, 3, 2, 2]
    ordered["note"] = None
    ordered["lr"] = np.float64(0.01)
    write(f"{out}/toy-p4-ordereddict-extras.pkl", pickle.dumps(ordered, protocol=4))
    # Softmax regression, no hidden layer.
    write(
        f"{out}/logistic-2-3-p3.pkl",
        pickle.dumps({"W1": toy["W1"], "b1": toy["b1"][:3]}, protocol=3),
    )
    # Refused: integer weights, a 0-d array, a list at the top level.
    bad = dict(toy, W2=np.arange(6, dtype=np.int64).reshape(3, 2))
    write(f"{out}/bad-int64-weights-p4.pkl", pickle.dumps(bad, protocol=4))
    write(f"{out}/bad-0d-p5.pkl", pickle.dumps({"W1": np.array(1.0, dtype=np.float32), "b1": np.zeros(1, np.float32)}, protocol=5))
    write(f"{out}/bad-list-p2.pkl", pickle.dumps([1, 2.5, "x"], protocol=2))
    # Regression: one array under many keys (the memo makes each a few bytes) was copied
    # per key, memory growing with the square of the file's size; now TooManyValues.
    shared = dict(toy)
    a = np.zeros(64, np.float16)
    shared.update({f"k{i}": a for i in range(40)})
    write(f"{out}/regress-shared-array-many-keys-p4.pkl", pickle.dumps(shared, protocol=4))


def idx_files(data_dir, out, n=2):
    with gzip.open(os.path.join(data_dir, "t10k-images-idx3-ubyte.gz"), "rb") as f:
        images = f.read(16 + n * 784)
    with gzip.open(os.path.join(data_dir, "t10k-labels-idx1-ubyte.gz"), "rb") as f:
        labels = f.read(8 + n)
    # The headers say 10000; make them say n.
    images = images[:4] + n.to_bytes(4, "big") + images[8:]
    labels = labels[:4] + n.to_bytes(4, "big") + labels[8:]
    write(f"{out}/t10k-images-{n}.idx", images)
    write(f"{out}/t10k-labels-{n}.idx", labels)
    write(f"{out}/t10k-images-{n}.idx.gz", gzip.compress(images, mtime=0))
    # Calibration images for the int8 seed of the 16-input network: pixels 200..215 (the
    # rows of W1 it keeps) of the first 20 test images, as 20 images of 4 x 4.
    with gzip.open(os.path.join(data_dir, "t10k-images-idx3-ubyte.gz"), "rb") as f:
        first = f.read(16 + 20 * 784)[16:]
    crops = b"".join(first[i * 784 + 200 : i * 784 + 216] for i in range(20))
    header = bytes([0, 0, 8, 3]) + b"".join(d.to_bytes(4, "big") for d in (20, 4, 4))
    write(f"{out}/t10k-crop-20x4x4.idx", header + crops)
    write(f"{out}/t10k-labels-{n}.idx.gz", gzip.compress(labels, mtime=0))
    # 3 images of 2 x 4, and their labels; one gzipped in two members.
    small = bytes([0, 0, 8, 3]) + b"".join(d.to_bytes(4, "big") for d in (3, 2, 4)) + bytes(range(0, 240, 10))
    write(f"{out}/small-3x2x4.idx", small)
    write(f"{out}/small-labels-3.idx", bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 0, 9]))
    write(f"{out}/small-3x2x4-two-members.idx.gz", gzip.compress(small[:10], mtime=0) + gzip.compress(small[10:], mtime=0))


def main():
    data_dir, out = sys.argv[1], sys.argv[2]
    os.makedirs(f"{out}/pickle", exist_ok=True)
    os.makedirs(f"{out}/idx", exist_ok=True)
    pickles(book_slice(data_dir), f"{out}/pickle")
    idx_files(data_dir, f"{out}/idx")


if __name__ == "__main__":
    main()
