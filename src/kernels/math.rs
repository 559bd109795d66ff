//! Building blocks of the transcendental kernels, written once over [`Simd`]:
//! error-free transformations on (hi, lo) pairs of f32, an `exp` core that returns its
//! result unrounded (as `(a + t) * 2^n`), a division of pairs, and the logistic core
//! shared by sigmoid, swish and gelu_tanh.
//!
//! Accuracy comes from keeping the few operations where rounding errors would add up in
//! pair arithmetic; polynomials are evaluated with [`Simd::mul_add_fast`] (fused or not),
//! and every error bound was checked over all 2^32 inputs for both variants (see
//! `examples/accuracy.rs` and `docs/accuracy.md`).

use super::scalar::ROUND_MAGIC;
use super::simd::Simd;

/// `log2(e)` rounded to f32.
const LOG2E: f32 = core::f32::consts::LOG2_E;
/// `ln 2 = C1 + C2` with `C1 = 355/512` (9 significant bits: `n * C1` is exact for
/// `|n| < 2^15`, so `x - n * C1` is exact with or without FMA).
const LN2_C1: f32 = 355.0 / 512.0;
const LN2_C2: f32 = -2.121_944_4e-4;
/// `h(r) = (e^r - 1 - r) / r^2` on `|r| <= ln2/2`: `|r^2 h - (e^r - 1 - r)| < 2^-28`.
const EXP_H: [f32; 5] = [
    0.5,
    0.166_665_2,
    0.041_666_385,
    0.008_368_845,
    0.001_394_221_3,
];

/// Lower and upper clamp of the argument of [`exp_parts`]: `e^-150` rounds to zero even
/// after scaling by anything below `2^64`, `e^89` overflows.
pub(crate) const EXP_LO: f32 = -150.0;
pub(crate) const EXP_HI: f32 = 89.0;

/// Horner evaluation of `c[0] + c[1] x + ...` with [`Simd::mul_add_fast`].
#[inline(always)]
pub(crate) fn horner<S: Simd, const N: usize>(s: S, x: S::V, c: &[f32; N]) -> S::V {
    let mut acc = s.splat(c[N - 1]);
    for &ci in c[..N - 1].iter().rev() {
        acc = s.mul_add_fast(acc, x, s.splat(ci));
    }
    acc
}

/// `(RN(a + b), error)` for `|a| >= |b|` (or `a == 0`): Fast2Sum.
#[inline(always)]
pub(crate) fn fast_two_sum<S: Simd>(s: S, a: S::V, b: S::V) -> (S::V, S::V) {
    let h = s.add(a, b);
    (h, s.add(s.sub(a, h), b))
}

/// `(RN(a + b), error)` for any `a`, `b`: Knuth's TwoSum.
#[inline(always)]
pub(crate) fn two_sum<S: Simd>(s: S, a: S::V, b: S::V) -> (S::V, S::V) {
    let h = s.add(a, b);
    let bb = s.sub(h, a);
    let err = s.add(s.sub(a, s.sub(h, bb)), s.sub(b, bb));
    (h, err)
}

/// `c - a * b` where the exact value is (nearly) representable, as for the remainder of a
/// division `c / b ≈ a`: one FMA where there is one, else the rounded product corrected
/// by its exact error.
#[inline(always)]
pub(crate) fn residual<S: Simd>(s: S, a: S::V, b: S::V, c: S::V) -> S::V {
    if S::HAS_FMA {
        s.mul_add(s.neg(a), b, c)
    } else {
        s.sub(s.sub(c, s.mul(a, b)), s.mul_err(a, b))
    }
}

/// `max(lo, min(hi, x))`, keeping NaN.
#[inline(always)]
pub(crate) fn clamp_keep_nan<S: Simd>(s: S, x: S::V, lo: f32, hi: f32) -> S::V {
    // `min(a, b)` returns `b` unless `a < b`, so a NaN in `b` comes through.
    let x = s.min(s.splat(hi), x);
    s.max(s.splat(lo), x)
}

/// `e^(zh + zl)` as `(a + t) * 2^n`, unrounded: `a` in `[0.70, 1.42]`, `|t| < 0.07`, `n`
/// an integer-valued float in `-217..=128`. With `FULL`, `zh` is clamped to
/// `[EXP_LO, EXP_HI]` (NaN stays NaN); without, the caller guarantees `|zh| <= 86`
/// (so `|n| <= 125`) or NaN. `|zl|` must be at most about `2^-16`.
///
/// Range reduction `z = n ln2 + r` in three parts (exact `z - n*C1`, then the small
/// corrections renormalised by Fast2Sum), `e^r = 1 + r + r^2 h(r)` with the first sum
/// kept exact. Relative error of `a + t`: below `2^-27`.
#[inline(always)]
pub(crate) fn exp_parts<S: Simd, const FULL: bool>(s: S, zh: S::V, zl: S::V) -> (S::V, S::V, S::V) {
    let one = s.splat(1.0);
    let zh = if FULL {
        clamp_keep_nan(s, zh, EXP_LO, EXP_HI)
    } else {
        zh
    };
    let magic = s.splat(ROUND_MAGIC);
    let n = s.sub(s.mul_add_fast(zh, s.splat(LOG2E), magic), magic);
    let r_hi = s.mul_add_fast(n, s.splat(-LN2_C1), zh);
    let m = s.mul_add_fast(n, s.splat(-LN2_C2), zl);
    let (r, rl) = fast_two_sum(s, r_hi, m);
    let h = horner(s, r, &EXP_H);
    let r2 = s.mul(r, r);
    let a = s.add(one, r);
    let e1 = s.add(s.sub(one, a), r);
    // e^(r + rl) ≈ e^r + rl (1 + r)
    let t = s.add(e1, s.mul_add_fast(r2, h, s.mul_add_fast(rl, r, rl)));
    (a, t, n)
}

/// `e^x`, within 1 ulp (see `docs/accuracy.md`). Without `FULL`, `|x| <= 86` or NaN.
///
/// The lean sibling of [`exp_parts`] for a plain argument: the reduced argument is
/// rounded once (`x - n*C1` exact, then `- n*C2`), and only the first sum of
/// `1 + r + r^2 h(r)` is kept exact, so the result is rounded about once.
#[inline(always)]
pub(crate) fn exp<S: Simd, const FULL: bool>(s: S, x: S::V) -> S::V {
    let one = s.splat(1.0);
    let x = if FULL {
        clamp_keep_nan(s, x, EXP_LO, EXP_HI)
    } else {
        x
    };
    let magic = s.splat(ROUND_MAGIC);
    let k = s.mul_add_fast(x, s.splat(LOG2E), magic);
    let n = s.sub(k, magic);
    let r = s.mul_add_fast(n, s.splat(-LN2_C1), x);
    let r = s.mul_add_fast(n, s.splat(-LN2_C2), r);
    let h = horner(s, r, &EXP_H);
    let a = s.add(one, r);
    let e1 = s.add(s.sub(one, a), r);
    let t = s.mul_add_fast(s.mul(r, r), h, e1);
    if FULL {
        s.ldexp(s.add(a, t), n)
    } else {
        s.ldexp_magic(s.add(a, t), k)
    }
}

/// [`Simd::ldexp`] with `FULL`, else [`Simd::ldexp_normal`] (the caller guarantees its
/// conditions).
#[inline(always)]
pub(crate) fn ldexp<S: Simd, const FULL: bool>(s: S, a: S::V, n: S::V) -> S::V {
    if FULL {
        s.ldexp(a, n)
    } else {
        s.ldexp_normal(a, n)
    }
}

/// Lanes of `x` with `|x| <= limit` (NaN: not set).
#[inline(always)]
pub(crate) fn within<S: Simd>(s: S, x: S::V, limit: f32) -> S::M {
    s.le(s.abs(x), s.splat(limit))
}

/// Whether every lane of `x` has `|x| <= limit` (NaN: no). The activations take their
/// short path for such vectors: no clamps, one-step scaling.
#[inline(always)]
pub(crate) fn all_within<S: Simd>(s: S, x: S::V, limit: f32) -> bool {
    s.all(within(s, x, limit))
}

/// `2^max(n, -126)` for `n` in `-217..=0`: the exact scale for terms that only matter
/// next to 1 (below `2^-126` their size is irrelevant). Without `FULL`, `n >= -126`.
#[inline(always)]
pub(crate) fn pow2_floor126<S: Simd, const FULL: bool>(s: S, n: S::V) -> S::V {
    if FULL {
        s.pow2i(s.max(n, s.splat(-126.0)))
    } else {
        s.pow2i(n)
    }
}

/// `1 / d` from the hardware estimate and one Newton step: about `2^-22` relative from a
/// 12-bit estimate, `2^-15` from an 8-bit one. [`div_pairs`] only needs it to make its
/// first quotient good to a few hundred ulps: the exact remainder corrects the rest.
#[inline(always)]
pub(crate) fn recip<S: Simd>(s: S, d: S::V) -> S::V {
    let r = s.recip_approx(d);
    let e = s.mul_add_fast(s.neg(d), r, s.splat(1.0));
    s.mul_add_fast(r, e, r)
}

/// `(nh + nl) / (dh + dl)` rounded (error about half an ulp plus `2^-40` relative), for
/// `dh` in `[1, 2]`, `|dl| < 2^-20`, `|nl| <= ulp(nh)` (or `nh == 0`). With `INF`, an
/// infinite `nh` gives the infinite quotient; NaN gives NaN.
#[inline(always)]
pub(crate) fn div_pairs<S: Simd, const INF: bool>(
    s: S,
    nh: S::V,
    nl: S::V,
    dh: S::V,
    dl: S::V,
) -> S::V {
    let inv = recip(s, dh);
    let q = s.mul(nh, inv);
    let rem = residual(s, q, dh, nh);
    let rem = s.mul_add_fast(s.neg(q), dl, s.add(rem, nl));
    let corr = s.mul(rem, inv);
    if INF {
        s.select(s.is_nan(corr), q, s.add(q, corr))
    } else {
        s.add(q, corr)
    }
}

/// `x * σ(v)` for `v = vh + vl` (`|vl| <= ulp(vh)`); `σ(v)` alone when `MUL` is false
/// (then `x` is ignored). `x` must be at least `EXP_LO`; `+∞` is fine.
///
/// With `e = e^-|v| = (a + t) 2^n`: `σ(v) = 1 / (1 + e)` for `v >= 0` and `e / (1 + e)`
/// below, where the numerator's `2^n` is applied after the division so that tiny results
/// are rounded once. Without `FULL`, `|vh| <= 86` and `|x| <= 86`, or NaN.
#[inline(always)]
pub(crate) fn x_logistic<S: Simd, const MUL: bool, const FULL: bool>(
    s: S,
    x: S::V,
    vh: S::V,
    vl: S::V,
) -> S::V {
    let sign = s.splat(-0.0);
    let one = s.splat(1.0);
    let zero = s.zero();
    let vsign = s.and(vh, sign);
    let zh = s.or(vh, sign);
    let zl = s.xor(vl, s.xor(vsign, sign));
    let (a, t, n) = exp_parts::<S, FULL>(s, zh, zl);
    // 1 + e, as a pair.
    let (ph, pl) = fast_two_sum(s, a, t);
    let sc = pow2_floor126::<S, FULL>(s, n);
    let eh = s.mul(ph, sc);
    let el = s.mul(pl, sc);
    let (dh, dl0) = fast_two_sum(s, one, eh);
    let dl = s.add(dl0, el);
    // Numerator mantissa and its scale.
    let neg = s.lt(vh, zero);
    let ma = s.select(neg, a, one);
    let mt = s.select(neg, t, zero);
    let ns = s.select(neg, n, zero);
    let (nh, nl) = if MUL {
        let nh = s.mul(x, ma);
        (nh, s.mul_add_fast(x, mt, s.mul_err(x, ma)))
    } else {
        (ma, mt)
    };
    let q = ldexp::<S, FULL>(s, div_pairs::<S, MUL>(s, nh, nl, dh, dl), ns);
    if MUL {
        // The sign of x σ(v) is the sign of x, zeros included (the correction added
        // in `div_pairs` can turn -0 into +0).
        s.or(q, s.and(x, sign))
    } else {
        q
    }
}
