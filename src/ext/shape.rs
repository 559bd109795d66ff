//! Shapes: ndarray's co-broadcasting rule, broadcasting views, and same-shape checks,
//! panicking with ndarray's own messages.

use ndarray::{ArrayRef, ArrayView, Axis, Dimension, ErrorKind, ShapeError};

/// The shape two operands broadcast to, by ndarray's (NumPy's) rules; panics with
/// ndarray's message when they are incompatible.
pub(super) fn co_broadcast<D1: Dimension, D2: Dimension, Out: Dimension>(a: &D1, b: &D2) -> Out {
    let (long, short) = if a.ndim() >= b.ndim() {
        (a.slice(), b.slice())
    } else {
        (b.slice(), a.slice())
    };
    let mut out = Out::zeros(long.len());
    out.slice_mut().copy_from_slice(long);
    let k = long.len() - short.len();
    for (o, &s) in out.slice_mut()[k..].iter_mut().zip(short) {
        if *o != s {
            if *o == 1 {
                *o = s;
            } else if s != 1 {
                // The very message of ndarray's `broadcast_with(..).unwrap()`.
                panic!(
                    "called `Result::unwrap()` on an `Err` value: {:?}",
                    ShapeError::from_kind(ErrorKind::IncompatibleShape)
                );
            }
        }
    }
    out
}

/// `view` broadcast to `dim`, panicking like ndarray's `+=` when it cannot be.
pub(super) fn broadcast_to<'a, D: Dimension, E: Dimension>(
    view: &'a ArrayRef<f32, E>,
    dim: &D,
) -> ArrayView<'a, f32, D> {
    view.broadcast(dim.clone()).unwrap_or_else(|| {
        panic!(
            "ndarray: could not broadcast array from shape: {:?} to: {:?}",
            view.shape(),
            dim.slice()
        )
    })
}

/// Panics unless `b` has exactly the shape of `a` (for lerp, fma and dot).
#[inline]
pub(super) fn assert_same_shape(op: &str, a: &[usize], b: &[usize]) {
    // An element loop rather than `a == b`, which calls `memcmp` (measurable on tiny arrays).
    let same = a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y);
    if !same {
        shape_mismatch(op, a, b);
    }
}

/// The panic of [`assert_same_shape`], out of line so that the check's caller does not
/// prepare its message on every call.
#[cold]
#[inline(never)]
fn shape_mismatch(op: &str, a: &[usize], b: &[usize]) -> ! {
    panic!("trueno: {op} needs operands of the same shape, got {a:?} and {b:?}")
}

/// Whether `axis` is the lane axis of the axis reductions: the axis of smallest absolute
/// stride among those longer than one (the last one on ties). ndarray's `sum_axis`
/// counts every axis (and takes the last of two equal strides in 2-D), so for a column
/// vector (n, 1) summed along axis 0 it adds the rows in order where trueno sums the
/// column pairwise.
pub(super) fn is_min_stride_axis(shape: &[usize], strides: &[isize], axis: Axis) -> bool {
    let n = shape.len();
    let mut best = n - 1;
    for d in (0..n - 1).rev() {
        if shape[d] > 1
            && (shape[best] <= 1 || strides[d].unsigned_abs() < strides[best].unsigned_abs())
        {
            best = d;
        }
    }
    best == axis.index()
}
