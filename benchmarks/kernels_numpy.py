"""End to end: `tp run FILE --npy DIR` against NumPy computing and np.save-ing the same
NNGP and NTK matrices (vectorized arc-cosine / Williams recursion), for two-hidden-layer relu
and erf MLPs (ntk parametrization, var 1 everywhere) on N iid N(0, 1) points of R^16.

    python3 benchmarks/kernels_numpy.py [TP] [N ...]      # TP defaults to .build/release/tp

Prints, per activation and N: tp's wall time (process start, parsing the N-point program,
the kernels, writing the .npy files), NumPy's (recursion + np.save), their ratio, and the
largest relative difference of the matrices. Times are best of 3.
"""
import os, subprocess, sys, tempfile, time
import numpy as np

D = 16


def source(act, pts):
    rows = ", ".join("[" + ", ".join(repr(float(v)) for v in p) + "]" for p in pts)
    return (f"width n\nlayer U : {D} -> n\nlayer W : n -> n\nlayer V : n -> 1\n"
            f"model f(xi) {{\n  x1 = {act}(U @ xi)\n  x2 = {act}(W @ x1)\n  return V @ x2\n}}\n"
            f"parametrization ntk\nkernel f at {rows}\n")


def recursion(act, x):
    k = x @ x.T / x.shape[1]
    theta = k.copy()
    for _ in range(2):
        dg = np.sqrt(np.diag(k))
        if act == "relu":
            s = np.outer(dg, dg)
            rho = np.clip(k / s, -1, 1)
            t = np.arccos(rho)
            kn = s * (np.sqrt(1 - rho * rho) + (np.pi - t) * rho) / (2 * np.pi)
            kd = (np.pi - t) / (2 * np.pi)
            np.fill_diagonal(kn, np.diag(k) / 2)
            np.fill_diagonal(kd, 0.5)
        else:
            q = 1 + 2 * np.diag(k)
            kn = 2 / np.pi * np.arcsin(np.clip(2 * k / np.sqrt(np.outer(q, q)), -1, 1))
            kd = 4 / np.pi / np.sqrt(np.outer(q, q) - 4 * k * k)
        theta = kn + kd * theta
        k = kn
    return k, theta


def best(f, reps=3):
    out = None
    t = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        out = f()
        t = min(t, time.perf_counter() - t0)
    return t, out


def main():
    tp = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].isdigit() else ".build/release/tp"
    sizes = [int(a) for a in sys.argv[1:] if a.isdigit()] or [500, 1000, 2000]
    rng = np.random.default_rng(0)
    print(f"tp run --npy vs NumPy (recursion + np.save), 2 hidden layers, R^{D}, best of 3")
    print("act   N      tp (s)   numpy (s)   tp/numpy   max rel diff")
    with tempfile.TemporaryDirectory() as tmp:
        for act in ["relu", "erf"]:
            for n in sizes:
                x = rng.standard_normal((n, D))
                path = os.path.join(tmp, f"{act}{n}.tp")
                with open(path, "w") as f:
                    f.write(source(act, x))
                out = os.path.join(tmp, "npy")

                def run_tp():
                    subprocess.run([tp, "run", path, "--npy", out], check=True,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

                def run_numpy():
                    k, t = recursion(act, x)
                    np.save(os.path.join(tmp, "k.npy"), k)
                    np.save(os.path.join(tmp, "t.npy"), t)
                    return k, t

                ttp, _ = best(run_tp)
                tnp, (k, t) = best(run_numpy)
                ours_k = np.load(os.path.join(out, "nngp.npy"))
                ours_t = np.load(os.path.join(out, "ntk.npy"))
                diff = max(np.max(np.abs(ours_k - k)) / np.max(np.abs(k)),
                           np.max(np.abs(ours_t - t)) / np.max(np.abs(t)))
                print(f"{act:5} {n:5}  {ttp:8.3f}  {tnp:9.3f}  {ttp / tnp:8.2f}   {diff:.1e}")


if __name__ == "__main__":
    main()
