//! The six transcendental activations, written once over [`Simd`] from the building
//! blocks of [`super::math`]. No per-element branches: every lane takes the same path and
//! special cases are selects. Error bounds (over all 2^32 inputs, every backend) are in
//! `docs/accuracy.md`.

use super::elementwise::{map3, Ptr, Splat};
use super::math::{
    self, clamp_keep_nan, div_pairs, exp_parts, fast_two_sum, horner, pow2_floor126, two_sum,
    x_logistic, EXP_LO,
};
use super::simd::Simd;

/// `2 sqrt(2/π) = C1H + C1L` and `2 sqrt(2/π) * 0.044715 = C2H + C2L` (the tanh-GELU
/// argument, doubled, as pairs so that large arguments keep full relative accuracy).
const GT_C1H: f32 = 1.595_769_2;
const GT_C1L: f32 = -4.534_068e-8;
const GT_C2H: f32 = 0.071_354_814;
const GT_C2L: f32 = 2.398_832_5e-9;

/// Mills-ratio polynomial for the erf GELU: with `t = 1 / (1 + y/2)`,
/// `Φ(-y) e^(y²/2) = t * S(t - GELU_TC)` on `0 <= y <= 14.6` to `2^-30` relative.
/// `GELU_TC` is chosen so that `S(GELU_TC)` is an f32 to `2^-37`.
const GELU_TC: f32 = 0.500_165_7;
const GELU_S: [f32; 13] = [
    0.336_258_92,
    0.331_423_52,
    0.057_521_74,
    -0.146_876_68,
    -0.003_670_552,
    0.107_575_5,
    -0.062_426_295,
    -0.050_942_29,
    0.105_441_78,
    -0.044_465_32,
    -0.063_825_08,
    0.091_244_526,
    -0.034_236_61,
];

/// Applies `f` to every element of `a` into `out` (see [`map3`]).
///
/// # Safety
/// As [`map3`].
#[inline(always)]
unsafe fn map1<S: Simd>(s: S, a: *const f32, out: *mut f32, n: usize, f: impl Fn(S::V) -> S::V) {
    // SAFETY: forwarded from the caller.
    unsafe {
        map3(
            s,
            Ptr(a),
            Splat(0.0),
            Splat(0.0),
            out,
            n,
            #[inline(always)]
            |x, _, _| f(x),
        )
    }
}

/// `e^x`.
#[inline(always)]
pub(crate) fn exp_v<S: Simd>(s: S, x: S::V) -> S::V {
    math::exp(s, x)
}

/// `1 / (1 + e^-x)`.
#[inline(always)]
pub(crate) fn sigmoid_v<S: Simd>(s: S, x: S::V) -> S::V {
    x_logistic::<S, false>(s, x, x, s.zero())
}

/// `x / (1 + e^-x)`.
#[inline(always)]
pub(crate) fn swish_v<S: Simd>(s: S, x: S::V) -> S::V {
    let xn = s.max(s.splat(EXP_LO), x);
    x_logistic::<S, true>(s, xn, x, s.zero())
}

/// `tanh x = sign(x) (1 - e) / (1 + e)` with `e = e^-2|x|` kept as a pair.
#[inline(always)]
pub(crate) fn tanh_v<S: Simd>(s: S, x: S::V) -> S::V {
    let sign = s.splat(-0.0);
    let one = s.splat(1.0);
    // -2|x|, clamped where tanh has long rounded to ±1 (NaN stays NaN).
    let z = s.max(s.splat(-20.0), s.mul(s.or(x, sign), s.splat(2.0)));
    let (a, t, n) = exp_parts(s, z, s.zero());
    let (ph, pl) = fast_two_sum(s, a, t);
    let sc = s.pow2i(n);
    let eh = s.mul(ph, sc);
    let el = s.mul(pl, sc);
    let (uh, ul0) = fast_two_sum(s, one, s.neg(eh));
    // 1 - e can be tiny with both halves alike (x near 0): renormalise.
    let (uh, ul) = fast_two_sum(s, uh, s.sub(ul0, el));
    let (dh, dl0) = fast_two_sum(s, one, eh);
    let dl = s.add(dl0, el);
    let q = div_pairs::<S, false>(s, uh, ul, dh, dl);
    s.or(q, s.and(x, sign))
}

/// `x Φ(x)`, `Φ(x) = (1 + erf(x/√2)) / 2`. With `y = |x|`, `E = Φ(-y) = e^(-y²/2) R(y)`
/// where `R` (a scaled Mills ratio) is a polynomial in `t = 1/(1 + y/2)`; then
/// `Φ(x) = E` for `x < 0` and `1 - E` otherwise, all products kept as pairs.
#[inline(always)]
pub(crate) fn gelu_v<S: Simd>(s: S, x: S::V) -> S::V {
    let one = s.splat(1.0);
    let half = s.splat(0.5);
    let zero = s.zero();
    let y = clamp_keep_nan(s, s.abs(x), 0.0, 20.0);
    // -y²/2 exactly, as a pair.
    let wh = s.mul(y, y);
    let wl = s.mul_err(y, y);
    let (a, et, n) = exp_parts(s, s.mul(wh, s.splat(-0.5)), s.mul(wl, s.splat(-0.5)));
    // t = 1 / (1 + y/2) as a pair (th, tl).
    let hy = s.mul(y, half);
    let d = s.add(one, hy);
    let dl = s.add(s.sub(s.max(one, hy), d), s.min(one, hy));
    let th = s.div(one, d);
    let rho = s.mul_add_fast(s.neg(th), dl, math::residual(s, th, d, one));
    let tl = s.mul(th, rho);
    let sp = horner(s, s.sub(th, s.splat(GELU_TC)), &GELU_S);
    // R = t S, then E mantissa = R (a + et), as pairs.
    let rh = s.mul(th, sp);
    let rl = s.mul_add_fast(tl, sp, s.mul_err(th, sp));
    let eh = s.mul(rh, a);
    let el = s.add(s.mul_err(rh, a), s.mul_add_fast(rl, a, s.mul(rh, et)));
    // x >= 0: Φ = 1 - E 2^n.
    let sc = pow2_floor126(s, n);
    let e1 = s.mul(eh, sc);
    let (fh, fl0) = fast_two_sum(s, one, s.neg(e1));
    let fl = s.mul_add_fast(s.neg(el), sc, fl0);
    let neg = s.lt(x, zero);
    let fh = s.select(neg, eh, fh);
    let fl = s.select(neg, el, fl);
    let ns = s.select(neg, n, zero);
    let xn = s.max(s.splat(-20.0), x);
    let g = s.ldexp(s.mul_add_fast(xn, fh, s.mul(xn, fl)), ns);
    s.select(s.eq(x, s.splat(f32::INFINITY)), x, g)
}

/// `x σ(2u)` with `2u = x (C1 + C2 x²)`, the doubled tanh-GELU argument, as a pair.
#[inline(always)]
pub(crate) fn gelu_tanh_v<S: Simd>(s: S, x: S::V) -> S::V {
    let xc = clamp_keep_nan(s, x, -20.0, 20.0);
    let wh = s.mul(xc, xc);
    let wl = s.mul_err(xc, xc);
    let c2h = s.splat(GT_C2H);
    let ph = s.mul(c2h, wh);
    let pl = s.add(
        s.mul_err(c2h, wh),
        s.mul_add_fast(c2h, wl, s.mul(s.splat(GT_C2L), wh)),
    );
    let (gh, ge) = two_sum(s, s.splat(GT_C1H), ph);
    let gl = s.add(ge, s.add(s.splat(GT_C1L), pl));
    let vh = s.mul(xc, gh);
    let vl = s.mul_add_fast(xc, gl, s.mul_err(xc, gh));
    let xn = s.max(s.splat(-20.0), x);
    x_logistic::<S, true>(s, xn, vh, vl)
}

macro_rules! activation_kernels {
    ($($name:ident => $f:ident),* $(,)?) => {$(
        /// `out[i] = op(a[i])`.
        ///
        /// # Safety
        /// As [`map3`].
        #[inline(always)]
        pub(crate) unsafe fn $name<S: Simd>(s: S, a: *const f32, out: *mut f32, n: usize) {
            // SAFETY: forwarded from the caller.
            unsafe { map1(s, a, out, n, #[inline(always)] |x| $f(s, x)) }
        }
    )*};
}

activation_kernels! {
    exp => exp_v,
    sigmoid => sigmoid_v,
    tanh => tanh_v,
    swish => swish_v,
    gelu => gelu_v,
    gelu_tanh => gelu_tanh_v,
}
