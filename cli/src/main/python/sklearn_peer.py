#!/usr/bin/env python3
"""scikit-learn peer of Chorus's `bench learn` (dev.chorus.cli.bench.LearnBenchmark).

Trains scikit-learn's SGDClassifier(loss="log_loss") and MLPClassifier(hidden_layer_sizes=(256,),
solver="adam") with partial_fit for one pass over the IDX training set, under the same conditions as the
Java harness: pixels scaled to [0, 1]; the same seeded example order (SplitMix64 + Fisher-Yates, ported
below); the same minibatches; and the same online standardisation (running mean and population variance
merged per minibatch before that minibatch is transformed, z = (x - mean) / sqrt(var + 0.01)), the
transform at the end of the pass being applied to the test set. Prints one JSON object:

  {"sklearn_sgd_log": {"one_pass": {"test_accuracy": ...}, "examples_per_s": ...},
   "sklearn_mlp256": {"one_pass": {"test_accuracy": ...}, "examples_per_s": ...},
   "sklearn_version": ..., "order_checksum": ..., ...}

examples_per_s counts the time of standardising a minibatch plus partial_fit, as the Java figure counts
OnlineLearner.trainMinibatch, which standardises too; loading and shuffling are not timed.

Usage: sklearn_peer.py --data-dir DIR [--batch-size 128] [--seed 42] [--learning-rate 0.001]
                       [--models sklearn_sgd_log,sklearn_mlp256]
"""

import argparse
import gzip
import json
import os
import struct
import sys
import time

import numpy as np
import sklearn
from sklearn.linear_model import SGDClassifier
from sklearn.neural_network import MLPClassifier

MASK64 = (1 << 64) - 1
GOLDEN_GAMMA = 0x9E3779B97F4A7C15
PEERS = ("sklearn_sgd_log", "sklearn_mlp256")
# OnlineStandardizer.EPSILON: a constant pixel is scaled by at most 1/sqrt(0.01) instead of dividing by 0.
STANDARDIZER_EPSILON = 1e-2


class SplitMix64:
    """dev.chorus.core.random.SplitMix64.nextLong(), on Python ints masked to 64 bits."""

    def __init__(self, seed):
        self.state = seed & MASK64

    def next_long(self):
        self.state = (self.state + GOLDEN_GAMMA) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)


def pass_order(n, rng):
    """LearnBenchmark.shuffledOrder: Fisher-Yates with j = unsigned(nextLong) mod (i + 1)."""
    order = list(range(n))
    for i in range(n - 1, 0, -1):
        j = rng.next_long() % (i + 1)
        order[i], order[j] = order[j], order[i]
    return np.array(order, dtype=np.int64)


def read_idx(path, expected_dims):
    opener = gzip.open if open(path, "rb").read(2) == b"\x1f\x8b" else open
    with opener(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">i", data[:4])
    if magic != 0x800 + expected_dims:
        sys.exit(f"{path}: IDX magic 0x{magic:08X}, expected 0x{0x800 + expected_dims:08X}")
    dims = struct.unpack(">" + "i" * expected_dims, data[4:4 + 4 * expected_dims])
    values = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * expected_dims)
    if values.size != int(np.prod(dims)):
        sys.exit(f"{path}: header announces {dims}, found {values.size} bytes of data")
    return values.reshape(dims[0], -1) if expected_dims == 3 else values.astype(np.int64)


def find(data_dir, name):
    for candidate in (name + ".gz", name):
        path = os.path.join(data_dir, candidate)
        if os.path.exists(path):
            return path
    sys.exit(f"{data_dir}: neither {name}.gz nor {name} exists")


class OnlineStandardizer:
    """dev.chorus.core.preprocess.OnlineStandardizer: Chan et al.'s merge of per-minibatch statistics."""

    def __init__(self, dim):
        self.count = 0
        self.mean = np.zeros(dim)
        self.m2 = np.zeros(dim)
        self._refresh()

    def update(self, x):
        rows = x.shape[0]
        batch_mean = x.mean(axis=0, dtype=np.float64)
        batch_m2 = ((x - batch_mean) ** 2).sum(axis=0)
        total = self.count + rows
        delta = batch_mean - self.mean
        self.mean = self.mean + delta * (rows / total)
        self.m2 = self.m2 + batch_m2 + delta * delta * (self.count * rows / total)
        self.count = total
        self._refresh()

    def _refresh(self):
        variance = self.m2 / self.count if self.count else np.zeros_like(self.m2)
        self.shift = self.mean.astype(np.float32)
        self.scale = (1 / np.sqrt(variance + STANDARDIZER_EPSILON)).astype(np.float32)

    def transform(self, x):
        return (x - self.shift) * self.scale


def train_one_pass(model, x, y, order, batch_size, classes):
    standardizer = OnlineStandardizer(x.shape[1])
    seconds = 0.0
    for start in range(0, len(order), batch_size):
        rows = order[start:start + batch_size]
        xb, yb = x[rows], y[rows]
        began = time.perf_counter()
        standardizer.update(xb)
        model.partial_fit(standardizer.transform(xb), yb, classes=classes)
        seconds += time.perf_counter() - began
    return standardizer, seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--learning-rate", type=float, default=0.001, help="MLPClassifier's Adam step size")
    parser.add_argument("--models", default="sklearn_sgd_log,sklearn_mlp256",
                        help="comma-separated peers to train (default: both)")
    args = parser.parse_args()
    wanted = args.models.split(",")
    unknown = sorted(set(wanted) - set(PEERS))
    if unknown:
        sys.exit(f"--models: unknown {unknown}, expected some of {list(PEERS)}")

    x_train = read_idx(find(args.data_dir, "train-images-idx3-ubyte"), 3).astype(np.float32) / np.float32(255)
    y_train = read_idx(find(args.data_dir, "train-labels-idx1-ubyte"), 1)
    x_test = read_idx(find(args.data_dir, "t10k-images-idx3-ubyte"), 3).astype(np.float32) / np.float32(255)
    y_test = read_idx(find(args.data_dir, "t10k-labels-idx1-ubyte"), 1)
    classes = np.arange(int(max(y_train.max(), y_test.max())) + 1)
    order = pass_order(len(y_train), SplitMix64(args.seed))

    peers = {
        "sklearn_sgd_log": SGDClassifier(loss="log_loss", random_state=args.seed),
        "sklearn_mlp256": MLPClassifier(hidden_layer_sizes=(256,), solver="adam", batch_size=args.batch_size,
                                        learning_rate_init=args.learning_rate, alpha=0.0,
                                        random_state=args.seed),
    }
    result = {}
    for name, model in peers.items():
        if name not in wanted:
            continue
        standardizer, seconds = train_one_pass(model, x_train, y_train, order, args.batch_size, classes)
        accuracy = float((model.predict(standardizer.transform(x_test)) == y_test).mean())
        result[name] = {"one_pass": {"test_accuracy": accuracy}, "examples_per_s": len(order) / seconds}
    result["sklearn_version"] = sklearn.__version__
    result["train_examples"] = int(len(order))
    result["test_examples"] = int(len(y_test))
    result["batch_size"] = args.batch_size
    # Lets the Java harness confirm that both sides trained in the same order.
    result["order_checksum"] = int(np.dot(np.arange(len(order), dtype=np.int64), order))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
