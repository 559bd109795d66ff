//! Reductions along one axis, in ndarray's order: a pairwise sum (or a maximum) per lane
//! when the axis has the smallest stride, else the subviews folded into an accumulator
//! one after another, as `sum_axis` adds them, many rows per kernel call.

use super::shape::is_min_stride_axis;
use super::TruenoExt;
use crate::backend::kernels;
use crate::kernels::reduce::BLOCK;
use crate::kernels::{LanesFn, RowsFn};
use crate::layout::Run;
use ndarray::{Array, ArrayRef, ArrayView, Axis, Dimension, RemoveAxis, ShapeBuilder};

/// `a.simd_sum_axis(axis)`.
pub(super) fn sum_axis<D: RemoveAxis>(a: &ArrayRef<f32, D>, axis: Axis) -> Array<f32, D::Smaller> {
    let k = kernels();
    if a.len_of(axis) > 0 && is_min_stride_axis(a.shape(), a.strides(), axis) {
        if let Some(out) = short_lanes(a, axis, k.sum_lanes) {
            return out;
        }
        // One pairwise sum per lane, like ndarray's `lane.sum()`; a contiguous lane of one
        // block at most straight through the block kernel, as `simd_sum` would take it.
        return per_lane(a, axis, |lane| match lane.as_slice() {
            // SAFETY: `s` is a valid slice.
            Some(s) if s.len() <= BLOCK => unsafe { (k.sum_block)(s.as_ptr(), s.len()) },
            _ => lane.simd_sum(),
        });
    }
    fold_subviews(a, axis, 0.0, k.sum_rows, |acc, sub| {
        acc.simd_add_assign(&sub)
    })
}

/// `a.simd_max_axis(axis)`: NaN for a lane holding one, `-∞` for an empty axis.
pub(super) fn max_axis<D: RemoveAxis>(a: &ArrayRef<f32, D>, axis: Axis) -> Array<f32, D::Smaller> {
    let k = kernels();
    if a.len_of(axis) > 0 && is_min_stride_axis(a.shape(), a.strides(), axis) {
        if let Some(mut out) = short_lanes(a, axis, k.max_lanes) {
            // A zero maximum takes the sign of the lane's first zero, as `simd_max` does
            // (the kernel leaves which of ±0 it keeps open).
            // (Lanes are looked at again only then: building every lane's view took most
            // of the time of 131072 x 2 maxima along the rows.)
            let other = Axis(1 - axis.index());
            for (r, total) in out.iter_mut().enumerate() {
                if *total == 0.0 {
                    *total = first_zero(a.index_axis(other, r));
                }
            }
            return out;
        }
        return per_lane(a, axis, |lane| lane.simd_max().unwrap_or(f32::NAN));
    }
    fold_subviews(a, axis, f32::NEG_INFINITY, k.max_rows, |acc, sub| {
        let update = |_, [x]: [Run; 1], out, n| {
            // SAFETY: runs are valid for `n` values; `out` is the accumulator run.
            unsafe { (k.max_update)(out, super::map::mem(x), n) }
        };
        super::map::map_inplace(acc, false, [sub], update, None)
    })
}

/// For a 2-D array whose lanes along `axis` (its smallest-stride axis) are contiguous
/// and one block at most, all lanes' totals in one `kernel` call (per-lane calls cost
/// about as much as the sums of 16 values: a 16384 x 16 array summed along axis 1 in
/// 53 us that way, 50 us in one call, the idiom 54); `None` for other arrays.
fn short_lanes<D: RemoveAxis>(
    a: &ArrayRef<f32, D>,
    axis: Axis,
    kernel: LanesFn,
) -> Option<Array<f32, D::Smaller>> {
    let n = a.len_of(axis);
    if a.ndim() != 2 || n == 0 || n > BLOCK || a.stride_of(axis) != 1 {
        return None;
    }
    let other = Axis(1 - axis.index());
    let lanes = a.len_of(other);
    let mut out: Vec<f32> = Vec::with_capacity(lanes);
    // SAFETY: lane `r < lanes` holds `n` values from `a`'s first plus `r` strides along
    // `other`, contiguous (stride 1 along `axis`); `out` has room for `lanes` totals, all
    // written by the kernel.
    unsafe {
        kernel(a.as_ptr(), lanes, a.stride_of(other), n, out.as_mut_ptr());
        out.set_len(lanes);
    }
    Some(Array::from_shape_vec(a.raw_dim().remove_axis(axis), out).expect("one total per lane"))
}

/// The first zero of `lane` (which holds one), with its sign.
fn first_zero<E: Dimension>(lane: ArrayView<'_, f32, E>) -> f32 {
    *lane
        .iter()
        .find(|&&x| x == 0.0)
        .expect("a lane whose maximum is zero holds a zero")
}

/// One value per lane along `axis`, in the order of the remaining axes.
fn per_lane<D: RemoveAxis>(
    a: &ArrayRef<f32, D>,
    axis: Axis,
    f: impl Fn(ArrayView<'_, f32, ndarray::Ix1>) -> f32,
) -> Array<f32, D::Smaller> {
    let values: Vec<f32> = a.lanes(axis).into_iter().map(f).collect();
    Array::from_shape_vec(a.raw_dim().remove_axis(axis), values).expect("one value per lane")
}

/// An accumulator of `init` with every subview along `axis` folded in, in order. When
/// the subviews are contiguous in C or F order, all of them go to `rows` in one call
/// (the accumulator takes their layout); else one `one` call per subview.
fn fold_subviews<D: RemoveAxis>(
    a: &ArrayRef<f32, D>,
    axis: Axis,
    init: f32,
    rows: RowsFn,
    one: impl Fn(&mut Array<f32, D::Smaller>, ArrayView<'_, f32, D::Smaller>),
) -> Array<f32, D::Smaller> {
    let out_dim = a.raw_dim().remove_axis(axis);
    if a.len_of(axis) == 0 {
        return Array::from_elem(out_dim, init);
    }
    let first = a.index_axis(axis, 0);
    let c = first.is_standard_layout();
    let f = !c && first.ndim() > 1 && first.t().is_standard_layout();
    if c || f {
        let mut acc = if f {
            Array::from_elem(out_dim.f(), init)
        } else {
            Array::from_elem(out_dim, init)
        };
        let n = acc.len();
        // SAFETY: every subview is `first` moved by `r * stride` (r < len), contiguous in
        // the same order as `acc`, so value `j < n` of each is at that offset plus `j`
        // and matches `acc`'s value `j`; `acc` is a new array, apart from `a`.
        unsafe {
            rows(
                acc.as_mut_ptr(),
                first.as_ptr(),
                a.len_of(axis),
                a.stride_of(axis),
                n,
            )
        };
        return acc;
    }
    let mut acc = Array::from_elem(out_dim, init);
    for sub in a.axis_iter(axis) {
        one(&mut acc, sub);
    }
    acc
}
