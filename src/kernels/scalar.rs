//! The portable backend: one lane of plain `f32` arithmetic. It is the reference every
//! other backend is tested against, and the fallback on CPUs with no supported SIMD.

use super::every_other::MaskedMoves;
use super::simd::Simd;

/// Token for the scalar backend (always available).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Scalar;

/// Adds `1.5 * 2^23` and subtracts it again: rounds to nearest-even for `|x| < 2^22`.
#[allow(dead_code)] // used by the activation kernels
pub(crate) const ROUND_MAGIC: f32 = 12_582_912.0;

impl Simd for Scalar {
    const LANES: usize = 1;
    type V = f32;
    type M = bool;

    #[inline(always)]
    unsafe fn load(self, p: *const f32) -> f32 {
        // SAFETY: the caller guarantees `p` is readable.
        unsafe { p.read_unaligned() }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32, v: f32) {
        // SAFETY: the caller guarantees `p` is writable.
        unsafe { p.write_unaligned(v) }
    }
    #[inline(always)]
    unsafe fn load_spread(self, p: *const f32, len: usize) -> f32 {
        if len == 0 {
            return 0.0;
        }
        // SAFETY: `len >= 1`, so the caller guarantees `p[0]` readable.
        unsafe { p.read_unaligned() }
    }
    #[inline(always)]
    fn splat(self, x: f32) -> f32 {
        x
    }
    #[inline(always)]
    fn add(self, a: f32, b: f32) -> f32 {
        a + b
    }
    #[inline(always)]
    fn sub(self, a: f32, b: f32) -> f32 {
        a - b
    }
    #[inline(always)]
    fn mul(self, a: f32, b: f32) -> f32 {
        a * b
    }
    #[inline(always)]
    fn div(self, a: f32, b: f32) -> f32 {
        a / b
    }
    #[inline(always)]
    fn mul_add(self, a: f32, b: f32, c: f32) -> f32 {
        a.mul_add(b, c)
    }
    #[inline(always)]
    fn sqrt(self, a: f32) -> f32 {
        a.sqrt()
    }
    #[inline(always)]
    fn min(self, a: f32, b: f32) -> f32 {
        if a < b {
            a
        } else {
            b
        }
    }
    #[inline(always)]
    fn max(self, a: f32, b: f32) -> f32 {
        if a > b {
            a
        } else {
            b
        }
    }
    #[inline(always)]
    fn lt(self, a: f32, b: f32) -> bool {
        a < b
    }
    #[inline(always)]
    fn le(self, a: f32, b: f32) -> bool {
        a <= b
    }
    #[inline(always)]
    fn eq(self, a: f32, b: f32) -> bool {
        a == b
    }
    #[inline(always)]
    fn is_nan(self, a: f32) -> bool {
        a.is_nan()
    }
    #[inline(always)]
    fn select(self, m: bool, a: f32, b: f32) -> f32 {
        if m {
            a
        } else {
            b
        }
    }
    #[inline(always)]
    fn mask_or(self, a: bool, b: bool) -> bool {
        a | b
    }
    #[inline(always)]
    fn mask_and(self, a: bool, b: bool) -> bool {
        a & b
    }
    #[inline(always)]
    fn mask_bits(self, m: bool) -> u64 {
        m as u64
    }
    #[inline(always)]
    fn and(self, a: f32, b: f32) -> f32 {
        f32::from_bits(a.to_bits() & b.to_bits())
    }
    #[inline(always)]
    fn or(self, a: f32, b: f32) -> f32 {
        f32::from_bits(a.to_bits() | b.to_bits())
    }
    #[inline(always)]
    fn xor(self, a: f32, b: f32) -> f32 {
        f32::from_bits(a.to_bits() ^ b.to_bits())
    }
    #[inline(always)]
    fn round(self, a: f32) -> f32 {
        (a + ROUND_MAGIC) - ROUND_MAGIC
    }
    #[inline(always)]
    fn mul_err(self, a: f32, b: f32) -> f32 {
        // The product of two f32 is exact in f64, and so is its difference to the rounded
        // product; converting that to f32 rounds like `fma(a, b, -RN(a*b))` would.
        let p = a * b;
        (a as f64 * b as f64 - p as f64) as f32
    }
    #[inline(always)]
    fn ldexp_magic(self, a: f32, k: f32) -> f32 {
        // `k`'s bits are `0x4b40_0000 + n`, so shifted by 23 they are `n` in the
        // exponent field.
        f32::from_bits(a.to_bits().wrapping_add(k.to_bits() << 23))
    }
    #[inline(always)]
    fn lookup8(self, table: &[f32; 8], index: f32) -> f32 {
        table[(index.to_bits() & 7) as usize]
    }
    #[inline(always)]
    fn pow2i(self, n: f32) -> f32 {
        f32::from_bits(((n as i32).wrapping_add(127) as u32) << 23)
    }
}

impl Scalar {
    /// # Safety
    /// Always safe; `unsafe` only to share the constructor shape of the other tokens.
    #[inline(always)]
    pub(crate) unsafe fn new_unchecked() -> Self {
        Scalar
    }
}

/// One lane: bit 0 of the mask says whether it is read or written.
impl MaskedMoves for Scalar {
    #[inline(always)]
    unsafe fn load_masked(self, p: *const f32, mask: u64, fill: f32) -> f32 {
        if mask & 1 == 0 {
            return fill;
        }
        // SAFETY: bit 0 is set, so the caller guarantees `p` readable.
        unsafe { p.read_unaligned() }
    }
    #[inline(always)]
    unsafe fn store_masked(self, p: *mut f32, mask: u64, v: f32) {
        if mask & 1 != 0 {
            // SAFETY: bit 0 is set, so the caller guarantees `p` writable.
            unsafe { p.write_unaligned(v) }
        }
    }
}
