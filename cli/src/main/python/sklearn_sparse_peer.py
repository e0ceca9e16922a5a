#!/usr/bin/env python3
"""scikit-learn peer of Chorus's `bench sparse` packages track (dev.chorus.cli.bench.SparseBenchmark).

Reads the examples the Java harness wrote, one JSON object a line, in the order it trained on:

  {"fields": {"name": ["python3", "numpy"], "maintainer": "...", ...}, "label": 17,
   "hashed": {"indices": [...], "values": [...]}}        <- "hashed" on the first lines only

and trains SGDClassifier(loss="log_loss").partial_fit on the same minibatches of the first --held-out-from
examples, predicting each minibatch before fitting it (prequential), then tests on the rest. Features come from
FeatureHasher(n_features=2**bits, input_type="string", alternate_sign=True) over the tokens "field=value" (one per
element of a list field), which is Chorus's FeatureHasher (MurmurHash3 x86_32, seed 0, index |h| mod 2^bits,
sign of h); the "hashed" lines are checked against it and the mismatches counted. Prints one JSON object:

  {"accuracy": ..., "prequential_accuracy": ..., "examples_per_s": ..., "curve": [...],
   "hash_checked": ..., "hash_mismatches": ..., "sklearn_version": ..., ...}

examples_per_s counts making the tokens, hashing, predicting and partial_fit of the training examples, as the
Java figure counts hashing, predicting and training; reading the file and the held-out test are not timed.

Usage: sklearn_sparse_peer.py --examples FILE --bits 20 --classes K --held-out-from N [--batch-size 32]
                              [--fields name,description,depends,maintainer] [--curve-every 1000]
"""

import argparse
import json
import sys
import time

import numpy as np
import sklearn
from sklearn.feature_extraction import FeatureHasher
from sklearn.linear_model import SGDClassifier


def tokens(fields, order):
    """Chorus's tokens of one example's fields: "f=v" per string, one per element of a list."""
    out = []
    for field in order:
        value = fields.get(field)
        if value is None:
            continue
        if isinstance(value, str):
            out.append(field + "=" + value)
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            out.extend(field + "=" + v for v in value)
        else:
            sys.exit(f"field {field!r}: expected a string or a list of strings, got {value!r}")
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", required=True)
    parser.add_argument("--bits", type=int, required=True)
    parser.add_argument("--classes", type=int, required=True)
    parser.add_argument("--held-out-from", type=int, required=True)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--fields", default="name,description,depends,maintainer")
    parser.add_argument("--curve-every", type=int, default=1000)
    args = parser.parse_args()
    order = args.fields.split(",")

    with open(args.examples, encoding="utf-8") as f:
        examples = [json.loads(line) for line in f]
    labels = np.array([e["label"] for e in examples], dtype=np.int64)
    hasher = FeatureHasher(n_features=2 ** args.bits, input_type="string", alternate_sign=True)

    checked = mismatches = 0
    for e in examples:
        if "hashed" not in e:
            continue
        x = hasher.transform([tokens(e["fields"], order)])
        x.sum_duplicates()
        x.eliminate_zeros()
        checked += 1
        if (x.indices.tolist() != e["hashed"]["indices"]
                or not np.array_equal(x.data.astype(np.float32), np.array(e["hashed"]["values"], dtype=np.float32))):
            mismatches += 1

    classes = np.arange(args.classes)
    model = SGDClassifier(loss="log_loss", random_state=0)
    train = args.held_out_from
    correct = 0
    fitted = False
    curve = []
    next_point = args.curve_every
    seconds = 0.0
    for start in range(0, train, args.batch_size):
        end = min(start + args.batch_size, train)
        began = time.perf_counter()
        x = hasher.transform(tokens(e["fields"], order) for e in examples[start:end])
        y = labels[start:end]
        # Before the first fit the model knows nothing: like an untrained Chorus model, it says class 0.
        predicted = model.predict(x) if fitted else np.zeros(end - start, dtype=np.int64)
        model.partial_fit(x, y, classes=classes)
        seconds += time.perf_counter() - began
        fitted = True
        correct += int(np.sum(predicted == y))
        if end >= next_point or end == train:
            curve.append({"examples": end, "accuracy": correct / end})
            next_point = (end // args.curve_every + 1) * args.curve_every

    held_out = examples[train:]
    accuracy = None
    if held_out:
        x = hasher.transform(tokens(e["fields"], order) for e in held_out)
        accuracy = float(np.mean(model.predict(x) == labels[train:]))
    print(json.dumps({
        "model": "SGDClassifier(loss='log_loss').partial_fit, FeatureHasher(input_type='string')",
        "accuracy": accuracy,
        "prequential_accuracy": correct / train,
        "examples_per_s": train / seconds,
        "train_examples": train,
        "held_out": len(held_out),
        "batch_size": args.batch_size,
        "curve": curve,
        "hash_checked": checked,
        "hash_mismatches": mismatches,
        "sklearn_version": sklearn.__version__,
    }))


if __name__ == "__main__":
    main()
