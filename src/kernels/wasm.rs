//! wasm32 SIMD128: four lanes.
//!
//! WebAssembly has no runtime feature detection: a module either validates with SIMD128
//! instructions or not at all. So this backend exists only when the crate is compiled
//! with `-C target-feature=+simd128` (then every intrinsic below is a safe call);
//! otherwise wasm builds run the scalar backend.
//!
//! SIMD128 has no fused multiply-add (relaxed-simd's `relaxed_madd` may or may not fuse,
//! so it is not one either), so `mul_add` is emulated exactly as in `sse2.rs`: the
//! product is formed in f64 (exact: 24 + 24 significant bits fit in 53), added to `c`
//! with round-to-odd, then rounded once to f32, which gives the correctly rounded
//! `a * b + c` (Boldo & Melquiond, "Emulation of FMA and correctly rounded sums", 2008).

use super::scalar::ROUND_MAGIC;
use super::simd::Simd;
use core::arch::wasm32::*;

/// Token for SIMD128. The module is only compiled when SIMD128 is enabled for the whole
/// build, so every instance is valid.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Wasm128(());

impl Wasm128 {
    /// # Safety
    /// Always safe (the build enables SIMD128); `unsafe` only to share the constructor
    /// shape of the other tokens.
    #[inline(always)]
    pub(crate) unsafe fn new_unchecked() -> Self {
        Wasm128(())
    }
}

/// `RN(p + c)` turned into round-to-odd, on two f64 lanes: when the sum was inexact and
/// the rounded result has an even significand, step one ulp towards the exact value.
#[inline(always)]
fn add_round_to_odd(p: v128, c: v128) -> v128 {
    let s = f64x2_add(p, c);
    // TwoSum: err = (p + c) - s exactly (NaN when s is infinite or NaN).
    let bb = f64x2_sub(s, p);
    let err = f64x2_add(f64x2_sub(p, f64x2_sub(s, bb)), f64x2_sub(c, bb));
    let zero = f64x2_splat(0.0);
    // `lt | gt`, not `ne`: a NaN error (infinite or NaN operands) must not adjust.
    let inexact = v128_or(f64x2_lt(err, zero), f64x2_gt(err, zero));
    let one = i64x2_splat(1);
    let even = i64x2_eq(v128_and(s, one), i64x2_splat(0));
    // The exact value lies beyond `s` (away from zero) when err and s share a sign:
    // +1 on the bits, else -1 (towards zero). `s` is never zero here (an inexact sum).
    let delta = v128_or(i64x2_shr(v128_xor(err, s), 63), one);
    let stepped = i64x2_add(s, delta);
    v128_bitselect(stepped, s, v128_and(inexact, even))
}

impl Simd for Wasm128 {
    const LANES: usize = 4;
    type V = v128;
    type M = v128;

    #[inline(always)]
    unsafe fn load(self, p: *const f32) -> v128 {
        // SAFETY: the caller guarantees 4 readable values at `p`; `v128.load` has no
        // alignment requirement.
        unsafe { v128_load(p.cast::<v128>()) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32, v: v128) {
        // SAFETY: the caller guarantees 4 writable values at `p`; `v128.store` has no
        // alignment requirement.
        unsafe { v128_store(p.cast::<v128>(), v) }
    }
    #[inline(always)]
    unsafe fn load_partial(self, p: *const f32, len: usize, fill: f32) -> v128 {
        // Lane by lane in registers, as in `sse2.rs`: the default's stack buffer makes
        // the vector load wait on narrower stores once compiled to native code (not
        // timed under a WebAssembly engine here; on SSE2 a one-value `simd_sum` went
        // 17.3 -> 5.1 ns).
        // SAFETY: exactly the `len <= 4` values the caller guarantees are read; lane
        // loads have no alignment requirement.
        unsafe {
            if len >= 4 {
                return v128_load(p.cast::<v128>());
            }
            let mut v = f32x4_splat(fill);
            if len >= 1 {
                v = v128_load32_lane::<0>(v, p.cast::<u32>());
            }
            if len >= 2 {
                v = v128_load32_lane::<1>(v, p.add(1).cast::<u32>());
            }
            if len >= 3 {
                v = v128_load32_lane::<2>(v, p.add(2).cast::<u32>());
            }
            v
        }
    }
    #[inline(always)]
    unsafe fn store_partial(self, p: *mut f32, len: usize, v: v128) {
        // Lane by lane (see `load_partial`).
        // SAFETY: exactly the `len <= 4` values the caller guarantees are written; lane
        // stores have no alignment requirement.
        unsafe {
            if len >= 4 {
                return v128_store(p.cast::<v128>(), v);
            }
            if len >= 1 {
                v128_store32_lane::<0>(v, p.cast::<u32>());
            }
            if len >= 2 {
                v128_store32_lane::<1>(v, p.add(1).cast::<u32>());
            }
            if len >= 3 {
                v128_store32_lane::<2>(v, p.add(2).cast::<u32>());
            }
        }
    }
    #[inline(always)]
    fn splat(self, x: f32) -> v128 {
        f32x4_splat(x)
    }
    #[inline(always)]
    fn add(self, a: v128, b: v128) -> v128 {
        f32x4_add(a, b)
    }
    #[inline(always)]
    fn sub(self, a: v128, b: v128) -> v128 {
        f32x4_sub(a, b)
    }
    #[inline(always)]
    fn mul(self, a: v128, b: v128) -> v128 {
        f32x4_mul(a, b)
    }
    #[inline(always)]
    fn div(self, a: v128, b: v128) -> v128 {
        f32x4_div(a, b)
    }
    #[inline(always)]
    fn mul_add(self, a: v128, b: v128, c: v128) -> v128 {
        let hi = |v: v128| i32x4_shuffle::<2, 3, 2, 3>(v, v);
        let lo = add_round_to_odd(
            f64x2_mul(f64x2_promote_low_f32x4(a), f64x2_promote_low_f32x4(b)),
            f64x2_promote_low_f32x4(c),
        );
        let hi = add_round_to_odd(
            f64x2_mul(
                f64x2_promote_low_f32x4(hi(a)),
                f64x2_promote_low_f32x4(hi(b)),
            ),
            f64x2_promote_low_f32x4(hi(c)),
        );
        // Each demotion rounds to nearest-even once and zeroes lanes 2 and 3.
        i32x4_shuffle::<0, 1, 4, 5>(f32x4_demote_f64x2_zero(lo), f32x4_demote_f64x2_zero(hi))
    }
    #[inline(always)]
    fn sqrt(self, a: v128) -> v128 {
        f32x4_sqrt(a)
    }
    #[inline(always)]
    fn min(self, a: v128, b: v128) -> v128 {
        // `f32x4.pmin(x, y)` is `y < x ? y : x`, so `pmin(b, a)` is `a < b ? a : b`
        // (unlike `f32x4.min`, which propagates NaN and orders the zeros).
        f32x4_pmin(b, a)
    }
    #[inline(always)]
    fn max(self, a: v128, b: v128) -> v128 {
        // `f32x4.pmax(x, y)` is `x < y ? y : x`, so `pmax(b, a)` is `b < a ? a : b`.
        f32x4_pmax(b, a)
    }
    #[inline(always)]
    fn lt(self, a: v128, b: v128) -> v128 {
        f32x4_lt(a, b)
    }
    #[inline(always)]
    fn le(self, a: v128, b: v128) -> v128 {
        f32x4_le(a, b)
    }
    #[inline(always)]
    fn eq(self, a: v128, b: v128) -> v128 {
        f32x4_eq(a, b)
    }
    #[inline(always)]
    fn is_nan(self, a: v128) -> v128 {
        // Only NaN compares unequal to itself.
        f32x4_ne(a, a)
    }
    #[inline(always)]
    fn select(self, m: v128, a: v128, b: v128) -> v128 {
        v128_bitselect(a, b, m)
    }
    #[inline(always)]
    fn mask_or(self, a: v128, b: v128) -> v128 {
        v128_or(a, b)
    }
    #[inline(always)]
    fn mask_and(self, a: v128, b: v128) -> v128 {
        v128_and(a, b)
    }
    #[inline(always)]
    fn mask_bits(self, m: v128) -> u64 {
        u64::from(i32x4_bitmask(m))
    }
    #[inline(always)]
    fn and(self, a: v128, b: v128) -> v128 {
        v128_and(a, b)
    }
    #[inline(always)]
    fn or(self, a: v128, b: v128) -> v128 {
        v128_or(a, b)
    }
    #[inline(always)]
    fn xor(self, a: v128, b: v128) -> v128 {
        v128_xor(a, b)
    }
    #[inline(always)]
    fn round(self, a: v128) -> v128 {
        let m = f32x4_splat(ROUND_MAGIC);
        f32x4_sub(f32x4_add(a, m), m)
    }
    #[inline(always)]
    fn lookup8(self, table: &[f32; 8], index: v128) -> v128 {
        // Byte swizzles: lane entry `i` is bytes `4i..4i+4` of the table; `swizzle` gives
        // 0 for a byte index of 16 or more, so each half fills in its own entries.
        let i = v128_and(index, u32x4_splat(7));
        let bytes = i32x4_add(
            i32x4_mul(i, u32x4_splat(0x0404_0404)),
            u32x4_splat(0x0302_0100),
        );
        // SAFETY: the two loads read the 32 bytes of `table`; `v128.load` has no alignment
        // requirement.
        let (lo, hi) = unsafe {
            let p = table.as_ptr();
            (
                v128_load(p.cast::<v128>()),
                v128_load(p.add(4).cast::<v128>()),
            )
        };
        v128_or(
            i8x16_swizzle(lo, bytes),
            i8x16_swizzle(hi, i8x16_sub(bytes, i8x16_splat(16))),
        )
    }
    #[inline(always)]
    fn ldexp_magic(self, a: v128, k: v128) -> v128 {
        // `k`'s bits are `0x4b40_0000 + n`, so shifted by 23 they are `n` in the
        // exponent field.
        i32x4_add(a, i32x4_shl(k, 23))
    }
    #[inline(always)]
    fn pow2i(self, n: v128) -> v128 {
        let e = i32x4_add(i32x4_trunc_sat_f32x4(n), i32x4_splat(127));
        i32x4_shl(e, 23)
    }
}
