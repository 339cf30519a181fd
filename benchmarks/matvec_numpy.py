"""NumPy/BLAS reference for `tp-bench matvec`.

Prints one JSON line mapping each size n to the GFLOP/s of `A @ x` (float64, A n×n,
2n² flops), best of several timed repetitions after a warm-up call.

usage: python3 benchmarks/matvec_numpy.py [n ...]     (default: 4096 8192)
"""
import json
import sys
import time

import numpy as np


def gflops(n: int, reps: int = 7) -> float:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n))
    x = rng.standard_normal(n)
    y = a @ x  # warm-up: thread pool start, page faults
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        y = a @ x
        best = min(best, time.perf_counter() - t0)
    assert np.isfinite(y).all()
    return 2.0 * n * n / best / 1e9


def main() -> None:
    sizes = [int(s) for s in sys.argv[1:]] or [4096, 8192]
    print(json.dumps({str(n): gflops(n) for n in sizes}))


if __name__ == "__main__":
    main()
