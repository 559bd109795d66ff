//! Element-wise ops, written once over [`Simd`]: the four arithmetic operators (with
//! slice or scalar operands), abs, clamp, relu, lerp, fma, and the NaN-propagating
//! running maximum used by axis reductions.
//!
//! Every op here is lane-independent, so it gives the same bits on every backend; tails
//! shorter than a vector go through a padded copy and the very same vector code.

use super::simd::{load_partial, store_partial, Simd};
use super::streaming::streams_output;

/// Where an operand's values come from: a run of memory, or one value for every lane.
pub(crate) trait Src: Copy {
    /// # Safety
    /// `i..i+LANES` must be readable for a pointer source.
    unsafe fn load<S: Simd>(self, s: S, i: usize) -> S::V;
    /// # Safety
    /// `i..i+len` must be readable for a pointer source, `len <= LANES`.
    unsafe fn load_partial<S: Simd>(self, s: S, i: usize, len: usize) -> S::V;
    /// The start of a pointer source (`None` for a broadcast scalar).
    fn addr(self) -> Option<*const f32>;
}

/// Whether a loop should run from the end down: when `out` starts a little after an
/// input modulo 4096 bytes, an ascending loop stalls on 4 K aliasing (the next
/// iteration's loads share the low 12 address bits of the stores just issued, and wait
/// for them); a descending loop never loads what it just stored past. Measured on the
/// development EPYC in the report's layout (fresh 16 K outputs 32-48 bytes after their
/// inputs): AVX2 exp 0.31-0.43 ascending against 0.285 descending, relu 0.083-0.095
/// against 0.071, `add` 0.112-0.122 against 0.105 ns/element.
///
/// On AMD CPUs (told by SSE4a, which only AMD implements) every such loop of at least
/// one four-vector step descends ([`map3`]'s shorter runs skip the test), memory-bound
/// ones only from [`MIN_DESCENDING_MEMORY_BOUND`] values on.
/// Elsewhere only one-input loops that are not `memory_bound` (the activations, tanh):
/// the Xeon ran the report's 16 K `add` and `mul` 1.8x slower from the end down
/// (0.20-0.22 against 0.114-0.128 ns/element) and abs, relu, clamp 1.6-1.9x slower in
/// two runs of three, while its exp gained (0.329 against 0.367).
#[inline(always)]
pub(crate) fn run_descending<const K: usize>(
    out: *mut f32,
    inputs: [Option<*const f32>; K],
    memory_bound: bool,
) -> bool {
    /// How far ahead counts as "a little" (loads run at most a few iterations ahead).
    const WINDOW: usize = 1024;
    let (mut count, mut aliased) = (0, false);
    for p in inputs.into_iter().flatten() {
        let d = (out as usize).wrapping_sub(p as usize) % 4096;
        count += 1;
        aliased |= d != 0 && d < WINDOW;
    }
    aliased && ((count == 1 && !memory_bound) || amd_descends_everything())
}

/// The shortest memory-bound run that may descend. Below 16 KiB descending gained
/// nothing on the development EPYC (AVX2 `add`, `mul`, `abs`, `relu`, `scale`, `fma`,
/// `div` at 1024-3072 values, 0.95-1.07x either way), while the rows of a lane-by-lane
/// walk that each descend, one row after another upwards, defeat the prefetcher: a
/// 512 x 512 array plus a broadcast row took 1.32x as long as with ascending rows (1.21x
/// for rows of 1024, 1.14x for 2048; 1.03x the other way for 4096; medians of nine
/// interleaved pairs, `examples/layouts.rs` for the 512 case).
pub(crate) const MIN_DESCENDING_MEMORY_BOUND: usize = 4096;

/// Whether every aliased loop runs from the end down, memory-bound and two-input ones
/// too (see [`run_descending`]): on AMD CPUs only.
pub(crate) fn amd_descends_everything() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("sse4a")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// A contiguous operand.
#[derive(Clone, Copy)]
pub(crate) struct Ptr(pub *const f32);

/// A broadcast scalar operand.
#[derive(Clone, Copy)]
pub(crate) struct Splat(pub f32);

impl Src for Ptr {
    #[inline(always)]
    unsafe fn load<S: Simd>(self, s: S, i: usize) -> S::V {
        // SAFETY: the caller guarantees `i..i+LANES` is readable.
        unsafe { s.load(self.0.add(i)) }
    }
    #[inline(always)]
    unsafe fn load_partial<S: Simd>(self, s: S, i: usize, len: usize) -> S::V {
        // SAFETY: the caller guarantees `i..i+len` is readable.
        unsafe { load_partial(s, self.0.add(i), len, 0.0) }
    }
    #[inline(always)]
    fn addr(self) -> Option<*const f32> {
        Some(self.0)
    }
}

impl Src for Splat {
    #[inline(always)]
    unsafe fn load<S: Simd>(self, s: S, _i: usize) -> S::V {
        s.splat(self.0)
    }
    #[inline(always)]
    unsafe fn load_partial<S: Simd>(self, s: S, _i: usize, _len: usize) -> S::V {
        s.splat(self.0)
    }
    #[inline(always)]
    fn addr(self) -> Option<*const f32> {
        None
    }
}

/// `out[i] = f(a[i], b[i], c[i])` for `i < n`, four vectors per iteration, then one,
/// then a padded tail. `out` may be the same pointer as any pointer operand.
/// `memory_bound` tells a loop limited by memory from one limited by `f`'s arithmetic
/// (see [`run_descending`]); a memory-bound loop writes a fresh output too large for the
/// caches with streaming stores (see [`streams_output`]).
///
/// # Safety
/// Pointer operands must be readable and `out` writable for `n` values; `out` may
/// alias an operand only exactly (same start).
#[inline(always)]
#[allow(clippy::too_many_arguments)] // three operands, their output, and the loop's kind
pub(crate) unsafe fn map3<S: Simd, A: Src, B: Src, C: Src>(
    s: S,
    a: A,
    b: B,
    c: C,
    out: *mut f32,
    n: usize,
    memory_bound: bool,
    f: impl Fn(S::V, S::V, S::V) -> S::V,
) {
    // SAFETY (both calls): forwarded from the caller; `streams_output` checked that `out`
    // is aligned to an `f32`, which the loops need to align their streaming stores.
    if !S::ANCHORED && memory_bound && streams_output(out, [a.addr(), b.addr(), c.addr()], n) {
        unsafe { map3_loops::<S, A, B, C, true>(s, a, b, c, out, n, memory_bound, &f) };
        s.stream_fence();
    } else {
        unsafe { map3_loops::<S, A, B, C, false>(s, a, b, c, out, n, memory_bound, &f) };
    }
}

/// [`map3`]'s loops; with `STREAM`, the four-vector steps store past the caches.
///
/// # Safety
/// As [`map3`]; with `STREAM`, `out` aligned to an `f32` and `n >= 8 * LANES`.
#[inline(always)]
#[allow(clippy::too_many_arguments)] // as `map3`
unsafe fn map3_loops<S: Simd, A: Src, B: Src, C: Src, const STREAM: bool>(
    s: S,
    a: A,
    b: B,
    c: C,
    out: *mut f32,
    n: usize,
    memory_bound: bool,
    f: &impl Fn(S::V, S::V, S::V) -> S::V,
) {
    let l = S::LANES;
    // Without a four-vector step (at most three single vectors and a partial one) the
    // direction hardly matters: short runs skip the test
    // (AVX2 `simd_add_assign` of one value: 217 -> 146 instructions a call, 11.7 -> 7.9
    // ns; of 16 values 13.3 -> 8.5 ns; `examples/overhead.rs`); short memory-bound runs
    // too (see `MIN_DESCENDING_MEMORY_BOUND`).
    let shortest = if memory_bound {
        MIN_DESCENDING_MEMORY_BOUND
    } else {
        4 * l
    };
    if !S::ANCHORED
        && n >= shortest
        && run_descending(out, [a.addr(), b.addr(), c.addr()], memory_bound)
    {
        // From the end down (see `run_descending`), four vectors per iteration as
        // below (two made tanh 10 % slower).
        let mut i = n;
        // SAFETY: a trailing partial vector at `i..n` first, then full vectors only at
        // `i..i+4l <= n` (or `i..i+l`), then the leading `i < l` values as a partial
        // vector. With `STREAM` (so `n >= 8l` and `out` f32-aligned), the peeled tail
        // leaves every four-vector step's `out + i` vector-aligned.
        unsafe {
            // Peel a tail so that the main loop's stores are vector-aligned, as the
            // ascending loop peels a head (relu at 16 K with the output 352 bytes after
            // its input modulo 4096: 0.079 -> 0.072 ns/element on AVX2).
            let tail = (out.add(n) as usize / 4) % l;
            if tail != 0 && n >= 8 * l {
                i = n - tail;
                one_vector(s, a, b, c, out, i, tail, f);
            }
            while i >= 4 * l {
                i -= 4 * l;
                four_vectors::<S, A, B, C, STREAM>(s, a, b, c, out, i, f);
            }
            while i >= l {
                i -= l;
                one_vector(s, a, b, c, out, i, l, f);
            }
            one_vector(s, a, b, c, out, 0, i, f);
        }
        return;
    }
    let mut i = 0;
    // SAFETY: every access below stays inside `0..n` (a head of `head < l` values,
    // full vectors only while `i + k*l <= n`, then a tail of `n - i < l` values). With
    // `STREAM` (so `n >= 8l` and `out` f32-aligned), the peeled head leaves every
    // four-vector step's `out + i` vector-aligned.
    unsafe {
        // Peel a head so that the stores of the main loop are vector-aligned: split
        // stores across cache lines cost twice on wide vectors.
        let misaligned = (out as usize / 4) % l;
        if !S::ANCHORED && misaligned != 0 && n >= 8 * l {
            let head = l - misaligned;
            one_vector(s, a, b, c, out, 0, head, f);
            i = head;
        }
        while i + 4 * l <= n {
            four_vectors::<S, A, B, C, STREAM>(s, a, b, c, out, i, f);
            i += 4 * l;
        }
        while i + l <= n {
            one_vector(s, a, b, c, out, i, l, f);
            i += l;
        }
        one_vector(s, a, b, c, out, i, n - i, f);
    }
}

/// `map3`'s step over the four vectors at `i`: every load before any store, since `out`
/// may be one of the operands; with `STREAM`, streaming stores.
///
/// # Safety
/// Pointer operands must be readable and `out` writable at `i..i + 4 * LANES`; with
/// `STREAM`, `out + i` aligned to `4 * LANES` bytes.
#[inline(always)]
unsafe fn four_vectors<S: Simd, A: Src, B: Src, C: Src, const STREAM: bool>(
    s: S,
    a: A,
    b: B,
    c: C,
    out: *mut f32,
    i: usize,
    f: &impl Fn(S::V, S::V, S::V) -> S::V,
) {
    let l = S::LANES;
    // SAFETY: forwarded from the caller.
    unsafe {
        let r0 = f(a.load(s, i), b.load(s, i), c.load(s, i));
        let r1 = f(a.load(s, i + l), b.load(s, i + l), c.load(s, i + l));
        let r2 = f(
            a.load(s, i + 2 * l),
            b.load(s, i + 2 * l),
            c.load(s, i + 2 * l),
        );
        let r3 = f(
            a.load(s, i + 3 * l),
            b.load(s, i + 3 * l),
            c.load(s, i + 3 * l),
        );
        if STREAM {
            s.store_stream(out.add(i), r0);
            s.store_stream(out.add(i + l), r1);
            s.store_stream(out.add(i + 2 * l), r2);
            s.store_stream(out.add(i + 3 * l), r3);
        } else {
            s.store(out.add(i), r0);
            s.store(out.add(i + l), r1);
            s.store(out.add(i + 2 * l), r2);
            s.store(out.add(i + 3 * l), r3);
        }
    }
}

/// `map3`'s step over `len <= LANES` values at `i`: a full vector, a padded partial one,
/// or nothing for `len == 0`.
///
/// # Safety
/// Pointer operands must be readable and `out` writable at `i..i + len`.
#[inline(always)]
#[allow(clippy::too_many_arguments)] // the three operands of `map3` and their position
unsafe fn one_vector<S: Simd, A: Src, B: Src, C: Src>(
    s: S,
    a: A,
    b: B,
    c: C,
    out: *mut f32,
    i: usize,
    len: usize,
    f: &impl Fn(S::V, S::V, S::V) -> S::V,
) {
    // SAFETY: forwarded from the caller.
    unsafe {
        if len == S::LANES {
            s.store(out.add(i), f(a.load(s, i), b.load(s, i), c.load(s, i)));
        } else if len > 0 {
            let r = f(
                a.load_partial(s, i, len),
                b.load_partial(s, i, len),
                c.load_partial(s, i, len),
            );
            store_partial(s, out.add(i), len, r);
        }
    }
}

/// The arithmetic operator of a binary kernel (a `u8` so it can be a const parameter).
pub(crate) mod binop {
    pub(crate) const ADD: u8 = 0;
    pub(crate) const SUB: u8 = 1;
    pub(crate) const MUL: u8 = 2;
    pub(crate) const DIV: u8 = 3;
}

/// `out = a OP b`, exactly the IEEE operation of ndarray's operator.
///
/// # Safety
/// As [`map3`].
#[inline(always)]
pub(crate) unsafe fn binary<S: Simd, const OP: u8, A: Src, B: Src>(
    s: S,
    a: A,
    b: B,
    out: *mut f32,
    n: usize,
) {
    // SAFETY: forwarded from the caller.
    unsafe {
        map3(s, a, b, Splat(0.0), out, n, true, |x, y, _| match OP {
            binop::ADD => s.add(x, y),
            binop::SUB => s.sub(x, y),
            binop::MUL => s.mul(x, y),
            _ => s.div(x, y),
        })
    }
}

/// `out[i] = f(a[i])`: a memory-bound one-input [`map3`].
///
/// # Safety
/// As [`map3`].
#[inline(always)]
unsafe fn map1<S: Simd>(s: S, a: *const f32, out: *mut f32, n: usize, f: impl Fn(S::V) -> S::V) {
    // SAFETY: forwarded from the caller.
    unsafe {
        map3(
            s,
            Ptr(a),
            Splat(0.0),
            Splat(0.0),
            out,
            n,
            true,
            |x, _, _| f(x),
        )
    }
}

/// `out = |a|` (`f32::abs`).
///
/// # Safety
/// As [`map3`].
#[inline(always)]
pub(crate) unsafe fn abs<S: Simd>(s: S, a: *const f32, out: *mut f32, n: usize) {
    // SAFETY: forwarded from the caller.
    unsafe { map1(s, a, out, n, |x| s.abs(x)) }
}

/// `out = if a <= 0 { +0.0 } else { a }`: negative values and -0.0 become +0.0, NaN stays.
///
/// # Safety
/// As [`map3`].
#[inline(always)]
pub(crate) unsafe fn relu<S: Simd>(s: S, a: *const f32, out: *mut f32, n: usize) {
    // SAFETY: forwarded from the caller.
    unsafe {
        map1(s, a, out, n, |x| {
            let zero = s.zero();
            // max(0, x) is `0 > x ? 0 : x`: NaN stays NaN, and -0.0 stays -0.0 until the
            // added +0.0 makes it +0.0 (exact for every other value).
            s.add(s.max(zero, x), zero)
        })
    }
}

/// `out = a.clamp(lo, hi)` for `lo <= hi` (checked by the caller), NaN stays NaN.
///
/// # Safety
/// As [`map3`].
#[inline(always)]
pub(crate) unsafe fn clamp<S: Simd>(
    s: S,
    a: *const f32,
    lo: f32,
    hi: f32,
    out: *mut f32,
    n: usize,
) {
    // SAFETY: forwarded from the caller.
    unsafe {
        // max(lo, x) is `lo > x ? lo : x` = `x < lo ? lo : x` (NaN x stays x), and
        // min(hi, r) is `hi < r ? hi : r`: exactly f32::clamp's two steps.
        map3(
            s,
            Ptr(a),
            Splat(lo),
            Splat(hi),
            out,
            n,
            true,
            |x, lo, hi| s.min(hi, s.max(lo, x)),
        )
    }
}

/// `out = a + t * (b - a)`, rounded after each operation, in that order.
///
/// # Safety
/// As [`map3`].
#[inline(always)]
pub(crate) unsafe fn lerp<S: Simd>(
    s: S,
    a: *const f32,
    b: *const f32,
    t: f32,
    out: *mut f32,
    n: usize,
) {
    // SAFETY: forwarded from the caller.
    unsafe {
        map3(s, Ptr(a), Ptr(b), Splat(t), out, n, true, |a, b, t| {
            s.add(a, s.mul(t, s.sub(b, a)))
        })
    }
}

/// `out = a.mul_add(b, c)`: one rounding.
///
/// # Safety
/// As [`map3`].
#[inline(always)]
pub(crate) unsafe fn fma<S: Simd>(
    s: S,
    a: *const f32,
    b: *const f32,
    c: *const f32,
    out: *mut f32,
    n: usize,
) {
    // SAFETY: forwarded from the caller.
    unsafe {
        map3(s, Ptr(a), Ptr(b), Ptr(c), out, n, true, |a, b, c| {
            s.mul_add(a, b, c)
        })
    }
}

/// `acc = if x is NaN or x > acc { x } else { acc }`: a running maximum in which NaN
/// sticks and ties keep the earlier value.
///
/// # Safety
/// As [`map3`], with `acc` as both operand and output.
#[inline(always)]
pub(crate) unsafe fn max_update<S: Simd>(s: S, acc: *mut f32, x: *const f32, n: usize) {
    // SAFETY: forwarded from the caller.
    unsafe {
        map3(s, Ptr(acc), Ptr(x), Splat(0.0), acc, n, true, |m, x, _| {
            max_step(s, m, x)
        })
    }
}

/// One step of [`max_update`]: `x` if it is NaN or above `m`, else `m` (so a NaN, once
/// in, stays; on equal values, ±0 included, `m` stays). Written as `max(x, m)` (`x > m ?
/// x : m`) with NaN `x` selected apart: the plain `select(NaN or m < x, x, m)` let LLVM
/// store the in-place update as a masked store of `x` over `m`, which on AVX2
/// (`vmaskmovps`) took the development EPYC 2.2x as long (max along axis 0 of every
/// other column of a 512 x 1024 array, AVX2 table: 169 against 76 us).
#[inline(always)]
pub(crate) fn max_step<S: Simd>(s: S, m: S::V, x: S::V) -> S::V {
    s.select(s.is_nan(x), x, s.max(x, m))
}

/// `out[i] = src[2 i]` for `i < n`: every other value of a strided lane, gathered into a
/// buffer for the slice kernels. A plain loop, whose source reads the `n` values and no
/// address between them; the compiler vectorizes it for the table's ISA (loads of whole
/// vectors inside the span, the values between dropped by shuffles: its memory model
/// allows such loads, which neither fault nor change a value). On the development EPYC
/// that beat every explicit form: AVX2 adds every other column of a 512 x 512 array in
/// 47 us this way, 61 through masked loads (`vmaskmovps`), 62 through eight single
/// loads, 124 through `vgatherdps`; AVX-512 49 as through its masked loads; the idiom 52.
///
/// # Safety
/// `src[2 i]` must be readable for `i < n` and `out` writable for `n` values.
#[inline(always)]
pub(crate) unsafe fn gather_even(src: *const f32, out: *mut f32, n: usize) {
    for i in 0..n {
        // SAFETY: `i < n`, as the caller guarantees.
        unsafe { *out.add(i) = *src.add(2 * i) };
    }
}

/// `out[2 i] = src[i]` for `i < n`: a staged strided lane written back, touching no
/// address between those (see [`Simd::store_even`]).
///
/// # Safety
/// `src` must be readable for `n` values and `out[2 i]` writable for `i < n`.
#[inline(always)]
pub(crate) unsafe fn scatter_even<S: Simd>(s: S, src: *const f32, out: *mut f32, n: usize) {
    let l = S::LANES;
    let mut i = 0;
    // SAFETY: full vectors only while `i + l <= n`, then single values below `n`.
    unsafe {
        while i + l <= n {
            s.store_even(out.add(2 * i), s.load(src.add(i)));
            i += l;
        }
        while i < n {
            *out.add(2 * i) = *src.add(i);
            i += 1;
        }
    }
}
