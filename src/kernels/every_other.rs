//! The element-wise kernels over every other value of memory: the same generic kernels
//! as the contiguous ones, run with [`EveryOther`], a token whose loads and stores touch
//! only the values at even distances from each operand's start and leave the values
//! between them unread and unwritten (they may belong to another view, even one another
//! thread writes). An in-place op on a view taken every other value (`s![.., ..;2]`, the
//! real parts of interleaved complex numbers) then reads and writes its values in one
//! pass, where gathering them into a buffer and scattering them back took three: `+=` of
//! two 512 x 256 every-other-column views took 55 us that way on AVX-512 and 90 on AVX2,
//! against 44 for ndarray's strided loop (development EPYC). AVX-512 keeps the values in
//! place in its vectors with masked loads and stores; the other ISAs run the scalar
//! token's loop ([`MaskedMoves`] for [`super::scalar::Scalar`]), which is the idiom's:
//! 42 us on AVX2 (its masked stores took this EPYC 117 us). The compiler may vectorize
//! that loop's loads, reading the values between along with the operands' inside the
//! span and dropping them; no store ever touches them.

use super::elementwise::Src;
use super::simd::Simd;
use super::{BinaryVsFn, BinaryVvFn};

/// An ISA whose loads and stores can skip lanes: a masked-off lane is neither read nor
/// written, and does not fault.
pub(crate) trait MaskedMoves: Simd {
    /// Lane `i` holds `p[i]` where bit `i` of `mask` is set, `fill` elsewhere.
    ///
    /// # Safety
    /// `p[i]` must be readable for every set bit `i < LANES`.
    unsafe fn load_masked(self, p: *const f32, mask: u64, fill: f32) -> Self::V;
    /// Stores lane `i` to `p[i]` where bit `i` of `mask` is set.
    ///
    /// # Safety
    /// `p[i]` must be writable for every set bit `i < LANES`.
    unsafe fn store_masked(self, p: *mut f32, mask: u64, v: Self::V);
}

/// `S` seen over interleaved memory: every load and store touches only the even lanes of
/// a vector (the values at even distances from where it starts); the lanes between load
/// as zero and are never stored. [`Simd::ANCHORED`] keeps the kernels' vectors at whole
/// vectors from each operand's start, so a kernel over `n` values computes its op on the
/// values at `2 i < n` of each operand. Over a one-lane token (the scalar one) a vector
/// spans two values of memory, its lane and the value after it: `LANES` counts values of
/// memory here, not lanes of `V` (the one exception to [`Simd::LANES`]). The odd lanes
/// hold zeros or copies, so lane-wise ops are fine and whole-vector tests (`all`,
/// `mask_bits`) see them: only the element-wise kernels run with it.
#[derive(Clone, Copy)]
pub(crate) struct EveryOther<S>(S);

impl<S: MaskedMoves> EveryOther<S> {
    /// The even lanes of a vector.
    const EVEN: u64 = 0x5555 & first(Self::LANES);

    #[inline(always)]
    pub(crate) fn new(inner: S) -> Self {
        EveryOther(inner)
    }
}

/// The first `len <= 16` lanes, as a mask.
#[inline(always)]
const fn first(len: usize) -> u64 {
    (1u64 << len) - 1
}

impl<S: MaskedMoves> Simd for EveryOther<S> {
    const LANES: usize = if S::LANES == 1 { 2 } else { S::LANES };
    const HAS_FMA: bool = S::HAS_FMA;
    const ANCHORED: bool = true;
    type V = S::V;
    type M = S::M;

    #[inline(always)]
    unsafe fn load(self, p: *const f32) -> S::V {
        // SAFETY: the caller guarantees `p..p+LANES` readable; the mask reads a subset.
        unsafe { self.0.load_masked(p, Self::EVEN, 0.0) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32, v: S::V) {
        // SAFETY: the caller guarantees `p..p+LANES` writable; the mask writes a subset.
        unsafe { self.0.store_masked(p, Self::EVEN, v) }
    }
    #[inline(always)]
    unsafe fn store_stream(self, p: *mut f32, v: S::V) {
        // SAFETY: as `store` (in-place outputs never stream; a plain masked store).
        unsafe { self.store(p, v) }
    }
    #[inline(always)]
    unsafe fn load_partial(self, p: *const f32, len: usize, fill: f32) -> S::V {
        // SAFETY: the caller guarantees `p..p+len` readable; the mask reads a subset.
        unsafe { self.0.load_masked(p, Self::EVEN & first(len), fill) }
    }
    #[inline(always)]
    unsafe fn store_partial(self, p: *mut f32, len: usize, v: S::V) {
        // SAFETY: the caller guarantees `p..p+len` writable; the mask writes a subset.
        unsafe { self.0.store_masked(p, Self::EVEN & first(len), v) }
    }
    #[inline(always)]
    unsafe fn load_spread(self, p: *const f32, len: usize) -> S::V {
        // SAFETY: forwarded from the caller: lane `2 j` of this token's vector is lane
        // `2 j` of `S`'s, or, over a one-lane `S`, lane 0 is `S`'s lane 0, which reads
        // `p[0]` for `len` 1 or 2 (`len` capped to `S`'s one lane).
        unsafe { self.0.load_spread(p, len.min(S::LANES)) }
    }
    // The element-wise kernels load and store through the five methods above only; the
    // loads of the reductions and gathers make no sense over interleaved memory.
    unsafe fn load_partial_high(self, _p: *const f32, _len: usize) -> S::V {
        unreachable!("EveryOther serves the element-wise kernels only")
    }
    unsafe fn store_even(self, _p: *mut f32, _v: S::V) {
        unreachable!("EveryOther serves the element-wise kernels only")
    }
    fn concat_shift(self, _lo: S::V, _hi: S::V, _shift: usize) -> S::V {
        unreachable!("EveryOther serves the element-wise kernels only")
    }

    #[inline(always)]
    fn splat(self, x: f32) -> S::V {
        self.0.splat(x)
    }
    #[inline(always)]
    fn add(self, a: S::V, b: S::V) -> S::V {
        self.0.add(a, b)
    }
    #[inline(always)]
    fn sub(self, a: S::V, b: S::V) -> S::V {
        self.0.sub(a, b)
    }
    #[inline(always)]
    fn mul(self, a: S::V, b: S::V) -> S::V {
        self.0.mul(a, b)
    }
    #[inline(always)]
    fn div(self, a: S::V, b: S::V) -> S::V {
        self.0.div(a, b)
    }
    #[inline(always)]
    fn mul_add(self, a: S::V, b: S::V, c: S::V) -> S::V {
        self.0.mul_add(a, b, c)
    }
    #[inline(always)]
    fn sqrt(self, a: S::V) -> S::V {
        self.0.sqrt(a)
    }
    #[inline(always)]
    fn min(self, a: S::V, b: S::V) -> S::V {
        self.0.min(a, b)
    }
    #[inline(always)]
    fn max(self, a: S::V, b: S::V) -> S::V {
        self.0.max(a, b)
    }
    #[inline(always)]
    fn lt(self, a: S::V, b: S::V) -> S::M {
        self.0.lt(a, b)
    }
    #[inline(always)]
    fn le(self, a: S::V, b: S::V) -> S::M {
        self.0.le(a, b)
    }
    #[inline(always)]
    fn eq(self, a: S::V, b: S::V) -> S::M {
        self.0.eq(a, b)
    }
    #[inline(always)]
    fn is_nan(self, a: S::V) -> S::M {
        self.0.is_nan(a)
    }
    #[inline(always)]
    fn select(self, m: S::M, a: S::V, b: S::V) -> S::V {
        self.0.select(m, a, b)
    }
    #[inline(always)]
    fn mask_or(self, a: S::M, b: S::M) -> S::M {
        self.0.mask_or(a, b)
    }
    #[inline(always)]
    fn mask_and(self, a: S::M, b: S::M) -> S::M {
        self.0.mask_and(a, b)
    }
    #[inline(always)]
    fn mask_bits(self, m: S::M) -> u64 {
        self.0.mask_bits(m)
    }
    #[inline(always)]
    fn and(self, a: S::V, b: S::V) -> S::V {
        self.0.and(a, b)
    }
    #[inline(always)]
    fn or(self, a: S::V, b: S::V) -> S::V {
        self.0.or(a, b)
    }
    #[inline(always)]
    fn xor(self, a: S::V, b: S::V) -> S::V {
        self.0.xor(a, b)
    }
    #[inline(always)]
    fn round(self, a: S::V) -> S::V {
        self.0.round(a)
    }
    #[inline(always)]
    fn pow2i(self, n: S::V) -> S::V {
        self.0.pow2i(n)
    }
    #[inline(always)]
    fn mul_add_fast(self, a: S::V, b: S::V, c: S::V) -> S::V {
        self.0.mul_add_fast(a, b, c)
    }
    #[inline(always)]
    fn mul_err(self, a: S::V, b: S::V) -> S::V {
        self.0.mul_err(a, b)
    }
    #[inline(always)]
    fn recip_approx(self, a: S::V) -> S::V {
        self.0.recip_approx(a)
    }
    #[inline(always)]
    fn ldexp(self, a: S::V, n: S::V) -> S::V {
        self.0.ldexp(a, n)
    }
    #[inline(always)]
    fn ldexp_magic(self, a: S::V, k: S::V) -> S::V {
        self.0.ldexp_magic(a, k)
    }
    #[inline(always)]
    fn lookup8(self, table: &[f32; 8], index: S::V) -> S::V {
        self.0.lookup8(table, index)
    }
    #[inline(always)]
    fn all(self, m: S::M) -> bool {
        self.0.all(m)
    }
    #[inline(always)]
    fn all_abs_le(self, a: S::V, limit: f32) -> bool {
        self.0.all_abs_le(a, limit)
    }
    #[inline(always)]
    fn abs(self, a: S::V) -> S::V {
        self.0.abs(a)
    }
    #[inline(always)]
    fn neg(self, a: S::V) -> S::V {
        self.0.neg(a)
    }
    #[inline(always)]
    fn zero(self) -> S::V {
        self.0.zero()
    }
}

/// A contiguous operand of a kernel over every other value: its value `j` stands for the
/// run's value `2 j` (`load` at the run's even offset `i` reads value `i / 2` on).
#[derive(Clone, Copy)]
pub(crate) struct Spread(pub *const f32);

impl Src for Spread {
    #[inline(always)]
    unsafe fn load<S: Simd>(self, s: S, i: usize) -> S::V {
        const { assert!(S::ANCHORED, "a spread operand needs even offsets") };
        // SAFETY: the caller guarantees the run's values `i..i + LANES`, which are this
        // operand's `i / 2..(i + LANES) / 2` (`i` even: `S` is `ANCHORED`).
        unsafe { s.load_spread(self.0.add(i / 2), S::LANES) }
    }
    #[inline(always)]
    unsafe fn load_partial<S: Simd>(self, s: S, i: usize, len: usize) -> S::V {
        const { assert!(S::ANCHORED, "a spread operand needs even offsets") };
        // SAFETY: as `load`, for the run's values `i..i + len`.
        unsafe { s.load_spread(self.0.add(i / 2), len) }
    }
    #[inline(always)]
    fn addr(self) -> Option<*const f32> {
        Some(self.0)
    }
}

/// The in-place element-wise ops of one backend over every other value: each entry is
/// the [`super::Kernels`] entry of the same name on the values at `p[2 i]`, `2 i < n`, of
/// `out` and of every pointer operand `p`; the values between are never written, nor
/// read by our source (see the module docs on the compiler's vectorized loads).
pub(crate) struct EveryOtherKernels {
    /// Indexed by [`super::elementwise::binop`].
    pub(crate) binary: [InPlaceBinary; 4],
    pub(crate) abs: super::UnaryFn,
    pub(crate) relu: super::UnaryFn,
    pub(crate) clamp: unsafe fn(a: *const f32, lo: f32, hi: f32, out: *mut f32, n: usize),
    pub(crate) lerp: unsafe fn(a: *const f32, b: *const f32, t: f32, out: *mut f32, n: usize),
    pub(crate) fma: unsafe fn(a: *const f32, b: *const f32, c: *const f32, out: *mut f32, n: usize),
}

/// The operand shapes of one binary operator in place (`a` is the output): an array, or
/// a scalar.
pub(crate) struct InPlaceBinary {
    pub(crate) vv: BinaryVvFn,
    pub(crate) vs: BinaryVsFn,
    /// `b` contiguous: its value `j` stands for value `2 j` ([`Spread`]).
    pub(crate) v_spread: BinaryVvFn,
}

/// Instantiates the element-wise kernels with `EveryOther<$token>` inside
/// `#[target_feature]` entry points and builds `static EVERY_OTHER`.
macro_rules! every_other_table {
    ($token:ty $(, #[$attr:meta])*) => {
        use $crate::kernels::elementwise::{self as ew, binop, Ptr, Splat};
        use $crate::kernels::every_other::{EveryOther, EveryOtherKernels, InPlaceBinary, Spread};

        // CONTRACT (every entry below): the kernels' loops ask `map3` for `n` values, but
        // `EveryOther` is `ANCHORED`, so every access is a whole vector (or the partial
        // tail) at an even offset from its operand's start, masked to the even lanes
        // (`Spread` reads value `i / 2` on): exactly the values at `p[2 i]`, `2 i < n`,
        // that the caller guarantees by the pointer contract of `EveryOtherKernels`.

        #[inline(always)]
        fn token() -> EveryOther<$token> {
            // SAFETY: only called from the entry points below, which are reachable only
            // through `EVERY_OTHER`, handed out (in a `Kernels` table) after the CPU
            // features were detected.
            EveryOther::new(unsafe { <$token>::new_unchecked() })
        }

        $(#[$attr])*
        unsafe fn vv<const OP: u8>(a: *const f32, b: *const f32, out: *mut f32, n: usize) {
            // SAFETY: see `CONTRACT` above.
            unsafe { ew::binary::<_, OP, _, _>(token(), Ptr(a), Ptr(b), out, n) }
        }
        $(#[$attr])*
        unsafe fn vs<const OP: u8>(a: *const f32, b: f32, out: *mut f32, n: usize) {
            // SAFETY: see `CONTRACT` above.
            unsafe { ew::binary::<_, OP, _, _>(token(), Ptr(a), Splat(b), out, n) }
        }
        $(#[$attr])*
        unsafe fn v_spread<const OP: u8>(a: *const f32, b: *const f32, out: *mut f32, n: usize) {
            // SAFETY: see `CONTRACT` above.
            unsafe { ew::binary::<_, OP, _, _>(token(), Ptr(a), Spread(b), out, n) }
        }
        $(#[$attr])*
        unsafe fn abs(a: *const f32, out: *mut f32, n: usize) {
            // SAFETY: see `CONTRACT` above.
            unsafe { ew::abs(token(), a, out, n) }
        }
        $(#[$attr])*
        unsafe fn relu(a: *const f32, out: *mut f32, n: usize) {
            // SAFETY: see `CONTRACT` above.
            unsafe { ew::relu(token(), a, out, n) }
        }
        $(#[$attr])*
        unsafe fn clamp(a: *const f32, lo: f32, hi: f32, out: *mut f32, n: usize) {
            // SAFETY: see `CONTRACT` above.
            unsafe { ew::clamp(token(), a, lo, hi, out, n) }
        }
        $(#[$attr])*
        unsafe fn lerp(a: *const f32, b: *const f32, t: f32, out: *mut f32, n: usize) {
            // SAFETY: see `CONTRACT` above.
            unsafe { ew::lerp(token(), a, b, t, out, n) }
        }
        $(#[$attr])*
        unsafe fn fma(a: *const f32, b: *const f32, c: *const f32, out: *mut f32, n: usize) {
            // SAFETY: see `CONTRACT` above.
            unsafe { ew::fma(token(), a, b, c, out, n) }
        }

        /// This backend's entry points over every other value.
        pub(crate) static EVERY_OTHER: EveryOtherKernels = EveryOtherKernels {
            binary: [
                InPlaceBinary {
                    vv: vv::<{ binop::ADD }>,
                    vs: vs::<{ binop::ADD }>,
                    v_spread: v_spread::<{ binop::ADD }>,
                },
                InPlaceBinary {
                    vv: vv::<{ binop::SUB }>,
                    vs: vs::<{ binop::SUB }>,
                    v_spread: v_spread::<{ binop::SUB }>,
                },
                InPlaceBinary {
                    vv: vv::<{ binop::MUL }>,
                    vs: vs::<{ binop::MUL }>,
                    v_spread: v_spread::<{ binop::MUL }>,
                },
                InPlaceBinary {
                    vv: vv::<{ binop::DIV }>,
                    vs: vs::<{ binop::DIV }>,
                    v_spread: v_spread::<{ binop::DIV }>,
                },
            ],
            abs,
            relu,
            clamp,
            lerp,
            fma,
        };
    };
}
pub(crate) use every_other_table;
