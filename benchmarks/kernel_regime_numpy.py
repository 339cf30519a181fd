"""Posterior and kernel-regime training at data-set scale: `tp run --json` against NumPy.

    python3 benchmarks/kernel_regime_numpy.py [TP] [--train N] [--test P]
    # TP defaults to .build/release/tp; N = 2000 training and P = 500 test points

A two-hidden-layer ReLU MLP (ntk parametrization, var 1 everywhere) on iid N(0, 1) points of
R^16, labels y = sin(x . w) + 0.1 x_0, read by tp from CSV files (`data train = csv(...)`).
Three programs, each run once by tp as a subprocess (process start, CSV parsing, kernels on
train + test, linear algebra, JSON) and computed by NumPy in the same run:

* `posterior f on train at test (noise: 0.01)`: NumPy builds NNGP/NTK by the arc-cosine
  recursion and solves with `np.linalg.cholesky` / `solve`.
* `train ... steps: inf, batch: full` and `observe f at test`, `observe loss`: NumPy uses the
  pseudo-inverse `np.linalg.pinv(theta_XX, rcond=1e-10, hermitian=True)` (the same cutoff).
* `train ... lr: 1, steps: 1000, batch: full` observed every 500 steps: NumPy sums the
  geometric series of P = I - (lr/n) theta_XX by doubling (P^t and S_t = (lr/n) sum_{s<t} P^s
  by repeated squaring) -- a different method from tp's eigendecomposition.

Mean f_t(z) = theta_zX S_t y, variance K_zz - 2 w.K_Xz + w.K_XX w with w = S_t theta_Xz, and
the expected mean training loss (|P^t y|^2 + tr(P^t K P^t)) / 2n (its difference relative to
the larger of the loss and mean(y^2), as the trained loss is ~0 on both sides). Prints the wall times and
the largest relative differences (target: <= 1e-8; tp in < 10 s).
"""
import json, os, subprocess, sys, tempfile, time
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kernels_numpy import recursion  # the arc-cosine / Williams recursion

D = 16


def header():
    return (f"width n\nlayer U : {D} -> n\nlayer W : n -> n\nlayer V : n -> 1\n"
            "model f(xi) {\n  x1 = relu(U @ xi)\n  x2 = relu(W @ x1)\n  return V @ x2\n}\n"
            "parametrization ntk\n"
            'data train = csv("train.csv")\ndata test = csv("test.csv")\n')


def write_csv(path, x, y):
    with open(path, "w") as f:
        f.write(",".join(f"x{i}" for i in range(D)) + ",target\n")
        for row, label in zip(x, y):
            f.write(",".join(repr(float(v)) for v in row) + "," + repr(float(label)) + "\n")


def run_tp(tp, path):
    t0 = time.perf_counter()
    out = subprocess.run([tp, "run", path, "--json"], check=True, capture_output=True, text=True)
    return time.perf_counter() - t0, json.loads(out.stdout)


def rel(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


def trajectory(report, name, steps):
    """{step: (means, variances)} of observable `name`, in the program's point order."""
    out = {}
    for e in report.get("trajectory", []):
        if e["observable"] == name and e["step"] in steps:
            m, v = out.setdefault(e["step"], ([], []))
            m.append(e["value"])
            v.append(e.get("variance", 0.0))
    return out


def main():
    args = sys.argv[1:]
    tp = args[0] if args and not args[0].startswith("--") else ".build/release/tp"
    n = int(args[args.index("--train") + 1]) if "--train" in args else 2000
    p = int(args[args.index("--test") + 1]) if "--test" in args else 500
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n + p, D))
    w = rng.standard_normal(D) / np.sqrt(D)
    y = np.sin(x @ w) + 0.1 * x[:, 0]
    xtr, xte, ytr = x[:n], x[n:], y[:n]
    noise, lr, steps, every = 0.01, 1.0, 1000, 500
    print(f"posterior and kernel-regime training, relu-2 MLP in R^{D}: {n} train / {p} test points")
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        write_csv(os.path.join(tmp, "train.csv"), xtr, ytr)
        write_csv(os.path.join(tmp, "test.csv"), xte, np.zeros(p))
        programs = {
            "posterior": f"posterior f on train at test (noise: {noise})\n",
            "steps: inf": ("train f on train with sgd(lr: 1, steps: inf, batch: full, loss: mse)\n"
                           "observe f at test\nobserve loss\n"),
            f"steps: {steps}": (f"train f on train with sgd(lr: {lr}, steps: {steps}, batch: full, loss: mse)\n"
                                f"observe f at test (every: {every})\nobserve loss (every: {every})\n"),
        }
        t0 = time.perf_counter()
        k, theta = recursion("relu", x)
        t_kernels = time.perf_counter() - t0
        kxx, ktx, ktt = k[:n, :n], k[n:, :n], np.diag(k)[n:]
        txx, ttx = theta[:n, :n], theta[n:, :n]
        print(f"  numpy kernels on {n + p} points: {t_kernels:.2f} s")
        print("  case          tp (s)   numpy (s)   max rel diff mean   variance   loss")
        for name, body in programs.items():
            path = os.path.join(tmp, "prog.tp")
            with open(path, "w") as f:
                f.write(header() + body)
            t_tp, report = run_tp(tp, path)
            t0 = time.perf_counter()
            loss = {}
            if name == "posterior":
                chol = np.linalg.cholesky(kxx + noise * np.eye(n))
                alpha = np.linalg.solve(chol.T, np.linalg.solve(chol, ytr))
                v = np.linalg.solve(chol, ktx.T)
                ref = {None: (ktx @ alpha, ktt - np.sum(v * v, axis=0))}
                got = {None: ([e["mean"] for e in report["posterior"]],
                              [e["variance"] for e in report["posterior"]])}
            else:
                if name == "steps: inf":
                    s_t = np.linalg.pinv(txx, rcond=1e-10, hermitian=True)
                    reported = ["inf"]
                    p_t = {"inf": np.eye(n) - txx @ s_t}
                    s_at = {"inf": s_t}
                else:
                    a = np.eye(n) - (lr / n) * txx
                    reported = list(range(every, steps + 1, every))
                    s_at, p_t = {}, {}
                    for t in reported:
                        # doubling: (P^m, S_m) -> (P^2m, S_m + P^m S_m); bits of t from the top
                        pw, s = np.eye(n), np.zeros((n, n))
                        for bit in bin(t)[2:]:
                            s, pw = s + pw @ s, pw @ pw
                            if bit == "1":
                                s, pw = s + (lr / n) * pw, a @ pw
                        s_at[t], p_t[t] = s, pw
                ref = {}
                for t in reported:
                    wt = ttx @ s_at[t]
                    ref[t] = (wt @ ytr, ktt - 2 * np.sum(wt * ktx, axis=1) + np.sum((wt @ kxx) * wt, axis=1))
                    r = p_t[t] @ ytr
                    loss[t] = (r @ r + np.trace(p_t[t] @ kxx @ p_t[t].T)) / (2 * n)
                got = trajectory(report, "f", reported)
                got_loss = {t: l[0][0] for t, l in trajectory(report, "loss", reported).items()}
            t_np = time.perf_counter() - t0 + t_kernels
            dm = max(rel(got[t][0], ref[t][0]) for t in ref)
            dv = max(rel(got[t][1], ref[t][1]) for t in ref)
            # the trained loss is ~0 on both sides: relative to the larger of it and mean(y^2)
            scale = float(np.mean(ytr * ytr))
            dl = max((abs(got_loss[t] - loss[t]) / max(abs(loss[t]), scale) for t in loss), default=0.0)
            worst = max(worst, dm, dv, dl)
            print(f"  {name:12s}  {t_tp:6.2f}   {t_np:8.2f}    {dm:10.1e}        {dv:8.1e}   "
                  + (f"{dl:.1e}" if loss else "-"))
    print(f"  largest relative difference {worst:.1e} ({'ok' if worst <= 1e-8 else 'ABOVE 1e-8'})")


if __name__ == "__main__":
    main()
