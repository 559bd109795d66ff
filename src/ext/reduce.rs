//! Reduction plumbing: canonical-order sums over any layout, extremes with
//! ndarray-stats semantics, and the overflow-safe L2 norm.

use crate::backend::kernels;
use crate::kernels::reduce::{ARG_BLOCK, BLOCK};
use crate::kernels::{Extreme, Partials};
use crate::layout::{
    for_each_logical_chunk, is_transposed_like, logical_copy, shared_memory_order,
};
use crate::parallel;
use crate::MinMaxError;
use ndarray::{ArrayRef, ArrayView, Dimension};

/// Sums a reduction over `views` in the canonical order: over memory order when they
/// share a contiguous layout (one block at most through `block`, larger ones split over
/// threads with the `parallel` feature), else in logical-order chunks. `feed` adds the
/// terms of equal-length slices to the state; `block` totals at most [`BLOCK`] of them.
pub(super) fn reduce<D: Dimension, const K: usize>(
    views: [ArrayView<'_, f32, D>; K],
    feed: impl Fn([&[f32]; K], &mut Partials) + Sync,
    block: impl Fn([&[f32]; K]) -> f32,
) -> f32 {
    let slices = shared_memory_order(&views);
    match slices {
        Some(s) if s[0].len() <= BLOCK => block(s),
        _ => reduce_large(&views, slices, &feed),
    }
}

/// The most values a reduction copies out of a transposed operand (64 MiB); larger ones
/// go through the lane gathers, which need no copy.
const MAX_TRANSPOSED_COPY: usize = 1 << 24;

/// [`reduce`] past one block, or over a non-contiguous layout. Kept out of line: its
/// state is large, and a frame holding it costs the short case stack probes.
#[inline(never)]
fn reduce_large<D: Dimension, const K: usize>(
    views: &[ArrayView<'_, f32, D>; K],
    slices: Option<[&[f32]; K]>,
    feed: &(impl Fn([&[f32]; K], &mut Partials) + Sync),
) -> f32 {
    // The total of equal-length slices in logical order.
    let total = |s: [&[f32]; K]| {
        parallel::pairwise_total(s[0].len(), &|start, n, acc| {
            feed(core::array::from_fn(|k| &s[k][start..start + n]), acc)
        })
    };
    match slices {
        Some(s) => total(s),
        None if views[0].len() <= MAX_TRANSPOSED_COPY
            && views.iter().any(is_transposed_like)
            && views
                .iter()
                .all(|v| is_transposed_like(v) || v.is_standard_layout()) =>
        {
            // C operands and transposed ones (`a.simd_dot(&b.t())`): the transposed ones
            // copied in logical order eight rows per pass, then one contiguous reduction
            // in the same canonical order (512 x 512 `dot`: 539 -> 112 us; the idiom's
            // `Zip` fold 548).
            let copies = views.each_ref().map(|v| match v.as_slice() {
                Some(values) => std::borrow::Cow::Borrowed(values),
                None => std::borrow::Cow::Owned(logical_copy(v)),
            });
            total(copies.each_ref().map(|c| &c[..]))
        }
        None => {
            let mut acc = Partials::default();
            for_each_logical_chunk(views.clone(), |chunk| feed(chunk, &mut acc));
            acc.total()
        }
    }
}

/// The extreme of `data` with NaN reported apart, split over threads when large.
#[inline]
pub(super) fn extreme_of(
    data: &[f32],
    kernel: unsafe fn(*const f32, usize) -> Extreme,
    max: bool,
) -> Extreme {
    parallel::fold_chunks(
        data.len(),
        // SAFETY: the chunk lies inside `data`.
        &|start, n| unsafe { kernel(data[start..start + n].as_ptr(), n) },
        |a, b| Extreme {
            value: if (max && b.value > a.value) || (!max && b.value < a.value) {
                b.value
            } else {
                a.value
            },
            nan: a.nan || b.nan,
        },
    )
}

/// The elements of `view` as one slice: itself when contiguous, else a logical-order copy.
pub(super) fn contiguous<'a, D: Dimension>(
    view: &'a ArrayRef<f32, D>,
) -> std::borrow::Cow<'a, [f32]> {
    match view.as_slice_memory_order() {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(logical_copy(&view.view())),
    }
}

/// The multi-index (row-major) of flat logical position `i` in `shape`.
pub(super) fn unravel<D: Dimension>(shape: &[usize], mut i: usize) -> D::Pattern {
    let mut index = D::zeros(shape.len());
    for (d, &len) in shape.iter().enumerate().rev() {
        index[d] = i % len;
        i /= len;
    }
    index.into_pattern()
}

/// Which extreme a min/max reduction looks for.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Which {
    Max,
    Min,
}

/// The extreme value of `a`, or the ndarray-stats error; the value's sign of zero is
/// fixed up by the caller when needed.
pub(super) fn extreme_value<D: Dimension>(
    a: &ArrayRef<f32, D>,
    which: Which,
) -> Result<f32, MinMaxError> {
    extreme_value_of(&contiguous(a), which)
}

#[inline]
fn extreme_value_of(data: &[f32], which: Which) -> Result<f32, MinMaxError> {
    if data.is_empty() {
        return Err(MinMaxError::EmptyInput);
    }
    let k = kernels();
    let e = match which {
        Which::Max => extreme_of(data, k.max, true),
        Which::Min => extreme_of(data, k.min, false),
    };
    if e.nan {
        Err(MinMaxError::UndefinedOrder)
    } else {
        Ok(e.value)
    }
}

/// Flat logical index of the first element equal to `v` (which must occur).
pub(super) fn first_logical_index_of<D: Dimension>(a: &ArrayRef<f32, D>, v: f32) -> usize {
    let k = kernels();
    if let Some(s) = a.as_slice() {
        // SAFETY: `s` is a valid slice.
        let i = unsafe { (k.find_eq)(s.as_ptr(), s.len(), v) };
        debug_assert!(i < s.len());
        return i;
    }
    a.iter()
        .position(|&x| x == v)
        .expect("the extreme value occurs in the array")
}

/// Up to this many elements, argmax/argmin scan in plain code: the vector kernel's
/// setup costs more than the scan.
const SMALL_ARG: usize = 32;

/// Index of the first extreme of non-empty `data` (ndarray-stats: NaN is an error).
fn first_extreme_index(data: &[f32], which: Which) -> Result<usize, MinMaxError> {
    let mut best = 0;
    for (i, &x) in data.iter().enumerate() {
        if x.is_nan() {
            return Err(MinMaxError::UndefinedOrder);
        }
        let better = match which {
            Which::Max => x > data[best],
            Which::Min => x < data[best],
        };
        if better {
            best = i;
        }
    }
    Ok(best)
}

pub(super) fn arg_extreme<D: Dimension>(
    a: &ArrayRef<f32, D>,
    which: Which,
) -> Result<D::Pattern, MinMaxError> {
    let Some(data) = a.as_slice() else {
        let v = extreme_value(a, which)?;
        return Ok(unravel::<D>(a.shape(), first_logical_index_of(a, v)));
    };
    if data.is_empty() {
        return Err(MinMaxError::EmptyInput);
    }
    if data.len() <= SMALL_ARG {
        return first_extreme_index(data, which).map(|i| unravel::<D>(a.shape(), i));
    }
    let k = kernels();
    let (f, max) = match which {
        Which::Max => (k.max_block, true),
        Which::Min => (k.min_block, false),
    };
    let (e, start) = parallel::fold_chunks(
        data.len(),
        &|start, n| {
            // SAFETY: the chunk lies inside `data`.
            let (e, block) = unsafe { f(data[start..start + n].as_ptr(), n) };
            (e, start + block)
        },
        // Chunks come in index order: a later one wins only when strictly better.
        |(a, ia), (b, ib)| {
            let better = (max && b.value > a.value) || (!max && b.value < a.value);
            let nan = a.nan || b.nan;
            if better {
                (
                    Extreme {
                        value: b.value,
                        nan,
                    },
                    ib,
                )
            } else {
                (
                    Extreme {
                        value: a.value,
                        nan,
                    },
                    ia,
                )
            }
        },
    );
    if e.nan {
        return Err(MinMaxError::UndefinedOrder);
    }
    let block = &data[start..(start + ARG_BLOCK).min(data.len())];
    // SAFETY: `block` is a valid slice.
    let i = start + unsafe { (k.find_eq)(block.as_ptr(), block.len(), e.value) };
    Ok(unravel::<D>(a.shape(), i))
}

pub(super) fn value_extreme<D: Dimension>(
    a: &ArrayRef<f32, D>,
    which: Which,
) -> Result<f32, MinMaxError> {
    let v = extreme_value(a, which)?;
    if v != 0.0 {
        return Ok(v);
    }
    // ±0.0 compare equal: ndarray-stats returns the first of them, with its sign.
    let i = first_logical_index_of(a, v);
    Ok(*a.iter().nth(i).expect("index in bounds"))
}

pub(super) fn norm_l2_of(data: &[f32]) -> f32 {
    let k = kernels();
    let sum_squares = |scale: f32| {
        if data.len() <= BLOCK {
            // SAFETY: `data` is a valid slice of at most one block.
            return unsafe { (k.sum_squares_block)(data.as_ptr(), data.len(), scale) };
        }
        parallel::pairwise_total(data.len(), &|start, n, acc| {
            // SAFETY: the range lies inside `data`.
            unsafe { (k.sum_squares)(data[start..].as_ptr(), n, scale, acc) }
        })
    };
    let ss = sum_squares(1.0);
    // Fast path: no overflow, and small enough squares lost to underflow cannot matter
    // (each is below 2^-150 absolute against a total of at least 2^-100).
    if ss.is_nan()
        || (ss.is_finite() && ss >= f32::from_bits(0x0D80_0000))
        || ss == 0.0 && data.iter().all(|&x| x == 0.0)
    {
        return ss.sqrt();
    }
    let m = extreme_of(data, k.max_abs, true);
    if m.nan {
        return f32::NAN;
    }
    if m.value.is_infinite() || m.value == 0.0 {
        return m.value;
    }
    // Scale by a power of two bringing the largest magnitude near 1: exact, and the
    // scaled sum of squares can neither overflow nor lose the large terms to underflow.
    let e = (m.value.to_bits() >> 23) as i32 - 127;
    let e = e.clamp(-126, 126);
    let scale = f32::from_bits(((127 - e) as u32) << 23);
    let unscale = f32::from_bits(((127 + e) as u32) << 23);
    sum_squares(scale).sqrt() * unscale
}
