//! Folding the rows of a block into an accumulator, one row after another: the axis
//! reductions over an outer axis (`simd_sum_axis(Axis(0))` of a C array), with many
//! columns' running values held in registers down all the rows instead of loaded and
//! stored once per row.

use super::simd::{load_partial, store_partial, Simd};

/// `acc[j] = f(acc[j], x[r * stride + j])` for `r` in `0..rows`, in that order, for every
/// `j < n`: the same values, bit for bit, as folding the rows in one call per row.
/// Columns go in passes of eight vectors (eight independent chains per row keep the
/// adder busy through its latency), then one pass of four, two or one, then a partial
/// vector.
///
/// # Safety
/// `acc` must be readable and writable for `n` values; `x.offset(r * stride)` readable for
/// `n` values for every `r < rows`; `acc` must not overlap any row.
#[inline(always)]
pub(crate) unsafe fn fold_rows<S: Simd>(
    s: S,
    acc: *mut f32,
    x: *const f32,
    rows: usize,
    stride: isize,
    n: usize,
    f: impl Fn(S::V, S::V) -> S::V,
) {
    let l = S::LANES;
    // Rows in blocks of about 64 KiB (at least eight rows): the columns of one block go
    // pass by pass, each pass reading a few cache lines of every row of the block, which
    // stay few enough to stream well; the next block continues from the accumulator.
    let block = (BLOCK_VALUES / n.max(1)).max(8);
    let mut r = 0;
    while r < rows {
        let take = block.min(rows - r);
        let x = x.wrapping_offset(r as isize * stride);
        let mut j = 0;
        // SAFETY (all calls): rows `r..r + take` of the caller's, columns
        // `j..j + W * l <= n` or the partial `j..n`.
        unsafe {
            while j + 8 * l <= n {
                pass::<S, 8>(s, acc.add(j), x.add(j), take, stride, &f);
                j += 8 * l;
            }
            if j + 4 * l <= n {
                pass::<S, 4>(s, acc.add(j), x.add(j), take, stride, &f);
                j += 4 * l;
            }
            if j + 2 * l <= n {
                pass::<S, 2>(s, acc.add(j), x.add(j), take, stride, &f);
                j += 2 * l;
            }
            if j + l <= n {
                pass::<S, 1>(s, acc.add(j), x.add(j), take, stride, &f);
                j += l;
            }
            if j < n {
                let width = n - j;
                let mut v = load_partial(s, acc.add(j), width, 0.0);
                let mut row = x.add(j);
                for _ in 0..take {
                    v = f(v, load_partial(s, row, width, 0.0));
                    row = row.wrapping_offset(stride);
                }
                store_partial(s, acc.add(j), width, v);
            }
        }
        r += take;
    }
}

/// Values per block of rows in [`fold_rows`].
const BLOCK_VALUES: usize = 16 * 1024;

/// [`fold_rows`] over `W` full vectors of columns.
///
/// # Safety
/// `acc` readable and writable for `W * LANES` values, `x.offset(r * stride)` readable
/// for as many for every `r < rows`.
#[inline(always)]
unsafe fn pass<S: Simd, const W: usize>(
    s: S,
    acc: *mut f32,
    x: *const f32,
    rows: usize,
    stride: isize,
    f: &impl Fn(S::V, S::V) -> S::V,
) {
    let l = S::LANES;
    // SAFETY: the columns `0..W * l` of `acc` and of each row `r < rows` (the row pointer
    // moves on with `wrapping_offset`, so the step past the last row never dereferences).
    unsafe {
        let mut values: [S::V; W] = core::array::from_fn(|k| s.load(acc.add(k * l)));
        let mut row = x;
        for _ in 0..rows {
            for (k, v) in values.iter_mut().enumerate() {
                *v = f(*v, s.load(row.add(k * l)));
            }
            row = row.wrapping_offset(stride);
        }
        for (k, v) in values.iter().enumerate() {
            s.store(acc.add(k * l), *v);
        }
    }
}
