"""Cross-check and time `tp`'s infinite-width NNGP/NTK kernels against Neural Tangents.

For a few fully connected architectures, the script draws random inputs, writes the
matching `.tp` program with a `kernel f at ...` line, runs `tp run --json`, builds the
same network with `neural_tangents.stax` and compares the two NNGP and NTK Gram
matrices entry by entry; running tp twice with different `--seed`s shows which of its
numbers are Monte Carlo estimates (tp samples a moment when it involves more than three
base Gaussians, and its kernel report does not say so). It then times both on
N = 16, 32, 64 points in the same run. Findings: benchmarks/README.md.

Setup (CPU only; float64 is switched on below):

    pip install neural-tangents
    # neural-tangents 0.6.5 (the latest release) imports symbols that newer JAX and
    # tf2jax removed; if `import neural_tangents` fails, pin compatible versions:
    pip install "jax==0.4.30" "jaxlib==0.4.30" "tf2jax==0.3.6"

usage: python3 benchmarks/kernels_nt.py [--tp PATH] [--points 8] [--sizes 16,32,64]
                                        [--repeats 3] [--timing-arch relu-2] [--skip-timing]

Conventions (tp's docs/language.md and docs/theory.md vs NT's stax), which make the
matrices agree exactly in the limit:

* `layer U : d -> n (var: s)` has effective entries N(0, s/d) (tp's input-layer factor
  c = d^{-1/2}); stax.Dense(W_std=sqrt(s), parameterization='ntk') multiplies standard
  normal weights by W_std / sqrt(fan_in) with fan_in = d: the same law. Hidden
  (`n -> n`) and readout (`n -> 1`) layers likewise map to W_std = sqrt(var), fan_in = n.
* Under tp's `ntk` parametrization the trained parameters are the standard normal w
  (learning-rate exponent c = 0), which is exactly NT's 'ntk' parameterization, so the
  NTK is the sum over all layers, input layer included, with no extra factors.
* tp has no biases unless declared: `bias b : n (var: t)` added after a layer is
  Dense(b_std=sqrt(t)) on that layer (NT's 'ntk' bias is b_std * beta, beta ~ N(0, 1),
  trained); every other Dense gets b_std=None. The readout never has a bias here.
* Activations: tp's `relu`, `erf` (erf itself, no rescaling), `gelu` (x Phi(x), the
  exact erf form) and `sin` are stax.Relu(), stax.Erf(a=1, b=1, c=0),
  stax.Gelu(approximate=False) and stax.Sin(a=1, b=1, c=0), all closed forms in NT.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # NT imports TensorFlow; keep it quiet
try:
    import jax

    jax.config.update("jax_enable_x64", True)  # before any array is created
    from neural_tangents import stax
except ImportError as error:
    sys.exit(
        f"kernels_nt.py needs neural_tangents ({error}).\n"
        "Install it with: pip install neural-tangents\n"
        'and, if the import still fails: pip install "jax==0.4.30" "jaxlib==0.4.30" "tf2jax==0.3.6"'
    )

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_TP = os.path.join(REPO, ".build", "release", "tp")
TOLERANCE = 1e-8  # closed-form kernels should agree to rounding (~1e-14)

NT_ACTIVATIONS = {
    "relu": stax.Relu,
    "erf": lambda: stax.Erf(a=1.0, b=1.0, c=0.0),
    "gelu": lambda: stax.Gelu(approximate=False),
    "sin": lambda: stax.Sin(a=1.0, b=1.0, c=0.0),
}


@dataclasses.dataclass(frozen=True)
class Arch:
    """A fully connected network on R^input_dim: `depth` hidden layers of one activation."""

    activation: str
    depth: int
    input_dim: int = 3
    input_var: float = 1.7
    hidden_var: float = 2.0
    readout_var: float = 0.8
    bias_var: float | None = None  # a bias after every hidden-width layer when set

    @property
    def name(self) -> str:
        bias = "+bias" if self.bias_var is not None else ""
        return f"{self.activation}-{self.depth}{bias} d={self.input_dim}"


ARCHS = [
    Arch("relu", 1),
    Arch("relu", 2),
    Arch("relu", 3),
    Arch("relu", 2, bias_var=0.1),
    Arch("erf", 1),
    Arch("erf", 2),
    Arch("erf", 3),
    Arch("erf", 2, bias_var=0.1),
    Arch("gelu", 2),
    Arch("sin", 1),
    # Controls on scalar inputs: at most three base Gaussians per NTK moment, so tp uses
    # quadrature (or a closed form) and no Monte Carlo; this isolates the conventions.
    Arch("relu", 1, input_dim=1),
    Arch("relu", 2, input_dim=1),
    Arch("erf", 1, input_dim=1),
    Arch("sin", 1, input_dim=1),
    Arch("sin", 1, input_dim=1, bias_var=0.1),
]

# The repository's own kernel example, checked as shipped.
EXAMPLE_PATH = "examples/kernel_relu.tp"
EXAMPLE_ARCH = Arch("relu", 2, input_dim=2, input_var=2.0, hidden_var=2.0, readout_var=1.0)
EXAMPLE_POINTS = [[1.0, 0.0], [0.6, 0.8], [-0.5, 0.5]]


# ---------------------------------------------------------------------------- tp side


def format_point(x: np.ndarray) -> str:
    return "[" + ", ".join(repr(float(v)) for v in x) + "]"


def tp_program(arch: Arch, points: np.ndarray) -> str:
    """The `.tp` source of `arch` with a `kernel f at ...` request over `points`."""
    layers = [f"layer U : {arch.input_dim} -> n  (var: {arch.input_var!r})"]
    layers += [f"layer W{l} : n -> n  (var: {arch.hidden_var!r})" for l in range(2, arch.depth + 1)]
    layers.append(f"layer V : n -> 1  (var: {arch.readout_var!r})")
    biases, body, x = [], [], "xi"
    for l in range(1, arch.depth + 1):
        pre = f"{'U' if l == 1 else f'W{l}'} @ {x}"
        if arch.bias_var is not None:
            biases.append(f"bias b{l} : n  (var: {arch.bias_var!r})")
            pre += f" + b{l}"
        x = f"x{l}"
        body.append(f"  {x} = {arch.activation}({pre})")
    points_text = ", ".join(format_point(p) for p in points)
    return "\n".join(
        ["width n", *layers, *biases, "model f(xi) {", *body, f"  return V @ {x}", "}",
         "parametrization ntk", f"kernel f at {points_text}", ""]
    )


def write_program(arch: Arch, points: np.ndarray, workdir: str) -> str:
    slug = arch.name.replace(" ", "_").replace("=", "").replace("+", "_")
    path = os.path.join(workdir, f"{slug}_N{len(points)}.tp")
    with open(path, "w") as f:
        f.write(tp_program(arch, points))
    return path


def run_tp(tp: str, path: str, *options: str) -> dict:
    result = subprocess.run([tp, "run", path, "--json", *options], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"tp run {path} failed ({result.returncode}): {result.stderr.strip()}")
    return json.loads(result.stdout)


def kernels_of(tp_json: dict) -> tuple[np.ndarray, np.ndarray]:
    """(NNGP, NTK) from `tp run --json` output."""
    kernels = {k["name"]: np.array(k["matrix"]) for k in tp_json["kernels"]}
    return kernels["nngp"], kernels["ntk"]


# ---------------------------------------------------------------------------- NT side


def nt_kernel_fn(arch: Arch):
    """The stax kernel function of `arch` (mapping in the module docstring)."""
    b_std = None if arch.bias_var is None else float(np.sqrt(arch.bias_var))
    layers = []
    for l in range(1, arch.depth + 1):
        w_var = arch.input_var if l == 1 else arch.hidden_var
        # The width (512) does not enter the infinite-width kernel.
        layers += [
            stax.Dense(512, W_std=float(np.sqrt(w_var)), b_std=b_std, parameterization="ntk"),
            NT_ACTIVATIONS[arch.activation](),
        ]
    layers.append(stax.Dense(1, W_std=float(np.sqrt(arch.readout_var)), parameterization="ntk"))
    return stax.serial(*layers)[2]


def nt_kernels(kernel_fn, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    k = kernel_fn(points, None, ("nngp", "ntk"))  # x2=None: the same as (x, x)
    return np.asarray(k.nngp), np.asarray(k.ntk)


# ---------------------------------------------------------------------------- reports


def random_points(n: int, d: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, d))


def best_of(repeats: int, fn) -> tuple[float, object]:
    """(best wall time, last result) of `repeats` calls of `fn`."""
    best, result = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def print_table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(r: list[str]) -> str:
        return "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths)))

    print(line(header))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(line(r))


def describe_mismatch(a: np.ndarray, b: np.ndarray) -> str:
    """The worst entry of tp's `a` against NT's `b`, and how many entries are off."""
    i, j = np.unravel_index(np.argmax(np.abs(a - b)), a.shape)
    bad = np.abs(a - b) > TOLERANCE
    n_diag = int(np.trace(bad))
    return (f"worst ({i},{j}): tp {a[i, j]:.12g} vs NT {b[i, j]:.12g} "
            f"(rel {abs(a[i, j] - b[i, j]) / abs(b[i, j]):.1e}); off by > {TOLERANCE:g}: "
            f"{n_diag}/{len(a)} diagonal, {int(bad.sum()) - n_diag}/{a.size - len(a)} off-diagonal")


def correctness_cases(n_points: int, workdir: str):
    """(label, arch, points, .tp path): ARCHS on random points, then the shipped example."""
    for arch in ARCHS:
        points = random_points(n_points, arch.input_dim, seed=0)
        yield arch.name, arch, points, write_program(arch, points, workdir)
    yield (EXAMPLE_PATH, EXAMPLE_ARCH, np.array(EXAMPLE_POINTS), os.path.join(REPO, EXAMPLE_PATH))


def correctness(tp: str, n_points: int, workdir: str) -> None:
    a = ARCHS[0]
    print(f"Correctness: N = {n_points} points, iid N(0, 1) coordinates (numpy seed 0); "
          f"layer variances input {a.input_var}, hidden {a.hidden_var}, readout {a.readout_var}, "
          f"bias 0.1 where marked;\nlast row: {EXAMPLE_PATH} as shipped (relu-2, d=2, variances "
          f"2, 2, 1; its 3 points).\n'seed spread' = max |NTK(--seed 0) - NTK(--seed 1)| in tp "
          f"(nonzero: Monte Carlo).\n")
    rows, notes = [], []
    for label, arch, points, path in correctness_cases(n_points, workdir):
        tp_nngp, tp_ntk = kernels_of(run_tp(tp, path))
        spread = np.abs(kernels_of(run_tp(tp, path, "--seed", "1"))[1] - tp_ntk).max()
        nt_nngp, nt_ntk = nt_kernels(nt_kernel_fn(arch), points)
        d_nngp, d_ntk = np.abs(tp_nngp - nt_nngp).max(), np.abs(tp_ntk - nt_ntk).max()
        ok = max(d_nngp, d_ntk) <= TOLERANCE
        rows.append([label, f"{d_nngp:.1e}", f"{d_ntk:.1e}", f"{np.abs(nt_ntk).max():.3g}",
                     f"{spread:.1e}", "ok" if ok else "MISMATCH"])
        for kind, tp_k, nt_k in (("NNGP", tp_nngp, nt_nngp), ("NTK", tp_ntk, nt_ntk)):
            if np.abs(tp_k - nt_k).max() > TOLERANCE:
                notes.append(f"  {label} {kind}: {describe_mismatch(tp_k, nt_k)}")
    print_table(["arch", "max|dNNGP|", "max|dNTK|", "max|NTK|", "seed spread",
                 f"tol {TOLERANCE:g}"], rows)
    if notes:
        print("\nMismatches:")
        print("\n".join(notes))


def time_nt(fn, points: np.ndarray, repeats: int) -> tuple[float, np.ndarray]:
    """Best time of `fn(points, None, get=('nngp', 'ntk'))` after a warm-up call, and the NTK."""

    def call():
        return jax.block_until_ready(fn(points, None, get=("nngp", "ntk")))

    call()  # warm-up: tracing and, for jax.jit, compilation
    t, kernels = best_of(repeats, call)
    return t, np.asarray(kernels.ntk)


def timing(tp: str, arch: Arch, sizes: list[int], repeats: int, workdir: str) -> None:
    trivial = os.path.join(workdir, "trivial.tp")
    with open(trivial, "w") as f:
        f.write("width n\nvector u ~ N(0, 1)\nout mean(u * u)\n")
    startup, _ = best_of(repeats, lambda: run_tp(tp, trivial))
    print(f"\nTiming: {arch.name}, best of {repeats}. tp = `tp run --json` as a subprocess, "
          f"process start included\n(a trivial program takes {startup * 1e3:.0f} ms); "
          f"NT = kernel_fn(x, None, ('nngp', 'ntk')) after a warm-up call,\njax.jit-compiled "
          f"and eager. Ratios against NT jit; the last column also reports tp's max|dNTK|.\n")
    kernel_fn = nt_kernel_fn(arch)
    jitted = jax.jit(kernel_fn, static_argnames="get")
    rows = []
    for n in sizes:
        points = random_points(n, arch.input_dim, seed=n)
        path = write_program(arch, points, workdir)
        t_tp, tp_json = best_of(repeats, lambda: run_tp(tp, path))
        t_jit, nt_ntk = time_nt(jitted, points, repeats)
        t_eager, _ = time_nt(kernel_fn, points, repeats)
        d_ntk = np.abs(kernels_of(tp_json)[1] - nt_ntk).max()
        rows.append([str(n), f"{t_tp:.2f}", f"{t_jit * 1e3:.3g}", f"{t_eager * 1e3:.3g}",
                     f"{t_tp / t_jit:.0f}", f"{(t_tp - startup) / t_jit:.0f}", f"{d_ntk:.1e}"])
    print_table(["N", "tp s", "NT jit ms", "NT eager ms", "tp/NT", "(tp-start)/NT", "max|dNTK|"], rows)


def main() -> None:
    timing_choices = [a.name.split()[0] for a in ARCHS if a.input_dim == 3]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tp", default=DEFAULT_TP, help="the tp binary (default: .build/release/tp)")
    parser.add_argument("--points", type=int, default=8, help="points for the correctness table")
    parser.add_argument("--sizes", default="16,32,64", help="point counts for the timing table")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--timing-arch", default="relu-2", choices=timing_choices)
    parser.add_argument("--skip-timing", action="store_true")
    args = parser.parse_args()
    if not os.access(args.tp, os.X_OK):
        sys.exit(f"no tp binary at {args.tp}; build it with `swift build -c release` or pass --tp")
    print(f"tp vs neural-tangents (jax {jax.__version__}, float64, {jax.devices()[0].platform}), "
          f"{datetime.date.today()}\n")
    with tempfile.TemporaryDirectory(prefix="kernels_nt.") as workdir:
        correctness(args.tp, args.points, workdir)
        if not args.skip_timing:
            arch = ARCHS[timing_choices.index(args.timing_arch)]
            sizes = [int(s) for s in args.sizes.split(",")]
            timing(args.tp, arch, sizes, args.repeats, workdir)


if __name__ == "__main__":
    main()
