#!/usr/bin/env python3
"""Writes the pickle fixtures of the converter's coverage tests (tests/tests/pickle_coverage.rs).

Usage:
    make_pickle_fixtures.py OUT_DIR
    make_pickle_fixtures.py --book DATA_DIR OUT_DIR

The first form writes small fixtures of one tiny network (W1 4x3, b1 3, W2 3x2, b2 2), named
after the numpy that wrote them (MAJOR = numpy's major version running this script):

    np{MAJOR}-p{P}-{f32|f64|f16}-{le|be}-{c|f}.pkl   protocol P in 2..5, dtype, byte order,
                                                     C or Fortran order of the 2-D weights
    np{MAJOR}-p{P}-ordereddict-extras.pkl            a collections.OrderedDict holding the
                                                     weights and entries that are not weights
    bad-np{MAJOR}-{what}.pkl                         inputs the converter must reject

Run it with numpy 1.x and with numpy 2.x into the same directory to get both sets. Every
value is a multiple of 1/8 (see `value`), exact in float16, so every dtype gives the same
float32 values; the Rust test computes them with the same formula.

The second form re-saves the book's DATA_DIR/sample_weight.pkl into OUT_DIR for protocols
2-5 x float32/float64 x little/big-endian x C/Fortran order, as
np{MAJOR}-book-p{P}-{f32|f64}-{le|be}-{c|f}.pkl (no float16: it would change the accuracy).

Only numpy and the standard library are used; the output is deterministic.
"""
import collections
import gzip
import pickle
import sys
from pathlib import Path

import numpy as np

MAJOR = int(np.__version__.split(".")[0])
PROTOCOLS = (2, 3, 4, 5)
DTYPES = {"f32": "f4", "f64": "f8", "f16": "f2"}
ORDERS = {"le": "<", "be": ">"}
# The tiny network: key, array number (in the value formula), shape.
TINY = (("W1", 0, (4, 3)), ("b1", 1, (3,)), ("W2", 2, (3, 2)), ("b2", 3, (2,)))


def value(array, k):
    """Element k (flat, C order) of array number `array`: a multiple of 1/8, exact in float16."""
    return (16 * array + 3 * k - 7) / 8


def tiny(code="f4"):
    """The tiny network in dtype `code` (a numpy type string such as '>f2'), C order."""
    out = {}
    for key, number, shape in TINY:
        n = int(np.prod(shape))
        data = np.array([value(number, k) for k in range(n)], dtype=np.float64)
        out[key] = data.reshape(shape).astype(code)
        assert (out[key].astype(np.float64) == data.reshape(shape)).all(), (key, code)
    return out


def layout(arrays, fortran):
    """C or Fortran order for the 2-D weights (1-D biases are both C and Fortran contiguous)."""
    out = {}
    for key, a in arrays.items():
        if a.ndim == 2 and fortran:
            out[key] = np.asfortranarray(a)
            assert out[key].flags.f_contiguous and not out[key].flags.c_contiguous, key
        else:
            out[key] = np.ascontiguousarray(a)
            assert out[key].flags.c_contiguous, key
    return out


def dump(path, obj, protocol):
    path.write_bytes(pickle.dumps(obj, protocol=protocol))


def tiny_fixtures(out):
    for p in PROTOCOLS:
        for dname, code in DTYPES.items():
            for oname, order in ORDERS.items():
                for fortran in (False, True):
                    arrays = layout(tiny(order + code), fortran)
                    name = f"np{MAJOR}-p{p}-{dname}-{oname}-{'f' if fortran else 'c'}.pkl"
                    dump(out / name, arrays, p)
        w = tiny()
        extras = collections.OrderedDict(
            [
                ("epochs", 20),
                ("W1", w["W1"]),
                ("b1", w["b1"]),
                ("learning_rate", 0.125),
                ("W2", w["W2"]),
                ("note", "trained in chapter 4"),
                ("b2", w["b2"]),
                ("loss_history", [2.5, 1.25, 0.5]),
                ("optimizer", None),
            ]
        )
        dump(out / f"np{MAJOR}-p{p}-ordereddict-extras.pkl", extras, p)


def bad_fixtures(out):
    """One input per rejection class; the bad array sits at a known key among good ones."""

    def with_bad(key, array):
        arrays = tiny()
        arrays[key] = array
        return arrays

    prefix = f"bad-np{MAJOR}-"
    objects = np.empty((3, 2), dtype=object)
    objects[:] = 0.5
    objects[0, 1] = "x"
    dump(out / f"{prefix}object.pkl", with_bad("W2", objects), 5)
    dump(out / f"{prefix}int64.pkl", with_bad("W1", np.arange(12, dtype=np.int64).reshape(4, 3)), 5)
    dump(out / f"{prefix}complex64.pkl", with_bad("b1", np.array([1j, 2, 3], np.complex64)), 2)
    dump(out / f"{prefix}zero-d.pkl", with_bad("b2", np.array(0.25, np.float32)), 4)
    dump(out / f"{prefix}bool.pkl", with_bad("W1", np.ones((4, 3), dtype=bool)), 3)
    dump(out / f"{prefix}list.pkl", [a for a in tiny().values()], 4)
    gz = gzip.compress(pickle.dumps(tiny(), protocol=4), mtime=0)
    (out / f"{prefix}gzip.pkl").write_bytes(gz)


def book_fixtures(data_dir, out):
    with open(Path(data_dir) / "sample_weight.pkl", "rb") as f:
        book = pickle.load(f)
    for p in PROTOCOLS:
        for dname in ("f32", "f64"):
            for oname, order in ORDERS.items():
                for fortran in (False, True):
                    arrays = {k: np.asarray(v).astype(order + DTYPES[dname]) for k, v in book.items()}
                    arrays = layout(arrays, fortran)
                    name = f"np{MAJOR}-book-p{p}-{dname}-{oname}-{'f' if fortran else 'c'}.pkl"
                    dump(out / name, arrays, p)


def main(argv):
    if len(argv) == 2 and not argv[1].startswith("-"):
        out = Path(argv[1])
        out.mkdir(parents=True, exist_ok=True)
        tiny_fixtures(out)
        bad_fixtures(out)
    elif len(argv) == 4 and argv[1] == "--book":
        out = Path(argv[3])
        out.mkdir(parents=True, exist_ok=True)
        book_fixtures(argv[2], out)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
