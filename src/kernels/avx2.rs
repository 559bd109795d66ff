//! x86-64 AVX2 + FMA: eight lanes, hardware fused multiply-add.

use super::scalar::ROUND_MAGIC;
use super::simd::Simd;
use core::arch::x86_64::*;

/// Token for AVX2 + FMA. Only constructed after runtime detection of both.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Avx2(());

impl Avx2 {
    /// # Safety
    /// The CPU must support AVX2 and FMA.
    #[inline(always)]
    pub(crate) unsafe fn new_unchecked() -> Self {
        Avx2(())
    }
}

/// Lanes `0..len` set (all bits), the others clear.
#[inline(always)]
fn tail_mask(len: usize) -> __m256i {
    // SAFETY: register-only AVX2 operations; only reached through an `Avx2` token.
    unsafe {
        _mm256_cmpgt_epi32(
            _mm256_set1_epi32(len as i32),
            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
        )
    }
}

impl Simd for Avx2 {
    const LANES: usize = 8;
    const HAS_FMA: bool = true;
    const ALIGNED_BLOCKS: bool = true;
    type V = __m256;
    type M = __m256;

    #[inline(always)]
    unsafe fn load(self, p: *const f32) -> __m256 {
        // SAFETY: the caller guarantees 8 readable values; the token proves AVX.
        unsafe { _mm256_loadu_ps(p) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32, v: __m256) {
        // SAFETY: the caller guarantees 8 writable values; the token proves AVX.
        unsafe { _mm256_storeu_ps(p, v) }
    }
    #[inline(always)]
    unsafe fn load_partial(self, p: *const f32, len: usize, fill: f32) -> __m256 {
        // SAFETY: masked-off lanes are neither read nor faulted on (vmaskmovps); the
        // caller guarantees the `len` enabled ones are readable.
        unsafe {
            let mask = tail_mask(len);
            _mm256_blendv_ps(
                _mm256_set1_ps(fill),
                _mm256_maskload_ps(p, mask),
                _mm256_castsi256_ps(mask),
            )
        }
    }
    #[inline(always)]
    unsafe fn load_partial_high(self, p: *const f32, len: usize) -> __m256 {
        // SAFETY: lane `i` is enabled for `i >= 8 - len` and reads `p[i - (8 - len)]`,
        // one of the `len` values the caller guarantees; masked-off lanes are neither
        // read nor faulted on (vmaskmovps), so the address before `p` is never touched.
        unsafe {
            let mask = _mm256_cmpgt_epi32(
                _mm256_set1_epi32(len as i32),
                _mm256_setr_epi32(7, 6, 5, 4, 3, 2, 1, 0),
            );
            _mm256_maskload_ps(p.wrapping_sub(8 - len), mask)
        }
    }
    #[inline(always)]
    fn concat_shift(self, lo: __m256, hi: __m256, shift: usize) -> __m256 {
        // SAFETY: the token proves AVX2; register-only operations. Lane i takes lane
        // (i + shift) & 7 of `lo` or, once i + shift reaches 8, of `hi`.
        unsafe {
            let idx = _mm256_add_epi32(
                _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                _mm256_set1_epi32(shift as i32),
            );
            let from_hi = _mm256_cmpgt_epi32(idx, _mm256_set1_epi32(7));
            _mm256_blendv_ps(
                _mm256_permutevar8x32_ps(lo, idx),
                _mm256_permutevar8x32_ps(hi, idx),
                _mm256_castsi256_ps(from_hi),
            )
        }
    }
    #[inline(always)]
    unsafe fn store_partial(self, p: *mut f32, len: usize, v: __m256) {
        // In pieces of 4, 2 and 1 lanes: `vmaskmovps` stores are slow on AMD (a one-value
        // `simd_add_assign` took 12.0 ns with it, 8.5 ns with these pieces).
        // SAFETY: exactly `len <= 8` values are written, which the caller guarantees.
        unsafe {
            if len >= 8 {
                return _mm256_storeu_ps(p, v);
            }
            let (mut p, mut len, mut part) = (p, len, _mm256_castps256_ps128(v));
            if len >= 4 {
                _mm_storeu_ps(p, part);
                part = _mm256_extractf128_ps::<1>(v);
                p = p.add(4);
                len -= 4;
            }
            if len >= 2 {
                _mm_store_sd(p.cast(), _mm_castps_pd(part));
                part = _mm_movehl_ps(part, part);
                p = p.add(2);
                len -= 2;
            }
            if len == 1 {
                _mm_store_ss(p, part);
            }
        }
    }
    #[inline(always)]
    fn splat(self, x: f32) -> __m256 {
        // SAFETY: the token proves AVX2+FMA; register-only operation.
        unsafe { _mm256_set1_ps(x) }
    }
    #[inline(always)]
    fn add(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: the token proves AVX2+FMA; register-only operation.
        unsafe { _mm256_add_ps(a, b) }
    }
    #[inline(always)]
    fn sub(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: the token proves AVX2+FMA; register-only operation.
        unsafe { _mm256_sub_ps(a, b) }
    }
    #[inline(always)]
    fn mul(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: the token proves AVX2+FMA; register-only operation.
        unsafe { _mm256_mul_ps(a, b) }
    }
    #[inline(always)]
    fn div(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: the token proves AVX2+FMA; register-only operation.
        unsafe { _mm256_div_ps(a, b) }
    }
    #[inline(always)]
    fn mul_add(self, a: __m256, b: __m256, c: __m256) -> __m256 {
        // SAFETY: the token proves AVX2+FMA; register-only operation.
        unsafe { _mm256_fmadd_ps(a, b, c) }
    }
    #[inline(always)]
    fn sqrt(self, a: __m256) -> __m256 {
        // SAFETY: the token proves AVX2+FMA; register-only operation.
        unsafe { _mm256_sqrt_ps(a) }
    }
    #[inline(always)]
    fn min(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: the token proves AVX2+FMA. vminps returns b unless a < b.
        unsafe { _mm256_min_ps(a, b) }
    }
    #[inline(always)]
    fn max(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: the token proves AVX2+FMA. vmaxps returns b unless a > b.
        unsafe { _mm256_max_ps(a, b) }
    }
    #[inline(always)]
    fn lt(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: the token proves AVX2+FMA; register-only operation.
        unsafe { _mm256_cmp_ps::<_CMP_LT_OQ>(a, b) }
    }
    #[inline(always)]
    fn le(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: the token proves AVX2+FMA; register-only operation.
        unsafe { _mm256_cmp_ps::<_CMP_LE_OQ>(a, b) }
    }
    #[inline(always)]
    fn eq(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: the token proves AVX2+FMA; register-only operation.
        unsafe { _mm256_cmp_ps::<_CMP_EQ_OQ>(a, b) }
    }
    #[inline(always)]
    fn is_nan(self, a: __m256) -> __m256 {
        // SAFETY: the token proves AVX2+FMA; register-only operation.
        unsafe { _mm256_cmp_ps::<_CMP_UNORD_Q>(a, a) }
    }
    #[inline(always)]
    fn select(self, m: __m256, a: __m256, b: __m256) -> __m256 {
        // SAFETY: the token proves AVX2+FMA; blendv takes its second operand where m is set.
        unsafe { _mm256_blendv_ps(b, a, m) }
    }
    #[inline(always)]
    fn mask_or(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: the token proves AVX2+FMA; register-only operation.
        unsafe { _mm256_or_ps(a, b) }
    }
    #[inline(always)]
    fn mask_and(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: the token proves AVX2+FMA; register-only operation.
        unsafe { _mm256_and_ps(a, b) }
    }
    #[inline(always)]
    fn mask_bits(self, m: __m256) -> u64 {
        // SAFETY: the token proves AVX2+FMA; register-only operation.
        unsafe { _mm256_movemask_ps(m) as u64 }
    }
    #[inline(always)]
    fn and(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: the token proves AVX2+FMA; register-only operation.
        unsafe { _mm256_and_ps(a, b) }
    }
    #[inline(always)]
    fn or(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: the token proves AVX2+FMA; register-only operation.
        unsafe { _mm256_or_ps(a, b) }
    }
    #[inline(always)]
    fn xor(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: the token proves AVX2+FMA; register-only operation.
        unsafe { _mm256_xor_ps(a, b) }
    }
    #[inline(always)]
    fn round(self, a: __m256) -> __m256 {
        // SAFETY: the token proves AVX2+FMA; register-only operation.
        unsafe {
            let m = _mm256_set1_ps(ROUND_MAGIC);
            _mm256_sub_ps(_mm256_add_ps(a, m), m)
        }
    }
    #[inline(always)]
    unsafe fn store_stream(self, p: *mut f32, v: __m256) {
        debug_assert_eq!(
            p as usize % 32,
            0,
            "streaming store needs 32-byte alignment"
        );
        // SAFETY: the caller guarantees 8 writable values at a 32-byte-aligned `p`.
        unsafe { _mm256_stream_ps(p, v) }
    }
    #[inline(always)]
    fn stream_fence(self) {
        // SAFETY: the token proves AVX2 (SSE is part of it).
        unsafe { _mm_sfence() }
    }
    #[inline(always)]
    fn all_abs_le(self, a: __m256, limit: f32) -> bool {
        // With the magnitudes' bits `m` and the limit's `l`, `m + (2^31 - 1 - l)` has its
        // sign bit set exactly where `m > l` (NaN's bits are above every limit's), and
        // `vtestps` reads the sign bits: no floating-point compare on the multiply ports.
        // SAFETY: the token proves AVX2; register-only operations.
        unsafe {
            let bits = _mm256_and_si256(_mm256_castps_si256(a), _mm256_set1_epi32(0x7fff_ffff));
            let t = _mm256_add_epi32(
                bits,
                _mm256_set1_epi32(0x7fff_ffff - limit.to_bits() as i32),
            );
            _mm256_testz_ps(_mm256_castsi256_ps(t), _mm256_castsi256_ps(t)) == 1
        }
    }
    #[inline(always)]
    fn lookup8(self, table: &[f32; 8], index: __m256) -> __m256 {
        // SAFETY: the token proves AVX2+FMA; the load reads the 8 values of `table`.
        unsafe {
            _mm256_permutevar8x32_ps(_mm256_loadu_ps(table.as_ptr()), _mm256_castps_si256(index))
        }
    }
    #[inline(always)]
    fn recip_approx(self, a: __m256) -> __m256 {
        // SAFETY: the token proves AVX2+FMA; register-only operation (12-bit estimate).
        unsafe { _mm256_rcp_ps(a) }
    }
    #[inline(always)]
    fn ldexp_magic(self, a: __m256, k: __m256) -> __m256 {
        // SAFETY: the token proves AVX2+FMA; register-only operation. `k`'s bits are
        // `0x4b40_0000 + n`, so shifted by 23 they are `n` in the exponent field.
        unsafe {
            let e = _mm256_slli_epi32::<23>(_mm256_castps_si256(k));
            _mm256_castsi256_ps(_mm256_add_epi32(_mm256_castps_si256(a), e))
        }
    }
    #[inline(always)]
    fn pow2i(self, n: __m256) -> __m256 {
        // SAFETY: the token proves AVX2+FMA; register-only operation.
        unsafe {
            let e = _mm256_add_epi32(_mm256_cvttps_epi32(n), _mm256_set1_epi32(127));
            _mm256_castsi256_ps(_mm256_slli_epi32::<23>(e))
        }
    }
}
