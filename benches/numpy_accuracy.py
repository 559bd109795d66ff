#!/usr/bin/env python3
"""Max ulp error of NumPy's float32 exp and tanh over every f32 input (or every
STRIDE-th bit pattern), against float64 NumPy, in ulps of the correctly rounded result:
the same measure as `cargo run --release --example accuracy` (docs/accuracy.md).

    pip install numpy
    python3 benches/numpy_accuracy.py            # all 2^32 inputs, a few minutes
    python3 benches/numpy_accuracy.py --stride 97
"""
import argparse
import time

import numpy as np


def ulp_error(got, ref):
    """|got - ref| in ulps of RN_f32(ref); 0 for matching NaN/inf, inf for mismatches."""
    want = ref.astype(np.float32)
    e = ((want.view(np.uint32) >> 23) & 0xFF).astype(np.int64)
    ulp = np.ldexp(1.0, np.maximum(e, 1) - 127 - 23)
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(got.astype(np.float64) - ref) / ulp
    both_nan = np.isnan(got) & np.isnan(ref)
    special = np.isinf(want) | np.isinf(got) | np.isnan(got) | np.isnan(ref)
    same = (got == want) | both_nan
    err = np.where(special, np.where(same, 0.0, np.inf), err)
    return err


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stride", type=int, default=1)
    ap.add_argument("--chunk", type=int, default=1 << 24)
    args = ap.parse_args()
    ops = {"exp": np.exp, "tanh": np.tanh}
    worst = {k: (0.0, 0.0) for k in ops}
    start = time.time()
    n = 0
    for lo in range(0, 1 << 32, args.chunk):
        first = -(-lo // args.stride) * args.stride
        bits = np.arange(first, lo + args.chunk, args.stride, dtype=np.uint64).astype(np.uint32)
        x = bits.view(np.float32)
        n += x.size
        with np.errstate(all="ignore"):
            x64 = x.astype(np.float64)
            for name, f in ops.items():
                err = ulp_error(f(x), f(x64))
                i = int(np.argmax(err))
                if err[i] > worst[name][0]:
                    worst[name] = (float(err[i]), float(x[i]))
    print(f"NumPy {np.__version__}: {n} inputs (stride {args.stride}), {time.time() - start:.0f} s")
    print("| op | NumPy float32 max ulp (x) |")
    print("|---|---|")
    for name, (e, x) in worst.items():
        print(f"| {name} | {e:.3f} (x = {x:.8g}) |")


if __name__ == "__main__":
    main()
