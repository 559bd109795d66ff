//! Building blocks of the transcendental kernels, written once over [`Simd`]:
//! error-free transformations on (hi, lo) pairs of f32, one `exp` core that returns its
//! result unrounded (as `(a + t) * 2^n`), a corrected division of pairs, the logistic
//! core of gelu_tanh (and of swish's tiny results), the once-rounded `1 + e^-x` of
//! sigmoid, swish and gelu_tanh, and the table-driven piecewise polynomials of tanh and
//! gelu.
//!
//! Accuracy comes from keeping the few operations where rounding errors would add up in
//! pair arithmetic, and no more (each pair costs speed); polynomials are evaluated with
//! [`Simd::mul_add_fast`] (fused or not), and every error bound was checked over all
//! 2^32 inputs for both variants (see `examples/accuracy.rs` and `docs/accuracy.md`).

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

/// A piecewise polynomial of `y >= 0` on intervals of width `1/scale` (1 or 2):
/// `Σ_j table[j][i] t^j` with `i = round(scale y) - first` (`first` a whole number) and
/// `t = y - centers[i]`.
/// Each center `m` lies inside its interval, placed so that `t` is exact for every `y`
/// there: `y >= m/2` (Sterbenz's lemma), and above `m`, `y - m < 2^(e+1)` for `m` in
/// `[2^e, 2^(e+1))` (both are multiples of `m`'s ulp); a center 0 gives `t = y`. Within
/// a few thousandths of where the tables want it, each center is where the function is
/// within about `2^-34` of an f32, so the constant terms are as good as exact (see
/// `super::tables`). Every coefficient is one [`Simd::lookup8`] indexed by what the
/// magic-number rounding leaves. With `LAST`, `i` is capped at 7 (the last polynomial
/// serves everything above); otherwise lanes with `i` outside `0..=7` get an unspecified
/// value. NaN stays NaN.
#[inline(always)]
pub(crate) fn piecewise<S: Simd, const LAST: bool, const N: usize>(
    s: S,
    y: S::V,
    scale: f32,
    first: f32,
    centers: &[f32; 8],
    table: &[[f32; 8]; N],
) -> S::V {
    // k = i + ROUND_MAGIC, rounded once (scale y is exact).
    let k = s.mul_add_fast(y, s.splat(scale), s.splat(ROUND_MAGIC - first));
    // min(a, b) returns b unless a < b: NaN stays NaN.
    let k = if LAST {
        s.min(s.splat(ROUND_MAGIC + 7.0), k)
    } else {
        k
    };
    let t = s.sub(y, s.lookup8(centers, k));
    let mut p = s.lookup8(&table[N - 1], k);
    for row in table[..N - 1].iter().rev() {
        p = s.mul_add_fast(p, t, s.lookup8(row, k));
    }
    p
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

/// `e^(x + xl)` as `(a + t) * 2^n`, unrounded: `a` in `[0.70, 1.42]`, `|t| < 0.07`,
/// `n` an integer-valued float in `-217..=128`, and `k = n + ROUND_MAGIC` for
/// [`Simd::ldexp_magic`]. `xl`, if given, is a low part of the argument (`|xl|` at most
/// about `2^-16`), taken in as `e^r (1 + xl)`. With `FULL`, `x` is clamped to
/// `[EXP_LO, EXP_HI]` (NaN stays NaN); without, `|x| <= 86` (so `|n| <= 125`) or NaN.
///
/// Range reduction `x = n ln2 + r` with `ln2 = C1 + C2` (`x - n*C1` exact, then rounded
/// once by `- n*C2`), `e^r = 1 + r + r^2 h(r)` with only the first sum kept exact.
/// Relative error of `a + t`: below about `2^-25`, which every caller's bound absorbs.
#[inline(always)]
pub(crate) fn exp_parts<S: Simd, const FULL: bool>(
    s: S,
    x: S::V,
    xl: Option<S::V>,
) -> (S::V, S::V, S::V, S::V) {
    let one = s.splat(1.0);
    let x = if FULL {
        clamp_keep_nan(s, x, EXP_LO, EXP_HI)
    } else {
        x
    };
    let (r, n, k) = exp_reduce(s, x);
    let h = horner(s, r, &EXP_H);
    let a = s.add(one, r);
    let e1 = s.add(s.sub(one, a), r);
    let t = s.mul_add_fast(s.mul(r, r), h, e1);
    // e^(r + xl) ≈ e^r (1 + xl), with e^r = a + t (t is not small enough to leave out).
    let t = match xl {
        Some(xl) => s.mul_add_fast(xl, s.add(a, t), t),
        None => t,
    };
    (a, t, n, k)
}

/// The range reduction of `e^x` for `|x| <= 86` or NaN: `x = n ln2 + r` with `n` an
/// integer-valued float, `|r|` at most about `ln2 / 2`, and `k = n + ROUND_MAGIC` for
/// [`Simd::ldexp_magic`]. `x - n*C1` is exact, `- n*C2` rounds once.
#[inline(always)]
pub(crate) fn exp_reduce<S: Simd>(s: S, x: S::V) -> (S::V, S::V, S::V) {
    let magic = s.splat(ROUND_MAGIC);
    let k = s.mul_add_fast(x, s.splat(LOG2E), magic);
    let n = s.sub(k, magic);
    let r = s.mul_add_fast(n, s.splat(-LN2_C1), x);
    (s.mul_add_fast(n, s.splat(-LN2_C2), r), n, k)
}

/// `m * 2^n` where `k = n + ROUND_MAGIC`: [`Simd::ldexp`] with `FULL`, else
/// [`Simd::ldexp_magic`] (normal `m` and result).
#[inline(always)]
pub(crate) fn ldexp_nk<S: Simd, const FULL: bool>(s: S, m: S::V, n: S::V, k: S::V) -> S::V {
    if FULL {
        s.ldexp(m, n)
    } else {
        s.ldexp_magic(m, k)
    }
}

/// `1 + e^-(x + xl)`, rounded once, and its rounding error (to about `2^-24` of itself):
/// for `|x| <= 16` (or NaN) without `WIDE`, for `|x| <= 86` with it. `xl`, if given, is a
/// low part of the argument (`|xl|` at most about `2^-16`), taken in as
/// `e^-x (1 - xl)`.
///
/// With `-x = n ln2 + r` and `e^r = 1 + v`: `1 + e^-x = (1 + 2^n) + 2^n v`, where
/// `2^n v` is exact and so is `1 + 2^n` for `|n| <= 23`, so the multiply-add rounds
/// once, fused or not. Beyond (`|x| > 16.3`, `WIDE` only) `1 + 2^n` rounds to `2^n` or
/// to 1, and the part it drops (`1`, or `2^n`) joins `v` instead, as `2^-n` or 1.
///
/// `v = r + r^2 h(r)` is itself rounded once (a multiply-add whose last term is exact),
/// which keeps the error before `d`'s own rounding near `2^-25.5` relative: swish divides
/// by `d` without a correction (1.73 ulp; 2.085 with `v = r G(r)`, two roundings, which
/// this replaced at the same cost: sigmoid 1.82 -> 1.75, gelu_tanh 2.55 -> 2.24). An exactly
/// reduced argument (a true multiply-add with `ln 2`'s high part, the low part added to
/// `v`) gave the same worst case for swish at the same speed on AVX2, and 3x slower
/// scalar and SSE2 kernels, whose multiply-add is emulated.
#[inline(always)]
pub(crate) fn one_plus_exp_neg<S: Simd, const WIDE: bool>(
    s: S,
    x: S::V,
    xl: Option<S::V>,
) -> (S::V, S::V) {
    let one = s.splat(1.0);
    let (r, _, k) = exp_reduce(s, s.neg(x));
    let scale = s.ldexp_magic(one, k);
    let v = s.mul_add_fast(s.mul(r, r), horner(s, r, &EXP_H), r);
    // e^-(x + xl) = (1 + v)(1 - xl) = 1 + (v - xl - xl v).
    let v = match xl {
        Some(xl) => s.mul_add_fast(s.neg(xl), v, s.sub(v, xl)),
        None => v,
    };
    let v = if WIDE {
        let inv = s.ldexp_magic(one, s.sub(s.splat(2.0 * ROUND_MAGIC), k));
        let dropped = s.select(s.lt(k, s.splat(ROUND_MAGIC)), one, inv);
        let exact = within(s, s.sub(k, s.splat(ROUND_MAGIC)), 23.0);
        s.select(exact, v, s.add(v, dropped))
    } else {
        v
    };
    let c = s.add(scale, one);
    let d = s.mul_add_fast(scale, v, c);
    // The rounding error of d (`c - d` is exact, as `d / c` lies in [0.7, 1.5]).
    (d, s.mul_add_fast(scale, v, s.sub(c, d)))
}

/// `e^x`, within 1 ulp (see `docs/accuracy.md`). Without `FULL`, `|x| <= 86` or NaN.
#[inline(always)]
pub(crate) fn exp<S: Simd, const FULL: bool>(s: S, x: S::V) -> S::V {
    let (a, t, n, k) = exp_parts::<S, FULL>(s, x, None);
    ldexp_nk::<S, FULL>(s, s.add(a, t), n, k)
}

/// `(nh + nl) / (dh + dl)` as the rounded quotient `q = nh / dh` and a correction
/// `c` from the exact remainder, `q + c` within about half an ulp plus `2^-40`
/// relative, for `dh` in `[1, 2]`, `|dl| <= ulp(dh)`, `|nl| <= ulp(nh)`.
#[inline(always)]
pub(crate) fn div_corrected<S: Simd>(s: S, nh: S::V, nl: S::V, dh: S::V, dl: S::V) -> (S::V, S::V) {
    let q = s.div(nh, dh);
    let rem = s.mul_add_fast(s.neg(q), dl, s.add(residual(s, q, dh, nh), nl));
    (q, s.mul(rem, s.recip_approx(dh)))
}

/// `x * σ(v)` for `v = vh + vl` (`|vl| <= ulp(vh)`, or `vl` absent), over the whole
/// range: the form of swish's and gelu_tanh's tiny and subnormal results. `x` must be at
/// least `EXP_LO`; `+∞` is fine.
///
/// With `e = e^-|v| = m 2^n`: `σ(v) = 1 / (1 + e)` for `v >= 0` and `m / (1 + e)`
/// below, scaled by `2^n` after the division (so tiny results are rounded about once).
/// The numerator and `1 + e` are kept as pairs, and the rounded quotient is corrected
/// once with the exact remainder.
#[inline(always)]
pub(crate) fn x_logistic<S: Simd>(s: S, x: S::V, vh: S::V, vl: Option<S::V>) -> S::V {
    let sign = s.splat(-0.0);
    let one = s.splat(1.0);
    let zero = s.zero();
    let zh = s.or(vh, sign);
    // z = -|v|: flip vl wherever vh was positive.
    // A match, not `Option::map`: a closure would not inherit the target features (and
    // would call every intrinsic out of line: AVX-512 gelu_tanh 0.75 -> 4.8 ns/el).
    #[allow(clippy::manual_map)]
    let zl = match vl {
        Some(vl) => Some(s.xor(vl, s.xor(s.and(vh, sign), sign))),
        None => None,
    };
    let (a, t, n, _) = exp_parts::<S, true>(s, zh, zl);
    let (mh, ml) = fast_two_sum(s, a, t);
    let e = s.ldexp(mh, n);
    // 1 + e, as a pair.
    let (dh, dl) = fast_two_sum(s, one, e);
    let neg = s.lt(vh, zero);
    let ph = s.select(neg, mh, one);
    let pl = s.select(neg, ml, zero);
    let nh = s.mul(x, ph);
    let nl = s.mul_add_fast(x, pl, s.mul_err(x, ph));
    let (q, corr) = div_corrected(s, nh, nl, dh, dl);
    // An infinite x gives an infinite quotient and a NaN correction.
    let q = s.select(s.is_nan(corr), q, s.add(q, corr));
    let q = s.select(neg, s.ldexp(q, n), q);
    // The sign of x σ(v) is the sign of x, zeros included (the correction can turn -0
    // into +0).
    s.or(q, s.and(x, sign))
}

/// Lanes of `x` with `|x| <= limit` (NaN: not set).
#[inline(always)]
pub(crate) fn within<S: Simd>(s: S, x: S::V, limit: f32) -> S::M {
    s.le(s.abs(x), s.splat(limit))
}

/// `2^max(n, -126)` for `n` in `-217..=0`: the exact scale for terms that only matter
/// next to 1 (below `2^-126` their size is irrelevant).
#[inline(always)]
pub(crate) fn pow2_floor126<S: Simd>(s: S, n: S::V) -> S::V {
    s.pow2i(s.max(n, s.splat(-126.0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::scalar::Scalar;

    /// The largest error of `f(x)` against `1 + e^-x` (in f64), in ulps of the result,
    /// over every 499th f32 in `[-16, 16]`, one value per call in every lane.
    fn worst_ulps<S: Simd>(s: S, f: impl Fn(S, S::V) -> S::V) -> (f64, f32) {
        let mut worst = (0.0, 0.0);
        for bits in (0..=16.0f32.to_bits()).step_by(499) {
            for x in [f32::from_bits(bits), -f32::from_bits(bits)] {
                let mut buf = [x; 16];
                // SAFETY: `buf` holds 16 values, at least one vector of any backend.
                unsafe { s.store(buf.as_mut_ptr(), f(s, s.load(buf.as_ptr()))) };
                let ulp = 2f64.powi((buf[0].to_bits() >> 23) as i32 - 127 - 23);
                let e = (f64::from(buf[0]) - (1.0 + (-f64::from(x)).exp())).abs() / ulp;
                if e > worst.0 {
                    worst = (e, x);
                }
            }
        }
        worst
    }

    /// Rounded once from a value within about `2^-25.5` relative, `1 + e^-x` stays
    /// within 1 ulp (0.95-0.99 here; with `v = r G(r)`, rounded twice, 1.07-1.27).
    fn denominator_within_one_ulp<S: Simd>(s: S) {
        let (ulps, x) = worst_ulps(s, |s, x| one_plus_exp_neg::<S, false>(s, x, None).0);
        assert!(ulps <= 1.0, "1 + e^-x at x = {x:e}: {ulps} ulp");
    }

    #[test]
    fn one_plus_exp_neg_within_one_ulp_on_every_backend() {
        denominator_within_one_ulp(Scalar);
        #[cfg(target_arch = "x86_64")]
        crate::kernels::tests::for_each_x86_token!(denominator_within_one_ulp);
    }
}
