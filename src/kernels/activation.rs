//! The six transcendental activations, written once over [`Simd`] from the building
//! blocks of [`super::math`]. No per-element branches: every lane takes the same path and
//! special cases are selects. Error bounds (over all 2^32 inputs, every backend) are in
//! `docs/accuracy.md`.

use super::elementwise::{map3, run_descending, Ptr, Splat};
use super::math::{
    self, clamp_keep_nan, fast_two_sum, horner, pow2_floor126, two_sum, within, x_logistic, EXP_LO,
};
use super::simd::{load_partial, store_partial, Simd};
use super::tables::{
    GELU_CENTERS, GELU_FAR_CENTERS, GELU_FAR_TABLE, GELU_TABLE, TANH_CENTERS, TANH_TABLE,
};

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

/// Below this `|x|` (the largest f32 under 3.75, where `round(2|x|)` is at most 7), gelu
/// comes from [`GELU_TABLE`].
const GELU_TABLE_LIMIT: f32 = 3.749_999_8;

/// Below this `|x|` (the largest f32 under 11.5, where `round(|x|)` is at most 11), gelu
/// comes from [`GELU_FAR_TABLE`] beyond `GELU_TABLE_LIMIT`.
const GELU_FAR_LIMIT: f32 = 11.499_999;

/// Applies an activation to every element of `a` into `out`, two or four vectors per
/// iteration (see the main loop): `short` for a group whose lanes all have
/// `|x| <= limit`, `full` otherwise (see the main loop for what a group is). The results
/// do not depend on the grouping: both forms agree.
///
/// With `FULL_IS_RARE`, the `full` path is marked cold ([`rarely_taken`]), so the short
/// form keeps its values in registers. gelu's full form is common on wide data, where
/// the mark costs a call per vector and the constants reloaded after it (AVX2 gelu on
/// [-8, 8] at 16 K: 1.27 with it against 1.07 ns/element without, AVX-512 1.005 against
/// 0.72; on [-3, 3] equal).
///
/// # Safety
/// `a` must be readable and `out` writable for `n` values; they may be the same pointer.
#[inline(always)]
unsafe fn map_activation<S: Simd, const FULL_IS_RARE: bool>(
    s: S,
    a: *const f32,
    out: *mut f32,
    n: usize,
    limit: f32,
    short: impl Fn(S::V) -> S::V,
    full: impl Fn(S::V) -> S::V,
) {
    let l = S::LANES;
    align_frame();
    // Plain functions, not closures: a closure would not inherit the target features.
    #[inline(always)]
    fn pick<S: Simd, const FULL_IS_RARE: bool>(
        s: S,
        x: S::V,
        limit: f32,
        short: &impl Fn(S::V) -> S::V,
        full: &impl Fn(S::V) -> S::V,
    ) -> S::V {
        // The short form for vectors whose lanes all have `|x| <= limit` (NaN: no).
        if s.all_abs_le(x, limit) {
            short(x)
        } else {
            if FULL_IS_RARE {
                rarely_taken();
            }
            full(x)
        }
    }
    // Not for one lane: the scalar loop below interleaves four bodies behind one range
    // test, which a descending loop of single values loses (scalar sigmoid 16 K: 3.77
    // against 0.94 ns/element).
    if S::LANES > 1 && run_descending(out, [Some(a)], false) {
        // From the end down (see `run_descending`), two vectors per iteration, each stored
        // as soon as it is computed (see the ascending loop), the higher first: the next
        // load, below it, never shares the low address bits of a store just issued.
        let mut i = n;
        // SAFETY: a trailing partial vector at `i..n` first, then full vectors only at
        // `i..i+2l <= n` (or `i..i+l`), then the leading `i < l` values as a partial
        // vector.
        unsafe {
            // Peel a tail so that the main loop's stores are vector-aligned.
            let tail = (out.add(n) as usize / 4) % l;
            if tail != 0 && n >= 8 * l {
                i = n - tail;
                let r = pick::<S, FULL_IS_RARE>(
                    s,
                    load_partial(s, a.add(i), tail, 0.0),
                    limit,
                    &short,
                    &full,
                );
                store_partial(s, out.add(i), tail, r);
            }
            while i >= 2 * l {
                i -= 2 * l;
                let r1 = pick::<S, FULL_IS_RARE>(s, s.load(a.add(i + l)), limit, &short, &full);
                s.store(out.add(i + l), r1);
                let r0 = pick::<S, FULL_IS_RARE>(s, s.load(a.add(i)), limit, &short, &full);
                s.store(out.add(i), r0);
            }
            if i >= l {
                i -= l;
                s.store(
                    out.add(i),
                    pick::<S, FULL_IS_RARE>(s, s.load(a.add(i)), limit, &short, &full),
                );
            }
            if i > 0 {
                let r =
                    pick::<S, FULL_IS_RARE>(s, load_partial(s, a, i, 0.0), limit, &short, &full);
                store_partial(s, out, i, r);
            }
        }
        return;
    }
    let mut i = 0;
    // SAFETY: every access stays inside `0..n`: a head of `head < l` values, full vectors
    // only while they fit, then a tail of `n - i < l` values.
    unsafe {
        // Peel a head so that the main loop's stores are vector-aligned.
        let misaligned = (out as usize / 4) % l;
        if misaligned != 0 && n >= 8 * l {
            let head = l - misaligned;
            store_partial(
                s,
                out,
                head,
                pick::<S, FULL_IS_RARE>(s, load_partial(s, a, head, 0.0), limit, &short, &full),
            );
            i = head;
        }
        // One range test per vector (measured faster than one per group on AVX2 and
        // AVX-512: the bodies are long enough to keep the core busy alone). Two vectors
        // per iteration for the 4- and 8-lane backends, four for AVX-512 and its 32
        // registers (AVX2 exp 0.293 -> 0.278 ns/el with two; AVX-512 sigmoid 0.414 ->
        // 0.444 with two instead of four; SSE2 unchanged; NEON and WASM not timed).
        if S::LANES == 1 {
            while i + 4 * l <= n {
                // One test per group, so that four scalar bodies can run interleaved.
                let mut x = [s.zero(); 4];
                for (k, v) in x.iter_mut().enumerate() {
                    *v = s.load(a.add(i + k * l));
                }
                let ok = s.mask_and(
                    s.mask_and(within(s, x[0], limit), within(s, x[1], limit)),
                    s.mask_and(within(s, x[2], limit), within(s, x[3], limit)),
                );
                let short_form = s.all(ok);
                for v in x.iter_mut() {
                    *v = if short_form { short(*v) } else { full(*v) };
                }
                for (k, v) in x.iter().enumerate() {
                    s.store(out.add(i + k * l), *v);
                }
                i += 4 * l;
            }
        } else if S::LANES >= 16 {
            while i + 4 * l <= n {
                let r0 = pick::<S, FULL_IS_RARE>(s, s.load(a.add(i)), limit, &short, &full);
                let r1 = pick::<S, FULL_IS_RARE>(s, s.load(a.add(i + l)), limit, &short, &full);
                let r2 = pick::<S, FULL_IS_RARE>(s, s.load(a.add(i + 2 * l)), limit, &short, &full);
                let r3 = pick::<S, FULL_IS_RARE>(s, s.load(a.add(i + 3 * l)), limit, &short, &full);
                s.store(out.add(i), r0);
                s.store(out.add(i + l), r1);
                s.store(out.add(i + 2 * l), r2);
                s.store(out.add(i + 3 * l), r3);
                i += 4 * l;
            }
        } else {
            // Each vector stored as soon as it is computed: holding the first result
            // across the second's body spilled it to the stack on AVX2's 16 registers
            // (AVX2 at 16 K: swish 0.325 -> 0.311, exp 0.27 -> 0.258 ns/el).
            while i + 2 * l <= n {
                let r0 = pick::<S, FULL_IS_RARE>(s, s.load(a.add(i)), limit, &short, &full);
                s.store(out.add(i), r0);
                let r1 = pick::<S, FULL_IS_RARE>(s, s.load(a.add(i + l)), limit, &short, &full);
                s.store(out.add(i + l), r1);
                i += 2 * l;
            }
        }
        while i + l <= n {
            s.store(
                out.add(i),
                pick::<S, FULL_IS_RARE>(s, s.load(a.add(i)), limit, &short, &full),
            );
            i += l;
        }
        if i < n {
            let len = n - i;
            store_partial(
                s,
                out.add(i),
                len,
                pick::<S, FULL_IS_RARE>(
                    s,
                    load_partial(s, a.add(i), len, 0.0),
                    limit,
                    &short,
                    &full,
                ),
            );
        }
    }
}

/// Makes the kernel that inlines it realign its stack frame to 64 bytes (by holding a
/// 64-byte-aligned local), so that its register spills are aligned too: unaligned 64-byte
/// spills straddle two cache lines, which made AVX-512 gelu 1.8x slower (1.06 -> 1.88
/// ns/element on inputs in [-8, 8]) in processes whose stack began at one of half the
/// possible offsets.
#[inline(always)]
fn align_frame() {
    #[repr(align(64))]
    struct CacheLine([u8; 64]);
    let line = CacheLine([0; 64]);
    core::hint::black_box(&line.0);
}

/// Marks the path that calls it as rare (as `core::hint::cold_path`, stable only since
/// Rust 1.95): the compiler then keeps the short form's values in registers and lets
/// the full form spill (AVX2 sigmoid at 16 K: 0.415 -> 0.324 ns/el, swish 0.618 ->
/// 0.513). A call that costs nothing where vectors are in range.
#[cold]
#[inline(never)]
fn rarely_taken() {}

// Each activation comes in two forms, selected per vector by `FULL`: the full-range one
// (clamps, two-step scaling into subnormals), and a short one for vectors whose lanes all
// lie in the range named next to the op in `activation_kernels!` below, where the
// exponent of every intermediate stays inside `-125..=127`. Both give the same results;
// the short one skips the clamps and scales with one multiply. (gelu, below, has three
// forms by range instead, each lane taking its own.)

/// `e^x`.
#[inline(always)]
pub(crate) fn exp_v<S: Simd, const FULL: bool>(s: S, x: S::V) -> S::V {
    math::exp::<S, FULL>(s, x)
}

/// `1 / (1 + e^-x)`: one rounded division of the once-rounded denominator (below
/// `x = -86`, where `σ(x) = e^x` to `2^-124`, the exponential itself).
#[inline(always)]
pub(crate) fn sigmoid_v<S: Simd, const FULL: bool>(s: S, x: S::V) -> S::V {
    let one = s.splat(1.0);
    if FULL {
        let xc = clamp_keep_nan(s, x, -86.0, 86.0);
        let (d, _) = math::one_plus_exp_neg::<S, true>(s, xc, None);
        s.select(
            s.lt(x, s.splat(-86.0)),
            math::exp::<S, true>(s, x),
            s.div(one, d),
        )
    } else {
        s.div(one, math::one_plus_exp_neg::<S, false>(s, x, None).0)
    }
}

/// `x / (1 + e^-x)`, one rounded division by [`math::one_plus_exp_neg`]'s denominator
/// (its mantissa is not tied to the denominator's as sigmoid's is, so the denominator's
/// error can add a whole ulp to the division's half: 1.73 ulp over all inputs). Beyond
/// `|x| = 16`, in the full form, the quotient is corrected once for both roundings, and
/// below `x = -86`, where the result is tiny or subnormal, it is the pair form of
/// [`x_logistic`].
#[inline(always)]
pub(crate) fn swish_v<S: Simd, const FULL: bool>(s: S, x: S::V) -> S::V {
    let xc = if FULL {
        clamp_keep_nan(s, x, -86.0, 86.0)
    } else {
        x
    };
    let (d, dl) = math::one_plus_exp_neg::<S, FULL>(s, xc, None);
    let q = s.div(x, d);
    if !FULL {
        return q;
    }
    // x - q (d + dl), divided by d; the sign of zero restored.
    let sign = s.splat(-0.0);
    let rem = s.mul_add_fast(s.neg(q), dl, math::residual(s, q, d, x));
    let corrected = s.or(s.mul_add_fast(rem, s.recip_approx(d), q), s.and(x, sign));
    // x = ±∞: ±∞ / 1 with a NaN remainder.
    let wide = s.select(s.is_nan(rem), q, corrected);
    let tiny = x_logistic(s, s.max(s.splat(EXP_LO), x), x, None);
    let wide = s.select(s.lt(x, s.splat(-86.0)), tiny, wide);
    s.select(within(s, x, 16.0), q, wide)
}

/// `tanh x`: `tanh y` for `y = min(|x|, 9.1)` from a polynomial picked by `round(y)`
/// ([`math::piecewise`], the last one serving up to 9.1), the sign of `x` put back. No
/// exponential, no division, no range test: one form for every input (NaN stays NaN).
#[inline(always)]
pub(crate) fn tanh_v<S: Simd>(s: S, x: S::V) -> S::V {
    // min(a, b) returns b unless a < b: NaN stays NaN.
    let y = s.min(s.splat(9.1), s.abs(x));
    let t = math::piecewise::<S, true, _>(s, y, 1.0, 0.0, &TANH_CENTERS, &TANH_TABLE);
    s.or(t, s.and(x, s.splat(-0.0)))
}

/// `x Φ(x)`, `Φ(x) = (1 + erf(x/√2)) / 2`, over the whole range: the form for
/// `|x| > GELU_FAR_LIMIT`, where results become tiny and subnormal. With `y = |x|`,
/// `E = Φ(-y) = e^(-y²/2) R(y)` where `R` (a scaled Mills ratio) is a polynomial in
/// `t = 1/(1 + y/2)`; then `Φ(x) = E` for `x < 0` and `1 - E` otherwise, all products
/// kept as pairs and `2^n` applied last.
#[inline(always)]
fn gelu_mills_v<S: Simd>(s: S, x: S::V) -> S::V {
    let one = s.splat(1.0);
    let half = s.splat(0.5);
    let zero = s.zero();
    let y = clamp_keep_nan(s, s.abs(x), 0.0, 20.0);
    // -y²/2 exactly, as a pair.
    let wh = s.mul(y, y);
    let wl = s.mul_err(y, y);
    let (a, et, n, _) =
        math::exp_parts::<S, true>(s, s.mul(wh, s.splat(-0.5)), Some(s.mul(wl, s.splat(-0.5))));
    // t = 1 / (1 + y/2) as a pair (th, tl).
    let hy = s.mul(y, half);
    let d = s.add(one, hy);
    let dl = s.add(s.sub(s.max(one, hy), d), s.min(one, hy));
    let th = s.div(one, d);
    let rho = s.mul_add_fast(s.neg(th), dl, math::residual(s, th, d, one));
    let tl = s.mul(th, rho);
    let sp = horner(s, s.sub(th, s.splat(GELU_TC)), &GELU_S);
    // R = t S, then E = R (a + et), as pairs.
    let rh = s.mul(th, sp);
    let rl = s.mul_add_fast(tl, sp, s.mul_err(th, sp));
    let eh = s.mul(rh, a);
    let el = s.add(s.mul_err(rh, a), s.mul_add_fast(rl, a, s.mul(rh, et)));
    // x >= 0: Φ = 1 - E 2^n.
    let sc = pow2_floor126(s, n);
    let (fh, fl0) = fast_two_sum(s, one, s.neg(s.mul(eh, sc)));
    let fl = s.mul_add_fast(s.neg(el), sc, fl0);
    let neg = s.lt(x, zero);
    let fh = s.select(neg, eh, fh);
    let fl = s.select(neg, el, fl);
    let ns = s.select(neg, n, zero);
    let xn = s.max(s.splat(-20.0), x);
    let g = s.ldexp(s.mul_add_fast(xn, fh, s.mul(xn, fl)), ns);
    s.select(s.eq(x, s.splat(f32::INFINITY)), x, g)
}

/// `x Φ(x)` for `|x| <= GELU_TABLE_LIMIT`, from a polynomial picked by `c = round(2|x|)`
/// (`vpermps` on AVX2 and AVX-512): `g = |x| Φ(-|x|)`, then `-g` for `x < 0` and
/// `x - g = x Φ(x)` otherwise (where `g <= x/2`, so the subtraction loses nothing).
/// No exponential, no division: a third of the operations of [`gelu_mills_v`].
#[inline(always)]
fn gelu_table_v<S: Simd>(s: S, x: S::V) -> S::V {
    let y = s.abs(x);
    x_times_symmetric(
        s,
        x,
        y,
        math::piecewise::<S, false, _>(s, y, 2.0, 0.0, &GELU_CENTERS, &GELU_TABLE),
    )
}

/// `x F(x)` from `g = |x| F(-|x|)`, for an `F` with `F(x) + F(-x) = 1` (Φ, σ): `-g` for
/// `x < 0`, `x - g` otherwise (no cancellation: `g <= x/2` there), the sign of `x` on
/// zeros too.
#[inline(always)]
fn x_times_symmetric<S: Simd>(s: S, x: S::V, y: S::V, g: S::V) -> S::V {
    let zero = s.zero();
    let z = s.select(s.lt(x, zero), zero, y);
    s.or(s.sub(z, g), s.and(x, s.splat(-0.0)))
}

/// `x Φ(x)` for `GELU_TABLE_LIMIT < |x| <= GELU_FAR_LIMIT` (other lanes: unspecified, NaN
/// included): `g = |x| Φ(-|x|) = e^(-x²/2) h(|x|)`, the exponential of the exact
/// argument (as a pair) and `h` picked by `round(|x|)`, then as [`gelu_table_v`].
#[inline(always)]
fn gelu_far_v<S: Simd>(s: S, x: S::V) -> S::V {
    let y = s.abs(x);
    let wh = s.mul(y, y);
    let wl = s.mul_err(y, y);
    let half = s.splat(-0.5);
    let (a, et, _, k) = math::exp_parts::<S, false>(s, s.mul(wh, half), Some(s.mul(wl, half)));
    let h = math::piecewise::<S, false, _>(s, y, 1.0, 4.0, &GELU_FAR_CENTERS, &GELU_FAR_TABLE);
    // e^(-x²/2) >= 2^-96: scaling h by 2^n is exact.
    let h = s.ldexp_magic(h, k);
    x_times_symmetric(s, x, y, s.mul_add_fast(h, a, s.mul(h, et)))
}

/// The gelu of vectors that are not all within `GELU_TABLE_LIMIT`: lane by lane
/// [`gelu_table_v`], [`gelu_far_v`], or beyond `GELU_FAR_LIMIT` (and NaN) the Mills-ratio
/// form.
#[inline(always)]
fn gelu_wide_v<S: Simd>(s: S, x: S::V) -> S::V {
    let near = within(s, x, GELU_TABLE_LIMIT);
    // Whole vectors on one side skip the other form (single values always do: the scalar
    // kernel tests groups of four for the short form).
    let g = if s.all(near) {
        gelu_table_v(s, x)
    } else if s.mask_bits(near) == 0 {
        gelu_far_v(s, x)
    } else {
        s.select(near, gelu_table_v(s, x), gelu_far_v(s, x))
    };
    let tabled = within(s, x, GELU_FAR_LIMIT);
    if s.all(tabled) {
        g
    } else {
        s.select(tabled, g, gelu_mills_v(s, x))
    }
}

/// `out[i] = gelu(a[i])`: [`gelu_table_v`] for vectors within `GELU_TABLE_LIMIT`, else
/// [`gelu_wide_v`].
///
/// # Safety
/// As [`map_activation`].
#[inline(always)]
pub(crate) unsafe fn gelu<S: Simd>(s: S, a: *const f32, out: *mut f32, n: usize) {
    // SAFETY: forwarded from the caller.
    unsafe {
        map_activation::<S, false>(
            s,
            a,
            out,
            n,
            GELU_TABLE_LIMIT,
            #[inline(always)]
            |x| gelu_table_v(s, x),
            #[inline(always)]
            |x| gelu_wide_v(s, x),
        )
    }
}

/// The doubled tanh-GELU argument `2u = x (C1 + C2 x²)` as a pair `(vh, vl)`, both
/// constants as pairs: its relative error would otherwise be multiplied by `|2u|` (up to
/// 77 in the short form) in the result.
#[inline(always)]
fn gelu_tanh_arg<S: Simd>(s: S, x: S::V) -> (S::V, S::V) {
    let wh = s.mul(x, x);
    let wl = s.mul_err(x, x);
    let c2h = s.splat(GT_C2H);
    let ph = s.mul(c2h, wh);
    let pl = s.add(
        s.mul_err(c2h, wh),
        s.mul_add_fast(c2h, wl, s.mul(s.splat(GT_C2L), wh)),
    );
    let (gh, ge) = two_sum(s, s.splat(GT_C1H), ph);
    let gl = s.add(ge, s.add(s.splat(GT_C1L), pl));
    let vh = s.mul(x, gh);
    (vh, s.mul_add_fast(x, gl, s.mul_err(x, gh)))
}

/// `x σ(2u) = x / (1 + e^-2u)`, the denominator rounded once from the pair-valued
/// argument (as for swish, without the quotient's correction: the bound is 4 ulp).
/// Beyond `|x| = 9.5` (tiny or subnormal results below, `x` itself above) the pair form
/// of [`x_logistic`].
#[inline(always)]
pub(crate) fn gelu_tanh_v<S: Simd, const FULL: bool>(s: S, x: S::V) -> S::V {
    let xc = if FULL {
        clamp_keep_nan(s, x, -9.5, 9.5)
    } else {
        x
    };
    let (vh, vl) = gelu_tanh_arg(s, xc);
    let q = s.div(xc, math::one_plus_exp_neg::<S, true>(s, vh, Some(vl)).0);
    if FULL {
        let xw = clamp_keep_nan(s, x, -20.0, 20.0);
        let (wh, wl) = gelu_tanh_arg(s, xw);
        let far = x_logistic(s, s.max(s.splat(-20.0), x), wh, Some(wl));
        s.select(within(s, x, 9.5), q, far)
    } else {
        q
    }
}

macro_rules! activation_kernels {
    ($($name:ident => $f:ident, short form for |x| <= $limit:expr),* $(,)?) => {$(
        /// `out[i] = op(a[i])`.
        ///
        /// # Safety
        /// As [`map_activation`].
        #[inline(always)]
        pub(crate) unsafe fn $name<S: Simd>(s: S, a: *const f32, out: *mut f32, n: usize) {
            // SAFETY: forwarded from the caller.
            unsafe {
                map_activation::<S, true>(
                    s,
                    a,
                    out,
                    n,
                    $limit,
                    #[inline(always)]
                    |x| $f::<S, false>(s, x),
                    #[inline(always)]
                    |x| $f::<S, true>(s, x),
                )
            }
        }
    )*};
}

// The limits keep every exponent of the short forms in `-125..=127` (see each op).
activation_kernels! {
    exp => exp_v, short form for |x| <= 86.0,
    // 1 + 2^n stays exact (see `math::one_plus_exp_neg`).
    sigmoid => sigmoid_v, short form for |x| <= 16.0,
    swish => swish_v, short form for |x| <= 16.0,
    // The doubled tanh argument stays within ±77.
    gelu_tanh => gelu_tanh_v, short form for |x| <= 9.5,
}

/// `out[i] = tanh(a[i])`.
///
/// # Safety
/// As [`map3`].
#[inline(always)]
pub(crate) unsafe fn tanh<S: Simd>(s: S, a: *const f32, out: *mut f32, n: usize) {
    // SAFETY: forwarded from the caller.
    unsafe {
        map3(
            s,
            Ptr(a),
            Splat(0.0),
            Splat(0.0),
            out,
            n,
            false,
            #[inline(always)]
            |x, _, _| tanh_v(s, x),
        )
    }
}
