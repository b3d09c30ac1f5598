#!/usr/bin/env python3
"""Times the book's numpy inference and the runtime on the same work, in one run.

Usage: python3 bench/numpy_ratio.py [RUNS]   (from the repository root; default 9 runs)

Workloads, on the 10000 MNIST test images with sample_weight.pkl: one image, the whole set
as one batch, and the set in batches of 100. Prints medians and the ratio runtime / numpy
(below 1 means the runtime is faster). Both sides must score 9352.
"""
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "reference"))
import book_mnist  # noqa: E402


def median_time(runs, f):
    f()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        f()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 9
    data = Path(os.environ.get("CONVERTER_DATA_DIR", ROOT.parent / "shared" / "data"))
    env = dict(os.environ, CONVERTER_DATA_DIR=str(data))
    subprocess.run(
        ["cargo", "build", "--release", "--quiet", "-p", "tests", "--example", "timing"],
        cwd=ROOT, check=True, env=env,
    )
    ours = json.loads(subprocess.run(
        [str(ROOT / "target/release/examples/timing"), str(runs)],
        cwd=ROOT, check=True, env=env, capture_output=True, text=True,
    ).stdout)

    import pickle
    with open(data / "sample_weight.pkl", "rb") as f:
        network = pickle.load(f)
    x = book_mnist.load_idx(data / "t10k-images-idx3-ubyte.gz", 16).reshape(-1, 784)
    x = x.astype(np.float32) / 255.0
    t = book_mnist.load_idx(data / "t10k-labels-idx1-ubyte.gz", 8)
    predict = book_mnist.predict

    reps = 1000
    numpy = {
        "one_image": median_time(runs, lambda: [predict(network, x[0]) for _ in range(reps)]) / reps,
        "batch_10000": median_time(runs, lambda: predict(network, x)),
        "batches_of_100": median_time(
            runs, lambda: [predict(network, x[i : i + 100]) for i in range(0, len(x), 100)]
        ),
    }
    correct = int(np.sum(np.argmax(predict(network, x), axis=1) == t))

    print(f"median of {runs} runs; numpy {np.__version__}")
    print(f"{'workload':<16} {'numpy':>12} {'runtime':>12} {'runtime/numpy':>14}")
    for key, label in [("one_image", "one image"), ("batch_10000", "1 batch of 10000"),
                       ("batches_of_100", "100 batches of 100")]:
        print(f"{label:<16} {numpy[key] * 1e3:>10.3f}ms {ours[key] * 1e3:>10.3f}ms "
              f"{ours[key] / numpy[key]:>14.3f}")
    print(f"correct: numpy {correct}, runtime {ours['correct']}")
    if correct != 9352 or ours["correct"] != 9352:
        sys.exit("accuracy differs from 9352")


if __name__ == "__main__":
    main()
