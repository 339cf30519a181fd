"""NumPy reference for tp's kernel science (issue #14): alignment, eigenstructure, eigenlearning.

Reads a kernel matrix K (M x M) and a target y (M values, or M x c for several outputs) and
prints, with 12 digits after the point, what the Swift numerics in Sources/TPNumerics compute
(KernelTargetAlignment, KernelEigenstructure, EigenlearningProblem), in the conventions of
../shared/docs/LANGUAGE.md, "Kernel analysis", so that the two can be compared to 1e-10:

  alignment      A(K, y) = y'Ky / (||K||_F ||y||^2)   (Cristianini et al. 2001); several
                 outputs: sum_c y_c'Ky_c / (||K||_F sum_c ||y_c||^2); centred: the same with
                 K_c = HKH, y_c = Hy, H = I - 11'/M    (Cortes, Mohri & Rostamizadeh 2012)
  eigenvalues    of K/M, decreasing (numpy.linalg.eigh)
  coefficients   v_i = u_i'y / sqrt(M), the sign of u_i chosen so that its first entry with
                 |u_ji| > 1e-9 max_j |u_ji| is positive
  power curve    cumulative sum of v_i^2 divided by ||y||^2/M
  eigenlearning  (Simon, Dickens, Karkada & DeWeese, TMLR 2023) for n samples, ridge delta,
                 noise variance eps^2, on the full spectrum of K/M (eigenvalues with
                 |lambda| <= 1e-12 max lambda count as 0):
                   kappa > 0 solves  sum_i lambda_i/(lambda_i + kappa) + delta/kappa = n
                   L_i = lambda_i/(lambda_i + kappa),  E0 = n/(n - sum_i L_i^2)
                   test MSE = E0 (sum_i (1 - L_i)^2 v_i^2 + eps^2)
                   train MSE = (delta/(n kappa))^2 test MSE
                 (kappa by bisection in log(kappa) to the last bit, then one Newton step; the
                 Swift code uses safeguarded Newton, so kappa agrees to ~1e-15 relative.)

Within a repeated eigenvalue the individual coefficients are not unique (any orthonormal basis
of the eigenspace); compare the eigenspace power instead, which is also printed. Tiny
eigenvalues (~1e-16 lambda_max) carry no relative accuracy in either code: compare eigenvalues
absolutely, on the scale of the largest.

usage:
  python3 benchmarks/kernel_science_numpy.py KERNEL [--target FILE] [--top K]
          [--samples 10,30,100] [--ridge 0.001] [--noise 0] [--json]
          [--compare OTHER.json [--kernel-name ntk] [--tolerance 1e-10]]
  python3 benchmarks/kernel_science_numpy.py --write-demo DIR [--points 200] [--dimension 8]

KERNEL and --target are .npy files or .csv files (comma-separated, no header). Without
--target, the last column of KERNEL's file is taken as the target when the file has M + 1
columns (a "kernel | target" table). --write-demo writes DIR/kernel.csv, DIR/kernel.npy and
DIR/target.csv: the one-hidden-layer ReLU NTK of random points on the unit sphere (the
arc-cosine formulas, as in Tests/TPNumericsTests/KernelScienceFixtures.swift) and a smooth
target, for running both codes on the same data; and DIR/data.csv (the points and the target)
with DIR/demo.tp, a .tp program whose NTK on data.csv is that kernel:

  python3 benchmarks/kernel_science_numpy.py --write-demo /tmp/demo --points 200
  tp run /tmp/demo/demo.tp --json > /tmp/demo/tp.json
  python3 benchmarks/kernel_science_numpy.py /tmp/demo/kernel.npy --target /tmp/demo/target.csv \\
      --compare /tmp/demo/tp.json --kernel-name ntk --json prints one JSON object with the keys
of LANGUAGE.md ("alignment", "eigen", "eigenlearning") plus the extras shown in the text form.

--compare OTHER.json checks another code's results (tp's --json output, or anything with the
LANGUAGE.md keys) against these, for the entries whose "kernel" is --kernel-name (default: the
only kernel present): the uncentred alignment, the eigenvalues (absolute error over the
largest), the target coefficients of modes whose eigenvalue is separated from its neighbours
by more than 1e-8 of the largest (absolute), and per sample count kappa, test_mse, train_mse,
target_learnability (relative) and learnabilities (absolute). It prints the largest deviation
of each and exits with status 1 if any exceeds --tolerance (default 1e-10).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys

import numpy as np

SIGN_THRESHOLD = 1e-9  # KernelEigenstructure.signThreshold
ZERO_TOLERANCE = 1e-12  # EigenlearningProblem zeroTolerance default


def load(path: str) -> np.ndarray:
    if path.endswith(".npy"):
        return np.load(path).astype(np.float64)
    return np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2)


def alignment(k: np.ndarray, y: np.ndarray, centred: bool) -> dict:
    """Sum over outputs (columns of y), as KernelTargetAlignment."""
    k = k / np.abs(k).max()
    y = y / np.abs(y).max()
    m = k.shape[0]
    if centred:
        k = k - k.mean(axis=1, keepdims=True) - k.mean(axis=0, keepdims=True) + k.mean()
        y = y - y.mean(axis=0, keepdims=True)
    frobenius = np.sqrt((k * k).sum())
    numerators = np.einsum("ic,ij,jc->c", y, k, y)
    norms = (y * y).sum(axis=0)
    per_output = [float(q / (frobenius * n)) if n > 0 else None for q, n in zip(numerators, norms)]
    return {"value": float(numerators.sum() / (frobenius * norms.sum())), "outputs": per_output, "points": m}


def eigenstructure(k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    m = k.shape[0]
    sym = 0.5 * (k + k.T)
    values, vectors = np.linalg.eigh(sym)
    values = values[::-1] / m
    vectors = vectors[:, ::-1].copy()
    for i in range(m):
        u = vectors[:, i]
        largest = np.abs(u).max()
        nonzero = np.nonzero(np.abs(u) > SIGN_THRESHOLD * largest)[0]
        if nonzero.size and u[nonzero[0]] < 0:
            vectors[:, i] = -u
    return values, vectors


def eigenspace_powers(values: np.ndarray, v: np.ndarray, relative_gap: float = 1e-8) -> list[tuple[int, int, float]]:
    """(first index, size, sum of v^2) for clusters of eigenvalues closer than the gap."""
    scale = abs(values[0]) if values.size else 1.0
    clusters = []
    start = 0
    for i in range(1, len(values) + 1):
        if i == len(values) or abs(values[i] - values[i - 1]) > relative_gap * scale:
            clusters.append((start, i - start, float((v[start:i] ** 2).sum())))
            start = i
    return clusters


def solve_kappa(lam: np.ndarray, n: int, delta: float) -> float:
    rank = int((lam > 0).sum())
    if n < 1:
        raise ValueError("samples must be at least 1")
    if delta == 0 and n >= rank:
        raise ValueError(f"interpolation threshold: ridge 0 with n = {n} >= rank {rank}")
    positive = lam[lam > 0]

    def g(kappa: float) -> float:
        return math.fsum(positive / (positive + kappa)) + delta / kappa - n

    hi = (math.fsum(positive) + delta) / n
    lo = delta / n if delta > 0 else positive.min() * (rank - n) / n
    for _ in range(2000):
        mid = math.sqrt(lo * hi)
        if mid <= lo or mid >= hi:
            break
        if g(mid) > 0:
            lo = mid
        else:
            hi = mid
    kappa = math.sqrt(lo * hi)
    slope = math.fsum(positive * kappa / (positive + kappa) ** 2) + delta / kappa
    return kappa * math.exp(g(kappa) / slope)


def eigenlearning(lam: np.ndarray, v: np.ndarray, n: int, delta: float, noise: float) -> dict:
    largest = lam.max()
    lam = np.where(np.abs(lam) <= ZERO_TOLERANCE * largest, 0.0, lam)
    if (lam < 0).any():
        raise ValueError(f"kernel is not PSD: eigenvalue {lam.min()}")
    kappa = solve_kappa(lam, n, delta)
    learn = lam / (lam + kappa)
    one_minus = kappa / (lam + kappa)
    v2 = v * v
    stiffness = math.fsum(learn * one_minus) + delta / kappa
    e0 = n / stiffness
    test = e0 * (math.fsum(one_minus**2 * v2) + noise)
    power = math.fsum(v2)
    return {
        "samples": n,
        "ridge": delta,
        "noise": noise,
        "kappa": kappa,
        "learnabilities": learn.tolist(),
        "learnability_sum": math.fsum(learn),
        "kappa_residual": math.fsum(learn) + delta / kappa - n,
        "target_learnability": math.fsum(learn * v2) / power if power > 0 else None,
        "overfitting_coefficient": e0,
        "test_mse": test,
        "train_mse": (delta / (n * kappa)) ** 2 * test,
    }


def write_demo(directory: str, points: int, dimension: int) -> None:
    rng = np.random.default_rng(2024)
    x = rng.standard_normal((points, dimension))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    rho = np.clip(x @ x.T, -1, 1)
    np.fill_diagonal(rho, 1)
    theta = np.arccos(rho)
    k1 = (np.sqrt(1 - rho * rho) + (np.pi - theta) * rho) / np.pi
    k0 = (np.pi - theta) / np.pi
    ntk = k1 + rho * k0  # one hidden layer, c_sigma = 2
    ntk = 0.5 * (ntk + ntk.T)
    y = x[:, 0] + 2 * x[:, 1] * x[:, 2] + np.sin(2 * x[:, 0])
    os.makedirs(directory, exist_ok=True)
    np.save(os.path.join(directory, "kernel.npy"), ntk)
    np.savetxt(os.path.join(directory, "kernel.csv"), ntk, delimiter=",", fmt="%.17g")
    np.savetxt(os.path.join(directory, "target.csv"), y, delimiter=",", fmt="%.17g")
    # The same data set for tp: inputs then the target, with a header; and a program whose
    # one-hidden-layer ReLU NTK is this kernel (input var d so that the pre-activation
    # covariance is x.x'; readout var 2 so that K = k1 and the NTK is k1 + rho k0).
    header = ",".join([f"x{i + 1}" for i in range(dimension)] + ["target"])
    np.savetxt(os.path.join(directory, "data.csv"), np.column_stack([x, y]), delimiter=",", fmt="%.17g",
               header=header, comments="")
    with open(os.path.join(directory, "demo.tp"), "w") as handle:
        handle.write(
            "# One-hidden-layer ReLU network whose NTK is the demo kernel (benchmarks/kernel_science_numpy.py)\n"
            f"width n\nlayer U : {dimension} -> n  (var: {dimension})\nlayer V : n -> 1  (var: 2)\n"
            "model f(xi) {\n  h = U @ xi\n  x = relu(h)\n  return V @ x\n}\nparametrization ntk\n"
            'data pool = csv("data.csv")\nalignment f on pool\neigen f on pool (top: 20)\n'
            "eigenlearning f on pool (samples: [10, 30, 100], ridge: 0, kernel: ntk)\n")
    print(f"wrote {directory}/kernel.csv, kernel.npy, target.csv, data.csv, demo.tp ({points} points on S^{dimension - 1})")


def compare(result: dict, spectrum: np.ndarray, other: dict, kernel_name: str | None, tolerance: float) -> int:
    """Largest deviations of `other` from `result` (this script's own numbers); 0 if all pass."""

    def entries(key: str) -> list:
        items = other.get(key, [])
        names = {e.get("kernel") for e in items}
        name = kernel_name if kernel_name is not None else (names.pop() if len(names) == 1 else None)
        if name is None and items:
            raise SystemExit(f"--kernel-name needed: {key} has kernels {sorted(map(str, names))}")
        return [e for e in items if e.get("kernel") == name]

    checks: list[tuple[str, float]] = []
    mine_alignment = next(a for a in result["alignment"] if not a["centred"])
    for a in entries("alignment"):
        if a.get("centred", False):
            continue
        checks.append(("alignment", abs(a["value"] - mine_alignment["value"])))
    mine_eigen = result["eigen"][0]
    values = np.array(mine_eigen["eigenvalues"])
    scale = abs(values[0])
    for e in entries("eigen"):
        theirs = np.array(e["eigenvalues"])
        n = min(len(theirs), len(values))
        checks.append(("eigenvalues / lambda_max", float(np.abs(theirs[:n] - values[:n]).max() / scale)))
        mine_v = np.array(mine_eigen["target_coefficients"])
        their_v = np.array(e.get("target_coefficients", []))
        n = min(n, len(mine_v), len(their_v))
        # A mode's coefficient is well defined when its eigenvalue is simple: its distance to
        # both neighbours in the full spectrum exceeds 1e-8 of the largest.
        padded = np.concatenate([[np.inf], spectrum, [-np.inf]])
        gaps = np.minimum(padded[:-2] - padded[1:-1], padded[1:-1] - padded[2:])[:n]
        simple = gaps > 1e-8 * scale
        if n and simple.any():
            checks.append(("target coefficients (simple modes)", float(np.abs(their_v[:n] - mine_v[:n])[simple].max())))
    mine_el = {p["samples"]: p for p in result["eigenlearning"] if "error" not in p and p["output"] == 0}
    for p in entries("eigenlearning"):
        mine = mine_el.get(p.get("samples"))
        if mine is None:
            continue
        for key in ("kappa", "test_mse", "train_mse", "target_learnability"):
            if p.get(key) is None or mine.get(key) is None:
                continue
            denominator = abs(mine[key]) if mine[key] != 0 else 1.0
            checks.append((f"n = {p['samples']}: {key} (relative)", abs(p[key] - mine[key]) / denominator))
        if "learnabilities" in p:
            theirs = np.array(p["learnabilities"])
            ours = np.array(mine["learnabilities"])
            n = min(len(theirs), len(ours))
            checks.append((f"n = {p['samples']}: learnabilities", float(np.abs(theirs[:n] - ours[:n]).max())))
    if not checks:
        print("compare: nothing to compare (no matching entries)")
        return 1
    failed = 0
    for name, deviation in checks:
        status = "ok" if deviation <= tolerance else "FAIL"
        failed += status == "FAIL"
        print(f"{status:4s} {name:45s} {deviation:.3e}")
    print(f"compare: {len(checks) - failed} of {len(checks)} within {tolerance:g}")
    return 1 if failed else 0


def fmt(x) -> str:
    return "None" if x is None else f"{x:.12e}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kernel", nargs="?")
    parser.add_argument("--target")
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--samples", default="10,30,100")
    parser.add_argument("--ridge", type=float, default=0.0)
    parser.add_argument("--noise", type=float, default=0.0)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--write-demo", metavar="DIR")
    parser.add_argument("--points", type=int, default=200)
    parser.add_argument("--dimension", type=int, default=8)
    parser.add_argument("--compare", metavar="OTHER.json")
    parser.add_argument("--kernel-name")
    parser.add_argument("--tolerance", type=float, default=1e-10)
    args = parser.parse_args()

    if args.write_demo:
        write_demo(args.write_demo, args.points, args.dimension)
        return 0
    if not args.kernel:
        parser.error("a kernel file is required (or --write-demo DIR)")

    table = load(args.kernel)
    m = table.shape[0]
    if args.target:
        k = table
        y = load(args.target)
        if y.ndim == 1 or (y.shape[0] == 1 and m != 1):
            y = y.reshape(-1, 1)
    elif table.shape[1] == m + 1:
        k, y = table[:, :m], table[:, m:]
    else:
        parser.error("give --target, or a file with M + 1 columns (kernel | target)")
    if k.shape != (m, m) or y.shape[0] != m:
        parser.error(f"shapes do not fit: kernel {k.shape}, target {y.shape}")
    if not (np.isfinite(k).all() and np.isfinite(y).all()):
        parser.error("non-finite entries")

    values, vectors = eigenstructure(k)
    top = min(args.top, m)
    samples = [int(s) for s in args.samples.split(",") if s.strip()]
    result: dict = {"points": m, "alignment": [], "eigen": [], "eigenlearning": []}
    for centred in (False, True):
        a = alignment(k, y, centred)
        result["alignment"].append({"kernel": "input", "centred": centred, "value": a["value"], "outputs": a["outputs"]})
    for c in range(y.shape[1]):
        coefficients = vectors.T @ y[:, c] / math.sqrt(m)
        power = float((y[:, c] ** 2).sum() / m)
        curve = np.cumsum(coefficients**2) / power if power > 0 else np.zeros(m)
        result["eigen"].append(
            {
                "kernel": "input",
                "output": c,
                "eigenvalues": values[:top].tolist(),
                "target_coefficients": coefficients[:top].tolist(),
                "cumulative_power": curve[:top].tolist(),
                "power": power,
                "trace": float(np.trace(k) / m),
                "eigenspace_powers": eigenspace_powers(values[:top], coefficients[:top]),
            }
        )
        for n in samples:
            try:
                p = eigenlearning(values, coefficients, n, args.ridge, args.noise)
                p["learnabilities"] = p["learnabilities"][:top]
                p.update({"kernel": "input", "output": c})
            except ValueError as error:
                p = {"kernel": "input", "output": c, "samples": n, "error": str(error)}
            result["eigenlearning"].append(p)

    if args.compare:
        with open(args.compare) as handle:
            other = json.load(handle)
        return compare(result, values, other, args.kernel_name, args.tolerance)
    if args.json:
        json.dump(result, sys.stdout, indent=1)
        print()
        return 0

    print(f"# {m} points, {y.shape[1]} output(s); numbers with 12 digits after the point")
    for a in result["alignment"]:
        label = "centred alignment" if a["centred"] else "alignment"
        print(f"{label:20s} {fmt(a['value'])}   per output: {', '.join(fmt(o) for o in a['outputs'])}")
    print(f"{'trace(K)/M':20s} {fmt(result['eigen'][0]['trace'])}")
    print(f"# eigenvalues of K/M (top {top})")
    for i, lam in enumerate(values[:top]):
        print(f"lambda[{i}] {fmt(lam)}")
    for e in result["eigen"]:
        print(f"# output {e['output']}: power ||y||^2/M = {fmt(e['power'])}; v_i, cumulative power fraction")
        for i, (v, f) in enumerate(zip(e["target_coefficients"], e["cumulative_power"])):
            print(f"v[{i}] {fmt(v)}   cum {fmt(f)}")
        repeated = [c for c in e["eigenspace_powers"] if c[1] > 1]
        for first, size, total in repeated:
            print(f"eigenspace {first}..{first + size - 1} (repeated eigenvalue): sum v^2 {fmt(total)}")
    for p in result["eigenlearning"]:
        head = f"# eigenlearning output {p['output']}, n = {p['samples']}, ridge {args.ridge}, noise {args.noise}"
        if "error" in p:
            print(f"{head}: {p['error']}")
            continue
        print(head)
        for key in (
            "kappa",
            "learnability_sum",
            "kappa_residual",
            "target_learnability",
            "overfitting_coefficient",
            "test_mse",
            "train_mse",
        ):
            print(f"{key:24s} {fmt(p[key])}")
        print("learnabilities (top):", " ".join(fmt(x) for x in p["learnabilities"][: min(top, 10)]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
