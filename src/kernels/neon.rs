//! aarch64 NEON (Advanced SIMD): four lanes, hardware fused multiply-add.
//!
//! NEON is part of the aarch64 baseline. Its `fmin`/`fmax` instructions propagate NaN and
//! order -0.0 below +0.0, which is not the trait's `a < b ? a : b`, so `min`/`max` are a
//! compare and a bit select instead.

use super::scalar::ROUND_MAGIC;
use super::simd::Simd;
use core::arch::aarch64::*;

/// Token for NEON. Only constructed once NEON is known to be present (it is part of the
/// aarch64 baseline, and `backend.rs` checks it anyway).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Neon(());

impl Neon {
    /// # Safety
    /// The CPU must support NEON.
    #[inline(always)]
    pub(crate) unsafe fn new_unchecked() -> Self {
        Neon(())
    }
}

/// Lane `i` holds `1 << i`: ANDed with a mask and added across, gives its bits.
const LANE_BITS: [u32; 4] = [1, 2, 4, 8];

impl Simd for Neon {
    // vfmaq_f32 is a fused multiply-add: polynomials may use it directly.
    const HAS_FMA: bool = true;
    const LANES: usize = 4;
    type V = float32x4_t;
    type M = uint32x4_t;

    #[inline(always)]
    unsafe fn load(self, p: *const f32) -> float32x4_t {
        // SAFETY: the caller guarantees 4 readable values at `p`; the token proves NEON.
        unsafe { vld1q_f32(p) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32, v: float32x4_t) {
        // SAFETY: the caller guarantees 4 writable values at `p`; the token proves NEON.
        unsafe { vst1q_f32(p, v) }
    }
    #[inline(always)]
    unsafe fn load_partial(self, p: *const f32, len: usize, fill: f32) -> float32x4_t {
        // Lane by lane in registers, as in `sse2.rs`: the default's stack buffer makes
        // the vector load wait on narrower stores, which cores rarely forward (not timed
        // on NEON hardware; on SSE2 a one-value `simd_sum` went 17.3 -> 5.1 ns).
        // SAFETY: exactly the `len <= 4` values the caller guarantees are read; the
        // token proves NEON.
        unsafe {
            if len >= 4 {
                return vld1q_f32(p);
            }
            let mut v = vdupq_n_f32(fill);
            if len >= 1 {
                v = vld1q_lane_f32::<0>(p, v);
            }
            if len >= 2 {
                v = vld1q_lane_f32::<1>(p.add(1), v);
            }
            if len >= 3 {
                v = vld1q_lane_f32::<2>(p.add(2), v);
            }
            v
        }
    }
    #[inline(always)]
    unsafe fn store_partial(self, p: *mut f32, len: usize, v: float32x4_t) {
        // Lane by lane (see `load_partial`).
        // SAFETY: exactly the `len <= 4` values the caller guarantees are written; the
        // token proves NEON.
        unsafe {
            if len >= 4 {
                return vst1q_f32(p, v);
            }
            if len >= 1 {
                vst1q_lane_f32::<0>(p, v);
            }
            if len >= 2 {
                vst1q_lane_f32::<1>(p.add(1), v);
            }
            if len >= 3 {
                vst1q_lane_f32::<2>(p.add(2), v);
            }
        }
    }
    #[inline(always)]
    fn splat(self, x: f32) -> float32x4_t {
        // SAFETY: the token proves NEON; register-only operation.
        unsafe { vdupq_n_f32(x) }
    }
    #[inline(always)]
    fn add(self, a: float32x4_t, b: float32x4_t) -> float32x4_t {
        // SAFETY: the token proves NEON; register-only operation.
        unsafe { vaddq_f32(a, b) }
    }
    #[inline(always)]
    fn sub(self, a: float32x4_t, b: float32x4_t) -> float32x4_t {
        // SAFETY: the token proves NEON; register-only operation.
        unsafe { vsubq_f32(a, b) }
    }
    #[inline(always)]
    fn mul(self, a: float32x4_t, b: float32x4_t) -> float32x4_t {
        // SAFETY: the token proves NEON; register-only operation.
        unsafe { vmulq_f32(a, b) }
    }
    #[inline(always)]
    fn div(self, a: float32x4_t, b: float32x4_t) -> float32x4_t {
        // SAFETY: the token proves NEON; register-only operation.
        unsafe { vdivq_f32(a, b) }
    }
    #[inline(always)]
    fn mul_add(self, a: float32x4_t, b: float32x4_t, c: float32x4_t) -> float32x4_t {
        // SAFETY: the token proves NEON; register-only operation. `vfmaq_f32(c, a, b)` is
        // FMLA: `c + a * b` with a single rounding.
        unsafe { vfmaq_f32(c, a, b) }
    }
    #[inline(always)]
    fn sqrt(self, a: float32x4_t) -> float32x4_t {
        // SAFETY: the token proves NEON; register-only operation.
        unsafe { vsqrtq_f32(a) }
    }
    #[inline(always)]
    fn min(self, a: float32x4_t, b: float32x4_t) -> float32x4_t {
        // SAFETY: the token proves NEON; register-only operation. Not `vminq_f32`, which
        // propagates NaN and orders the zeros: `a < b ? a : b` exactly.
        unsafe { vbslq_f32(vcltq_f32(a, b), a, b) }
    }
    #[inline(always)]
    fn max(self, a: float32x4_t, b: float32x4_t) -> float32x4_t {
        // SAFETY: the token proves NEON; register-only operation. `a > b ? a : b` exactly.
        unsafe { vbslq_f32(vcgtq_f32(a, b), a, b) }
    }
    #[inline(always)]
    fn lt(self, a: float32x4_t, b: float32x4_t) -> uint32x4_t {
        // SAFETY: the token proves NEON; register-only operation.
        unsafe { vcltq_f32(a, b) }
    }
    #[inline(always)]
    fn le(self, a: float32x4_t, b: float32x4_t) -> uint32x4_t {
        // SAFETY: the token proves NEON; register-only operation.
        unsafe { vcleq_f32(a, b) }
    }
    #[inline(always)]
    fn eq(self, a: float32x4_t, b: float32x4_t) -> uint32x4_t {
        // SAFETY: the token proves NEON; register-only operation.
        unsafe { vceqq_f32(a, b) }
    }
    #[inline(always)]
    fn is_nan(self, a: float32x4_t) -> uint32x4_t {
        // SAFETY: the token proves NEON; register-only operation. Only NaN != itself.
        unsafe { vmvnq_u32(vceqq_f32(a, a)) }
    }
    #[inline(always)]
    fn select(self, m: uint32x4_t, a: float32x4_t, b: float32x4_t) -> float32x4_t {
        // SAFETY: the token proves NEON; register-only operation (BSL: a where m is set).
        unsafe { vbslq_f32(m, a, b) }
    }
    #[inline(always)]
    fn mask_or(self, a: uint32x4_t, b: uint32x4_t) -> uint32x4_t {
        // SAFETY: the token proves NEON; register-only operation.
        unsafe { vorrq_u32(a, b) }
    }
    #[inline(always)]
    fn mask_and(self, a: uint32x4_t, b: uint32x4_t) -> uint32x4_t {
        // SAFETY: the token proves NEON; register-only operation.
        unsafe { vandq_u32(a, b) }
    }
    #[inline(always)]
    fn mask_bits(self, m: uint32x4_t) -> u64 {
        // SAFETY: the token proves NEON; `LANE_BITS` holds 4 readable values.
        unsafe { u64::from(vaddvq_u32(vandq_u32(m, vld1q_u32(LANE_BITS.as_ptr())))) }
    }
    #[inline(always)]
    fn and(self, a: float32x4_t, b: float32x4_t) -> float32x4_t {
        // SAFETY: the token proves NEON; register-only operation.
        unsafe {
            vreinterpretq_f32_u32(vandq_u32(
                vreinterpretq_u32_f32(a),
                vreinterpretq_u32_f32(b),
            ))
        }
    }
    #[inline(always)]
    fn or(self, a: float32x4_t, b: float32x4_t) -> float32x4_t {
        // SAFETY: the token proves NEON; register-only operation.
        unsafe {
            vreinterpretq_f32_u32(vorrq_u32(
                vreinterpretq_u32_f32(a),
                vreinterpretq_u32_f32(b),
            ))
        }
    }
    #[inline(always)]
    fn xor(self, a: float32x4_t, b: float32x4_t) -> float32x4_t {
        // SAFETY: the token proves NEON; register-only operation.
        unsafe {
            vreinterpretq_f32_u32(veorq_u32(
                vreinterpretq_u32_f32(a),
                vreinterpretq_u32_f32(b),
            ))
        }
    }
    #[inline(always)]
    fn round(self, a: float32x4_t) -> float32x4_t {
        // SAFETY: the token proves NEON; register-only operation. The same add/subtract
        // of a magic constant as every other backend, so the same bits everywhere.
        unsafe {
            let m = vdupq_n_f32(ROUND_MAGIC);
            vsubq_f32(vaddq_f32(a, m), m)
        }
    }
    #[inline(always)]
    fn lookup8(self, table: &[f32; 8], index: float32x4_t) -> float32x4_t {
        // SAFETY: the token proves NEON; the two loads read the 32 bytes of `table`. A
        // byte table lookup: lane entry `i` is bytes `4i..4i+4` of the table.
        unsafe {
            let i = vandq_u32(vreinterpretq_u32_f32(index), vdupq_n_u32(7));
            let bytes = vmlaq_n_u32(vdupq_n_u32(0x0302_0100), i, 0x0404_0404);
            let p = table.as_ptr().cast::<u8>();
            let t = uint8x16x2_t(vld1q_u8(p), vld1q_u8(p.add(16)));
            vreinterpretq_f32_u8(vqtbl2q_u8(t, vreinterpretq_u8_u32(bytes)))
        }
    }
    #[inline(always)]
    fn ldexp_magic(self, a: float32x4_t, k: float32x4_t) -> float32x4_t {
        // SAFETY: the token proves NEON; register-only operation. `k`'s bits are
        // `0x4b40_0000 + n`, so shifted by 23 they are `n` in the exponent field.
        unsafe {
            let e = vshlq_n_s32::<23>(vreinterpretq_s32_f32(k));
            vreinterpretq_f32_s32(vaddq_s32(vreinterpretq_s32_f32(a), e))
        }
    }
    #[inline(always)]
    fn pow2i(self, n: float32x4_t) -> float32x4_t {
        // SAFETY: the token proves NEON; register-only operation.
        unsafe {
            let e = vaddq_s32(vcvtq_s32_f32(n), vdupq_n_s32(127));
            vreinterpretq_f32_s32(vshlq_n_s32::<23>(e))
        }
    }
}
