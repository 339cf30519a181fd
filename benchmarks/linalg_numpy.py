"""NumPy/SciPy (OpenBLAS/LAPACK) reference for `tp-bench linalg`.

For each size n prints the best wall-clock seconds of the same five operations that
`tp-bench linalg` times, on the same kind of matrices (float64):

  gemm      C = A @ B, A and B n×n Gaussian                       (BLAS dgemm)
  cholesky  L = cholesky(K), K = B Bᵀ/n + I                        (LAPACK dpotrf)
  solve     X = K⁻¹ R from the factor, R n×n (n right-hand sides) (dpotrs; SciPy)
  eigvalsh  eigenvalues of K                                       (dsyevd, values only)
  eigh      eigenvalues and eigenvectors of K                      (dsyevd)

as one JSON object {"n": {"gemm": s, ...}, ...}. "solve" is omitted without SciPy.
The thread count is whatever OpenBLAS chooses (all cores), as for `tp-bench`.

usage: python3 benchmarks/linalg_numpy.py [n ...]     (default: 500 1000 2000)
"""
import json
import sys
import time

import numpy as np

try:
    import scipy.linalg as sla
except ImportError:  # pragma: no cover - the bench reports "solve" as unavailable
    sla = None


def best(f, reps):
    f()  # warm-up: thread pool start, page faults
    t = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        t = min(t, time.perf_counter() - t0)
    return t


def timings(n):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n))
    b = rng.standard_normal((n, n))
    k = a @ a.T / n + np.eye(n)
    r = rng.standard_normal((n, n))
    reps = 3 if n <= 1000 else (2 if n <= 2000 else 1)
    out = {
        "gemm": best(lambda: a @ b, reps),
        "cholesky": best(lambda: np.linalg.cholesky(k), reps),
        "eigvalsh": best(lambda: np.linalg.eigvalsh(k), reps),
        "eigh": best(lambda: np.linalg.eigh(k), reps),
    }
    if sla is not None:
        factor = sla.cho_factor(k, lower=True)
        out["solve"] = best(lambda: sla.cho_solve(factor, r), reps)
    return out


def main():
    sizes = [int(s) for s in sys.argv[1:]] or [500, 1000, 2000]
    print(json.dumps({str(n): timings(n) for n in sizes}))


if __name__ == "__main__":
    main()
