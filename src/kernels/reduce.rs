//! Reductions, written once over [`Simd`], in one fixed accumulation order so that every
//! backend returns the same bits.
//!
//! # The canonical summation order
//! Elements are grouped in blocks of [`BLOCK`] = 512 consecutive values. Inside a block,
//! element `i` goes to virtual lane `i % 32`, and each of the 32 lanes adds its 16 values
//! left to right, starting from +0.0. The per-block lane vectors are combined pairwise by
//! a binary counter (block sums 2k and 2k+1 first, then pairs of pairs, …), and the
//! final 32 lanes are folded by halves (lane j + lane j+16, then j+8, …, j+1). The last,
//! partial block is padded with +0.0, which changes nothing. The error bound is that of
//! pairwise summation: about `(16 + 5 + log2(n / 512)) * eps * sum(|x|)`.
//!
//! A backend with `L` lanes keeps `32 / L` vector accumulators, so the order depends on
//! indices only, never on the vector width.

use super::simd::{load_partial, Simd};
use core::mem::MaybeUninit;

/// Number of virtual lanes of the canonical order.
pub(crate) const VLANES: usize = 32;
/// Elements per block of the canonical order.
pub(crate) const BLOCK: usize = VLANES * 16;

/// Block sums waiting to be combined pairwise: the running state of one reduction.
///
/// Feeding it several runs of a multiple of [`BLOCK`] values followed by one final run of
/// any length gives the same bits as one run over all values.
pub(crate) struct Partials {
    /// `levels[l]` holds the lane sums of a group of `2^l` blocks exactly when bit `l`
    /// of `blocks` is set (a binary counter); other entries are never read, so they are
    /// left uninitialised and a fresh state costs nothing to create.
    levels: [MaybeUninit<[f32; VLANES]>; 64],
    blocks: u64,
}

impl Default for Partials {
    fn default() -> Self {
        Partials {
            levels: [const { MaybeUninit::uninit() }; 64],
            blocks: 0,
        }
    }
}

#[inline(always)]
fn add_lanes(a: &[f32; VLANES], b: &[f32; VLANES]) -> [f32; VLANES] {
    core::array::from_fn(|j| a[j] + b[j])
}

/// `lanes[j] += lanes[j + H]` for `j < H`.
#[inline(always)]
fn fold_half<const H: usize>(lanes: &mut [f32; VLANES]) {
    for j in 0..H {
        lanes[j] += lanes[j + H];
    }
}

/// The 32 lanes folded by halves (lane j + lane j+16, then j+8, …, j+1), with constant
/// trip counts so that it compiles to a few vector adds.
#[inline(always)]
fn fold_lanes(mut lanes: [f32; VLANES]) -> f32 {
    fold_half::<16>(&mut lanes);
    fold_half::<8>(&mut lanes);
    fold_half::<4>(&mut lanes);
    fold_half::<2>(&mut lanes);
    fold_half::<1>(&mut lanes);
    lanes[0]
}

impl Partials {
    /// The group at `level`; its bit in `blocks` must be set.
    #[inline(always)]
    fn level(&self, level: usize) -> &[f32; VLANES] {
        assert!(
            (self.blocks >> level) & 1 == 1,
            "level {level} holds no group"
        );
        // SAFETY: a set bit means `push_level` wrote this entry (the counter invariant).
        unsafe { self.levels[level].assume_init_ref() }
    }

    /// Adds one block's lane sums, combining equal-sized groups as a binary counter does.
    #[inline(always)]
    pub(crate) fn push(&mut self, block: [f32; VLANES]) {
        self.push_level(0, block);
    }

    /// Adds the lane sums of `2^level` blocks (a subtree of the canonical order); the
    /// blocks seen so far must be a multiple of `2^level`.
    #[inline(always)]
    pub(crate) fn push_level(&mut self, level: u32, lanes: [f32; VLANES]) {
        let unit = 1u64 << level;
        debug_assert_eq!(self.blocks % unit, 0);
        let mut carry = lanes;
        let mut level = level as usize;
        while (self.blocks >> level) & 1 == 1 {
            carry = add_lanes(self.level(level), &carry);
            level += 1;
        }
        self.levels[level] = MaybeUninit::new(carry);
        self.blocks += unit;
    }

    /// The lane sums of exactly `2^level` blocks fed into a fresh state.
    pub(crate) fn subtree(&self, level: u32) -> [f32; VLANES] {
        assert_eq!(
            self.blocks,
            1 << level,
            "a subtree is a full power-of-two group"
        );
        *self.level(level as usize)
    }

    /// The total: remaining groups combined from the latest (smallest) to the earliest,
    /// then the 32 lanes folded by halves.
    pub(crate) fn total(&self) -> f32 {
        if self.blocks == 1 {
            // The common small case: one block, nothing to combine.
            return fold_lanes(*self.level(0));
        }
        let mut lanes = [0.0f32; VLANES];
        let mut seen = false;
        let mut bits = self.blocks;
        while bits != 0 {
            let level = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            lanes = if seen {
                add_lanes(self.level(level), &lanes)
            } else {
                *self.level(level)
            };
            seen = true;
        }
        fold_lanes(lanes)
    }
}

/// The term of a scaled sum of squares, `(x·k)²`: two products, each rounded (not fused,
/// so that every backend gives the same bits). With `k = 1` it is `x·x` bit for bit
/// (`x·1` is `x`), which the kernels
/// compute without the first multiply: that saves one of three vector operations per
/// load (AVX-512 `norm_l2` at 256 K on the Xeon: 77 % of its read ceiling in two runs
/// before, 94 % after; AVX2 at 16 K here 0.044 -> 0.040 ns/element).
#[inline(always)]
pub(crate) fn square<S: Simd>(s: S, x: S::V, k: S::V) -> S::V {
    let y = s.mul(x, k);
    s.mul(y, y)
}

/// Adds `term(x_0[i], …, x_{K-1}[i])` for `i < n` to `acc` in the canonical order.
/// `term` must map all-zero inputs to +0.0 or -0.0 (padding relies on it).
///
/// # Safety
/// Each of the `K` pointers must be readable for `n` values.
#[inline(always)]
pub(crate) unsafe fn pairwise<S: Simd, const K: usize>(
    s: S,
    ptrs: [*const f32; K],
    n: usize,
    term: impl Fn([S::V; K]) -> S::V,
    acc: &mut Partials,
) {
    let l = S::LANES;
    let mut start = 0;
    // Values to the first vector boundary, if every pointer has the same (blocks are a
    // whole number of vectors long, so it holds for every block).
    let head = ptrs.map(|p| (l - (p as usize / 4) % l) % l);
    let head = if S::ALIGNED_BLOCKS && K > 0 && head.iter().all(|&h| h == head[0]) {
        head[0]
    } else {
        0
    };
    while start < n {
        let end = (start + BLOCK).min(n);
        if head != 0 && end - start == BLOCK {
            // SAFETY: the block `start..start + BLOCK` lies inside the `n` readable values.
            acc.push(unsafe { block_lanes_aligned(s, ptrs, start, head, &term) });
            start = end;
            continue;
        }
        // SAFETY: `start..end` lies inside the `n` readable values.
        let v = unsafe { block_accumulators(s, ptrs, start, end, &term) };
        let mut lanes = [0.0f32; VLANES];
        for (k, vk) in v.iter().enumerate().take(VLANES / l) {
            // SAFETY: `lanes` has room for `(VLANES / l) * l = VLANES` values.
            unsafe { s.store(lanes.as_mut_ptr().add(k * l), *vk) };
        }
        acc.push(lanes);
        start = end;
    }
}

/// The canonical total of `term` over `n <= BLOCK` values: one block, its lane sums
/// folded by halves in registers (the same bits as [`pairwise`] into a fresh
/// [`Partials`] followed by [`Partials::total`], without the state's round trip).
///
/// # Safety
/// Each of the `K` pointers must be readable for `n` values.
#[inline(always)]
pub(crate) unsafe fn block_total<S: Simd, const K: usize>(
    s: S,
    ptrs: [*const f32; K],
    n: usize,
    term: impl Fn([S::V; K]) -> S::V,
) -> f32 {
    assert!(n <= BLOCK, "one block at most");
    // SAFETY: forwarded from the caller.
    let mut v = unsafe { block_accumulators(s, ptrs, 0, n, &term) };
    // Virtual lane `j` lives in vector `j / LANES`: folding lane j + j+H for H >= LANES
    // adds whole vectors, the last halves are folded inside one vector.
    let mut half = VLANES / S::LANES / 2;
    while half >= 1 {
        for k in 0..half {
            v[k] = s.add(v[k], v[k + half]);
        }
        half /= 2;
    }
    let mut lanes = [0.0f32; 16];
    // SAFETY: `lanes` has room for 16 >= LANES values.
    unsafe { s.store(lanes.as_mut_ptr(), v[0]) };
    let mut half = S::LANES / 2;
    while half >= 1 {
        for j in 0..half {
            lanes[j] += lanes[j + half];
        }
        half /= 2;
    }
    lanes[0]
}

/// A reduction of each of `lanes` rows of `N` values, row `r` at `x + r * N`, to
/// `out[r]`: scalar code over one row at a time, for the compiler to vectorize across
/// rows (see [`short_rows`]).
pub(crate) trait ShortRows {
    /// # Safety
    /// `x` readable for `lanes * N` values, `out` writable for `lanes`.
    unsafe fn rows<const N: usize>(x: *const f32, lanes: usize, out: *mut f32);
}

/// The canonical totals: each value alone in its virtual lane (`+0.0 + x_j`), the 32
/// lanes folded by halves, as [`block_total`] sums one such row. Vectorized across rows
/// (loads of whole vectors of consecutive rows, shuffles): a 65536 x 4 array summed along
/// its rows took 200 us row by row through `block_total` on the development EPYC,
/// ndarray's `sum_axis` 183.
pub(crate) struct RowTotals;

impl ShortRows for RowTotals {
    #[inline(always)]
    unsafe fn rows<const N: usize>(x: *const f32, lanes: usize, out: *mut f32) {
        const { assert!(N <= 16) };
        for r in 0..lanes {
            let mut v = [0.0f32; VLANES];
            for (j, lane) in v.iter_mut().enumerate().take(N) {
                // SAFETY: value `j < N` of row `r < lanes`.
                *lane = 0.0 + unsafe { *x.add(r * N + j) };
            }
            // SAFETY: `r < lanes`.
            unsafe { *out.add(r) = fold_lanes(v) };
        }
    }
}

/// The maxima, NaN where the row holds one (which of ±0 a zero maximum keeps is left
/// open, as for [`Kernels::max_lanes`](super::Kernels)): 131072 x 2 maxima along the rows
/// took 665 us one `extreme` per row on the development EPYC, `map_axis` with
/// ndarray-stats' `max` 472.
pub(crate) struct RowMaxima;

impl ShortRows for RowMaxima {
    #[inline(always)]
    unsafe fn rows<const N: usize>(x: *const f32, lanes: usize, out: *mut f32) {
        for r in 0..lanes {
            // SAFETY: values `j < N` of row `r < lanes`.
            let value = |j: usize| unsafe { *x.add(r * N + j) };
            // A NaN, once in, stays: no value is above it, and it is taken over any.
            let mut max = value(0);
            for j in 1..N {
                let v = value(j);
                max = if v > max || v.is_nan() { v } else { max };
            }
            // SAFETY: `r < lanes`.
            unsafe { *out.add(r) = max };
        }
    }
}

/// `R` over rows of `n` values `stride` apart, when they follow each other
/// (`stride == n`) and `n <= 8`; `false` (nothing written) otherwise. (Rows of 9 to 16
/// values are not vectorized so: the sums took up to twice as long as one `block_total`
/// per row.)
///
/// # Safety
/// Row `r < lanes` readable for `n` values at `x + r * stride`, `out` writable for `lanes`.
#[inline(always)]
pub(crate) unsafe fn short_rows<R: ShortRows>(
    x: *const f32,
    lanes: usize,
    stride: isize,
    n: usize,
    out: *mut f32,
) -> bool {
    if stride != n as isize {
        return false;
    }
    // SAFETY: `lanes` rows of `n` values one after another, as the caller guarantees.
    unsafe {
        match n {
            1 => R::rows::<1>(x, lanes, out),
            2 => R::rows::<2>(x, lanes, out),
            3 => R::rows::<3>(x, lanes, out),
            4 => R::rows::<4>(x, lanes, out),
            5 => R::rows::<5>(x, lanes, out),
            6 => R::rows::<6>(x, lanes, out),
            7 => R::rows::<7>(x, lanes, out),
            8 => R::rows::<8>(x, lanes, out),
            _ => return false,
        }
    }
    true
}

/// The lane sums of the full block `start..start + BLOCK` when its pointers lie `head`
/// values (`0 < head < LANES`) before a vector boundary: the same sums, in the same
/// order, as [`block_accumulators`], from loads that never straddle two vectors' worth
/// of alignment (a straddling 32-byte load cost 13 % on a 256 K AVX2 dot from L3).
///
/// The accumulators are rotated: vector `k` holds virtual lanes `head + k * LANES ..`
/// (mod 32), so the last one carries lanes `0..head` of the next group of 32 values
/// along with the end of the current one. The first `head` values (lanes `0..head`
/// of group 0) enter its top lanes, the last vector of the block is partial, and the
/// lanes are turned back into order on the way out. Every lane still adds its 16 values
/// left to right; the padding lanes add +0.0, which changes nothing.
///
/// # Safety
/// Each of the `K` pointers must be readable for `start + BLOCK` values.
#[inline(always)]
unsafe fn block_lanes_aligned<S: Simd, const K: usize>(
    s: S,
    ptrs: [*const f32; K],
    start: usize,
    head: usize,
    term: &impl Fn([S::V; K]) -> S::V,
) -> [f32; VLANES] {
    let l = S::LANES;
    let last = VLANES / l - 1;
    let mut v = [s.zero(); VLANES];
    // SAFETY: the head reads `start..start + head`; then whole groups of 32 from
    // `start + head` while they fit before `start + BLOCK`, and the last group's
    // vectors partially (the last one holds `l - head` values): all inside the block.
    unsafe {
        let mut x = [s.zero(); K];
        for (xj, p) in x.iter_mut().zip(ptrs) {
            *xj = s.load_partial_high(p.add(start), head);
        }
        v[last] = s.add(v[last], term(x));
        v = accumulate(s, ptrs, start + head, start + BLOCK, term, v);
    }
    // Slot k, lane p holds virtual lane (head + k l + p) mod 32, so the vector of lanes
    // k l .. (k + 1) l is the top `head` lanes of slot k - 1 and the rest of slot k.
    let mut lanes = [0.0f32; VLANES];
    for k in 0..=last {
        let v = s.concat_shift(v[(k + last) % (last + 1)], v[k], l - head);
        // SAFETY: `lanes` has room for `(last + 1) * l = VLANES` values.
        unsafe { s.store(lanes.as_mut_ptr().add(k * l), v) };
    }
    lanes
}

/// The `VLANES / LANES` vector accumulators of the block `start..end` (at most
/// [`BLOCK`] values): vector `k` holds virtual lanes `k * LANES..(k + 1) * LANES`; the
/// other entries stay zero.
///
/// # Safety
/// Each of the `K` pointers must be readable for `end` values.
#[inline(always)]
unsafe fn block_accumulators<S: Simd, const K: usize>(
    s: S,
    ptrs: [*const f32; K],
    start: usize,
    end: usize,
    term: &impl Fn([S::V; K]) -> S::V,
) -> [S::V; VLANES] {
    // SAFETY: forwarded from the caller.
    unsafe { accumulate(s, ptrs, start, end, term, [s.zero(); VLANES]) }
}

/// [`block_accumulators`] continuing from the accumulators `v`.
///
/// # Safety
/// Each of the `K` pointers must be readable for `end` values.
#[inline(always)]
unsafe fn accumulate<S: Simd, const K: usize>(
    s: S,
    ptrs: [*const f32; K],
    start: usize,
    end: usize,
    term: &impl Fn([S::V; K]) -> S::V,
    mut v: [S::V; VLANES],
) -> [S::V; VLANES] {
    let l = S::LANES;
    let accs = VLANES / l;
    let mut i = start;
    // SAFETY: full vectors are read only while `i + VLANES <= end`; the last partial
    // chunk reads exactly the `end - off` values left in each vector slot.
    unsafe {
        while i + VLANES <= end {
            for (k, vk) in v.iter_mut().enumerate().take(accs) {
                let mut x = [s.zero(); K];
                for (xj, p) in x.iter_mut().zip(ptrs) {
                    *xj = s.load(p.add(i + k * l));
                }
                *vk = s.add(*vk, term(x));
            }
            i += VLANES;
        }
        if i < end {
            for (k, vk) in v.iter_mut().enumerate().take(accs) {
                let off = i + k * l;
                if off >= end {
                    break;
                }
                let len = (end - off).min(l);
                // Loops, not `array::map`: its closure would not inherit the
                // target features (and would call every intrinsic out of line).
                let mut x = [s.zero(); K];
                for (xj, p) in x.iter_mut().zip(ptrs) {
                    *xj = if len == l {
                        s.load(p.add(off))
                    } else {
                        load_partial(s, p.add(off), len, 0.0)
                    };
                }
                *vk = s.add(*vk, term(x));
            }
        }
    }
    v
}

/// The largest or smallest of `map(x[i])`, and whether any of them was NaN.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Extreme {
    /// The extreme value (meaningless when `nan` is set; ±∞ for empty input).
    pub(crate) value: f32,
    /// Whether a NaN was seen.
    pub(crate) nan: bool,
}

/// The maximum (`MAX`) or minimum of `map(x[i])` for `i < n`, with NaN reported apart.
/// When several values tie (±0.0), which one is returned is unspecified. A partial tail
/// is padded with `pad`, which `map` must turn into a value that cannot win.
///
/// # Safety
/// `x` must be readable for `n` values.
#[inline(always)]
pub(crate) unsafe fn extreme<S: Simd, const MAX: bool>(
    s: S,
    x: *const f32,
    n: usize,
    pad: f32,
    map: impl Fn(S::V) -> S::V,
) -> Extreme {
    let l = S::LANES;
    let fill = if MAX {
        f32::NEG_INFINITY
    } else {
        f32::INFINITY
    };
    let pick = |a, b| if MAX { s.max(a, b) } else { s.min(a, b) };
    let mut acc = [s.splat(fill); 4];
    // `v * 0 + poison`: NaN from the first NaN or infinite value on (one FMA per vector
    // instead of a compare and an OR: AVX2 norm_linf 16 K 0.040 -> 0.035 ns/el); a
    // poisoned scan is checked exactly below.
    let zero = s.zero();
    let mut poison = [zero; 4];
    let mut tail_nan = s.is_nan(zero);
    let mut i = 0;
    // SAFETY: a head of `i < l` values, full vectors only while they fit in `0..n`,
    // then a partial tail.
    unsafe {
        // Vector-aligned loads after a partial head, where vectors would otherwise
        // straddle cache lines (AVX-512 max at 256 K, 16-byte-aligned data: 0.045 ->
        // 0.041 ns/el); the extreme does not depend on the grouping.
        let misaligned = (x as usize / 4) % l;
        if S::ALIGNED_BLOCKS && n >= 8 * l && misaligned != 0 {
            let head = l - misaligned;
            let v = map(load_partial(s, x, head, pad));
            tail_nan = s.mask_or(tail_nan, s.is_nan(v));
            acc[0] = pick(acc[0], v);
            i = head;
        }
        while i + 4 * l <= n {
            for (k, a) in acc.iter_mut().enumerate() {
                let v = map(s.load(x.add(i + k * l)));
                poison[k] = s.mul_add_fast(v, zero, poison[k]);
                *a = pick(*a, v);
            }
            i += 4 * l;
        }
        while i < n {
            let len = (n - i).min(l);
            let v = map(load_partial(s, x.add(i), len, pad));
            // The padding may be infinite: an exact NaN test here.
            tail_nan = s.mask_or(tail_nan, s.is_nan(v));
            acc[0] = pick(acc[0], v);
            i += len;
        }
    }
    // Below four vectors only `acc[0]` was used (a short path for small arrays).
    let main_loop = n >= 4 * l;
    let v = if main_loop {
        pick(pick(acc[0], acc[1]), pick(acc[2], acc[3]))
    } else {
        acc[0]
    };
    let mut lanes = [fill; 16];
    // SAFETY: `lanes` has room for 16 >= LANES values.
    unsafe { s.store(lanes.as_mut_ptr(), v) };
    // Folded by halves (a tree, not a chain of `LANES` dependent compares).
    let mut half = l / 2;
    while half >= 1 {
        for j in 0..half {
            let (m, y) = (lanes[j], lanes[j + half]);
            lanes[j] = if (MAX && y > m) || (!MAX && y < m) {
                y
            } else {
                m
            };
        }
        half /= 2;
    }
    let value = lanes[0];
    Extreme {
        value,
        // SAFETY: `x` is readable for `n` values (the caller's contract).
        nan: s.mask_bits(tail_nan) != 0
            || main_loop
                && s.mask_bits(
                    s.is_nan(s.add(s.add(poison[0], poison[1]), s.add(poison[2], poison[3]))),
                ) != 0
                && unsafe { any_nan(x, n) },
    }
}

/// Whether any of `x[..n]` is NaN: the exact check behind a poisoned extreme scan (rare:
/// an infinity or a NaN was seen), in plain code.
///
/// # Safety
/// `x` must be readable for `n` values.
#[inline(never)]
#[cold]
unsafe fn any_nan(x: *const f32, n: usize) -> bool {
    // SAFETY: forwarded from the caller.
    unsafe { core::slice::from_raw_parts(x, n) }
        .iter()
        .any(|v| v.is_nan())
}

/// Elements per block of [`extreme_block`].
pub(crate) const ARG_BLOCK: usize = 2048;

/// Like [`extreme`] (identity map), plus the start of the first block of
/// [`ARG_BLOCK`] elements whose extreme equals the overall one: the first occurrence of
/// the extreme value lies in that block.
///
/// # Safety
/// `x` must be readable for `n` values.
#[inline(always)]
pub(crate) unsafe fn extreme_block<S: Simd, const MAX: bool>(
    s: S,
    x: *const f32,
    n: usize,
) -> (Extreme, usize) {
    let fill = if MAX {
        f32::NEG_INFINITY
    } else {
        f32::INFINITY
    };
    let mut best = Extreme {
        value: fill,
        nan: false,
    };
    let mut best_start = 0;
    let mut start = 0;
    while start < n {
        let len = ARG_BLOCK.min(n - start);
        // SAFETY: `start..start + len` lies inside `0..n`.
        let e = unsafe { extreme::<S, MAX>(s, x.add(start), len, fill, |v| v) };
        best.nan |= e.nan;
        let better = if MAX {
            e.value > best.value
        } else {
            e.value < best.value
        };
        if better || start == 0 {
            best.value = e.value;
            best_start = start;
        }
        start += len;
    }
    (best, best_start)
}

/// The first `i < n` with `x[i] == v`, or `n`.
///
/// # Safety
/// `x` must be readable for `n` values.
#[inline(always)]
pub(crate) unsafe fn find_eq<S: Simd>(s: S, x: *const f32, n: usize, v: f32) -> usize {
    let l = S::LANES;
    let target = s.splat(v);
    let mut i = 0;
    // SAFETY: full vectors are read only while they fit in `0..n`, then a partial tail
    // padded with NaN, which equals nothing.
    unsafe {
        while i + 4 * l <= n {
            let hit = s.mask_or(
                s.mask_or(
                    s.eq(s.load(x.add(i)), target),
                    s.eq(s.load(x.add(i + l)), target),
                ),
                s.mask_or(
                    s.eq(s.load(x.add(i + 2 * l)), target),
                    s.eq(s.load(x.add(i + 3 * l)), target),
                ),
            );
            if s.mask_bits(hit) != 0 {
                break;
            }
            i += 4 * l;
        }
        while i < n {
            let len = (n - i).min(l);
            let chunk = if len == l {
                s.load(x.add(i))
            } else {
                load_partial(s, x.add(i), len, f32::NAN)
            };
            let bits = s.mask_bits(s.eq(chunk, target));
            if bits != 0 {
                return i + bits.trailing_zeros() as usize;
            }
            i += len;
        }
    }
    n
}
