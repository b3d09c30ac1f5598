#!/usr/bin/env python3
"""The book's chapter 3 MNIST inference in numpy: the reference the parity tests compare to.

Follows ch03/neuralnet_mnist_batch.py of "Deep Learning from Scratch" (sigmoid and the
batch softmax of common/functions.py, batches of 100, pixels / 255.0 as float32).

Usage: book_mnist.py DATA_DIR OUT_DIR
Writes OUT_DIR/probabilities.f32 (N x 10 float32, little-endian) and
OUT_DIR/predictions.u8 (N argmax classes) and prints the accuracy.
"""
import gzip
import pickle
import sys
from pathlib import Path

import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def softmax(x):
    if x.ndim == 2:
        x = x.T
        x = x - np.max(x, axis=0)
        y = np.exp(x) / np.sum(np.exp(x), axis=0)
        return y.T
    x = x - np.max(x)
    return np.exp(x) / np.sum(np.exp(x))


def predict(network, x):
    W1, W2, W3 = network["W1"], network["W2"], network["W3"]
    b1, b2, b3 = network["b1"], network["b2"], network["b3"]
    a1 = np.dot(x, W1) + b1
    z1 = sigmoid(a1)
    a2 = np.dot(z1, W2) + b2
    z2 = sigmoid(a2)
    a3 = np.dot(z2, W3) + b3
    return softmax(a3)


def load_idx(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def main(data_dir, out_dir):
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    with open(data_dir / "sample_weight.pkl", "rb") as f:
        network = pickle.load(f)
    x = load_idx(data_dir / "t10k-images-idx3-ubyte.gz", 16).reshape(-1, 784)
    x = x.astype(np.float32) / 255.0
    t = load_idx(data_dir / "t10k-labels-idx1-ubyte.gz", 8)

    batch_size = 100
    probabilities = np.empty((len(x), 10), np.float32)
    for i in range(0, len(x), batch_size):
        probabilities[i : i + batch_size] = predict(network, x[i : i + batch_size])
    predictions = np.argmax(probabilities, axis=1).astype(np.uint8)

    out_dir.mkdir(parents=True, exist_ok=True)
    probabilities.astype("<f4").tofile(out_dir / "probabilities.f32")
    predictions.tofile(out_dir / "predictions.u8")
    correct = int(np.sum(predictions == t))
    print(f"Accuracy:{correct / len(x)} ({correct}/{len(x)})")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
