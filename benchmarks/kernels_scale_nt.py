"""Kernels at data-set scale, in one run: tp against Neural Tangents' jit-compiled kernel_fn
(float64 and float32, compile excluded) and a vectorized NumPy recursion.

    # in a throw-away venv (see ARCHITECTURE.md): pip install numpy neural-tangents \\
    #     "jax==0.4.30" "jaxlib==0.4.30" "tf2jax==0.3.6"
    python benchmarks/kernels_scale_nt.py [--bin .build/release] [--sizes 500,1000,2000]
                                          [--tanh-sizes 50,100]

Network: two hidden layers, Dense(W_std=1, ntk parametrization) -> act -> Dense -> act ->
Dense(1), i.e. tp's `ntk` preset with var 1 everywhere, on N iid N(0, 1) points of R^16.

For relu and erf and each N the script times (best of 3; N = 2000 best of 2):
  * tp in process: `tp-bench kernel-times ACT POINTS.csv` (lowering, the pairwise recipe's
    derivation and its evaluation over all pairs; the time tp itself reports);
  * tp end to end: `tp run FILE --npy DIR` (process start, parsing the N-point program,
    kernels, four .npy files);
  * NT: jax.jit(kernel_fn)(x, None, ('nngp', 'ntk')) after a compiling call, x float64 and
    float32 (the latter under jax.experimental.disable_x64, which NT needs to stay float32);
  * NumPy: the arc-cosine (relu) / Williams (erf) recursion over whole matrices.
and prints ratios against NT float64, the relative difference of tp's matrices to NT's, and the
fitted exponent of time against N. For tanh (no closed form) tp's quadrature is compared with
NT's stax.ElementwiseNumerical(jnp.tanh, deg) at several degrees: NT's error is measured against
tp's matrices (tp's stated error, ~1e-11, is far below NT's at every degree tried; NT at deg 64
is also compared with tp, as a check that the two agree), and the ratio is taken at the first
degree whose error is within 10x of tp's stated error, or at NT's most accurate degree if none is.

    --only tanh      skip the closed forms
"""
import json, os, subprocess, sys, tempfile, time
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kernels_numpy import best, recursion  # best of N; the arc-cosine / Williams recursion

import jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp
from jax.experimental import disable_x64
from neural_tangents import stax

D = 16


def arg(name, default):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def kernel_fn(act, deg=None):
    layer = {"relu": stax.Relu, "erf": lambda: stax.Erf(a=1.0, b=1.0, c=0.0),
             "tanh": lambda: stax.ElementwiseNumerical(jnp.tanh, deg=deg)}[act]
    layers = []
    for _ in range(2):
        layers += [stax.Dense(512, W_std=1.0, parameterization="ntk"), layer()]
    layers.append(stax.Dense(1, W_std=1.0, parameterization="ntk"))
    return stax.serial(*layers)[2]


def nt_timer(fn, x):
    jitted = jax.jit(fn, static_argnames="get")

    def call():
        return jax.block_until_ready(jitted(x, None, get=("nngp", "ntk")))

    call()  # compile
    return call


def source(act, pts):
    rows = ", ".join("[" + ", ".join(repr(float(v)) for v in p) + "]" for p in pts)
    return (f"width n\nlayer U : {D} -> n\nlayer W : n -> n\nlayer V : n -> 1\n"
            f"model f(xi) {{\n  x1 = {act}(U @ xi)\n  x2 = {act}(W @ x1)\n  return V @ x2\n}}\n"
            f"parametrization ntk\nkernel f at {rows}\n")


def tp_inprocess(bin_dir, act, x, tmp, reps):
    path = os.path.join(tmp, "points.csv")
    np.savetxt(path, x, delimiter=",", fmt="%.17g")
    out = subprocess.run([os.path.join(bin_dir, "tp-bench"), "kernel-times", act, path, str(reps)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def tp_end_to_end(bin_dir, act, x, tmp, reps):
    path = os.path.join(tmp, f"{act}.tp")
    with open(path, "w") as f:
        f.write(source(act, x))
    out = os.path.join(tmp, "npy")

    def run():
        subprocess.run([os.path.join(bin_dir, "tp"), "run", path, "--npy", out, "--max-work", "1e15"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    t, _ = best(run, reps)
    return t, np.load(os.path.join(out, "nngp.npy")), np.load(os.path.join(out, "ntk.npy"))


def fit(sizes, seconds):
    return float(np.polyfit(np.log(sizes), np.log(seconds), 1)[0])


def rel(a, b):
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def closed_forms(bin_dir, sizes, tmp):
    print(f"NNGP + NTK, two hidden layers, N points of R^{D}; best of 3 (N >= 2000: 2); seconds")
    print(f"{'act':5} {'N':>5}  {'tp':>7} {'tp e2e':>7} {'NT f64':>7} {'NT f32':>7} {'numpy':>7}"
          f"  {'tp/NT64':>7} {'tp/NT32':>7} {'tp/np':>6} {'e2e/np':>6}  {'rel diff vs NT64':>16}"
          f"  {'NT32 rel err':>12}")
    for act in ["relu", "erf"]:
        times = {k: [] for k in ["tp", "e2e", "nt64", "nt32", "np"]}
        for n in sizes:
            reps = 2 if n >= 2000 else 3
            x = np.random.default_rng(n).standard_normal((n, D))
            tp = tp_inprocess(bin_dir, act, x, tmp, reps)
            t_e2e, k_tp, t_tp = tp_end_to_end(bin_dir, act, x, tmp, reps)
            fn = kernel_fn(act)
            t64, r64 = best(nt_timer(fn, jnp.asarray(x, dtype=jnp.float64)), reps)
            with disable_x64():  # float32 end to end (with x64 on, NT promotes to float64)
                t32, r32 = best(nt_timer(kernel_fn(act), jnp.asarray(x, dtype=jnp.float32)), reps)
            assert r32.ntk.dtype == jnp.float32, r32.ntk.dtype
            tnp, _ = best(lambda: recursion(act, x), reps)
            k64, th64 = np.asarray(r64.nngp), np.asarray(r64.ntk)
            diff = max(rel(k_tp, k64), rel(t_tp, th64))
            err32 = max(rel(np.asarray(r32.nngp, dtype=np.float64), k64),
                        rel(np.asarray(r32.ntk, dtype=np.float64), th64))
            for key, v in zip(times, [tp["seconds"], t_e2e, t64, t32, tnp]):
                times[key].append(v)
            print(f"{act:5} {n:5}  {tp['seconds']:7.3f} {t_e2e:7.3f} {t64:7.3f} {t32:7.3f} {tnp:7.3f}"
                  f"  {tp['seconds'] / t64:7.2f} {tp['seconds'] / t32:7.2f} {tp['seconds'] / tnp:6.2f}"
                  f" {t_e2e / tnp:6.2f}  {diff:16.1e}  {err32:12.1e}", flush=True)
        print(f"{act:5} time ~ N^k, {sizes[0]}-{sizes[-1]}: "
              + ", ".join(f"{k} {fit(sizes, v):.2f}" for k, v in times.items()))


def tanh(bin_dir, sizes, degrees, tmp):
    print(f"\ntanh: tp (quadrature) vs NT ElementwiseNumerical(jnp.tanh, deg); NT's error against tp")
    print(f"{'N':>5} {'tp s':>8} {'tp stated':>9}  " + "  ".join(
        f"{'deg ' + str(d) + ' s':>9} {'err':>7}" for d in degrees) + "  matched deg    err  tp/NT")
    for n in sizes:
        x = np.random.default_rng(n).standard_normal((n, D))
        tp = tp_inprocess(bin_dir, "tanh", x, tmp, 1)
        _, k_tp, t_tp = tp_end_to_end(bin_dir, "tanh", x, tmp, 1)
        cells, runs = [], []
        for d in degrees:
            t, r = best(nt_timer(kernel_fn("tanh", d), jnp.asarray(x)), 2)
            err = max(np.max(np.abs(np.asarray(r.nngp) - k_tp)), np.max(np.abs(np.asarray(r.ntk) - t_tp)))
            cells.append(f"{t:9.3f} {err:7.1e}")
            runs.append((d, t, err))
        good = [r for r in runs if r[2] <= 10 * max(tp["max_error"], 1e-15)]
        d, t, err = good[0] if good else min(runs, key=lambda r: r[2])
        print(f"{n:5} {tp['seconds']:8.3f} {tp['max_error']:9.1e}  " + "  ".join(cells)
              + f"  {d:>11} {err:6.1e}  {tp['seconds'] / t:5.2f}" + ("" if good else " (NT never matched)"),
              flush=True)


def main():
    bin_dir = arg("--bin", ".build/release")
    sizes = [int(s) for s in arg("--sizes", "500,1000,2000").split(",")]
    tanh_sizes = [int(s) for s in arg("--tanh-sizes", "50,100").split(",")]
    degrees = [int(s) for s in arg("--degrees", "8,16,32,48,64").split(",")]
    print(f"jax {jax.__version__}, {jax.devices()[0].platform}, {os.cpu_count()} cpus; "
          f"tp from {bin_dir}")
    with tempfile.TemporaryDirectory() as tmp:
        if arg("--only", "") != "tanh":
            closed_forms(bin_dir, sizes, tmp)
        if tanh_sizes and tanh_sizes[0] > 0:
            tanh(bin_dir, tanh_sizes, degrees, tmp)


if __name__ == "__main__":
    main()
