#!/usr/bin/env python3
"""Generates the benchmark tree: about SIZE bytes of mixed files (a few large, some medium, many small), part random
(incompressible) and part text (compressible), reproducibly from a seed. Also edits a share of the files in place.

  gen_tree.py create DIR SIZE_MIB [SEED]
  gen_tree.py change DIR PERCENT [SEED]     # overwrite 4 KiB in the middle of PERCENT% of the files
"""
import os
import random
import sys


def text_block(rng, n):
    cats = [b"groceries", b"rent", b"salary", b"utilities", b"transport", b"dining"]
    out = bytearray()
    i = rng.randrange(1 << 30)
    while len(out) < n:
        out += b"2026-11-%02d,tx-%012d,acct-%04d,%s,%d.%02d,EUR\n" % (
            1 + i % 28, i, i % 9973, cats[i % len(cats)], (i * 7919) % 100000, i % 100)
        i += 1
    return bytes(out[:n])


def write(path, size, rng):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    compressible = rng.random() < 0.5
    with open(path, "wb") as f:
        left = size
        while left > 0:
            n = min(left, 1 << 20)
            f.write(text_block(rng, n) if compressible else rng.randbytes(n))
            left -= n


def create(root, total, seed):
    rng = random.Random(seed)
    large, medium = total * 40 // 100, total * 30 // 100
    small = total - large - medium
    n = 0
    left = large
    while left > 0:
        s = min(left, 64 << 20)
        write(os.path.join(root, "large", "file-%d.bin" % n), s, rng)
        left -= s
        n += 1
    left = medium
    while left > 0:
        s = min(left, (1 << 20) + rng.randrange(4 << 20))
        write(os.path.join(root, "medium", "d%d" % (n % 10), "file-%d.dat" % n), s, rng)
        left -= s
        n += 1
    left = small
    while left > 0:
        s = min(left, 1 + rng.randrange(200 << 10))
        write(os.path.join(root, "small", "d%d" % (n % 37), "e%d" % (n % 5), "f-%d.txt" % n), s, rng)
        left -= s
        n += 1
    os.makedirs(os.path.join(root, "empty", "dir"), exist_ok=True)


def change(root, percent, seed):
    rng = random.Random(seed)
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs)
    for path in rng.sample(files, max(1, len(files) * percent // 100)):
        size = os.path.getsize(path)
        n = min(4096, size)
        with open(path, "r+b") as f:
            f.seek(max(0, size // 2 - n // 2))
            f.write(rng.randbytes(n))


if __name__ == "__main__":
    if sys.argv[1] == "create":
        create(sys.argv[2], int(sys.argv[3]) << 20, int(sys.argv[4]) if len(sys.argv) > 4 else 42)
    elif sys.argv[1] == "change":
        change(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) > 4 else 7)
    else:
        sys.exit(__doc__)
