#!/usr/bin/env python3
"""Generates a tree of COUNT files, reproducibly from a seed: nested three levels deep (100 files to a directory,
top/NN/NN/fNNN), mostly small (85% up to 2 KiB, 14% 2-16 KiB, 1% 16-256 KiB: about 3.5 KiB on average), half random
(incompressible) and half text (compressible). The shape of /var/log, a mail spool or an app's upload directory.

  gen_many.py create DIR COUNT [SEED]
"""
import os
import random
import sys


def text(rng, n):
    out = bytearray()
    i = rng.randrange(1 << 30)
    while len(out) < n:
        out += b"2026-11-%02d 12:%02d:%02d INFO session=%012d user=u%05d action=view amount=%d.%02d\n" % (
            1 + i % 28, i % 60, (i * 7) % 60, i, i % 99991, (i * 7919) % 100000, i % 100)
        i += 1
    return bytes(out[:n])


def size(rng):
    r = rng.random()
    if r < 0.85:
        return rng.randrange(2048 + 1)
    if r < 0.99:
        return 2048 + rng.randrange(14 << 10)
    return (16 << 10) + rng.randrange(240 << 10)


def create(root, count, seed):
    rng = random.Random(seed)
    total = 0
    for n in range(count):
        leaf = n // 100
        d = os.path.join(root, "top", "%02d" % (leaf // 100 % 100), "%02d" % (leaf % 100)) if count <= 1000000 \
            else os.path.join(root, "top", "%03d" % (leaf // 100), "%02d" % (leaf % 100))
        if n % 100 == 0:
            os.makedirs(d, exist_ok=True)
        s = size(rng)
        data = text(rng, s) if rng.random() < 0.5 else rng.randbytes(s)
        with open(os.path.join(d, "f%03d" % (n % 100)), "wb") as f:
            f.write(data)
        total += s
    print("%d files, %d bytes" % (count, total))


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "create":
        create(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) > 4 else 42)
    else:
        sys.exit(__doc__)
