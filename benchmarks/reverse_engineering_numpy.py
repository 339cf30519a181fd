"""NumPy check of tp's reverse-engineered activations (issue #14; `reverse f to "FILE"`).

`tp run examples/reverse_relu4.tp` writes examples/reverse_relu4_shallow.tp: a one-hidden-layer
network whose activation `def phi(z) = c0 + z * (c1 + z * (...))` is meant to give it the NTK
(or NNGP) of a deep ReLU network on the unit sphere. This script checks that claim without tp:

  target   the deep ReLU NTK/NNGP by the arc-cosine recursion (Cho & Saul 2009; Jacot et al.
           2018), NTK parametrization with tp's conventions: input layer variance d on unit
           inputs (Sigma_1 = rho), hidden layers variance --hidden-var, readout --readout-var;
           with kappa1(c) = (sqrt(1-c^2) + (pi - arccos c) c)/pi, kappa0(c) = (pi - arccos c)/pi
           (the pre-activations keep unit variance for hidden variance 2):
             Sigma_{l+1} = s^2/2 kappa1(Sigma_l),  Theta_{l+1} = Sigma_{l+1} + s^2/2 kappa0 Theta_l
  shallow  phi is read from the generated file (its Horner expression, evaluated on a
           numpy Polynomial, so the coefficients are exact) and the one-hidden-layer kernels
           of a network with unit pre-activation variance and readout variance 1 are
             K(rho) = E[phi(u) phi(v)],   Theta(rho) = K(rho) + rho E[phi'(u) phi'(v)]
           with (u, v) standard normal of correlation rho, by 2-D Gauss-Hermite quadrature
           (numpy.polynomial.hermite_e, 120 nodes: exact for polynomials of degree < 240).

It prints the largest |shallow - target| over rho in [-1, rho_max] and rho = 1 (a fine grid),
relative to max |target|, the same over all of [-1, 1] for information, and how far the target
values written into the generated file (the labels of its data set `sphere`) are from the
recursion. Exit status 1 when the relative error on the fitted range exceeds --accuracy.

usage:
  python3 benchmarks/reverse_engineering_numpy.py examples/reverse_relu4_shallow.tp \\
      --depth 4 --hidden-var 2 --readout-var 1 --rho-max 0.9 --accuracy 1e-3 [--kernel ntk]
"""
from __future__ import annotations

import argparse
import re
import sys

import numpy as np
from numpy.polynomial import Polynomial
from numpy.polynomial.hermite_e import hermegauss


def relu_kernels(rho: np.ndarray, depth: int, hidden_var: float, readout_var: float):
    """Deep ReLU NNGP and NTK at cosine rho between unit inputs (input layer: Sigma_1 = rho)."""
    sigma = rho.astype(float).copy()
    theta = sigma.copy()
    q = 1.0  # diagonal Sigma_l(x, x)
    for layer in range(depth):
        s2 = readout_var if layer == depth - 1 else hidden_var
        c = np.clip(sigma / q, -1, 1)
        angle = np.arccos(c)
        k1 = q * (np.sqrt(1 - c * c) + (np.pi - angle) * c) / (2 * np.pi)  # E[relu(u) relu(v)]
        k0 = (np.pi - angle) / (2 * np.pi)  # E[step(u) step(v)]
        sigma, theta = s2 * k1, s2 * k1 + s2 * k0 * theta
        q = s2 * q / 2
    return sigma, theta


def read_activation(path: str) -> Polynomial:
    text = open(path, encoding="utf-8").read()
    match = re.search(r"^def phi\(z\) = (.*?)\n\s*\n", text, re.S | re.M)
    if not match:
        raise SystemExit(f"{path}: no 'def phi(z) = ...' followed by a blank line")
    body = match.group(1).replace("\n", " ")
    if not re.fullmatch(r"[0-9eE+\-.z*() ]+", body):
        raise SystemExit(f"{path}: unexpected characters in the definition of phi")
    return eval(body, {"__builtins__": {}}, {"z": Polynomial([0.0, 1.0])})  # noqa: S307 (checked above)


def read_labels(path: str) -> tuple[np.ndarray, np.ndarray]:
    """The cosines x(0).x and target values of the generated file's data set 'sphere'."""
    text = open(path, encoding="utf-8").read()
    block = re.search(r"data sphere = \[(.*?)\n\]", text, re.S)
    if not block:
        return np.array([]), np.array([])
    rhos, values = [], []
    for m in re.finditer(r"\[([^\]]*)\] -> ([-+0-9.eE]+)", block.group(1)):
        x = [float(t) for t in m.group(1).split(",")]
        rhos.append(x[0])
        values.append(float(m.group(2)))
    return np.array(rhos), np.array(values)


def shallow_kernels(phi: Polynomial, rho: np.ndarray, nodes: int = 120):
    z, w = hermegauss(nodes)
    w = w / w.sum()
    dphi = phi.deriv()
    z1, z2 = np.meshgrid(z, z, indexing="ij")
    ww = np.outer(w, w)
    p1, d1 = phi(z1), dphi(z1)
    nngp, ntk = np.empty_like(rho), np.empty_like(rho)
    for i, r in enumerate(rho):
        v = r * z1 + np.sqrt(max(0.0, 1 - r * r)) * z2
        k = np.sum(ww * p1 * phi(v))
        nngp[i] = k
        ntk[i] = k + r * np.sum(ww * d1 * dphi(v))
    return nngp, ntk


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("program")
    parser.add_argument("--depth", type=int, default=4)
    parser.add_argument("--hidden-var", type=float, default=2.0)
    parser.add_argument("--readout-var", type=float, default=1.0)
    parser.add_argument("--rho-max", type=float, default=1.0)
    parser.add_argument("--accuracy", type=float, default=1e-3)
    parser.add_argument("--kernel", choices=["ntk", "nngp"], default="ntk")
    parser.add_argument("--points", type=int, default=2001)
    a = parser.parse_args()

    phi = read_activation(a.program)
    angles = np.linspace(0, np.pi, a.points)
    rho = np.cos(angles)
    fitted = (rho <= a.rho_max) | (angles == 0)
    target_k, target_t = relu_kernels(rho, a.depth, a.hidden_var, a.readout_var)
    shallow_k, shallow_t = shallow_kernels(phi, rho)
    target, shallow = (target_t, shallow_t) if a.kernel == "ntk" else (target_k, shallow_k)
    gap = np.abs(shallow - target)
    scale = np.max(np.abs(target[fitted]))
    worst = int(np.argmax(np.where(fitted, gap, -1)))
    error = gap[worst] / scale
    print(f"activation: degree {phi.degree()} polynomial from {a.program}")
    print(f"target: {a.depth}-hidden-layer ReLU {a.kernel.upper()}, scale max|target| = {scale:.12g}")
    print(
        f"max |shallow - target| / scale on {int(fitted.sum())} points of rho in [-1, {a.rho_max:g}] and rho = 1: "
        f"{error:.3e} (at rho = {rho[worst]:.6f})"
    )
    print(f"max |shallow - target| / scale on all of [-1, 1] ({a.points} points): {np.max(gap) / scale:.3e}")
    label_rho, labels = read_labels(a.program)
    if labels.size:
        _, lt = relu_kernels(label_rho, a.depth, a.hidden_var, a.readout_var)
        lk, _ = relu_kernels(label_rho, a.depth, a.hidden_var, a.readout_var)
        expected = lt if a.kernel == "ntk" else lk
        print(
            f"target values written by tp ({labels.size} labels of 'sphere'): max relative deviation from the "
            f"recursion {np.max(np.abs(labels - expected)) / scale:.3e}"
        )
    status = 0 if error <= a.accuracy else 1
    print("PASS" if status == 0 else f"FAIL: {error:.3e} > accuracy {a.accuracy:g}")
    return status


if __name__ == "__main__":
    sys.exit(main())
