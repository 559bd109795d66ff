//! x86-64 SSE2: four lanes. SSE2 has no fused multiply-add, so `mul_add` is emulated
//! exactly: the product is formed in f64 (exact), added with round-to-odd, then rounded
//! once to f32, which gives the correctly rounded `a * b + c` (Boldo & Melquiond).

use super::scalar::ROUND_MAGIC;
use super::simd::Simd;
use core::arch::x86_64::*;

/// Token for SSE2. Only constructed after SSE2 is known to be present (it is part of
/// the x86-64 baseline, so always).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sse2(());

impl Sse2 {
    /// # Safety
    /// The CPU must support SSE2.
    #[inline(always)]
    pub(crate) unsafe fn new_unchecked() -> Self {
        Sse2(())
    }
}

/// `RN(p + c)` turned into round-to-odd: when the sum was inexact and the rounded
/// result has an even significand, step one ulp towards the exact value.
#[inline(always)]
fn add_round_to_odd(p: __m128d, c: __m128d) -> __m128d {
    // SAFETY: SSE2 is part of the x86-64 baseline; these are pure register operations.
    unsafe {
        let s = _mm_add_pd(p, c);
        // TwoSum: err = (p + c) - s exactly.
        let bb = _mm_sub_pd(s, p);
        let err = _mm_add_pd(_mm_sub_pd(p, _mm_sub_pd(s, bb)), _mm_sub_pd(c, bb));
        let zero = _mm_setzero_pd();
        let inexact = _mm_or_pd(_mm_cmplt_pd(err, zero), _mm_cmpgt_pd(err, zero));
        let s_bits = _mm_castpd_si128(s);
        let one = _mm_set1_epi64x(1);
        let even = _mm_cmpeq_epi32(_mm_and_si128(s_bits, one), _mm_setzero_si128());
        // The low 32 bits decide evenness; spread that to the whole 64-bit lane.
        let even = _mm_castps_pd(_mm_castsi128_ps(_mm_shuffle_epi32::<0b10_10_00_00>(even)));
        let adjust = _mm_and_pd(inexact, even);
        // Same sign of err and s: away from zero (+1 on the bits), else towards zero.
        let same_sign = _mm_cmpge_pd(_mm_mul_pd(err, s), zero);
        let step_up = _mm_add_epi64(s_bits, one);
        let step_down = _mm_sub_epi64(s_bits, one);
        let stepped = _mm_castsi128_pd(_mm_or_si128(
            _mm_and_si128(_mm_castpd_si128(same_sign), step_up),
            _mm_andnot_si128(_mm_castpd_si128(same_sign), step_down),
        ));
        _mm_or_pd(_mm_and_pd(adjust, stepped), _mm_andnot_pd(adjust, s))
    }
}

impl Simd for Sse2 {
    const LANES: usize = 4;
    type V = __m128;
    type M = __m128;

    #[inline(always)]
    unsafe fn load(self, p: *const f32) -> __m128 {
        // SAFETY: the caller guarantees 4 readable values at `p`.
        unsafe { _mm_loadu_ps(p) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32, v: __m128) {
        // SAFETY: the caller guarantees 4 writable values at `p`.
        unsafe { _mm_storeu_ps(p, v) }
    }
    #[inline(always)]
    unsafe fn load_partial(self, p: *const f32, len: usize, fill: f32) -> __m128 {
        // In registers, from loads of one and two values: the default's stack buffer
        // made the next vector load wait on its scalar stores (one value, SSE2 table:
        // `simd_sum` 17.3 -> 5.1 ns, `simd_dot` 26.3 -> 7.4, `simd_max` 22.3 -> 9.7,
        // `simd_add_assign` 21.2 -> 7.3; the idiom 3.2, 4.1, 4.3, 4.3;
        // `examples/overhead.rs`).
        // SAFETY: exactly the `len <= 4` values the caller guarantees are read
        // (`_mm_loadl_epi64` reads 8 bytes, unaligned).
        unsafe {
            let rest = _mm_set1_ps(fill);
            let two = |q: *const f32| _mm_castsi128_ps(_mm_loadl_epi64(q.cast()));
            match len {
                0 => rest,
                1 => _mm_move_ss(rest, _mm_load_ss(p)),
                2 => _mm_movelh_ps(two(p), rest),
                3 => _mm_movelh_ps(two(p), _mm_move_ss(rest, _mm_load_ss(p.add(2)))),
                _ => _mm_loadu_ps(p),
            }
        }
    }
    #[inline(always)]
    unsafe fn store_partial(self, p: *mut f32, len: usize, v: __m128) {
        // Straight from the register (see `load_partial`).
        // SAFETY: exactly the `len <= 4` values the caller guarantees are written
        // (`_mm_storel_epi64` writes 8 bytes, unaligned).
        unsafe {
            let two = |q: *mut f32| _mm_storel_epi64(q.cast(), _mm_castps_si128(v));
            match len {
                0 => {}
                1 => _mm_store_ss(p, v),
                2 => two(p),
                3 => {
                    two(p);
                    _mm_store_ss(p.add(2), _mm_movehl_ps(v, v));
                }
                _ => _mm_storeu_ps(p, v),
            }
        }
    }
    #[inline(always)]
    fn splat(self, x: f32) -> __m128 {
        // SAFETY (all methods below): holding the token proves SSE2 is available.
        unsafe { _mm_set1_ps(x) }
    }
    #[inline(always)]
    fn add(self, a: __m128, b: __m128) -> __m128 {
        unsafe { _mm_add_ps(a, b) }
    }
    #[inline(always)]
    fn sub(self, a: __m128, b: __m128) -> __m128 {
        unsafe { _mm_sub_ps(a, b) }
    }
    #[inline(always)]
    fn mul(self, a: __m128, b: __m128) -> __m128 {
        unsafe { _mm_mul_ps(a, b) }
    }
    #[inline(always)]
    fn div(self, a: __m128, b: __m128) -> __m128 {
        unsafe { _mm_div_ps(a, b) }
    }
    #[inline(always)]
    fn mul_add(self, a: __m128, b: __m128, c: __m128) -> __m128 {
        unsafe {
            let lo = add_round_to_odd(
                _mm_mul_pd(_mm_cvtps_pd(a), _mm_cvtps_pd(b)),
                _mm_cvtps_pd(c),
            );
            let hi = add_round_to_odd(
                _mm_mul_pd(
                    _mm_cvtps_pd(_mm_movehl_ps(a, a)),
                    _mm_cvtps_pd(_mm_movehl_ps(b, b)),
                ),
                _mm_cvtps_pd(_mm_movehl_ps(c, c)),
            );
            _mm_movelh_ps(_mm_cvtpd_ps(lo), _mm_cvtpd_ps(hi))
        }
    }
    #[inline(always)]
    fn sqrt(self, a: __m128) -> __m128 {
        unsafe { _mm_sqrt_ps(a) }
    }
    #[inline(always)]
    fn min(self, a: __m128, b: __m128) -> __m128 {
        // minps returns the second operand unless a < b.
        unsafe { _mm_min_ps(a, b) }
    }
    #[inline(always)]
    fn max(self, a: __m128, b: __m128) -> __m128 {
        unsafe { _mm_max_ps(a, b) }
    }
    #[inline(always)]
    fn lt(self, a: __m128, b: __m128) -> __m128 {
        unsafe { _mm_cmplt_ps(a, b) }
    }
    #[inline(always)]
    fn le(self, a: __m128, b: __m128) -> __m128 {
        unsafe { _mm_cmple_ps(a, b) }
    }
    #[inline(always)]
    fn eq(self, a: __m128, b: __m128) -> __m128 {
        unsafe { _mm_cmpeq_ps(a, b) }
    }
    #[inline(always)]
    fn is_nan(self, a: __m128) -> __m128 {
        unsafe { _mm_cmpunord_ps(a, a) }
    }
    #[inline(always)]
    fn select(self, m: __m128, a: __m128, b: __m128) -> __m128 {
        unsafe { _mm_or_ps(_mm_and_ps(m, a), _mm_andnot_ps(m, b)) }
    }
    #[inline(always)]
    fn mask_or(self, a: __m128, b: __m128) -> __m128 {
        unsafe { _mm_or_ps(a, b) }
    }
    #[inline(always)]
    fn mask_and(self, a: __m128, b: __m128) -> __m128 {
        unsafe { _mm_and_ps(a, b) }
    }
    #[inline(always)]
    fn mask_bits(self, m: __m128) -> u64 {
        unsafe { _mm_movemask_ps(m) as u64 }
    }
    #[inline(always)]
    fn and(self, a: __m128, b: __m128) -> __m128 {
        unsafe { _mm_and_ps(a, b) }
    }
    #[inline(always)]
    fn or(self, a: __m128, b: __m128) -> __m128 {
        unsafe { _mm_or_ps(a, b) }
    }
    #[inline(always)]
    fn xor(self, a: __m128, b: __m128) -> __m128 {
        unsafe { _mm_xor_ps(a, b) }
    }
    #[inline(always)]
    fn round(self, a: __m128) -> __m128 {
        unsafe {
            let m = _mm_set1_ps(ROUND_MAGIC);
            _mm_sub_ps(_mm_add_ps(a, m), m)
        }
    }
    #[inline(always)]
    fn mul_err(self, a: __m128, b: __m128) -> __m128 {
        // Exact in f64 (see the scalar backend), half a vector at a time.
        // SAFETY: holding the token proves SSE2; register-only operations.
        unsafe {
            let p = _mm_mul_ps(a, b);
            let err = |a: __m128, b: __m128, p: __m128| {
                _mm_cvtpd_ps(_mm_sub_pd(
                    _mm_mul_pd(_mm_cvtps_pd(a), _mm_cvtps_pd(b)),
                    _mm_cvtps_pd(p),
                ))
            };
            let lo = err(a, b, p);
            let hi = err(
                _mm_movehl_ps(a, a),
                _mm_movehl_ps(b, b),
                _mm_movehl_ps(p, p),
            );
            _mm_movelh_ps(lo, hi)
        }
    }
    #[inline(always)]
    unsafe fn store_stream(self, p: *mut f32, v: __m128) {
        debug_assert_eq!(
            p as usize % 16,
            0,
            "streaming store needs 16-byte alignment"
        );
        // SAFETY: the caller guarantees 4 writable values at a 16-byte-aligned `p`.
        unsafe { _mm_stream_ps(p, v) }
    }
    #[inline(always)]
    fn stream_fence(self) {
        // SAFETY: the token proves SSE2.
        unsafe { _mm_sfence() }
    }
    #[inline(always)]
    fn all_abs_le(self, a: __m128, limit: f32) -> bool {
        // An integer compare of the magnitudes' bits (NaN's are above every limit's).
        // SAFETY: the token proves SSE2; register-only operations.
        unsafe {
            let bits = _mm_and_si128(_mm_castps_si128(a), _mm_set1_epi32(0x7fff_ffff));
            let above = _mm_cmpgt_epi32(bits, _mm_set1_epi32(limit.to_bits() as i32));
            _mm_movemask_ps(_mm_castsi128_ps(above)) == 0
        }
    }
    #[inline(always)]
    fn lookup8(self, table: &[f32; 8], index: __m128) -> __m128 {
        // No variable permute before AVX: four indexed loads, assembled in registers
        // (a vector load of four scalar stores would stall on store forwarding).
        // SAFETY: the token proves SSE2; register-only operations.
        let i = unsafe { _mm_castps_si128(index) };
        let lane = |v: i32| table[(v & 7) as usize];
        // SAFETY: as above.
        unsafe {
            _mm_set_ps(
                lane(_mm_cvtsi128_si32(_mm_shuffle_epi32::<3>(i))),
                lane(_mm_cvtsi128_si32(_mm_shuffle_epi32::<2>(i))),
                lane(_mm_cvtsi128_si32(_mm_shuffle_epi32::<1>(i))),
                lane(_mm_cvtsi128_si32(i)),
            )
        }
    }
    #[inline(always)]
    fn recip_approx(self, a: __m128) -> __m128 {
        // SAFETY: the token proves SSE2; register-only operation (12-bit estimate).
        unsafe { _mm_rcp_ps(a) }
    }
    #[inline(always)]
    fn ldexp_magic(self, a: __m128, k: __m128) -> __m128 {
        // `k`'s bits are `0x4b40_0000 + n`, so shifted by 23 they are `n` in the
        // exponent field.
        unsafe {
            let e = _mm_slli_epi32::<23>(_mm_castps_si128(k));
            _mm_castsi128_ps(_mm_add_epi32(_mm_castps_si128(a), e))
        }
    }
    #[inline(always)]
    fn pow2i(self, n: __m128) -> __m128 {
        unsafe {
            let e = _mm_add_epi32(_mm_cvttps_epi32(n), _mm_set1_epi32(127));
            _mm_castsi128_ps(_mm_slli_epi32::<23>(e))
        }
    }
}
