#!/usr/bin/env python3
"""Streams Fashion-MNIST to Chorus's examples topic as plain-JSON Example records (the train job's --format json).

Standard library plus confluent-kafka (Debian/Ubuntu: python3-confluent-kafka). Reads the IDX files of a
Fashion-MNIST split and sends {"id", "task", "features", "label", "eventTime"} records keyed by id, at a steady rate,
repeating the data set with new ids until --count examples were sent (0: forever).
"""
import argparse
import gzip
import json
import os
import struct
import sys
import time

from confluent_kafka import Producer


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype, dims = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file (magic {zero:#x}/{dtype:#x})")
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return shape, data[4 + 4 * dims:]


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--bootstrap-servers", default=os.environ.get("BOOTSTRAP_SERVERS", "localhost:9092"))
    p.add_argument("--topic", default="chorus.examples")
    p.add_argument("--task", default="fashion-mnist")
    p.add_argument("--dataset", required=True, help="directory with {split}-images-idx3-ubyte.gz and labels")
    p.add_argument("--split", default="t10k")
    p.add_argument("--rate", type=float, default=500.0, help="examples per second (0: as fast as possible)")
    p.add_argument("--count", type=int, default=0, help="examples to send in all (0: forever)")
    args = p.parse_args()

    (n, rows, cols), pixels = read_idx(os.path.join(args.dataset, f"{args.split}-images-idx3-ubyte.gz"))
    (n_labels,), labels = read_idx(os.path.join(args.dataset, f"{args.split}-labels-idx1-ubyte.gz"))
    if n != n_labels:
        raise ValueError(f"{n} images but {n_labels} labels")
    dim = rows * cols
    producer = Producer({"bootstrap.servers": args.bootstrap_servers, "enable.idempotence": True,
                         "linger.ms": 20})
    print(f"producing {args.count or 'unbounded'} examples ({n} images, repeated) to {args.topic} at "
          f"{args.rate or 'max'}/s via {args.bootstrap_servers}", flush=True)
    sent, started = 0, time.monotonic()
    while args.count == 0 or sent < args.count:
        row = sent % n
        example = {"id": f"demo-{sent // n}-{row}", "task": args.task,
                   "features": [b / 255.0 for b in pixels[row * dim:(row + 1) * dim]],
                   "label": labels[row], "eventTime": int(time.time() * 1000)}
        producer.produce(args.topic, key=example["id"], value=json.dumps(example, separators=(",", ":")))
        producer.poll(0)
        sent += 1
        if args.rate > 0:
            ahead = sent / args.rate - (time.monotonic() - started)
            if ahead > 0:
                time.sleep(ahead)
        if sent % 10000 == 0:
            print(f"{sent} examples sent", flush=True)
    producer.flush()
    print(f"done: {sent} examples", flush=True)


if __name__ == "__main__":
    sys.exit(main())
