"""Times the NumPy (float32, one thread) equivalents of trueno's ops.

Usage: python3 benches/numpy_bench.py 1024 16384 ...   -> JSON {op: {n: ns_per_element}}
Same method as examples/report.rs: batches of calls, median over samples, the fastest of
three rounds.
"""
import json
import math
import os
import sys
import time

import numpy as np

try:
    from scipy.special import erf as _erf
except ImportError:  # gelu is reported as missing without scipy
    _erf = None


def median_ns_per_el(f, n):
    batch = max(1, 65536 // n)
    f()
    samples = []
    budget = time.perf_counter() + 0.25
    while len(samples) < 9 or (time.perf_counter() < budget and len(samples) < 301):
        t = time.perf_counter_ns()
        for _ in range(batch):
            f()
        samples.append((time.perf_counter_ns() - t) / batch)
    samples.sort()
    return samples[len(samples) // 2] / n


def ops(a, b, c):
    s2 = np.float32(math.sqrt(0.5))
    k = np.float32(math.sqrt(2.0 / math.pi))
    table = {
        "add": lambda: a + b,
        "sub": lambda: a - b,
        "mul": lambda: a * b,
        "div": lambda: a / b,
        "abs": lambda: np.abs(a),
        "scale": lambda: a * np.float32(0.7),
        "clamp": lambda: np.clip(a, np.float32(-1.0), np.float32(1.0)),
        "lerp": lambda: a + np.float32(0.3) * (b - a),
        "fma": lambda: a * b + c,
        "relu": lambda: np.maximum(a, np.float32(0.0)),
        "sum": lambda: a.sum(),
        "dot": lambda: np.dot(a, b),
        "norm_l1": lambda: np.abs(a).sum(),
        "norm_l2": lambda: np.linalg.norm(a),
        "norm_linf": lambda: np.abs(a).max(),
        "max": lambda: a.max(),
        "min": lambda: a.min(),
        "argmax": lambda: a.argmax(),
        "argmin": lambda: a.argmin(),
        "exp": lambda: np.exp(a),
        "sigmoid": lambda: np.float32(1.0) / (np.float32(1.0) + np.exp(-a)),
        "tanh": lambda: np.tanh(a),
        "swish": lambda: a / (np.float32(1.0) + np.exp(-a)),
        "gelu_tanh": lambda: np.float32(0.5) * a * (np.float32(1.0) + np.tanh(k * (a + np.float32(0.044715) * a * a * a))),
    }
    if _erf is not None:
        table["gelu"] = lambda: np.float32(0.5) * a * (np.float32(1.0) + _erf(a * s2))
    return table


def main():
    sizes = [int(x) for x in sys.argv[1:]] or [1024, 16384, 262144, 4194304]
    out = {"numpy": np.__version__, "results": {}}
    rng = np.random.default_rng(7)
    for n in sizes:
        a = rng.uniform(-3, 3, n).astype(np.float32)
        b = rng.uniform(0.5, 3, n).astype(np.float32)
        c = rng.uniform(-3, 3, n).astype(np.float32)
        for name, f in ops(a, b, c).items():
            best = min(median_ns_per_el(f, n) for _ in range(3))
            out["results"].setdefault(name, {})[str(n)] = best
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    main()
