"""Fits the coefficient tables of src/kernels/tables.rs (the piecewise polynomials of
tanh and gelu that `math::piecewise` evaluates) and prints them as Rust.

    python3 -m pip install numpy mpmath
    python3 scripts/fit_tables.py > /tmp/tables.rs   # per-interval errors on stderr

Each interval gets a center within a few thousandths of its middle where the function is
within about 2^-34 of an f32 (so the f32 constant term is nearly exact), then a weighted
(relative) least-squares fit on Chebyshev nodes with the coefficients rounded to f32 one
by one, each refit of the rest absorbing the rounding of the ones before. The printed
error is the largest relative error of the f32 polynomial (evaluated exactly) on 1201
points of the interval.
"""
import sys

import mpmath as mp
import numpy as np

mp.mp.dps = 40


def best_center(func, c, step, span=2048):
    """The f32 within `span * step` of `c` where `func` is closest to an f32."""
    best = None
    for j in range(-span, span + 1):
        m = float(np.float32(c + j * step))
        v = func(mp.mpf(m))
        e = abs(v - mp.mpf(float(np.float32(float(v))))) / abs(v)
        if best is None or e < best[0]:
            best = (e, m)
    return best[1]


def fit(func, m, lo, hi, deg, zero=False, npts=600):
    """Coefficients of func(m + t) for t in [lo - m, hi - m], and the relative error."""
    a, b = lo - m, hi - m
    t = (a + b) / 2 + (b - a) / 2 * np.cos(np.pi * (np.arange(npts) + 0.5) / npts)
    f = np.array([float(func(mp.mpf(m) + mp.mpf(x))) for x in t])
    w = 1 / np.abs(f)
    fixed = {0: 0.0 if zero else float(np.float32(float(func(mp.mpf(m)))))}
    for j in range(1, deg + 1):
        cols = [i for i in range(deg + 1) if i not in fixed]
        a_ = np.stack([t**i for i in cols], 1) * w[:, None]
        rhs = (f - sum(c * t**i for i, c in fixed.items())) * w
        sol, *_ = np.linalg.lstsq(a_, rhs, rcond=None)
        fixed[j] = float(np.float32(sol[cols.index(j)]))
    co = [fixed[i] for i in range(deg + 1)]
    td = np.linspace(a, b, 1201)
    fd = np.array([float(func(mp.mpf(m) + mp.mpf(x))) for x in td])
    ok = fd != 0
    rel = np.max(np.abs(np.polyval(co[::-1], td[ok]) - fd[ok]) / np.abs(fd[ok]))
    return co, rel


def table(name, func, intervals, deg, step):
    """`intervals`: (where the center goes, lo, hi) per entry; 0 keeps center and g(0) at 0."""
    centers, rows = [], []
    for mid, lo, hi in intervals:
        zero = mid == 0
        m = 0.0 if zero else best_center(func, mid, step)
        co, rel = fit(func, m, max(lo, 1e-6) if zero else lo, hi, deg, zero)
        centers.append(m)
        rows.append(co)
        print(f"{name}: center {m!r}, [{lo}, {hi}], 2^{np.log2(rel):.2f}", file=sys.stderr)
    f32 = lambda v: str(np.float32(v))
    print(f"pub(super) const {name}_CENTERS: [f32; 8] = [")
    print("    " + ", ".join(f32(v) for v in centers) + ",")
    print("];")
    print(f"#[rustfmt::skip]\npub(super) const {name}_TABLE: [[f32; 8]; {deg + 1}] = [")
    for j in range(deg + 1):
        vals = [f32(r[j]) for r in rows]
        line = "    [" + ", ".join(vals) + "],"
        if len(line) > 100:
            line = ("    [\n        " + ", ".join(vals[:4]) + ",\n        "
                    + ", ".join(vals[4:]) + ",\n    ],")
        print(line)
    print("];")


E = 1e-4  # gelu's polynomials were fitted a little beyond their intervals (not needed)
tanh = mp.tanh
gelu_g = lambda y: y * mp.ncdf(-y)
gelu_h = lambda y: y * mp.ncdf(-y) * mp.exp(y * y / 2)

# tanh: c = min(round(y), 7); the last polynomial serves [6.5, 9.1]. The centers sit 0.32
# below the middles: Horner's rule then adds terms of the constant's sign on the far side
# (the longer one), where the results are larger, and cancels less on the near side.
table("TANH", tanh,
      [(0, 0, 0.5)] + [(c - 0.32, c - 0.5, (9.1 if c == 7 else c + 0.5)) for c in range(1, 8)],
      8, 2.0**-20)
# gelu, |x| < 3.75: c = round(2y).
table("GELU", gelu_g,
      [(0, 0, 0.25 + E)] + [(c / 2, c / 2 - 0.25 - E, c / 2 + 0.25 + E) for c in range(1, 8)],
      7, 2.0**-22)
# gelu, 3.75 <= |x| < 11.5: c = round(y), entries 4..=11.
table("GELU_FAR", gelu_h, [(c, c - 0.5 - E, c + 0.5 + E) for c in range(4, 12)], 5, 2.0**-20)
