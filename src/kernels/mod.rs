//! The ops, written once over the [`simd::Simd`] trait, and one table of entry points per
//! backend.
//!
//! Each backend module implements the trait for its ISA and invokes
//! [`kernel_table!`] once, which instantiates every generic kernel inside a
//! `#[target_feature]` function (so the whole loop is compiled for that ISA with the
//! trait's methods inlined) and collects them in a `static` [`Kernels`] table.

pub(crate) mod activation;
pub(crate) mod elementwise;
pub(crate) mod every_other;
pub(crate) mod math;
#[cfg(test)]
mod order_tests;
pub(crate) mod reduce;
pub(crate) mod rows;
pub(crate) mod scalar;
pub(crate) mod simd;
pub(crate) mod streaming;
mod tables;
#[cfg(test)]
mod tests;

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx2;
#[cfg(target_arch = "x86_64")]
pub(crate) mod avx512;
#[cfg(target_arch = "x86_64")]
pub(crate) mod sse2;

#[cfg(target_arch = "aarch64")]
pub(crate) mod neon;

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub(crate) mod wasm;

pub(crate) use reduce::{Extreme, Partials};

/// `out[i] = f(a[i])`.
pub(crate) type UnaryFn = unsafe fn(a: *const f32, out: *mut f32, n: usize);
/// `out[i] = a[i] OP b[i]`.
pub(crate) type BinaryVvFn = unsafe fn(a: *const f32, b: *const f32, out: *mut f32, n: usize);
/// `out[i] = a[i] OP b`.
pub(crate) type BinaryVsFn = unsafe fn(a: *const f32, b: f32, out: *mut f32, n: usize);
/// `out[i] = a OP b[i]`.
pub(crate) type BinarySvFn = unsafe fn(a: f32, b: *const f32, out: *mut f32, n: usize);
/// Adds a run of terms to a reduction state.
pub(crate) type ReduceFn = unsafe fn(x: *const f32, n: usize, acc: &mut Partials);
/// The canonical total of at most `reduce::BLOCK` terms (no state: the short case).
pub(crate) type BlockTotalFn = unsafe fn(x: *const f32, n: usize) -> f32;

/// Folds `rows` rows, `stride` values apart from `x`, into the `n` values at `acc`.
pub(crate) type RowsFn =
    unsafe fn(acc: *mut f32, x: *const f32, rows: usize, stride: isize, n: usize);

/// One total per lane: `out[r]` from the `n` values at `x.offset(r * stride)`, for each
/// of `lanes` lanes of at most `reduce::BLOCK` values.
pub(crate) type LanesFn =
    unsafe fn(x: *const f32, lanes: usize, stride: isize, n: usize, out: *mut f32);

/// The three operand shapes of one binary operator.
pub(crate) struct BinaryKernels {
    pub(crate) vv: BinaryVvFn,
    pub(crate) vs: BinaryVsFn,
    pub(crate) sv: BinarySvFn,
}

/// Every kernel of one backend. All entry points are `unsafe`: the caller guarantees
/// the pointer ranges, and the table itself is only handed out for a CPU that supports
/// its ISA (see `backend.rs`).
pub(crate) struct Kernels {
    /// Indexed by [`elementwise::binop`].
    pub(crate) binary: [BinaryKernels; 4],
    pub(crate) abs: UnaryFn,
    pub(crate) relu: UnaryFn,
    pub(crate) exp: UnaryFn,
    pub(crate) sigmoid: UnaryFn,
    pub(crate) tanh: UnaryFn,
    pub(crate) swish: UnaryFn,
    pub(crate) gelu: UnaryFn,
    pub(crate) gelu_tanh: UnaryFn,
    pub(crate) clamp: unsafe fn(a: *const f32, lo: f32, hi: f32, out: *mut f32, n: usize),
    pub(crate) lerp: unsafe fn(a: *const f32, b: *const f32, t: f32, out: *mut f32, n: usize),
    pub(crate) fma: unsafe fn(a: *const f32, b: *const f32, c: *const f32, out: *mut f32, n: usize),
    pub(crate) max_update: unsafe fn(acc: *mut f32, x: *const f32, n: usize),
    /// `acc[j] += x[r * stride + j]` for `r < rows` in order, `j < n`.
    pub(crate) sum_rows: RowsFn,
    /// `acc[j] = max(acc[j], x[r * stride + j])` for `r < rows` in order, `j < n`, as
    /// [`Kernels::max_update`] row by row.
    pub(crate) max_rows: RowsFn,
    /// [`Kernels::sum_block`] of each lane.
    pub(crate) sum_lanes: LanesFn,
    /// [`Kernels::max`] of each lane, NaN where the lane holds one.
    pub(crate) max_lanes: LanesFn,
    /// `out[i] = src[2 i]` for `i < n` (our source reads no value between those; see
    /// [`elementwise::gather_even`]).
    pub(crate) gather_even: unsafe fn(src: *const f32, out: *mut f32, n: usize),
    /// `out[2 i] = src[i]` for `i < n`, writing no value between those.
    pub(crate) scatter_even: unsafe fn(src: *const f32, out: *mut f32, n: usize),
    pub(crate) sum: ReduceFn,
    pub(crate) norm_l1: ReduceFn,
    pub(crate) dot: unsafe fn(a: *const f32, b: *const f32, n: usize, acc: &mut Partials),
    /// Sum of `(x * scale)^2`.
    pub(crate) sum_squares: unsafe fn(x: *const f32, n: usize, scale: f32, acc: &mut Partials),
    /// [`Kernels::sum`] of one block at most, returning the total.
    pub(crate) sum_block: BlockTotalFn,
    /// [`Kernels::norm_l1`] of one block at most, returning the total.
    pub(crate) norm_l1_block: BlockTotalFn,
    /// [`Kernels::dot`] of one block at most, returning the total.
    pub(crate) dot_block: unsafe fn(a: *const f32, b: *const f32, n: usize) -> f32,
    /// [`Kernels::sum_squares`] of one block at most, returning the total.
    pub(crate) sum_squares_block: unsafe fn(x: *const f32, n: usize, scale: f32) -> f32,
    pub(crate) max: unsafe fn(x: *const f32, n: usize) -> Extreme,
    pub(crate) min: unsafe fn(x: *const f32, n: usize) -> Extreme,
    pub(crate) max_abs: unsafe fn(x: *const f32, n: usize) -> Extreme,
    pub(crate) find_eq: unsafe fn(x: *const f32, n: usize, v: f32) -> usize,
    /// The in-place element-wise ops over every other value (lanes of stride 2).
    pub(crate) every_other: &'static every_other::EveryOtherKernels,
    /// Max with the start of the first block of `reduce::ARG_BLOCK` that holds it.
    pub(crate) max_block: unsafe fn(x: *const f32, n: usize) -> (Extreme, usize),
    /// Min with the start of the first block of `reduce::ARG_BLOCK` that holds it.
    pub(crate) min_block: unsafe fn(x: *const f32, n: usize) -> (Extreme, usize),
}

/// Reductions that read at least this many values (10 MB, all arrays together) stream
/// from beyond the caches: the AVX-512 table runs them with its 256-bit token, like the
/// element-wise ops. Measured on the development EPYC, AVX-512 time ÷ AVX2 time: sum,
/// norm_l2, max at 3 M values 1.09–1.12 and at 4 M 1.11–1.13, dot at 2 M (4 M values
/// read) 1.09; at 2 M values and below AVX-512 is faster or equal (max 0.89, norm_l2
/// 0.95 at 2 M; 0.87–0.92 at 256 K). The canonical order makes both give the same bits.
pub(crate) const STREAMING_REDUCTION: usize = 5 << 19;

/// `by_size!(reads, s => body)`: `body` with `s` bound to the table's token, or to its
/// memory-bound token from [`STREAMING_REDUCTION`] values read on (expanded inside
/// [`kernel_table!`], where `token`, `ew_token` and `SPLIT_STREAMING` are defined).
macro_rules! by_size {
    ($reads:expr, $s:ident => $body:expr) => {
        if SPLIT_STREAMING && $reads >= $crate::kernels::STREAMING_REDUCTION {
            let $s = ew_token();
            $body
        } else {
            let $s = token();
            $body
        }
    };
}

/// Instantiates every generic kernel for one token type and builds `static KERNELS`.
///
/// `$token` must be a [`simd::Simd`] token with an `unsafe fn new_unchecked()`; the
/// attributes (`#[target_feature(...)]`) are applied to every entry point. The table
/// must only be handed out once the CPU is known to support those features.
macro_rules! kernel_table {
    (@impl $token:ty, $ew:ty, $every_other:ty $(, #[$attr:meta])*) => {
        use $crate::kernels::elementwise::{self as ew, binop, Ptr, Splat};
        use $crate::kernels::reduce;
        use $crate::kernels::activation as act;
        use $crate::kernels::{BinaryKernels, Extreme, Kernels, Partials};
        use $crate::kernels::simd::Simd as _;

        #[inline(always)]
        fn token() -> $token {
            // SAFETY: only called from the entry points below, which are reachable only
            // through `KERNELS`, handed out after the CPU features were detected.
            unsafe { <$token>::new_unchecked() }
        }

        /// Whether this table's memory-bound token differs from its own (the AVX-512
        /// table): elsewhere `by_size!` compiles to the one kernel, with no size test.
        const SPLIT_STREAMING: bool = <$ew as $crate::kernels::simd::Simd>::LANES
            != <$token as $crate::kernels::simd::Simd>::LANES;

        /// The token of the memory-bound kernels: the element-wise ops, and reductions
        /// that read at least [`STREAMING_REDUCTION`] values (see the AVX-512 table).
        #[inline(always)]
        fn ew_token() -> $ew {
            // SAFETY: as `token()`; the table's features include this token's ISA.
            unsafe { <$ew>::new_unchecked() }
        }

        $(#[$attr])*
        unsafe fn vv<const OP: u8>(a: *const f32, b: *const f32, out: *mut f32, n: usize) {
            // SAFETY: the caller upholds the pointer contract of `Kernels`.
            unsafe { ew::binary::<_, OP, _, _>(ew_token(), Ptr(a), Ptr(b), out, n) }
        }
        $(#[$attr])*
        unsafe fn vs<const OP: u8>(a: *const f32, b: f32, out: *mut f32, n: usize) {
            // SAFETY: the caller upholds the pointer contract of `Kernels`.
            unsafe { ew::binary::<_, OP, _, _>(ew_token(), Ptr(a), Splat(b), out, n) }
        }
        $(#[$attr])*
        unsafe fn sv<const OP: u8>(a: f32, b: *const f32, out: *mut f32, n: usize) {
            // SAFETY: the caller upholds the pointer contract of `Kernels`.
            unsafe { ew::binary::<_, OP, _, _>(ew_token(), Splat(a), Ptr(b), out, n) }
        }
        $(#[$attr])*
        unsafe fn abs(a: *const f32, out: *mut f32, n: usize) {
            // SAFETY: the caller upholds the pointer contract of `Kernels`.
            unsafe { ew::abs(ew_token(), a, out, n) }
        }
        $(#[$attr])*
        unsafe fn relu(a: *const f32, out: *mut f32, n: usize) {
            // SAFETY: the caller upholds the pointer contract of `Kernels`.
            unsafe { ew::relu(ew_token(), a, out, n) }
        }
        $(#[$attr])*
        unsafe fn exp(a: *const f32, out: *mut f32, n: usize) {
            // SAFETY: the caller upholds the pointer contract of `Kernels`.
            unsafe { act::exp(token(), a, out, n) }
        }
        $(#[$attr])*
        unsafe fn sigmoid(a: *const f32, out: *mut f32, n: usize) {
            // SAFETY: the caller upholds the pointer contract of `Kernels`.
            unsafe { act::sigmoid(token(), a, out, n) }
        }
        $(#[$attr])*
        unsafe fn tanh(a: *const f32, out: *mut f32, n: usize) {
            // SAFETY: the caller upholds the pointer contract of `Kernels`.
            unsafe { act::tanh(token(), a, out, n) }
        }
        $(#[$attr])*
        unsafe fn swish(a: *const f32, out: *mut f32, n: usize) {
            // SAFETY: the caller upholds the pointer contract of `Kernels`.
            unsafe { act::swish(token(), a, out, n) }
        }
        $(#[$attr])*
        unsafe fn gelu(a: *const f32, out: *mut f32, n: usize) {
            // SAFETY: the caller upholds the pointer contract of `Kernels`.
            unsafe { act::gelu(token(), a, out, n) }
        }
        $(#[$attr])*
        unsafe fn gelu_tanh(a: *const f32, out: *mut f32, n: usize) {
            // SAFETY: the caller upholds the pointer contract of `Kernels`.
            unsafe { act::gelu_tanh(token(), a, out, n) }
        }
        $(#[$attr])*
        unsafe fn clamp(a: *const f32, lo: f32, hi: f32, out: *mut f32, n: usize) {
            // SAFETY: the caller upholds the pointer contract of `Kernels`.
            unsafe { ew::clamp(ew_token(), a, lo, hi, out, n) }
        }
        $(#[$attr])*
        unsafe fn lerp(a: *const f32, b: *const f32, t: f32, out: *mut f32, n: usize) {
            // SAFETY: the caller upholds the pointer contract of `Kernels`.
            unsafe { ew::lerp(ew_token(), a, b, t, out, n) }
        }
        $(#[$attr])*
        unsafe fn fma(a: *const f32, b: *const f32, c: *const f32, out: *mut f32, n: usize) {
            // SAFETY: the caller upholds the pointer contract of `Kernels`.
            unsafe { ew::fma(ew_token(), a, b, c, out, n) }
        }
        $(#[$attr])*
        unsafe fn max_update(acc: *mut f32, x: *const f32, n: usize) {
            // SAFETY: the caller upholds the pointer contract of `Kernels`.
            unsafe { ew::max_update(ew_token(), acc, x, n) }
        }
        $(#[$attr])*
        unsafe fn sum_rows(acc: *mut f32, x: *const f32, rows: usize, stride: isize, n: usize) {
            let s = ew_token();
            // SAFETY: the caller upholds the pointer contract of `Kernels`.
            unsafe { $crate::kernels::rows::fold_rows(s, acc, x, rows, stride, n, |a, b| s.add(a, b)) }
        }
        $(#[$attr])*
        unsafe fn max_rows(acc: *mut f32, x: *const f32, rows: usize, stride: isize, n: usize) {
            let s = ew_token();
            // SAFETY: the caller upholds the pointer contract of `Kernels`.
            unsafe {
                $crate::kernels::rows::fold_rows(s, acc, x, rows, stride, n, |m, x| ew::max_step(s, m, x))
            }
        }
        $(#[$attr])*
        unsafe fn sum_lanes(x: *const f32, lanes: usize, stride: isize, n: usize, out: *mut f32) {
            // SAFETY: the caller upholds the pointer contract of `Kernels`.
            if unsafe { reduce::short_rows::<reduce::RowTotals>(x, lanes, stride, n, out) } {
                return;
            }
            let s = token();
            for r in 0..lanes {
                // SAFETY: the caller upholds the pointer contract of `Kernels`; this is
                // `sum_block` of lane `r`.
                unsafe {
                    let lane = x.wrapping_offset(r as isize * stride);
                    *out.add(r) = reduce::block_total(s, [lane], n, |[v]| v);
                }
            }
        }
        $(#[$attr])*
        unsafe fn max_lanes(x: *const f32, lanes: usize, stride: isize, n: usize, out: *mut f32) {
            // SAFETY: the caller upholds the pointer contract of `Kernels`.
            if unsafe { reduce::short_rows::<reduce::RowMaxima>(x, lanes, stride, n, out) } {
                return;
            }
            for r in 0..lanes {
                // SAFETY: the caller upholds the pointer contract of `Kernels`; this is
                // `max` of lane `r`.
                unsafe {
                    let e = max(x.wrapping_offset(r as isize * stride), n);
                    *out.add(r) = if e.nan { f32::NAN } else { e.value };
                }
            }
        }
        $(#[$attr])*
        unsafe fn gather_even(src: *const f32, out: *mut f32, n: usize) {
            // SAFETY: the caller upholds the pointer contract of `Kernels`.
            unsafe { ew::gather_even(src, out, n) }
        }
        $(#[$attr])*
        unsafe fn scatter_even(src: *const f32, out: *mut f32, n: usize) {
            // SAFETY: the caller upholds the pointer contract of `Kernels`.
            unsafe { ew::scatter_even(token(), src, out, n) }
        }
        $(#[$attr])*
        unsafe fn sum(x: *const f32, n: usize, acc: &mut Partials) {
            // SAFETY: the caller upholds the pointer contract of `Kernels`.
            by_size!(n, s => unsafe { reduce::pairwise(s, [x], n, |[v]| v, acc) })
        }
        $(#[$attr])*
        unsafe fn norm_l1(x: *const f32, n: usize, acc: &mut Partials) {
            // SAFETY: the caller upholds the pointer contract of `Kernels`.
            by_size!(n, s => unsafe { reduce::pairwise(s, [x], n, |[v]| s.abs(v), acc) })
        }
        $(#[$attr])*
        unsafe fn dot(a: *const f32, b: *const f32, n: usize, acc: &mut Partials) {
            // SAFETY: the caller upholds the pointer contract of `Kernels`.
            by_size!(2 * n, s => unsafe {
                reduce::pairwise(s, [a, b], n, |[x, y]| s.mul(x, y), acc)
            })
        }
        $(#[$attr])*
        unsafe fn sum_squares(x: *const f32, n: usize, scale: f32, acc: &mut Partials) {
            by_size!(n, s => {
                // SAFETY: the caller upholds the pointer contract of `Kernels`.
                unsafe {
                    // Unscaled (every call but the rare rescaled retry): no multiply by
                    // one, whose product is the same value (see `reduce::square`).
                    if scale == 1.0 {
                        reduce::pairwise(s, [x], n, |[v]| s.mul(v, v), acc)
                    } else {
                        let k = s.splat(scale);
                        reduce::pairwise(s, [x], n, |[v]| reduce::square(s, v, k), acc)
                    }
                }
            })
        }
        $(#[$attr])*
        unsafe fn sum_block(x: *const f32, n: usize) -> f32 {
            let s = token();
            // SAFETY: the caller upholds the pointer contract of `Kernels`.
            unsafe { reduce::block_total(s, [x], n, |[v]| v) }
        }
        $(#[$attr])*
        unsafe fn norm_l1_block(x: *const f32, n: usize) -> f32 {
            let s = token();
            // SAFETY: the caller upholds the pointer contract of `Kernels`.
            unsafe { reduce::block_total(s, [x], n, |[v]| s.abs(v)) }
        }
        $(#[$attr])*
        unsafe fn dot_block(a: *const f32, b: *const f32, n: usize) -> f32 {
            let s = token();
            // SAFETY: the caller upholds the pointer contract of `Kernels`.
            unsafe { reduce::block_total(s, [a, b], n, |[x, y]| s.mul(x, y)) }
        }
        $(#[$attr])*
        unsafe fn sum_squares_block(x: *const f32, n: usize, scale: f32) -> f32 {
            let s = token();
            // SAFETY: the caller upholds the pointer contract of `Kernels`.
            unsafe {
                // As in `sum_squares`.
                if scale == 1.0 {
                    reduce::block_total(s, [x], n, |[v]| s.mul(v, v))
                } else {
                    let k = s.splat(scale);
                    reduce::block_total(s, [x], n, |[v]| reduce::square(s, v, k))
                }
            }
        }
        $(#[$attr])*
        unsafe fn max(x: *const f32, n: usize) -> Extreme {
            // SAFETY: the caller upholds the pointer contract of `Kernels`.
            by_size!(n, s => unsafe {
                reduce::extreme::<_, true>(s, x, n, f32::NEG_INFINITY, |v| v)
            })
        }
        $(#[$attr])*
        unsafe fn min(x: *const f32, n: usize) -> Extreme {
            // SAFETY: the caller upholds the pointer contract of `Kernels`.
            by_size!(n, s => unsafe {
                reduce::extreme::<_, false>(s, x, n, f32::INFINITY, |v| v)
            })
        }
        $(#[$attr])*
        unsafe fn max_abs(x: *const f32, n: usize) -> Extreme {
            // SAFETY: the caller upholds the pointer contract of `Kernels`.
            by_size!(n, s => unsafe { reduce::extreme::<_, true>(s, x, n, 0.0, |v| s.abs(v)) })
        }
        $(#[$attr])*
        unsafe fn find_eq(x: *const f32, n: usize, v: f32) -> usize {
            // SAFETY: the caller upholds the pointer contract of `Kernels`.
            unsafe { reduce::find_eq(token(), x, n, v) }
        }

        $(#[$attr])*
        unsafe fn max_block(x: *const f32, n: usize) -> (Extreme, usize) {
            // SAFETY: the caller upholds the pointer contract of `Kernels`.
            by_size!(n, s => unsafe { reduce::extreme_block::<_, true>(s, x, n) })
        }
        $(#[$attr])*
        unsafe fn min_block(x: *const f32, n: usize) -> (Extreme, usize) {
            // SAFETY: the caller upholds the pointer contract of `Kernels`.
            by_size!(n, s => unsafe { reduce::extreme_block::<_, false>(s, x, n) })
        }

        /// This backend's entry points over every other value.
        pub(crate) mod every_other_entries {
            $crate::kernels::every_other::every_other_table!($every_other $(, #[$attr])*);
        }

        /// This backend's entry points.
        pub(crate) static KERNELS: Kernels = Kernels {
            binary: [
                BinaryKernels { vv: vv::<{ binop::ADD }>, vs: vs::<{ binop::ADD }>, sv: sv::<{ binop::ADD }> },
                BinaryKernels { vv: vv::<{ binop::SUB }>, vs: vs::<{ binop::SUB }>, sv: sv::<{ binop::SUB }> },
                BinaryKernels { vv: vv::<{ binop::MUL }>, vs: vs::<{ binop::MUL }>, sv: sv::<{ binop::MUL }> },
                BinaryKernels { vv: vv::<{ binop::DIV }>, vs: vs::<{ binop::DIV }>, sv: sv::<{ binop::DIV }> },
            ],
            abs,
            relu,
            exp,
            sigmoid,
            tanh,
            swish,
            gelu,
            gelu_tanh,
            clamp,
            lerp,
            fma,
            max_update,
            sum_rows,
            max_rows,
            sum_lanes,
            max_lanes,
            gather_even,
            scatter_even,
            sum,
            norm_l1,
            dot,
            sum_squares,
            sum_block,
            norm_l1_block,
            dot_block,
            sum_squares_block,
            max,
            min,
            max_abs,
            find_eq,
            every_other: &every_other_entries::EVERY_OTHER,
            max_block,
            min_block,
        };
    };
    // `elementwise = T`: the memory-bound element-wise ops use token `T` (which the
    // table's target features must include) instead of the table's own.
    // `every_other = E`: the kernels over every other value run with `EveryOther<E>`
    // (`E` a `MaskedMoves` token the table's features include) instead of
    // `EveryOther<Scalar>`.
    ($token:ty, elementwise = $ew:ty, every_other = $eo:ty $(, #[$attr:meta])*) => {
        $crate::kernels::kernel_table!(@impl $token, $ew, $eo $(, #[$attr])*);
    };
    ($token:ty $(, #[$attr:meta])*) => {
        $crate::kernels::kernel_table!(
            @impl $token, $token, $crate::kernels::scalar::Scalar $(, #[$attr])*
        );
    };
}
pub(crate) use kernel_table;

/// Entry points of the scalar backend.
pub(crate) mod scalar_table {
    super::kernel_table!(super::scalar::Scalar);
}

/// Entry points of the SSE2 backend.
#[cfg(target_arch = "x86_64")]
pub(crate) mod sse2_table {
    super::kernel_table!(super::sse2::Sse2, #[target_feature(enable = "sse2")]);
}

/// Entry points of the AVX2 + FMA backend.
#[cfg(target_arch = "x86_64")]
pub(crate) mod avx2_table {
    super::kernel_table!(super::avx2::Avx2, #[target_feature(enable = "avx2,fma")]);
}

/// Entry points of the AVX-512 backend. The memory-bound element-wise ops (the four
/// operators, abs, relu, clamp, lerp, fma, the max update) use the 256-bit AVX2 kernels:
/// measured never slower and often faster than 512-bit ones, on the development EPYC
/// (fresh 4 M-element `simd_add` 0.343 against 0.40 ns/element, 1 K 0.070 against 0.077;
/// in place equal) and on the 16-core Xeon (equal within 3 %). So do reductions over
/// [`STREAMING_REDUCTION`] values or more.
#[cfg(target_arch = "x86_64")]
pub(crate) mod avx512_table {
    super::kernel_table!(
        super::avx512::Avx512,
        elementwise = super::avx2::Avx2,
        every_other = crate::kernels::avx512::Avx512,
        #[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")]
    );
}

/// Entry points of the aarch64 NEON backend.
#[cfg(target_arch = "aarch64")]
pub(crate) mod neon_table {
    super::kernel_table!(super::neon::Neon, #[target_feature(enable = "neon")]);
}

/// Entry points of the wasm32 SIMD128 backend (only in builds with `+simd128`).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub(crate) mod wasm_table {
    super::kernel_table!(super::wasm::Wasm128, #[target_feature(enable = "simd128")]);
}
