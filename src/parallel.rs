//! Splitting large contiguous work over threads (cargo feature `parallel`, rayon), with
//! results bit-identical to one thread: element-wise ops are independent per element,
//! sums are split at aligned power-of-two groups of blocks (exactly the subtrees the
//! canonical pairwise order builds anyway), and extremes combine in index order.
//!
//! Without the feature, or with one thread, or below [`MIN_PARALLEL`] elements, every
//! function here runs its closure once over the whole range.

use crate::kernels::reduce::{ARG_BLOCK, BLOCK};
use crate::kernels::Partials;
use crate::layout::Run;

/// Arrays shorter than this are never split.
pub(crate) const MIN_PARALLEL: usize = 1 << 18;

/// Raw pointers shared by the chunks of one split; each chunk touches its own range.
#[derive(Clone, Copy)]
struct Shared<T>(T);
// SAFETY: only used to hand disjoint ranges of the same buffers to the chunks of one
// split, which all finish before the split returns.
unsafe impl<T> Send for Shared<T> {}
// SAFETY: as above; the shared value itself is only copied.
unsafe impl<T> Sync for Shared<T> {}

impl<T: Copy> Shared<T> {
    fn get(&self) -> T {
        self.0
    }
}

/// Threads a split may use (1 without the `parallel` feature).
pub(crate) fn threads() -> usize {
    #[cfg(feature = "parallel")]
    {
        rayon::current_num_threads()
    }
    #[cfg(not(feature = "parallel"))]
    {
        1
    }
}

/// Number of chunks and chunk length for `len` elements, chunks a multiple of `align`.
#[inline(always)]
fn chunking(len: usize, align: usize) -> Option<(usize, usize)> {
    // Short arrays never ask the thread pool anything (that alone costs nanoseconds).
    if len < MIN_PARALLEL {
        return None;
    }
    let t = threads();
    if t <= 1 {
        return None;
    }
    let chunk = (len / (4 * t)).max(1 << 15).next_multiple_of(align);
    Some((len.div_ceil(chunk), chunk))
}

#[cfg(feature = "parallel")]
fn for_each_index(count: usize, f: impl Fn(usize) + Sync) {
    use rayon::prelude::*;
    (0..count).into_par_iter().for_each(&f);
}

#[cfg(feature = "parallel")]
fn map_indices<T: Send>(count: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    use rayon::prelude::*;
    (0..count).into_par_iter().map(&f).collect()
}

#[cfg(not(feature = "parallel"))]
fn for_each_index(count: usize, f: impl Fn(usize) + Sync) {
    (0..count).for_each(f);
}

#[cfg(not(feature = "parallel"))]
fn map_indices<T: Send>(count: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    (0..count).map(f).collect()
}

/// Calls `f(runs, out, len)` over `0..len`, split into chunks across threads.
///
/// (Each function here keeps its unsplit case inline and the split in a separate
/// function that is never inlined: with both in one body, the `parallel` build's short
/// path was slower, e.g. a one-element `simd_add` 26 ns instead of 19, `simd_sum` 13.8
/// instead of 11.7, `examples/overhead.rs`.)
#[inline(always)]
pub(crate) fn map_runs<const K: usize>(
    runs: [Run; K],
    out: *mut f32,
    len: usize,
    f: &(impl Fn([Run; K], *mut f32, usize) + Sync),
) {
    match chunking(len, 1024) {
        None => f(runs, out, len),
        Some((count, chunk)) => map_runs_split(runs, out, len, count, chunk, f),
    }
}

#[inline(never)]
fn map_runs_split<const K: usize>(
    runs: [Run; K],
    out: *mut f32,
    len: usize,
    count: usize,
    chunk: usize,
    f: &(impl Fn([Run; K], *mut f32, usize) + Sync),
) {
    let shared = Shared((runs, out));
    for_each_index(count, |c| {
        let (runs, out) = shared.get();
        let start = c * chunk;
        let moved = runs.map(|r| match r {
            Run::Mem(p) => Run::Mem(p.wrapping_add(start)),
            splat => splat,
        });
        f(moved, out.wrapping_add(start), chunk.min(len - start));
    });
}

/// The total of a pairwise reduction of `0..len`: `feed(start, n, acc)` adds elements
/// `start..start+n`. Chunks are whole subtrees of `BLOCK << level` elements, so the result
/// has the bits of a single `feed(0, len, acc)`. (The state stays in this frame: it is
/// large, and moving it would cost more than summing a short array.)
pub(crate) fn pairwise_total(
    len: usize,
    feed: &(impl Fn(usize, usize, &mut Partials) + Sync),
) -> f32 {
    let mut acc = Partials::default();
    match chunking(len, BLOCK) {
        None => feed(0, len, &mut acc),
        Some((_, chunk)) => pairwise_split(len, chunk, feed, &mut acc),
    }
    acc.total()
}

#[inline(never)]
fn pairwise_split(
    len: usize,
    chunk: usize,
    feed: &(impl Fn(usize, usize, &mut Partials) + Sync),
    acc: &mut Partials,
) {
    let level = (chunk / BLOCK).ilog2();
    let chunk = BLOCK << level;
    let full = len / chunk;
    let subtrees = map_indices(full, |c| {
        let mut part = Partials::default();
        feed(c * chunk, chunk, &mut part);
        part.subtree(level)
    });
    for lanes in subtrees {
        acc.push_level(level, lanes);
    }
    feed(full * chunk, len - full * chunk, acc);
}

/// Splits `0..len` at multiples of [`ARG_BLOCK`], computes `part(start, n)` for each chunk
/// and folds the results left to right with `combine`.
#[inline(always)]
pub(crate) fn fold_chunks<T: Send>(
    len: usize,
    part: &(impl Fn(usize, usize) -> T + Sync),
    combine: impl Fn(T, T) -> T,
) -> T {
    match chunking(len, ARG_BLOCK) {
        None => part(0, len),
        Some((count, chunk)) => fold_split(len, count, chunk, part, combine),
    }
}

#[inline(never)]
fn fold_split<T: Send>(
    len: usize,
    count: usize,
    chunk: usize,
    part: &(impl Fn(usize, usize) -> T + Sync),
    combine: impl Fn(T, T) -> T,
) -> T {
    map_indices(count, |c| part(c * chunk, chunk.min(len - c * chunk)))
        .into_iter()
        .reduce(combine)
        .expect("at least one chunk")
}
