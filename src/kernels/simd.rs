//! The small SIMD trait every op is written against.
//!
//! A backend is a zero-sized *token* type implementing [`Simd`] for one ISA. A token
//! can only be obtained through `unsafe` code that has checked (or been guaranteed)
//! that the CPU supports the ISA, which is what makes the safe methods below sound:
//! whoever holds a token may run that ISA's instructions.
//!
//! All lane operations follow IEEE-754 binary32 with round-to-nearest-even, and their
//! results are fully specified (including NaN and ±0 corner cases where stated), so a
//! kernel written once over this trait produces the same bits on every backend.

/// One SIMD instruction set, seen as `LANES` lanes of `f32`.
#[allow(dead_code)] // sqrt/round/pow2i… serve the activation kernels
pub(crate) trait Simd: Copy {
    /// Number of `f32` lanes in [`Simd::V`] (a power of two, at most 16); for
    /// `every_other::EveryOther` over the scalar token, the two values of memory one
    /// vector spans.
    const LANES: usize;
    /// Whether [`Simd::mul_add`] is a single hardware instruction (fused multiply-add).
    /// Decides what [`Simd::mul_add_fast`] and [`Simd::mul_err`] do by default.
    const HAS_FMA: bool = false;
    /// Whether the reductions should read whole blocks from vector-aligned addresses
    /// (`reduce::block_lanes_aligned`): for ISAs whose vectors straddle cache lines
    /// when the data is only 16-byte aligned, and which override
    /// [`Simd::load_partial_high`] and [`Simd::concat_shift`] (their defaults go
    /// through memory).
    const ALIGNED_BLOCKS: bool = false;
    /// Whether the element-wise kernels must load and store whole vectors from each run's
    /// start only (no peeled head to align the stores, no loop from the end down, no
    /// streaming stores): for a token whose vectors mean something only at such offsets
    /// ([`super::every_other::EveryOther`]).
    const ANCHORED: bool = false;
    /// A vector of `LANES` f32 values.
    type V: Copy;
    /// A lane mask produced by comparisons.
    type M: Copy;

    /// Loads `LANES` values from `p` (no alignment required).
    ///
    /// # Safety
    /// `p..p+LANES` must be readable.
    unsafe fn load(self, p: *const f32) -> Self::V;
    /// Stores `LANES` values to `p` (no alignment required).
    ///
    /// # Safety
    /// `p..p+LANES` must be writable.
    unsafe fn store(self, p: *mut f32, v: Self::V);
    /// Stores `LANES` values to `p` past the caches (a non-temporal store) where the ISA
    /// has one, else as [`Simd::store`]: for outputs too large to stay cached anyway, so
    /// their lines are neither read first nor evict the inputs. Ordered before later
    /// stores only by [`Simd::stream_fence`].
    ///
    /// # Safety
    /// `p..p+LANES` must be writable and `p` aligned to `4 * LANES` bytes.
    #[inline(always)]
    unsafe fn store_stream(self, p: *mut f32, v: Self::V) {
        // SAFETY: forwarded from the caller.
        unsafe { self.store(p, v) }
    }
    /// Makes the [`Simd::store_stream`] stores issued so far visible before any later
    /// store (`sfence` on x86; nothing where streaming stores are plain stores).
    #[inline(always)]
    fn stream_fence(self) {}

    /// Loads `len <= LANES` values from `p`; the other lanes hold `fill`. The default
    /// goes through a stack buffer; ISAs with masked loads override it.
    ///
    /// # Safety
    /// `p..p+len` must be readable.
    #[inline(always)]
    unsafe fn load_partial(self, p: *const f32, len: usize, fill: f32) -> Self::V {
        let mut buf = [fill; 16];
        // SAFETY: the caller guarantees `len` readable values at `p`, and `len <= 16`.
        unsafe {
            for (i, slot) in buf.iter_mut().enumerate().take(len) {
                *slot = *p.add(i);
            }
            self.load(buf.as_ptr())
        }
    }
    /// Loads `0 < len < LANES` values from `p` into the top `len` lanes; the others hold
    /// +0.0. The default goes through a stack buffer; ISAs with masked loads override it.
    ///
    /// # Safety
    /// `p..p+len` must be readable.
    #[inline(always)]
    unsafe fn load_partial_high(self, p: *const f32, len: usize) -> Self::V {
        let mut buf = [0.0f32; 16];
        // SAFETY: the caller guarantees `len` readable values at `p`; `len < LANES <= 16`.
        unsafe {
            for i in 0..len {
                buf[Self::LANES - len + i] = *p.add(i);
            }
            self.load(buf.as_ptr())
        }
    }
    /// Lane `2 j` holds `p[j]` for `2 j < len` (`len <= LANES`), reading those values and
    /// no other; the other lanes are unspecified: contiguous values spread over the even
    /// lanes, for the kernels over every other value (`every_other::Spread`). The default
    /// goes through a stack buffer.
    ///
    /// # Safety
    /// `p[j]` must be readable for `2 j < len`.
    #[inline(always)]
    unsafe fn load_spread(self, p: *const f32, len: usize) -> Self::V {
        let mut buf = [0.0f32; 16];
        // SAFETY: the caller guarantees `p[j]` for `2 j < len`; `2 j < LANES <= 16`.
        unsafe {
            for j in (0..len.min(Self::LANES)).step_by(2) {
                buf[j] = *p.add(j / 2);
            }
            self.load(buf.as_ptr())
        }
    }
    /// Stores lane `i` to `p[2 i]`, for every lane, writing no other address (the values
    /// between may belong to another view, even one another thread writes). The default
    /// stores them one by one from a stack buffer.
    ///
    /// # Safety
    /// `p[2 i]` must be writable for `i < LANES`.
    #[inline(always)]
    unsafe fn store_even(self, p: *mut f32, v: Self::V) {
        let mut buf = [0.0f32; 16];
        // SAFETY: `buf` holds 16 >= LANES values; the caller guarantees `p[2 i]`.
        unsafe {
            self.store(buf.as_mut_ptr(), v);
            for (i, value) in buf.iter().enumerate().take(Self::LANES) {
                *p.add(2 * i) = *value;
            }
        }
    }
    /// Lanes `shift..LANES` of `lo` followed by lanes `0..shift` of `hi`
    /// (`shift < LANES`), as one vector. The default goes through a stack buffer.
    #[inline(always)]
    fn concat_shift(self, lo: Self::V, hi: Self::V, shift: usize) -> Self::V {
        let mut buf = [0.0f32; 32];
        // SAFETY: `buf` holds `2 * LANES <= 32` values; `shift + LANES <= 2 * LANES`.
        unsafe {
            self.store(buf.as_mut_ptr(), lo);
            self.store(buf.as_mut_ptr().add(Self::LANES), hi);
            self.load(buf.as_ptr().add(shift))
        }
    }
    /// Stores the first `len <= LANES` lanes of `v` to `p`.
    ///
    /// # Safety
    /// `p..p+len` must be writable.
    #[inline(always)]
    unsafe fn store_partial(self, p: *mut f32, len: usize, v: Self::V) {
        let mut buf = [0.0f32; 16];
        // SAFETY: `buf` holds 16 >= LANES values; the caller guarantees `len` at `p`.
        unsafe {
            self.store(buf.as_mut_ptr(), v);
            for (i, value) in buf.iter().enumerate().take(len) {
                *p.add(i) = *value;
            }
        }
    }

    fn splat(self, x: f32) -> Self::V;
    fn add(self, a: Self::V, b: Self::V) -> Self::V;
    fn sub(self, a: Self::V, b: Self::V) -> Self::V;
    fn mul(self, a: Self::V, b: Self::V) -> Self::V;
    fn div(self, a: Self::V, b: Self::V) -> Self::V;
    /// `a * b + c` with a single rounding (exactly `f32::mul_add`).
    fn mul_add(self, a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    /// Correctly rounded square root.
    #[allow(dead_code)] // no kernel uses it yet
    fn sqrt(self, a: Self::V) -> Self::V;
    /// `if a < b { a } else { b }` per lane (so a NaN in either operand gives `b`).
    fn min(self, a: Self::V, b: Self::V) -> Self::V;
    /// `if a > b { a } else { b }` per lane (so a NaN in either operand gives `b`).
    fn max(self, a: Self::V, b: Self::V) -> Self::V;

    fn lt(self, a: Self::V, b: Self::V) -> Self::M;
    fn le(self, a: Self::V, b: Self::V) -> Self::M;
    fn eq(self, a: Self::V, b: Self::V) -> Self::M;
    /// Lanes where `a` is NaN.
    fn is_nan(self, a: Self::V) -> Self::M;
    /// `if m { a } else { b }` per lane.
    fn select(self, m: Self::M, a: Self::V, b: Self::V) -> Self::V;
    fn mask_or(self, a: Self::M, b: Self::M) -> Self::M;
    #[allow(dead_code)] // no kernel uses it yet
    fn mask_and(self, a: Self::M, b: Self::M) -> Self::M;
    /// Bit `i` is set when lane `i` of the mask is set.
    fn mask_bits(self, m: Self::M) -> u64;

    /// Bitwise AND of the IEEE representations.
    fn and(self, a: Self::V, b: Self::V) -> Self::V;
    /// Bitwise OR of the IEEE representations.
    fn or(self, a: Self::V, b: Self::V) -> Self::V;
    /// Bitwise XOR of the IEEE representations.
    fn xor(self, a: Self::V, b: Self::V) -> Self::V;
    /// Rounds to the nearest integer, ties to even. Exact for `|a| < 2^22`; larger
    /// inputs, infinities and NaN are returned unchanged or rounded arbitrarily and
    /// must be handled by the caller.
    #[allow(dead_code)] // no kernel uses it yet
    fn round(self, a: Self::V) -> Self::V;
    /// `2^n` for lanes of `n` holding integers in `-126..=127` (other lanes: unspecified).
    fn pow2i(self, n: Self::V) -> Self::V;

    /// `a * b + c`, fused (one rounding) where the ISA has FMA ([`Simd::HAS_FMA`]), else
    /// a rounded multiply then a rounded add. For polynomial evaluation, where either is
    /// accurate enough and the exact emulation of [`Simd::mul_add`] would be too slow.
    #[inline(always)]
    fn mul_add_fast(self, a: Self::V, b: Self::V, c: Self::V) -> Self::V {
        if Self::HAS_FMA {
            self.mul_add(a, b, c)
        } else {
            self.add(self.mul(a, b), c)
        }
    }
    /// The rounding error of a product: `a * b - RN(a * b)`, exactly (it is an f32 unless
    /// the product is tiny, below about `2^-100`, where it is rounded).
    #[inline(always)]
    fn mul_err(self, a: Self::V, b: Self::V) -> Self::V {
        self.mul_add(a, b, self.neg(self.mul(a, b)))
    }
    /// An approximation of `1 / a` with relative error below `2^-8` for normal `a`
    /// (hardware reciprocal estimates such as `rcpps` or NEON's `vrecpe`; by default the
    /// correctly rounded quotient). Kernels only scale a small correction by it (the
    /// exact remainder of a rounded division, `math::div_corrected`), so an 8-bit
    /// estimate is enough by analysis; the 12-bit (SSE2, AVX2; Intel and AMD differ)
    /// and 14-bit (AVX-512) estimates were checked over all inputs.
    #[inline(always)]
    fn recip_approx(self, a: Self::V) -> Self::V {
        self.div(self.splat(1.0), a)
    }
    /// `a * 2^n`, rounded once (so correctly rounded subnormals, and ±∞ on overflow), for
    /// lanes of `n` holding integers in `-252..=254`.
    #[inline(always)]
    fn ldexp(self, a: Self::V, n: Self::V) -> Self::V {
        // n = n1 + n2 with both halves in -126..=127: the first product is exact.
        let magic = self.splat(crate::kernels::scalar::ROUND_MAGIC);
        let n1 = self.sub(self.mul_add_fast(n, self.splat(0.5), magic), magic);
        let n2 = self.sub(n, n1);
        self.mul(self.mul(a, self.pow2i(n1)), self.pow2i(n2))
    }

    /// `a * 2^n` where `k = n + ROUND_MAGIC` is what the magic-number rounding left
    /// (`n` an integer in `-126..=127`), for normal `a` with a normal exact result: the
    /// fast form of [`Simd::ldexp`] for arguments known to be in range. By default one
    /// multiply by an exact power of two; the integer ISAs add `k`'s low bits to `a`'s
    /// exponent field (two integer operations), AVX-512 uses `vscalefps`.
    #[inline(always)]
    fn ldexp_magic(self, a: Self::V, k: Self::V) -> Self::V {
        let magic = self.splat(crate::kernels::scalar::ROUND_MAGIC);
        self.mul(a, self.pow2i(self.sub(k, magic)))
    }

    /// `table[i]` in each lane whose bits in `index` are `ROUND_MAGIC + i` with `i` in
    /// `0..=7` (the integer that the magic-number rounding leaves); other lanes get an
    /// unspecified value. AVX2 and AVX-512 permute registers (`vpermps`), NEON and WASM
    /// look the bytes up (`tbl`, `i8x16.swizzle`), SSE2 assembles four indexed loads, the
    /// scalar token indexes the table.
    fn lookup8(self, table: &[f32; 8], index: Self::V) -> Self::V;

    /// Whether every lane of `m` is set.
    #[inline(always)]
    fn all(self, m: Self::M) -> bool {
        self.mask_bits(m) == (1u64 << Self::LANES) - 1
    }

    /// Whether every lane of `a` has `|a| <= limit`, for a positive finite `limit` (a NaN
    /// lane: no).
    #[inline(always)]
    fn all_abs_le(self, a: Self::V, limit: f32) -> bool {
        self.all(self.le(self.abs(a), self.splat(limit)))
    }

    /// `|a|` (clears the sign bit, NaN included).
    #[inline(always)]
    fn abs(self, a: Self::V) -> Self::V {
        self.and(a, self.splat(f32::from_bits(0x7fff_ffff)))
    }
    /// `-a` (flips the sign bit, NaN included).
    #[inline(always)]
    fn neg(self, a: Self::V) -> Self::V {
        self.xor(a, self.splat(-0.0))
    }
    #[inline(always)]
    fn zero(self) -> Self::V {
        self.splat(0.0)
    }
}

/// Loads `len <= LANES` values from `p`, the other lanes holding `fill`.
///
/// # Safety
/// `p..p+len` must be readable and `len <= S::LANES`.
#[inline(always)]
pub(crate) unsafe fn load_partial<S: Simd>(s: S, p: *const f32, len: usize, fill: f32) -> S::V {
    // SAFETY: forwarded from the caller.
    unsafe { s.load_partial(p, len, fill) }
}

/// Stores the first `len <= LANES` lanes of `v` to `p`.
///
/// # Safety
/// `p..p+len` must be writable and `len <= S::LANES`.
#[inline(always)]
pub(crate) unsafe fn store_partial<S: Simd>(s: S, p: *mut f32, len: usize, v: S::V) {
    // SAFETY: forwarded from the caller.
    unsafe { s.store_partial(p, len, v) }
}
