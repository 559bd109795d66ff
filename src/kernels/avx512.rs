//! x86-64 AVX-512 (F, with BW/DQ/VL required at detection): sixteen lanes and mask
//! registers.

use super::every_other::MaskedMoves;
use super::scalar::ROUND_MAGIC;
use super::simd::Simd;
use core::arch::x86_64::*;

/// Token for AVX-512F/BW/DQ/VL. Only constructed after runtime detection.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Avx512(());

impl Avx512 {
    /// # Safety
    /// The CPU must support AVX-512F, BW, DQ and VL.
    #[inline(always)]
    pub(crate) unsafe fn new_unchecked() -> Self {
        Avx512(())
    }
}

#[inline(always)]
fn bits(a: __m512) -> __m512i {
    // SAFETY: a pure reinterpretation; AVX-512F is proven by the caller's token.
    unsafe { _mm512_castps_si512(a) }
}

#[inline(always)]
fn float(a: __m512i) -> __m512 {
    // SAFETY: a pure reinterpretation; AVX-512F is proven by the caller's token.
    unsafe { _mm512_castsi512_ps(a) }
}

impl Simd for Avx512 {
    const LANES: usize = 16;
    const HAS_FMA: bool = true;
    const ALIGNED_BLOCKS: bool = true;
    type V = __m512;
    type M = __mmask16;

    #[inline(always)]
    unsafe fn load(self, p: *const f32) -> __m512 {
        // SAFETY: the caller guarantees 16 readable values; the token proves AVX-512F.
        unsafe { _mm512_loadu_ps(p) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32, v: __m512) {
        // SAFETY: the caller guarantees 16 writable values; the token proves AVX-512F.
        unsafe { _mm512_storeu_ps(p, v) }
    }
    #[inline(always)]
    unsafe fn load_partial(self, p: *const f32, len: usize, fill: f32) -> __m512 {
        let k = if len >= 16 { 0xffff } else { (1u16 << len) - 1 };
        // SAFETY: masked-off lanes are neither read nor faulted on; the caller
        // guarantees the `len` enabled ones are readable.
        unsafe { _mm512_mask_loadu_ps(_mm512_set1_ps(fill), k, p) }
    }
    #[inline(always)]
    unsafe fn load_partial_high(self, p: *const f32, len: usize) -> __m512 {
        let k = !((1u16 << (16 - len)) - 1);
        // SAFETY: lane `i` is enabled for `i >= 16 - len` and reads `p[i - (16 - len)]`,
        // one of the `len` values the caller guarantees; masked-off lanes are neither
        // read nor faulted on, so the address before `p` is never touched.
        unsafe { _mm512_maskz_loadu_ps(k, p.wrapping_sub(16 - len)) }
    }
    #[inline(always)]
    unsafe fn load_spread(self, p: *const f32, len: usize) -> __m512 {
        // The first `ceil(len / 2)` of eight values (`len <= 16`).
        let k = ((1u16 << len.div_ceil(2).min(8)) - 1) as __mmask8;
        // SAFETY: the masked load reads `p[j]` for `2 j < len` only (masked-off lanes
        // neither read nor fault; AVX-512VL, which the token proves); the permute is
        // register-only.
        unsafe {
            let half = _mm256_maskz_loadu_ps(k, p);
            _mm512_permutexvar_ps(
                _mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7),
                _mm512_castps256_ps512(half),
            )
        }
    }
    #[inline(always)]
    unsafe fn store_even(self, p: *mut f32, v: __m512) {
        // SAFETY: the masked stores write `p[2 i]` for `i < 16` only, which the caller
        // guarantees writable; the permutes are register-only.
        unsafe {
            let lo = _mm512_permutexvar_ps(
                _mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7),
                v,
            );
            let hi = _mm512_permutexvar_ps(
                _mm512_setr_epi32(8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15),
                v,
            );
            _mm512_mask_storeu_ps(p, 0x5555, lo);
            _mm512_mask_storeu_ps(p.wrapping_add(16), 0x5555, hi);
        }
    }
    #[inline(always)]
    fn concat_shift(self, lo: __m512, hi: __m512, shift: usize) -> __m512 {
        // SAFETY: the token proves AVX-512F; register-only operation. Index i + shift
        // (< 32) selects from the 32 lanes of `lo` then `hi`.
        unsafe {
            let idx = _mm512_add_epi32(
                _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                _mm512_set1_epi32(shift as i32),
            );
            _mm512_permutex2var_ps(lo, idx, hi)
        }
    }
    #[inline(always)]
    unsafe fn store_partial(self, p: *mut f32, len: usize, v: __m512) {
        let k = if len >= 16 { 0xffff } else { (1u16 << len) - 1 };
        // SAFETY: masked-off lanes are not written; the caller guarantees `len` writable.
        unsafe { _mm512_mask_storeu_ps(p, k, v) }
    }
    #[inline(always)]
    fn splat(self, x: f32) -> __m512 {
        // SAFETY: the token proves AVX-512F; register-only operation.
        unsafe { _mm512_set1_ps(x) }
    }
    #[inline(always)]
    fn add(self, a: __m512, b: __m512) -> __m512 {
        // SAFETY: the token proves AVX-512F; register-only operation.
        unsafe { _mm512_add_ps(a, b) }
    }
    #[inline(always)]
    fn sub(self, a: __m512, b: __m512) -> __m512 {
        // SAFETY: the token proves AVX-512F; register-only operation.
        unsafe { _mm512_sub_ps(a, b) }
    }
    #[inline(always)]
    fn mul(self, a: __m512, b: __m512) -> __m512 {
        // SAFETY: the token proves AVX-512F; register-only operation.
        unsafe { _mm512_mul_ps(a, b) }
    }
    #[inline(always)]
    fn div(self, a: __m512, b: __m512) -> __m512 {
        // SAFETY: the token proves AVX-512F; register-only operation.
        unsafe { _mm512_div_ps(a, b) }
    }
    #[inline(always)]
    fn mul_add(self, a: __m512, b: __m512, c: __m512) -> __m512 {
        // SAFETY: the token proves AVX-512F; register-only operation.
        unsafe { _mm512_fmadd_ps(a, b, c) }
    }
    #[inline(always)]
    fn sqrt(self, a: __m512) -> __m512 {
        // SAFETY: the token proves AVX-512F; register-only operation.
        unsafe { _mm512_sqrt_ps(a) }
    }
    #[inline(always)]
    fn min(self, a: __m512, b: __m512) -> __m512 {
        // SAFETY: the token proves AVX-512F. vminps returns b unless a < b.
        unsafe { _mm512_min_ps(a, b) }
    }
    #[inline(always)]
    fn max(self, a: __m512, b: __m512) -> __m512 {
        // SAFETY: the token proves AVX-512F. vmaxps returns b unless a > b.
        unsafe { _mm512_max_ps(a, b) }
    }
    #[inline(always)]
    fn lt(self, a: __m512, b: __m512) -> __mmask16 {
        // SAFETY: the token proves AVX-512F; register-only operation.
        unsafe { _mm512_cmp_ps_mask::<_CMP_LT_OQ>(a, b) }
    }
    #[inline(always)]
    fn le(self, a: __m512, b: __m512) -> __mmask16 {
        // SAFETY: the token proves AVX-512F; register-only operation.
        unsafe { _mm512_cmp_ps_mask::<_CMP_LE_OQ>(a, b) }
    }
    #[inline(always)]
    fn eq(self, a: __m512, b: __m512) -> __mmask16 {
        // SAFETY: the token proves AVX-512F; register-only operation.
        unsafe { _mm512_cmp_ps_mask::<_CMP_EQ_OQ>(a, b) }
    }
    #[inline(always)]
    fn is_nan(self, a: __m512) -> __mmask16 {
        // SAFETY: the token proves AVX-512F; register-only operation.
        unsafe { _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(a, a) }
    }
    #[inline(always)]
    fn select(self, m: __mmask16, a: __m512, b: __m512) -> __m512 {
        // SAFETY: the token proves AVX-512F; blend takes its second operand where m is set.
        unsafe { _mm512_mask_blend_ps(m, b, a) }
    }
    #[inline(always)]
    fn mask_or(self, a: __mmask16, b: __mmask16) -> __mmask16 {
        a | b
    }
    #[inline(always)]
    fn mask_and(self, a: __mmask16, b: __mmask16) -> __mmask16 {
        a & b
    }
    #[inline(always)]
    fn mask_bits(self, m: __mmask16) -> u64 {
        m as u64
    }
    #[inline(always)]
    fn and(self, a: __m512, b: __m512) -> __m512 {
        // SAFETY: the token proves AVX-512F; register-only operation.
        float(unsafe { _mm512_and_si512(bits(a), bits(b)) })
    }
    #[inline(always)]
    fn or(self, a: __m512, b: __m512) -> __m512 {
        // SAFETY: the token proves AVX-512F; register-only operation.
        float(unsafe { _mm512_or_si512(bits(a), bits(b)) })
    }
    #[inline(always)]
    fn xor(self, a: __m512, b: __m512) -> __m512 {
        // SAFETY: the token proves AVX-512F; register-only operation.
        float(unsafe { _mm512_xor_si512(bits(a), bits(b)) })
    }
    #[inline(always)]
    fn round(self, a: __m512) -> __m512 {
        // SAFETY: the token proves AVX-512F; register-only operation.
        unsafe {
            let m = _mm512_set1_ps(ROUND_MAGIC);
            _mm512_sub_ps(_mm512_add_ps(a, m), m)
        }
    }
    #[inline(always)]
    fn ldexp(self, a: __m512, n: __m512) -> __m512 {
        // SAFETY: the token proves AVX-512F; vscalefps computes a * 2^floor(n) rounded once.
        unsafe { _mm512_scalef_ps(a, n) }
    }
    #[inline(always)]
    fn ldexp_magic(self, a: __m512, k: __m512) -> __m512 {
        // SAFETY: the token proves AVX-512F; register-only operations. Measured faster
        // here than adding to the exponent field.
        unsafe { _mm512_scalef_ps(a, _mm512_sub_ps(k, _mm512_set1_ps(ROUND_MAGIC))) }
    }
    #[inline(always)]
    unsafe fn store_stream(self, p: *mut f32, v: __m512) {
        debug_assert_eq!(
            p as usize % 64,
            0,
            "streaming store needs 64-byte alignment"
        );
        // SAFETY: the caller guarantees 16 writable values at a 64-byte-aligned `p`.
        unsafe { _mm512_stream_ps(p, v) }
    }
    #[inline(always)]
    fn stream_fence(self) {
        // SAFETY: the token proves AVX-512F (SSE is part of it).
        unsafe { _mm_sfence() }
    }
    #[inline(always)]
    fn all_abs_le(self, a: __m512, limit: f32) -> bool {
        // An integer compare of the magnitudes' bits (NaN's are above every limit's).
        // SAFETY: the token proves AVX-512F; register-only operations.
        unsafe {
            let bits = _mm512_and_si512(_mm512_castps_si512(a), _mm512_set1_epi32(0x7fff_ffff));
            _mm512_cmpgt_epi32_mask(bits, _mm512_set1_epi32(limit.to_bits() as i32)) == 0
        }
    }
    #[inline(always)]
    fn lookup8(self, table: &[f32; 8], index: __m512) -> __m512 {
        // SAFETY: the token proves AVX-512F; the load reads the 8 values of `table`. (The
        // permute reads four index bits: indices 8 to 15 pick the zeros above.)
        unsafe {
            let t = _mm512_zextps256_ps512(_mm256_loadu_ps(table.as_ptr()));
            _mm512_permutexvar_ps(_mm512_castps_si512(index), t)
        }
    }
    #[inline(always)]
    fn recip_approx(self, a: __m512) -> __m512 {
        // SAFETY: the token proves AVX-512F; register-only operation (14-bit estimate).
        unsafe { _mm512_rcp14_ps(a) }
    }
    #[inline(always)]
    fn pow2i(self, n: __m512) -> __m512 {
        // SAFETY: the token proves AVX-512F; register-only operation.
        unsafe {
            let e = _mm512_add_epi32(_mm512_cvttps_epi32(n), _mm512_set1_epi32(127));
            _mm512_castsi512_ps(_mm512_slli_epi32::<23>(e))
        }
    }
}

impl MaskedMoves for Avx512 {
    #[inline(always)]
    unsafe fn load_masked(self, p: *const f32, mask: u64, fill: f32) -> __m512 {
        // SAFETY: masked-off lanes are neither read nor faulted on; the caller guarantees
        // the enabled ones readable; the token proves AVX-512F.
        unsafe { _mm512_mask_loadu_ps(_mm512_set1_ps(fill), mask as __mmask16, p) }
    }
    #[inline(always)]
    unsafe fn store_masked(self, p: *mut f32, mask: u64, v: __m512) {
        // SAFETY: masked-off lanes are not written; the caller guarantees the enabled
        // ones writable; the token proves AVX-512F.
        unsafe { _mm512_mask_storeu_ps(p, mask as __mmask16, v) }
    }
}
